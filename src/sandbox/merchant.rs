//! merchant records and handlers of the sandbox.

use super::Config;
use super::world::{Reply, Req, World};

/// The merchant records.
pub(crate) struct State {}

impl State {
    pub(crate) fn new(_rng: &mut fastrand::Rng, _config: &Config) -> Self {
        State {}
    }
}

/// A scheduled merchant state change.
#[derive(Debug, Clone)]
pub(crate) enum Job {}

/// Answers a merchant request from the state; `None` serves the spec example.
pub(crate) fn handle(_w: &mut World, _req: &Req<'_>) -> Option<Reply> {
    None
}

/// Runs a scheduled merchant job.
pub(crate) fn run(_w: &mut World, job: Job) {
    match job {}
}
