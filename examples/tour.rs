//! The main job: a realistic walk through both APIs.
//!
//! With no credentials in the environment it starts the built-in mock and runs the whole flow
//! offline: magic-link login, verify from the pasted link, generate an API key and a
//! key+secret, read the integrator profile (signed, secure mode), then create, list and revoke
//! a merchant API key.
//!
//! With `KOTANI_BASE_URL` and `KOTANI_API_KEY` set it runs only the read-only steps against
//! that server (plus the merchant ones when `KUTANAPAY_BASE_URL` and `KUTANAPAY_API_KEY` are
//! set).

use kotanipay::mock::MockApi;
use kotanipay::prelude::*;
use kotanipay::{merchant, v3};

fn set(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| !v.trim().is_empty())
}

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("tour failed: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), kotanipay::Error> {
    if set("KOTANI_BASE_URL") && set("KOTANI_API_KEY") {
        return live().await;
    }
    let mock = MockApi::start().await;
    println!(
        "No KOTANI_BASE_URL/KOTANI_API_KEY: running against the built-in mock at {}\n",
        mock.base_url()
    );

    // 1. Magic-link login (no credential needed).
    let anon = v3::Client::builder().base_url(mock.base_url()).build()?;
    let message = anon.login("you@yourcompany.com").await?;
    println!("1. login: {message}");

    // 2. The user pastes the link from the e-mail.
    let link = format!("{}/api/v3/auth/verify?hash=4f2c9a7e1b", mock.base_url());
    let session = anon.verify(&link).await?;
    let tokens = session.tokens().await.expect("fresh session");
    println!(
        "2. verify: session {:?} for user {:?} (tokens: {:?})",
        tokens.session_id, tokens.user_id, tokens.access_token
    );

    // 3. With the session, generate an API key, and a key + signing secret.
    let with_session = anon.with_session(session);
    let key = with_session.generate_api_key().data().await?;
    println!(
        "3. api key: {} characters, shown once: {:?}",
        key.key.expose().len(),
        key.key
    );
    let secure = with_session.generate_secure_api_key().data().await?;
    let secret = secure
        .secret
        .clone()
        .expect("the secure endpoint returns a secret");
    println!(
        "   key + secret: secret of {} characters: {:?}",
        secret.expose().len(),
        secret
    );

    // 4. Use the key, in secure mode: every request is signed with the secret.
    let client = anon
        .with_api_key(secure.key.expose())
        .with_signing_secret(secret.expose());
    let me = client.get_integrator().data().await?;
    println!(
        "4. integrator: {} {} of {} <{}>, webhook events: {:?}",
        me.first_name,
        me.last_name,
        me.organization,
        me.email,
        me.webhook_events.iter().map(|e| e.as_str()).collect::<Vec<_>>()
    );
    let health = client.get_health().call().await?;
    println!("   health: {}", health.status);

    // 5. Merchant API: create, list and revoke a key.
    let shop = mock.merchant_client()?;
    let created = shop
        .create_api_key()
        .body(merchant::types::CreateApiKeyRequest {
            name: "aws backend".into(),
        })
        .call()
        .await?;
    println!(
        "5. merchant key created: {} ({}), status {}: {}",
        created.data.key_name,
        created.data.id,
        created.data.status,
        created.message.as_deref().unwrap_or("")
    );
    let keys = shop.get_api_keys().data().await?;
    println!(
        "   merchant keys: {}",
        keys.iter()
            .map(|k| format!("{} [{}]", k.key_name, k.status))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let revoked = shop
        .revoke_api_key()
        .api_key_id(created.data.id.clone())
        .data()
        .await?;
    println!("   revoked {}: status {}", revoked.id, revoked.status);

    println!("\nTour complete: every step answered by the mock.");
    Ok(())
}

async fn live() -> Result<(), kotanipay::Error> {
    let client = v3::Client::from_env()?;
    println!("Live run against {} (read-only steps)\n", client.baseurl());
    let health = client.get_health().call().await?;
    println!("health: {}", health.status);
    let me = client.get_integrator().data().await?;
    println!("integrator: {} ({})", me.organization, me.email);
    if set("KUTANAPAY_BASE_URL") && set("KUTANAPAY_API_KEY") {
        let shop = merchant::Client::from_env()?;
        let keys = shop.get_api_keys().data().await?;
        println!("merchant keys: {}", keys.len());
    }
    Ok(())
}
