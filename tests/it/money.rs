//! The retry rules of every money-moving operation of both specs, from its fixture's first case
//! (`tests/ops`), against a server that answers 503 (a failure after the request may have been
//! taken):
//!
//! - without the caller's reference, the payment is sent exactly once and its failure is
//!   "outcome unknown", naming the reference field that would have made a retry safe (where the
//!   body type requires the reference, such a payment cannot be written at all);
//! - with a reference of only spaces, the same: it deduplicates nothing;
//! - with a reference, it is retried after the 503 with the very same body, and the second
//!   answer is the result.
//!
//! An operation whose fixture says it has no reference (`reference: null`) is only ever sent
//! once. Which field is the reference is the fixture's word, written from the API reference; it
//! must agree with the spec's `x-kotani-idempotency-field`.

use kotanipay::meta::{Family, OperationMeta, operations};
use serde_json::{Value, json};

use crate::common::{self, Reply};
use crate::ops::{self, AnyClient, Case, check_request, check_result, fixtures};

fn unavailable(family: Family) -> Reply {
    let body = match family {
        Family::V3 => {
            json!({"success": false, "message": "Service Unavailable", "error_code": 503, "data": {}})
        }
        Family::Merchant => json!({"detail": "Service temporarily unavailable"}),
    };
    common::json(503, &body.to_string())
}

/// The main case's body with the reference `field` set to `value` (removed when `None`).
fn with_reference(case: &Case, field: &str, value: Option<&str>) -> Option<Value> {
    let mut body = case.body.clone()?;
    let obj = body.as_object_mut()?;
    match value {
        Some(v) => obj.insert(field.to_string(), json!(v)),
        None => obj.remove(field),
    };
    Some(body)
}

/// Sends `body` against a server that always answers 503: one attempt, outcome unknown.
async fn sent_once(
    op: &OperationMeta,
    case: &Case,
    body: Option<&Value>,
    field: Option<&str>,
) -> Vec<String> {
    let family = op.family;
    let server = common::start(move |_, _| unavailable(family)).await;
    let client = AnyClient::new(family, &server.base_url);
    let got = match client.call(op.id, &case.params, body).await {
        Ok(got) => got,
        // The body type requires the reference: a payment without one cannot be written.
        Err(fixture)
            if field.is_some_and(|f| fixture.contains(&format!("missing field `{f}`")))
                && body.and_then(|b| b.get(field?)).is_none() =>
        {
            return Vec::new();
        }
        Err(fixture) => return vec![format!("the fixture does not call: {fixture}")],
    };
    let mut out = Vec::new();
    if server.count() != 1 {
        out.push(format!(
            "{} attempts; a payment without a reference is sent once",
            server.count()
        ));
    }
    match got {
        Ok(v) => out.push(format!("succeeded on a 503: {}", v.json)),
        Err(e) => {
            if !e.is_outcome_unknown() {
                out.push(format!("a 503 on a payment is not outcome unknown: {e}"));
            }
            if e.status().map(|s| s.as_u16()) != Some(503) {
                out.push(format!("status {:?}, want 503", e.status()));
            }
            if let Some(field) = field
                && !e.to_string().contains(field)
            {
                out.push(format!(
                    "the error does not name the reference field {field}: {e}"
                ));
            }
        }
    }
    out
}

/// 503, then the fixture's answer: two identical attempts carrying `reference`, then success.
async fn retried(op: &OperationMeta, case: &Case, field: &str, reference: &str) -> Vec<String> {
    let (Some(request), Some(response)) = (&case.request, &case.response) else {
        return vec!["the main case needs a request and a response".into()];
    };
    let family = op.family;
    let ok = ops::reply(response);
    let server = common::start(move |n, _| if n == 0 { unavailable(family) } else { ok.clone() }).await;
    let client = AnyClient::new(family, &server.base_url);
    let body = with_reference(case, field, Some(reference));
    let got = match client.call(op.id, &case.params, body.as_ref()).await {
        Ok(got) => got,
        Err(fixture) => return vec![format!("the fixture does not call: {fixture}")],
    };
    let mut out = Vec::new();
    let seen = server.requests();
    if seen.len() != 2 {
        out.push(format!("{} attempts; want the 503 and one retry", seen.len()));
    }
    let mut want = request.clone();
    if let Some(b) = want.body.as_mut().and_then(Value::as_object_mut) {
        b.insert(field.to_string(), json!(reference));
    }
    for (i, s) in seen.iter().enumerate() {
        out.extend(
            check_request(family, &want, s)
                .into_iter()
                .map(|m| format!("attempt {}: {m}", i + 1)),
        );
    }
    if seen.len() == 2 && seen[0].body != seen[1].body {
        out.push("the retry sent a different body".into());
    }
    out.extend(check_result(&case.expect, &got));
    out
}

#[tokio::test]
async fn every_payment_is_retried_only_with_its_reference() {
    let mut failures = Vec::new();
    let mut walked = 0;
    for family in [Family::V3, Family::Merchant] {
        let fixtures = fixtures(family);
        for op in operations().filter(|o| o.family == family && o.moves_money) {
            let id = op.id;
            let Some(fixture) = fixtures.get(id) else {
                failures.push(format!("{id}: moves money but has no fixture"));
                continue;
            };
            let Some(field) = fixture.reference.clone() else {
                failures.push(format!(
                    "{id}: the fixture must say which field is the reference (or null)"
                ));
                continue;
            };
            if field.as_deref() != op.idempotency_field {
                failures.push(format!(
                    "{id}: the fixture's reference {field:?} is not the spec's {:?}",
                    op.idempotency_field
                ));
                continue;
            }
            let case = &fixture.cases[0];
            walked += 1;
            let mut problems = Vec::new();
            match field.as_deref() {
                None => problems.extend(sent_once(op, case, case.body.as_ref(), None).await),
                Some(field) => {
                    let none = with_reference(case, field, None);
                    problems.extend(sent_once(op, case, none.as_ref(), Some(field)).await);
                    let blank = with_reference(case, field, Some("  "));
                    problems.extend(sent_once(op, case, blank.as_ref(), Some(field)).await);
                    problems.extend(retried(op, case, field, "money-test-ref-0001").await);
                }
            }
            failures.extend(problems.into_iter().map(|p| format!("{id}: {p}")));
        }
    }
    assert_eq!(
        walked, 24,
        "every money-moving operation of both specs is walked: {failures:#?}"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
