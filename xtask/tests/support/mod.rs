//! What the xtask end-to-end tests share: running `xtask contract` with a clean environment.
#![allow(dead_code)]

use std::process::Command;

use serde_json::Value;

/// One run of the binary.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Standard output as JSON (the `--format json` report).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", self.stdout, self.stderr))
    }
}

/// Runs `xtask contract ARGS` with no credentials in the environment except `env`.
pub fn contract(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xtask"));
    cmd.arg("contract").args(args);
    for var in [
        "KOTANI_API_KEY",
        "KOTANI_JWT",
        "KOTANI_BASE_URL",
        "KUTANAPAY_BASE_URL",
        "KUTANAPAY_API_KEY",
    ] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}
