//! The integration tests: one binary, a module per capability. Every test talks to a loopback
//! server; none reaches a real Kotani host.

mod auth;
mod common;
mod coverage;
mod faults;
mod foundation;
mod js_vectors;
mod merchant_ops;
mod money;
mod ops;
mod pagination;
mod real_traffic;
mod v3_catalog;
mod v3_money;
mod v3_settlements;
mod webhooks;
