//! Auth: the magic-link flow end to end, session refresh (ahead of expiry, on a 401,
//! single-flight), secure-mode signing checked against independent vectors and recomputed from
//! what the server received, token stores, and that no secret leaks anywhere.

use crate::common;

use std::sync::Arc;

use crate::common::{Reply, json, jwt, now};
use kotanipay::prelude::*;
use kotanipay::{ErrorKind, Session, Tokens, v3};

const SIGNING_SECRET: &str = "s3cr3t-signing-key";

fn hmac_hex(secret: &str, msg: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut m = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    m.update(msg);
    hex::encode(m.finalize().into_bytes())
}

/// Vectors computed outside the crate, with OpenSSL:
/// `printf '%s' "$ts.$nonce.$payload" | openssl dgst -sha256 -hmac 's3cr3t-signing-key'`
#[test]
fn signing_matches_independent_vectors() {
    use kotanipay::auth::signing::signature;
    let nonce = "2b7e1516-28ae-4d2a-a6b1-0cf4f0e7c2d1";
    // POST with a body: the body bytes.
    assert_eq!(
        signature(
            SIGNING_SECRET,
            1_700_000_000,
            nonce,
            br#"{"amount":100,"referenceId":"ref-001"}"#
        ),
        "e81af7bfbc53253a0ea093d325464b520d5433d8fddd01264762b9fc045ce31d"
    );
    // GET with an id (/api/v3/withdraw/status/ref-001): the last path segment.
    assert_eq!(
        signature(SIGNING_SECRET, 1_700_000_000, nonce, b"ref-001"),
        "dae92c5b4295b2e1080cd8427c0d753844773faf025ac96827261182061c689a"
    );
    // GET on a collection (/api/v3/integrator): its last segment too.
    assert_eq!(
        signature(SIGNING_SECRET, 1_700_000_000, nonce, b"integrator"),
        "a3913a33a8e3fcf8a271556a7c0bd7e627739861ddbbf0bdbf7feed4c360ac86"
    );
    let get = reqwest::Method::GET;
    let url: reqwest::Url = "https://x.example/api/v3/withdraw/status/ref-001?x=1"
        .parse()
        .unwrap();
    assert_eq!(kotanipay::auth::signing::payload(&get, &url, None), b"ref-001");
    let post = reqwest::Method::POST;
    assert_eq!(kotanipay::auth::signing::payload(&post, &url, None), b"{}");
}

fn integrator_body() -> String {
    r#"{"success":true,"message":"ok","data":{"organization":"A&B","first_name":"J","last_name":"D","email":"e@x.io","phone":"+254700000000"}}"#.to_string()
}

/// login -> verify from a pasted link -> session -> key + secret -> signed request.
#[tokio::test]
async fn full_flow_with_signed_requests() {
    let server = common::start(|_, req| match req.path.split('?').next().unwrap() {
        "/api/v3/auth/login" => json(200, r#"{"success":true,"message":"login magic link sent to your email","data":{}}"#),
        "/api/v3/auth/verify" => json(
            200,
            &format!(
                r#"{{"success":true,"message":"ok","data":{{"user_id":"u","session_id":"s","token_id":"t","token":"{}","refresh_token":"rt-1"}}}}"#,
                jwt(now() + 3600, "a")
            ),
        ),
        "/api/v3/auth/api-key/secure" => json(
            200,
            &format!(r#"{{"success":true,"message":"Api-key generated successfully","data":{{"key":"key-abc","secret":"{SIGNING_SECRET}"}}}}"#),
        ),
        "/api/v3/integrator" => json(200, &integrator_body()),
        _ => json(404, r#"{"success":false,"message":"nope","error_code":404,"data":{}}"#),
    })
    .await;
    let anon = v3::Client::builder().base_url(&server.base_url).build().unwrap();
    anon.login("you@yourcompany.com").await.unwrap();
    let link = format!("{}/api/v3/auth/verify?hash=abc%3D%3D", server.base_url);
    let session = anon.verify(&link).await.unwrap();
    let client = anon.with_session(session.clone());
    let pair = client.generate_secure_api_key().data().await.unwrap();
    let signed = anon
        .with_api_key(pair.key.expose())
        .with_signing_secret(pair.secret.unwrap().expose());
    signed.get_integrator().data().await.unwrap();
    let body = serde_json::json!({"email": "you@yourcompany.com"});
    signed
        .send_magic_link()
        .body(serde_json::from_value::<v3::types::SendMagicLinkRequest>(body).unwrap())
        .call()
        .await
        .unwrap();

    let seen = server.requests();
    assert_eq!(seen.len(), 5);
    // login and verify: public, no credential, no signature.
    assert_eq!(seen[0].header("authorization"), None);
    assert_eq!(seen[1].path, "/api/v3/auth/verify?hash=abc%3D%3D");
    assert_eq!(seen[1].header("authorization"), None);
    // key generation: the session's access token.
    let access = session.tokens().await.unwrap().access_token.expose().to_string();
    assert_eq!(
        seen[2].header("authorization"),
        Some(format!("Bearer {access}").as_str())
    );
    assert_eq!(seen[2].header("x-signature"), None);
    // The signed GET: bearer key, and a signature we recompute from what arrived.
    let g = &seen[3];
    assert_eq!(g.header("authorization"), Some("Bearer key-abc"));
    let (ts, nonce, sig) = (
        g.header("x-timestamp").unwrap(),
        g.header("x-nonce").unwrap(),
        g.header("x-signature").unwrap(),
    );
    assert!((ts.parse::<i64>().unwrap() - now()).abs() < 60);
    assert_eq!(uuid::Uuid::parse_str(nonce).unwrap().get_version_num(), 4);
    assert_eq!(
        sig,
        hmac_hex(SIGNING_SECRET, format!("{ts}.{nonce}.integrator").as_bytes())
    );
    // The signed POST: the signature covers exactly the bytes that arrived.
    let p = &seen[4];
    let (ts, nonce) = (p.header("x-timestamp").unwrap(), p.header("x-nonce").unwrap());
    let mut signed_bytes = format!("{ts}.{nonce}.").into_bytes();
    signed_bytes.extend_from_slice(&p.body);
    assert_eq!(
        p.header("x-signature").unwrap(),
        hmac_hex(SIGNING_SECRET, &signed_bytes)
    );
    assert_eq!(p.body, br#"{"email":"you@yourcompany.com"}"#);
    // A public operation still carries no credential even on a keyed client.
    assert_eq!(p.header("authorization"), None);
    assert_ne!(seen[3].header("x-nonce"), seen[4].header("x-nonce"));
}

#[tokio::test]
async fn each_retry_attempt_gets_a_fresh_nonce_and_signature() {
    let server = common::start(|n, _| {
        if n == 0 {
            json(503, r#"{"success":false,"message":"busy","data":{}}"#)
        } else {
            json(200, &integrator_body())
        }
    })
    .await;
    let client = v3::Client::builder()
        .base_url(&server.base_url)
        .api_key("k")
        .signing_secret(SIGNING_SECRET)
        .retry(common::fast_retry())
        .build()
        .unwrap();
    client.get_integrator().data().await.unwrap();
    let seen = server.requests();
    assert_eq!(seen.len(), 2);
    assert_ne!(seen[0].header("x-nonce"), seen[1].header("x-nonce"));
    for s in &seen {
        let msg = format!(
            "{}.{}.integrator",
            s.header("x-timestamp").unwrap(),
            s.header("x-nonce").unwrap()
        );
        assert_eq!(
            s.header("x-signature").unwrap(),
            hmac_hex(SIGNING_SECRET, msg.as_bytes())
        );
    }
}

fn refresh_reply(n_token: &str) -> Reply {
    json(
        200,
        &format!(
            r#"{{"success":true,"message":"ok","data":{{"user_id":"u","session_id":"s","token":"{n_token}","refresh_token":"rt-2"}}}}"#
        ),
    )
}

fn session_with(access: &str) -> Session {
    Session::new(Tokens {
        access_token: access.into(),
        refresh_token: "rt-1".into(),
        user_id: Some("u".into()),
        session_id: Some("s".into()),
    })
}

#[tokio::test]
async fn an_expired_token_is_refreshed_once_before_the_call() {
    let fresh = jwt(now() + 3600, "fresh");
    let fresh2 = fresh.clone();
    let server = common::start(move |_, req| match req.path.as_str() {
        "/api/v3/auth/refresh-token" => refresh_reply(&fresh2),
        _ => json(200, &integrator_body()),
    })
    .await;
    let session = session_with(&jwt(now() - 10, "old"));
    let client = v3::Client::builder()
        .base_url(&server.base_url)
        .session(session.clone())
        .build()
        .unwrap();
    client.get_integrator().data().await.unwrap();
    let seen = server.requests();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].path, "/api/v3/auth/refresh-token");
    assert_eq!(seen[0].header("authorization"), Some("Bearer rt-1"));
    assert_eq!(
        seen[1].header("authorization"),
        Some(format!("Bearer {fresh}").as_str())
    );
    let t = session.tokens().await.unwrap();
    assert_eq!(t.refresh_token.expose(), "rt-2");
    assert_eq!(session.refresh_count(), 1);
}

#[tokio::test]
async fn a_token_inside_the_margin_is_refreshed_ahead_of_expiry() {
    let server = common::start(move |_, req| match req.path.as_str() {
        "/api/v3/auth/refresh-token" => refresh_reply(&jwt(now() + 3600, "f")),
        _ => json(200, &integrator_body()),
    })
    .await;
    // 30 s left, margin 60 s (the default): refreshed.
    let session = session_with(&jwt(now() + 30, "soon"));
    let client = v3::Client::builder()
        .base_url(&server.base_url)
        .session(session.clone())
        .build()
        .unwrap();
    client.get_integrator().data().await.unwrap();
    assert_eq!(session.refresh_count(), 1);
    // 30 s left with a 10 s margin: not refreshed.
    let session =
        session_with(&jwt(now() + 30, "soon")).with_refresh_margin(std::time::Duration::from_secs(10));
    let client = v3::Client::builder()
        .base_url(&server.base_url)
        .session(session.clone())
        .build()
        .unwrap();
    client.get_integrator().data().await.unwrap();
    assert_eq!(session.refresh_count(), 0);
}

#[tokio::test]
async fn a_401_triggers_one_refresh_and_one_retry_not_a_loop() {
    let server = common::start(move |_, req| match req.path.as_str() {
        "/api/v3/auth/refresh-token" => refresh_reply(&jwt(now() + 3600, "f")),
        _ => json(
            401,
            r#"{"success":false,"message":"Invalid API Key","error_code":401,"data":{}}"#,
        ),
    })
    .await;
    let session = session_with(&jwt(now() + 3600, "revoked"));
    let client = v3::Client::builder()
        .base_url(&server.base_url)
        .session(session.clone())
        .build()
        .unwrap();
    let err = client.get_integrator().data().await.unwrap_err();
    let paths: Vec<String> = server.requests().into_iter().map(|s| s.path).collect();
    assert_eq!(
        paths,
        [
            "/api/v3/integrator",
            "/api/v3/auth/refresh-token",
            "/api/v3/integrator"
        ]
    );
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    assert_eq!(err.message(), "Invalid API Key");
}

#[tokio::test]
async fn a_401_then_success_after_refresh() {
    let server = common::start(move |n, req| match (n, req.path.as_str()) {
        (_, "/api/v3/auth/refresh-token") => refresh_reply(&jwt(now() + 3600, "f")),
        (0, _) => json(
            401,
            r#"{"success":false,"message":"Unauthorized","error_code":401,"data":{}}"#,
        ),
        _ => json(200, &integrator_body()),
    })
    .await;
    let session = session_with(&jwt(now() + 3600, "x"));
    let client = v3::Client::builder()
        .base_url(&server.base_url)
        .session(session.clone())
        .build()
        .unwrap();
    let me = client.get_integrator().data().await.unwrap();
    assert_eq!(me.organization, "A&B");
    assert_eq!(server.count(), 3);
}

#[tokio::test]
async fn concurrent_calls_with_an_expired_token_make_exactly_one_refresh() {
    let fresh = jwt(now() + 3600, "fresh");
    let f2 = fresh.clone();
    let server = common::start(move |_, req| match req.path.as_str() {
        "/api/v3/auth/refresh-token" => Reply::Slow(std::time::Duration::from_millis(50), 200, {
            format!(r#"{{"success":true,"message":"ok","data":{{"token":"{f2}","refresh_token":"rt-2"}}}}"#)
                .into_bytes()
        }),
        _ => json(200, &integrator_body()),
    })
    .await;
    let session = session_with(&jwt(now() - 100, "old"));
    let client = v3::Client::builder()
        .base_url(&server.base_url)
        .session(session.clone())
        .build()
        .unwrap();
    let mut tasks = Vec::new();
    for _ in 0..64 {
        let c = client.clone();
        tasks.push(tokio::spawn(async move {
            c.get_integrator().data().await.map(|_| ())
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let seen = server.requests();
    let refreshes = seen
        .iter()
        .filter(|s| s.path == "/api/v3/auth/refresh-token")
        .count();
    assert_eq!(refreshes, 1);
    let calls: Vec<_> = seen.iter().filter(|s| s.path == "/api/v3/integrator").collect();
    assert_eq!(calls.len(), 64);
    assert!(
        calls
            .iter()
            .all(|s| s.header("authorization") == Some(format!("Bearer {fresh}").as_str()))
    );
}

#[tokio::test]
async fn a_failed_refresh_ends_the_session_with_a_typed_error() {
    let server = common::start(move |_, req| match req.path.as_str() {
        "/api/v3/auth/refresh-token" => json(
            404,
            r#"{"success":false,"message":"Invalid Refresh Token Passed","error_code":404,"data":{}}"#,
        ),
        _ => json(200, &integrator_body()),
    })
    .await;
    let session = session_with(&jwt(now() - 10, "old"));
    let client = v3::Client::builder()
        .base_url(&server.base_url)
        .session(session.clone())
        .build()
        .unwrap();
    let err = client.get_integrator().data().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SessionEnded);
    assert!(err.is_auth());
    assert!(err.to_string().contains("log in again"), "{err}");
    assert!(session.tokens().await.is_none());
    // The call itself was never sent with the dead token.
    assert_eq!(
        server
            .requests()
            .iter()
            .filter(|s| s.path == "/api/v3/integrator")
            .count(),
        0
    );
    // Later calls fail the same way without another refresh.
    let err = client.get_integrator().data().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SessionEnded);
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn api_key_and_jwt_both_work_as_the_bearer() {
    let server = common::start(|_, _| json(200, &integrator_body())).await;
    for cred in ["an-api-key", &jwt(now() + 3600, "j")] {
        let c = v3::Client::builder()
            .base_url(&server.base_url)
            .api_key(cred)
            .build()
            .unwrap();
        c.get_integrator().data().await.unwrap();
    }
    let seen = server.requests();
    assert_eq!(seen[0].header("authorization"), Some("Bearer an-api-key"));
    assert!(seen[1].header("authorization").unwrap().starts_with("Bearer eyJ"));
}

#[test]
fn file_token_store_round_trips_with_owner_only_permissions() {
    use kotanipay::TokenStore;
    let dir = std::env::temp_dir().join(format!("kotanipay-test-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = kotanipay::FileTokenStore::new(dir.join("session.json"));
    assert!(store.load().unwrap().is_none());
    let tokens = Tokens {
        access_token: "a-tok".into(),
        refresh_token: "r-tok".into(),
        user_id: Some("u".into()),
        session_id: None,
    };
    store.save(&tokens).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("session.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert_eq!(store.load().unwrap(), Some(tokens));
    let resumed = Session::resume(Arc::new(store.clone())).unwrap();
    assert!(resumed.is_some());
    store.clear().unwrap();
    assert!(store.load().unwrap().is_none());
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn a_refresh_is_saved_to_the_store() {
    use kotanipay::TokenStore;
    let server = common::start(move |_, req| match req.path.as_str() {
        "/api/v3/auth/refresh-token" => refresh_reply(&jwt(now() + 3600, "f")),
        _ => json(200, &integrator_body()),
    })
    .await;
    let store = Arc::new(kotanipay::MemoryTokenStore::default());
    let session = Session::with_store(
        Tokens {
            access_token: jwt(now() - 1, "o").into(),
            refresh_token: "rt-1".into(),
            user_id: None,
            session_id: None,
        },
        store.clone(),
    )
    .unwrap();
    let client = v3::Client::builder()
        .base_url(&server.base_url)
        .session(session)
        .build()
        .unwrap();
    client.get_integrator().data().await.unwrap();
    assert_eq!(store.load().unwrap().unwrap().refresh_token.expose(), "rt-2");
}

#[test]
fn jwt_expiry_is_read_from_the_exp_claim() {
    let t = Tokens {
        access_token: jwt(1_900_000_000, "x").into(),
        refresh_token: "r".into(),
        user_id: None,
        session_id: None,
    };
    let exp = t.access_expires_at().unwrap();
    assert_eq!(
        exp.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs(),
        1_900_000_000
    );
    for not_jwt in ["", "abc", "a.b.c", "a.e30.c"] {
        assert_eq!(kotanipay::auth::session::jwt_expiry(not_jwt), None, "{not_jwt}");
    }
}

#[tokio::test]
async fn no_secret_leaks_in_debug_display_logs_or_errors() {
    const API_KEY: &str = "LEAK-api-key-0001";
    const SIGN: &str = "LEAK-signing-0002";
    const ACCESS: &str = "LEAK-access-0003";
    const REFRESH: &str = "LEAK-refresh-0004";
    const MKEY: &str = "LEAK-merchant-0005";
    const WEBHOOK: &str = "LEAK-webhook-0006";
    const NEW_KEY: &str = "LEAK-newkey-0007";
    const NEW_SECRET: &str = "LEAK-newsecret-0008";
    const SECRETS: [&str; 8] = [API_KEY, SIGN, ACCESS, REFRESH, MKEY, WEBHOOK, NEW_KEY, NEW_SECRET];

    let buf = common::logs();

    // The server echoes nothing secret; it fails some calls to produce errors.
    let server = common::start(|_, req| match req.path.as_str() {
        "/api/v3/integrator" => json(
            401,
            r#"{"success":false,"message":"Invalid API Key","error_code":401,"data":{}}"#,
        ),
        "/api/v3/auth/refresh-token" => json(
            403,
            r#"{"success":false,"message":"Unauthorized","error_code":403,"data":{}}"#,
        ),
        "/api/v3/auth/api-key/secure" => json(
            200,
            &format!(
                r#"{{"success":true,"message":"ok","data":{{"key":"{NEW_KEY}","secret":"{NEW_SECRET}"}}}}"#
            ),
        ),
        _ => json(500, "not json"),
    })
    .await;

    let keyed = v3::Client::builder()
        .base_url(&server.base_url)
        .api_key(API_KEY)
        .signing_secret(SIGN)
        .build()
        .unwrap();
    let tokens = Tokens {
        access_token: ACCESS.into(),
        refresh_token: REFRESH.into(),
        user_id: None,
        session_id: None,
    };
    let session = Session::new(tokens.clone());
    let with_session = keyed.with_session(session.clone());
    let merchant = kotanipay::merchant::Client::builder()
        .base_url(&server.base_url)
        .api_key(MKEY)
        .build()
        .unwrap();
    let builder = v3::Client::builder().api_key(API_KEY).signing_secret(SIGN);
    let mbuilder = kotanipay::merchant::Client::builder().api_key(MKEY);
    let secret = kotanipay::Secret::new(API_KEY);

    // Body logging on: request and response bodies carrying secrets are logged redacted.
    let logging = v3::Client::builder()
        .base_url(&server.base_url)
        .api_key(API_KEY)
        .log_bodies(true)
        .build()
        .unwrap();
    let pair = logging.generate_secure_api_key().data().await.unwrap();
    let signup = v3::types::CreateIntegratorRequest::builder()
        .organization("O")
        .product_name("P")
        .first_name("F")
        .last_name("L")
        .email("e@x.io")
        .phone("+1")
        .country_code("KE")
        .webhook_secret(Some(kotanipay::Secret::new(WEBHOOK)));
    let e4 = logging.create_integrator().body(signup).call().await.unwrap_err();

    let mut out = String::new();
    out += &format!("{pair:?}\n{e4}\n{e4:?}\n");
    let e1 = keyed.get_integrator().data().await.unwrap_err();
    let e2 = with_session.get_integrator().data().await.unwrap_err();
    let e3 = merchant.get_api_keys().data().await.unwrap_err();
    for e in [&e1, &e2, &e3] {
        out += &format!("{e}\n{e:?}\n{:?}\n", e.body_text());
        let mut src = std::error::Error::source(e);
        while let Some(s) = src {
            out += &format!("{s}\n{s:?}\n");
            src = s.source();
        }
    }
    out += &format!(
        "{keyed:?}\n{with_session:?}\n{merchant:?}\n{builder:?}\n{mbuilder:?}\n{session:?}\n{tokens:?}\n{secret:?}\n"
    );
    out += &String::from_utf8_lossy(&buf.0.lock().unwrap());
    assert!(
        out.contains("kotanipay.request"),
        "tracing captured the request spans:\n{out}"
    );
    assert!(
        out.contains("request_body") && out.contains("response_body"),
        "bodies were logged:\n{out}"
    );
    assert!(
        out.contains(r#""secret":"[REDACTED]""#),
        "the response secret was redacted:\n{out}"
    );
    for s in SECRETS {
        assert!(!out.contains(s), "secret {s} leaked in:\n{out}");
    }
    // The server did receive them: the test is not vacuous.
    let seen = server.requests();
    assert!(
        seen.iter()
            .any(|r| r.header("authorization") == Some(&format!("Bearer {API_KEY}")))
    );
    assert!(seen.iter().any(|r| r.header("x-api-key") == Some(MKEY)));
    assert!(
        seen.iter()
            .any(|r| String::from_utf8_lossy(&r.body).contains(WEBHOOK))
    );
}

#[tokio::test]
async fn the_refresh_margin_keeps_the_tokens_and_applies_to_clones() {
    let session = session_with("tok");
    let clone = session.clone();
    let session = session.with_refresh_margin(std::time::Duration::from_secs(5));
    assert_eq!(clone.margin(), std::time::Duration::from_secs(5));
    assert_eq!(session.tokens().await.unwrap().access_token.expose(), "tok");
}
