//! Kotani Pay API v3, generated from `spec/kotani-v3.yaml`.
//!
//! Every operation is a method of [`Client`] returning a builder; finish it with
//! `.call().await` (typed body) or `.data().await` (the envelope's `data`), both from
//! [`crate::Operation`]. Types are in [`types`]; response enums are open ([`open`]).
#![allow(missing_docs, clippy::all, clippy::pedantic, unused_imports, dead_code)]

include!(concat!(env!("OUT_DIR"), "/kotani_v3.rs"));

use std::sync::Arc;

use crate::auth::session::{RefreshContext, RefreshFn, Tokens};
use crate::error::ErrorKind;

/// v3 sessions refresh through the generated `refresh_token` operation.
const SESSION_REFRESH: Option<RefreshFn> = Some(refresh_session);

impl crate::ApiErrorBody for types::ErrorBody {
    fn message(&self) -> Option<String> {
        Some(self.message.clone())
    }
    fn validation_errors(&self) -> Vec<crate::ValidationError> {
        self.data
            .iter()
            .flat_map(|d| &d.errors)
            .map(|m| crate::ValidationError {
                location: String::new(),
                message: m.clone(),
            })
            .collect()
    }
    fn retry_after(&self) -> Option<std::time::Duration> {
        self.data
            .as_ref()
            .and_then(|d| d.retry_after)
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map(|s| std::time::Duration::from_secs_f64(s.min(3600.0)))
    }
    fn banned_until(&self) -> Option<String> {
        self.data
            .as_ref()
            .and_then(|d| d.banned_until.clone())
            .filter(|s| !s.trim().is_empty())
    }
}

impl crate::ApiErrorBody for types::HealthStatus {
    fn message(&self) -> Option<String> {
        Some(format!("health status {}", self.status))
    }
}

impl From<types::SessionTokens> for Tokens {
    fn from(t: types::SessionTokens) -> Self {
        Tokens {
            access_token: t.token,
            refresh_token: t.refresh_token,
            user_id: Some(t.user_id),
            session_id: Some(t.session_id),
        }
    }
}

/// `GET /api/v3/auth/refresh-token` with the refresh token as the bearer, through the
/// generated `refresh_token` operation and the one pipeline (signing, tracing, redaction of
/// both tokens): a client whose fixed credential is the refresh token, sending once.
fn refresh_session<'a>(
    old: &'a Tokens,
    ctx: &'a RefreshContext<'a>,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Tokens, crate::Error>> + Send + 'a>> {
    Box::pin(refresh_call(old, ctx))
}

async fn refresh_call(old: &Tokens, ctx: &RefreshContext<'_>) -> Result<Tokens, crate::Error> {
    use crate::hooks::{Cred, Inner, Shared};
    const OP: &str = "refresh_token";
    let shared = Shared::new(
        crate::meta::Family::V3,
        Cred::Static(old.refresh_token.secret_string()),
        ctx.signing.cloned(),
        crate::RetryPolicy::disabled(),
        false,
    );
    let client = Client::new_with_client(ctx.baseurl, ctx.http.clone(), Inner(Arc::new(shared)));
    // Boxed: this runs inside the pipeline that is sending another call.
    let refreshed = Box::pin(crate::Operation::data(client.refresh_token())).await;
    // Whatever the server echoed, the access token being replaced stays out of the error too.
    let scrub = crate::redact::Scrubber::new([old.access_token.expose()]);
    let d = refreshed.map_err(|e| {
        let message = match e.kind() {
            ErrorKind::Decode => format!("token refresh answered in an unknown shape: {}", e.message()),
            _ if e.status().is_some() => {
                "token refresh was refused; log in again with a magic link".to_string()
            }
            _ => format!("token refresh failed: {}", e.message()),
        };
        let mut ended = crate::Error::new(ErrorKind::SessionEnded, OP, scrub.str(&message))
            .with_status_opt(e.status())
            .with_decode_path(e.decode_path().map(String::from));
        if let Some(body) = e.body() {
            ended = ended.with_body(&scrub.bytes(body));
        }
        ended
    })?;
    Ok(Tokens {
        access_token: d.token,
        refresh_token: d.refresh_token,
        user_id: d.user_id.or_else(|| old.user_id.clone()),
        session_id: d.session_id.or_else(|| old.session_id.clone()),
    })
}
