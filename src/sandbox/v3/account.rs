//! v3 accounts: credentials, logins, sessions, keys, the integrator, customers, wallets, validation, rates in the sandbox.

use crate::sandbox::Config;
use crate::sandbox::world::{Reply, Req, World};

/// API keys, magic links, sessions.
pub(crate) struct Auth {
    /// The API keys that work (the issued one first).
    pub keys: Vec<String>,
}

impl Auth {
    pub(crate) fn new(config: &Config) -> Self {
        Auth {
            keys: vec![config.v3_api_key.clone()],
        }
    }
}

/// A scheduled accounts change.
#[derive(Debug, Clone)]
pub(crate) enum Job {}

/// Checks the request's credential: `Err` is the 401 to answer.
pub(crate) fn authenticate(w: &mut World, req: &Req<'_>) -> Result<(), Reply> {
    match &req.credential {
        Some(k) if w.v3.auth.keys.contains(k) => Ok(()),
        _ => Err(crate::sandbox::world::error(
            crate::meta::Family::V3,
            401,
            "Invalid API Key",
        )),
    }
}

/// Answers the accounts operations; `None` for others.
pub(crate) fn handle(_w: &mut World, _req: &Req<'_>) -> Option<Reply> {
    None
}

/// Runs a scheduled accounts job.
pub(crate) fn run(_w: &mut World, job: Job) {
    match job {}
}
