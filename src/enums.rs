//! The open response enums of each family's spec (`Unknown(String)` for a value the spec does
//! not list), generated into their own file so that the webhook events can use them without
//! the client. With the client built they are `v3::open` and `merchant::open` (also re-exported
//! from `types`); the webhook events re-export the ones they use.

/// Kotani Pay API v3.
#[cfg(any(feature = "v3", feature = "webhook"))]
pub mod v3 {
    #![allow(clippy::all, clippy::pedantic)]
    include!(concat!(env!("OUT_DIR"), "/kotani_v3_open.rs"));
}

/// KutanaPay Merchant API v1.
#[cfg(any(feature = "merchant", feature = "webhook"))]
pub mod merchant {
    #![allow(clippy::all, clippy::pedantic)]
    include!(concat!(env!("OUT_DIR"), "/merchant_v1_open.rs"));
}
