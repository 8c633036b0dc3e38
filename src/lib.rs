#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod auth;
mod call;
pub mod client;
pub mod error;
#[doc(hidden)]
pub mod hooks;
pub mod jsjson;
pub mod merchant;
pub mod meta;
#[cfg(feature = "mock")]
pub mod mock;
pub mod money;
pub mod pagination;
mod redact;
pub mod retry;
mod secret;
mod time;
pub mod v3;
pub mod webhook;

pub use auth::session::{FileTokenStore, MemoryTokenStore, Session, TokenStore, Tokens};
pub use call::{Envelope, Operation};
pub use client::{Environment, MerchantBuilder, V3Builder};
pub use error::{ApiErrorBody, Error, ErrorKind, ValidationError};
pub use retry::RetryPolicy;
/// Exact decimal money: every amount, fee, rate and balance of both APIs.
pub use rust_decimal::{self, Decimal};
pub use secret::Secret;

/// Every family built in; the runtime reaches a family only through these.
pub(crate) static FAMILIES: &[&meta::FamilyInfo] = &[&v3::INFO, &merchant::INFO];

/// The family's tables, decoder and credential header.
pub(crate) fn family_info(f: meta::Family) -> &'static meta::FamilyInfo {
    match f {
        meta::Family::V3 => &v3::INFO,
        meta::Family::Merchant => &merchant::INFO,
    }
}

/// `use kotanipay::prelude::*;` brings the traits that finish a request into scope.
pub mod prelude {
    pub use crate::pagination::Paginated;
    pub use crate::{Envelope, Operation};
    pub use progenitor_client::ClientInfo;
}
