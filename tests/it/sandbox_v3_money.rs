//! Sandbox lifecycles: sandbox_v3_money.
