//! Sandbox lifecycles: sandbox_v3_account. Credentials (issued, generated, revoked and secure
//! keys, login sessions, their expiry and refresh, rate limits), magic-link logins, the
//! integrator, customers, wallets, account validation, rates and quotes, through the public v3
//! client.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::TryStreamExt;
use kotanipay::meta::Family;
use kotanipay::prelude::*;
use kotanipay::rust_decimal::{Decimal, RoundingStrategy};
use kotanipay::sandbox::Sandbox;
use kotanipay::v3::types;
use kotanipay::{ErrorKind, RetryPolicy, Session};
use serde_json::{Value, json};

use crate::sandbox::{finish, raw};

const EMAIL: &str = "dev@yourcompany.com";

fn body<T: serde::de::DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v).unwrap()
}

/// A client with no credential (public operations and the login).
fn anon(sandbox: &Sandbox) -> kotanipay::v3::Client {
    kotanipay::v3::Client::builder()
        .base_url(sandbox.base_url())
        .build()
        .unwrap()
}

/// Logs in by magic link, reading the link from the sandbox, and returns the session.
async fn login(sandbox: &Sandbox, email: &str) -> Session {
    let anon = anon(sandbox);
    let message = anon.login(email).await.unwrap();
    assert_eq!(message, "login magic link sent to your email");
    let link = sandbox.magic_link(email).unwrap();
    anon.verify(&link).await.unwrap()
}

fn wall_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// The three secure-mode headers for `payload`, signed as `src/auth/signing.rs` does.
fn signed(key: &str, secret: &str, ts: u64, nonce: &str, payload: &[u8]) -> Vec<(&'static str, String)> {
    vec![
        ("authorization", format!("Bearer {key}")),
        ("x-timestamp", ts.to_string()),
        ("x-nonce", nonce.to_string()),
        (
            "x-signature",
            kotanipay::auth::signing::signature(secret, ts, nonce, payload),
        ),
    ]
}

#[tokio::test]
async fn login_session_generated_keys_and_revocation() {
    let sandbox = Sandbox::start().await;
    let session = login(&sandbox, EMAIL).await;
    let tokens = session.tokens().await.unwrap();
    // The tokens look like JWTs, and carry no expiry the client could read.
    assert_eq!(tokens.access_token.expose().split('.').count(), 3);
    assert_eq!(tokens.refresh_token.expose().split('.').count(), 3);
    assert_eq!(tokens.access_expires_at(), None);
    assert!(tokens.user_id.is_some() && tokens.session_id.is_some());

    // The link works once.
    let link = sandbox.magic_link(EMAIL).unwrap();
    assert!(link.starts_with(&format!("{}/api/v3/auth/verify?hash=", sandbox.base_url())));
    let again = anon(&sandbox).verify(&link).await.unwrap_err();
    assert_eq!(again.status().map(|s| s.as_u16()), Some(400));
    assert_eq!(again.message(), "This login link has already been used");
    assert_eq!(sandbox.magic_link("nobody@example.com"), None);

    // With the session: a key, and a key with its signing secret.
    let with_session = anon(&sandbox).with_session(session.clone());
    let plain = with_session.generate_api_key().data().await.unwrap();
    assert!(plain.secret.is_none());
    let secure = with_session.generate_secure_api_key().data().await.unwrap();
    assert!(secure.secret.is_some());
    assert_ne!(plain.key, secure.key);

    // The generated key works like the issued one.
    let keyed = anon(&sandbox).with_api_key(plain.key.expose());
    let wallets = keyed.list_fiat_wallets().data().await.unwrap();
    assert_eq!(wallets.len(), 3);
    let issued = sandbox.v3_client().unwrap();
    assert_eq!(issued.list_fiat_wallets().data().await.unwrap(), wallets);

    // An API key cannot make keys: that needs a login session.
    let err = keyed.generate_api_key().data().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert_eq!(err.status().map(|s| s.as_u16()), Some(403));

    // Revoked: 401 "Invalid API Key"; the other keys go on working.
    assert!(sandbox.revoke_v3_key(plain.key.expose()));
    assert!(!sandbox.revoke_v3_key(plain.key.expose()));
    assert!(!sandbox.revoke_v3_key("not-a-key"));
    let err = keyed.get_integrator().data().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    assert_eq!(err.message(), "Invalid API Key");
    issued.get_integrator().data().await.unwrap();
    with_session.get_integrator().data().await.unwrap();

    // Revoking the issued key refuses it too.
    assert!(sandbox.revoke_v3_key(&sandbox.v3_api_key()));
    let err = issued.list_fiat_wallets().data().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);

    // No Debug or Display output shows a key, a secret or a token.
    let secrets = [
        plain.key.expose().to_string(),
        secure.key.expose().to_string(),
        secure.secret.as_ref().unwrap().expose().to_string(),
        tokens.access_token.expose().to_string(),
        tokens.refresh_token.expose().to_string(),
        sandbox.v3_api_key(),
    ];
    let printed = [
        format!("{plain:?}"),
        format!("{secure:?}"),
        format!("{tokens:?}"),
        format!("{session:?}"),
        format!("{keyed:?}"),
        format!("{with_session:?}"),
        format!("{err:?}"),
        err.to_string(),
        format!("{sandbox:?}"),
    ];
    for p in &printed {
        for s in &secrets {
            assert!(!p.contains(s.as_str()), "a secret in {p}");
        }
    }
    finish(&sandbox, "v3_account_login_keys_revocation");
}

#[tokio::test]
async fn human_verification_completes_a_login_once() {
    let sandbox = Sandbox::start().await;
    let anon = anon(&sandbox);
    assert_eq!(sandbox.human_verification_token(EMAIL), None);
    anon.login(EMAIL).await.unwrap();
    let token = sandbox.human_verification_token(EMAIL).unwrap();
    let err = anon.human_verify("not-the-token").await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
    assert_eq!(err.message(), "Invalid verification token");
    let session = anon.human_verify(&token).await.unwrap();
    let client = anon.with_session(session);
    client.get_integrator().data().await.unwrap();
    // Completing the login used up the link as well as the token.
    let err = anon.human_verify(&token).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
    let err = anon
        .verify(&sandbox.magic_link(EMAIL).unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
    // An e-mail address that is not one is refused before anything is sent.
    let (status, body) = raw(
        &sandbox,
        "POST",
        "/api/v3/auth/login",
        &[],
        Some(r#"{"email":"not an address"}"#),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["data"]["errors"], json!(["email must be an email"]));
    finish(&sandbox, "v3_account_human_verification");
}

#[tokio::test]
async fn a_magic_link_expires_after_an_hour_of_sandbox_time() {
    let sandbox = Sandbox::start().await;
    let anon = anon(&sandbox);
    anon.login(EMAIL).await.unwrap();
    let link = sandbox.magic_link(EMAIL).unwrap();
    sandbox.advance(Duration::from_secs(3600)).await;
    let err = anon.verify(&link).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
    assert_eq!(err.message(), "This login link has expired; request a new one");
    // A new link works.
    anon.login(EMAIL).await.unwrap();
    let fresh = sandbox.magic_link(EMAIL).unwrap();
    assert_ne!(fresh, link);
    anon.verify(&fresh).await.unwrap();
    finish(&sandbox, "v3_account_link_expiry");
}

#[tokio::test]
async fn access_tokens_expire_after_an_hour_and_the_session_refreshes_itself() {
    let sandbox = Sandbox::start().await;
    let session = login(&sandbox, EMAIL).await;
    let client = anon(&sandbox).with_session(session.clone());
    let before = client.get_integrator().data().await.unwrap();
    let old = session.tokens().await.unwrap();
    let bearer = |t: &str| vec![("authorization", format!("Bearer {t}"))];

    // 59 minutes: still good. One hour and a second: refused with 401 "Unauthorized".
    sandbox.advance(Duration::from_secs(59 * 60)).await;
    let (status, _) = raw(
        &sandbox,
        "GET",
        "/api/v3/integrator",
        &bearer(old.access_token.expose()),
        None,
    )
    .await;
    assert_eq!(status, 200);
    sandbox.advance(Duration::from_secs(61)).await;
    let (status, body) = raw(
        &sandbox,
        "GET",
        "/api/v3/integrator",
        &bearer(old.access_token.expose()),
        None,
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(body["message"], "Unauthorized");
    // A refresh token is no access token.
    let (status, _) = raw(
        &sandbox,
        "GET",
        "/api/v3/integrator",
        &bearer(old.refresh_token.expose()),
        None,
    )
    .await;
    assert_eq!(status, 401);

    // The SDK sees the 401, refreshes once, and the call succeeds.
    assert_eq!(sandbox.hits(Family::V3, "refresh_token").await, 0);
    let after = client.get_integrator().data().await.unwrap();
    assert_eq!(after, before);
    assert_eq!(sandbox.hits(Family::V3, "refresh_token").await, 1);
    assert_eq!(session.refresh_count(), 1);
    let new = session.tokens().await.unwrap();
    assert_ne!(new.access_token, old.access_token);
    assert_ne!(new.refresh_token, old.refresh_token);
    assert_eq!(new.session_id, old.session_id);
    assert_eq!(new.user_id, old.user_id);
    client.list_fiat_wallets().data().await.unwrap();
    assert_eq!(sandbox.hits(Family::V3, "refresh_token").await, 1);

    // The refresh token was rotated: the old one is refused.
    let (status, body) = raw(
        &sandbox,
        "GET",
        "/api/v3/auth/refresh-token",
        &bearer(old.refresh_token.expose()),
        None,
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(body["message"], "Invalid Refresh Token Passed");
    // So is an access token or an API key in its place.
    let (status, _) = raw(
        &sandbox,
        "GET",
        "/api/v3/auth/refresh-token",
        &bearer(new.access_token.expose()),
        None,
    )
    .await;
    assert_eq!(status, 404);
    // Through the SDK, a client holding the spent refresh token gets a typed error.
    let spent = anon(&sandbox).with_api_key(old.refresh_token.expose());
    let err = spent.refresh_token().data().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
    assert!(!format!("{err:?}").contains(old.refresh_token.expose()));
    // The current one works (once).
    let (status, body) = raw(
        &sandbox,
        "GET",
        "/api/v3/auth/refresh-token",
        &bearer(new.refresh_token.expose()),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["session_id"].as_str(), new.session_id.as_deref());
    finish(&sandbox, "v3_account_jwt_expiry_refresh");
}

#[tokio::test]
async fn a_secure_key_works_only_with_a_valid_signature() {
    let sandbox = Sandbox::start().await;
    let session = login(&sandbox, EMAIL).await;
    let pair = anon(&sandbox)
        .with_session(session)
        .generate_secure_api_key()
        .data()
        .await
        .unwrap();
    let (key, secret) = (
        pair.key.expose().to_string(),
        pair.secret.unwrap().expose().to_string(),
    );
    let signing = sandbox
        .v3_client()
        .unwrap()
        .with_api_key(&key)
        .with_signing_secret(&secret);
    // GET (last path segment signed), with and without a path parameter.
    let wallets = signing.list_fiat_wallets().data().await.unwrap();
    signing.get_fiat_wallet().id(&wallets[0].id).data().await.unwrap();
    // POST and PATCH (the body signed), and GET with a `+` in the path.
    let customer = signing
        .create_customer()
        .body(body::<types::CreateCustomerRequest>(
            json!({"phone_number": "+254712345678", "country_code": "KE"}),
        ))
        .data()
        .await
        .unwrap();
    let key_of = customer.customer_key.clone().unwrap();
    signing
        .update_customer()
        .customer_key(&key_of)
        .body(body::<types::UpdateCustomerRequest>(
            json!({"country_code": "KE", "first_name": "Amina"}),
        ))
        .data()
        .await
        .unwrap();
    let found = signing
        .get_customer_by_phone()
        .phone_number("+254712345678")
        .data()
        .await
        .unwrap();
    assert_eq!(found.first_name.as_deref(), Some("Amina"));

    // Without signing, the same key is refused.
    let unsigned = sandbox.v3_client().unwrap().with_api_key(&key);
    let err = unsigned.list_fiat_wallets().data().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    // Signed with the wrong secret: refused.
    let wrong = unsigned.with_signing_secret("not-the-secret");
    assert_eq!(
        wrong.list_fiat_wallets().data().await.unwrap_err().kind(),
        ErrorKind::Auth
    );

    // Raw requests: a good signature passes once; a replay, a tampered signature, a stale
    // timestamp or a changed body is refused.
    let now = wall_secs();
    let ok = signed(&key, &secret, now, "n-1", b"fiat");
    assert_eq!(
        raw(&sandbox, "GET", "/api/v3/wallet/fiat", &ok, None).await.0,
        200
    );
    assert_eq!(
        raw(&sandbox, "GET", "/api/v3/wallet/fiat", &ok, None).await.0,
        401
    );
    let mut tampered = signed(&key, &secret, now, "n-2", b"fiat");
    let sig = tampered[3].1.clone();
    let flipped = if sig.starts_with('0') { "1" } else { "0" };
    tampered[3].1 = format!("{flipped}{}", &sig[1..]);
    assert_eq!(
        raw(&sandbox, "GET", "/api/v3/wallet/fiat", &tampered, None)
            .await
            .0,
        401
    );
    let stale = signed(&key, &secret, now - 400, "n-3", b"fiat");
    assert_eq!(
        raw(&sandbox, "GET", "/api/v3/wallet/fiat", &stale, None).await.0,
        401
    );
    let future = signed(&key, &secret, now + 400, "n-4", b"fiat");
    assert_eq!(
        raw(&sandbox, "GET", "/api/v3/wallet/fiat", &future, None).await.0,
        401
    );
    // Headers missing.
    let bare = vec![("authorization", format!("Bearer {key}"))];
    let (status, body) = raw(&sandbox, "GET", "/api/v3/wallet/fiat", &bare, None).await;
    assert_eq!(status, 401);
    assert_eq!(body["success"], false);
    assert!(!body.to_string().contains(&secret));
    // A POST signs the exact body; another body with the same signature is refused.
    let sent = r#"{"name":"Naira","currency":"NGN","country":"NG"}"#;
    let headers = signed(&key, &secret, now, "n-5", sent.as_bytes());
    let (status, _) = raw(
        &sandbox,
        "POST",
        "/api/v3/wallet/fiat",
        &headers,
        Some(r#"{"name":"Naira!","currency":"NGN","country":"NG"}"#),
    )
    .await;
    assert_eq!(status, 401);
    let headers = signed(&key, &secret, now, "n-6", sent.as_bytes());
    let (status, body) = raw(&sandbox, "POST", "/api/v3/wallet/fiat", &headers, Some(sent)).await;
    assert_eq!(status, 201, "{body}");
    // The sandbox clock does not matter: signatures use wall time.
    sandbox.advance(Duration::from_secs(86_400)).await;
    signing.list_fiat_wallets().data().await.unwrap();
    finish(&sandbox, "v3_account_secure_keys");
}

#[tokio::test]
async fn customers_are_created_read_updated_found_and_listed() {
    let sandbox = Sandbox::start().await;
    let client = sandbox.v3_client().unwrap();
    let create = |v: Value| {
        client
            .create_customer()
            .body(body::<types::CreateCustomerRequest>(v))
    };
    let resp = create(json!({
        "phone_number": "+254 700 000 001",
        "country_code": "KEN",
        "network": "MPESA",
        "account_name": "Jane Mary Doe",
        "first_name": "Jane",
        "last_name": "Doe",
    }))
    .send()
    .await
    .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    let jane = resp.into_inner().data;
    let key = jane.customer_key.clone().unwrap();
    assert_eq!(jane.phone_number.as_deref(), Some("+254700000001"));
    assert_eq!(jane.country_code, "KE");
    assert_eq!(
        jane.network.as_ref().map(|n| n.to_string()).as_deref(),
        Some("MPESA")
    );
    let integrator = client.get_integrator().data().await.unwrap();
    assert_eq!(jane.integrator, integrator.id);

    // The same phone number again: the existing customer, nothing new.
    let again = create(json!({"phone_number": "+254700000001", "country_code": "KE"}))
        .data()
        .await
        .unwrap();
    assert_eq!(again, jane);

    let got = client.get_customer().customer_key(&key).data().await.unwrap();
    assert_eq!(got, jane);
    let by_phone = client
        .get_customer_by_phone()
        .phone_number("+254700000001")
        .data()
        .await
        .unwrap();
    assert_eq!(by_phone, jane);

    let updated = client
        .update_customer()
        .customer_key(&key)
        .body(body::<types::UpdateCustomerRequest>(
            json!({"country_code": "KE", "email": "jane.doe@example.com"}),
        ))
        .data()
        .await
        .unwrap();
    assert_eq!(updated.email.as_deref(), Some("jane.doe@example.com"));
    assert_eq!(updated.first_name.as_deref(), Some("Jane"));
    assert_eq!(updated.customer_key, jane.customer_key);

    // A bank payee, a suspended customer (creating works; paying them does not), more payers.
    let payee = create(json!({
        "country_code": "KE", "account_number": "1000000001", "bank_code": "KCB",
        "account_name": "Jane Mary Doe",
    }))
    .data()
    .await
    .unwrap();
    assert_eq!(payee.phone_number, None);
    let suspended = create(json!({
        "phone_number": format!("+256{}", kotanipay::sandbox::numbers::SUSPENDED),
        "country_code": "UG",
    }))
    .data()
    .await
    .unwrap();
    assert!(suspended.customer_key.is_some());
    for n in 0..3 {
        create(json!({"phone_number": format!("+25571234567{n}"), "country_code": "TZ"}))
            .data()
            .await
            .unwrap();
    }

    // Pages in creation order; the SDK's walk gets every one.
    let page1 = client.list_customers().page(1).limit(2).data().await.unwrap();
    let page2 = client.list_customers().page(2).limit(2).data().await.unwrap();
    assert_eq!(page1[0].customer_key, jane.customer_key);
    assert_eq!(page1[1].customer_key, payee.customer_key);
    assert_eq!(page2[0].customer_key, suspended.customer_key);
    let all: Vec<_> = client.list_customers().items(2).try_collect().await.unwrap();
    assert_eq!(all.len(), 6);
    assert_eq!(all[0], updated);

    // Errors in the API's shape.
    let err = client
        .get_customer()
        .customer_key("nope")
        .data()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
    assert_eq!(err.message(), "Customer not found.");
    let err = client
        .get_customer_by_phone()
        .phone_number("+254799999999")
        .data()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
    let err = create(json!({"country_code": "KE"})).data().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
    assert_eq!(
        err.validation_errors()[0].message,
        "phone_number should not be empty"
    );
    let err = create(json!({"phone_number": "0712345678", "country_code": "KE"}))
        .data()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
    let err = client.list_customers().page(0).data().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
    finish(&sandbox, "v3_account_customers");
}

#[tokio::test]
async fn wallets_one_fiat_wallet_per_currency_and_crypto_wallets() {
    let sandbox = Sandbox::start().await;
    let client = sandbox.v3_client().unwrap();
    let seeded = client.list_fiat_wallets().data().await.unwrap();
    let currencies: Vec<&str> = seeded.iter().map(|w| w.currency.as_str()).collect();
    assert_eq!(currencies, ["KES", "UGX", "GHS"]);

    let create = |v: Value| {
        client
            .create_fiat_wallet()
            .body(body::<types::CreateFiatWalletRequest>(v))
    };
    let resp = create(json!({"name": "Naira payouts", "currency": "ngn", "country": "NGA"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    let naira = resp.into_inner().data;
    assert_eq!(naira.currency, "NGN");
    assert_eq!(naira.country.as_deref(), Some("NG"));
    assert_eq!(naira.balance, Decimal::ZERO);
    assert_eq!(naira.deposit_balance, Some(Decimal::ZERO));
    assert_eq!(
        naira.status.as_ref().map(|s| s.to_string()).as_deref(),
        Some("active")
    );

    // One per currency: a second NGN wallet, or a second KES one, is refused.
    for again in [
        json!({"name": "More naira", "currency": "NGN"}),
        json!({"name": "Shillings", "currency": "KES", "country": "KE"}),
    ] {
        let err = create(again).data().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Api);
        assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
        assert!(err.message().contains("already exists"), "{}", err.message());
    }
    // A currency of several countries may have one wallet per country.
    create(json!({"name": "XOF Senegal", "currency": "XOF", "country": "SN"}))
        .data()
        .await
        .unwrap();
    create(json!({"name": "XOF Ivory Coast", "currency": "XOF", "country": "CIV"}))
        .data()
        .await
        .unwrap();
    assert_eq!(client.list_fiat_wallets().data().await.unwrap().len(), 6);

    let got = client.get_fiat_wallet().id(&naira.id).data().await.unwrap();
    assert_eq!(got, naira);
    let locked = client
        .update_fiat_wallet()
        .id(&naira.id)
        .body(body::<types::UpdateFiatWalletRequest>(
            json!({"name": "Naira (locked)", "locked": true}),
        ))
        .data()
        .await
        .unwrap();
    assert_eq!(locked.name, "Naira (locked)");
    assert_eq!(
        locked.status.as_ref().map(|s| s.to_string()).as_deref(),
        Some("inactive")
    );
    let by_currency = client
        .get_fiat_wallet_by_currency()
        .currency("KES")
        .data()
        .await
        .unwrap();
    assert_eq!(by_currency, seeded[0]);
    let ci = client
        .get_fiat_wallet_by_currency()
        .currency("XOF")
        .country("CI")
        .data()
        .await
        .unwrap();
    assert_eq!(ci.name, "XOF Ivory Coast");
    for err in [
        client.get_fiat_wallet().id("nope").data().await.unwrap_err(),
        client
            .update_fiat_wallet()
            .id("nope")
            .body(body::<types::UpdateFiatWalletRequest>(json!({"name": "x"})))
            .data()
            .await
            .unwrap_err(),
        client
            .get_fiat_wallet_by_currency()
            .currency("EUR")
            .data()
            .await
            .unwrap_err(),
    ] {
        assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
        assert_eq!(err.message(), "Wallet Not Found");
        let body = err.api_body::<types::ErrorBody>().unwrap();
        assert_eq!(body.error_code, Some(404));
    }

    // Crypto wallets.
    let crypto = client.list_crypto_wallets().data().await.unwrap();
    assert_eq!(crypto.len(), 1);
    let resp = client
        .create_crypto_wallet()
        .body(body::<types::CreateCryptoWalletRequest>(
            json!({"name": "Treasury", "chain": "POLYGON"}),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    let treasury = resp.into_inner().data;
    assert_eq!(treasury.coin.to_string(), "USDT");
    assert_eq!(
        treasury.chain.as_ref().map(|c| c.to_string()).as_deref(),
        Some("POLYGON")
    );
    assert!(treasury.address.as_deref().unwrap().starts_with("0x"));
    assert_eq!(treasury.balance, Decimal::ZERO);
    let got = client.get_crypto_wallet().id(&treasury.id).data().await.unwrap();
    assert_eq!(got.name, "Treasury");
    assert!(
        got.explorer_url
            .as_deref()
            .unwrap()
            .starts_with("https://polygonscan.com/address/0x")
    );
    assert_eq!(client.list_crypto_wallets().data().await.unwrap().len(), 2);
    let err = client.get_crypto_wallet().id("nope").data().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
    finish(&sandbox, "v3_account_wallets");
}

/// One mobile-money check: the validation result.
async fn check_phone(
    client: &kotanipay::v3::Client,
    phone: &str,
    name: Option<&str>,
) -> types::AccountValidation {
    let mut req = json!({"phoneNumber": phone});
    if let Some(n) = name {
        req["accountName"] = json!(n);
    }
    client
        .validate_mobile_money_account()
        .body(body::<types::ValidateMobileMoneyAccountRequest>(req))
        .data()
        .await
        .unwrap()
}

#[tokio::test]
async fn mobile_money_validation_gives_kotanis_reserved_outcomes() {
    let sandbox = Sandbox::start().await;
    let client = sandbox.v3_client().unwrap();
    // (last nine digits, nameLookupStatus, accountName, isValid)
    let reserved = [
        ("700000001", "MATCHED", Some("JANE MARY DOE"), true),
        ("700000002", "MATCHED", Some("ROBERT JAMES SMITH"), true),
        ("700000003", "NOT_FOUND", None, false),
        ("700000004", "UNSUPPORTED", None, true),
        ("700000005", "TIMEOUT", None, true),
        ("700000006", "ERROR", None, true),
        ("700000007", "MATCHED", Some("J*** M*** D**"), true),
    ];
    // Any country prefix: the last nine digits decide.
    for prefix in ["+254", "+256", "+233"] {
        for (digits, status, name, valid) in reserved {
            let phone = format!("{prefix}{digits}");
            let v = check_phone(&client, &phone, None).await;
            assert_eq!(v.name_lookup_status.as_deref(), Some(status), "{phone}");
            assert_eq!(v.account_name.as_deref(), name, "{phone}");
            assert_eq!(v.is_valid, valid, "{phone}");
            assert!(v.is_supported);
            assert_eq!(v.international_number.as_deref(), Some(phone.as_str()));
            assert_eq!(v.account_type.to_string(), "mobile_money");
            assert_eq!(v.name_lookup_reason.is_some(), status != "MATCHED", "{phone}");
        }
    }
    let v = check_phone(&client, "+254700000001", None).await;
    assert_eq!(v.country_code.as_deref(), Some("KE"));
    assert_eq!(v.currency.as_deref(), Some("KES"));
    assert_eq!(v.national_number.as_deref(), Some("0700000001"));
    assert_eq!(
        v.network.as_ref().map(|n| n.to_string()).as_deref(),
        Some("MPESA")
    );
    assert_eq!(v.account_status.as_deref(), Some("ACTIVE"));
    assert!(v.name_match.is_none());

    // Names compare token by token: "Jane M Doe" matches JANE MARY DOE.
    let v = check_phone(&client, "+254700000001", Some("Jane M Doe")).await;
    let m = v.name_match.unwrap();
    assert!(m.matched && !m.masked);
    assert!(m.score >= m.threshold);
    assert_eq!(m.provided, "Jane M Doe");
    let v = check_phone(&client, "+254700000001", Some("doe jane mary")).await;
    assert_eq!(v.name_match.unwrap().score, 100.0);
    // A mismatch leaves the number valid: check nameMatch.matched.
    let v = check_phone(&client, "+254700000002", Some("Jane Doe")).await;
    assert!(v.is_valid);
    let m = v.name_match.unwrap();
    assert!(!m.matched);
    assert!(m.score < m.threshold);
    // A masked name is "not contradicted" at best.
    let v = check_phone(&client, "+254700000007", Some("Jane Doe")).await;
    let m = v.name_match.unwrap();
    assert!(m.masked && m.matched);
    let v = check_phone(&client, "+254700000007", Some("Robert Smith")).await;
    assert!(!v.name_match.unwrap().matched);
    // No name found, no match made.
    let v = check_phone(&client, "+254700000003", Some("Jane Doe")).await;
    assert!(v.name_match.is_none());

    // Any other number is MATCHED with a name of its own, the same every time.
    let a = check_phone(&client, "+254712345678", None).await;
    let b = check_phone(&client, "+254712345678", None).await;
    assert_eq!(a.name_lookup_status.as_deref(), Some("MATCHED"));
    assert!(a.is_valid);
    assert!(a.account_name.is_some());
    assert_eq!(a.account_name, b.account_name);
    let airtel = check_phone(&client, "+254733000111", None).await;
    assert_eq!(
        airtel.network.as_ref().map(|n| n.to_string()).as_deref(),
        Some("AIRTEL")
    );
    // A national number needs its country code.
    let v = check_phone(&client, "0700000001", None).await;
    assert!(!v.is_valid);
    assert_eq!(v.requires_internationalization, Some(true));

    // Paybills and tills: the reserved shortcodes.
    for (code, kind, status, name, valid) in [
        ("100001", "paybill", "MATCHED", Some("ACME TRADING LIMITED"), true),
        ("100002", "till", "NOT_FOUND", None, false),
        ("100003", "paybill", "ERROR", None, true),
    ] {
        let v = client
            .validate_mobile_money_account()
            .body(body::<types::ValidateMobileMoneyAccountRequest>(
                json!({"accountType": kind, "shortCode": code, "accountReference": "INV-1"}),
            ))
            .data()
            .await
            .unwrap();
        assert_eq!(v.account_type.to_string(), kind);
        assert_eq!(v.name_lookup_status.as_deref(), Some(status), "{code}");
        assert_eq!(v.account_name.as_deref(), name, "{code}");
        assert_eq!(v.is_valid, valid, "{code}");
    }
    let err = client
        .validate_mobile_money_account()
        .body(body::<types::ValidateMobileMoneyAccountRequest>(
            json!({"accountType": "till"}),
        ))
        .data()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
    assert_eq!(
        err.validation_errors()[0].message,
        "shortCode should not be empty"
    );
    finish(&sandbox, "v3_account_validate_mobile_money");
}

#[tokio::test]
async fn bank_validation_gives_kotanis_reserved_outcomes() {
    let sandbox = Sandbox::start().await;
    let client = sandbox.v3_client().unwrap();
    let check = |account: &str, name: Option<&str>| {
        let mut req = json!({"accountNumber": account, "bankCode": "KCB", "countryCode": "KE"});
        if let Some(n) = name {
            req["accountName"] = json!(n);
        }
        client
            .validate_bank_account()
            .body(body::<types::ValidateBankAccountRequest>(req))
    };
    // (account, nameLookupStatus, accountName, accountStatus, isValid)
    for (account, status, name, account_status, valid) in [
        (
            "1000000001",
            "MATCHED",
            Some("JANE MARY DOE"),
            Some("ACTIVE"),
            true,
        ),
        (
            "1000000002",
            "MATCHED",
            Some("ROBERT JAMES SMITH"),
            Some("ACTIVE"),
            true,
        ),
        (
            "1000000003",
            "MATCHED",
            Some("JANE MARY DOE"),
            Some("FROZEN"),
            false,
        ),
        (
            "1000000004",
            "MATCHED",
            Some("JANE MARY DOE"),
            Some("RESTRICTED"),
            true,
        ),
        ("1000000005", "NOT_FOUND", None, None, false),
        ("1000000006", "UNSUPPORTED", None, None, true),
        ("1000000007", "ERROR", None, None, true),
    ] {
        let resp = check(account, None).send().await.unwrap();
        assert_eq!(resp.status().as_u16(), 201);
        let v = resp.into_inner().data;
        assert_eq!(v.account_type.to_string(), "bank");
        assert_eq!(v.name_lookup_status.as_deref(), Some(status), "{account}");
        assert_eq!(v.account_name.as_deref(), name, "{account}");
        assert_eq!(v.account_status.as_deref(), account_status, "{account}");
        assert_eq!(v.is_valid, valid, "{account}");
        assert_eq!(v.bank_name.as_deref(), Some("KCB"));
        assert_eq!(v.currency.as_deref(), Some("KES"));
    }
    let v = check("1000000001", Some("Jane M Doe")).data().await.unwrap();
    assert!(v.name_match.unwrap().matched);
    let v = check("1000000002", Some("Jane M Doe")).data().await.unwrap();
    assert!(v.is_valid);
    assert!(!v.name_match.unwrap().matched);
    // Other accounts: MATCHED, ACTIVE, a name of their own.
    let v = check("0123456789", None).data().await.unwrap();
    assert_eq!(v.name_lookup_status.as_deref(), Some("MATCHED"));
    assert_eq!(v.account_status.as_deref(), Some("ACTIVE"));
    assert!(v.is_valid && v.account_name.is_some());
    let err = check("", None).data().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
    finish(&sandbox, "v3_account_validate_bank");
}

fn round(d: Decimal, dp: u32) -> Decimal {
    d.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero)
}

#[tokio::test]
async fn rates_and_quotes_follow_one_fixed_table() {
    let sandbox = Sandbox::start().await;
    let client = sandbox.v3_client().unwrap();
    let public = anon(&sandbox);
    let rates = client.list_rates().data().await.unwrap();
    assert_eq!(public.list_public_rates().data().await.unwrap(), rates);
    let kes = rates.iter().find(|r| r.from == "USD" && r.to == "KES").unwrap();
    assert_eq!(kes.value, "129.5");
    let one = client.get_rate().from("USD").to("KES").data().await.unwrap();
    assert_eq!(&one, kes);
    let back = public
        .get_public_rate()
        .from("kes")
        .to("usd")
        .data()
        .await
        .unwrap();
    assert_eq!((back.from.as_str(), back.to.as_str()), ("KES", "USD"));
    assert_eq!(back.value, "0.0077220077");
    let err = public
        .get_public_rate()
        .from("USD")
        .to("XYZ")
        .data()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
    assert_eq!(err.message(), "Exchange rate not found");

    // Onramp: 2.5% collection fee off the fiat, the rest converted at the quoted rate.
    let resp = client
        .create_onramp_quote()
        .body(body::<types::CreateOnrampQuoteRequest>(
            json!({"from": "KES", "to": "USDT", "fiatAmount": 1000}),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    let q = resp.into_inner().data;
    let value: Decimal = q.value.parse().unwrap();
    assert_eq!(q.fiat_amount, Decimal::from(1000));
    assert_eq!(q.fee, Decimal::from(25));
    assert_eq!(q.transaction_amount, Decimal::from(975));
    assert_eq!(q.crypto_amount, round(Decimal::from(975) * value, 6));
    assert!(q.id.starts_with("q_onr_"));
    // Bigger amounts, proportionally bigger quotes.
    let q2 = client
        .create_onramp_quote()
        .body(body::<types::CreateOnrampQuoteRequest>(
            json!({"from": "KES", "to": "USDT", "fiatAmount": 10000}),
        ))
        .data()
        .await
        .unwrap();
    assert_eq!(q2.fee, Decimal::from(250));
    assert_eq!(q2.crypto_amount, round(Decimal::from(9750) * value, 6));
    assert_ne!(q2.id, q.id);

    // Offramp: converted, then the 2% payout fee comes off what the recipient gets.
    let o = client
        .create_offramp_quote()
        .body(body::<types::CreateOfframpQuoteRequest>(
            json!({"from": "USDC", "to": "KES", "cryptoAmount": 10}),
        ))
        .data()
        .await
        .unwrap();
    assert_eq!(o.value, "129.5");
    assert_eq!(o.fiat_amount, Decimal::from(1295));
    assert_eq!(o.fee, Decimal::from(26));
    assert_eq!(o.transaction_amount, Decimal::from(1269));
    assert_eq!(o.wallet_debit_amount, Some(Decimal::from(1295)));
    assert!(o.id.starts_with("q_ofr_"));

    // Fiat to fiat: the collection fee on top, the payout fee off the converted amount.
    let f = client
        .create_fiat_quote()
        .body(body::<types::CreateFiatQuoteRequest>(
            json!({"from": "USD", "to": "KES", "amount": 100}),
        ))
        .data()
        .await
        .unwrap();
    assert_eq!(f.value, "129.5");
    assert_eq!(f.deposit_amount, Decimal::from(100));
    assert_eq!(f.deposit_fee, "2.5".parse::<Decimal>().unwrap());
    assert_eq!(f.deposit_transaction_amount, "102.5".parse::<Decimal>().unwrap());
    assert_eq!(f.withdrawal_amount, Decimal::from(12950));
    assert_eq!(f.withdrawal_fee, Decimal::from(259));
    assert_eq!(f.withdrawal_transaction_amount, Decimal::from(12691));

    // Bad amounts and pairs: the API's errors.
    let err = client
        .create_onramp_quote()
        .body(body::<types::CreateOnrampQuoteRequest>(
            json!({"from": "KES", "to": "USDT", "fiatAmount": -5}),
        ))
        .data()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
    assert_eq!(
        err.validation_errors()[0].message,
        "fiatAmount must be a positive number"
    );
    let err = client
        .create_onramp_quote()
        .body(body::<types::CreateOnrampQuoteRequest>(
            json!({"from": "KES", "to": "USDT", "fiatAmount": 1e20}),
        ))
        .data()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
    let err = client
        .create_offramp_quote()
        .body(body::<types::CreateOfframpQuoteRequest>(
            json!({"from": "USDC", "to": "XYZ", "cryptoAmount": 10}),
        ))
        .data()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
    finish(&sandbox, "v3_account_rates_quotes");
}

#[tokio::test]
async fn the_integrator_and_its_webhook_settings() {
    let sandbox = Sandbox::start().await;
    let client = sandbox.v3_client().unwrap();
    let before = client.get_integrator().data().await.unwrap();
    assert_eq!(before.webhook_url, None);
    assert!(before.webhook_events.is_empty());
    let updated = client
        .update_integrator_webhook()
        .body(body::<types::UpdateIntegratorWebhookRequest>(json!({
            "webhook_url": "http://127.0.0.1:9/hooks",
            "webhook_secret": "whsec_sandbox_test",
            "webhook_events": ["transaction.deposit.status.updated"],
        })))
        .data()
        .await
        .unwrap();
    assert_eq!(updated.webhook_url.as_deref(), Some("http://127.0.0.1:9/hooks"));
    assert_eq!(updated.webhook_events.len(), 1);
    assert_eq!(client.get_integrator().data().await.unwrap(), updated);
    assert_eq!(
        sandbox.v3_webhook_url().as_deref(),
        Some("http://127.0.0.1:9/hooks")
    );
    assert_eq!(sandbox.v3_webhook_secret().as_deref(), Some("whsec_sandbox_test"));
    // The secret is never returned.
    let (_, seen) = raw(
        &sandbox,
        "GET",
        "/api/v3/integrator",
        &[("authorization", format!("Bearer {}", sandbox.v3_api_key()))],
        None,
    )
    .await;
    assert!(!seen.to_string().contains("whsec_sandbox_test"));
    // Fields left out stay; an empty secret turns signing off.
    client
        .update_integrator_webhook()
        .body(body::<types::UpdateIntegratorWebhookRequest>(
            json!({"webhook_secret": ""}),
        ))
        .data()
        .await
        .unwrap();
    assert_eq!(sandbox.v3_webhook_secret(), None);
    assert_eq!(
        sandbox.v3_webhook_url().as_deref(),
        Some("http://127.0.0.1:9/hooks")
    );
    let err = client
        .update_integrator_webhook()
        .body(body::<types::UpdateIntegratorWebhookRequest>(
            json!({"webhook_url": "not a url"}),
        ))
        .data()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));

    // Sign-up writes the sandbox integrator's profile.
    let resp = anon(&sandbox)
        .create_integrator()
        .body(body::<types::CreateIntegratorRequest>(json!({
            "organization": "A&B Company", "product_name": "AB Pay", "first_name": "John",
            "last_name": "Doe", "email": "ab@example.com", "phone": "+254700000000",
            "country_code": "KE",
        })))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    let created = resp.into_inner().data;
    assert_eq!(created.organization, "A&B Company");
    assert_eq!(created.id, before.id);
    assert_eq!(client.get_integrator().data().await.unwrap(), created);
    // The key check.
    let health = client.check_api_key().call().await.unwrap();
    assert_eq!(health.status, "ok");
    finish(&sandbox, "v3_account_integrator");
}

#[tokio::test]
async fn rate_limits_answer_429_with_retry_after_per_endpoint_and_key() {
    let sandbox = Sandbox::builder().rate_limits(true).start().await;
    let client = kotanipay::v3::Client::builder()
        .base_url(sandbox.base_url())
        .api_key(sandbox.v3_api_key())
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    // Reading: at most 20 per 5 s.
    for _ in 0..20 {
        client.get_integrator().data().await.unwrap();
    }
    let err = client.get_integrator().data().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.status().map(|s| s.as_u16()), Some(429));
    assert_eq!(err.retry_after(), Some(Duration::from_secs(5)));
    let body = err.api_body::<types::ErrorBody>().unwrap();
    assert_eq!(body.status_code, Some(429));
    assert_eq!(body.message, "ThrottlerException: Too Many Requests");
    assert_eq!(body.error.as_deref(), Some("Too Many Requests"));
    // Per endpoint: another read is not affected.
    client.list_fiat_wallets().data().await.unwrap();
    // Per key: a session's budget is its own.
    let session = login(&sandbox, EMAIL).await;
    let with_session = kotanipay::v3::Client::builder()
        .base_url(sandbox.base_url())
        .session(session)
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    with_session.get_integrator().data().await.unwrap();
    // Time passes on the sandbox clock: the window has moved on.
    sandbox.advance(Duration::from_secs(2)).await;
    let err = client.get_integrator().data().await.unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3)));
    sandbox.advance(Duration::from_secs(3)).await;
    client.get_integrator().data().await.unwrap();

    // Auth and key management: at most 3 per 10 s.
    for _ in 0..3 {
        with_session.generate_api_key().data().await.unwrap();
    }
    let err = with_session.generate_api_key().data().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(10)));
    sandbox.advance(Duration::from_secs(10)).await;
    with_session.generate_api_key().data().await.unwrap();
    // ...and 10 per minute.
    for _ in 0..2 {
        with_session.generate_api_key().data().await.unwrap();
    }
    sandbox.advance(Duration::from_secs(10)).await;
    for _ in 0..3 {
        with_session.generate_api_key().data().await.unwrap();
    }
    sandbox.advance(Duration::from_secs(10)).await;
    with_session.generate_api_key().data().await.unwrap();
    let err = with_session.generate_api_key().data().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(30)));
    finish(&sandbox, "v3_account_rate_limits");
}

#[tokio::test]
async fn money_movements_have_their_own_rate_limit_tier() {
    let sandbox = Sandbox::builder().rate_limits(true).start().await;
    let client = kotanipay::v3::Client::builder()
        .base_url(sandbox.base_url())
        .api_key(sandbox.v3_api_key())
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    let customer = client
        .create_customer()
        .body(body::<types::CreateCustomerRequest>(
            json!({"phone_number": "+254712000111", "country_code": "KE"}),
        ))
        .data()
        .await
        .unwrap();
    let wallet = client
        .get_fiat_wallet_by_currency()
        .currency("KES")
        .data()
        .await
        .unwrap();
    let deposit = |n: u32| {
        client
            .create_mobile_money_deposit()
            .body(body::<types::CreateDepositRequest>(json!({
                "customer_key": customer.customer_key,
                "amount": 100,
                "wallet_id": wallet.id,
                "reference_id": format!("rl-{n}"),
            })))
    };
    // Moving money: at most 20 per 5 s, refused before anything is created.
    for n in 0..20 {
        deposit(n).data().await.unwrap();
    }
    let err = deposit(20).data().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(5)));
    let err = client
        .get_deposit_status()
        .reference_id("rl-20")
        .data()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
    // ...and 60 per minute.
    for round in 1..3 {
        sandbox.advance(Duration::from_secs(5)).await;
        for n in 0..20 {
            deposit(round * 100 + n).data().await.unwrap();
        }
    }
    sandbox.advance(Duration::from_secs(5)).await;
    let err = deposit(999).data().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(45)));
    finish(&sandbox, "v3_account_rate_limits_money");
}

#[tokio::test]
async fn a_raised_account_gets_that_many_times_the_limits() {
    let sandbox = Sandbox::builder().rate_limits_raised(3).start().await;
    let client = kotanipay::v3::Client::builder()
        .base_url(sandbox.base_url())
        .api_key(sandbox.v3_api_key())
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    // Reading: 3 × 20 per 5 s.
    for _ in 0..60 {
        client.get_integrator().data().await.unwrap();
    }
    let err = client.get_integrator().data().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(5)));
    finish(&sandbox, "v3_account_raised_rate_limits");
}

#[tokio::test]
async fn rate_limits_are_off_by_default() {
    let sandbox = Sandbox::start().await;
    let client = kotanipay::v3::Client::builder()
        .base_url(sandbox.base_url())
        .api_key(sandbox.v3_api_key())
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    for _ in 0..30 {
        client.get_integrator().data().await.unwrap();
    }
    finish(&sandbox, "v3_account_no_rate_limits");
}
