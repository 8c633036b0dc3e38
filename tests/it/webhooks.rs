//! Webhook verification and typed events, both families (`kotanipay::webhook`).
//!
//! The signature vectors are computed outside the crate:
//!
//! - v3: the message is what Kotani's Node.js sender signs, produced by Node's own serializer,
//!   and the MAC by openssl, e.g.
//!   `node -e 'process.stdout.write(JSON.stringify({event, data}))' | openssl dgst -sha256 -hmac 'whsec_kotani_test_2025'`
//!   (node v20.20.2, OpenSSL 3). The message is hard-coded below as `V3_CANONICAL`.
//! - merchant: the raw body is hard-coded as `MERCHANT_BODY` and
//!   `printf '%s' "$MERCHANT_BODY" | openssl dgst -sha256 -hmac 'whsec_merchant_hook_1'`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, HeaderValue};
use kotanipay::webhook::events::{SettlementBatchUpdate, V3_EVENTS};
use kotanipay::webhook::{
    self, IdempotencyStore, MemoryIdempotencyStore, MerchantPayload, TransactionCallback, TransactionKind,
    V3Payload, WebhookErrorKind as K, merchant, testing, v3,
};
use rust_decimal_macros::dec;
use serde_json::json;

const V3_SECRET: &str = "whsec_kotani_test_2025";
const V3_OLD_SECRET: &str = "whsec_old_rotation";
const MERCHANT_SECRET: &str = "whsec_merchant_hook_1";
const MERCHANT_OLD_SECRET: &str = "whsec_merchant_old";

/// `JSON.stringify({event, data})` by Node 20: non-ASCII written raw, floats, integers, `1e+21`
/// and `3e-7` as JavaScript writes them, nested arrays, `null`, the escapes `\n \t \" \\`,
/// `\u0001`, and U+2028 / U+007F written raw.
const V3_CANONICAL: &str = concat!(
    r#"{"event":"transaction.deposit.status.updated","data":{"status":"SUCCESSFUL","#,
    r#""reference_id":"dep-2025-0001","reference_number":1736,"id":"6650f0c2a1","amount":1000,"#,
    r#""transaction_amount":1025.5,"transaction_cost":25.5,"wallet_id":"w-1","customer_key":"cus_42","#,
    r#""customer_name":"Zoë Ngũgĩ — 東京 😀","telco_id":"OEI2AK4D9X","error_message":null,"#,
    r#""fees":[[0.1,2,-0.5],[3e-7,1e+21,123456789012]],"#,
    r#""tags":["a/b","line\nbreak","tab\t","quote\"","back\\slash","\u0001",""#,
    "\u{2028}",
    r#"",""#,
    "\u{7f}",
    r#""],"nested":{"deep":[{"x":null},[],{}]},"ok":true}}"#,
);
/// openssl, key `V3_SECRET`.
const V3_HEX: &str = "9f97033e09174904a3f4753b7e879888510e9ff95edc431ffe7875a919f2a700";
/// openssl, key `V3_OLD_SECRET`.
const V3_HEX_OLD: &str = "3e77f4e7293e4426a44d504435c31b66582bde85450138ce82164cfee0f3ce61";

/// Node 20: `JSON.stringify({event: "refund.failed", data: {referenceId: "off-9", name: "\ud83d",
/// pair: "\ud83d\ude00", refundAmount: 0.000125}})` — a lone surrogate is escaped, a pair is not.
const V3_LONE_CANONICAL: &str = r#"{"event":"refund.failed","data":{"referenceId":"off-9","name":"\ud83d","pair":"😀","refundAmount":0.000125}}"#;
/// openssl, key `V3_SECRET`.
const V3_LONE_HEX: &str = "9ac9f69d75ab16086943343da2b3b1ec58ce7a3227375f0584121bd20a6dc744";

/// A merchant body (written by Node's `JSON.stringify`; signed as raw bytes).
const MERCHANT_BODY: &str = concat!(
    r#"{"version":"v1","event_type":"checkout.paid","timestamp":"2025-11-17T12:34:56Z","#,
    r#""idempotency_key":"7f9c2b1e-4d3a-4c8e-9b2f-1a2b3c4d5e6f","#,
    r#""merchant_id":"7bb54443-6fc9-4a1d-ab46-d787ec90c87f","data":{"#,
    r#""id":"5e70bd2a-1d15-4e47-a54e-aeb395ddb2a8","amount":25000.75,"currency_code":"NGN","#,
    r#""status":"paid","customer_name":"Adaeze Ọbị — Café ☕","items":[[1,2.5],[3,null]],"#,
    r#""metadata":{"order_id":"1042","tags":["a","b"],"note":null},"paid_at":null,"count":3}}"#,
);
/// openssl, key `MERCHANT_SECRET`.
const MERCHANT_HEX: &str = "4fe3f3431206bf69c848f1095450c8aab014470f37609ef26c8bdf8e33178748";
/// openssl, key `MERCHANT_OLD_SECRET`.
const MERCHANT_HEX_OLD: &str = "6830167dda56ca01af5b1a59d9045c2125abf5d91ebbd62c616ba2fb3e810a02";
/// `MERCHANT_BODY`'s timestamp.
const MERCHANT_AT: u64 = 1_763_382_896;

// ---------------------------------------------------------------------------------------------
// helpers

/// The body Kotani sends: `JSON.stringify({event, data, signature})`.
fn v3_body(canonical: &str, hex: &str) -> Vec<u8> {
    let mut b = canonical[..canonical.len() - 1].to_string();
    b.push_str(&format!(r#","signature":"sha256={hex}"}}"#));
    b.into_bytes()
}

fn v3_headers(signature: &str, event: Option<&str>) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("x-kotani-signature", HeaderValue::from_str(signature).unwrap());
    if let Some(e) = event {
        h.insert("x-kotani-event", HeaderValue::from_str(e).unwrap());
    }
    h.insert("x-kotani-integrator", HeaderValue::from_static("integ-77"));
    h
}

fn v3_verifier() -> v3::Verifier {
    v3::Verifier::new([V3_SECRET])
}

fn v3_kind(v: &v3::Verifier, headers: &HeaderMap, body: &[u8]) -> K {
    v.verify(headers, body).expect_err("must be rejected").kind()
}

fn merchant_headers(hex_sig: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        "x-webhook-signature",
        HeaderValue::from_str(&format!("sha256={hex_sig}")).unwrap(),
    );
    h.insert("x-webhook-event", HeaderValue::from_static("checkout.paid"));
    h.insert(
        "x-webhook-idempotency-key",
        HeaderValue::from_static("7f9c2b1e-4d3a-4c8e-9b2f-1a2b3c4d5e6f"),
    );
    h
}

fn merchant_verify(
    v: &merchant::Verifier,
    h: &HeaderMap,
    body: &[u8],
) -> Result<webhook::MerchantEvent, webhook::WebhookError> {
    let parts = merchant::DeliveryHeaders::from_map(h)?;
    v.verify_parts_at(parts, body, UNIX_EPOCH + Duration::from_secs(MERCHANT_AT + 60))
}

// ---------------------------------------------------------------------------------------------
// v3 vectors

#[test]
fn v3_vector_verifies_and_types_the_deposit() {
    let body = v3_body(V3_CANONICAL, V3_HEX);
    assert_eq!(
        testing::v3_signature(V3_SECRET, &body),
        format!("sha256={V3_HEX}")
    );

    let headers = v3_headers(
        &format!("sha256={V3_HEX}"),
        Some("transaction.deposit.status.updated"),
    );
    let event = v3_verifier().verify(&headers, &body).unwrap();
    assert_eq!(event.name(), "transaction.deposit.status.updated");
    assert_eq!(event.integrator(), Some("integ-77"));
    assert_eq!(event.data()["customer_name"], "Zoë Ngũgĩ — 東京 😀");
    assert_eq!(event.data()["fees"][1][1], json!(1e21));
    let V3Payload::DepositStatusUpdated(d) = event.payload() else {
        panic!("expected a deposit, got {:?}", event.payload())
    };
    assert_eq!(d.status, kotanipay::v3::types::DepositStatus::Successful);
    assert_eq!(d.reference_id, "dep-2025-0001");
    assert_eq!(d.reference_number.as_deref(), Some("1736"));
    assert_eq!(d.amount, Some(dec!(1000)));
    assert_eq!(d.transaction_amount, Some(dec!(1025.5)));
    assert_eq!(d.transaction_cost, Some(dec!(25.5)));
    assert_eq!(d.error_message, None);
    assert_eq!(d.telco_id.as_deref(), Some("OEI2AK4D9X"));
}

#[test]
fn v3_whitespace_and_other_escapes_give_the_same_message() {
    // The same delivery pretty-printed, with `é`, `/`, the emoji, U+2028 and DEL written as
    // JSON escapes and the control character in upper-case hex: JSON.parse + JSON.stringify
    // on the sender's side yields the same message, so it verifies.
    let pretty = format!(
        r#"
        {{ "event" : "transaction.deposit.status.updated",
           "data" : {{
             "status" : "SUCCESSFUL", "reference_id" : "dep-2025-0001", "reference_number" : 1736,
             "id" : "6650f0c2a1", "amount" : 1000, "transaction_amount" : 1025.5,
             "transaction_cost" : 25.5, "wallet_id" : "w-1", "customer_key" : "cus_42",
             "customer_name" : "Zo\u00eb Ng\u0169g\u0129 \u2014 \u6771\u4eac \ud83d\ude00",
             "telco_id" : "OEI2AK4D9X", "error_message" : null,
             "fees" : [ [ 0.1, 2, -0.5 ], [ 3e-7, 1e+21, 123456789012 ] ],
             "tags" : [ "a\/b", "line\nbreak", "tab\u0009", "quote\"", "back\\slash", "\u0001",
                        "\u2028", "\u007F" ],
             "nested" : {{ "deep" : [ {{ "x" : null }}, [ ], {{ }} ] }},
             "ok" : true
           }},
           "signature" : "sha256={V3_HEX}"
        }}
        "#
    );
    let headers = v3_headers(&format!("sha256={V3_HEX}"), None);
    let event = v3_verifier().verify(&headers, pretty.as_bytes()).unwrap();
    assert!(matches!(event.payload(), V3Payload::DepositStatusUpdated(_)));
    assert_eq!(
        testing::v3_signature(V3_SECRET, pretty.as_bytes()),
        format!("sha256={V3_HEX}")
    );
}

#[test]
fn v3_lone_surrogate_vector() {
    let body = v3_body(V3_LONE_CANONICAL, V3_LONE_HEX);
    let headers = v3_headers(&format!("sha256={V3_LONE_HEX}"), Some("refund.failed"));
    let event = v3_verifier().verify(&headers, &body).unwrap();
    // Verified over the escaped lone surrogate; read as U+FFFD.
    assert_eq!(event.data()["name"], "\u{FFFD}");
    assert_eq!(event.data()["pair"], "😀");
    let V3Payload::RefundFailed(r) = event.payload() else {
        panic!("{:?}", event.payload())
    };
    assert_eq!(r.reference_id.as_deref(), Some("off-9"));
    assert_eq!(r.refund_amount, Some(dec!(0.000125)));
}

#[test]
fn v3_event_and_data_order_is_the_object_literals() {
    // JSON.stringify({event, data}) always writes `event` first: a body with `data` first (or
    // `signature` first) carries the same signed message.
    let data = &V3_CANONICAL[V3_CANONICAL.find(r#""data":"#).unwrap()..V3_CANONICAL.len() - 1];
    let body =
        format!(r#"{{"signature":"sha256={V3_HEX}",{data},"event":"transaction.deposit.status.updated"}}"#);
    let headers = v3_headers(&format!("sha256={V3_HEX}"), None);
    assert!(v3_verifier().verify(&headers, body.as_bytes()).is_ok());
}

// ---------------------------------------------------------------------------------------------
// v3 tampering

#[test]
fn v3_tampering() {
    let v = v3_verifier();
    let good_sig = format!("sha256={V3_HEX}");
    let body = v3_body(V3_CANONICAL, V3_HEX);
    let h = v3_headers(&good_sig, Some("transaction.deposit.status.updated"));
    assert!(v.verify(&h, &body).is_ok());

    // One changed byte in `data`.
    let changed = String::from_utf8(body.clone())
        .unwrap()
        .replace(r#""w-1""#, r#""w-2""#);
    assert_eq!(v3_kind(&v, &h, changed.as_bytes()), K::SignatureMismatch);
    let changed = String::from_utf8(body.clone())
        .unwrap()
        .replace("1025.5", "1025.6");
    assert_eq!(v3_kind(&v, &h, changed.as_bytes()), K::SignatureMismatch);
    // The same number written another way is the same message (JSON.parse + JSON.stringify
    // writes `1025.5` for all of them), and `data()` is read from the signed message, not the
    // text: `1736.0` is the integer 1736 that was signed.
    for same in ["1025.50", "1.0255e3", "10255E-1"] {
        let changed = String::from_utf8(body.clone()).unwrap().replace("1025.5", same);
        assert!(v.verify(&h, changed.as_bytes()).is_ok(), "{same}");
    }
    let changed = String::from_utf8(body.clone())
        .unwrap()
        .replace(":1736,", ":1736.0,");
    assert_eq!(
        v.verify(&h, changed.as_bytes()).unwrap().data()["reference_number"],
        json!(1736)
    );
    // A number a double does not hold as written cannot come from a JavaScript sender: refused
    // before any MAC, never rounded into a message that verifies.
    for inexact in ["1025.50000000000000001", "1e400"] {
        let changed = String::from_utf8(body.clone())
            .unwrap()
            .replace("1025.5", inexact);
        assert_eq!(
            v3_kind(&v, &h, changed.as_bytes()),
            K::InvalidPayload,
            "{inexact}"
        );
    }

    // Reordered keys inside `data`: JSON.stringify would write them in the new order.
    let reordered = String::from_utf8(body.clone()).unwrap().replace(
        r#""status":"SUCCESSFUL","reference_id":"dep-2025-0001""#,
        r#""reference_id":"dep-2025-0001","status":"SUCCESSFUL""#,
    );
    assert_ne!(reordered.as_bytes(), &body[..]);
    assert_eq!(v3_kind(&v, &h, reordered.as_bytes()), K::SignatureMismatch);

    // Added whitespace between tokens: same message, accepted.
    let spaced = String::from_utf8(body.clone())
        .unwrap()
        .replacen(r#""data":{"#, "\n \"data\" :\t{ ", 1)
        .replacen(r#","ok":true}"#, " , \"ok\" : true } ", 1);
    assert!(v.verify(&h, spaced.as_bytes()).is_ok());
    // Whitespace inside a string is content: rejected.
    let inside = String::from_utf8(body.clone())
        .unwrap()
        .replace(r#""w-1""#, r#"" w-1""#);
    assert_eq!(v3_kind(&v, &h, inside.as_bytes()), K::SignatureMismatch);

    // Wrong secret.
    assert_eq!(
        v3_kind(&v3::Verifier::new(["not-the-secret"]), &h, &body),
        K::SignatureMismatch
    );

    // Truncated signature: malformed (a digest is exactly 64 hex digits).
    for cut in [62, 63, 32, 0] {
        let t = v3_headers(&format!("sha256={}", &V3_HEX[..cut]), None);
        assert_eq!(v3_kind(&v, &t, &body), K::MalformedHeader, "cut to {cut}");
    }

    // Upper-case hex (and prefix): the same MAC, accepted.
    let upper = v3_headers(&format!("SHA256={}", V3_HEX.to_uppercase()), None);
    assert!(v.verify(&upper, &body).is_ok());

    // A flipped hex digit is a well-formed but wrong signature.
    let mut flipped = V3_HEX.to_string();
    flipped.replace_range(0..1, if &V3_HEX[..1] == "0" { "1" } else { "0" });
    let fh = v3_headers(&format!("sha256={flipped}"), None);
    assert_eq!(
        v3_kind(&v, &fh, &v3_body(V3_CANONICAL, &flipped)),
        K::SignatureMismatch
    );

    // Missing header.
    let mut missing = h.clone();
    missing.remove("x-kotani-signature");
    assert_eq!(v3_kind(&v, &missing, &body), K::MissingHeader);

    // Malformed headers.
    for bad in [
        V3_HEX.to_string(),
        format!("sha1={V3_HEX}"),
        format!("sha256={V3_HEX}0"),
        "sha256=".into(),
        format!("sha256={}", "zz".repeat(32)),
    ] {
        let b = v3_headers(&bad, None);
        assert_eq!(v3_kind(&v, &b, &body), K::MalformedHeader, "{bad}");
    }
    let mut twice = h.clone();
    twice.append("x-kotani-signature", HeaderValue::from_str(&good_sig).unwrap());
    assert_eq!(v3_kind(&v, &twice, &body), K::MalformedHeader);
    let mut binary = h.clone();
    binary.insert(
        "x-kotani-signature",
        HeaderValue::from_bytes(b"sha256=\xff").unwrap(),
    );
    assert_eq!(v3_kind(&v, &binary, &body), K::MalformedHeader);

    // The body's `signature` copy disagrees with the header (the MAC itself still matches).
    let other = "0".repeat(64);
    let disagree = v3_body(V3_CANONICAL, &other);
    assert_eq!(v3_kind(&v, &h, &disagree), K::BodySignatureMismatch);
    let not_string = format!("{},\"signature\":42}}", &V3_CANONICAL[..V3_CANONICAL.len() - 1]);
    assert_eq!(v3_kind(&v, &h, not_string.as_bytes()), K::BodySignatureMismatch);
    // ...but it may be absent (the header is authoritative), or in upper case.
    assert!(v.verify(&h, V3_CANONICAL.as_bytes()).is_ok());
    assert!(
        v.verify(&h, &v3_body(V3_CANONICAL, &V3_HEX.to_uppercase()))
            .is_ok()
    );

    // Non-JSON bodies.
    for bad in [&b"not json"[..], b"", b"{", b"{\"event\":\"x\",}", b"\xff\xfe{}"] {
        assert_eq!(v3_kind(&v, &h, bad), K::NotJson, "{bad:?}");
    }
    // JSON, but not a delivery.
    for bad in [&b"[]"[..], b"42", br#"{"data":{}}"#, br#"{"event":7,"data":{}}"#] {
        assert_eq!(v3_kind(&v, &h, bad), K::InvalidPayload, "{bad:?}");
    }

    // The unsigned event header disagrees with the signed event.
    let lying = v3_headers(&good_sig, Some("transaction.withdrawal.status.updated"));
    assert_eq!(v3_kind(&v, &lying, &body), K::HeaderMismatch);
}

#[test]
fn v3_misconfiguration_fails_closed() {
    let body = v3_body(V3_CANONICAL, V3_HEX);
    let h = v3_headers(&format!("sha256={V3_HEX}"), None);
    assert_eq!(
        v3_kind(&v3::Verifier::new(Vec::<String>::new()), &h, &body),
        K::Configuration
    );
    assert_eq!(
        v3_kind(&v3::Verifier::new([V3_SECRET, ""]), &h, &body),
        K::Configuration
    );
    let e = v3::Verifier::new([""]).verify(&h, &body).unwrap_err();
    assert_eq!(e.http_status().as_u16(), 500);
}

#[test]
fn v3_rotation() {
    let old_sig = format!("sha256={V3_HEX_OLD}");
    let body = v3_body(V3_CANONICAL, V3_HEX_OLD);
    let h = v3_headers(&old_sig, None);
    assert!(
        v3::Verifier::new([V3_SECRET, V3_OLD_SECRET])
            .verify(&h, &body)
            .is_ok()
    );
    assert!(
        v3::Verifier::new([V3_SECRET])
            .with_secret(V3_OLD_SECRET)
            .verify(&h, &body)
            .is_ok()
    );
    assert_eq!(
        v3_kind(&v3::Verifier::new([V3_SECRET]), &h, &body),
        K::SignatureMismatch
    );
    // And the new secret's deliveries while both are configured.
    let new = v3_headers(&format!("sha256={V3_HEX}"), None);
    assert!(
        v3::Verifier::new([V3_OLD_SECRET, V3_SECRET])
            .verify(&new, &v3_body(V3_CANONICAL, V3_HEX))
            .is_ok()
    );
}

#[test]
fn v3_str_headers_variant() {
    let body = v3_body(V3_CANONICAL, V3_HEX);
    let sig = format!("sha256={V3_HEX}");
    let parts = v3::DeliveryHeaders {
        signature: Some(&sig),
        event: Some("transaction.deposit.status.updated"),
        integrator: Some("integ-1"),
    };
    let e = v3_verifier().verify_parts(parts, &body).unwrap();
    assert_eq!(e.integrator(), Some("integ-1"));
    let none = v3::DeliveryHeaders::default();
    assert_eq!(
        v3_verifier().verify_parts(none, &body).unwrap_err().kind(),
        K::MissingHeader
    );
}

// ---------------------------------------------------------------------------------------------
// v3: the two documented readings of what is signed

/// Node 20, `JSON.stringify({event, data, timestamp, id})` for a withdrawal delivery carrying
/// two extra top-level members. `data` was built as `{status, referenceId, amount, fee, "10",
/// "2", errorMessage}`: JavaScript's property order puts `"2"` and `"10"` first.
const V3_EXTRA_MESSAGE: &str = concat!(
    r#"{"event":"transaction.withdrawal.status.updated","data":{"2":"two","10":"ten","#,
    r#""status":"SUCCESSFUL","referenceId":"payout-7","amount":500,"fee":2.5,"errorMessage":null},"#,
    r#""timestamp":1763382896,"id":"evt_01J9Z6"}"#,
);
/// Reading 2 (the webhook page's sample code: the body without `signature`): openssl over
/// `V3_EXTRA_MESSAGE`, key `V3_SECRET`.
const V3_EXTRA_HEX_WHOLE: &str = "ee551c079d8aad0b2257c921dcf9a1a26b976114ca6b8175bfc5e060677b3bc5";
/// The same, key `V3_OLD_SECRET`.
const V3_EXTRA_HEX_WHOLE_OLD: &str = "c006102567c7787671d06631d6822651adbf497d3e0d01d0ca75e0d4a321eecc";
/// Reading 1 (the page's formula): openssl over `JSON.stringify({event, data})` of the same
/// delivery, i.e. `V3_EXTRA_MESSAGE` without `timestamp` and `id`, key `V3_SECRET`.
const V3_EXTRA_HEX_EVENT_DATA: &str = "c8f716fd39e7c7d597a0d2d9f54f979a19fc27abe9ba44562dd846a9d15e458c";
/// Neither: openssl over `JSON.stringify({data, event})`, key `V3_SECRET`.
const V3_EXTRA_HEX_NEITHER: &str = "8ba8d58a3db526ece75bca6127b19340fad932c7ef35d53b6c841710475f7469";

fn replaced(body: &[u8], from: &str, to: &str) -> Vec<u8> {
    let text = String::from_utf8(body.to_vec()).unwrap();
    assert!(text.contains(from), "{from}");
    text.replacen(from, to, 1).into_bytes()
}

#[test]
fn v3_reading_2_covers_the_extra_top_level_members() {
    let v = v3_verifier();
    let sig = format!("sha256={V3_EXTRA_HEX_WHOLE}");
    let h = v3_headers(&sig, Some("transaction.withdrawal.status.updated"));
    let body = v3_body(V3_EXTRA_MESSAGE, V3_EXTRA_HEX_WHOLE);
    let event = v.verify(&h, &body).unwrap();
    let V3Payload::WithdrawalStatusUpdated(w) = event.payload() else {
        panic!("{:?}", event.payload())
    };
    assert_eq!(w.reference_id, "payout-7");
    assert_eq!(event.data()["2"], "two");
    assert!(event.data().get("timestamp").is_none());
    assert_eq!(
        testing::v3_signature(V3_SECRET, &body),
        format!("sha256={V3_EXTRA_HEX_EVENT_DATA}"),
        "the testing helper signs reading 1"
    );

    // What JSON.parse + JSON.stringify make of it is what counts: whitespace, `data`'s index
    // keys in another order, another spelling of a number, `signature` first or absent.
    let pretty = format!(
        r#" {{ "signature" : "{sig}",
              "event" : "transaction.withdrawal.status.updated",
              "data" : {{ "10" : "ten", "status" : "SUCCESSFUL", "referenceId" : "payout-7",
                          "amount" : 500.0, "fee" : 2.50, "2" : "two", "errorMessage" : null }},
              "timestamp" : 1763382896, "id" : "evt_01J9Z6" }} "#
    );
    assert!(v.verify(&h, pretty.as_bytes()).is_ok());
    assert!(v.verify(&h, V3_EXTRA_MESSAGE.as_bytes()).is_ok());

    // Tampering with an extra member, or adding, dropping or moving one, breaks reading 2 (and
    // reading 1 never matched this MAC).
    for (from, to) in [
        ("1763382896", "1763382897"),
        ("evt_01J9Z6", "evt_01J9Z7"),
        (r#","id":"evt_01J9Z6""#, ""),
        (r#","id":"evt_01J9Z6""#, r#","id":"evt_01J9Z6","retry":1"#),
        (r#","timestamp":1763382896"#, ""),
        ("payout-7", "payout-8"),
    ] {
        let tampered = replaced(&body, from, to);
        assert_eq!(v3_kind(&v, &h, &tampered), K::SignatureMismatch, "{from} -> {to}");
    }
    let moved = replaced(
        &replaced(&body, r#","timestamp":1763382896"#, ""),
        r#""event":"#,
        r#""timestamp":1763382896,"event":"#,
    );
    assert_eq!(v3_kind(&v, &h, &moved), K::SignatureMismatch);

    // The body's copy must still agree with the header; the event header with the event.
    let disagree = v3_body(V3_EXTRA_MESSAGE, &"0".repeat(64));
    assert_eq!(v3_kind(&v, &h, &disagree), K::BodySignatureMismatch);
    let lying = v3_headers(&sig, Some("transaction.deposit.status.updated"));
    assert_eq!(v3_kind(&v, &lying, &body), K::HeaderMismatch);

    // Rotation: the old secret's reading-2 MAC, while both are configured.
    let old = v3_headers(&format!("sha256={V3_EXTRA_HEX_WHOLE_OLD}"), None);
    let old_body = v3_body(V3_EXTRA_MESSAGE, V3_EXTRA_HEX_WHOLE_OLD);
    assert!(
        v3::Verifier::new([V3_SECRET, V3_OLD_SECRET])
            .verify(&old, &old_body)
            .is_ok()
    );
    assert_eq!(v3_kind(&v, &old, &old_body), K::SignatureMismatch);
}

#[test]
fn v3_reading_1_of_a_delivery_with_extra_members() {
    let v = v3_verifier();
    let h = v3_headers(&format!("sha256={V3_EXTRA_HEX_EVENT_DATA}"), None);
    let body = v3_body(V3_EXTRA_MESSAGE, V3_EXTRA_HEX_EVENT_DATA);
    let event = v.verify(&h, &body).unwrap();
    assert_eq!(event.name(), "transaction.withdrawal.status.updated");
    assert_eq!(event.data()["10"], "ten");
    // Reading 1 covers `event` and `data` only: extra members may change, `data` may not.
    assert!(v.verify(&h, &replaced(&body, "1763382896", "1")).is_ok());
    assert!(
        v.verify(&h, &replaced(&body, r#","id":"evt_01J9Z6""#, ""))
            .is_ok()
    );
    assert_eq!(
        v3_kind(&v, &h, &replaced(&body, r#""fee":2.5"#, r#""fee":2.6"#)),
        K::SignatureMismatch
    );
    assert_eq!(
        v3_kind(
            &v,
            &h,
            &replaced(&body, r#""transaction.withdrawal"#, r#""transaction.deposit"#)
        ),
        K::SignatureMismatch
    );
}

#[test]
fn v3_signed_under_neither_reading_is_a_mismatch() {
    let v = v3::Verifier::new([V3_SECRET, V3_OLD_SECRET]);
    let h = v3_headers(&format!("sha256={V3_EXTRA_HEX_NEITHER}"), None);
    let body = v3_body(V3_EXTRA_MESSAGE, V3_EXTRA_HEX_NEITHER);
    assert_eq!(v3_kind(&v, &h, &body), K::SignatureMismatch);
    // Each reading's MAC under a secret that is not configured.
    for hex in [V3_EXTRA_HEX_WHOLE, V3_EXTRA_HEX_EVENT_DATA] {
        let h = v3_headers(&format!("sha256={hex}"), None);
        assert_eq!(
            v3_kind(
                &v3::Verifier::new(["not-the-secret"]),
                &h,
                &v3_body(V3_EXTRA_MESSAGE, hex)
            ),
            K::SignatureMismatch
        );
    }
    // Error text is the same as for any mismatch.
    let err = v.verify(&h, &body).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("webhook rejected: signature mismatch")
    );
    assert!(!err.to_string().contains(V3_EXTRA_HEX_WHOLE));
}

#[test]
fn v3_reading_2_with_an_index_like_top_level_key() {
    // JavaScript's property order applies at the top level too: for this body, `delete
    // body.signature; JSON.stringify(body)` (Node 20) writes
    // `{"7":"seven","event":"system.event","data":{"ok":true},"note":"x"}`, whose MAC (openssl,
    // key `V3_SECRET`) is below.
    let sig = "sha256=815f30eda0b44248210f191ef06d95f1191c7ef517cb4948d3486f6fdbfac40e";
    let body = br#"{"event":"system.event","data":{"ok":true},"note":"x","7":"seven"}"#;
    let v = v3_verifier();
    assert!(v.verify(&v3_headers(sig, None), body).is_ok());
    let moved = br#"{"event":"system.event","7":"seven","data":{"ok":true},"note":"x"}"#;
    assert!(v.verify(&v3_headers(sig, None), moved).is_ok());
    let swapped = br#"{"event":"system.event","data":{"ok":true},"7":"seven","note":"y"}"#;
    assert_eq!(v3_kind(&v, &v3_headers(sig, None), swapped), K::SignatureMismatch);
}

// ---------------------------------------------------------------------------------------------
// merchant

#[test]
fn merchant_vector_verifies_and_types_the_checkout() {
    let body = MERCHANT_BODY.as_bytes();
    let h = merchant_headers(MERCHANT_HEX);
    assert_eq!(
        testing::merchant_headers(MERCHANT_SECRET, body)["x-webhook-signature"],
        format!("sha256={MERCHANT_HEX}")
    );
    let event = merchant_verify(&merchant::Verifier::new([MERCHANT_SECRET]), &h, body).unwrap();
    assert_eq!(event.event_type(), "checkout.paid");
    assert_eq!(event.version(), Some("v1"));
    assert_eq!(event.idempotency_key(), "7f9c2b1e-4d3a-4c8e-9b2f-1a2b3c4d5e6f");
    assert_eq!(event.merchant_id(), Some("7bb54443-6fc9-4a1d-ab46-d787ec90c87f"));
    assert_eq!(event.timestamp(), Some("2025-11-17T12:34:56Z"));
    assert_eq!(event.data()["items"], json!([[1, 2.5], [3, null]]));
    let MerchantPayload::CheckoutPaid(c) = event.payload() else {
        panic!("{:?}", event.payload())
    };
    assert_eq!(c.id.as_deref(), Some("5e70bd2a-1d15-4e47-a54e-aeb395ddb2a8"));
    assert_eq!(c.amount, Some(dec!(25000.75)));
    assert_eq!(c.status, Some(kotanipay::merchant::types::CheckoutStatus::Paid));
    assert_eq!(c.customer_name.as_deref(), Some("Adaeze Ọbị — Café ☕"));
    assert_eq!(c.paid_at, None);
}

#[test]
fn merchant_tampering() {
    let v = merchant::Verifier::new([MERCHANT_SECRET]);
    let body = MERCHANT_BODY;
    let h = merchant_headers(MERCHANT_HEX);
    let kind = |h: &HeaderMap, b: &str| merchant_verify(&v, h, b.as_bytes()).unwrap_err().kind();

    // One changed byte.
    assert_eq!(
        kind(&h, &body.replace("25000.75", "25000.76")),
        K::SignatureMismatch
    );
    // Reordered keys.
    assert_eq!(
        kind(
            &h,
            &body.replace(
                r#""amount":25000.75,"currency_code":"NGN""#,
                r#""currency_code":"NGN","amount":25000.75"#
            )
        ),
        K::SignatureMismatch
    );
    // Added whitespace: the raw body is signed, so it no longer matches.
    assert_eq!(
        kind(&h, &body.replace(r#""data":{"#, r#""data": {"#)),
        K::SignatureMismatch
    );
    assert_eq!(kind(&h, &format!("{body}\n")), K::SignatureMismatch);
    // Wrong secret.
    assert_eq!(
        merchant_verify(&merchant::Verifier::new(["nope"]), &h, body.as_bytes())
            .unwrap_err()
            .kind(),
        K::SignatureMismatch
    );
    // Truncated signature.
    assert_eq!(
        kind(&merchant_headers(&MERCHANT_HEX[..63]), body),
        K::MalformedHeader
    );
    // Upper-case hex: accepted.
    assert!(
        merchant_verify(
            &v,
            &merchant_headers(&MERCHANT_HEX.to_uppercase()),
            body.as_bytes()
        )
        .is_ok()
    );
    // Missing header.
    let mut missing = h.clone();
    missing.remove("x-webhook-signature");
    assert_eq!(kind(&missing, body), K::MissingHeader);
    // The unsigned headers must agree with the signed body.
    let mut lying = h.clone();
    lying.insert("x-webhook-event", HeaderValue::from_static("checkout.approved"));
    assert_eq!(kind(&lying, body), K::HeaderMismatch);
    let mut lying = h.clone();
    lying.insert(
        "x-webhook-idempotency-key",
        HeaderValue::from_static("another-key"),
    );
    assert_eq!(kind(&lying, body), K::HeaderMismatch);
    // ...and may be absent.
    let mut bare = HeaderMap::new();
    bare.insert("x-webhook-signature", h["x-webhook-signature"].clone());
    assert!(merchant_verify(&v, &bare, body.as_bytes()).is_ok());

    // Correctly signed, but not JSON / not a delivery.
    let signed = |b: &str| {
        merchant_verify(
            &v,
            &testing::merchant_headers(MERCHANT_SECRET, b.as_bytes()),
            b.as_bytes(),
        )
    };
    assert_eq!(signed("not json").unwrap_err().kind(), K::NotJson);
    assert_eq!(signed(r#"{"a":1,"a":2}"#).unwrap_err().kind(), K::NotJson);
    assert_eq!(signed("[1,2]").unwrap_err().kind(), K::InvalidPayload);
    assert_eq!(
        signed(r#"{"event_type":"checkout.paid","data":{}}"#)
            .unwrap_err()
            .kind(),
        K::InvalidPayload
    );
    assert_eq!(
        signed(r#"{"event_type":1,"idempotency_key":"k"}"#)
            .unwrap_err()
            .kind(),
        K::InvalidPayload
    );
    // An unsigned non-JSON body is a signature failure first: nothing unauthenticated is parsed.
    assert_eq!(kind(&h, "not json"), K::SignatureMismatch);
}

#[test]
fn merchant_timestamp_tolerance() {
    let body = MERCHANT_BODY.as_bytes();
    let map = merchant_headers(MERCHANT_HEX);
    let h = merchant::DeliveryHeaders::from_map(&map).unwrap();
    let v = merchant::Verifier::new([MERCHANT_SECRET]).with_tolerance(Duration::from_secs(300));
    let at = |secs: u64| UNIX_EPOCH + Duration::from_secs(secs);
    assert!(v.verify_parts_at(h, body, at(MERCHANT_AT)).is_ok());
    assert!(v.verify_parts_at(h, body, at(MERCHANT_AT + 300)).is_ok());
    assert!(v.verify_parts_at(h, body, at(MERCHANT_AT - 300)).is_ok());
    assert_eq!(
        v.verify_parts_at(h, body, at(MERCHANT_AT + 301))
            .unwrap_err()
            .kind(),
        K::StaleTimestamp
    );
    assert_eq!(
        v.verify_parts_at(h, body, at(MERCHANT_AT - 301))
            .unwrap_err()
            .kind(),
        K::StaleTimestamp
    );
    // Without a tolerance, any age passes.
    let lax = merchant::Verifier::new([MERCHANT_SECRET]);
    assert!(
        lax.verify_parts_at(h, body, at(MERCHANT_AT + 86_400 * 365))
            .is_ok()
    );
    // With one, a missing or unreadable timestamp is refused.
    let no_ts = br#"{"event_type":"checkout.paid","idempotency_key":"k","data":{}}"#;
    let hs = testing::merchant_headers(MERCHANT_SECRET, no_ts);
    assert_eq!(v.verify(&hs, no_ts).unwrap_err().kind(), K::InvalidPayload);
    let bad_ts = br#"{"event_type":"checkout.paid","idempotency_key":"k","timestamp":"yesterday"}"#;
    let hs = testing::merchant_headers(MERCHANT_SECRET, bad_ts);
    assert_eq!(v.verify(&hs, bad_ts).unwrap_err().kind(), K::InvalidPayload);
    // A fresh delivery from the signer passes `verify` (real clock).
    let (hs, b) = testing::sign_merchant(MERCHANT_SECRET, "checkout.created", r#"{"id":"c-1"}"#);
    assert!(matches!(
        v.verify(&hs, &b).unwrap().payload(),
        MerchantPayload::CheckoutCreated(_)
    ));
    let old = SystemTime::now() - Duration::from_secs(3600);
    let (hs, b) = testing::sign_merchant_at(MERCHANT_SECRET, "checkout.created", "{}", "k-1", old);
    assert_eq!(v.verify(&hs, &b).unwrap_err().kind(), K::StaleTimestamp);
}

#[test]
fn merchant_rotation() {
    let body = MERCHANT_BODY.as_bytes();
    let h = merchant_headers(MERCHANT_HEX_OLD);
    let both = merchant::Verifier::new([MERCHANT_SECRET, MERCHANT_OLD_SECRET]);
    assert!(merchant_verify(&both, &h, body).is_ok());
    assert!(merchant_verify(&both, &merchant_headers(MERCHANT_HEX), body).is_ok());
    let new_only = merchant::Verifier::new([MERCHANT_SECRET]);
    assert_eq!(
        merchant_verify(&new_only, &h, body).unwrap_err().kind(),
        K::SignatureMismatch
    );
}

#[test]
fn merchant_idempotency() {
    let store = MemoryIdempotencyStore::default();
    let v = merchant::Verifier::new([MERCHANT_SECRET]);
    let (h, b) = testing::sign_merchant(
        MERCHANT_SECRET,
        "checkout.approved",
        r#"{"id":"c-9","status":"approved"}"#,
    );
    let first = v.verify(&h, &b).unwrap();
    assert!(!store.seen_before(first.idempotency_key()));
    // The retry: same bytes, same key.
    let again = v.verify(&h, &b).unwrap();
    assert!(store.seen_before(again.idempotency_key()));
    // A failed handler forgets the key so the next retry is processed.
    store.forget(again.idempotency_key());
    assert!(!store.seen_before(again.idempotency_key()));
    // Another event has another key.
    let (h2, b2) = testing::sign_merchant(MERCHANT_SECRET, "checkout.approved", r#"{"id":"c-9"}"#);
    assert!(!store.seen_before(v.verify(&h2, &b2).unwrap().idempotency_key()));
    let MerchantPayload::CheckoutApproved(c) = first.payload() else {
        panic!()
    };
    assert_eq!(
        c.status,
        Some(kotanipay::merchant::types::CheckoutStatus::Approved)
    );
}

// ---------------------------------------------------------------------------------------------
// typed events

#[test]
fn every_v3_event_name_has_its_variant() {
    assert_eq!(V3_EVENTS.len(), 22);
    let v = v3_verifier();
    let deposit =
        r#"{"status":"PENDING","reference_id":"d-1","amount":"150.5","reference_number":"MP250101001"}"#;
    let withdrawal = r#"{"status":"TRANSACTION_RETRY_SUCCESSFUL","referenceId":"w-1","walletId":"wal","amount":500,"transactionAmount":480,"created_at":"2025-01-01T00:00:00Z"}"#;
    let onramp = r#"{"referenceId":"on-1","status":"PROCESSING","depositStatus":"SUCCESSFUL","onchainStatus":"PENDING","chain":"CELO","token":"CUSD","cryptoAmount":10,"fiatAmount":1300,"fiatFee":13,"fiatAmountToSend":1287,"transactionHash":null,"rate":{"from":"KES","to":"CUSD","cryptoAmount":10},"error":{"message":"m","code":"CRYPTO_TRANSFER_FAILED","details":{}}}"#;
    let offramp = r#"{"referenceId":"off-1","status":"CRYPTO_RECEIVED","onchainStatus":"SUCCESSFUL","fiatAmount":1000,"fiatTransactionAmount":990,"cryptoAmount":7.7,"fiatCurrency":"KES","customerKey":"c","senderAddress":"0xs","escrowAddress":"0xe","rate":{"from":"USDT","to":"KES","fiatAmount":1000},"usingIntegratedWallet":false,"transactionError":"timeout"}"#;
    let settlement = r#"{"settlementId":"s-1","referenceId":"r","status":"PAUSED","amount":100,"fee":1,"feePercentage":1,"netAmount":99,"currency":"USD","balanceSource":"PAYOUT","pauseReason":"review","pausedUntil":"2025-01-02T00:00:00Z"}"#;
    let batch = r#"{"batchId":"b-1","batchReference":"br","status":"PARTIAL","totalTentativeUsdAmount":1000,"settlements":[{"_id":"s-1","subReference":"x","status":"PROCESSED","currency":"KES","netAmount":99,"tentativeUsdNetAmount":0.77,"referenceId":"r","channels":["bank"]}],"processedCount":1,"rejectedCount":0,"failedCount":0,"totalCount":1}"#;
    let lightning = r#"{"referenceId":"off-2","refundStatus":"INVOICE_NEEDED","refundAmount":125000,"refundAmountSats":125,"chain":"LIGHTNING","requiresAction":true,"action":{"type":"SUBMIT_LIGHTNING_INVOICE","submitUrl":"https://x/y","method":"POST","body":{"invoice":""},"invoiceRequirements":{"amount":125,"currency":"SATS","format":"bolt11","mustNotExpire":true}}}"#;
    let refund_ok = r#"{"referenceId":"off-3","status":"REVERSED","refundStatus":"SUCCESSFUL","refundTransactionHash":"0xh","refundAmount":7.7,"chain":"CELO","token":"USDT","currency":"USDT","timestamp":"t"}"#;
    let refund_ko = r#"{"referenceId":"off-4","refundStatus":"FAILED","refundAmount":7.7,"error":{"why":"gas"},"totalRetries":3}"#;
    for name in V3_EVENTS {
        let data = match name {
            "transaction.status.updated" | "transaction.deposit.status.updated" => deposit,
            "transaction.withdrawal.status.updated" => withdrawal,
            "transaction.onramp.status.updated" => onramp,
            "transaction.offramp.status.updated" => offramp,
            "refund.lightning.invoice_needed" => lightning,
            "refund.completed" => refund_ok,
            "refund.failed" => refund_ko,
            n if n.starts_with("settlement.batch.") => batch,
            n if n.starts_with("settlement.") => settlement,
            _ => r#"{"anything":[1,{"goes":null}]}"#,
        };
        let (h, b) = testing::sign_v3(V3_SECRET, name, data);
        let event = v.verify(&h, &b).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(event.name(), name);
        let p = event.payload();
        assert!(!p.is_unknown(), "{name} -> {p:?}");
        let expected = match p {
            V3Payload::TransactionStatusUpdated(TransactionCallback::Deposit(_)) => {
                "transaction.status.updated"
            }
            V3Payload::DepositStatusUpdated(d) => {
                assert_eq!(d.amount, Some(dec!(150.5)));
                assert_eq!(d.reference_number.as_deref(), Some("MP250101001"));
                "transaction.deposit.status.updated"
            }
            V3Payload::WithdrawalStatusUpdated(w) => {
                assert_eq!(
                    w.status,
                    kotanipay::v3::types::WithdrawalStatus::TransactionRetrySuccessful
                );
                assert_eq!(w.transaction_amount, Some(dec!(480)));
                "transaction.withdrawal.status.updated"
            }
            V3Payload::OnrampStatusUpdated(o) => {
                assert_eq!(o.chain, Some(kotanipay::v3::types::Chain::Celo));
                assert_eq!(
                    o.error.as_ref().and_then(|e| e.code.as_deref()),
                    Some("CRYPTO_TRANSFER_FAILED")
                );
                "transaction.onramp.status.updated"
            }
            V3Payload::OfframpStatusUpdated(o) => {
                assert_eq!(o.transaction_error, Some(json!("timeout")));
                "transaction.offramp.status.updated"
            }
            V3Payload::PaymentConfirmed(_) => "payment.confirmed",
            V3Payload::KycStatusChanged(_) => "kyc.status.changed",
            V3Payload::RefundLightningInvoiceNeeded(l) => {
                assert_eq!(
                    l.action.as_ref().and_then(|a| a.submit_url.as_deref()),
                    Some("https://x/y")
                );
                "refund.lightning.invoice_needed"
            }
            V3Payload::RefundCompleted(_) => "refund.completed",
            V3Payload::RefundFailed(r) => {
                assert_eq!(r.total_retries, Some(3));
                "refund.failed"
            }
            V3Payload::SettlementApproved(_) => "settlement.approved",
            V3Payload::SettlementRejected(_) => "settlement.rejected",
            V3Payload::SettlementProcessed(_) => "settlement.processed",
            V3Payload::SettlementCancelled(_) => "settlement.cancelled",
            V3Payload::SettlementPaused(s) => {
                assert_eq!(s.pause_reason.as_deref(), Some("review"));
                "settlement.paused"
            }
            V3Payload::SettlementBatchApproved(_) => "settlement.batch.approved",
            V3Payload::SettlementBatchRejected(_) => "settlement.batch.rejected",
            V3Payload::SettlementBatchProcessed(_) => "settlement.batch.processed",
            V3Payload::SettlementBatchPartial(b) => {
                check_batch(b);
                "settlement.batch.partial"
            }
            V3Payload::SettlementBatchCancelled(_) => "settlement.batch.cancelled",
            V3Payload::SettlementBatchConsolidated(_) => "settlement.batch.consolidated",
            V3Payload::SystemEvent(_) => "system.event",
            other => panic!("unexpected {other:?}"),
        };
        assert_eq!(expected, name);
    }
}

fn check_batch(b: &SettlementBatchUpdate) {
    assert_eq!(b.processed_count, Some(1));
    let s = &b.settlements.as_ref().unwrap()[0];
    assert_eq!(s.id.as_deref(), Some("s-1"));
    assert_eq!(s.tentative_usd_net_amount, Some(dec!(0.77)));
}

#[test]
fn unknown_events_and_fields_still_verify() {
    let v = v3_verifier();
    let data = r#"{"brandNew":true,"nested":{"x":[1,2.5e-3]}}"#;
    let (h, b) = testing::sign_v3(V3_SECRET, "wallet.frozen", data);
    let event = v.verify(&h, &b).unwrap();
    assert_eq!(event.name(), "wallet.frozen");
    assert_eq!(
        event.payload(),
        &V3Payload::Unknown(json!({"brandNew": true, "nested": {"x": [1, 0.0025]}}))
    );

    // A known event with extra fields: typed, extras kept in `data()`.
    let (h, b) = testing::sign_v3(
        V3_SECRET,
        "transaction.deposit.status.updated",
        r#"{"status":"BRAND_NEW_STATUS","reference_id":"d","riskScore":12,"paymentLinkId":"pl-1"}"#,
    );
    let event = v.verify(&h, &b).unwrap();
    let V3Payload::DepositStatusUpdated(d) = event.payload() else {
        panic!()
    };
    assert_eq!(
        d.status,
        kotanipay::v3::types::DepositStatus::Unknown("BRAND_NEW_STATUS".into())
    );
    assert_eq!(event.data()["paymentLinkId"], "pl-1");

    // A known event whose data does not fit its type: still verified, kept raw.
    let (h, b) = testing::sign_v3(V3_SECRET, "transaction.deposit.status.updated", r#"{"status":5}"#);
    assert_eq!(
        v.verify(&h, &b).unwrap().payload(),
        &V3Payload::Unknown(json!({"status": 5}))
    );
    let (h, b) = testing::sign_v3(V3_SECRET, "settlement.approved", "[1,2]");
    assert!(v.verify(&h, &b).unwrap().payload().is_unknown());

    // No `data` at all: JSON.stringify({event, data: undefined}) is `{"event":...}`.
    let body = br#"{"event":"system.event"}"#;
    let sig = testing::v3_signature(V3_SECRET, body);
    let event = v.verify(&v3_headers(&sig, None), body).unwrap();
    assert_eq!(event.payload(), &V3Payload::SystemEvent(serde_json::Value::Null));

    // Merchant: unknown type and unknown fields.
    let m = merchant::Verifier::new([MERCHANT_SECRET]);
    let (h, b) = testing::sign_merchant(MERCHANT_SECRET, "payout.completed", r#"{"x":1}"#);
    let e = m.verify(&h, &b).unwrap();
    assert_eq!(e.payload(), &MerchantPayload::Unknown(json!({"x": 1})));
    let (h, b) = testing::sign_merchant(
        MERCHANT_SECRET,
        "checkout.paid",
        r#"{"id":"c","surprise":[null]}"#,
    );
    assert!(matches!(
        m.verify(&h, &b).unwrap().payload(),
        MerchantPayload::CheckoutPaid(_)
    ));
}

// ---------------------------------------------------------------------------------------------
// direct (unsigned) callbacks

#[test]
fn direct_callbacks_are_typed_and_unverified() {
    let dep =
        v3::parse_direct(br#"{"status":"SUCCESSFUL","reference_id":"d-1","amount":10,"wallet_id":"w"}"#)
            .unwrap();
    assert_eq!(dep.peek().kind(), Some(TransactionKind::Deposit));
    assert_eq!(dep.peek().reference_id(), Some("d-1"));
    let wd =
        v3::parse_direct(br#"{"status":"FAILED","referenceId":"w-1","walletId":"w","errorMessage":"no"}"#)
            .unwrap();
    assert_eq!(wd.peek().kind(), Some(TransactionKind::Withdrawal));
    let on = v3::parse_direct(br#"{"status":"SUCCESS","referenceId":"o-1","depositStatus":"SUCCESSFUL","onchainStatus":"SUCCESSFUL"}"#).unwrap();
    assert_eq!(on.peek().kind(), Some(TransactionKind::Onramp));
    let off = v3::parse_direct(br#"{"status":"REFUNDED","referenceId":"f-1","escrowAddress":"0x"}"#).unwrap();
    assert_eq!(off.peek().kind(), Some(TransactionKind::Offramp));
    let unknown = v3::parse_direct(br#"{"hello":"world"}"#).unwrap();
    assert!(matches!(unknown.peek(), TransactionCallback::Unknown(_)));
    let forced = v3::parse_direct_as(
        TransactionKind::Withdrawal,
        br#"{"status":"PENDING","referenceId":"w-2"}"#,
    )
    .unwrap();
    assert_eq!(forced.peek().kind(), Some(TransactionKind::Withdrawal));

    assert_eq!(v3::parse_direct(b"nope").unwrap_err().kind(), K::NotJson);
    assert_eq!(v3::parse_direct(b"[1]").unwrap_err().kind(), K::InvalidPayload);
}

#[tokio::test]
async fn direct_callback_confirmed_by_reference() {
    use httpmock::Method::GET;
    let server = httpmock::MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/deposit/mobile-money/status/dep-2025-0042")
                .header("authorization", "Bearer k");
            then.status(200)
                .json_body(json!({"success": true, "message": "ok", "data": {
                "id": "6650a1b2", "status": "FAILED", "amount": 1500, "wallet_id": "w",
                "reference_id": "dep-2025-0042", "reference_number": 1234567890,
                "created_at": "2025-03-01T09:00:00.000Z", "transaction_cost": 25,
                "transaction_amount": 1525, "customer_key": "cust-8841"}}));
        })
        .await;
    let client = kotanipay::v3::Client::builder()
        .base_url(server.base_url())
        .api_key("k")
        .build()
        .unwrap();
    // The callback claims success; the API says otherwise, and the API wins.
    let cb =
        v3::parse_direct(br#"{"status":"SUCCESSFUL","reference_id":"dep-2025-0042","amount":1500}"#).unwrap();
    let confirmed = cb.confirm(&client).await.unwrap();
    m.assert_async().await;
    let webhook::Confirmed::Deposit(d) = confirmed else {
        panic!("{confirmed:?}")
    };
    assert_eq!(d.status, kotanipay::v3::types::DepositStatus::Failed);
}

#[tokio::test]
async fn direct_callback_confirm_calls_the_products_status_operation() {
    use kotanipay::meta::Family;
    let mock = kotanipay::sandbox::Sandbox::builder()
        .examples_only(true)
        .start()
        .await;
    let client = mock.v3_client().unwrap();
    let cases: [(&[u8], &str); 3] = [
        (
            br#"{"status":"PENDING","referenceId":"w-1","walletId":"w"}"#,
            "get_withdrawal_status",
        ),
        (
            br#"{"status":"PENDING","referenceId":"o-1","depositStatus":"PENDING"}"#,
            "get_onramp_status",
        ),
        (
            br#"{"status":"PENDING","referenceId":"f-1","escrowAddress":"0x"}"#,
            "get_offramp_status",
        ),
    ];
    for (body, op) in cases {
        let confirmed = v3::parse_direct(body).unwrap().confirm(&client).await.unwrap();
        assert_eq!(mock.hits(Family::V3, op).await, 1, "{op}");
        match (op, confirmed) {
            ("get_withdrawal_status", webhook::Confirmed::Withdrawal(_))
            | ("get_onramp_status", webhook::Confirmed::Onramp(_))
            | ("get_offramp_status", webhook::Confirmed::Offramp(_)) => {}
            (op, c) => panic!("{op}: {c:?}"),
        }
    }
    // An unrecognised callback is refused before any request.
    let err = v3::parse_direct(br#"{"hello":1}"#)
        .unwrap()
        .confirm(&client)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), kotanipay::ErrorKind::InvalidRequest);
}

// ---------------------------------------------------------------------------------------------
// nasty inputs: no panics, the right kinds

#[test]
fn nasty_inputs_through_every_entry_point() {
    let v = v3_verifier();
    let m = merchant::Verifier::new([MERCHANT_SECRET]).with_tolerance(Duration::from_secs(60));
    let deep = |n: usize| {
        format!(
            r#"{{"event":"system.event","data":{}1{}}}"#,
            "[".repeat(n),
            "]".repeat(n)
        )
    };
    let cases: Vec<(Vec<u8>, K)> = vec![
        // Deep nesting: within the limit verifies; beyond it is refused, never a stack overflow.
        (deep(10_000).into_bytes(), K::NotJson),
        ("[".repeat(1_000_000).into_bytes(), K::NotJson),
        // Invalid UTF-8, inside and outside strings; an overlong encoding; a BOM.
        (b"{\"event\":\"x\xff\",\"data\":{}}".to_vec(), K::NotJson),
        (
            b"{\"event\":\"x\",\"data\":{\"a\":\"\xc0\xaf\"}}".to_vec(),
            K::NotJson,
        ),
        (b"\xef\xbb\xbf{\"event\":\"x\",\"data\":{}}".to_vec(), K::NotJson),
        // Duplicate keys, at the top and inside, including one spelled with an escape.
        (br#"{"event":"a","event":"b","data":{}}"#.to_vec(), K::NotJson),
        (br#"{"event":"a","data":{"k":1,"\u006b":2}}"#.to_vec(), K::NotJson),
        // Broken escapes and unterminated things.
        (br#"{"event":"\ud800\u12","data":{}}"#.to_vec(), K::NotJson),
        (br#"{"event":"\x","data":{}}"#.to_vec(), K::NotJson),
        (br#"{"event":"a","data":{"#.to_vec(), K::NotJson),
        (b"{\"event\":\"a\nb\",\"data\":{}}".to_vec(), K::NotJson),
        (br#"{"event":"a","data":-}"#.to_vec(), K::NotJson),
        (br#"{"event":"a","data":1.e5}"#.to_vec(), K::NotJson),
        (br#"{"event":"a","data":Infinity}"#.to_vec(), K::NotJson),
    ];
    let sig = format!("sha256={}", "ab".repeat(32));
    for (body, want) in &cases {
        let got = v.verify(&v3_headers(&sig, None), body).unwrap_err().kind();
        assert_eq!(
            got,
            *want,
            "{:?}",
            String::from_utf8_lossy(&body[..body.len().min(60)])
        );
        // The merchant verifier checks the MAC first; signed, the same bodies are NotJson.
        let hs = testing::merchant_headers(MERCHANT_SECRET, body);
        assert_eq!(m.verify(&hs, body).unwrap_err().kind(), K::NotJson);
        assert!(v3::parse_direct(body).is_err());
    }

    // Within the depth limit: verifies (signed with the crate's helper).
    let ok = deep(60);
    let s = testing::v3_signature(V3_SECRET, ok.as_bytes());
    assert!(v.verify(&v3_headers(&s, None), ok.as_bytes()).is_ok());

    // Numbers a double does not hold as written (beyond f64, below it, or with more digits
    // than it keeps): a JavaScript sender cannot write them, so no message can be rebuilt;
    // InvalidPayload, whatever the signature.
    let huge = format!(
        r#"{{"event":"system.event","data":{{"n":1{}}}}}"#,
        "0".repeat(400)
    );
    for inexact in [
        huge.as_str(),
        r#"{"event":"system.event","data":{"n":123456789012345678901234567890}}"#,
        r#"{"event":"system.event","data":{"t":1e-400}}"#,
        r#"{"event":"system.event","data":{"id":9007199254740993}}"#,
        r#"{"event":"system.event","data":{},"extra":18446744073709551615}"#,
    ] {
        assert_eq!(
            v.verify(&v3_headers(&sig, None), inexact.as_bytes())
                .unwrap_err()
                .kind(),
            K::InvalidPayload,
            "{inexact}"
        );
    }
    let big_but_fine = br#"{"event":"system.event","data":{"n":123456789012345680000,"e":1e308,"t":5e-324}}"#;
    let s = testing::v3_signature(V3_SECRET, big_but_fine);
    assert!(v.verify(&v3_headers(&s, None), big_but_fine).is_ok());

    // Lone surrogate escapes everywhere: in `event`, keys and values. Verified, read lossily.
    let lone =
        br#"{"event":"x\ud800","data":{"\udfff":"\ud800","pair":"\uD83D\uDE00","rev":"\ude00\ud83d"}}"#;
    let s = testing::v3_signature(V3_SECRET, lone);
    let e = v.verify(&v3_headers(&s, None), lone).unwrap();
    assert_eq!(e.name(), "x\u{FFFD}");
    assert_eq!(e.data()["pair"], "😀");
    assert_eq!(e.data()["rev"], "\u{FFFD}\u{FFFD}");
    assert!(v3::parse_direct(br#"{"reference_id":"\ud800","status":"\udc00"}"#).is_ok());

    // Typed parsers take any JSON value.
    for value in [
        json!(null),
        json!([]),
        json!("s"),
        json!(1e300),
        json!({"status": {}, "reference_id": []}),
    ] {
        for name in V3_EVENTS.iter().chain(&["", "unknown"]) {
            let _ = V3Payload::from_parts(name, value.clone());
        }
        let _ = MerchantPayload::from_parts("checkout.paid", value.clone());
        let _ = TransactionCallback::from_value(value);
    }
}

#[test]
fn errors_and_debug_never_show_secrets_or_the_expected_signature() {
    let v = v3::Verifier::new([V3_SECRET, V3_OLD_SECRET]);
    let shown = format!("{v:?}");
    assert!(
        !shown.contains(V3_SECRET) && !shown.contains(V3_OLD_SECRET),
        "{shown}"
    );
    let m = merchant::Verifier::new([MERCHANT_SECRET]);
    assert!(!format!("{m:?}").contains(MERCHANT_SECRET));

    let body = v3_body(V3_CANONICAL, V3_HEX);
    let wrong = v3_headers(&format!("sha256={}", "0".repeat(64)), None);
    let err = v.verify(&wrong, &body).unwrap_err();
    for text in [err.to_string(), format!("{err:?}")] {
        assert!(!text.contains(V3_HEX) && !text.contains(V3_SECRET), "{text}");
        assert!(!text.contains('\n'));
    }
    assert_eq!(err.http_status().as_u16(), 401);
    assert!(
        err.to_string()
            .starts_with("webhook rejected: signature mismatch")
    );
    let mh = merchant_headers(&"0".repeat(64));
    let err = merchant_verify(&m, &mh, MERCHANT_BODY.as_bytes()).unwrap_err();
    assert!(!err.to_string().contains(MERCHANT_HEX));
    assert_eq!(v3_kind(&v, &HeaderMap::new(), &body), K::MissingHeader);
    assert_eq!(
        v.verify(&HeaderMap::new(), &body)
            .unwrap_err()
            .http_status()
            .as_u16(),
        400
    );
}

#[test]
fn merchant_checkout_data_carries_checkout_id() {
    // ODOS (a public KutanaPay integration) reads `data.checkout_id`, falling back to `data.id`;
    // its own test delivery is `{"event_type":"checkout.paid","data":{"checkout_id":"abc"}}`.
    let v = merchant::Verifier::new([MERCHANT_SECRET]);
    let (h, b) = testing::sign_merchant(
        MERCHANT_SECRET,
        "checkout.paid",
        r#"{"checkout_id":"5e70bd2a-1d15-4e47-a54e-aeb395ddb2a8","id":"pay-77","payment_reference":"PAY-K7M2Q9X4","amount":"150.00","status":"completed","meta_data":{"order_reference":"odos-1f0c"}}"#,
    );
    let event = merchant_verify(&v, &h, &b).unwrap();
    let MerchantPayload::CheckoutPaid(c) = event.payload() else {
        panic!("{:?}", event.payload())
    };
    assert_eq!(
        c.checkout_id.as_deref(),
        Some("5e70bd2a-1d15-4e47-a54e-aeb395ddb2a8")
    );
    assert_eq!(c.id.as_deref(), Some("pay-77"));
    // `checkout_id` wins over `id` when both are there.
    assert_eq!(
        c.checkout_id_or_id(),
        Some("5e70bd2a-1d15-4e47-a54e-aeb395ddb2a8")
    );
    assert_eq!(c.payment_reference.as_deref(), Some("PAY-K7M2Q9X4"));
    assert_eq!(c.amount, Some(dec!(150)));
    assert_eq!(
        c.status,
        Some(kotanipay::merchant::types::CheckoutStatus::Completed)
    );
    assert_eq!(c.meta_data.as_ref().unwrap()["order_reference"], "odos-1f0c");

    // ODOS's own minimal delivery, and one with `id` only.
    let (h, b) = testing::sign_merchant(MERCHANT_SECRET, "checkout.paid", r#"{"checkout_id":"abc"}"#);
    let event = merchant_verify(&v, &h, &b).unwrap();
    let MerchantPayload::CheckoutPaid(c) = event.payload() else {
        panic!("{:?}", event.payload())
    };
    assert_eq!(c.checkout_id.as_deref(), Some("abc"));
    assert_eq!(c.id, None);
    assert_eq!(c.checkout_id_or_id(), Some("abc"));
    let (h, b) = testing::sign_merchant(MERCHANT_SECRET, "checkout.created", r#"{"id":"c-1"}"#);
    let event = merchant_verify(&v, &h, &b).unwrap();
    let MerchantPayload::CheckoutCreated(c) = event.payload() else {
        panic!("{:?}", event.payload())
    };
    assert_eq!(c.checkout_id, None);
    assert_eq!(c.checkout_id_or_id(), Some("c-1"));
}

/// The one-pass paths of issue #15 agree with the tree-building reading they replaced, on the
/// fuzz seeds and on a set of hand-picked and mutated bodies (the `streaming` fuzz target runs
/// the same check on arbitrary input).
#[test]
fn one_pass_paths_agree_with_the_tree_reading() {
    let seeds = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/webhook");
    let mut bodies: Vec<Vec<u8>> = Vec::new();
    for entry in std::fs::read_dir(&seeds).expect("fuzz seeds") {
        let bytes = std::fs::read(entry.expect("seed").path()).expect("seed");
        // With and without the webhook target's header-length byte.
        if let Some((&n, rest)) = bytes.split_first()
            && (n as usize) <= rest.len()
        {
            bodies.push(rest[n as usize..].to_vec());
        }
        bodies.push(bytes);
    }
    let merchant = MERCHANT_BODY.as_bytes().to_vec();
    let (_, v3_signed) = testing::sign_v3(
        V3_SECRET,
        "transaction.deposit.status.updated",
        r#"{"status":"SUCCESSFUL","reference_id":"dep-1","amount":1000,"2":{"b":1,"1":[]}}"#,
    );
    for text in [
        r#"{"event_type":"checkout.paid","idempotency_key":"k","data":{"id":"c\ud800","amount":1.50}}"#,
        r#"{"event\u005ftype":"checkout.paid","idempotency_key":"k","version":null,"data":[1e308,-0,5e-324]}"#,
        r#"{"event_type":"checkout.paid","idempotency_key":"k","timestamp":1}"#,
        r#"{"event_type":"x","idempotency_key":"k","data":{"n":1e400}}"#,
        r#"{"event":"system.event","data":{"\udfff":"\ud800","pair":"\uD83D\uDE00"},"x":1}"#,
        r#" { "event" : "a" , "data" : { "k" : 1 , "\u006b" : 2 } } "#,
        r#"{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11,"l":12,"m":13,"n":14,"o":15,"p":16,"q":17,"r":18,"s":19,"t":20,"u":21,"v":22,"w":23,"x":24,"y":25,"z":26,"a":27}"#,
        r#"{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11,"l":12,"m":13,"n":14,"o":15,"p":16,"q":17,"r":18,"s":19,"t":20,"u":21,"v":22,"w":23,"x":24,"y":25,"z":26,"\u0061":27}"#,
        "[1,2]",
        "\"s\"",
        "{}",
        "",
    ] {
        bodies.push(text.as_bytes().to_vec());
    }
    bodies.push(merchant);
    bodies.push(v3_signed);
    // Every prefix, and every single-byte change to a few bytes, of the two real deliveries.
    let mut mutated = Vec::new();
    for body in bodies.iter().rev().take(2) {
        for cut in 0..body.len() {
            mutated.push(body[..cut].to_vec());
        }
        for at in (0..body.len()).step_by(7) {
            for b in [b'"', b'\\', b'{', b'}', b',', b'1', b'e', b' ', 0x80] {
                let mut m = body.clone();
                m[at] = b;
                mutated.push(m);
            }
        }
    }
    bodies.extend(mutated);
    for body in &bodies {
        assert_eq!(
            testing::streaming_disagreement(body),
            None,
            "{:?}",
            String::from_utf8_lossy(&body[..body.len().min(120)])
        );
    }
}
