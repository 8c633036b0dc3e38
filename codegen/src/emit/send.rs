//! Edits to the `send()` progenitor writes for every operation builder, so that a request costs
//! what a hand-written reqwest call costs and carries only what the API defines:
//!
//! - `send()` becomes `send_in(record)`, which hands the call's record (`crate::hooks::Record`)
//!   to the pipeline: `client.pre(&mut request, ..)` and `client.exec(request, ..)` become one
//!   `crate::hooks::send(.., request, .., record, ..)`, one future that holds the request once
//!   (two hook futures each held their own, and the borrowed request was kept beside them).
//!   `call()` keeps the record in its own future; nothing is kept in a task-local that would be
//!   swapped in and out at every poll. `send()` stays, as a call of `send_in` with a record
//!   nobody reads.
//! - `ResponseValue::from_response(response)` becomes `crate::hooks::response_value(response,
//!   record)`, which moves the response's header map into the `ResponseValue` instead of copying
//!   it.
//! - The `api-version` header progenitor adds to every request (the spec's `info.version`) is
//!   dropped: neither API defines it, and what the SDK sends is exactly what the spec says. An
//!   operation without header parameters then has no header map at all (no empty map built and
//!   merged into the request, one move of the request builder fewer).
//!
//! The builders themselves, their setters and `send()`, stay progenitor's public interface. If
//! progenitor ever writes `send()` differently, the edit finds nothing and generation fails with
//! a message, instead of the client silently changing.

use syn::visit_mut::{self, VisitMut};

/// What the rewrite changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Rewritten {
    /// `ResponseValue::from_response` calls redirected.
    pub from_response: usize,
    /// `api-version` header insertions removed.
    pub api_version: usize,
    /// Header maps left empty and removed with their `.headers(header_map)`.
    pub empty_header_maps: usize,
    /// `send()` functions turned into `send_in(record)` (its pre and exec hook calls made one
    /// `crate::hooks::send`) and a `send()` calling it.
    pub send_in: usize,
}

/// Rewrites every `send()` in the generated `builder` module. `operations` is the number of
/// operations: each must have lost its `api-version` header.
pub fn rewrite(file: &mut syn::File, operations: usize) -> Result<Rewritten, String> {
    let mut v = Visitor::default();
    for item in &mut file.items {
        if let syn::Item::Mod(m) = item
            && m.ident == "builder"
            && let Some((_, content)) = m.content.as_mut()
        {
            for item in content {
                v.visit_item_mut(item);
            }
        }
    }
    if v.done.api_version != operations {
        return Err(format!(
            "progenitor's send() changed: removed the api-version header from {} of {operations} \
             operations (kotanipay-codegen emit/send.rs expects every one)",
            v.done.api_version
        ));
    }
    if v.done.send_in != operations {
        return Err(format!(
            "progenitor's send() changed: found `client.pre(..)` and `client.exec(..)` in {} of \
             {operations} send() functions (kotanipay-codegen emit/send.rs expects every one)",
            v.done.send_in
        ));
    }
    if operations > 0 && v.done.from_response == 0 {
        return Err(
            "progenitor's send() changed: no ResponseValue::from_response to redirect \
             (kotanipay-codegen emit/send.rs)"
                .to_string(),
        );
    }
    Ok(v.done)
}

#[derive(Default)]
struct Visitor {
    done: Rewritten,
}

fn path_ends_with(path: &syn::Path, tail: &[&str]) -> bool {
    let segs: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    segs.len() >= tail.len()
        && segs[segs.len() - tail.len()..]
            .iter()
            .zip(tail)
            .all(|(a, b)| a == b)
}

/// `header_map.append(HeaderName::from_static("api-version"), ...)`.
fn is_api_version_append(stmt: &syn::Stmt) -> bool {
    let syn::Stmt::Expr(syn::Expr::MethodCall(call), Some(_)) = stmt else {
        return false;
    };
    if call.method != "append" {
        return false;
    }
    let Some(syn::Expr::Call(name)) = call.args.first() else {
        return false;
    };
    let syn::Expr::Path(f) = &*name.func else {
        return false;
    };
    path_ends_with(&f.path, &["HeaderName", "from_static"])
        && matches!(
            name.args.first(),
            Some(syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. })) if s.value() == "api-version"
        )
}

/// `let mut header_map = HeaderMap::with_capacity(N);`: the literal, to lower by one. The
/// statement is marked `#[allow(unused_mut)]`: with no header parameter, nothing is added now.
fn header_map_capacity(stmt: &mut syn::Stmt) -> Option<&mut syn::LitInt> {
    let syn::Stmt::Local(local) = stmt else {
        return None;
    };
    let syn::Pat::Ident(p) = &local.pat else {
        return None;
    };
    if p.ident != "header_map" {
        return None;
    }
    local.attrs.push(syn::parse_quote!(#[allow(unused_mut)]));
    let syn::Expr::Call(call) = &mut *local.init.as_mut()?.expr else {
        return None;
    };
    let syn::Expr::Path(f) = &*call.func else {
        return None;
    };
    if !path_ends_with(&f.path, &["HeaderMap", "with_capacity"]) {
        return None;
    }
    match call.args.first_mut() {
        Some(syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(n),
            ..
        })) => Some(n),
        _ => None,
    }
}

/// Whether `expr` is the path `header_map`.
fn is_header_map(expr: &syn::Expr) -> bool {
    matches!(expr, syn::Expr::Path(p) if p.path.is_ident("header_map"))
}

/// Replaces `<receiver>.headers(header_map)` by `<receiver>` anywhere in `expr`.
struct DropHeaders(usize);

impl VisitMut for DropHeaders {
    fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
        if let syn::Expr::MethodCall(call) = expr
            && call.method == "headers"
            && call.args.len() == 1
            && call.args.first().is_some_and(is_header_map)
        {
            let receiver = std::mem::replace(&mut *call.receiver, syn::parse_quote!(()));
            *expr = receiver;
            self.0 += 1;
            self.visit_expr_mut(expr);
            return;
        }
        visit_mut::visit_expr_mut(self, expr);
    }
}

/// `client.<method>(..)` with two arguments: the arguments.
fn client_call<'e>(expr: &'e syn::Expr, method: &str) -> Option<(&'e syn::Expr, &'e syn::Expr)> {
    let syn::Expr::MethodCall(call) = expr else {
        return None;
    };
    let on_client = matches!(&*call.receiver, syn::Expr::Path(p) if p.path.is_ident("client"));
    (on_client && call.method == method && call.args.len() == 2).then(|| (&call.args[0], &call.args[1]))
}

/// `client.pre(&mut request, &info).await?;`
fn is_pre_statement(stmt: &syn::Stmt) -> bool {
    let syn::Stmt::Expr(syn::Expr::Try(t), Some(_)) = stmt else {
        return false;
    };
    let syn::Expr::Await(a) = &*t.expr else {
        return false;
    };
    client_call(&a.base, "pre").is_some()
}

/// `let result = client.exec(request, &info).await;` becomes
/// `let result = crate::hooks::send(.., request, &info, &mut *call_record, Some(..)).await?;`:
/// the pre-step and the attempts in one future (see `crate::hooks::send`). Returns whether it
/// was that statement.
fn redirect_exec(stmt: &mut syn::Stmt) -> bool {
    let syn::Stmt::Local(local) = stmt else {
        return false;
    };
    let Some(init) = local.init.as_mut() else {
        return false;
    };
    let syn::Expr::Await(a) = &*init.expr else {
        return false;
    };
    let Some((request, info)) = client_call(&a.base, "exec") else {
        return false;
    };
    let send: syn::Expr = syn::parse_quote!(crate::hooks::send(
        &client.client,
        &client.baseurl,
        &client.inner,
        #request,
        #info,
        &mut *call_record,
        Some(progenitor_client::Error::Custom),
    )
    .await?);
    *init.expr = send;
    true
}

/// In a `send()` body: drops `client.pre(..)` and sends through `crate::hooks::send` instead of
/// `client.exec(..)`. Returns whether both were found (exactly once each, the pre-step first).
fn redirect_hooks(body: &mut syn::Block) -> bool {
    let Some(pre) = body.stmts.iter().position(is_pre_statement) else {
        return false;
    };
    if body.stmts.iter().filter(|s| is_pre_statement(s)).count() != 1 {
        return false;
    }
    let exec: Vec<usize> = (0..body.stmts.len())
        .filter(|&i| redirect_exec(&mut body.stmts[i]))
        .collect();
    if exec.len() != 1 || exec[0] < pre {
        return false;
    }
    body.stmts.remove(pre);
    true
}

/// `send()` → `send_in(record)` with its hooks redirected, plus a `send()` that calls it.
/// Returns the new `send()`, or `None` (leaving `f` as it was) when the body is not the shape
/// expected.
fn split_send(f: &mut syn::ImplItemFn) -> Option<syn::ImplItemFn> {
    let mut body = f.block.clone();
    if !redirect_hooks(&mut body) {
        return None;
    }
    let attrs = std::mem::take(&mut f.attrs);
    let output = f.sig.output.clone();
    f.block = body;
    f.sig.ident = syn::parse_quote!(send_in);
    f.sig
        .inputs
        .push(syn::parse_quote!(call_record: &mut crate::hooks::Record));
    f.vis = syn::parse_quote!(pub(crate));
    f.attrs = vec![syn::parse_quote!(#[doc(hidden)])];
    Some(syn::parse_quote! {
        #(#attrs)*
        pub async fn send(self) #output {
            self.send_in(&mut crate::hooks::Record::default()).await
        }
    })
}

impl VisitMut for Visitor {
    fn visit_item_impl_mut(&mut self, item: &mut syn::ItemImpl) {
        let mut added = Vec::new();
        for it in &mut item.items {
            if let syn::ImplItem::Fn(f) = it
                && f.sig.ident == "send"
                && f.sig.asyncness.is_some()
                && let Some(send) = split_send(f)
            {
                added.push(syn::ImplItem::Fn(send));
                self.done.send_in += 1;
            }
        }
        item.items.extend(added);
        visit_mut::visit_item_impl_mut(self, item);
    }

    fn visit_block_mut(&mut self, block: &mut syn::Block) {
        let before = block.stmts.len();
        block.stmts.retain(|s| !is_api_version_append(s));
        let removed = before - block.stmts.len();
        if removed > 0 {
            self.done.api_version += removed;
            let mut empty_at = None;
            for (i, stmt) in block.stmts.iter_mut().enumerate() {
                if let Some(n) = header_map_capacity(stmt) {
                    let less = n
                        .base10_parse::<usize>()
                        .unwrap_or(removed)
                        .saturating_sub(removed);
                    *n = syn::LitInt::new(&format!("{less}{}", n.suffix()), n.span());
                    if less == 0 {
                        empty_at = Some(i);
                    }
                }
            }
            // A map that nothing is appended to: drop it, and its merge into the request.
            if let Some(i) = empty_at {
                let mut drop = DropHeaders(0);
                for stmt in &mut block.stmts[i + 1..] {
                    drop.visit_stmt_mut(stmt);
                }
                if drop.0 == 1 {
                    block.stmts.remove(i);
                    self.done.empty_header_maps += 1;
                }
            }
        }
        visit_mut::visit_block_mut(self, block);
    }

    fn visit_expr_call_mut(&mut self, call: &mut syn::ExprCall) {
        if let syn::Expr::Path(f) = &mut *call.func
            && path_ends_with(&f.path, &["ResponseValue", "from_response"])
        {
            f.path = syn::parse_quote!(crate::hooks::response_value);
            call.args.push(syn::parse_quote!(&mut *call_record));
            self.done.from_response += 1;
        }
        visit_mut::visit_expr_call_mut(self, call);
    }
}
