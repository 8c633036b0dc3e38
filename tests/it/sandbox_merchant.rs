//! Sandbox lifecycles: sandbox_merchant.
