//! Pagination: every annotated list walks its pages as one stream of items, in order, with the
//! paging parameters of its style, stops at the end, and refuses a server that repeats a page.

use crate::common;

use crate::common::json;
use futures::TryStreamExt;
use kotanipay::prelude::*;
use kotanipay::{ErrorKind, merchant};

fn query(path: &str, key: &str) -> Option<String> {
    let q = path.split_once('?')?.1;
    q.split('&')
        .find_map(|kv| kv.strip_prefix(&format!("{key}=")).map(String::from))
}

fn deposit(i: u64) -> String {
    format!(
        r#"{{"id":"d{i}","reference_id":"r{i}","reference_number":{i},"status":"SUCCESSFUL","amount":{i},"transaction_amount":{i},"transaction_cost":0,"customer_key":"c"}}"#
    )
}

/// A page of deposits `from..to` with `meta.total_pages`.
fn deposit_page(from: u64, to: u64, page: u64, total_pages: u64) -> String {
    let items: Vec<String> = (from..to).map(deposit).collect();
    format!(
        r#"{{"data":[{}],"meta":{{"total":5,"page":{page},"per_page":2,"total_pages":{total_pages}}}}}"#,
        items.join(",")
    )
}

#[tokio::test]
async fn page_per_page_walks_every_page_in_order_then_stops() {
    let server = common::start(|_, req| {
        let page: u64 = query(&req.path, "page").unwrap().parse().unwrap();
        let from = (page - 1) * 2;
        json(200, &deposit_page(from, (from + 2).min(5), page, 3))
    })
    .await;
    let client = common::v3_client(&server.base_url, "k");
    let items: Vec<_> = client
        .list_deposit_transactions()
        .status("SUCCESSFUL")
        .items(2)
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<&str> = items.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["d0", "d1", "d2", "d3", "d4"]);
    let seen = server.requests();
    assert_eq!(seen.len(), 3, "no request after the last page");
    for (i, s) in seen.iter().enumerate() {
        assert!(s.path.starts_with("/api/v3/deposit/mobile-money/transactions?"));
        assert_eq!(query(&s.path, "page"), Some((i + 1).to_string()));
        assert_eq!(query(&s.path, "per_page").as_deref(), Some("2"));
        assert_eq!(
            query(&s.path, "status").as_deref(),
            Some("SUCCESSFUL"),
            "filters are kept"
        );
    }
}

fn customers(n: usize, offset: usize) -> String {
    let items: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"{{"customer_key":"c{}","country_code":"KE","phone_number":"+2547000000{:02}"}}"#,
                offset + i,
                offset + i
            )
        })
        .collect();
    format!(
        r#"{{"success":true,"message":"ok","data":[{}]}}"#,
        items.join(",")
    )
}

#[tokio::test]
async fn page_limit_without_a_count_stops_on_a_short_page() {
    let server = common::start(|_, req| {
        let page: usize = query(&req.path, "page").unwrap().parse().unwrap();
        json(200, &customers(if page < 3 { 2 } else { 1 }, (page - 1) * 2))
    })
    .await;
    let all: Vec<_> = common::v3_client(&server.base_url, "k")
        .list_customers()
        .items(2)
        .try_collect()
        .await
        .unwrap();
    let keys: Vec<_> = all.iter().map(|c| c.customer_key.clone().unwrap()).collect();
    assert_eq!(keys, ["c0", "c1", "c2", "c3", "c4"]);
    assert_eq!(server.count(), 3);
    assert_eq!(query(&server.requests()[2].path, "limit").as_deref(), Some("2"));
}

#[tokio::test]
async fn a_full_last_page_is_followed_by_one_empty_page() {
    let server = common::start(|_, req| {
        let page: usize = query(&req.path, "page").unwrap().parse().unwrap();
        json(200, &customers(if page <= 2 { 2 } else { 0 }, (page - 1) * 2))
    })
    .await;
    let all: Vec<_> = common::v3_client(&server.base_url, "k")
        .list_customers()
        .items(2)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 4);
    assert_eq!(server.count(), 3);
}

#[tokio::test]
async fn limit_offset_advances_the_offset() {
    let server = common::start(|_, req| {
        let offset: usize = query(&req.path, "offset").unwrap().parse().unwrap();
        let n = if offset < 4 { 2 } else { 1 };
        let items: Vec<String> = (0..n)
            .map(|i| format!(r#"{{"id":"ck{}"}}"#, offset + i))
            .collect();
        json(
            200,
            &format!(
                r#"{{"data":[{}],"message":"ok","status":"success"}}"#,
                items.join(",")
            ),
        )
    })
    .await;
    let shop = merchant::Client::builder()
        .base_url(&server.base_url)
        .api_key("mk")
        .build()
        .unwrap();
    let all: Vec<_> = shop.list_checkouts().items(2).try_collect().await.unwrap();
    let ids: Vec<_> = all.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["ck0", "ck1", "ck2", "ck3", "ck4"]);
    let offsets: Vec<_> = server
        .requests()
        .iter()
        .map(|s| query(&s.path, "offset").unwrap())
        .collect();
    assert_eq!(offsets, ["0", "2", "4"]);
    assert!(
        server
            .requests()
            .iter()
            .all(|s| query(&s.path, "limit").as_deref() == Some("2"))
    );
}

#[tokio::test]
async fn a_server_that_repeats_a_page_stops_the_walk_with_an_error() {
    // Ignores `page` and always answers the same full page.
    let server = common::start(|_, _| json(200, &customers(2, 0))).await;
    let client = common::v3_client(&server.base_url, "k");
    let mut walk = client.list_customers().items(2);
    let mut got = Vec::new();
    let err = loop {
        match walk.try_next().await {
            Ok(Some(c)) => got.push(c),
            Ok(None) => panic!("the walk must not end normally"),
            Err(e) => break e,
        }
    };
    assert_eq!(got.len(), 2, "the first page is delivered");
    assert_eq!(err.kind(), ErrorKind::Pagination);
    assert_eq!(err.operation(), "list_customers");
    assert_eq!(server.count(), 2);
}

#[tokio::test]
async fn an_error_mid_walk_ends_the_stream_with_it() {
    let server = common::start(|n, _| {
        if n == 0 {
            json(200, &customers(2, 0))
        } else {
            json(
                400,
                r#"{"success":false,"message":"Bad page","error_code":400,"data":{}}"#,
            )
        }
    })
    .await;
    let res: Result<Vec<_>, _> = common::v3_client(&server.base_url, "k")
        .list_customers()
        .items(2)
        .try_collect()
        .await;
    let err = res.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
    assert_eq!(err.message(), "Bad page");
}

#[tokio::test]
async fn an_empty_first_page_is_an_empty_stream() {
    let server = common::start(|_, _| json(200, &customers(0, 0))).await;
    let all: Vec<_> = common::v3_client(&server.base_url, "k")
        .list_customers()
        .items(50)
        .try_collect()
        .await
        .unwrap();
    assert!(all.is_empty());
    assert_eq!(server.count(), 1);
}
