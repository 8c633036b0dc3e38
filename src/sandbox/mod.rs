//! A stateful sandbox of both APIs on loopback (feature `sandbox`).
//!
//! One server answers both families as the real ones do: customers, wallets and balances,
//! deposits, withdrawals, onramp and offramp, API keys, magic-link logins and sessions (v3);
//! keys, wallets, checkouts, payouts, withdrawals, refunds, webhooks, payment accounts and
//! branding (merchant). Transactions move through their statuses on a clock the test controls
//! ([`Sandbox::advance`]) or in real time, by Kotani's own reserved numbers and the sandbox's
//! ([`numbers`]), and every status change is delivered as a webhook ([`Sandbox::deliveries`]).
//!
//! ```no_run
//! # async fn demo() -> Result<(), kotanipay::Error> {
//! use std::time::Duration;
//! use kotanipay::prelude::*;
//! use kotanipay::sandbox::Sandbox;
//! let sandbox = Sandbox::start().await;
//! let v3 = sandbox.v3_client()?;
//! let wallets = v3.list_fiat_wallets().data().await?;
//! sandbox.advance(Duration::from_secs(10)).await;
//! # Ok(()) }
//! ```

mod deliver;
mod har;
mod merchant;
pub mod numbers;
mod server;
mod v3;
mod world;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

pub use deliver::{Attempt, Delivery, DeliveryState};

use crate::meta::Family;
use world::World;

/// How the sandbox's clock runs.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Clock {
    /// Time moves only when the test calls [`Sandbox::advance`] (the default).
    Manual,
    /// Time follows the wall clock, multiplied by `speed` (1.0: real time; 60.0: a minute a
    /// second). [`Sandbox::advance`] still jumps ahead.
    RealTime {
        /// How many sandbox seconds pass per wall-clock second.
        speed: f64,
    },
}

/// Delays of the simulated providers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Delays {
    /// From creation to IN_PROGRESS.
    pub progress: Duration,
    /// From creation to the final status (Kotani: about 5 s).
    pub settle: Duration,
    /// For the slow reserved number (Kotani: about 60 s).
    pub slow_settle: Duration,
    /// From a deposit's success to its wallet credit (Kotani: the reconciliation pass, within
    /// about a minute).
    pub reconcile: Duration,
}

impl Default for Delays {
    fn default() -> Self {
        Delays {
            progress: Duration::from_secs(1),
            settle: Duration::from_secs(5),
            slow_settle: Duration::from_secs(60),
            reconcile: Duration::from_secs(30),
        }
    }
}

/// The options a sandbox runs with (see [`SandboxBuilder`]).
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub seed: u64,
    pub start_time: SystemTime,
    pub clock: Clock,
    pub port: u16,
    pub webhook_url: Option<String>,
    pub webhook_secret: Option<String>,
    pub rate_limits: bool,
    /// How many times Kotani's default limits the account gets (1: the defaults).
    pub rate_limit_factor: u32,
    pub examples_only: bool,
    pub delays: Delays,
    pub v3_api_key: String,
    pub merchant_api_key: String,
}

/// Builds a [`Sandbox`] with options; [`Sandbox::start`] takes the defaults.
#[derive(Debug, Clone)]
pub struct SandboxBuilder {
    seed: u64,
    start_time: Option<SystemTime>,
    clock: Clock,
    port: u16,
    webhook_url: Option<String>,
    webhook_secret: Option<String>,
    rate_limits: bool,
    rate_limit_factor: u32,
    examples_only: bool,
    delays: Delays,
}

impl Default for SandboxBuilder {
    fn default() -> Self {
        SandboxBuilder {
            seed: 0x5eed,
            start_time: None,
            clock: Clock::Manual,
            port: 0,
            webhook_url: None,
            webhook_secret: None,
            rate_limits: false,
            rate_limit_factor: 1,
            examples_only: false,
            delays: Delays::default(),
        }
    }
}

impl SandboxBuilder {
    /// The seed of every id, key and secret the sandbox makes: the same seed gives the same
    /// keys and ids run after run.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The sandbox clock's starting time (default: now).
    pub fn start_time(mut self, at: SystemTime) -> Self {
        self.start_time = Some(at);
        self
    }

    /// How the clock runs (default [`Clock::Manual`]).
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Real time at `speed` sandbox seconds per second.
    pub fn real_time(self, speed: f64) -> Self {
        self.clock(Clock::RealTime { speed })
    }

    /// The loopback port to listen on (default 0: any free port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// The v3 integrator's webhook URL (as `PATCH /integrator/webhook` sets it).
    pub fn webhook_url(mut self, url: impl Into<String>) -> Self {
        self.webhook_url = Some(url.into());
        self
    }

    /// The v3 integrator's webhook secret: deliveries are signed envelopes when it is set, bare
    /// callbacks when not.
    pub fn webhook_secret(mut self, secret: impl Into<String>) -> Self {
        self.webhook_secret = Some(secret.into());
        self
    }

    /// Turns on Kotani's per-endpoint, per-key rate limits (v3): 429 with `data.retryAfter`.
    pub fn rate_limits(mut self, on: bool) -> Self {
        self.rate_limits = on;
        self
    }

    /// Turns on rate limits at `factor` times Kotani's default tiers (at least 1): an account
    /// whose limits Kotani raised, as its error-handling page says it can.
    pub fn rate_limits_raised(mut self, factor: u32) -> Self {
        self.rate_limits = true;
        self.rate_limit_factor = factor.max(1);
        self
    }

    /// Answers every operation with its spec example, as the old stateless mock did (overrides
    /// and credential checks still apply).
    pub fn examples_only(mut self, on: bool) -> Self {
        self.examples_only = on;
        self
    }

    /// The simulated providers' delays.
    pub fn delays(mut self, delays: Delays) -> Self {
        self.delays = delays;
        self
    }

    /// Starts the sandbox on loopback.
    ///
    /// # Panics
    ///
    /// If no loopback port can be bound (the port is taken, or no network stack): a test
    /// environment problem.
    pub async fn start(self) -> Sandbox {
        match self.try_start().await {
            Ok(s) => s,
            Err(e) => panic!("the sandbox could not listen on 127.0.0.1: {e}"),
        }
    }

    /// Starts the sandbox on loopback, or says why it could not listen.
    pub async fn try_start(self) -> std::io::Result<Sandbox> {
        let mut rng = fastrand::Rng::with_seed(self.seed ^ 0x6b65_7973);
        let mut key = |prefix: &str| {
            let hex: String = (0..40)
                .map(|_| char::from_digit(rng.u32(..16), 16).unwrap_or('0'))
                .collect();
            format!("{prefix}{hex}")
        };
        let config = Config {
            seed: self.seed,
            start_time: self.start_time.unwrap_or_else(SystemTime::now),
            clock: self.clock,
            port: self.port,
            webhook_url: self.webhook_url,
            webhook_secret: self.webhook_secret,
            rate_limits: self.rate_limits,
            rate_limit_factor: self.rate_limit_factor,
            examples_only: self.examples_only,
            delays: self.delays,
            v3_api_key: key("sbx_v3_"),
            merchant_api_key: key("sbx_kp_"),
        };
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", config.port)).await?;
        let addr = listener.local_addr()?;
        let clock = config.clock;
        let shared = Arc::new(Shared {
            base_url: format!("http://{addr}"),
            world: Mutex::new(World::new(config)),
            har: Mutex::new(Vec::new()),
            overrides: Mutex::new(HashMap::new()),
            hits: Mutex::new(HashMap::new()),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
            clock_lock: tokio::sync::Mutex::new(()),
            started: Instant::now(),
            skew_ms: AtomicI64::new(0),
        });
        let mut tasks = vec![tokio::spawn(server::serve(listener, shared.clone())).abort_handle()];
        if let Clock::RealTime { speed } = clock {
            tasks.push(tokio::spawn(real_time(shared.clone(), speed)).abort_handle());
        }
        Ok(Sandbox { shared, addr, tasks })
    }
}

/// An answer the test put in place of an operation's own.
#[derive(Debug, Clone)]
pub(crate) struct Override {
    pub status: u16,
    pub body: serde_json::Value,
}

/// What the server task, the clock and the [`Sandbox`] handle share.
pub(crate) struct Shared {
    pub base_url: String,
    world: Mutex<World>,
    pub har: Mutex<Vec<serde_json::Value>>,
    pub overrides: Mutex<HashMap<(Family, &'static str), Override>>,
    pub hits: Mutex<HashMap<(Family, &'static str), usize>>,
    http: reqwest::Client,
    /// Held while the clock runs jobs and sends deliveries, so that one pass runs at a time.
    clock_lock: tokio::sync::Mutex<()>,
    started: Instant,
    skew_ms: AtomicI64,
}

impl Shared {
    /// The state. A handler that panicked mid-change leaves the state as it was at the panic,
    /// which the sandbox keeps serving rather than poisoning every later request.
    pub(crate) fn world(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs every job due up to `until_ms` in time order, sending deliveries as they fall due.
    pub(crate) async fn run_until(&self, until_ms: i64) {
        let _one = self.clock_lock.lock().await;
        loop {
            let sends = {
                let mut w = self.world();
                match w.pop_due(until_ms) {
                    Some(job) => {
                        w.run(job);
                        std::mem::take(&mut w.sending)
                    }
                    None => {
                        w.set_now(until_ms);
                        break;
                    }
                }
            };
            for id in sends {
                self.send(id).await;
            }
        }
    }

    /// Runs what is due now (after a request or a simulated customer action).
    pub(crate) async fn flush(&self) {
        let now = self.world().now_ms();
        self.run_until(now).await;
    }

    /// Moves the clock forward by `by`, running what falls due.
    pub(crate) async fn advance(&self, by: Duration) {
        let by_ms = by.as_millis().min(i64::MAX as u128) as i64;
        self.skew_ms.fetch_add(by_ms, Ordering::Relaxed);
        let until = self.world().now_ms().saturating_add(by_ms);
        self.run_until(until).await;
    }

    /// Sends delivery `id` again now, as a new delivery; its id.
    pub(crate) async fn replay(&self, id: usize) -> Option<usize> {
        let new = {
            let mut w = self.world();
            let d = w.deliveries.get(id)?.clone();
            w.deliver(
                deliver::Outgoing {
                    family: d.family,
                    url: d.url,
                    event: d.event,
                    reference: d.reference,
                    headers: d.headers,
                    body: d.body,
                    timeout: d.timeout,
                },
                Duration::ZERO,
            )
        };
        self.flush().await;
        Some(new)
    }

    /// One attempt of delivery `id`; schedules the next on failure.
    async fn send(&self, id: usize) {
        let Some((url, headers, body, timeout)) = self
            .world()
            .deliveries
            .get(id)
            .map(|d| (d.url.clone(), d.headers.clone(), d.body.clone(), d.timeout))
        else {
            return;
        };
        let mut request = self.http.post(&url).body(body).timeout(timeout);
        for (k, v) in &headers {
            request = request.header(k, v);
        }
        let result = request.send().await;
        let (status, error) = match result {
            Ok(r) => (Some(r.status().as_u16()), None),
            Err(e) => (None, Some(e.without_url().to_string())),
        };
        let mut w = self.world();
        let now = w.now();
        let Some(d) = w.deliveries.get_mut(id) else {
            return;
        };
        let attempt = Attempt {
            at: now,
            status,
            error,
        };
        let ok = attempt.succeeded();
        d.attempts.push(attempt);
        if ok {
            d.state = deliver::DeliveryState::Delivered;
            return;
        }
        let failed = d.attempts.iter().filter(|a| !a.succeeded()).count();
        let since_first = d
            .attempts
            .first()
            .and_then(|a| now.duration_since(a.at).ok())
            .unwrap_or_default();
        let client_error = status.is_some_and(|s| (400..500).contains(&s));
        match deliver::next_retry(d.family, failed, since_first, client_error) {
            Some(after) => {
                d.state = deliver::DeliveryState::Retrying;
                w.schedule(after, world::Job::Deliver(id));
            }
            None => d.state = deliver::DeliveryState::GaveUp,
        }
    }
}

/// The control endpoints the families add (`/_sandbox/...` after the core's own): `None` when
/// nothing matches.
pub(crate) async fn control(
    shared: &Shared,
    method: &str,
    segments: &[&str],
    query: &HashMap<String, String>,
) -> Option<(u16, serde_json::Value)> {
    match v3::control(shared, method, segments, query) {
        Some(answer) => Some(answer),
        None => merchant::control(shared, method, segments, query).await,
    }
}

/// Moves a real-time clock along with the wall clock.
async fn real_time(shared: Arc<Shared>, speed: f64) {
    let base = shared.world().now_ms();
    loop {
        tokio::time::sleep(Duration::from_millis(25)).await;
        let elapsed = shared.started.elapsed().as_secs_f64() * 1000.0 * speed.max(0.0);
        let target = base + elapsed as i64 + shared.skew_ms.load(Ordering::Relaxed);
        shared.run_until(target).await;
    }
}

/// A running sandbox. Dropping it stops the server.
pub struct Sandbox {
    shared: Arc<Shared>,
    addr: SocketAddr,
    tasks: Vec<tokio::task::AbortHandle>,
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("base_url", &self.shared.base_url)
            .finish_non_exhaustive()
    }
}

impl Sandbox {
    /// Starts a sandbox with the defaults: any free loopback port, a manual clock, seed
    /// `0x5eed`, no webhook URL or secret, no rate limits.
    ///
    /// # Panics
    ///
    /// If no loopback port can be bound (see [`SandboxBuilder::try_start`]).
    pub async fn start() -> Sandbox {
        SandboxBuilder::default().start().await
    }

    /// A builder for the options.
    pub fn builder() -> SandboxBuilder {
        SandboxBuilder::default()
    }

    /// The base URL of both APIs (`http://127.0.0.1:<port>`).
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The v3 API key the sandbox issued to its integrator.
    pub fn v3_api_key(&self) -> String {
        self.shared.world().config.v3_api_key.clone()
    }

    /// The merchant API key the sandbox issued to its merchant.
    pub fn merchant_api_key(&self) -> String {
        self.shared.world().config.merchant_api_key.clone()
    }

    /// The v3 integrator's webhook secret, as the builder or `update_integrator_webhook` set
    /// it: deliveries are signed with it (bare callbacks when there is none).
    pub fn v3_webhook_secret(&self) -> Option<String> {
        self.shared.world().v3.integrator.webhook_secret.clone()
    }

    /// The v3 integrator's webhook URL, if one is set.
    pub fn v3_webhook_url(&self) -> Option<String> {
        self.shared.world().v3.integrator.webhook_url.clone()
    }

    /// A v3 client with the issued API key.
    #[cfg(feature = "v3")]
    pub fn v3_client(&self) -> Result<crate::v3::Client, crate::Error> {
        crate::v3::Client::builder()
            .base_url(self.base_url())
            .api_key(self.v3_api_key())
            .build()
    }

    /// A merchant client with the issued API key.
    #[cfg(feature = "merchant")]
    pub fn merchant_client(&self) -> Result<crate::merchant::Client, crate::Error> {
        crate::merchant::Client::builder()
            .base_url(self.base_url())
            .api_key(self.merchant_api_key())
            .build()
    }

    /// The sandbox clock's current time.
    pub fn now(&self) -> SystemTime {
        self.shared.world().now()
    }

    /// Moves the clock forward by `by`, running every status change and webhook delivery
    /// (with its retries) that falls due, in time order. Deliveries are sent before this
    /// returns.
    pub async fn advance(&self, by: Duration) {
        self.shared.advance(by).await;
    }

    /// Every webhook delivery so far (sent, due later, or given up), oldest first.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.shared.world().deliveries.clone()
    }

    /// Sends delivery `id` again, now, as a new delivery with the same URL, headers and body
    /// (a replay or a duplicate, as a receiver would see one). Returns the new delivery's id,
    /// or `None` if there is no delivery `id`.
    pub async fn replay(&self, id: usize) -> Option<usize> {
        self.shared.replay(id).await
    }

    /// Every exchange the server answered, as a HAR 1.2 document for `cargo xtask contract
    /// --har`: credential headers, and every key, token and secret the sandbox issued or was
    /// given, read `[REDACTED]`.
    pub fn har(&self) -> serde_json::Value {
        let secrets = self.shared.world().secrets.clone();
        har::document(
            &self.shared.har.lock().unwrap_or_else(|p| p.into_inner()),
            &secrets,
        )
    }

    /// Writes [`Sandbox::har`] to `path`.
    pub fn write_har(&self, path: impl AsRef<std::path::Path>) -> std::io::Result<()> {
        let text = serde_json::to_string_pretty(&self.har()).map_err(std::io::Error::other)?;
        std::fs::write(path, text)
    }

    /// Responses the sandbox wrote that the SDK's own types for that operation and status do not
    /// decode: always empty unless the sandbox has a bug (tests assert it).
    pub fn violations(&self) -> Vec<String> {
        self.shared.world().violations.clone()
    }

    /// Makes one operation answer `status` with `body` (any JSON) instead of its own answer,
    /// until [`Sandbox::reset`]: fault injection for a test.
    ///
    /// # Panics
    ///
    /// If the operation is not in the family's spec (a mistake in the test itself).
    pub async fn respond(&self, family: Family, operation_id: &str, status: u16, body: serde_json::Value) {
        let meta = crate::meta::operation(family, operation_id)
            .unwrap_or_else(|| panic!("no operation {operation_id:?} in the {family:?} spec"));
        self.shared
            .overrides
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert((family, meta.id), Override { status, body });
    }

    /// Removes every [`Sandbox::respond`] override.
    pub async fn reset(&self) {
        self.shared
            .overrides
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    /// How many requests one operation has received.
    pub async fn hits(&self, family: Family, operation_id: &str) -> usize {
        let Some(meta) = crate::meta::operation(family, operation_id) else {
            return 0;
        };
        self.shared
            .hits
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&(family, meta.id))
            .copied()
            .unwrap_or(0)
    }
}
