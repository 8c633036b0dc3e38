//! Per-request overhead: the same GET through (a) the SDK, (b) plain reqwest into hand-written
//! serde structs, (c) plain reqwest into `serde_json::Value`; and the cost of secure-mode
//! signing on a whole request.

use std::hint::black_box;
use std::time::{Duration, Instant};

use kotanipay::prelude::*;
use serde::Serialize;
use tokio::runtime::Runtime;

use crate::server::{Pin, Server};
use crate::stats::{CpuTime, Stat, process_cpu};
use crate::{bodies, plain};

/// In-flight requests of the concurrent mode.
pub const CONCURRENCY: usize = 64;
const API_KEY: &str = "sk_test_bench_0123456789abcdef";
const SIGNING_SECRET: &str = "ss_test_bench_fedcba9876543210";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    Small,
    List,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Sequential,
    Concurrent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    Sdk,
    Serde,
    Value,
}

const VARIANTS: [Variant; 3] = [Variant::Sdk, Variant::Serde, Variant::Value];

/// How much to run.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub runs: usize,
    pub warmup_requests: usize,
    pub small_sequential: usize,
    pub small_concurrent: usize,
    pub list_sequential: usize,
    pub list_concurrent: usize,
    pub signed_small: usize,
    pub signed_large: usize,
    /// Turns per run of the three clients (see [`overhead`]).
    pub sequential_slices: usize,
    pub concurrent_slices: usize,
}

impl Plan {
    pub fn new(quick: bool) -> Plan {
        if quick {
            Plan {
                runs: 3,
                warmup_requests: 200,
                small_sequential: 1_000,
                small_concurrent: 2_048,
                list_sequential: 300,
                list_concurrent: 640,
                signed_small: 500,
                signed_large: 200,
                sequential_slices: 2,
                concurrent_slices: 2,
            }
        } else {
            Plan {
                runs: 5,
                warmup_requests: 1_000,
                small_sequential: 10_000,
                small_concurrent: 20_032,
                list_sequential: 3_000,
                list_concurrent: 12_288,
                signed_small: 5_000,
                signed_large: 1_500,
                sequential_slices: 10,
                concurrent_slices: 12,
            }
        }
    }

    /// Slices per run: the clients take turns this many times in each run.
    fn slices(&self, mode: Mode) -> usize {
        match mode {
            Mode::Sequential => self.sequential_slices,
            Mode::Concurrent => self.concurrent_slices,
        }
    }

    fn requests(&self, body: Body, mode: Mode) -> usize {
        match (body, mode) {
            (Body::Small, Mode::Sequential) => self.small_sequential,
            (Body::Small, Mode::Concurrent) => self.small_concurrent,
            (Body::List, Mode::Sequential) => self.list_sequential,
            (Body::List, Mode::Concurrent) => self.list_concurrent,
        }
    }
}

/// The three clients, configured alike: the SDK as a user gets it (`builder()`, an API key,
/// default retries and timeouts), and a reqwest client with the SDK's user agent and timeouts
/// (reqwest's per-request timer is then paid by both) sending the same bearer header. Like the
/// SDK (and any hand-written client), the baseline formats the URL from the base URL and the
/// path on every request.
#[derive(Clone)]
struct Clients {
    sdk: kotanipay::v3::Client,
    http: reqwest::Client,
    base: String,
    small_path: &'static str,
    list_path: &'static str,
}

fn plain_http() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .user_agent(kotanipay::client::USER_AGENT)
        .connect_timeout(kotanipay::client::DEFAULT_CONNECT_TIMEOUT)
        .timeout(kotanipay::client::DEFAULT_TIMEOUT)
        .build()?)
}

impl Clients {
    fn new(base: &str) -> anyhow::Result<Clients> {
        Ok(Clients {
            sdk: kotanipay::v3::Client::builder()
                .base_url(base)
                .api_key(API_KEY)
                .build()?,
            http: plain_http()?,
            base: base.to_owned(),
            small_path: bodies::v3_op("get_integrator").path,
            list_path: bodies::v3_op("list_deposit_transactions").path,
        })
    }

    async fn one(&self, variant: Variant, body: Body) -> anyhow::Result<()> {
        match (variant, body) {
            (Variant::Sdk, Body::Small) => {
                black_box(self.sdk.get_integrator().data().await?);
            }
            (Variant::Sdk, Body::List) => {
                black_box(self.sdk.list_deposit_transactions().data().await?);
            }
            (Variant::Serde, Body::Small) => {
                let r: plain::IntegratorEnvelope = self.get(self.small_path).await?.json().await?;
                black_box(r.data);
            }
            (Variant::Serde, Body::List) => {
                let r: plain::DepositTransactionListEnvelope = self.get(self.list_path).await?.json().await?;
                black_box(r.data);
            }
            (Variant::Value, b) => {
                let path = if b == Body::Small {
                    self.small_path
                } else {
                    self.list_path
                };
                let r: serde_json::Value = self.get(path).await?.json().await?;
                black_box(r);
            }
        }
        Ok(())
    }

    async fn get(&self, path: &str) -> anyhow::Result<reqwest::Response> {
        Ok(self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(API_KEY)
            .send()
            .await?
            .error_for_status()?)
    }

    async fn drive(&self, variant: Variant, body: Body, mode: Mode, n: usize) -> anyhow::Result<()> {
        match mode {
            Mode::Sequential => {
                for _ in 0..n {
                    self.one(variant, body).await?;
                }
            }
            Mode::Concurrent => {
                let per_task = n / CONCURRENCY;
                let mut tasks = tokio::task::JoinSet::new();
                for _ in 0..CONCURRENCY {
                    let c = self.clone();
                    tasks.spawn(async move {
                        for _ in 0..per_task {
                            c.one(variant, body).await?;
                        }
                        anyhow::Ok(())
                    });
                }
                while let Some(r) = tasks.join_next().await {
                    r??;
                }
            }
        }
        Ok(())
    }
}

#[derive(Default)]
struct Sample {
    wall: Duration,
    cpu: CpuTime,
    n: usize,
}

/// Requests per slice: `n` over `slices`, a whole number of requests per task when concurrent.
fn slice_size(n: usize, slices: usize, mode: Mode) -> usize {
    let per = (n / slices.max(1)).max(1);
    match mode {
        Mode::Sequential => per,
        Mode::Concurrent => (per / CONCURRENCY).max(1) * CONCURRENCY,
    }
}

impl Sample {
    fn add(&mut self, other: &Sample) {
        self.wall += other.wall;
        self.cpu.user += other.cpu.user;
        self.cpu.sys += other.cpu.sys;
        self.n += other.n;
    }
    fn rps(&self) -> f64 {
        self.n as f64 / self.wall.as_secs_f64()
    }
    fn cpu_us(&self) -> f64 {
        self.cpu.total().as_secs_f64() * 1e6 / self.n as f64
    }
    fn user_us(&self) -> f64 {
        self.cpu.user.as_secs_f64() * 1e6 / self.n as f64
    }
    fn sys_us(&self) -> f64 {
        self.cpu.sys.as_secs_f64() * 1e6 / self.n as f64
    }
}

fn timed(
    rt: &Runtime,
    n: usize,
    f: impl std::future::Future<Output = anyhow::Result<()>>,
) -> anyhow::Result<Sample> {
    let cpu0 = process_cpu();
    let t0 = Instant::now();
    rt.block_on(f)?;
    let wall = t0.elapsed();
    Ok(Sample {
        wall,
        cpu: process_cpu().since(cpu0),
        n,
    })
}

/// Figures of one client over the runs.
#[derive(Debug, Serialize)]
pub struct ClientFigures {
    pub requests_per_s: Stat,
    /// User + system CPU of the whole bench process per request (the server is another process).
    pub cpu_us_per_request: Stat,
    pub user_us_per_request: Stat,
    pub sys_us_per_request: Stat,
}

fn figures(samples: &[Sample]) -> ClientFigures {
    ClientFigures {
        requests_per_s: Stat::of(samples.iter().map(Sample::rps).collect()),
        cpu_us_per_request: Stat::of(samples.iter().map(Sample::cpu_us).collect()),
        user_us_per_request: Stat::of(samples.iter().map(Sample::user_us).collect()),
        sys_us_per_request: Stat::of(samples.iter().map(Sample::sys_us).collect()),
    }
}

#[derive(Debug, Serialize)]
pub struct Case {
    pub body: &'static str,
    pub body_bytes: usize,
    pub mode: &'static str,
    pub in_flight: usize,
    /// Client thread and server pinned to one CPU (sequential cases).
    pub pinned_to_one_cpu: bool,
    pub requests_per_run: usize,
    /// The clients took turns this many times in each run.
    pub slices_per_run: usize,
    pub runs: usize,
    /// (a) the SDK, API key, default settings.
    pub sdk: ClientFigures,
    /// (b) reqwest + hand-written serde structs.
    pub reqwest_serde: ClientFigures,
    /// (c) reqwest + `serde_json::Value`.
    pub reqwest_value: ClientFigures,
    /// CPU per request, (a)/(b), run by run (each run measures a and b back to back).
    pub cpu_ratio_sdk_over_serde: Stat,
    /// Requests/s, (a)/(b), run by run.
    pub rps_ratio_sdk_over_serde: Stat,
}

fn runtime(mode: Mode) -> anyhow::Result<Runtime> {
    Ok(match mode {
        Mode::Sequential => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?,
        Mode::Concurrent => tokio::runtime::Builder::new_multi_thread().enable_all().build()?,
    })
}

/// Each case gets its own loopback server; sequential cases run with the client thread and the
/// server pinned to one CPU when `pin` (see [`Pin`]).
pub fn overhead(plan: &Plan, pin: bool) -> anyhow::Result<Vec<Case>> {
    let small = bodies::integrator_body();
    let list = bodies::deposit_list_body(100);
    plain::check_equivalent::<kotanipay::v3::types::IntegratorEnvelope, plain::IntegratorEnvelope>(
        "get_integrator",
        &small,
    )?;
    plain::check_equivalent::<
        kotanipay::v3::types::DepositTransactionListEnvelope,
        plain::DepositTransactionListEnvelope,
    >("list_deposit_transactions", &list)?;

    let mut cases = Vec::new();
    for (body, name, bytes) in [
        (Body::Small, "small", small.len()),
        (Body::List, "list100", list.len()),
    ] {
        for mode in [Mode::Sequential, Mode::Concurrent] {
            let pinned = Pin::first_cpu(pin && mode == Mode::Sequential);
            let server = Server::start()?;
            let rt = runtime(mode)?;
            let clients = {
                let _guard = rt.enter();
                Clients::new(&server.base_url)?
            };
            let n = plan.requests(body, mode);
            let mode_name = if mode == Mode::Sequential {
                "sequential"
            } else {
                "concurrent"
            };
            eprintln!(
                "  {name:>8} {mode_name:<10} {n} requests x {} runs x 3 clients",
                plan.runs
            );
            // Warm up: connections open (64 of them when concurrent), allocator and caches warm.
            for v in VARIANTS {
                let warm = plan.warmup_requests.max(CONCURRENCY * 4);
                rt.block_on(clients.drive(v, body, mode, warm))?;
            }
            // Each run is cut into slices and the three clients take turns slice by slice (the
            // order rotating), so that what the machine does meanwhile (another process, the
            // allocator growing, the CPU's clock) falls on all three alike; a run's figure for a
            // client is the sum of its slices.
            let slices = plan.slices(mode);
            let per_slice = slice_size(n, slices, mode);
            let mut samples: [Vec<Sample>; 3] = Default::default();
            for run in 0..plan.runs {
                let mut sums: [Sample; 3] = Default::default();
                for slice in 0..slices {
                    for k in 0..VARIANTS.len() {
                        let i = (run + slice + k) % VARIANTS.len();
                        sums[i].add(&timed(
                            &rt,
                            per_slice,
                            clients.drive(VARIANTS[i], body, mode, per_slice),
                        )?);
                    }
                }
                for (i, sum) in sums.into_iter().enumerate() {
                    samples[i].push(sum);
                }
            }
            let ratio = |f: fn(&Sample) -> f64| {
                Stat::of(
                    samples[0]
                        .iter()
                        .zip(&samples[1])
                        .map(|(a, b)| f(a) / f(b))
                        .collect(),
                )
            };
            cases.push(Case {
                body: name,
                body_bytes: bytes,
                mode: mode_name,
                in_flight: if mode == Mode::Sequential { 1 } else { CONCURRENCY },
                pinned_to_one_cpu: pinned.active(),
                requests_per_run: per_slice * slices,
                slices_per_run: slices,
                runs: plan.runs,
                cpu_ratio_sdk_over_serde: ratio(Sample::cpu_us),
                rps_ratio_sdk_over_serde: ratio(Sample::rps),
                sdk: figures(&samples[0]),
                reqwest_serde: figures(&samples[1]),
                reqwest_value: figures(&samples[2]),
            });
        }
    }
    Ok(cases)
}

#[derive(Debug, Serialize)]
pub struct SignedCase {
    pub operation: &'static str,
    pub payload_bytes: usize,
    pub requests_per_run: usize,
    pub runs: usize,
    /// CPU per request of the same POST through an SDK client with `.signing_secret(..)`.
    pub signed_cpu_us_per_request: Stat,
    /// ... and through the same client without it.
    pub unsigned_cpu_us_per_request: Stat,
    /// Signed minus unsigned, run by run: what secure mode costs per request.
    pub signing_cost_us: Stat,
}

/// A whole signed request: `preview_bulk_payment` (a payroll body) sequentially through a
/// signing client and a non-signing one.
pub fn signed_requests(plan: &Plan, pin: bool) -> anyhow::Result<Vec<SignedCase>> {
    let _pinned = Pin::first_cpu(pin);
    let server = Server::start()?;
    let base = server.base_url.as_str();
    let rt = runtime(Mode::Sequential)?;
    let (signed, unsigned) = {
        let _guard = rt.enter();
        let b = || kotanipay::v3::Client::builder().base_url(base).api_key(API_KEY);
        (b().signing_secret(SIGNING_SECRET).build()?, b().build()?)
    };
    let mut out = Vec::new();
    for (min_bytes, n) in [(1024, plan.signed_small), (64 * 1024, plan.signed_large)] {
        let json = bodies::bulk_payment_request(min_bytes);
        let payload_bytes = serde_json::to_vec(&json)?.len();
        let request: kotanipay::v3::types::CreateBulkPaymentRequest = serde_json::from_value(json)?;
        eprintln!(
            "  signed POST {payload_bytes} B: {n} requests x {} runs x 2 clients",
            plan.runs
        );
        let drive = |client: &kotanipay::v3::Client, n: usize| {
            let (client, request) = (client.clone(), request.clone());
            async move {
                for _ in 0..n {
                    black_box(client.preview_bulk_payment().body(request.clone()).data().await?);
                }
                anyhow::Ok(())
            }
        };
        for c in [&signed, &unsigned] {
            rt.block_on(drive(c, plan.warmup_requests / 4))?;
        }
        let (mut s, mut u) = (Vec::new(), Vec::new());
        for run in 0..plan.runs {
            if run % 2 == 0 {
                s.push(timed(&rt, n, drive(&signed, n))?);
                u.push(timed(&rt, n, drive(&unsigned, n))?);
            } else {
                u.push(timed(&rt, n, drive(&unsigned, n))?);
                s.push(timed(&rt, n, drive(&signed, n))?);
            }
        }
        out.push(SignedCase {
            operation: "preview_bulk_payment",
            payload_bytes,
            requests_per_run: n,
            runs: plan.runs,
            signed_cpu_us_per_request: Stat::of(s.iter().map(Sample::cpu_us).collect()),
            unsigned_cpu_us_per_request: Stat::of(u.iter().map(Sample::cpu_us).collect()),
            signing_cost_us: Stat::of(s.iter().zip(&u).map(|(s, u)| s.cpu_us() - u.cpu_us()).collect()),
        });
    }
    Ok(out)
}

/// `kotanipay-bench profile <sdk|serde|value>:<small|list100>[:concurrent] N`: one client, one
/// body, N requests against the loopback server and nothing else, for `perf record` or
/// `valgrind --tool=callgrind`.
pub fn profile_loop(spec: &str, n: usize) -> anyhow::Result<()> {
    let parts: Vec<&str> = spec.split(':').collect();
    let variant = match parts.first().copied() {
        Some("sdk") => Variant::Sdk,
        Some("serde") => Variant::Serde,
        Some("value") => Variant::Value,
        _ => anyhow::bail!("profile case {spec:?}: client is sdk, serde or value"),
    };
    let body = match parts.get(1).copied() {
        Some("small") => Body::Small,
        Some("list100") => Body::List,
        _ => anyhow::bail!("profile case {spec:?}: body is small or list100"),
    };
    let mode = match parts.get(2).copied() {
        None | Some("sequential") => Mode::Sequential,
        Some("concurrent") => Mode::Concurrent,
        Some(other) => anyhow::bail!("profile case {spec:?}: unknown mode {other:?}"),
    };
    let _pinned = Pin::first_cpu(mode == Mode::Sequential && std::env::var_os("BENCH_NO_PIN").is_none());
    let server = Server::start()?;
    let rt = runtime(mode)?;
    let clients = {
        let _guard = rt.enter();
        Clients::new(&server.base_url)?
    };
    rt.block_on(clients.drive(variant, body, mode, CONCURRENCY * 4))?;
    let s = timed(&rt, n, clients.drive(variant, body, mode, n))?;
    eprintln!(
        "{spec}: {n} requests, {:.0} requests/s, {:.2} µs CPU/request",
        s.rps(),
        s.cpu_us()
    );
    Ok(())
}
