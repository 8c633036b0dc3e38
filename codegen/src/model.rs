//! The one operation model: what the generator, the built-in sandbox's tables, the lint, the
//! contract check and the bench know about an operation.
//!
//! Extraction is lenient: a spec that breaks a rule still yields its operations (with the
//! missing facts as `None`), so the lint can report every finding at once. The rules
//! ([`crate::rules`]) say what is wrong; the emitters run only on a spec without errors.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::pointer::{SCHEMA_REF_PREFIX, deref, pointer, ref_name};

/// HTTP methods that hold an Operation Object in a Path Item, in the order they are read.
pub const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// One operation of a spec.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    /// The path template (`/api/v3/wallet/fiat/{id}`).
    pub path: String,
    /// The method as the spec writes it (lower case: `get`).
    pub method: &'static str,
    /// JSON pointer of the Operation Object (`/paths/~1health/get`).
    pub pointer: String,
    /// `operationId`.
    pub id: Option<String>,
    /// `tags` (the strings among them).
    pub tags: Vec<String>,
    /// The named schema of the success responses (that of the first 2xx with one).
    pub success: Option<String>,
    /// Every documented 2xx status (literal codes), ascending.
    pub success_statuses: Vec<u16>,
    /// The named schema of the error responses (that of the first non-2xx with one).
    pub error: Option<String>,
    /// The success example: the media-type `example` of the first 2xx response that has one.
    pub example: Option<Value>,
    /// The `application/json` request example: the media type's `example`, else the schema's.
    pub request_example: Option<Value>,
    /// Which credential the call carries.
    pub credential: Credential,
    /// `x-kotani-moves-money: true`.
    pub moves_money: bool,
    /// `x-kotani-idempotency-field`.
    pub idempotency_field: Option<String>,
    /// `x-kotani-idempotent: true` (see [`Operation::retry_safe`] for GETs).
    pub idempotent: bool,
    /// `x-kotani-pagination`, when it is a mapping with a known style.
    pub pagination: Option<Pagination>,
    /// The operation's parameters, then its Path Item's (not overridden), `$ref`s followed.
    pub parameters: Vec<Parameter>,
    /// `x-kotani-status-operation`.
    pub status_operation: Option<String>,
    /// `x-kotani-inferred` on the operation: the reason.
    pub inferred: Option<String>,
}

impl Operation {
    /// The method in upper case (`GET`).
    pub fn http_method(&self) -> String {
        self.method.to_ascii_uppercase()
    }

    /// The operationId, or `-`.
    pub fn id_or_dash(&self) -> &str {
        self.id.as_deref().unwrap_or("-")
    }

    /// The query parameters.
    pub fn query(&self) -> impl Iterator<Item = &Parameter> {
        self.parameters.iter().filter(|p| p.location == "query")
    }

    /// Whether repeating the call is safe: a GET or HEAD, or `x-kotani-idempotent`.
    pub fn retry_safe(&self) -> bool {
        self.idempotent || matches!(self.method, "get" | "head")
    }
}

/// The credential an operation sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    /// `security: []`: none.
    None,
    /// The family's credential (API key, or a session's access token).
    Standard,
    /// `x-kotani-credential: refresh_token`: the session's refresh token.
    RefreshToken,
}

/// A parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    /// `name`.
    pub name: String,
    /// `in`: `query`, `path`, `header`, `cookie`.
    pub location: String,
    /// `required`.
    pub required: bool,
    /// The `schema` as written (not followed).
    pub schema: Option<Value>,
    /// The `type` of the schema, `$ref`s followed; `string` when it has none.
    pub schema_type: String,
    /// The parameter's own `example`.
    pub example: Option<Value>,
}

/// `x-kotani-pagination`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pagination {
    /// How pages are asked for.
    pub style: PageStyle,
    /// JSON pointer of the array in the body.
    pub items: String,
    /// JSON pointer of the page count, if the body has one.
    pub total_pages: Option<String>,
}

/// The pagination styles: the query parameters that ask for a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PageStyle {
    /// `page` and `per_page`.
    PagePerPage,
    /// `page` and `limit`.
    PageLimit,
    /// `limit` and `offset`.
    LimitOffset,
    /// `page` and `size`.
    PageSize,
}

impl PageStyle {
    /// Every style.
    pub const ALL: [PageStyle; 4] = [
        PageStyle::PagePerPage,
        PageStyle::PageLimit,
        PageStyle::LimitOffset,
        PageStyle::PageSize,
    ];

    /// The style the spec names, if it is one.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// As the spec writes it (`page_limit`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PagePerPage => "page_per_page",
            Self::PageLimit => "page_limit",
            Self::LimitOffset => "limit_offset",
            Self::PageSize => "page_size",
        }
    }

    /// The two query parameters it sets.
    pub fn params(self) -> (&'static str, &'static str) {
        match self {
            Self::PagePerPage => ("page", "per_page"),
            Self::PageLimit => ("page", "limit"),
            Self::LimitOffset => ("limit", "offset"),
            Self::PageSize => ("page", "size"),
        }
    }

    /// The variant of `kotanipay::meta::PageStyle`.
    pub fn variant(self) -> &'static str {
        match self {
            Self::PagePerPage => "PagePerPage",
            Self::PageLimit => "PageLimit",
            Self::LimitOffset => "LimitOffset",
            Self::PageSize => "PageSize",
        }
    }
}

impl Pagination {
    /// Reads `x-kotani-pagination`: `None` unless it is a mapping whose `style` is known.
    pub fn parse(value: &Value) -> Option<Self> {
        let style = PageStyle::parse(value.get("style")?.as_str()?)?;
        Some(Self {
            style,
            items: value
                .get("items")
                .and_then(Value::as_str)
                .unwrap_or("/data")
                .to_owned(),
            total_pages: value
                .get("total_pages")
                .and_then(Value::as_str)
                .map(str::to_owned),
        })
    }
}

/// `x-kotani-inferred` on a spec object: the reason given (or a placeholder).
pub fn inferred_reason(value: &Value) -> Option<String> {
    match value.get("x-kotani-inferred")? {
        Value::String(s) => Some(s.clone()),
        Value::Bool(false) | Value::Null => None,
        _ => Some("inferred".to_owned()),
    }
}

/// Every operation of a document.
pub fn operations(doc: &Value) -> Vec<Operation> {
    let global_security = doc
        .get("security")
        .and_then(Value::as_array)
        .is_some_and(|s| !s.is_empty());
    let mut out = Vec::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return out;
    };
    for (path, item) in paths {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            out.push(operation(doc, path, item, method, op, global_security));
        }
    }
    out
}

fn operation(
    doc: &Value,
    path: &str,
    item: &Value,
    method: &'static str,
    op: &Value,
    global_security: bool,
) -> Operation {
    let mut success: Option<String> = None;
    let mut success_statuses = Vec::new();
    let mut error: Option<String> = None;
    let mut example = None;
    for (status, response) in op
        .get("responses")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        if status == "default" {
            continue;
        }
        let Some((response, _)) = deref(doc, response, "") else {
            continue;
        };
        let media = response.pointer("/content/application~1json");
        let name = media.and_then(|m| m.get("schema")).and_then(ref_name);
        if status.starts_with('2') {
            if let Some(code) = status.parse::<u16>().ok().filter(|c| (200..300).contains(c)) {
                success_statuses.push(code);
            }
            if success.is_none() {
                success = name.map(str::to_owned);
            }
            if example.is_none() && name.is_some() && name == success.as_deref() {
                example = media.and_then(|m| m.get("example")).cloned();
            }
        } else if error.is_none() {
            error = name.map(str::to_owned);
        }
    }
    success_statuses.sort_unstable();
    success_statuses.dedup();
    let secured = match op.get("security") {
        Some(Value::Array(list)) => !list.is_empty(),
        _ => global_security,
    };
    let credential = if !secured {
        Credential::None
    } else if op.get("x-kotani-credential").and_then(Value::as_str) == Some("refresh_token") {
        Credential::RefreshToken
    } else {
        Credential::Standard
    };
    let flag = |k: &str| op.get(k).and_then(Value::as_bool).unwrap_or(false);
    let text = |k: &str| op.get(k).and_then(Value::as_str).map(str::to_owned);
    Operation {
        path: path.to_owned(),
        method,
        pointer: pointer(["paths", path, method]),
        id: text("operationId"),
        tags: op
            .get("tags")
            .and_then(Value::as_array)
            .map(|t| t.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default(),
        success,
        success_statuses,
        error,
        example,
        request_example: request_example(doc, op),
        credential,
        moves_money: flag("x-kotani-moves-money"),
        idempotency_field: text("x-kotani-idempotency-field"),
        idempotent: flag("x-kotani-idempotent"),
        pagination: op.get("x-kotani-pagination").and_then(Pagination::parse),
        parameters: parameters(doc, op, item),
        status_operation: text("x-kotani-status-operation"),
        inferred: inferred_reason(op),
    }
}

fn request_example(doc: &Value, op: &Value) -> Option<Value> {
    let (body, _) = deref(doc, op.get("requestBody")?, "")?;
    let media = body.pointer("/content/application~1json")?;
    if let Some(example) = media.get("example") {
        return Some(example.clone());
    }
    let (schema, _) = deref(doc, media.get("schema")?, "")?;
    schema.get("example").cloned()
}

fn parameters(doc: &Value, op: &Value, item: &Value) -> Vec<Parameter> {
    let mut out: Vec<Parameter> = Vec::new();
    for list in [op.get("parameters"), item.get("parameters")] {
        for p in list.and_then(Value::as_array).into_iter().flatten() {
            let Some((p, _)) = deref(doc, p, "") else { continue };
            let (Some(name), Some(location)) = (
                p.get("name").and_then(Value::as_str),
                p.get("in").and_then(Value::as_str),
            ) else {
                continue;
            };
            if out.iter().any(|q| q.name == name && q.location == location) {
                continue;
            }
            let schema = p.get("schema");
            let schema_type = schema
                .and_then(|s| deref(doc, s, ""))
                .and_then(|(s, _)| s.get("type"))
                .and_then(Value::as_str)
                .unwrap_or("string");
            out.push(Parameter {
                name: name.to_owned(),
                location: location.to_owned(),
                required: p.get("required").and_then(Value::as_bool).unwrap_or(false),
                schema: schema.cloned(),
                schema_type: schema_type.to_owned(),
                example: p.get("example").cloned(),
            });
        }
    }
    out
}

/// Which named schemas responses reach and which requests reach (following `$ref`s to named
/// schemas), and so which enums are used on both sides.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnumSides {
    /// Named schemas reachable from a response (operations' and `components/responses`).
    pub response_side: BTreeSet<String>,
    /// Named schemas reachable from a parameter or request body.
    pub request_side: BTreeSet<String>,
    /// Enum components on both sides: each gets a closed request twin `<Name>Input`.
    pub twins: BTreeSet<String>,
}

impl EnumSides {
    /// Computes the sides of every named schema of `doc`.
    pub fn of(doc: &Value) -> Self {
        fn refs(v: &Value, schemas: &serde_json::Map<String, Value>, acc: &mut BTreeSet<String>) {
            match v {
                Value::Object(m) => {
                    if let Some(n) = m
                        .get("$ref")
                        .and_then(Value::as_str)
                        .and_then(|r| r.strip_prefix(SCHEMA_REF_PREFIX))
                        && acc.insert(n.to_string())
                        && let Some(s) = schemas.get(n)
                    {
                        refs(s, schemas, acc);
                    }
                    m.iter()
                        .filter(|(k, _)| *k != "$ref")
                        .for_each(|(_, x)| refs(x, schemas, acc));
                }
                Value::Array(a) => a.iter().for_each(|x| refs(x, schemas, acc)),
                _ => {}
            }
        }
        let empty = serde_json::Map::new();
        let schemas = doc
            .pointer("/components/schemas")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let mut sides = Self::default();
        for item in doc
            .get("paths")
            .and_then(Value::as_object)
            .into_iter()
            .flat_map(|p| p.values())
        {
            for method in METHODS {
                let Some(op) = item.get(method) else { continue };
                if let Some(r) = op.get("responses") {
                    refs(r, schemas, &mut sides.response_side);
                }
                for key in ["requestBody", "parameters"] {
                    if let Some(x) = op.get(key) {
                        refs(x, schemas, &mut sides.request_side);
                    }
                }
            }
        }
        if let Some(responses) = doc.pointer("/components/responses") {
            refs(responses, schemas, &mut sides.response_side);
        }
        let is_enum = |n: &String| schemas.get(n).is_some_and(|s| s.get("enum").is_some());
        sides.twins = sides
            .request_side
            .iter()
            .filter(|n| sides.response_side.contains(*n) && is_enum(n))
            .cloned()
            .collect();
        sides
    }

    /// The name of an enum's request twin.
    pub fn twin_name(name: &str) -> String {
        format!("{name}Input")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::Spec;

    const SPEC: &str = r##"
openapi: 3.0.3
info: {title: T, version: "1"}
security:
  - bearer: []
paths:
  /things:
    parameters:
      - name: page
        in: query
        schema: {type: string}
      - $ref: "#/components/parameters/Size"
    get:
      operationId: list_things
      tags: [things, 3]
      x-kotani-pagination: {style: page_size, items: /data/items, total_pages: /meta/pages}
      x-kotani-inferred: a guess
      parameters:
        - name: page
          in: query
          required: true
          example: 2
          schema: {$ref: "#/components/schemas/Count"}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/ThingList"}
        "201":
          $ref: "#/components/responses/Things"
        "2XX":
          description: a range
        "4XX":
          $ref: "#/components/responses/Error"
        "5XX":
          description: another error, later
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Other"}
    post:
      operationId: create_thing
      security: []
      x-kotani-moves-money: true
      x-kotani-idempotency-field: ref
      x-kotani-status-operation: get_thing
      x-kotani-idempotent: "yes"
      x-kotani-pagination: {style: pages, items: /data}
      requestBody:
        $ref: "#/components/requestBodies/Create"
      responses:
        "201":
          description: created
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Thing/properties/id"}
              example: {ignored: true}
  /things/{id}:
    get:
      operationId: get_thing
      x-kotani-credential: refresh_token
      parameters:
        - name: id
          in: path
          required: true
          schema: {$ref: "#/components/schemas/Color"}
      responses:
        default:
          $ref: "#/components/responses/Error"
    delete:
      operationId: delete_thing
      security:
        - bearer: []
      responses: {}
components:
  parameters:
    Size:
      name: size
      in: query
      schema: {type: integer}
  requestBodies:
    Create:
      content:
        application/json:
          schema: {$ref: "#/components/schemas/CreateThing"}
  responses:
    Things:
      description: ok
      content:
        application/json:
          schema: {$ref: "#/components/schemas/ThingList"}
          example: {data: []}
    Error:
      description: error
      content:
        application/json:
          schema: {$ref: "#/components/schemas/Err"}
  schemas:
    Count: {type: integer}
    CreateThing:
      type: object
      example: {ref: r1}
      properties:
        ref: {type: string}
        color: {$ref: "#/components/schemas/Color"}
    Thing:
      type: object
      properties:
        id: {type: string}
        color: {$ref: "#/components/schemas/Color"}
        shade: {$ref: "#/components/schemas/Shade"}
    ThingList:
      type: object
      properties:
        data: {type: array, items: {$ref: "#/components/schemas/Thing"}}
    Color: {type: string, enum: [red, blue]}
    Shade: {type: string, enum: [light, dark]}
    Err: {type: object}
    Other: {type: object}
"##;

    fn spec() -> Spec {
        Spec::parse("t.yaml", SPEC).unwrap()
    }

    #[test]
    fn operations_in_document_order() {
        let s = spec();
        let ids: Vec<&str> = s.operations.iter().map(Operation::id_or_dash).collect();
        assert_eq!(ids, ["list_things", "create_thing", "get_thing", "delete_thing"]);
        let list = &s.operations[0];
        assert_eq!((list.method, list.http_method().as_str()), ("get", "GET"));
        assert_eq!(list.pointer, "/paths/~1things/get");
        assert_eq!(list.tags, ["things"]);
        assert_eq!(list.inferred.as_deref(), Some("a guess"));
    }

    #[test]
    fn success_error_and_examples() {
        let s = spec();
        let list = &s.operations[0];
        assert_eq!(list.success.as_deref(), Some("ThingList"));
        // `2XX` is not a literal status; 201 comes through its `$ref`.
        assert_eq!(list.success_statuses, [200, 201]);
        // The first 2xx has no example: the 201's (through the response `$ref`).
        assert_eq!(list.example, Some(serde_json::json!({"data": []})));
        // The first error schema wins.
        assert_eq!(list.error.as_deref(), Some("Err"));

        let create = &s.operations[1];
        // A reference into a schema names none; its example is not the success example.
        assert_eq!(create.success, None);
        assert_eq!(create.success_statuses, [201]);
        assert_eq!(create.example, None);
        // The body's schema example, through the requestBody `$ref`.
        assert_eq!(create.request_example, Some(serde_json::json!({"ref": "r1"})));
        // `default` is neither.
        let get = &s.operations[2];
        assert_eq!((get.success.as_deref(), get.error.as_deref()), (None, None));
    }

    #[test]
    fn credentials_and_extensions() {
        let s = spec();
        let [list, create, get, delete] = &s.operations[..] else {
            panic!()
        };
        assert_eq!(list.credential, Credential::Standard);
        assert_eq!(create.credential, Credential::None);
        assert_eq!(get.credential, Credential::RefreshToken);
        assert_eq!(delete.credential, Credential::Standard);
        assert!(create.moves_money && !list.moves_money);
        assert_eq!(create.idempotency_field.as_deref(), Some("ref"));
        assert_eq!(create.status_operation.as_deref(), Some("get_thing"));
        // Not a boolean: not idempotent (the `extension_types` rule reports it).
        assert!(!create.idempotent);
        assert!(list.retry_safe() && get.retry_safe() && !create.retry_safe());
    }

    #[test]
    fn pagination_styles() {
        let s = spec();
        assert_eq!(
            s.operations[0].pagination,
            Some(Pagination {
                style: PageStyle::PageSize,
                items: "/data/items".into(),
                total_pages: Some("/meta/pages".into()),
            })
        );
        // An unknown style is no pagination (and a finding), never another style.
        assert_eq!(s.operations[1].pagination, None);
        assert_eq!(PageStyle::parse("page_limit"), Some(PageStyle::PageLimit));
        assert_eq!(PageStyle::parse("pages"), None);
        for style in PageStyle::ALL {
            assert_eq!(PageStyle::parse(style.as_str()), Some(style));
        }
        assert_eq!(PageStyle::LimitOffset.params(), ("limit", "offset"));
        assert_eq!(PageStyle::PagePerPage.variant(), "PagePerPage");
    }

    #[test]
    fn parameters_merge_the_path_item() {
        let s = spec();
        let params: Vec<(&str, &str, bool, &str)> = s.operations[0]
            .parameters
            .iter()
            .map(|p| {
                (
                    p.name.as_str(),
                    p.location.as_str(),
                    p.required,
                    p.schema_type.as_str(),
                )
            })
            .collect();
        // The operation's `page` overrides the Path Item's; `size` comes through a `$ref`; the
        // `$ref`'d schema's type is followed.
        assert_eq!(
            params,
            [
                ("page", "query", true, "integer"),
                ("size", "query", false, "integer")
            ]
        );
        assert_eq!(s.operations[0].parameters[0].example, Some(serde_json::json!(2)));
        assert_eq!(s.operations[0].query().count(), 2);
    }

    #[test]
    fn enum_sides_and_twins() {
        let sides = EnumSides::of(&spec().doc);
        assert!(sides.response_side.contains("Color") && sides.response_side.contains("Shade"));
        assert!(sides.request_side.contains("Color") && !sides.request_side.contains("Shade"));
        assert_eq!(sides.twins.iter().collect::<Vec<_>>(), ["Color"]);
        assert_eq!(EnumSides::twin_name("Color"), "ColorInput");
    }

    #[test]
    fn inferred_reasons() {
        use serde_json::json;
        assert_eq!(
            inferred_reason(&json!({"x-kotani-inferred": "why"})).as_deref(),
            Some("why")
        );
        assert_eq!(
            inferred_reason(&json!({"x-kotani-inferred": true})).as_deref(),
            Some("inferred")
        );
        assert_eq!(inferred_reason(&json!({"x-kotani-inferred": false})), None);
        assert_eq!(inferred_reason(&json!({})), None);
    }
}
