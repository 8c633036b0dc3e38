//! The project's own specs through every stage: they load, no rule finds anything, the model
//! holds what the SDK relies on, and both clients generate.

use std::path::Path;

use kotanipay_codegen::{Credential, FAMILIES, PageStyle, Spec, check};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root")
}

fn load(spec: &str) -> Spec {
    Spec::load(&root().join(spec), spec).expect("the spec loads")
}

#[test]
fn both_specs_are_clean_and_generate() {
    for (family, operations) in FAMILIES.iter().zip([107, 34]) {
        let spec = load(family.spec);
        assert_eq!(spec.openapi(), Ok(()), "{}", family.spec);
        let findings = check(&spec, family);
        let lines: Vec<String> = findings.iter().map(|f| f.line(&spec.file)).collect();
        assert!(lines.is_empty(), "{lines:#?}");
        assert_eq!(spec.operations.len(), operations, "{}", family.spec);

        #[cfg(feature = "emit")]
        {
            let generated = kotanipay_codegen::generate(&spec, family).expect("the client generates");
            let code = &generated.client;
            for op in &spec.operations {
                let id = op.id.as_deref().expect("every operation has an id");
                assert!(
                    generated.dispatch.contains(&format!("\"{id}\" =>")),
                    "no dispatch arm for {id}"
                );
            }
            assert!(code.contains("pub static OPERATIONS: &[crate::meta::OperationMeta]"));
            assert!(code.contains(&format!("crate::meta::Family::{}", family.variant)));
            for op in &spec.operations {
                let id = op.id.as_deref().expect("every operation has an id");
                assert!(code.contains(&format!("pub fn {id}(")), "no method {id}");
            }
        }
    }
}

#[test]
fn the_model_holds_what_the_sdk_relies_on() {
    let v3 = load(FAMILIES[0].spec);
    let merchant = load(FAMILIES[1].spec);
    for spec in [&v3, &merchant] {
        for op in &spec.operations {
            let id = op.id_or_dash();
            assert!(op.success.is_some(), "{id}: a success schema");
            assert!(!op.success_statuses.is_empty(), "{id}: a documented 2xx");
            if op.moves_money {
                let status = op
                    .status_operation
                    .as_deref()
                    .unwrap_or_else(|| panic!("{id}: no status operation"));
                assert!(spec.operation(status).is_some(), "{id}: {status} is an operation");
            }
            if let Some(p) = &op.pagination {
                let (a, b) = p.style.params();
                assert!(
                    op.query().any(|q| q.name == a) && op.query().any(|q| q.name == b),
                    "{id}"
                );
            }
        }
    }
    // Facts the runtime's tests also pin.
    let health = v3.operation("get_health").unwrap();
    assert_eq!((health.method, health.path.as_str()), ("get", "/health"));
    assert_eq!(health.credential, Credential::None);
    assert!(
        v3.operations
            .iter()
            .any(|o| o.credential == Credential::RefreshToken)
    );
    assert!(v3.operations.iter().any(|o| {
        o.pagination
            .as_ref()
            .is_some_and(|p| p.style == PageStyle::LimitOffset)
    }));
    assert_eq!(v3.operations.iter().filter(|o| o.moves_money).count(), 21);
    assert_eq!(merchant.operations.iter().filter(|o| o.moves_money).count(), 3);
}
