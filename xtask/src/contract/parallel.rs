//! Checking exchanges on every core while they are read.
//!
//! The reader (the calling thread) parses the inputs entry by entry and numbers each exchange
//! in input order (its sequence number); batches of exchanges go through a bounded channel to
//! `threads` workers, each with its own [`Checker`] (its own compiled validators) and its own
//! [`Tally`]. At the end the tallies are merged. Merging is order-independent — counts add up
//! and a finding shows its occurrence with the lowest sequence number — so the report is the
//! same whatever the number of threads and however the batches were shared out. Memory holds the
//! batches in flight (at most `2 × threads + 1` batches plus one per worker) and the tallies,
//! whose size depends on the specs and the distinct findings, not on the number of exchanges.

use std::sync::Mutex;
use std::sync::mpsc;

use anyhow::anyhow;

use super::checks::{Checker, Tally};
use super::har::Exchange;
use super::specs::Specs;

/// Exchanges per batch sent to a worker.
const BATCH: usize = 16;

/// A sink for exchanges, in input order.
pub type Sink<'a> = dyn FnMut(Exchange) -> anyhow::Result<()> + 'a;

/// The number of threads to check with by default: the cores available.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// Checks every exchange `feed` hands to its sink, on `threads` workers, and returns the merged
/// tally (inferred confirmations included). An error of `feed` stops the run and is returned
/// (after the workers have stopped).
pub fn check_all<T>(
    specs: &Specs,
    threads: usize,
    feed: impl FnOnce(&mut Sink<'_>) -> anyhow::Result<T>,
) -> anyhow::Result<(T, Tally)> {
    let threads = threads.max(1);
    let (tx, rx) = mpsc::sync_channel::<Vec<(u64, Exchange)>>(threads * 2);
    let rx = Mutex::new(rx);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let rx = &rx;
                scope.spawn(move || {
                    let mut checker = Checker::new(specs);
                    loop {
                        // The lock is held while waiting: one worker waits on the channel, the
                        // others on the lock.
                        let batch = match rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => break,
                        };
                        let Ok(batch) = batch else { break };
                        for (seq, ex) in &batch {
                            checker.check(*seq, ex);
                        }
                    }
                    checker.tally
                })
            })
            .collect();

        let mut seq = 0u64;
        let mut batch = Vec::with_capacity(BATCH);
        let result = {
            let mut sink = |ex: Exchange| -> anyhow::Result<()> {
                batch.push((seq, ex));
                seq += 1;
                if batch.len() == BATCH {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                    tx.send(full)
                        .map_err(|_| anyhow!("the checking threads stopped"))?;
                }
                Ok(())
            };
            feed(&mut sink)
        };
        if result.is_ok() && !batch.is_empty() {
            let _ = tx.send(batch);
        }
        drop(tx);
        let mut total = Tally::default();
        for worker in workers {
            match worker.join() {
                Ok(tally) => total.merge(tally),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        let value = result?;
        total.finish();
        Ok((value, total))
    })
}
