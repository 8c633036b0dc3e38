#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
// A build with some families left out leaves parts of the shared layer unused (sessions without
// v3, JS-exact rendering without a client): that is expected there, and only there.
#![cfg_attr(
    not(all(feature = "v3", feature = "merchant", feature = "webhook")),
    allow(dead_code, unused_imports, unused_macros)
)]

pub mod auth;
mod call;
pub mod client;
#[doc(hidden)]
pub mod enums;
pub mod error;
#[doc(hidden)]
pub mod hooks;
pub mod jsjson;
#[cfg(feature = "merchant")]
pub mod merchant;
pub mod meta;
pub mod money;
pub mod pagination;
mod redact;
pub mod retry;
#[cfg(feature = "sandbox")]
pub mod sandbox;
mod secret;
mod time;
#[cfg(feature = "v3")]
pub mod v3;
#[cfg(feature = "webhook")]
pub mod webhook;

pub use auth::session::{FileTokenStore, MemoryTokenStore, Session, TokenStore, Tokens};
pub use call::{Envelope, Operation};
pub use client::Environment;
#[cfg(feature = "merchant")]
pub use client::MerchantBuilder;
#[cfg(feature = "v3")]
pub use client::V3Builder;
pub use error::{ApiErrorBody, Error, ErrorKind, ValidationError};
pub use retry::RetryPolicy;
/// Exact decimal money: every amount, fee, rate and balance of both APIs.
pub use rust_decimal::{self, Decimal};
pub use secret::Secret;

/// Every family built in (Cargo features `v3`, `merchant`); the runtime reaches a family only
/// through these.
pub(crate) static FAMILIES: &[&meta::FamilyInfo] = &[
    #[cfg(feature = "v3")]
    &v3::INFO,
    #[cfg(feature = "merchant")]
    &merchant::INFO,
];

/// The family's tables: from its module when built in, else empty ones.
pub(crate) fn family_info(family: meta::Family) -> &'static meta::FamilyInfo {
    static NOT_BUILT: [meta::FamilyInfo; 2] = [
        meta::FamilyInfo::not_built(meta::Family::V3),
        meta::FamilyInfo::not_built(meta::Family::Merchant),
    ];
    FAMILIES
        .iter()
        .copied()
        .find(|f| f.family == family)
        .unwrap_or_else(|| {
            NOT_BUILT
                .iter()
                .find(|f| f.family == family)
                .expect("every family has empty tables")
        })
}

/// `use kotanipay::prelude::*;` brings the traits that finish a request into scope.
pub mod prelude {
    pub use crate::pagination::Paginated;
    pub use crate::{Envelope, Operation};
    pub use progenitor_client::ClientInfo;
}
