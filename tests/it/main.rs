//! The integration tests: one binary, a module per capability. Every test talks to a loopback
//! server; none reaches a real Kotani host.

mod auth;
mod common;
mod coverage;
mod faults;
mod foundation;
mod js_vectors;
mod merchant_errors;
mod money;
mod ops;
mod pagination;
mod real_traffic;
mod sandbox;
mod sandbox_merchant;
mod sandbox_v3_account;
mod sandbox_v3_money;
mod webhooks;
