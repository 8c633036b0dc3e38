//! Coverage: the specs hold exactly the operations in scope, and every operation of both specs
//! has its fixture under `tests/ops/`.

use std::collections::BTreeSet;

use kotanipay::meta::{Family, operations};

fn ours(family: Family) -> BTreeSet<(String, String)> {
    operations()
        .filter(|o| o.family == family)
        .map(|o| (o.method.to_string(), o.path.to_string()))
        .collect()
}

#[test]
fn v3_spec_is_exactly_the_scope() {
    let text = include_str!("../fixtures/v3_scope.txt");
    let scope: BTreeSet<(String, String)> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (m, p) = l.split_once(' ').unwrap();
            (m.to_string(), p.to_string())
        })
        .collect();
    assert_eq!(scope.len(), 107);
    let ours = ours(Family::V3);
    let missing: Vec<_> = scope.difference(&ours).collect();
    let extra: Vec<_> = ours.difference(&scope).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "v3 spec: missing {missing:?}, extra {extra:?}"
    );
}

/// The 33 operations of seed 001, in its order, named after it, then the one the docs do not
/// list: `cancel_checkout`, which ODOS (a public KutanaPay integration) calls.
const MERCHANT: [&str; 34] = [
    "create_api_key",
    "get_api_keys",
    "revoke_api_key",
    "get_all_wallets",
    "get_wallet_transactions",
    "process_refund",
    "get_settlement_batches",
    "update_wallet_status",
    "get_wallet_by_currency",
    "get_merchant_transactions",
    "get_merchant_transaction",
    "create_checkout",
    "list_checkouts",
    "get_checkout",
    "create_webhook",
    "get_webhooks",
    "update_webhook",
    "delete_webhook",
    "get_branding",
    "update_branding",
    "add_payment_account",
    "get_payment_accounts",
    "get_payment_account",
    "update_payment_account",
    "delete_payment_account",
    "initiate_withdrawal",
    "get_withdrawal_history",
    "cancel_withdrawal",
    "get_withdrawal",
    "initiate_payout",
    "get_payout_history",
    "cancel_payout",
    "get_payout",
    "cancel_checkout",
];

#[test]
fn merchant_spec_is_exactly_the_seed_operations() {
    let want: BTreeSet<&str> = MERCHANT.into_iter().collect();
    let have: BTreeSet<&str> = operations()
        .filter(|o| o.family == Family::Merchant)
        .map(|o| o.id)
        .collect();
    let missing: Vec<_> = want.difference(&have).collect();
    let extra: Vec<_> = have.difference(&want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "merchant spec: missing {missing:?}, extra {extra:?}"
    );
}

/// Every operation of both specs has its fixture (`tests/ops/<family>/<operationId>.yaml`, run
/// by `ops.rs`), and every fixture names an operation of its family's spec.
#[test]
fn every_operation_has_a_fixture() {
    let mut problems = Vec::new();
    for family in [Family::V3, Family::Merchant] {
        let fixtures = crate::ops::fixtures(family);
        let ids: BTreeSet<&str> = operations()
            .filter(|o| o.family == family)
            .map(|o| o.id)
            .collect();
        for id in &ids {
            match fixtures.get(*id) {
                None => problems.push(format!("{family:?} {id}: no fixture")),
                Some(f) if f.cases.is_empty() => {
                    problems.push(format!("{family:?} {id}: a fixture without cases"))
                }
                Some(f) if f.cases[0].request.is_none() => {
                    problems.push(format!("{family:?} {id}: the first case sends nothing"))
                }
                Some(_) => {}
            }
        }
        for name in fixtures.keys() {
            if !ids.contains(name.as_str()) {
                problems.push(format!("{family:?} {name}.yaml: no such operation"));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
    // Operation ids are unique across the families, so one name covers one operation.
    let ids: Vec<&str> = operations().map(|o| o.id).collect();
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(ids.len(), unique.len(), "an operationId appears in both specs");
}

/// The runtime core names no family: the pipeline, errors, retries, pagination, metadata and the
/// JSON and money layers reach a family only through its `FamilyInfo` (#13). Comment lines are
/// not code and may give examples.
#[test]
fn the_runtime_core_names_no_family() {
    const CORE: &[&str] = &[
        "src/call.rs",
        "src/error.rs",
        "src/hooks.rs",
        "src/meta.rs",
        "src/pagination.rs",
        "src/retry.rs",
        "src/redact.rs",
        "src/secret.rs",
        "src/jsjson.rs",
        "src/money.rs",
        "src/time.rs",
        "src/auth/session.rs",
        "src/auth/signing.rs",
    ];
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut found = Vec::new();
    for file in CORE {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            for family in ["v3::", "merchant::", "Family::V3", "Family::Merchant"] {
                if code.contains(family) {
                    found.push(format!("{file}:{}: {line}", n + 1));
                }
            }
        }
    }
    assert!(found.is_empty(), "the core names a family:\n{}", found.join("\n"));
}
