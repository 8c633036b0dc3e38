//! The sandbox as a process, for teammates in other languages: both APIs on one loopback port,
//! on a real-time clock.
//!
//! ```sh
//! cargo run --example sandbox -- --port 8080
//! cargo run --example sandbox -- --port 8080 --webhook-url http://127.0.0.1:9000/hooks \
//!     --webhook-secret whsec_local --har traffic.har
//! ```
//!
//! Options: `--port N` (default 8080; 0 for any free port), `--seed N` (the same seed issues the
//! same keys), `--speed X` (sandbox seconds per second, default 1), `--webhook-url URL` and
//! `--webhook-secret S` (v3 deliveries; merchant webhooks are registered through the merchant
//! API), `--rate-limits` (Kotani's per-endpoint tiers), `--har FILE` (the traffic, written when
//! the process stops), `--once` (print the connection details and stop: a smoke test).

use kotanipay::sandbox::Sandbox;

struct Options {
    port: u16,
    seed: Option<u64>,
    speed: f64,
    webhook_url: Option<String>,
    webhook_secret: Option<String>,
    rate_limits: bool,
    har: Option<String>,
    once: bool,
}

fn parse() -> Result<Options, String> {
    let mut o = Options {
        port: 8080,
        seed: None,
        speed: 1.0,
        webhook_url: None,
        webhook_secret: None,
        rate_limits: false,
        har: None,
        once: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--port" => o.port = value("--port")?.parse().map_err(|e| format!("--port: {e}"))?,
            "--seed" => o.seed = Some(value("--seed")?.parse().map_err(|e| format!("--seed: {e}"))?),
            "--speed" => {
                o.speed = value("--speed")?.parse().map_err(|e| format!("--speed: {e}"))?;
                if !(o.speed.is_finite() && o.speed > 0.0) {
                    return Err("--speed must be a positive number".into());
                }
            }
            "--webhook-url" => o.webhook_url = Some(value("--webhook-url")?),
            "--webhook-secret" => o.webhook_secret = Some(value("--webhook-secret")?),
            "--rate-limits" => o.rate_limits = true,
            "--har" => o.har = Some(value("--har")?),
            "--once" => o.once = true,
            "-h" | "--help" => {
                return Err(
                    "usage: sandbox [--port N] [--seed N] [--speed X] [--webhook-url URL] \
                            [--webhook-secret S] [--rate-limits] [--har FILE] [--once]"
                        .into(),
                );
            }
            other => return Err(format!("unknown argument {other:?} (try --help)")),
        }
    }
    Ok(o)
}

#[tokio::main]
async fn main() {
    let o = match parse() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let mut builder = Sandbox::builder()
        .port(o.port)
        .real_time(o.speed)
        .rate_limits(o.rate_limits);
    if let Some(seed) = o.seed {
        builder = builder.seed(seed);
    }
    if let Some(url) = &o.webhook_url {
        builder = builder.webhook_url(url);
    }
    if let Some(secret) = &o.webhook_secret {
        builder = builder.webhook_secret(secret);
    }
    let sandbox = match builder.try_start().await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("the sandbox could not listen on 127.0.0.1:{}: {e}", o.port);
            std::process::exit(1);
        }
    };
    let base = sandbox.base_url();
    println!("kotanipay sandbox on {base} (clock: real time x{})", o.speed);
    println!("  Kotani Pay API v3       base URL {base}");
    println!(
        "                          Authorization: Bearer {}",
        sandbox.v3_api_key()
    );
    println!("  KutanaPay Merchant v1   base URL {base}");
    println!(
        "                          x-api-key: {}",
        sandbox.merchant_api_key()
    );
    match (sandbox.v3_webhook_url(), sandbox.v3_webhook_secret()) {
        (Some(url), Some(secret)) => {
            println!("  v3 webhooks             signed, to {url} (secret {secret})")
        }
        (Some(url), None) => println!("  v3 webhooks             bare callbacks, to {url}"),
        (None, Some(secret)) => {
            println!("  v3 webhooks             signed (secret {secret}), to each transaction's callbackUrl")
        }
        (None, None) => println!("  v3 webhooks             bare, to each transaction's callbackUrl"),
    }
    println!("  merchant webhooks       register them with POST /api/v1/merchants/webhooks");
    println!("  control                 GET {base}/_sandbox/now, POST {base}/_sandbox/advance?seconds=N,");
    println!(
        "                          GET {base}/_sandbox/deliveries, GET {base}/_sandbox/v3/magic-link?email=E,"
    );
    println!(
        "                          POST {base}/_sandbox/merchant/checkouts/ID/pay (README: \"The sandbox as a process\")"
    );
    if o.once {
        return;
    }
    println!("Ctrl-C to stop.");
    let _ = tokio::signal::ctrl_c().await;
    if let Some(path) = &o.har {
        match sandbox.write_har(path) {
            Ok(()) => println!(
                "wrote {} exchanges to {path}",
                sandbox.har()["log"]["entries"].as_array().map_or(0, Vec::len)
            ),
            Err(e) => {
                eprintln!("could not write {path}: {e}");
                std::process::exit(1);
            }
        }
    }
}
