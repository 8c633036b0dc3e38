//! Kotani Pay API v3, generated from `spec/kotani-v3.yaml`.
//!
//! Every operation is a method of [`Client`] returning a builder; finish it with
//! `.call().await` (typed body) or `.data().await` (the envelope's `data`), both from
//! [`crate::Operation`]. Types are in [`types`]; response enums are open ([`open`]).
#![allow(missing_docs, clippy::all, clippy::pedantic, unused_imports, dead_code)]

include!(concat!(env!("OUT_DIR"), "/kotani_v3.rs"));

impl crate::ApiErrorBody for types::ErrorBody {
    fn message(&self) -> Option<String> {
        Some(self.message.clone())
    }
    fn validation_errors(&self) -> Vec<crate::ValidationError> {
        self.data
            .iter()
            .flat_map(|d| &d.errors)
            .map(|m| crate::ValidationError {
                location: String::new(),
                message: m.clone(),
            })
            .collect()
    }
    fn retry_after(&self) -> Option<std::time::Duration> {
        self.data
            .as_ref()
            .and_then(|d| d.retry_after)
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map(|s| std::time::Duration::from_secs_f64(s.min(3600.0)))
    }
    fn banned_until(&self) -> Option<String> {
        self.data
            .as_ref()
            .and_then(|d| d.banned_until.clone())
            .filter(|s| !s.trim().is_empty())
    }
}

impl crate::ApiErrorBody for types::HealthStatus {
    fn message(&self) -> Option<String> {
        Some(format!("health status {}", self.status))
    }
}
