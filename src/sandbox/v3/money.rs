//! v3 money: deposits, withdrawals, onramp, offramp, statuses, balances, webhooks in the sandbox.

use crate::sandbox::world::{Reply, Req, World};

/// Every transaction.
#[derive(Debug, Default)]
pub(crate) struct Ledger {}

/// A scheduled transaction change.
#[derive(Debug, Clone)]
pub(crate) enum Job {}

/// Answers the money operations; `None` for others.
pub(crate) fn handle(_w: &mut World, _req: &Req<'_>) -> Option<Reply> {
    None
}

/// Runs a scheduled transaction job.
pub(crate) fn run(_w: &mut World, job: Job) {
    match job {}
}
