//! The one-pass webhook paths (issue #15) against the tree-building reading they replaced: the
//! strict one-pass check must accept exactly what the strict renderer accepts and find the
//! same top-level members, and the lazily read `data` of a signed merchant or v3 delivery must
//! be what `serde_json` reads. No input may panic.
//!
//! Input: the body itself. Seeds: `fuzz/seeds/webhook` (with or without the header byte).
#![no_main]

use kotanipay::webhook::testing;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    if let Some(why) = testing::streaming_disagreement(body) {
        panic!("{why}");
    }
});
