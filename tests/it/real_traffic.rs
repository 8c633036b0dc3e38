//! What real servers send, and what the SDK must make of it: any 2xx is success (NestJS answers
//! POSTs with 201), a payment that may have gone through is never called a definite failure,
//! request bodies go out as JavaScript writes them (and are signed over exactly those bytes,
//! DELETE included), the two kinds of 403 are told apart, and no credential a server echoes is
//! ever printed or logged.

use crate::common;

use std::collections::BTreeSet;
use std::time::Duration;

use crate::common::{Reply, json};
use kotanipay::Decimal;
use kotanipay::meta::Family;
use kotanipay::prelude::*;
use kotanipay::{ErrorKind, RetryPolicy, merchant, v3};
use serde_json::{Value, json};
use std::str::FromStr;

const V3_KEY: &str = "kp_live_7Hq2xV9mN4rT8wZ1";
const MERCHANT_KEY: &str = "mk_live_Qx81bN2vT7yR4mK0";
const SIGNING: &str = "sig_secret_9aF3kL2pQ7";

fn v3_at(base: &str) -> v3::Client {
    v3::Client::builder()
        .base_url(base)
        .api_key(V3_KEY)
        .retry(common::fast_retry())
        .build()
        .unwrap()
}

fn merchant_at(base: &str) -> merchant::Client {
    merchant::Client::builder()
        .base_url(base)
        .api_key(MERCHANT_KEY)
        .retry(common::fast_retry())
        .build()
        .unwrap()
}

fn body<T: serde::de::DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v.clone())
        .unwrap_or_else(|e| panic!("{v} is not a {}: {e}", std::any::type_name::<T>()))
}

const WALLET: &str = "f053188c-d924-4423-bbba-871eda0b1cd9";

/// Calls money-moving operation `id` with its fixture's main request (`tests/ops`), returning only
/// success or the error. `reference` sets the caller's reference where the operation has one;
/// without it the field is left out (or blank, where the body type requires it).
async fn call_money(
    v3c: &v3::Client,
    mc: &merchant::Client,
    id: &str,
    reference: bool,
) -> Result<(), kotanipay::Error> {
    let family = kotanipay::meta::operations()
        .find(|o| o.id == id)
        .unwrap_or_else(|| panic!("no operation {id}"))
        .family;
    let fixtures = crate::ops::fixtures(family);
    let fixture = &fixtures[id];
    let case = &fixture.cases[0];
    let field = fixture.reference.clone().flatten();
    let with = |value: Option<&str>| {
        let mut body = case.body.clone();
        if let (Some(b), Some(f)) = (body.as_mut().and_then(Value::as_object_mut), &field) {
            match value {
                Some(v) => b.insert(f.clone(), json!(v)),
                None => b.remove(f),
            };
        }
        body
    };
    let call = |body: Option<Value>| async move {
        match family {
            Family::V3 => crate::ops::dispatch::v3::dispatch(v3c, id, &case.params, body.as_ref()).await,
            Family::Merchant => {
                crate::ops::dispatch::merchant::dispatch(mc, id, &case.params, body.as_ref()).await
            }
        }
    };
    let got = if reference {
        call(with(Some("ref-20261201-0001"))).await
    } else {
        match call(with(None)).await {
            Err(fixture) if fixture.contains("missing field") => call(with(Some(""))).await,
            other => other,
        }
    };
    got.unwrap_or_else(|fixture| panic!("{id}: {fixture}")).map(drop)
}

fn money_ops() -> Vec<&'static kotanipay::meta::OperationMeta> {
    kotanipay::meta::operations().filter(|o| o.moves_money).collect()
}

#[tokio::test]
async fn every_money_moving_operation_of_both_families_accepts_201_created() {
    let ops = money_ops();
    assert!(ops.iter().any(|o| o.family == Family::V3) && ops.iter().any(|o| o.family == Family::Merchant));
    let mut done = BTreeSet::new();
    for op in ops {
        let example = op
            .example
            .expect("every operation has a success example")
            .to_string();
        let server = common::start(move |_, _| json(201, &example)).await;
        let (v, m) = (v3_at(&server.base_url), merchant_at(&server.base_url));
        call_money(&v, &m, op.id, false)
            .await
            .unwrap_or_else(|e| panic!("{}: a 201 with its success body failed: {e}", op.id));
        let seen = server.requests();
        assert_eq!(seen.len(), 1, "{}", op.id);
        assert_eq!(seen[0].method, op.method, "{}", op.id);
        assert!(
            op.matches_path(seen[0].path.split('?').next().unwrap()),
            "{}: {}",
            op.id,
            seen[0].path
        );
        done.insert(op.id);
    }
    assert_eq!(done.len(), money_ops().len());
}

#[tokio::test]
async fn the_mock_answers_creations_with_the_status_the_spec_documents() {
    for op in kotanipay::meta::operations() {
        assert!(op.success_statuses.contains(&op.success_status), "{}", op.id);
        if op.success_statuses.contains(&201) {
            assert_eq!(op.success_status, 201, "{}", op.id);
        }
    }
    // NestJS answers POSTs with 201; the v3 spec documents it on the creations.
    for id in ["create_mobile_money_deposit", "create_mobile_money_withdrawal"] {
        let op = kotanipay::meta::operation(Family::V3, id).unwrap();
        assert_eq!(op.success_status, 201, "{id}");
    }
}

#[tokio::test]
async fn a_202_is_success_and_an_empty_200_on_a_payload_is_not() {
    let integrator = r#"{"success":true,"message":"ok","data":{"organization":"A","first_name":"J","last_name":"D","email":"e@x.io","phone":"+254700000000"}}"#;
    let server = common::start(move |_, _| json(202, integrator)).await;
    let me = v3_at(&server.base_url).get_integrator().data().await.unwrap();
    assert_eq!(me.organization, "A");
    let server = common::start(|_, _| Reply::Full(204, vec![], vec![])).await;
    let err = v3_at(&server.base_url).get_integrator().data().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode, "{err:?}");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(204));
}

fn assert_unknown_outcome(err: &kotanipay::Error, status_op: &str) {
    assert!(err.is_outcome_unknown(), "{err:?}");
    assert!(!err.is_retryable(), "{err:?}");
    assert!(
        err.message().contains(&format!("`{status_op}`")),
        "{}",
        err.message()
    );
}

#[tokio::test]
async fn a_reset_mid_body_on_a_withdrawal_is_a_connection_failure_with_unknown_outcome() {
    let example = kotanipay::meta::operation(Family::V3, "create_mobile_money_withdrawal")
        .unwrap()
        .example
        .unwrap();
    let cut = example.as_bytes()[..example.len() / 2].to_vec();
    let full = example.len();
    for reference in [false, true] {
        let cut = cut.clone();
        let server = common::start(move |_, _| Reply::Truncated(201, full, cut.clone())).await;
        let c = v3_at(&server.base_url);
        let err = call_money(
            &c,
            &merchant_at(&server.base_url),
            "create_mobile_money_withdrawal",
            reference,
        )
        .await
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Connection, "{err:?}");
        assert_unknown_outcome(&err, "get_withdrawal_status");
        assert!(err.message().contains("referenceId"), "{}", err.message());
        assert_eq!(
            server.count(),
            1,
            "headers arrived: never sent again (reference: {reference})"
        );
    }
    // A read that breaks off mid-body is a connection failure too, never a decode error.
    let server = common::start(|_, _| Reply::Truncated(200, 400, b"{\"success\":true,\"da".to_vec())).await;
    let err = v3_at(&server.base_url).get_integrator().data().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connection, "{err:?}");
    assert!(!err.is_outcome_unknown());
}

#[tokio::test]
async fn an_unreadable_200_on_a_deposit_and_on_a_payout_leaves_the_outcome_unknown() {
    for (id, status_op) in [
        ("create_mobile_money_deposit", "get_deposit_status"),
        ("initiate_payout", "get_payout"),
    ] {
        for reply in [
            json(200, r#"{"success":true,"data":{"unexpected":"#),
            json(200, r#"{"status":"queued"}"#),
            Reply::Full(
                200,
                vec![("content-type".into(), "text/html".into())],
                b"<html>ok</html>".to_vec(),
            ),
        ] {
            let server = common::start(move |_, _| reply.clone()).await;
            let err = call_money(
                &v3_at(&server.base_url),
                &merchant_at(&server.base_url),
                id,
                false,
            )
            .await
            .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Decode, "{id}: {err:?}");
            let op = kotanipay::meta::operation(
                if id.starts_with("initiate") {
                    Family::Merchant
                } else {
                    Family::V3
                },
                id,
            )
            .unwrap();
            assert_unknown_outcome(&err, op.status_operation.unwrap_or(status_op));
            assert!(
                err.body().is_some_and(|b| !b.is_empty()),
                "the body is kept: {err:?}"
            );
            assert_eq!(server.count(), 1);
        }
    }
}

#[tokio::test]
async fn only_failures_that_prove_the_request_was_not_taken_are_definite() {
    let ns = |v: &v3::Client, m: &merchant::Client| {
        let (v, m) = (v.clone(), m.clone());
        async move {
            call_money(&v, &m, "create_mobile_money_withdrawal", false)
                .await
                .unwrap_err()
        }
    };
    // Nothing listening: the request never left.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let base = format!("http://127.0.0.1:{port}");
    let err = ns(&v3_at(&base), &merchant_at(&base)).await;
    assert_eq!(err.kind(), ErrorKind::Connection);
    assert!(!err.is_outcome_unknown(), "{err:?}");

    // A documented 4xx error body: refused.
    let server = common::start(|_, _| {
        json(
            400,
            r#"{"success":false,"message":"Insufficient balance","error_code":400,"data":{}}"#,
        )
    })
    .await;
    let err = ns(&v3_at(&server.base_url), &merchant_at(&server.base_url)).await;
    assert_eq!(err.kind(), ErrorKind::Api);
    assert!(!err.is_outcome_unknown(), "{err:?}");
    assert_eq!(err.message(), "Insufficient balance");

    // A 4xx in no documented shape (a proxy's page) proves nothing.
    let server = common::start(|_, _| {
        Reply::Full(
            400,
            vec![("content-type".into(), "text/html".into())],
            b"<h1>Bad Request</h1>".to_vec(),
        )
    })
    .await;
    let err = ns(&v3_at(&server.base_url), &merchant_at(&server.base_url)).await;
    assert_unknown_outcome(&err, "get_withdrawal_status");

    // 5xx, 408 and a timeout: unknown.
    for reply in [
        json(
            500,
            r#"{"success":false,"message":"boom","error_code":500,"data":{}}"#,
        ),
        json(
            408,
            r#"{"success":false,"message":"timeout","error_code":408,"data":{}}"#,
        ),
    ] {
        let server = common::start(move |_, _| reply.clone()).await;
        let err = ns(&v3_at(&server.base_url), &merchant_at(&server.base_url)).await;
        assert_unknown_outcome(&err, "get_withdrawal_status");
    }
    let server = common::start(|_, _| Reply::Slow(Duration::from_secs(2), 201, b"{}".to_vec())).await;
    let slow = v3::Client::builder()
        .base_url(&server.base_url)
        .api_key(V3_KEY)
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let err = ns(&slow, &merchant_at(&server.base_url)).await;
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert_unknown_outcome(&err, "get_withdrawal_status");

    // A reset before any answer: the request may have been read.
    let server = common::start(|_, _| Reply::Reset).await;
    let err = ns(&v3_at(&server.base_url), &merchant_at(&server.base_url)).await;
    assert_eq!(err.kind(), ErrorKind::Connection);
    assert_unknown_outcome(&err, "get_withdrawal_status");
}

#[tokio::test]
async fn after_a_retried_attempt_a_documented_4xx_is_not_definite() {
    // With its reference the withdrawal is retried after a 503; the 409 that follows may mean
    // the first attempt was taken.
    let server = common::start(|n, _| match n {
        0 => json(
            503,
            r#"{"success":false,"message":"busy","error_code":503,"data":{}}"#,
        ),
        _ => json(
            409,
            r#"{"success":false,"message":"Duplicate referenceId","error_code":409,"data":{}}"#,
        ),
    })
    .await;
    let err = call_money(
        &v3_at(&server.base_url),
        &merchant_at(&server.base_url),
        "create_mobile_money_withdrawal",
        true,
    )
    .await
    .unwrap_err();
    assert_eq!(server.count(), 2);
    assert_eq!(err.status().map(|s| s.as_u16()), Some(409));
    assert_unknown_outcome(&err, "get_withdrawal_status");
}

#[tokio::test]
async fn the_two_kinds_of_403_are_told_apart() {
    let server = common::start(|_, req| {
        if req.path.starts_with("/api/v3/integrator") {
            json(403, r#"{"statusCode":403,"message":"Forbidden resource","error":"Forbidden"}"#)
        } else {
            json(
                403,
                r#"{"success":false,"message":"Customer ck-1 is temporarily suspended until 2099-01-01T00:00:00.000Z","error_code":403,"data":{"bannedUntil":"2099-01-01T00:00:00.000Z"}}"#,
            )
        }
    })
    .await;
    let c = v3_at(&server.base_url);
    let err = c.get_integrator().data().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(err.is_permission_denied(), "{err:?}");
    assert!(!err.is_customer_suspended());
    assert!(!err.is_retryable());
    assert_eq!(err.banned_until(), None);
    assert!(err.to_string().contains("permission denied"), "{err}");

    let err = call_money(
        &c,
        &merchant_at(&server.base_url),
        "create_mobile_money_deposit",
        false,
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CustomerSuspended);
    assert!(err.is_customer_suspended());
    assert!(!err.is_permission_denied());
    assert_eq!(err.banned_until(), Some("2099-01-01T00:00:00.000Z"));
    assert!(
        err.retry_after()
            .is_some_and(|d| d > Duration::from_secs(365 * 24 * 3600))
    );
    assert!(err.is_retryable(), "after bannedUntil the same request may pass");
    assert!(
        !err.is_outcome_unknown(),
        "a documented 403 is a definite refusal"
    );
    assert!(!err.is_auth());
}

fn hmac_hex(secret: &str, msg: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut m = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    m.update(msg);
    hex::encode(m.finalize().into_bytes())
}

fn signed_client(base: &str) -> v3::Client {
    v3::Client::builder()
        .base_url(base)
        .api_key(V3_KEY)
        .signing_secret(SIGNING)
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap()
}

fn assert_signed_over(seen: &common::Seen, payload: &[u8]) {
    let ts = seen.header("x-timestamp").expect("x-timestamp");
    let nonce = seen.header("x-nonce").expect("x-nonce");
    let mut msg = format!("{ts}.{nonce}.").into_bytes();
    msg.extend_from_slice(payload);
    assert_eq!(
        seen.header("x-signature"),
        Some(hmac_hex(SIGNING, &msg).as_str()),
        "{} {} signed over {:?}",
        seen.method,
        seen.path,
        String::from_utf8_lossy(payload)
    );
}

#[tokio::test]
async fn delete_is_signed_over_its_body_or_an_empty_object_as_kotanis_samples_sign() {
    let server = common::start(|_, _| {
        json(
            200,
            r#"{"success":true,"message":"Settlement cancelled","data":{}}"#,
        )
    })
    .await;
    let c = signed_client(&server.base_url);
    c.cancel_settlement()
        .settlement_id("6653a1b2c3d4e5f6a7b8c9d0")
        .call()
        .await
        .unwrap();
    c.cancel_settlement_batch()
        .batch_id("b-77")
        .call()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    c.get_integrator().send().await.ok();
    let seen = server.requests();
    assert_eq!(seen[0].method, "DELETE");
    assert!(seen[0].body.is_empty());
    assert_signed_over(&seen[0], b"{}");
    assert_eq!(seen[1].method, "DELETE");
    assert_signed_over(&seen[1], b"{}");
    // GET stays as it was: the last path segment.
    assert_eq!(seen[2].method, "GET");
    assert_signed_over(&seen[2], b"integrator");
}

#[derive(serde::Deserialize)]
struct BodyVector {
    amount: String,
    output: String,
}

/// Bodies with exact decimal amounts (whole, fractional, tiny, large) as Node writes them
/// (`node tests/vectors/make_js_vectors.js`): the client sends exactly those bytes and signs
/// exactly them.
#[tokio::test]
async fn bodies_go_out_byte_for_byte_as_node_writes_them_and_are_signed_over_those_bytes() {
    let vectors: Vec<BodyVector> = serde_json::from_str(include_str!("../vectors/js_bodies.json")).unwrap();
    assert!(vectors.len() >= 10);
    let server = common::start(|_, _| {
        json(
            201,
            kotanipay::meta::operation(Family::V3, "create_mobile_money_withdrawal")
                .unwrap()
                .example
                .unwrap(),
        )
    })
    .await;
    let c = signed_client(&server.base_url);
    for v in &vectors {
        let amount = Decimal::from_str(&v.amount).unwrap();
        let b = v3::types::CreateWithdrawalRequest::builder()
            .customer_key("ck-1")
            .amount(amount)
            .wallet_id(WALLET);
        c.create_mobile_money_withdrawal().body(b).call().await.unwrap();
        let seen = server.requests().pop().unwrap();
        assert_eq!(
            String::from_utf8_lossy(&seen.body),
            v.output,
            "amount {}",
            v.amount
        );
        assert_signed_over(&seen, v.output.as_bytes());
        // And Node reads back the amount that was set.
        let back: Value = serde_json::from_slice(&seen.body).unwrap();
        let sent = Decimal::from_str(&back["amount"].to_string())
            .or_else(|_| Decimal::from_scientific(&back["amount"].to_string()))
            .unwrap();
        assert_eq!(sent, amount.normalize(), "{}", v.amount);
    }
}

#[tokio::test]
async fn an_amount_with_more_digits_than_a_double_holds_is_refused_before_sending() {
    let server = common::start(|_, _| json(201, "{}")).await;
    let c = v3_at(&server.base_url);
    for amount in [
        "0.1234567890123456789",
        "99999999999999.99",
        "12345678901234567.5",
        "9007199254740993",
    ] {
        let b = v3::types::CreateWithdrawalRequest::builder()
            .customer_key("ck-1")
            .amount(Decimal::from_str(amount).unwrap())
            .wallet_id(WALLET);
        let err = c
            .create_mobile_money_withdrawal()
            .body(b)
            .call()
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidRequest, "{amount}: {err:?}");
        assert!(!err.is_outcome_unknown(), "nothing was sent: {err:?}");
        assert!(err.message().contains(amount), "{amount}: {}", err.message());
    }
    assert_eq!(server.count(), 0, "nothing was sent");
}

#[tokio::test]
async fn amounts_decode_exactly_from_numbers_and_numeric_strings() {
    let server = common::start(|_, _| {
        json(
            200,
            r#"{"success":true,"message":"ok","data":[
                {"id":"w1","name":"KES","status":"ACTIVE","integrator":"i-1","type":"fiat","currency":"KES","balance":0.29,"payout_balance":1500.5},
                {"id":"w2","name":"NGN","status":"ACTIVE","integrator":"i-1","type":"fiat","currency":"NGN","balance":"500.00","deposit_balance":1e-7}
            ]}"#,
        )
    })
    .await;
    let wallets = v3_at(&server.base_url).list_fiat_wallets().data().await.unwrap();
    assert_eq!(wallets[0].balance, Decimal::from_str("0.29").unwrap());
    assert_eq!(
        wallets[0].deposit_balance, None,
        "fiat wallets may come without deposit_balance"
    );
    assert_eq!(wallets[1].balance, Decimal::from_str("500.00").unwrap());
    assert_eq!(
        wallets[1].balance.to_string(),
        "500.00",
        "a numeric string keeps its scale"
    );
    assert_eq!(
        wallets[1].deposit_balance,
        Some(Decimal::from_str("0.0000001").unwrap())
    );
    // The ODOS pitfall: 0.29 * 100 is 29 exactly, not 28.999999999999996.
    assert_eq!(wallets[0].balance * Decimal::from(100), Decimal::from(29));
}

#[tokio::test]
async fn a_number_javascript_cannot_hold_is_refused_before_sending() {
    let server = common::start(|_, _| json(500, "{}")).await;
    let shop = merchant_at(&server.base_url);
    let req: merchant::types::CreateCheckoutRequest = body(json!({
        "amount": 100, "currency_code": "NGN", "meta_data": {"order": 9007199254740993u64}
    }));
    let err = shop.create_checkout().body(req).call().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRequest, "{err:?}");
    assert!(err.message().contains("9007199254740993"), "{}", err.message());
    assert_eq!(server.count(), 0, "nothing was sent");
}

/// Every way an error can be printed, joined.
fn every_text(err: &kotanipay::Error) -> String {
    let mut out = format!("{err}\n{err:?}\n{err:#?}\n{}\n", err.message());
    out.push_str(&err.body_text().unwrap_or_default());
    out.push_str(&String::from_utf8_lossy(err.body().unwrap_or_default()));
    out.push_str(&format!("{:?}", err.api_body_dyn()));
    for v in err.validation_errors() {
        out.push_str(&format!("{} {}", v.location, v.message));
    }
    let mut src = std::error::Error::source(err);
    while let Some(s) = src {
        out.push_str(&format!("{s} {s:?}"));
        src = s.source();
    }
    out
}

#[tokio::test]
async fn a_credential_the_server_echoes_is_never_printed_or_logged() {
    let logs = common::logs();

    let server = common::start(|_, req| {
        let v3 = req.path.starts_with("/api/v3");
        let cred = if v3 {
            req.header("authorization").unwrap_or_default().to_string()
        } else {
            req.header("x-api-key").unwrap_or_default().to_string()
        };
        let cred = cred.trim_start_matches("Bearer ");
        match (v3, req.path.contains("integrator") || req.path.contains("webhooks")) {
            (true, true) => json(
                401,
                &format!(r#"{{"success":false,"message":"rejected credential Bearer {cred}","error_code":401,"data":{{"errors":["key {cred} unknown"]}}}}"#),
            ),
            (true, false) => json(
                500,
                &format!(r#"{{"statusCode":500,"message":"signing secret {SIGNING} and key {cred} failed","error":"Internal"}}"#),
            ),
            (false, true) => json(401, &format!(r#"{{"detail":"invalid x-api-key {cred}"}}"#)),
            (false, false) => json(
                500,
                &format!(r#"{{"detail":[{{"loc":["header","x-api-key"],"msg":"bad key {cred}","type":"value_error"}}]}}"#),
            ),
        }
    })
    .await;
    let v = v3::Client::builder()
        .base_url(&server.base_url)
        .api_key(V3_KEY)
        .signing_secret(SIGNING)
        .retry(RetryPolicy::disabled())
        .log_bodies(true)
        .build()
        .unwrap();
    let m = merchant::Client::builder()
        .base_url(&server.base_url)
        .api_key(MERCHANT_KEY)
        .retry(RetryPolicy::disabled())
        .log_bodies(true)
        .build()
        .unwrap();
    let mut errors = vec![
        v.get_integrator().data().await.unwrap_err(),
        call_money(&v, &m, "create_mobile_money_withdrawal", false)
            .await
            .unwrap_err(),
        m.get_webhooks().data().await.unwrap_err(),
        call_money(&v, &m, "initiate_payout", false).await.unwrap_err(),
    ];
    errors.push(m.get_api_keys().data().await.unwrap_err());
    let statuses: Vec<_> = errors.iter().map(|e| e.status().map(|s| s.as_u16())).collect();
    assert_eq!(statuses[..4], [Some(401), Some(500), Some(401), Some(500)]);
    // The server did echo them: the check below is not vacuous.
    assert!(server.count() >= 4);
    for err in &errors {
        let text = every_text(err);
        for secret in [V3_KEY, MERCHANT_KEY, SIGNING] {
            assert!(
                !text.contains(secret),
                "{secret} printed by {}: {text}",
                err.operation()
            );
        }
        assert!(text.contains("[REDACTED]"), "{text}");
    }
    assert!(
        errors[0]
            .message()
            .contains("rejected credential Bearer [REDACTED]"),
        "{}",
        errors[0].message()
    );
    assert!(
        errors[2].message().contains("invalid x-api-key [REDACTED]"),
        "{}",
        errors[2].message()
    );
    assert_eq!(errors[0].validation_errors()[0].message, "key [REDACTED] unknown");
    let logged = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(logged.contains("response_body"), "bodies were logged: {logged}");
    for secret in [V3_KEY, MERCHANT_KEY, SIGNING] {
        assert!(!logged.contains(secret), "{secret} in the logs:\n{logged}");
    }
}

/// Kotani's saved deposit status of 2023 is the payload without the envelope: a read decodes it
/// as the envelope's `data`; a money movement never guesses so.
#[tokio::test]
async fn a_bare_payload_decodes_for_a_read_but_never_for_a_payment() {
    let bare = r#"{
    "status": "SUCCESSFUL",
    "id": "64d0e73a195fea05e202d07f",
    "amount": 2,
    "wallet_id": "64d0e321eead2ad6233ddc45",
    "callback_url": "https://shop.example/kotani/callback",
    "reference_id": "nN9x4JYt",
    "reference_number": 90402389,
    "created_at": "2023-08-07T12:44:42.915Z",
    "transaction_cost": 0,
    "transaction_amount": 2,
    "customer_key": "ck-2023"
}"#;
    let server = common::start(move |_, _| json(200, bare)).await;
    let c = v3_at(&server.base_url);
    let d = c
        .get_deposit_status()
        .reference_id("nN9x4JYt")
        .data()
        .await
        .unwrap();
    assert_eq!(d.reference_id.as_deref(), Some("nN9x4JYt"));
    assert_eq!(d.amount, Decimal::from(2));
    let err = call_money(
        &c,
        &merchant_at(&server.base_url),
        "create_mobile_money_deposit",
        false,
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert!(err.is_outcome_unknown());
}
