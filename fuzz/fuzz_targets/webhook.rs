//! Every webhook entry point on arbitrary input: no input may panic, and the signers and
//! verifiers must agree.
//!
//! Input layout: `[n][n bytes: a header value][rest: the body]`.
#![no_main]

use http::{HeaderMap, HeaderValue};
use kotanipay::webhook::{
    MerchantPayload, TransactionCallback, V3Payload, WebhookErrorKind, merchant, testing, v3,
};
use libfuzzer_sys::fuzz_target;

const SECRET: &str = "fuzz-secret";

fuzz_target!(|input: &[u8]| {
    let (header, body) = match input.split_first() {
        Some((&n, rest)) if (n as usize) <= rest.len() => rest.split_at(n as usize),
        _ => (&[][..], input),
    };
    let header = String::from_utf8_lossy(header);

    let v3v = v3::Verifier::new([SECRET, "another"]);
    let mv = merchant::Verifier::new([SECRET]).with_tolerance(std::time::Duration::from_secs(300));

    // Arbitrary signature header text, through both the `&str` and the HeaderMap variants.
    let parts = v3::DeliveryHeaders {
        signature: Some(&header),
        event: Some(&header),
        integrator: Some(&header),
    };
    let _ = v3v.verify_parts(parts, body);
    let mparts = merchant::DeliveryHeaders {
        signature: Some(&header),
        event: Some(&header),
        idempotency_key: None,
    };
    let _ = mv.verify_parts(mparts, body);
    if let Ok(value) = HeaderValue::from_bytes(header.as_bytes()) {
        let mut h = HeaderMap::new();
        h.insert(v3::SIGNATURE_HEADER, value.clone());
        h.append(v3::SIGNATURE_HEADER, value);
        let _ = v3v.verify(&h, body);
    }

    // Past the MAC: sign the body correctly, so the parsing and typing run on every input the
    // scanner accepts. A well-formed but wrong signature only fails for a parsable body...
    let wrong = format!("sha256={}", "0".repeat(64));
    let mut h = HeaderMap::new();
    h.insert(v3::SIGNATURE_HEADER, HeaderValue::from_str(&wrong).unwrap());
    if v3v.verify(&h, body).map_err(|e| e.kind()) == Err(WebhookErrorKind::SignatureMismatch) {
        // ...and then the signer's signature must be accepted by the verifier, in either case.
        let sig = testing::v3_signature(SECRET, body);
        for s in [sig.clone(), sig.to_uppercase()] {
            h.insert(v3::SIGNATURE_HEADER, HeaderValue::from_str(&s).unwrap());
            match v3v.verify(&h, body) {
                Ok(event) => {
                    let _ = V3Payload::from_parts(event.name(), event.data().clone());
                }
                Err(e) => assert_ne!(
                    e.kind(),
                    WebhookErrorKind::SignatureMismatch,
                    "signer and verifier disagree"
                ),
            }
        }
    }
    let signed = testing::merchant_headers(SECRET, body);
    match merchant::Verifier::new([SECRET]).verify(&signed, body) {
        Ok(event) => {
            let _ = MerchantPayload::from_parts(event.event_type(), event.data().clone());
        }
        Err(e) => assert_ne!(
            e.kind(),
            WebhookErrorKind::SignatureMismatch,
            "merchant signer and verifier disagree"
        ),
    }
    let _ = mv.verify(&signed, body);

    // Direct callbacks and the typed parsers.
    if let Ok(cb) = v3::parse_direct(body) {
        let _ = cb.peek().reference_id();
    }
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) {
        let _ = TransactionCallback::from_value(value.clone());
        let _ = V3Payload::from_parts(&header, value.clone());
        let _ = MerchantPayload::from_parts(&header, value);
    }
});
