//! Each test breaks one rule of a small clean spec and asserts the finding.

use super::*;
use kotanipay_codegen::family::{MERCHANT, V3};

/// A clean v3-family spec: the health exception, a paginated list (with both parameters of its
/// style), a money-moving create with 200 and 201 and a status operation (any operation of the
/// spec will do for the rule), nullable fields (plain, `$ref` and enum component) and a
/// request-only inline enum.
const CLEAN: &str = r##"
openapi: 3.0.3
info: {title: Test, version: "1"}
tags:
  - name: items
  - name: system
paths:
  /health:
    get:
      operationId: get_health
      tags: [system]
      summary: Health
      description: Liveness.
      responses:
        "200":
          description: Up.
          content:
            application/json:
              schema:
                $ref: "#/components/schemas/HealthStatus"
              example: {status: ok}
        "503":
          description: Down.
          content:
            application/json:
              schema:
                $ref: "#/components/schemas/HealthStatus"
              example: {status: error}
  /items:
    get:
      operationId: list_items
      tags: [items]
      summary: List items
      description: Lists the items.
      x-kotani-pagination: {style: page_limit, items: /data}
      parameters:
        - name: page
          in: query
          schema: {type: integer}
          example: 2
        - name: limit
          in: query
          schema:
            type: integer
      responses:
        "200":
          description: The items.
          content:
            application/json:
              schema:
                $ref: "#/components/schemas/ItemListEnvelope"
              example:
                success: true
                message: ok
                data:
                  - id: it_1
                    status: null
                    note: null
                    owner: null
                    created_at: "2025-11-19T16:16:50.676891"
                  - id: it_2
                    status: active
                    note: hello
                    owner: {name: Ann}
        "4XX":
          $ref: "#/components/responses/Error"
        "5XX":
          $ref: "#/components/responses/Error"
    post:
      operationId: create_item
      tags: [items]
      summary: Create an item
      description: Creates an item.
      x-kotani-moves-money: true
      x-kotani-idempotency-field: reference_id
      x-kotani-status-operation: get_health
      requestBody:
        required: true
        content:
          application/json:
            schema:
              $ref: "#/components/schemas/CreateItemRequest"
            example:
              reference_id: ref-1
              kind: small
              email: a@example.com
      responses:
        "200":
          description: The existing item.
          content:
            application/json:
              schema:
                $ref: "#/components/schemas/ItemEnvelope"
              example:
                success: true
                data: {id: it_1}
        "201":
          description: The new item.
          content:
            application/json:
              schema:
                $ref: "#/components/schemas/ItemEnvelope"
        "4XX":
          $ref: "#/components/responses/Error"
        "5XX":
          $ref: "#/components/responses/Error"
components:
  responses:
    Error:
      description: An error.
      content:
        application/json:
          schema:
            $ref: "#/components/schemas/ErrorBody"
          example: {success: false, message: bad}
  schemas:
    ErrorBody:
      type: object
      required: [message]
      properties:
        success: {type: boolean}
        message: {type: string}
    HealthStatus:
      type: object
      required: [status]
      properties:
        status: {type: string}
    ItemStatus:
      type: string
      enum: [active, closed]
      nullable: true
    Owner:
      type: object
      properties:
        name: {type: string}
    Item:
      type: object
      required: [id]
      properties:
        id: {type: string}
        status:
          $ref: "#/components/schemas/ItemStatus"
        note: {type: string, nullable: true}
        owner:
          $ref: "#/components/schemas/Owner"
          nullable: true
        created_at: {type: string}
    ItemEnvelope:
      type: object
      required: [success, data]
      properties:
        success: {type: boolean}
        message: {type: string}
        data:
          $ref: "#/components/schemas/Item"
    ItemListEnvelope:
      type: object
      required: [success, data]
      properties:
        success: {type: boolean}
        message: {type: string}
        data:
          type: array
          items:
            $ref: "#/components/schemas/Item"
    CreateItemRequest:
      type: object
      required: [reference_id]
      properties:
        reference_id: {type: string}
        kind: {type: string, enum: [small, large]}
        email: {type: string, format: email}
        secret: {type: string, format: password}
"##;

const LIST: &str = "/paths/~1items/get";
const CREATE: &str = "/paths/~1items/post";
const LIST_EXAMPLE: &str = "/paths/~1items/get/responses/200/content/application~1json/example";

/// The clean spec with each `(old, new)` replacement applied; each `old` must occur once.
fn spec_with(edits: &[(&str, &str)]) -> String {
    let mut text = CLEAN.to_owned();
    for (old, new) in edits {
        assert_eq!(
            text.matches(old).count(),
            1,
            "`{old}` must occur exactly once in the clean spec"
        );
        text = text.replacen(old, new, 1);
    }
    text
}

fn lint_family(text: &str, family: &Family) -> Report {
    lint_str("test.yaml", text, family).expect("the test spec parses")
}

fn lint(text: &str) -> Report {
    lint_family(text, &V3)
}

fn render(report: &Report) -> String {
    report.findings.iter().map(|f| format!("{f}\n")).collect()
}

/// Asserts the report holds exactly one finding, with this subject, pointer and message part.
#[track_caller]
fn assert_only(report: &Report, subject: &str, pointer: &str, fragment: &str) {
    assert_eq!(
        report.findings.len(),
        1,
        "expected one finding, got:\n{}",
        render(report)
    );
    assert_has(report, subject, pointer, fragment);
}

#[track_caller]
fn assert_has(report: &Report, subject: &str, pointer: &str, fragment: &str) {
    let found = report
        .findings
        .iter()
        .any(|f| f.subject == subject && f.pointer == pointer && f.message.contains(fragment));
    assert!(
        found,
        "no finding `{subject} {pointer}: ..{fragment}..` in:\n{}",
        render(report)
    );
}

#[test]
fn clean_spec_has_no_findings() {
    let report = lint(CLEAN);
    assert!(report.findings.is_empty(), "{}", render(&report));
    assert_eq!(report.operations, 3);
    // health 200 + 503, list 200 + page parameter, create body + 200, the Error response.
    assert_eq!(report.examples_checked, 7);
    assert_eq!(
        report.summary(),
        "spec lint: test.yaml: 3 operations, 7 examples checked, 0 errors"
    );
}

#[test]
fn finding_line_format() {
    let report = lint(&spec_with(&[("      summary: List items\n", "")]));
    assert_eq!(
        report.findings[0].to_string(),
        "WARN test.yaml list_items /paths/~1items/get: missing `summary`"
    );
    assert_eq!(
        report.summary(),
        "spec lint: test.yaml: 3 operations, 7 examples checked, 0 errors, 1 warnings"
    );
    let report = lint(&spec_with(&[(
        "operationId: list_items",
        "operationId: listItems",
    )]));
    assert_eq!(
        report.findings[0].to_string(),
        "ERROR test.yaml listItems /paths/~1items/get/operationId: operationId \"listItems\" is not snake_case"
    );
    assert_eq!(report.findings[0].rule, "operation_id");
}

#[test]
fn tool_errors() {
    let e = lint_str("x.yaml", "a: [", &V3).unwrap_err();
    assert!(e.to_string().starts_with("x.yaml: not YAML"), "{e}");
    let e = lint_str("x.yaml", "just a string", &V3).unwrap_err();
    assert_eq!(
        e.to_string(),
        "x.yaml: not an OpenAPI document (the top level is not a mapping)"
    );
    let e = lint_file(Path::new("/nonexistent/x.yaml"), "x.yaml").unwrap_err();
    assert!(e.to_string().starts_with("cannot read x.yaml"), "{e}");
}

// ---- check 1 ----------------------------------------------------------------------------------

#[test]
fn missing_operation_id() {
    let report = lint(&spec_with(&[("      operationId: list_items\n", "")]));
    assert_only(&report, "-", LIST, "missing `operationId`");
}

#[test]
fn operation_id_not_snake_case() {
    let report = lint(&spec_with(&[(
        "operationId: list_items",
        "operationId: listItems",
    )]));
    assert_only(
        &report,
        "listItems",
        &format!("{LIST}/operationId"),
        "not snake_case",
    );
}

#[test]
fn duplicate_operation_id() {
    let report = lint(&spec_with(&[(
        "operationId: create_item",
        "operationId: list_items",
    )]));
    assert_only(
        &report,
        "list_items",
        &format!("{CREATE}/operationId"),
        "duplicate operationId `list_items`",
    );
}

#[test]
fn missing_tags() {
    let report = lint(&spec_with(&[(
        "      tags: [items]\n      summary: List items",
        "      summary: List items",
    )]));
    assert_only(&report, "list_items", LIST, "missing `tags`");
}

#[test]
fn undeclared_tag() {
    let report = lint(&spec_with(&[(
        "tags: [items]\n      summary: List items",
        "tags: [stuff]\n      summary: List items",
    )]));
    assert_only(&report, "list_items", &format!("{LIST}/tags/0"), "not declared");
}

#[test]
fn missing_summary_and_description() {
    let report = lint(&spec_with(&[("      description: Creates an item.\n", "")]));
    assert_only(&report, "create_item", CREATE, "missing `description`");
    let report = lint(&spec_with(&[("summary: List items", "summary: \"\"")]));
    assert_only(&report, "list_items", LIST, "missing `summary`");
}

// ---- check 2 ----------------------------------------------------------------------------------

#[test]
fn success_schema_must_be_a_ref() {
    let report = lint(&spec_with(&[(
        "          description: The new item.\n          content:\n            application/json:\n              schema:\n                $ref: \"#/components/schemas/ItemEnvelope\"\n",
        "          description: The new item.\n          content:\n            application/json:\n              schema: {type: object}\n",
    )]));
    assert_only(
        &report,
        "create_item",
        &format!("{CREATE}/responses/201"),
        "`$ref` schema",
    );
}

#[test]
fn success_schemas_must_agree() {
    let report = lint(&spec_with(&[
        (
            "          description: The new item.\n          content:\n            application/json:\n              schema:\n                $ref: \"#/components/schemas/ItemEnvelope\"\n",
            "          description: The new item.\n          content:\n            application/json:\n              schema:\n                $ref: \"#/components/schemas/OtherEnvelope\"\n",
        ),
        (
            "  schemas:\n",
            "  schemas:\n    OtherEnvelope:\n      allOf:\n        - $ref: \"#/components/schemas/ItemEnvelope\"\n",
        ),
    ]));
    assert_only(
        &report,
        "create_item",
        &format!("{CREATE}/responses"),
        "2xx responses use different schemas",
    );
}

#[test]
fn default_response_is_rejected() {
    let report = lint(&spec_with(&[(
        "              example: {status: error}\n",
        "              example: {status: error}\n        default:\n          $ref: \"#/components/responses/Error\"\n",
    )]));
    assert_only(
        &report,
        "get_health",
        "/paths/~1health/get/responses/default",
        "`default` response",
    );
}

#[test]
fn missing_success_response() {
    let report = lint(&spec_with(&[(
        "        \"200\":\n          description: Up.",
        "        \"301\":\n          description: Up.",
    )]));
    assert_has(
        &report,
        "get_health",
        "/paths/~1health/get/responses",
        "no 2xx response",
    );
}

// ---- check 3 ----------------------------------------------------------------------------------

#[test]
fn missing_error_response() {
    let text = CLEAN.replacen(
        "        \"4XX\":\n          $ref: \"#/components/responses/Error\"\n",
        "",
        1, // the list operation's
    );
    let report = lint(&text);
    assert_only(
        &report,
        "list_items",
        &format!("{LIST}/responses"),
        "missing `4XX`",
    );
}

#[test]
fn error_response_must_use_the_family_schema() {
    let report = lint(&spec_with(&[(
        "    Error:\n      description: An error.\n      content:\n        application/json:\n          schema:\n            $ref: \"#/components/schemas/ErrorBody\"\n          example: {success: false, message: bad}\n",
        "    Error:\n      description: An error.\n      content:\n        application/json:\n          schema:\n            $ref: \"#/components/schemas/HealthStatus\"\n          example: {status: bad}\n",
    )]));
    // Both 4XX and 5XX of both operations.
    assert_eq!(report.findings.len(), 4, "{}", render(&report));
    assert_has(
        &report,
        "list_items",
        &format!("{LIST}/responses/4XX"),
        "must use the `ErrorBody` schema",
    );
    assert_has(
        &report,
        "create_item",
        &format!("{CREATE}/responses/5XX"),
        "found `#/components/schemas/HealthStatus`",
    );
}

#[test]
fn error_family_is_per_spec() {
    let report = lint_family(CLEAN, &MERCHANT);
    assert_eq!(report.findings.len(), 4, "{}", render(&report));
    assert_has(
        &report,
        "list_items",
        &format!("{LIST}/responses/5XX"),
        "must use the `MerchantError` schema",
    );
    assert_eq!(
        Family::for_path(Path::new("spec/kutanapay-merchant-v1.yaml")).error_schema,
        "MerchantError"
    );
    assert_eq!(
        Family::for_path(Path::new("spec/kotani-v3.yaml")).error_schema,
        "ErrorBody"
    );
}

#[test]
fn only_get_health_may_answer_errors_with_its_success_schema() {
    // The same responses under another path break the rule.
    let report = lint(&spec_with(&[("  /health:\n", "  /status:\n")]));
    assert_has(
        &report,
        "get_health",
        "/paths/~1status/get/responses",
        "missing `4XX`",
    );
    assert_has(
        &report,
        "get_health",
        "/paths/~1status/get/responses/503",
        "must use the `ErrorBody` schema",
    );
}

// ---- check 4 ----------------------------------------------------------------------------------

#[test]
fn success_response_needs_an_example() {
    let report = lint(&spec_with(&[("              example: {status: ok}\n", "")]));
    assert_only(
        &report,
        "get_health",
        "/paths/~1health/get/responses",
        "no success response example",
    );
}

#[test]
fn named_examples_count_and_are_validated() {
    let clean = lint(&spec_with(&[(
        "              example: {status: ok}\n",
        "              examples:\n                up:\n                  value: {status: ok}\n",
    )]));
    assert!(clean.findings.is_empty(), "{}", render(&clean));

    let report = lint(&spec_with(&[(
        "              example: {status: ok}\n",
        "              examples:\n                up:\n                  value: {status: 1}\n",
    )]));
    assert_only(
        &report,
        "get_health",
        "/paths/~1health/get/responses/200/content/application~1json/examples/up/value",
        "at /status (keyword `type`)",
    );
}

#[test]
fn invalid_response_example() {
    let report = lint(&spec_with(&[("status: active", "status: bogus")]));
    assert_only(
        &report,
        "list_items",
        LIST_EXAMPLE,
        "at /data/1/status (keyword `enum`)",
    );
}

#[test]
fn invalid_error_example_in_components() {
    let report = lint(&spec_with(&[(
        "example: {success: false, message: bad}",
        "example: {success: false}",
    )]));
    assert_only(
        &report,
        "Error",
        "/components/responses/Error/content/application~1json/example",
        "(keyword `required`)",
    );
}

#[test]
fn invalid_non_success_example() {
    let report = lint(&spec_with(&[(
        "example: {status: error}",
        "example: {state: error}",
    )]));
    assert_only(
        &report,
        "get_health",
        "/paths/~1health/get/responses/503/content/application~1json/example",
        "required",
    );
}

#[test]
fn invalid_request_body_example_format() {
    let report = lint(&spec_with(&[("email: a@example.com", "email: not-an-email")]));
    assert_only(
        &report,
        "create_item",
        &format!("{CREATE}/requestBody/content/application~1json/example"),
        "at /email (keyword `format`)",
    );
}

#[test]
fn invalid_parameter_example() {
    let report = lint(&spec_with(&[("example: 2", "example: two")]));
    assert_only(
        &report,
        "list_items",
        &format!("{LIST}/parameters/0/example"),
        "(keyword `type`)",
    );
}

#[test]
fn invalid_schema_level_example() {
    let report = lint(&spec_with(&[(
        "note: {type: string, nullable: true}",
        "note: {type: string, nullable: true, example: 3}",
    )]));
    assert_only(
        &report,
        "Item",
        "/components/schemas/Item/properties/note/example",
        "(keyword `type`)",
    );
}

// ---- nullable handling --------------------------------------------------------------------------

#[test]
fn nullable_ref_allows_null_but_still_checks_the_target() {
    // Without `nullable`, `owner: null` fails.
    let report = lint(&spec_with(&[(
        "          $ref: \"#/components/schemas/Owner\"\n          nullable: true\n",
        "          $ref: \"#/components/schemas/Owner\"\n",
    )]));
    assert_only(
        &report,
        "list_items",
        LIST_EXAMPLE,
        "at /data/0/owner (keyword `type`)",
    );
    // With it, a non-null owner is still checked against `Owner`.
    let report = lint(&spec_with(&[("owner: {name: Ann}", "owner: {name: 7}")]));
    assert_only(&report, "list_items", LIST_EXAMPLE, "at /data/1/owner");
}

#[test]
fn nullable_enum_allows_null() {
    let report = lint(&spec_with(&[(
        "      enum: [active, closed]\n      nullable: true\n",
        "      enum: [active, closed]\n",
    )]));
    assert_only(&report, "list_items", LIST_EXAMPLE, "at /data/0/status");
}

#[test]
fn nullable_plain_type_allows_null() {
    let report = lint(&spec_with(&[(
        "note: {type: string, nullable: true}",
        "note: {type: string}",
    )]));
    assert_only(
        &report,
        "list_items",
        LIST_EXAMPLE,
        "at /data/0/note (keyword `type`)",
    );
}

// ---- check 5 ----------------------------------------------------------------------------------

#[test]
fn envelope_data_must_be_required() {
    let report = lint(&spec_with(&[(
        "    ItemEnvelope:\n      type: object\n      required: [success, data]",
        "    ItemEnvelope:\n      type: object\n      required: [success]",
    )]));
    assert_only(
        &report,
        "ItemEnvelope",
        "/components/schemas/ItemEnvelope/properties/data",
        "`data` must be required",
    );
}

#[test]
fn envelope_data_must_not_be_an_inline_object() {
    let report = lint(&spec_with(&[(
        "        data:\n          $ref: \"#/components/schemas/Item\"\n",
        "        data:\n          type: object\n          properties:\n            id: {type: string}\n",
    )]));
    assert_only(
        &report,
        "ItemEnvelope",
        "/components/schemas/ItemEnvelope/properties/data",
        "must be a `$ref`",
    );
}

#[test]
fn envelope_array_items_must_be_a_ref() {
    let report = lint(&spec_with(&[(
        "          items:\n            $ref: \"#/components/schemas/Item\"\n",
        "          items:\n            type: object\n",
    )]));
    assert_only(
        &report,
        "ItemListEnvelope",
        "/components/schemas/ItemListEnvelope/properties/data",
        "array whose `items`",
    );
}

#[test]
fn envelope_free_form_data_is_fine() {
    let report = lint(&spec_with(&[(
        "        data:\n          $ref: \"#/components/schemas/Item\"\n",
        "        data:\n          type: object\n          additionalProperties: true\n",
    )]));
    assert!(report.findings.is_empty(), "{}", render(&report));
}

// ---- check 6 ----------------------------------------------------------------------------------

#[test]
fn inline_enum_reachable_from_a_response() {
    let report = lint(&spec_with(&[(
        "        created_at: {type: string}\n",
        "        created_at: {type: string}\n        size: {type: string, enum: [s, m]}\n",
    )]));
    assert_only(
        &report,
        "Item",
        "/components/schemas/Item/properties/size/enum",
        "inline `enum`",
    );
}

#[test]
fn response_enum_component_must_be_a_string() {
    let report = lint(&spec_with(&[
        (
            "        created_at: {type: string}\n",
            "        created_at: {type: string}\n        rank:\n          $ref: \"#/components/schemas/Rank\"\n",
        ),
        (
            "  schemas:\n",
            "  schemas:\n    Rank: {type: integer, enum: [1, 2]}\n",
        ),
    ]));
    assert_only(
        &report,
        "Rank",
        "/components/schemas/Rank",
        "must have `type: string`",
    );
}

#[test]
fn forbidden_formats_anywhere() {
    let report = lint(&spec_with(&[(
        "created_at: {type: string}",
        "created_at: {type: string, format: date-time}",
    )]));
    assert_has(
        &report,
        "Item",
        "/components/schemas/Item/properties/created_at/format",
        "`format: date-time`",
    );
    // Which is why: the APIs' timestamps have no offset.
    assert_has(
        &report,
        "list_items",
        LIST_EXAMPLE,
        "at /data/0/created_at (keyword `format`)",
    );
    assert_eq!(report.findings.len(), 2, "{}", render(&report));
    let report = lint(&spec_with(&[(
        "reference_id: {type: string}",
        "reference_id: {type: string, format: uuid}",
    )]));
    assert_has(
        &report,
        "CreateItemRequest",
        "/components/schemas/CreateItemRequest/properties/reference_id/format",
        "`format: uuid`",
    );
    let report = lint(&spec_with(&[(
        "schema: {type: integer}",
        "schema: {type: string, format: date}",
    )]));
    // The parameter example `2` is no longer a string either.
    assert_has(
        &report,
        "list_items",
        &format!("{LIST}/parameters/0/schema/format"),
        "`format: date`",
    );
}

// ---- check 7 ----------------------------------------------------------------------------------

#[test]
fn pagination_style_and_items() {
    let report = lint(&spec_with(&[(
        "{style: page_limit, items: /data}",
        "{style: pages, items: /data}",
    )]));
    assert_only(
        &report,
        "list_items",
        &format!("{LIST}/x-kotani-pagination/style"),
        "`style` must be one of",
    );
    let report = lint(&spec_with(&[(
        "{style: page_limit, items: /data}",
        "{style: page_limit, items: data}",
    )]));
    assert_only(
        &report,
        "list_items",
        &format!("{LIST}/x-kotani-pagination/items"),
        "JSON pointer",
    );
    let report = lint(&spec_with(&[("{style: page_limit, items: /data}", "page_limit")]));
    assert_only(
        &report,
        "list_items",
        &format!("{LIST}/x-kotani-pagination"),
        "must be a mapping",
    );
}

#[test]
fn idempotency_field_names_a_body_property() {
    let report = lint(&spec_with(&[(
        "x-kotani-idempotency-field: reference_id",
        "x-kotani-idempotency-field: referenceId",
    )]));
    assert_only(
        &report,
        "create_item",
        &format!("{CREATE}/x-kotani-idempotency-field"),
        "`referenceId` is not a property",
    );
    let report = lint(&spec_with(&[(
        "      x-kotani-pagination: {style: page_limit, items: /data}\n",
        "      x-kotani-pagination: {style: page_limit, items: /data}\n      x-kotani-idempotency-field: reference_id\n",
    )]));
    assert_only(
        &report,
        "list_items",
        &format!("{LIST}/x-kotani-idempotency-field"),
        "no application/json request body",
    );
}

#[test]
fn moves_money_is_a_boolean() {
    let report = lint(&spec_with(&[(
        "x-kotani-moves-money: true",
        "x-kotani-moves-money: \"yes\"",
    )]));
    assert_only(
        &report,
        "create_item",
        &format!("{CREATE}/x-kotani-moves-money"),
        "must be a boolean",
    );
}

// ---- rules that drifted between build.rs and the lint, now one ------------------------------------

#[test]
fn moves_money_needs_a_status_operation() {
    // Only build.rs checked this before; the lint now reports the same rule.
    let report = lint(&spec_with(&[(
        "      x-kotani-status-operation: get_health\n",
        "",
    )]));
    assert_only(
        &report,
        "create_item",
        CREATE,
        "moves money but has no `x-kotani-status-operation`",
    );
    assert_eq!(report.findings[0].rule, "status_operation");
    assert_eq!(report.findings[0].severity, Severity::Error);
    let report = lint(&spec_with(&[(
        "x-kotani-status-operation: get_health",
        "x-kotani-status-operation: get_item_status",
    )]));
    assert_only(
        &report,
        "create_item",
        &format!("{CREATE}/x-kotani-status-operation"),
        "names no operation of this spec: `get_item_status`",
    );
}

#[test]
fn pagination_style_needs_its_query_parameters() {
    // build.rs failed on this while generating; the lint did not see it.
    let report = lint(&spec_with(&[(
        "{style: page_limit, items: /data}",
        "{style: limit_offset, items: /data}",
    )]));
    assert_only(
        &report,
        "list_items",
        &format!("{LIST}/x-kotani-pagination/style"),
        "style limit_offset needs a `offset` query parameter",
    );
}

#[test]
fn snake_case_is_what_the_method_is_named() {
    // build.rs asked only that heck's snake_case leave the id alone, which `2fa_items` passes
    // (the lint did not); the build now fails on it too, with the lint's definition.
    let report = lint(&spec_with(&[(
        "operationId: list_items",
        "operationId: 2fa_items",
    )]));
    assert_eq!(report.findings[0].severity, Severity::Error);
    assert_only(
        &report,
        "2fa_items",
        &format!("{LIST}/operationId"),
        "is not snake_case",
    );
}

#[test]
fn lint_reports_every_finding_of_the_build_rules() {
    // Whatever the build would fail on, the lint prints with the same pointer and message.
    let text = spec_with(&[
        ("      x-kotani-status-operation: get_health\n", ""),
        (
            "{style: page_limit, items: /data}",
            "{style: pages, items: /data}",
        ),
    ]);
    let spec = Spec::parse("test.yaml", &text).unwrap();
    let build: Vec<kotanipay_codegen::Finding> = kotanipay_codegen::check(&spec, &V3)
        .into_iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    assert_eq!(build.len(), 2);
    let report = lint(&text);
    for f in &build {
        assert_has(&report, &f.subject, &f.pointer, &f.message);
    }
}

// ---- check 8 ----------------------------------------------------------------------------------

#[test]
fn dangling_ref() {
    let report = lint(&spec_with(&[(
        "$ref: \"#/components/schemas/Owner\"",
        "$ref: \"#/components/schemas/Ownr\"",
    )]));
    assert_has(
        &report,
        "Item",
        "/components/schemas/Item/properties/owner",
        "`#/components/schemas/Ownr` does not resolve",
    );
}

#[test]
fn dangling_response_ref() {
    let text = CLEAN.replacen(
        "$ref: \"#/components/responses/Error\"",
        "$ref: \"#/components/responses/Eror\"",
        1,
    );
    let report = lint(&text);
    assert_only(
        &report,
        "list_items",
        &format!("{LIST}/responses/4XX"),
        "does not resolve",
    );
}

// ---- the real specs -----------------------------------------------------------------------------

#[test]
fn real_specs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root");
    let merchant = lint_file(
        &root.join("spec/kutanapay-merchant-v1.yaml"),
        "spec/kutanapay-merchant-v1.yaml",
    )
    .expect("the merchant spec parses");
    assert!(merchant.findings.is_empty(), "{}", render(&merchant));
    assert_eq!(merchant.operations, 34);

    let v3 = lint_file(&root.join("spec/kotani-v3.yaml"), "spec/kotani-v3.yaml").expect("the v3 spec parses");
    assert!(v3.findings.is_empty(), "{}", render(&v3));
    assert_eq!(v3.operations, 107);
}
