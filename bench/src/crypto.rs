//! Signing and webhook verification, in-process (pure computation: wall time on one thread).

use std::hint::black_box;
use std::time::{Duration, Instant};

use kotanipay::webhook::{merchant, testing, v3};
use serde::Serialize;

use crate::bodies;
use crate::stats::Stat;

const WEBHOOK_SECRET: &str = "whsec_bench_5f2b9c1e7d";

/// µs per call of `f`, over `runs` runs of `n` calls each (after one unmeasured run).
fn micros(runs: usize, n: usize, mut f: impl FnMut()) -> Stat {
    for _ in 0..n {
        f();
    }
    let mut per_call = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t0 = Instant::now();
        for _ in 0..n {
            f();
        }
        per_call.push(t0.elapsed().as_secs_f64() * 1e6 / n as f64);
    }
    Stat::of(per_call)
}

/// Calls per run so that a run takes about `target` (estimated from a short trial).
fn calls_for(target: Duration, mut f: impl FnMut()) -> usize {
    let t0 = Instant::now();
    let mut n = 0;
    while t0.elapsed() < Duration::from_millis(20) {
        f();
        n += 1;
    }
    let per = t0.elapsed().as_secs_f64() / n as f64;
    ((target.as_secs_f64() / per) as usize).clamp(10, 1_000_000)
}

#[derive(Debug, Serialize)]
pub struct Timing {
    pub what: &'static str,
    pub payload_bytes: usize,
    pub calls_per_run: usize,
    pub runs: usize,
    pub us_per_call: Stat,
    /// HMAC-SHA256 over the same bytes, timed in the same runs (before and after each run of
    /// the case).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hmac_us_per_call: Option<Stat>,
    /// `us_per_call / hmac_us_per_call`, run by run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ratio_over_hmac: Option<Stat>,
}

fn timing(what: &'static str, bytes: usize, runs: usize, run_time: Duration, mut f: impl FnMut()) -> Timing {
    let n = calls_for(run_time, &mut f);
    Timing {
        what,
        payload_bytes: bytes,
        calls_per_run: n,
        runs,
        us_per_call: micros(runs, n, f),
        hmac_us_per_call: None,
        ratio_over_hmac: None,
    }
}

/// HMAC-SHA256, the limit webhook verification can approach.
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    use hmac::{Hmac, Mac};
    let mut m = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key).expect("any key length");
    m.update(message);
    m.finalize().into_bytes().into()
}

/// µs per call of `f` and of HMAC-SHA256 over `bytes`, in the same runs: each run times half
/// the HMAC calls, then `f`, then the other half, so that both see the same machine; the ratio
/// is taken run by run.
fn against_hmac(
    what: &'static str,
    bytes: &[u8],
    runs: usize,
    run_time: Duration,
    mut f: impl FnMut(),
) -> Timing {
    let key = WEBHOOK_SECRET.as_bytes();
    let mut h = || {
        black_box(hmac_sha256(key, black_box(bytes)));
    };
    let nh = calls_for(run_time / 2, &mut h).max(2);
    let nf = calls_for(run_time, &mut f);
    let time = |n: usize, g: &mut dyn FnMut()| {
        let t0 = Instant::now();
        for _ in 0..n {
            g();
        }
        t0.elapsed().as_secs_f64() * 1e6
    };
    time(nh, &mut h);
    time(nf, &mut f);
    let (mut hs, mut fs, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        let before = time(nh / 2, &mut h);
        let case = time(nf, &mut f) / nf as f64;
        let after = time(nh - nh / 2, &mut h);
        let hmac = (before + after) / nh as f64;
        hs.push(hmac);
        fs.push(case);
        ratios.push(case / hmac);
    }
    Timing {
        what,
        payload_bytes: bytes.len(),
        calls_per_run: nf,
        runs,
        us_per_call: Stat::of(fs),
        hmac_us_per_call: Some(Stat::of(hs)),
        ratio_over_hmac: Some(Stat::of(ratios)),
    }
}

/// `kotanipay::auth::signing::signature` over a 1 KB and a 64 KB request body.
pub fn signatures(runs: usize, run_time: Duration) -> Vec<Timing> {
    let mut out = Vec::new();
    for min in [1024, 64 * 1024] {
        let payload = serde_json::to_vec(&bodies::bulk_payment_request(min)).expect("serializable");
        let nonce = "0f8fad5b-d9cb-469f-a165-70867728950e";
        out.push(timing("signature()", payload.len(), runs, run_time, || {
            black_box(kotanipay::auth::signing::signature(
                black_box("ss_test_bench_fedcba9876543210"),
                black_box(1_735_725_600),
                black_box(nonce),
                black_box(&payload),
            ));
        }));
    }
    out
}

/// `webhook::v3::Verifier::verify` (canonical re-serialization of `{event, data}`, MAC) and
/// `webhook::merchant::Verifier::verify` (MAC over the raw body, strict one-pass check, envelope,
/// timestamp check) on 1 KB and 64 KB deliveries signed by `webhook::testing`, each against
/// HMAC-SHA256 over the same bytes in the same runs; then each again with the typed payload
/// read (`data` is kept as text until asked for).
pub fn webhooks(runs: usize, run_time: Duration) -> anyhow::Result<Vec<Timing>> {
    let mut out = Vec::new();
    for min in [1024, 64 * 1024] {
        // The envelope adds ~150 bytes to `data`; aim the whole body at `min`.
        let data = bodies::webhook_data(min - 160);

        let (headers, body) = testing::sign_v3(WEBHOOK_SECRET, "transaction.deposit.status.updated", &data);
        let verifier = v3::Verifier::new([WEBHOOK_SECRET]);
        let event = verifier
            .verify(&headers, &body)
            .map_err(|e| anyhow::anyhow!("v3 delivery does not verify: {e}"))?;
        anyhow::ensure!(!event.payload().is_unknown(), "v3 bench payload is not typed");
        out.push(against_hmac("v3 Verifier::verify", &body, runs, run_time, || {
            black_box(verifier.verify(black_box(&headers), black_box(&body)).ok());
        }));
        out.push(against_hmac(
            "v3 verify + payload()",
            &body,
            runs,
            run_time,
            || {
                let e = verifier.verify(black_box(&headers), black_box(&body));
                black_box(e.as_ref().map(|e| e.payload()).ok());
            },
        ));

        let (headers, body) = testing::sign_merchant(WEBHOOK_SECRET, "checkout.paid", &data);
        let verifier =
            merchant::Verifier::new([WEBHOOK_SECRET]).with_tolerance(Duration::from_secs(7 * 3600));
        let event = verifier
            .verify(&headers, &body)
            .map_err(|e| anyhow::anyhow!("merchant delivery does not verify: {e}"))?;
        anyhow::ensure!(
            !event.payload().is_unknown(),
            "merchant bench payload is not typed"
        );
        out.push(against_hmac(
            "merchant Verifier::verify",
            &body,
            runs,
            run_time,
            || {
                black_box(verifier.verify(black_box(&headers), black_box(&body)).ok());
            },
        ));
        out.push(against_hmac(
            "merchant verify + payload()",
            &body,
            runs,
            run_time,
            || {
                let e = verifier.verify(black_box(&headers), black_box(&body));
                black_box(e.as_ref().map(|e| e.payload()).ok());
            },
        ));
    }
    Ok(out)
}

/// `kotanipay-bench profile webhook-v3|webhook-merchant N`: N verifications of a 64 KB delivery.
pub fn profile_webhook(which: &str, n: usize) -> anyhow::Result<()> {
    let data = bodies::webhook_data(64 * 1024 - 160);
    let t0 = Instant::now();
    match which {
        "webhook-v3" => {
            let (headers, body) =
                testing::sign_v3(WEBHOOK_SECRET, "transaction.deposit.status.updated", &data);
            let verifier = v3::Verifier::new([WEBHOOK_SECRET]);
            for _ in 0..n {
                black_box(verifier.verify(&headers, &body).ok());
            }
        }
        "webhook-merchant" => {
            let (headers, body) = testing::sign_merchant(WEBHOOK_SECRET, "checkout.paid", &data);
            let verifier = merchant::Verifier::new([WEBHOOK_SECRET]);
            for _ in 0..n {
                black_box(verifier.verify(&headers, &body).ok());
            }
        }
        other => anyhow::bail!("unknown webhook case {other:?}"),
    }
    eprintln!(
        "{which}: {:.1} µs per verification",
        t0.elapsed().as_secs_f64() * 1e6 / n as f64
    );
    Ok(())
}
