//! Fault injection on loopback: each test asserts the outcome and the attempts the server
//! counted. No input may panic the client.

use crate::common;

use std::time::{Duration, Instant};

use crate::common::{Reply, json};
use kotanipay::prelude::*;
use kotanipay::{ErrorKind, v3};

use crate::common::fast_retry;

fn client(base: &str) -> v3::Client {
    common::v3_client(base, "k")
}

const INTEGRATOR: &str = r#"{"success":true,"message":"ok","data":{"organization":"O","first_name":"F","last_name":"L","email":"e@x.io","phone":"+1"}}"#;

fn deposits_page(n: usize, bad_index: Option<usize>) -> String {
    let items: Vec<String> = (0..n)
        .map(|i| {
            let amount = if Some(i) == bad_index { r#""ten""#.to_string() } else { (100 + i).to_string() };
            format!(
                r#"{{"id":"d{i}","reference_id":"r{i}","reference_number":{i},"status":"SUCCESSFUL","amount":{amount},"transaction_amount":1,"transaction_cost":0,"currency":"KES","customer_key":"c","created_at":"2025-01-01T00:00:00Z"}}"#
            )
        })
        .collect();
    format!(
        r#"{{"success":true,"message":"ok","data":[{}],"meta":{{"total":{n},"page":1,"per_page":{n},"total_pages":1}}}}"#,
        items.join(",")
    )
}

#[tokio::test]
async fn a_500_then_200_on_a_get_takes_two_attempts() {
    let server = common::start(|n, _| {
        if n == 0 {
            json(
                500,
                r#"{"success":false,"message":"oops","error_code":500,"data":{}}"#,
            )
        } else {
            json(200, INTEGRATOR)
        }
    })
    .await;
    let me = client(&server.base_url).get_integrator().data().await.unwrap();
    assert_eq!(me.organization, "O");
    assert_eq!(server.count(), 2);
}

#[tokio::test]
async fn a_429_waits_as_long_as_data_retry_after_says() {
    let server = common::start(|n, _| {
        if n == 0 {
            json(429, r#"{"statusCode":429,"message":"Too Many Requests","error":"Too Many Requests","data":{"retryAfter":1}}"#)
        } else {
            json(200, INTEGRATOR)
        }
    })
    .await;
    let t0 = Instant::now();
    client(&server.base_url).get_integrator().data().await.unwrap();
    assert!(
        t0.elapsed() >= Duration::from_millis(950),
        "waited {:?}",
        t0.elapsed()
    );
    assert_eq!(server.count(), 2);
}

#[tokio::test]
async fn a_429_past_the_deadline_is_returned_with_its_wait() {
    let server = common::start(|_, _| {
        json(429, r#"{"statusCode":429,"message":"Too Many Requests","error":"Too Many Requests","data":{"retryAfter":60}}"#)
    })
    .await;
    let c = v3::Client::builder()
        .base_url(&server.base_url)
        .api_key("k")
        .retry(fast_retry().with_deadline(Duration::from_secs(2)))
        .build()
        .unwrap();
    let err = c.get_integrator().data().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(60)));
    assert!(err.is_retryable());
    assert_eq!(server.count(), 1);
    match err.api_body::<kotanipay::v3::types::ErrorBody>() {
        Some(b) => assert_eq!(b.status_code, Some(429)),
        None => panic!("{:?}", err.api_body_dyn()),
    }
}

#[tokio::test]
async fn a_retried_get_is_sent_again_as_it_was_the_first_time() {
    let server = common::start(|n, _| {
        if n < 2 {
            json(503, r#"{"success":false,"message":"down","data":{}}"#)
        } else {
            json(200, INTEGRATOR)
        }
    })
    .await;
    let me = client(&server.base_url).get_integrator().data().await.unwrap();
    assert_eq!(me.organization, "O");
    let seen = server.requests();
    assert_eq!(seen.len(), 3);
    let first = &seen[0];
    assert_eq!(first.header("accept"), Some("application/json"));
    assert_eq!(first.header("authorization"), Some("Bearer k"));
    for again in &seen[1..] {
        assert_eq!(again.method, first.method);
        assert_eq!(again.path, first.path);
        let mut a = again.headers.clone();
        let mut b = first.headers.clone();
        a.sort();
        b.sort();
        assert_eq!(a, b, "every header, and no other");
    }
}

#[tokio::test]
async fn retries_stop_at_the_attempt_limit() {
    let server = common::start(|_, _| json(503, r#"{"success":false,"message":"down","data":{}}"#)).await;
    let err = client(&server.base_url)
        .get_integrator()
        .data()
        .await
        .unwrap_err();
    assert_eq!(server.count(), 3);
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(err.message(), "down");
    assert!(!err.is_outcome_unknown(), "a read moves no money");
}

#[tokio::test]
async fn retries_can_be_switched_off() {
    let server = common::start(|_, _| json(503, r#"{"success":false,"message":"down","data":{}}"#)).await;
    let c = common::v3_once(&server.base_url);
    c.get_integrator().data().await.unwrap_err();
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn a_post_that_moves_no_money_and_is_not_idempotent_is_sent_once() {
    let server = common::start(|_, _| json(503, r#"{"success":false,"message":"down","data":{}}"#)).await;
    let err = client(&server.base_url).login("a@b.io").await.unwrap_err();
    assert_eq!(server.count(), 1);
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
}

#[tokio::test]
async fn a_connection_reset_is_a_connection_error_and_retried_for_reads() {
    let server = common::start(|n, _| {
        if n < 2 {
            Reply::Reset
        } else {
            json(200, INTEGRATOR)
        }
    })
    .await;
    client(&server.base_url).get_integrator().data().await.unwrap();
    assert_eq!(server.count(), 3);
    let server = common::start(|_, _| Reply::Reset).await;
    let err = client(&server.base_url)
        .get_integrator()
        .data()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connection);
    assert!(err.is_retryable());
    assert_eq!(err.operation(), "get_integrator");
}

#[tokio::test]
async fn nothing_listening_is_a_connection_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let c = common::v3_once(&format!("http://{addr}"));
    let err = c.get_integrator().data().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connection);
    assert!(
        err.to_string()
            .starts_with("kotanipay: get_integrator: connection failed"),
        "{err}"
    );
}

#[tokio::test]
async fn a_server_slower_than_the_timeout_is_a_timeout() {
    let server =
        common::start(|_, _| Reply::Slow(Duration::from_secs(3), 200, INTEGRATOR.as_bytes().to_vec())).await;
    let c = v3::Client::builder()
        .base_url(&server.base_url)
        .api_key("k")
        .timeout(Duration::from_millis(200))
        .retry(fast_retry().with_max_attempts(2))
        .build()
        .unwrap();
    let t0 = Instant::now();
    let err = c.get_integrator().data().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(err.is_timeout());
    assert_eq!(server.count(), 2);
    assert!(t0.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn truncated_json_is_an_error_not_a_panic() {
    let body = &INTEGRATOR.as_bytes()[..40];
    let server = common::start(move |_, _| Reply::Truncated(200, INTEGRATOR.len(), body.to_vec())).await;
    let c = common::v3_once(&server.base_url);
    let err = c.get_integrator().data().await.unwrap_err();
    // The body broke off after the headers: the connection's failure, never a decode error.
    assert_eq!(err.kind(), ErrorKind::Connection, "{err:?}");
    // And a complete response whose JSON is cut short.
    let server = common::start(move |_, _| json(200, std::str::from_utf8(body).unwrap())).await;
    let err = client(&server.base_url)
        .get_integrator()
        .data()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert_eq!(err.body(), Some(body));
}

#[tokio::test]
async fn an_html_error_page_with_502_keeps_its_status_and_body() {
    let page = "<html><body><h1>502 Bad Gateway</h1></body></html>";
    let server = common::start(move |_, _| {
        Reply::Full(
            502,
            vec![("content-type".into(), "text/html".into())],
            page.as_bytes().to_vec(),
        )
    })
    .await;
    let err = client(&server.base_url)
        .get_integrator()
        .data()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Api);
    assert_eq!(err.status().map(|s| s.as_u16()), Some(502));
    assert!(err.is_retryable());
    assert_eq!(err.body_text().as_deref(), Some(page));
    assert_eq!(server.count(), 3, "a 502 on a read is retried");
}

#[tokio::test]
async fn an_empty_200_is_a_decode_error() {
    let server = common::start(|_, _| json(200, "")).await;
    let err = client(&server.base_url)
        .get_integrator()
        .data()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert_eq!(err.message(), "the response body is empty");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(200));
}

#[tokio::test]
async fn a_wrong_content_type_is_named_in_the_error() {
    let server = common::start(|_, _| {
        Reply::Full(
            200,
            vec![("content-type".into(), "text/html".into())],
            b"<html>maintenance</html>".to_vec(),
        )
    })
    .await;
    let err = client(&server.base_url)
        .get_integrator()
        .data()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert!(err.message().contains("text/html"), "{}", err.message());
    assert_eq!(err.body_text().as_deref(), Some("<html>maintenance</html>"));
}

#[tokio::test]
async fn a_10_mb_body_is_handled() {
    // A valid 10 MB list decodes.
    let big = deposits_page(55_000, None);
    assert!(big.len() > 10_000_000);
    let b2 = big.clone();
    let server = common::start(move |_, _| json(200, &b2)).await;
    let list = client(&server.base_url)
        .list_deposit_transactions()
        .data()
        .await
        .unwrap();
    assert_eq!(list.len(), 55_000);
    // A 10 MB error body is kept, truncated, and the error stays small.
    let junk = "x".repeat(10 * 1024 * 1024);
    let server = common::start(move |_, _| json(500, &junk)).await;
    let c = common::v3_once(&server.base_url);
    let err = c.get_integrator().data().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(500));
    assert_eq!(err.body().unwrap().len(), 64 * 1024);
    assert!(format!("{err:?}").len() < 1000);
}

#[tokio::test]
async fn a_wrong_type_deep_in_a_list_names_its_path() {
    let body = deposits_page(5, Some(3));
    let server = common::start(move |_, _| json(200, &body)).await;
    let err = client(&server.base_url)
        .list_deposit_transactions()
        .data()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert_eq!(err.decode_path(), Some("data[3].amount"));
    assert!(err.to_string().contains("data[3].amount"), "{err}");
    assert!(err.body_text().unwrap().contains(r#""amount":"ten""#));
}

#[tokio::test]
async fn display_is_one_line_naming_operation_and_status() {
    let server =
        common::start(|_, _| json(400, r#"{"success":false,"message":"Validation failed:\namount must be a positive number","error_code":400,"data":{"errors":["amount must be a positive number"]}}"#))
            .await;
    let err = client(&server.base_url)
        .get_integrator()
        .data()
        .await
        .unwrap_err();
    let s = err.to_string();
    assert!(!s.contains('\n'));
    assert!(
        s.starts_with("kotanipay: get_integrator: HTTP 400: API error: Validation failed:"),
        "{s}"
    );
    assert_eq!(err.validation_errors().len(), 1);
    assert_eq!(
        err.validation_errors()[0].message,
        "amount must be a positive number"
    );
}

#[tokio::test]
async fn a_payment_with_unknown_outcome_is_never_called_retryable() {
    let server = common::start(|_, _| json(503, r#"{"success":false,"message":"busy","data":{}}"#)).await;
    let body = v3::types::CreateWithdrawalRequest::builder()
        .customer_key("c-1")
        .amount(100.0)
        .wallet_id("w-1");
    let err = client(&server.base_url)
        .create_mobile_money_withdrawal()
        .body(body)
        .call()
        .await
        .unwrap_err();
    assert_eq!(server.count(), 1, "no reference: sent exactly once");
    assert!(err.is_outcome_unknown());
    assert!(!err.is_retryable());
    assert!(err.message().contains("referenceId"), "{}", err.message());
    assert!(
        err.message().contains("`get_withdrawal_status`"),
        "names where to check: {}",
        err.message()
    );
}

/// A quote is marked idempotent in the spec: a 503 is retried although it is a POST.
#[tokio::test]
async fn create_fiat_quote_is_retried_as_idempotent() {
    let server = common::start(|n, _req| {
        if n == 0 {
            common::json(503, r#"{"success":false,"message":"Service Unavailable","error_code":503,"data":{}}"#)
        } else {
            common::json(
                201,
                r#"{"success":true,"message":"Available exchange rate.","data":{"from":"KES","to":"UGX","value":"28.6","depositAmount":100,"withdrawalAmount":2860,"depositTransactionAmount":102,"withdrawalTransactionAmount":2800,"depositFee":2,"withdrawalFee":60}}"#,
            )
        }
    })
    .await;
    let body = kotanipay::v3::types::CreateFiatQuoteRequest::builder()
        .from("KES")
        .to("UGX")
        .amount(rust_decimal_macros::dec!(100));
    let q = common::v3_client(&server.base_url, "test-api-key-c4t4")
        .create_fiat_quote()
        .body(body)
        .data()
        .await
        .unwrap();
    assert_eq!(server.count(), 2);
    assert_eq!(q.withdrawal_amount, rust_decimal_macros::dec!(2860));
    let reqs = server.requests();
    assert_eq!(reqs[0].body, reqs[1].body, "the same body is sent again");
    let sent: serde_json::Value = serde_json::from_slice(&reqs[1].body).unwrap();
    assert_eq!(
        sent,
        serde_json::json!({"from": "KES", "to": "UGX", "amount": 100})
    );
}
