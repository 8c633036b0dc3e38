//! A small raw HTTP/1.1 server on loopback for tests that need to see exactly what arrived
//! (headers, body bytes) or to misbehave in ways httpmock cannot (resets, stalls, truncation).
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the server does with request number `n` (0-based).
#[derive(Clone)]
pub enum Reply {
    /// Status, extra headers, body.
    Full(u16, Vec<(String, String)>, Vec<u8>),
    /// Closes the connection without answering.
    Reset,
    /// Waits, then answers.
    Slow(Duration, u16, Vec<u8>),
    /// Announces `len` bytes of body but sends only `body`.
    Truncated(u16, usize, Vec<u8>),
}

pub fn json(status: u16, body: &str) -> Reply {
    Reply::Full(
        status,
        vec![("content-type".into(), "application/json".into())],
        body.as_bytes().to_vec(),
    )
}

pub struct Server {
    pub base_url: String,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
    pub fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

/// Starts a server that answers request `n` with `script(n, &request)`.
pub async fn start<F>(script: F) -> Server
where
    F: Fn(usize, &Seen) -> Reply + Send + Sync + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let script = Arc::new(script);
    let seen2 = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let seen = seen2.clone();
            let script = script.clone();
            tokio::spawn(async move {
                let _ = serve(stream, seen, script).await;
            });
        }
    });
    Server {
        base_url: format!("http://{addr}"),
        seen,
    }
}

async fn serve<F>(mut stream: TcpStream, seen: Arc<Mutex<Vec<Seen>>>, script: Arc<F>) -> std::io::Result<()>
where
    F: Fn(usize, &Seen) -> Reply + Send + Sync + 'static,
{
    let mut buf = Vec::new();
    loop {
        // Read one request: headers, then Content-Length bytes of body.
        let head_end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i;
            }
            let mut chunk = [0u8; 8192];
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
        let mut lines = head.split("\r\n");
        let first = lines.next().unwrap_or_default().to_string();
        let mut parts = first.split(' ');
        let method = parts.next().unwrap_or_default().to_string();
        let path = parts.next().unwrap_or_default().to_string();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| {
                l.split_once(':')
                    .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_string()))
            })
            .collect();
        let len: usize = headers
            .iter()
            .find(|(k, _)| k == "content-length")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let body_start = head_end + 4;
        while buf.len() < body_start + len {
            let mut chunk = [0u8; 8192];
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        let body = buf[body_start..body_start + len].to_vec();
        buf.drain(..body_start + len);
        let req = Seen {
            method,
            path,
            headers,
            body,
        };
        let n = {
            let mut s = seen.lock().unwrap();
            s.push(req.clone());
            s.len() - 1
        };
        match script(n, &req) {
            Reply::Full(status, headers, body) => {
                let mut out = format!("HTTP/1.1 {status} X\r\ncontent-length: {}\r\n", body.len());
                for (k, v) in headers {
                    out.push_str(&format!("{k}: {v}\r\n"));
                }
                out.push_str("\r\n");
                stream.write_all(out.as_bytes()).await?;
                stream.write_all(&body).await?;
            }
            Reply::Reset => {
                drop(stream);
                return Ok(());
            }
            Reply::Slow(d, status, body) => {
                tokio::time::sleep(d).await;
                let out = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                    body.len()
                );
                stream.write_all(out.as_bytes()).await?;
                stream.write_all(&body).await?;
            }
            Reply::Truncated(status, len, body) => {
                let out = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {len}\r\n\r\n"
                );
                stream.write_all(out.as_bytes()).await?;
                stream.write_all(&body).await?;
                return Ok(());
            }
        }
    }
}

/// Retries on, but fast: a test that must see no retry would otherwise pass by being slow.
pub fn fast_retry() -> kotanipay::RetryPolicy {
    kotanipay::RetryPolicy::default().with_delays(Duration::from_millis(1), Duration::from_millis(5))
}

/// A v3 client for `base_url`, authenticated with `key`, with [`fast_retry`].
pub fn v3_client(base_url: &str, key: &str) -> kotanipay::v3::Client {
    kotanipay::v3::Client::builder()
        .base_url(base_url)
        .api_key(key)
        .retry(fast_retry())
        .build()
        .unwrap()
}

/// A v3 client for `base_url` with the key `k` that sends every request once (no retries).
pub fn v3_once(base_url: &str) -> kotanipay::v3::Client {
    kotanipay::v3::Client::builder()
        .base_url(base_url)
        .api_key("k")
        .retry(kotanipay::RetryPolicy::disabled())
        .build()
        .unwrap()
}

/// A JWT whose payload is `{"exp": exp}` (unsigned for our purposes: the client cannot verify).
pub fn jwt(exp: i64, salt: &str) -> String {
    use base64::Engine;
    let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!(
        "{}.{}.{}",
        e.encode(r#"{"alg":"HS256","typ":"JWT"}"#),
        e.encode(format!(r#"{{"exp":{exp},"sub":"{salt}"}}"#)),
        e.encode(salt)
    )
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A `Write` that appends to a shared buffer, for capturing tracing output.
#[derive(Clone, Default)]
pub struct Buf(pub std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every log line of this test binary, at TRACE. One subscriber serves the whole binary (a global
/// subscriber can be set once per process, and a scoped one can miss events while other tests
/// run on other threads); tests that search the logs use secrets no other test sends.
pub fn logs() -> Buf {
    static LOGS: std::sync::OnceLock<Buf> = std::sync::OnceLock::new();
    LOGS.get_or_init(|| {
        let buf = Buf::default();
        let writer = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("only common::logs installs a subscriber");
        buf
    })
    .clone()
}
