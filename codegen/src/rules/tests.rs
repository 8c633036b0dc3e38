//! Each test breaks one rule of a small clean spec and asserts the finding (rule, severity,
//! pointer, subject); the clean spec itself has none.

use super::*;
use crate::family::{MERCHANT, V3};

/// A clean v3 spec: health (the error-schema exception, no credential), a paginated list, a
/// money-moving create with its status operation, a get with an enum used on both sides.
const CLEAN: &str = r##"
openapi: 3.0.3
info: {title: Test, version: "1"}
security:
  - bearer: []
tags:
  - name: things
  - name: system
paths:
  /health:
    get:
      operationId: get_health
      tags: [system]
      summary: Health
      description: Liveness.
      security: []
      responses:
        "200":
          description: Up.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/HealthStatus"}
              example: {status: ok}
        "503":
          description: Down.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/HealthStatus"}
  /things:
    get:
      operationId: list_things
      tags: [things]
      summary: List things
      description: Lists the things.
      x-kotani-pagination: {style: page_limit, items: /data, total_pages: /meta/pages}
      parameters:
        - {name: page, in: query, schema: {type: integer}}
        - {name: limit, in: query, schema: {type: integer}}
      responses:
        "200":
          description: The things.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/ThingListEnvelope"}
              example: {data: []}
        "4XX": {$ref: "#/components/responses/Error"}
        "5XX": {$ref: "#/components/responses/Error"}
    post:
      operationId: create_thing
      tags: [things]
      summary: Create a thing
      description: Creates a thing; moves money.
      x-kotani-moves-money: true
      x-kotani-idempotency-field: reference_id
      x-kotani-status-operation: get_thing
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/CreateThingRequest"}
      responses:
        "200":
          description: Existing.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/ThingEnvelope"}
              example: {data: {id: t1}}
        "201":
          description: Created.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/ThingEnvelope"}
        "4XX": {$ref: "#/components/responses/Error"}
        "5XX": {$ref: "#/components/responses/Error"}
  /things/{id}:
    get:
      operationId: get_thing
      tags: [things]
      summary: Get a thing
      description: One thing.
      x-kotani-idempotent: true
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
        - {name: status, in: query, schema: {$ref: "#/components/schemas/Status"}}
      responses:
        "200":
          description: The thing.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/ThingEnvelope"}
              example: {data: {id: t1, status: open}}
        "4XX": {$ref: "#/components/responses/Error"}
        "5XX": {$ref: "#/components/responses/Error"}
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
  responses:
    Error:
      description: An error.
      content:
        application/json:
          schema: {$ref: "#/components/schemas/ErrorBody"}
  schemas:
    ErrorBody:
      type: object
      properties:
        message: {type: string}
    HealthStatus:
      type: object
      properties:
        status: {type: string}
    Status: {type: string, enum: [open, closed]}
    Thing:
      type: object
      required: [id]
      properties:
        id: {type: string}
        status: {$ref: "#/components/schemas/Status"}
        created_at: {type: string}
    ThingEnvelope:
      type: object
      required: [data]
      properties:
        message: {type: string}
        data: {$ref: "#/components/schemas/Thing"}
    ThingListEnvelope:
      type: object
      required: [data]
      properties:
        data:
          type: array
          items: {$ref: "#/components/schemas/Thing"}
    CreateThingRequest:
      type: object
      required: [reference_id]
      properties:
        reference_id: {type: string}
        amount: {type: number, format: decimal}
"##;

const LIST: &str = "/paths/~1things/get";
const CREATE: &str = "/paths/~1things/post";
const GET: &str = "/paths/~1things~1{id}/get";

/// The clean spec with each `(old, new)` replacement applied; each `old` must occur once.
fn spec_with(edits: &[(&str, &str)]) -> String {
    let mut text = CLEAN.to_owned();
    for (old, new) in edits {
        assert_eq!(
            text.matches(old).count(),
            1,
            "`{old}` must occur once in the clean spec"
        );
        text = text.replacen(old, new, 1);
    }
    text
}

fn run(text: &str, family: &Family) -> Vec<Finding> {
    check(
        &Spec::parse("t.yaml", text).expect("the test spec parses"),
        family,
    )
}

fn render(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| format!("{}\n", f.line("t.yaml")))
        .collect()
}

/// Exactly one finding: this rule, pointer and message part (severity from the rule).
#[track_caller]
fn only(findings: &[Finding], rule: &str, pointer: &str, fragment: &str) -> Finding {
    assert_eq!(
        findings.len(),
        1,
        "expected one finding, got:\n{}",
        render(findings)
    );
    has(findings, rule, pointer, fragment)
}

#[track_caller]
fn has(findings: &[Finding], rule_name: &str, pointer: &str, fragment: &str) -> Finding {
    let found = findings
        .iter()
        .find(|f| f.rule == rule_name && f.pointer == pointer && f.message.contains(fragment))
        .unwrap_or_else(|| {
            panic!(
                "no `{rule_name} {pointer}: ..{fragment}..` in:\n{}",
                render(findings)
            )
        })
        .clone();
    assert_eq!(found.severity, rule(rule_name).expect("a rule").severity);
    found
}

#[test]
fn clean_spec_has_no_findings() {
    assert_eq!(render(&run(CLEAN, &V3)), "");
}

#[test]
fn every_rule_is_listed_once_with_a_summary() {
    let names: BTreeSet<&str> = RULES.iter().map(|r| r.name).collect();
    assert_eq!(names.len(), RULES.len());
    assert!(RULES.iter().all(|r| !r.summary.is_empty()));
    assert_eq!(rule("refs").map(|r| r.severity), Some(Severity::Error));
    assert_eq!(rule("tags").map(|r| r.severity), Some(Severity::Warning));
    assert!(rule("nope").is_none());
}

#[test]
fn finding_lines_and_severities() {
    let f = only(
        &run(&spec_with(&[("      summary: List things\n", "")]), &V3),
        "description",
        LIST,
        "missing `summary`",
    );
    assert_eq!(
        f.line("t.yaml"),
        "WARN t.yaml list_things /paths/~1things/get: missing `summary`"
    );
    assert!(!has_errors(&[f]));
    assert!(Severity::Error > Severity::Warning);
}

// ---- openapi, paths -----------------------------------------------------------------------------

#[test]
fn openapi_document() {
    let f = only(
        &run(&spec_with(&[("openapi: 3.0.3", "openapi: 3.1.0")]), &V3),
        "openapi",
        "",
        "only OpenAPI 3.0.x",
    );
    assert_eq!(f.subject, "-");
    let findings = run(&spec_with(&[("info: {title: Test, version: \"1\"}\n", "")]), &V3);
    has(&findings, "openapi", "", "not a valid OpenAPI 3.0 document");
}

#[test]
fn paths_mapping_and_operations() {
    let findings = run("openapi: 3.0.3\ninfo: {title: T, version: \"1\"}\n", &V3);
    has(&findings, "paths", "/paths", "no `paths` mapping");
    let findings = run(
        "openapi: 3.0.3\ninfo: {title: T, version: \"1\"}\npaths:\n  /x:\n    get: 3\n",
        &V3,
    );
    has(&findings, "paths", "/paths/~1x/get", "operation is not a mapping");
}

// ---- operation_id -------------------------------------------------------------------------------

#[test]
fn operation_id_missing() {
    let f = only(
        &run(&spec_with(&[("      operationId: list_things\n", "")]), &V3),
        "operation_id",
        LIST,
        "missing `operationId`",
    );
    assert_eq!(f.subject, "-");
}

#[test]
fn operation_id_snake_case_both_ways() {
    // camelCase: not snake_case (progenitor would rename the method).
    only(
        &run(
            &spec_with(&[("operationId: list_things", "operationId: listThings")]),
            &V3,
        ),
        "operation_id",
        &format!("{LIST}/operationId"),
        "\"listThings\" is not snake_case",
    );
    // A leading digit: heck keeps it, but it is no Rust method name.
    only(
        &run(
            &spec_with(&[("operationId: list_things", "operationId: 2list_things")]),
            &V3,
        ),
        "operation_id",
        &format!("{LIST}/operationId"),
        "is not snake_case",
    );
    for id in ["list_things", "get_v3_thing", "create_2fa_code"] {
        assert!(is_snake_case(id), "{id}");
    }
    for id in [
        "List_things",
        "list__things",
        "list_things_",
        "list-things",
        "2fa",
        "",
    ] {
        assert!(!is_snake_case(id), "{id}");
    }
}

#[test]
fn operation_id_duplicate() {
    only(
        &run(
            &spec_with(&[("operationId: list_things", "operationId: create_thing")]),
            &V3,
        ),
        "operation_id",
        &format!("{CREATE}/operationId"),
        "duplicate operationId `create_thing` (first used at /paths/~1things/get)",
    );
}

// ---- tags, description --------------------------------------------------------------------------

#[test]
fn tags() {
    only(
        &run(&spec_with(&[("      tags: [system]\n", "")]), &V3),
        "tags",
        "/paths/~1health/get",
        "missing `tags`",
    );
    only(
        &run(&spec_with(&[("tags: [system]", "tags: [sys]")]), &V3),
        "tags",
        "/paths/~1health/get/tags/0",
        "tag \"sys\" is not declared",
    );
}

#[test]
fn description() {
    only(
        &run(
            &spec_with(&[("description: One thing.", "description: \" \"")]),
            &V3,
        ),
        "description",
        GET,
        "missing `description`",
    );
}

// ---- responses, success_schema, success_example -------------------------------------------------

#[test]
fn responses_default_and_no_success() {
    only(
        &run(
            &spec_with(&[(
                "        \"503\":\n",
                "        default: {$ref: \"#/components/responses/Error\"}\n        \"503\":\n",
            )]),
            &V3,
        ),
        "responses",
        "/paths/~1health/get/responses/default",
        "`default` response is not allowed",
    );
    let findings = run(
        &spec_with(&[(
            "        \"200\":\n          description: Up.",
            "        \"302\":\n          description: Up.",
        )]),
        &V3,
    );
    has(
        &findings,
        "responses",
        "/paths/~1health/get/responses",
        "no 2xx response",
    );
}

#[test]
fn responses_success_status_is_a_literal_code() {
    only(
        &run(
            &spec_with(&[(
                "        \"201\":\n          description: Created.",
                "        \"2XX\":\n          description: Created.",
            )]),
            &V3,
        ),
        "responses",
        &format!("{CREATE}/responses/2XX"),
        "success status `2XX` is not a 2xx code",
    );
}

#[test]
fn success_schema_is_a_named_ref() {
    only(
        &run(
            &spec_with(&[(
                "              schema: {$ref: \"#/components/schemas/ThingEnvelope\"}\n              example: {data: {id: t1, status: open}}",
                "              schema: {type: object}\n              example: {data: {id: t1, status: open}}",
            )]),
            &V3,
        ),
        "success_schema",
        &format!("{GET}/responses/200"),
        "`$ref` schema to a named component",
    );
    // A `$ref` into a schema is no named component.
    let findings = run(
        &spec_with(&[(
            "              schema: {$ref: \"#/components/schemas/HealthStatus\"}\n              example: {status: ok}",
            "              schema: {$ref: \"#/components/schemas/HealthStatus/properties/status\"}\n              example: {status: ok}",
        )]),
        &V3,
    );
    has(
        &findings,
        "success_schema",
        "/paths/~1health/get/responses/200",
        "named component",
    );
}

#[test]
fn success_schemas_agree() {
    let findings = run(
        &spec_with(&[(
            "        \"201\":\n          description: Created.\n          content:\n            application/json:\n              schema: {$ref: \"#/components/schemas/ThingEnvelope\"}",
            "        \"201\":\n          description: Created.\n          content:\n            application/json:\n              schema: {$ref: \"#/components/schemas/ThingListEnvelope\"}",
        )]),
        &V3,
    );
    only(
        &findings,
        "success_schema",
        &format!("{CREATE}/responses"),
        "2xx responses use different schemas: #/components/schemas/ThingEnvelope, #/components/schemas/ThingListEnvelope",
    );
}

#[test]
fn success_example() {
    only(
        &run(&spec_with(&[("              example: {data: []}\n", "")]), &V3),
        "success_example",
        &format!("{LIST}/responses"),
        "no success response example",
    );
    // `examples.*.value` counts.
    let text = spec_with(&[(
        "              example: {data: []}\n",
        "              examples:\n                none:\n                  value: {data: []}\n",
    )]);
    assert_eq!(render(&run(&text, &V3)), "");
}

// ---- error_schema, error_responses --------------------------------------------------------------

#[test]
fn error_schema_is_the_familys() {
    // The v3 spec linted as a merchant spec: every 4XX/5XX is wrong (health is the exception).
    let findings: Vec<Finding> = run(CLEAN, &MERCHANT)
        .into_iter()
        .filter(|f| f.rule != "credential_scheme")
        .collect();
    assert_eq!(findings.len(), 6, "{}", render(&findings));
    has(
        &findings,
        "error_schema",
        &format!("{GET}/responses/5XX"),
        "error response must use the `MerchantError` schema, found `#/components/schemas/ErrorBody`",
    );
}

#[test]
fn error_schema_health_exception_is_only_for_health() {
    let findings = run(&spec_with(&[("  /health:\n", "  /status:\n")]), &V3);
    has(
        &findings,
        "error_schema",
        "/paths/~1status/get/responses/503",
        "must use the `ErrorBody` schema, found `#/components/schemas/HealthStatus`",
    );
    has(
        &findings,
        "error_responses",
        "/paths/~1status/get/responses",
        "missing `4XX`",
    );
    assert_eq!(findings.len(), 3, "{}", render(&findings));
}

#[test]
fn error_schema_body_and_one_type() {
    // A 4xx without a body: progenitor cannot mix it with a typed error.
    let findings = run(
        &spec_with(&[(
            "        \"4XX\": {$ref: \"#/components/responses/Error\"}\n        \"5XX\": {$ref: \"#/components/responses/Error\"}\n  /things/{id}:",
            "        \"404\": {description: Gone.}\n        \"4XX\": {$ref: \"#/components/responses/Error\"}\n        \"5XX\": {$ref: \"#/components/responses/Error\"}\n  /things/{id}:",
        )]),
        &V3,
    );
    only(
        &findings,
        "error_schema",
        &format!("{CREATE}/responses/404"),
        "found no application/json `$ref` schema",
    );
    // Another status with another schema: two error types.
    let findings = run(
        &spec_with(&[(
            "        \"503\":\n          description: Down.",
            "        \"302\":\n          description: Moved.\n          content:\n            application/json:\n              schema: {$ref: \"#/components/schemas/ErrorBody\"}\n        \"503\":\n          description: Down.",
        )]),
        &V3,
    );
    only(
        &findings,
        "error_schema",
        "/paths/~1health/get/responses",
        "two error schemas (ErrorBody, HealthStatus)",
    );
    let findings = run(
        &spec_with(&[(
            "        \"503\":\n          description: Down.",
            "        \"302\":\n          description: Moved.\n          content:\n            application/json:\n              schema: {type: object}\n        \"503\":\n          description: Down.",
        )]),
        &V3,
    );
    only(
        &findings,
        "error_schema",
        "/paths/~1health/get/responses/302",
        "response 302 must have a `$ref` schema to a named component",
    );
}

#[test]
fn error_responses() {
    let text = CLEAN.replacen(
        "        \"5XX\": {$ref: \"#/components/responses/Error\"}\n",
        "",
        1,
    );
    only(
        &run(&text, &V3),
        "error_responses",
        &format!("{LIST}/responses"),
        "missing `5XX` error response",
    );
}

// ---- envelope -----------------------------------------------------------------------------------

#[test]
fn envelope() {
    only(
        &run(
            &spec_with(&[(
                "    ThingEnvelope:\n      type: object\n      required: [data]",
                "    ThingEnvelope:\n      type: object",
            )]),
            &V3,
        ),
        "envelope",
        "/components/schemas/ThingEnvelope/properties/data",
        "`data` must be required",
    );
    only(
        &run(
            &spec_with(&[(
                "        data: {$ref: \"#/components/schemas/Thing\"}",
                "        data: {type: object, properties: {id: {type: string}}}",
            )]),
            &V3,
        ),
        "envelope",
        "/components/schemas/ThingEnvelope/properties/data",
        "must be a `$ref`",
    );
    // Free-form data is fine.
    let text = spec_with(&[(
        "        data: {$ref: \"#/components/schemas/Thing\"}",
        "        data: {type: object, additionalProperties: true}",
    )]);
    assert_eq!(render(&run(&text, &V3)), "");
}

// ---- response_enums, formats --------------------------------------------------------------------

#[test]
fn response_enums() {
    only(
        &run(
            &spec_with(&[(
                "        created_at: {type: string}",
                "        created_at: {type: string, enum: [a, b]}",
            )]),
            &V3,
        ),
        "response_enums",
        "/components/schemas/Thing/properties/created_at/enum",
        "inline `enum`",
    );
    only(
        &run(
            &spec_with(&[(
                "    Status: {type: string, enum: [open, closed]}",
                "    Status: {type: integer, enum: [1, 2]}",
            )]),
            &V3,
        ),
        "response_enums",
        "/components/schemas/Status",
        "must have `type: string`",
    );
    // An inline enum only requests see is fine.
    let text = spec_with(&[(
        "        reference_id: {type: string}",
        "        reference_id: {type: string, enum: [a]}",
    )]);
    assert_eq!(render(&run(&text, &V3)), "");
}

#[test]
fn formats() {
    only(
        &run(
            &spec_with(&[(
                "        created_at: {type: string}",
                "        created_at: {type: string, format: date-time}",
            )]),
            &V3,
        ),
        "formats",
        "/components/schemas/Thing/properties/created_at/format",
        "`format: date-time` is not allowed",
    );
    // `decimal` and `password` are ours.
    let text = spec_with(&[(
        "        id: {type: string}",
        "        id: {type: string, format: password}",
    )]);
    assert_eq!(render(&run(&text, &V3)), "");
}

// ---- pagination ---------------------------------------------------------------------------------

#[test]
fn pagination_unknown_style_is_a_finding() {
    only(
        &run(&spec_with(&[("style: page_limit", "style: pages")]), &V3),
        "pagination",
        &format!("{LIST}/x-kotani-pagination/style"),
        "`style` must be one of page_per_page, page_limit, limit_offset, page_size, found \"pages\"",
    );
    only(
        &run(
            &spec_with(&[(
                "{style: page_limit, items: /data, total_pages: /meta/pages}",
                "page_limit",
            )]),
            &V3,
        ),
        "pagination",
        &format!("{LIST}/x-kotani-pagination"),
        "must be a mapping",
    );
}

#[test]
fn pagination_pointers() {
    only(
        &run(&spec_with(&[("items: /data,", "items: data,")]), &V3),
        "pagination",
        &format!("{LIST}/x-kotani-pagination/items"),
        "`items` must be a JSON pointer",
    );
    only(
        &run(&spec_with(&[("total_pages: /meta/pages", "total_pages: 3")]), &V3),
        "pagination",
        &format!("{LIST}/x-kotani-pagination/total_pages"),
        "`total_pages` must be a JSON pointer",
    );
}

#[test]
fn pagination_needs_the_styles_parameters_and_a_list() {
    only(
        &run(&spec_with(&[("style: page_limit", "style: page_per_page")]), &V3),
        "pagination",
        &format!("{LIST}/x-kotani-pagination/style"),
        "style page_per_page needs a `per_page` query parameter",
    );
    only(
        &run(
            &spec_with(&[(
                "schema: {$ref: \"#/components/schemas/ThingListEnvelope\"}",
                "schema: {$ref: \"#/components/schemas/ThingEnvelope\"}",
            )]),
            &V3,
        ),
        "pagination",
        &format!("{LIST}/x-kotani-pagination"),
        "the success envelope ThingEnvelope must have `data` as an array",
    );
}

// ---- idempotency_field, extension_types, status_operation --------------------------------------

#[test]
fn idempotency_field() {
    only(
        &run(
            &spec_with(&[(
                "x-kotani-idempotency-field: reference_id",
                "x-kotani-idempotency-field: referenceId",
            )]),
            &V3,
        ),
        "idempotency_field",
        &format!("{CREATE}/x-kotani-idempotency-field"),
        "`referenceId` is not a property of the request body schema",
    );
    only(
        &run(
            &spec_with(&[(
                "      x-kotani-idempotent: true\n",
                "      x-kotani-idempotency-field: id\n",
            )]),
            &V3,
        ),
        "idempotency_field",
        &format!("{GET}/x-kotani-idempotency-field"),
        "no application/json request body",
    );
}

#[test]
fn extension_types() {
    // Not a boolean: before the rules were one, the build read it as `false` and the lint
    // failed; now it is an error for both.
    only(
        &run(
            &spec_with(&[("x-kotani-moves-money: true", "x-kotani-moves-money: \"yes\"")]),
            &V3,
        ),
        "extension_types",
        &format!("{CREATE}/x-kotani-moves-money"),
        "must be a boolean",
    );
    only(
        &run(
            &spec_with(&[(
                "      x-kotani-idempotent: true\n",
                "      x-kotani-credential: refresh\n",
            )]),
            &V3,
        ),
        "extension_types",
        &format!("{GET}/x-kotani-credential"),
        "must be `refresh_token`",
    );
    let findings = run(
        &spec_with(&[(
            "x-kotani-status-operation: get_thing",
            "x-kotani-status-operation: [get_thing]",
        )]),
        &V3,
    );
    has(
        &findings,
        "extension_types",
        &format!("{CREATE}/x-kotani-status-operation"),
        "must be an operationId",
    );
}

#[test]
fn status_operation() {
    // Before the rules were one, only the build checked this; now the lint reports it too.
    only(
        &run(
            &spec_with(&[("      x-kotani-status-operation: get_thing\n", "")]),
            &V3,
        ),
        "status_operation",
        CREATE,
        "moves money but has no `x-kotani-status-operation`",
    );
    only(
        &run(
            &spec_with(&[(
                "x-kotani-status-operation: get_thing",
                "x-kotani-status-operation: get_things",
            )]),
            &V3,
        ),
        "status_operation",
        &format!("{CREATE}/x-kotani-status-operation"),
        "names no operation of this spec: `get_things`",
    );
}

// ---- security, credential_scheme ----------------------------------------------------------------

#[test]
fn security_is_a_list() {
    let findings = run(
        &spec_with(&[("      security: []\n", "      security: none\n")]),
        &V3,
    );
    has(
        &findings,
        "security",
        "/paths/~1health/get/security",
        "must be a list",
    );
}

#[test]
fn credential_scheme() {
    only(
        &run(
            &spec_with(&[(
                "bearer: {type: http, scheme: bearer}",
                "bearer: {type: apiKey, in: header, name: x-api-key}",
            )]),
            &V3,
        ),
        "credential_scheme",
        "/components/securitySchemes",
        "no security scheme describes the v3 credential (`authorization: Bearer <credential>`)",
    );
    let merchant = spec_with(&[(
        "bearer: {type: http, scheme: bearer}",
        "bearer: {type: apiKey, in: header, name: X-API-Key}",
    )]);
    let findings = run(&merchant, &MERCHANT);
    assert!(
        findings.iter().all(|f| f.rule != "credential_scheme"),
        "{}",
        render(&findings)
    );
}

// ---- refs, request_enum_twin --------------------------------------------------------------------

#[test]
fn refs() {
    let findings = run(
        &spec_with(&[(
            "status: {$ref: \"#/components/schemas/Status\"}\n        created_at",
            "status: {$ref: \"#/components/schemas/Statu\"}\n        created_at",
        )]),
        &V3,
    );
    has(
        &findings,
        "refs",
        "/components/schemas/Thing/properties/status",
        "`$ref` `#/components/schemas/Statu` does not resolve",
    );
    let findings = run(
        &spec_with(&[(
            "status: {$ref: \"#/components/schemas/Status\"}\n        created_at",
            "status: {$ref: \"other.yaml#/Status\"}\n        created_at",
        )]),
        &V3,
    );
    has(
        &findings,
        "refs",
        "/components/schemas/Thing/properties/status",
        "external `$ref`",
    );
    let findings = run(
        &spec_with(&[(
            "    HealthStatus:\n",
            "    Loop1: {$ref: \"#/components/schemas/Loop2\"}\n    Loop2: {$ref: \"#/components/schemas/Loop1\"}\n    HealthStatus:\n",
        )]),
        &V3,
    );
    has(&findings, "refs", "/components/schemas/Loop1", "loops");
}

#[test]
fn request_enum_twin() {
    only(
        &run(
            &spec_with(&[(
                "    HealthStatus:\n",
                "    StatusInput: {type: string}\n    HealthStatus:\n",
            )]),
            &V3,
        ),
        "request_enum_twin",
        "/components/schemas/StatusInput",
        "schema StatusInput already exists; it is the name of Status's closed request twin",
    );
}
