//! The loopback HTTP/1.1 server the client benchmarks talk to. It runs in a child process
//! (`kotanipay-bench serve`), so none of its CPU time is counted against the client, and answers
//! every request with a response serialized once at start-up: no routing framework, no mock
//! library, no per-request allocation beyond the read buffer.

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::Arc;

use anyhow::{Context, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::bodies;

/// Path → full response bytes (status line, headers, body).
type Routes = HashMap<(String, String), Vec<u8>>;

fn response(status: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

fn routes() -> Routes {
    let mut r = Routes::new();
    let mut add = |id: &str, body: Vec<u8>| {
        let op = bodies::v3_op(id);
        r.insert(
            (op.method.to_string(), op.path.to_string()),
            response("200 OK", &body),
        );
    };
    add("get_integrator", bodies::integrator_body());
    add("list_deposit_transactions", bodies::deposit_list_body(100));
    let preview = bodies::v3_op("preview_bulk_payment");
    add(
        "preview_bulk_payment",
        preview
            .example
            .expect("preview_bulk_payment has an example")
            .as_bytes()
            .to_vec(),
    );
    r
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

async fn connection(
    mut stream: TcpStream,
    routes: Arc<Routes>,
    not_found: Arc<Vec<u8>>,
) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut buf: Vec<u8> = Vec::with_capacity(16 * 1024);
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let head_end = loop {
            if let Some(p) = find(&buf, b"\r\n\r\n") {
                break p + 4;
            }
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        };
        let head = std::str::from_utf8(&buf[..head_end]).unwrap_or("");
        let mut lines = head.split("\r\n");
        let mut request_line = lines.next().unwrap_or("").split(' ');
        let method = request_line.next().unwrap_or("").to_string();
        let target = request_line.next().unwrap_or("");
        let path = target.split('?').next().unwrap_or("").to_string();
        let length: usize = lines
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.trim().parse().ok())
            .unwrap_or(0);
        while buf.len() < head_end + length {
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        let reply = routes.get(&(method, path)).unwrap_or(&not_found);
        stream.write_all(reply).await?;
        buf.drain(..head_end + length);
    }
}

/// `kotanipay-bench serve`: binds an ephemeral loopback port, prints `PORT <n>`, serves until
/// its standard input closes (the parent exited or is done).
pub fn serve() -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let routes = Arc::new(routes());
    let not_found = Arc::new(response(
        "404 Not Found",
        br#"{"success":false,"message":"Not found","error_code":404,"data":{}}"#,
    ));
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0"))?;
    let port = listener.local_addr()?.port();
    println!("PORT {port}");
    std::io::stdout().flush()?;
    rt.spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            tokio::spawn(connection(stream, routes.clone(), not_found.clone()));
        }
    });
    // Block until the parent closes our stdin.
    let mut sink = String::new();
    while std::io::stdin().read_line(&mut sink)? > 0 {
        sink.clear();
    }
    rt.shutdown_background();
    Ok(())
}

/// The server child process, stopped when dropped.
pub struct Server {
    child: Child,
    _stdout: ChildStdout,
    pub base_url: String,
}

impl Server {
    pub fn start() -> anyhow::Result<Server> {
        let exe = std::env::current_exe().context("cannot find the bench binary")?;
        let mut child = Command::new(exe)
            .arg("serve")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .context("cannot start the loopback server")?;
        let mut stdout = std::io::BufReader::new(child.stdout.take().expect("piped"));
        let mut line = String::new();
        stdout.read_line(&mut line)?;
        let Some(port) = line.trim().strip_prefix("PORT ") else {
            let _ = child.kill();
            bail!("the loopback server did not start (said {line:?})");
        };
        let base_url = format!("http://127.0.0.1:{port}");
        Ok(Server {
            child,
            _stdout: stdout.into_inner(),
            base_url,
        })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Closing stdin ends the server; wait for it so it is not left behind.
        drop(self.child.stdin.take());
        if self.child.wait().is_err() {
            let _ = self.child.kill();
        }
    }
}

/// Pins the calling thread to one CPU (the first it may run on) until dropped; a server started
/// meanwhile inherits the pin. Sequential cases run pinned: one request at a time between two
/// processes on two otherwise idle cores makes every request wake a halted core, which on a VM
/// costs more than the request itself and varies run to run.
pub struct Pin {
    #[cfg(target_os = "linux")]
    old: Option<libc::cpu_set_t>,
}

impl Pin {
    /// Whether the pin took effect.
    pub fn active(&self) -> bool {
        #[cfg(target_os = "linux")]
        return self.old.is_some();
        #[cfg(not(target_os = "linux"))]
        return false;
    }

    #[cfg(target_os = "linux")]
    pub fn first_cpu(enabled: bool) -> Pin {
        if !enabled {
            return Pin { old: None };
        }
        let size = std::mem::size_of::<libc::cpu_set_t>();
        // SAFETY: the sets are plain bit arrays, zeroed is valid; the calls read/write `size` bytes.
        unsafe {
            let mut old: libc::cpu_set_t = std::mem::zeroed();
            if libc::sched_getaffinity(0, size, &mut old) != 0 {
                return Pin { old: None };
            }
            let Some(cpu) = (0..libc::CPU_SETSIZE as usize).find(|&c| libc::CPU_ISSET(c, &old)) else {
                return Pin { old: None };
            };
            let mut one: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(cpu, &mut one);
            if libc::sched_setaffinity(0, size, &one) != 0 {
                return Pin { old: None };
            }
            Pin { old: Some(old) }
        }
    }

    #[cfg(not(target_os = "linux"))]
    pub fn first_cpu(_enabled: bool) -> Pin {
        Pin {}
    }
}

impl Drop for Pin {
    fn drop(&mut self) {
        #[cfg(target_os = "linux")]
        if let Some(old) = &self.old {
            // SAFETY: restores the mask read in `first_cpu`.
            unsafe {
                libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), old);
            }
        }
    }
}
