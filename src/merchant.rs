//! KutanaPay Merchant API v1, generated from `spec/kutanapay-merchant-v1.yaml`.
//!
//! Every operation is a method of [`Client`] returning a builder; finish it with
//! `.call().await` or `.data().await` from [`crate::Operation`].
#![allow(missing_docs, clippy::all, clippy::pedantic, unused_imports, dead_code)]

include!(concat!(env!("OUT_DIR"), "/merchant_v1.rs"));

/// The merchant API has no login sessions.
const SESSION_REFRESH: Option<crate::auth::session::RefreshFn> = None;

impl crate::ApiErrorBody for types::MerchantError {
    fn message(&self) -> Option<String> {
        Some(detail_message(self))
    }
    fn validation_errors(&self) -> Vec<crate::ValidationError> {
        validation_errors(self)
    }
}

/// The message of a FastAPI error body: the string, or the issues joined.
pub(crate) fn detail_message(e: &types::MerchantError) -> String {
    let issues = validation_errors(e);
    match &e.detail {
        types::ErrorDetail::String(s) => s.clone(),
        types::ErrorDetail::Array(_) => issues
            .iter()
            .map(|i| {
                if i.location.is_empty() {
                    i.message.clone()
                } else {
                    format!("{}: {}", i.location, i.message)
                }
            })
            .collect::<Vec<_>>()
            .join("; "),
    }
}

/// The validation issues of a FastAPI 422 body.
pub(crate) fn validation_errors(e: &types::MerchantError) -> Vec<crate::ValidationError> {
    match &e.detail {
        types::ErrorDetail::Array(list) => list
            .iter()
            .map(|i| crate::ValidationError {
                location: i
                    .loc
                    .iter()
                    .map(|p| match p {
                        types::LocationPart::String(s) => s.clone(),
                        types::LocationPart::Integer(n) => n.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join("."),
                message: i.msg.clone(),
            })
            .collect(),
        types::ErrorDetail::String(_) => Vec::new(),
    }
}
