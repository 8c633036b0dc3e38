//! Each emitter on a tiny spec: the tokens and strings it should produce.

use std::collections::BTreeSet;

use serde_json::json;

use super::*;
use crate::family::{MERCHANT, V3};

const SPEC: &str = r##"
openapi: 3.0.3
info: {title: Tiny, version: "1"}
security:
  - bearer: []
tags:
  - name: things
paths:
  /things/{id}:
    get:
      operationId: get_thing
      tags: [things]
      summary: Get
      description: One thing.
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: The thing.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/ThingEnvelope"}
              example: {data: {id: t1, amount: 1.5}}
        "4XX": {$ref: "#/components/responses/Error"}
        "5XX": {$ref: "#/components/responses/Error"}
  /things:
    get:
      operationId: list_things
      tags: [things]
      summary: List
      description: Many things.
      x-kotani-pagination: {style: limit_offset, items: /data, total_pages: /meta/pages}
      parameters:
        - {name: limit, in: query, schema: {type: integer}}
        - {name: offset, in: query, schema: {type: string}}
        - {name: status, in: query, schema: {$ref: "#/components/schemas/Status"}}
      responses:
        "200":
          description: The things.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/ThingList"}
              example: {data: []}
        "4XX": {$ref: "#/components/responses/Error"}
        "5XX": {$ref: "#/components/responses/Error"}
    post:
      operationId: create_thing
      tags: [things]
      summary: Create
      description: Moves money.
      x-kotani-moves-money: true
      x-kotani-idempotency-field: reference
      x-kotani-status-operation: get_thing
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/CreateThing"}
      responses:
        "200":
          description: Existing.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/ThingEnvelope"}
              example: {data: {id: t1, amount: 2}}
        "201":
          description: Created.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/ThingEnvelope"}
        "4XX": {$ref: "#/components/responses/Error"}
        "5XX": {$ref: "#/components/responses/Error"}
  /health:
    get:
      operationId: get_health
      tags: [things]
      summary: Health
      description: Up.
      security: []
      responses:
        "200":
          description: Up.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Health"}
              example: {status: ok}
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
    Health:
      type: object
      properties:
        status: {type: string}
    Status:
      description: Where a thing is.
      type: string
      enum: [open, closed]
    Shade:
      type: string
      enum: [light, unknown, a-b, a_b]
    Thing:
      type: object
      required: [id, amount]
      properties:
        id: {type: string}
        amount: {type: number, format: decimal}
        fee: {type: number, format: decimal}
        status: {$ref: "#/components/schemas/Status"}
        shade: {$ref: "#/components/schemas/Shade"}
    ThingEnvelope:
      type: object
      required: [data, message]
      properties:
        message: {type: string}
        data: {$ref: "#/components/schemas/Thing"}
    ThingList:
      type: object
      required: [data]
      properties:
        data:
          type: array
          items: {$ref: "#/components/schemas/Thing"}
    CreateThing:
      type: object
      required: [reference, secret]
      properties:
        reference: {type: string}
        secret: {type: string, format: password}
        status: {$ref: "#/components/schemas/Status"}
"##;

fn spec() -> Spec {
    Spec::parse("tiny.yaml", SPEC).unwrap()
}

/// Token text without spaces, for `contains` checks.
fn flat(tokens: impl quote::ToTokens) -> String {
    let mut ts = proc_macro2::TokenStream::new();
    tokens.to_tokens(&mut ts);
    ts.to_string().replace(' ', "")
}

#[test]
fn the_tiny_spec_is_clean() {
    let findings = crate::check(&spec(), &V3);
    assert!(findings.is_empty(), "{findings:#?}");
}

#[test]
fn names_as_typify_makes_them() {
    assert_eq!(sanitize("api-key"), "ApiKey");
    assert_eq!(sanitize("ThingEnvelope"), "ThingEnvelope");
    assert_eq!(sanitize("get_thing"), "GetThing");
    assert_eq!(sanitize("3ds"), "X3ds");
    assert_eq!(sanitize("it's"), "Its");
    assert_eq!(sanitize(""), "X");
}

#[test]
fn success_statuses_collapse_into_2xx() {
    let mut raw = spec().doc;
    collapse_success_statuses(&mut raw);
    let responses = raw.pointer("/paths/~1things/post/responses").unwrap();
    let keys: Vec<&String> = responses.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["2XX", "4XX", "5XX"]);
    // The first documented 2xx (200, with its example) stands for all.
    assert_eq!(responses["2XX"]["description"], "Existing.");
}

#[test]
fn request_enums_get_a_closed_twin() {
    let mut raw = spec().doc;
    let pairs = enums::split_request_enums(&mut raw).unwrap();
    assert_eq!(pairs, [("Status".to_owned(), "StatusInput".to_owned())]);
    let twin = raw.pointer("/components/schemas/StatusInput").unwrap();
    assert_eq!(twin["enum"], json!(["open", "closed"]));
    assert_eq!(
        twin["description"],
        "`Status` as a request value: only the values the spec lists."
    );
    // Requests point at the twin: the parameter and the request-only schema.
    assert_eq!(
        raw.pointer("/paths/~1things/get/parameters/2/schema/$ref"),
        Some(&json!("#/components/schemas/StatusInput"))
    );
    assert_eq!(
        raw.pointer("/components/schemas/CreateThing/properties/status/$ref"),
        Some(&json!("#/components/schemas/StatusInput"))
    );
    // Responses keep the open enum.
    assert_eq!(
        raw.pointer("/components/schemas/Thing/properties/status/$ref"),
        Some(&json!("#/components/schemas/Status"))
    );
    let conversions = flat(enums::input_conversions(&pairs));
    assert!(
        conversions.contains("impl::std::convert::From<types::StatusInput>foropen::Status"),
        "{conversions}"
    );
    // The name is taken: refused (the `request_enum_twin` rule reports it first).
    let mut taken = spec().doc;
    taken["components"]["schemas"]["StatusInput"] = json!({"type": "string"});
    assert!(
        enums::split_request_enums(&mut taken)
            .unwrap_err()
            .contains("StatusInput already exists")
    );
}

#[test]
fn response_enums_are_open() {
    let s = spec();
    let ops = checked_ops(&s).unwrap();
    let open = enums::open_enums(&s.doc, &ops).unwrap();
    assert_eq!(open, BTreeSet::from(["Shade".to_owned(), "Status".to_owned()]));
    let text = flat(enums::open_enum_tokens(&s.doc, &open));
    for want in [
        "#[doc=\"Whereathingis.\"]",
        "#[doc=\"The`Shade`enumofthespec.\"]",
        "pubenumStatus{",
        "Open,",
        // `unknown` cannot be `Unknown`, which holds values the spec does not list.
        "UnknownValue,",
        // `a-b` and `a_b` are both `AB`.
        "AB,",
        "AB2,",
        "Unknown(::std::string::String),",
        "pubconstKNOWN:&'static[&'staticstr]=&[\"light\",\"unknown\",\"a-b\",\"a_b\"];",
        "other=>Self::Unknown(other.to_string()),",
        "impl::std::str::FromStrforStatus",
        "impl<'de>::serde::Deserialize<'de>forStatus",
    ] {
        assert!(text.contains(want), "{want} not in {text}");
    }
}

#[test]
fn glue_for_envelopes_and_operations() {
    let s = spec();
    let ops = checked_ops(&s).unwrap();
    let text = flat(glue::glue_tokens(&s.doc, &ops, &MERCHANT).unwrap());
    for want in [
        "implcrate::Envelopefortypes::ThingEnvelope{typeData=types::Thing;",
        // `message` is required there.
        "fnmessage(&self)->Option<&str>{Some(self.message.as_str())}",
        "implcrate::Envelopefortypes::ThingList{typeData=::std::vec::Vec<types::Thing>;",
        "fnmessage(&self)->Option<&str>{None}",
        "impl<'a>crate::Operationforbuilder::CreateThing<'a>{constID:&'staticstr=\"create_thing\";constFAMILY:crate::meta::Family=crate::meta::Family::Merchant;constMETA:&'staticcrate::meta::OperationMeta=&OPERATIONS[2usize];typeSuccess=types::ThingEnvelope;typeErrorBody=types::ErrorBody;",
        // No error schema: `()`.
        "typeSuccess=types::Health;typeErrorBody=();",
    ] {
        assert!(text.contains(want), "{want} not in {text}");
    }
    // One `impl Envelope` per schema, though two operations return ThingEnvelope.
    assert_eq!(text.matches("fortypes::ThingEnvelope").count(), 1);
}

#[test]
fn operation_table() {
    let s = spec();
    let ops = checked_ops(&s).unwrap();
    let text = flat(glue::table_tokens(&ops, &V3));
    // Literal paths first (`/health`, `/things`), templated last.
    let order: Vec<usize> = ["\"get_health\"", "\"list_things\"", "\"get_thing\""]
        .iter()
        .map(|id| text.find(&format!("id:{id}")).unwrap())
        .collect();
    assert!(order[0] < order[1] && order[1] < order[2], "{text}");
    for want in [
        "id:\"create_thing\",method:\"POST\",path:\"/things\",success_status:201u16,success_statuses:&[200u16,201u16],credential:crate::meta::Credential::Standard,moves_money:true,idempotency_field:Some(\"reference\"),idempotent:false,status_operation:Some(\"get_thing\"),pagination:None,",
        "id:\"get_health\",method:\"GET\",path:\"/health\",success_status:200u16,success_statuses:&[200u16],credential:crate::meta::Credential::None,moves_money:false,idempotency_field:None,idempotent:true,",
        "pagination:Some(crate::meta::Pagination{style:crate::meta::PageStyle::LimitOffset,items:\"/data\",total_pages:Some(\"/meta/pages\"),})",
        "example:Some(\"{\\\"data\\\":{\\\"amount\\\":2,\\\"id\\\":\\\"t1\\\"}}\")",
        "pub(crate)staticOPERATIONS_BY_ID:&[(&str,usize)]=&[(\"get_thing\",3usize),(\"get_health\",0usize),(\"list_things\",1usize),(\"create_thing\",2usize)];",
        "pub(crate)staticINFO:crate::meta::FamilyInfo=crate::meta::FamilyInfo{family:crate::meta::Family::V3,operations:OPERATIONS,by_id:OPERATIONS_BY_ID,decode,decode_request,credential_header:\"authorization\",credential_prefix:\"Bearer\",signs_requests:true,refresh:SESSION_REFRESH,};",
    ] {
        assert!(text.contains(want), "{want} not in {text}");
    }
    assert_eq!(glue::mock_status(&[200, 201]), 201);
    assert_eq!(glue::mock_status(&[200, 202]), 202);
    assert_eq!(glue::mock_status(&[204, 200]), 200);
    assert_eq!(glue::mock_status(&[]), 200);
}

#[test]
fn decode_and_pagination() {
    let s = spec();
    let ops = checked_ops(&s).unwrap();
    let text = flat(glue::decode_tokens(&ops));
    assert!(
        text.contains("\"get_thing\"=>if(200..300).contains(&status){Some(crate::meta::try_decode::<types::ThingEnvelope>(body))}else{Some(crate::meta::try_decode::<types::ErrorBody>(body))},"),
        "{text}"
    );
    assert!(text.contains("\"get_health\"=>if(200..300).contains(&status){Some(crate::meta::try_decode::<types::Health>(body))}else{None},"), "{text}");

    let text = flat(glue::pagination_tokens(&s.doc, &ops).unwrap());
    for want in [
        "impl<'a>crate::pagination::Paginatedforbuilder::ListThings<'a>{typeItem=types::Thing;",
        // `limit` is an integer, `offset` a string here.
        "self.limit(i64::try_from(size).unwrap_or(i64::MAX)).offset(((page-1).saturating_mul(size)).to_string())",
        "v.pointer(\"/meta/pages\")",
    ] {
        assert!(text.contains(want), "{want} not in {text}");
    }
}

#[test]
fn whole_client() {
    let generated = crate::generate(&spec(), &V3).unwrap();
    let code = &generated.client;
    // The open enums are a file of their own, which the client re-exports as `open`.
    assert!(generated.open.contains("pub enum Status {"), "{}", generated.open);
    assert!(!code.contains("pub enum Status {"));
    for want in [
        "pub mod types {",
        "pub use super::open::*;",
        "pub use crate::enums::v3 as open;",
        "impl ::std::convert::From<types::StatusInput> for open::Status",
        "pub enum StatusInput {",
        "pub status: ::std::option::Option<crate::v3::open::Status>,",
        "pub secret: crate::Secret,",
        "#[serde(with = \"crate::money::decimal\")]",
        "#[serde(with = \"crate::money::decimal_opt\")]",
        "pub static OPERATIONS: &[crate::meta::OperationMeta]",
        "pub fn decode(",
        "impl<'a> crate::pagination::Paginated for builder::ListThings<'a>",
        "pub fn create_thing(&self) -> builder::CreateThing<'_>",
    ] {
        assert!(code.contains(want), "{want} not in the generated code");
    }
}

#[test]
fn send_moves_the_response_headers_and_sends_no_api_version() {
    let code = crate::generate(&spec(), &V3).unwrap().client;
    let flat = code.replace(char::is_whitespace, "");
    // Three operations with a typed success, a typed 4XX and a typed 5XX, and the health check
    // with a success only: all ten decodes go through the hook, none through progenitor's copy.
    assert_eq!(
        flat.matches("crate::hooks::response_value(response,&mut*call_record)")
            .count(),
        10,
        "{code}"
    );
    assert!(!flat.contains("ResponseValue::from_response"), "{code}");
    assert!(!code.contains("api-version"), "{code}");
    // No operation has a header parameter: no header map is built or merged.
    assert!(!code.contains("header_map"), "{code}");
    // One that has keeps its map, sized for its own headers.
    let text = SPEC.replace(
        "        - {name: id, in: path, required: true, schema: {type: string}}\n",
        "        - {name: id, in: path, required: true, schema: {type: string}}\n        - {name: x-request-id, in: header, schema: {type: string}}\n",
    );
    assert_ne!(text, SPEC);
    let spec = Spec::parse("tiny.yaml", &text).unwrap();
    let flat = crate::generate(&spec, &V3)
        .unwrap()
        .client
        .replace(char::is_whitespace, "");
    assert!(flat.contains("HeaderMap::with_capacity(1usize)"), "{flat}");
    assert!(flat.contains("header_map.append(\"x-request-id\""), "{flat}");
    assert_eq!(flat.matches(".headers(header_map)").count(), 1, "{flat}");
}

#[test]
fn send_hands_the_request_and_the_call_record_to_the_pipeline() {
    let code = crate::generate(&spec(), &V3).unwrap().client;
    let flat = code.replace(char::is_whitespace, "");
    let operations = flat
        .matches("#[doc(hidden)]pub(crate)asyncfnsend_in(self,call_record:&mutcrate::hooks::Record,)")
        .count();
    assert_eq!(operations, 4, "{code}");
    let want = "letresult=crate::hooks::send(&client.client,&client.baseurl,&client.inner,request,&info,\
                &mut*call_record,Some(progenitor_client::Error::Custom),).await?;";
    assert_eq!(flat.matches(want).count(), operations, "{want} in {code}");
    // The request is built, then moved into the pipeline: never borrowed in `send_in`.
    assert!(!flat.contains("&mutrequest"), "{code}");
    assert!(!flat.contains("client.pre("), "{code}");
    assert!(!flat.contains("client.exec("), "{code}");
    // `send()` stays, with progenitor's doc comment, as a call of `send_in`.
    assert_eq!(
        flat.matches("self.send_in(&mutcrate::hooks::Record::default()).await")
            .count(),
        operations,
        "{code}"
    );
    let send = code.find("pub async fn send(").expect("a send()");
    let before = &code[..send];
    let doc = before.rfind("///Sends a `").expect("progenitor's doc comment");
    assert!(!before[doc..].contains("fn "), "the doc comment is send()'s own");
}

#[test]
fn a_send_progenitor_wrote_differently_stops_generation() {
    let mut file: syn::File = syn::parse_quote! {
        pub mod builder {
            impl<'a> GetThing<'a> {
                pub async fn send(self) -> Result<(), ()> {
                    let mut header_map = ::reqwest::header::HeaderMap::with_capacity(1usize);
                    header_map.insert("api-version", "1");
                    Ok(())
                }
            }
        }
    };
    let err = send::rewrite(&mut file, 1).unwrap_err();
    assert!(
        err.contains("removed the api-version header from 0 of 1"),
        "{err}"
    );
    // A send() without the hook calls expected is left as it was, and generation stops.
    let mut file: syn::File = syn::parse_quote! {
        pub mod builder {
            impl<'a> GetThing<'a> {
                pub async fn send(self) -> Result<(), ()> {
                    let mut header_map = ::reqwest::header::HeaderMap::with_capacity(1usize);
                    header_map.append(::reqwest::header::HeaderName::from_static("api-version"), v);
                    client.pre(&mut request, &info).await?;
                    let result = client.run(request, &info).await;
                    Ok(())
                }
            }
        }
    };
    let err = send::rewrite(&mut file, 1).unwrap_err();
    assert!(
        err.contains("found `client.pre(..)` and `client.exec(..)` in 0 of 1"),
        "{err}"
    );
    let text = quote::quote!(#file).to_string();
    assert!(text.contains("client . pre"), "{text}");
    assert!(!text.contains("send_in"), "{text}");
}

#[test]
fn errors_stop_generation_with_every_finding() {
    let text = SPEC
        .replace("      x-kotani-status-operation: get_thing\n", "")
        .replace("style: limit_offset", "style: pages");
    let bad = Spec::parse("tiny.yaml", &text).unwrap();
    let findings = crate::generate(&bad, &V3).unwrap_err();
    let rules: Vec<&str> = findings.iter().map(|f| f.rule).collect();
    assert_eq!(rules, ["pagination", "status_operation"], "{findings:#?}");
    assert_eq!(
        findings[1].line("tiny.yaml"),
        "ERROR tiny.yaml create_thing /paths/~1things/post: moves money but has no \
         `x-kotani-status-operation` (the operation that tells its outcome)"
    );
    // Warnings do not stop it.
    let warned = Spec::parse("tiny.yaml", &SPEC.replace("      summary: Health\n", "")).unwrap();
    assert!(crate::generate(&warned, &V3).is_ok());
}

#[test]
fn emitter_refusals_are_findings() {
    // A decimal as a map value passes the rules but has no JSON form in the SDK.
    let text = SPEC.replace(
        "        fee: {type: number, format: decimal}",
        "        fee: {type: object, additionalProperties: {type: number, format: decimal}}",
    );
    let s = Spec::parse("tiny.yaml", &text).unwrap();
    let f = generate(&s, &V3).unwrap_err();
    assert_eq!((f.rule, f.severity), (RULE, Severity::Error));
    assert!(f.message.contains("Thing.fee: a decimal inside"), "{}", f.message);

    // Progenitor's own panics too: a closed request enum whose values make one Rust name.
    let text = SPEC.replace("enum: [open, closed]", "enum: [a-b, a_b]");
    let s = Spec::parse("tiny.yaml", &text).unwrap();
    let f = generate(&s, &V3).unwrap_err();
    assert!(f.message.starts_with("progenitor panicked: "), "{}", f.message);
}

#[test]
fn generate_file_names_the_file() {
    let dir = std::env::temp_dir().join(format!("kotanipay-codegen-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("spec.yaml");
    std::fs::write(
        &path,
        SPEC.replace("operationId: get_health", "operationId: getHealth"),
    )
    .unwrap();
    let lines = crate::generate_file(&V3, &path, true).unwrap_err();
    assert_eq!(
        lines,
        [
            "ERROR spec/kotani-v3.yaml getHealth /paths/~1health/get/operationId: operationId \"getHealth\" is not snake_case"
        ]
    );
    // The open enums alone are checked by the same rules.
    assert_eq!(crate::generate_file(&V3, &path, false).unwrap_err(), lines);
    let lines = crate::generate_file(&V3, &dir.join("missing.yaml"), true).unwrap_err();
    assert!(
        lines[0].starts_with("ERROR cannot read spec/kotani-v3.yaml: "),
        "{lines:?}"
    );
    // Without the client: the open enums, no progenitor output, no dispatcher.
    std::fs::write(&path, SPEC).unwrap();
    let open = crate::generate_file(&V3, &path, false).unwrap();
    assert!(open.open.contains("pub enum Status {"));
    assert_eq!((open.client.as_str(), open.dispatch.as_str()), ("", ""));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_dispatcher_calls_every_operation_through_its_builder() {
    let generated = crate::generate(&spec(), &V3).unwrap();
    let file = super::dispatch_file([generated.dispatch.as_str()]);
    let text = file.replace(char::is_whitespace, "");
    for want in [
        "pubstructOutcome{",
        "pubmodv3{",
        "client:&kotanipay::v3::Client",
        // Each arm calls the method of the operation, with its parameters by spec name, typed
        // as the builder's setter takes them, and its body as the body type.
        "\"create_thing\"=>{letmutb=client.create_thing();",
        "b=b.body(arg::<kotanipay::v3::types::CreateThing>(\"body\",value)?);",
        "\"list_things\"=>{letmutb=client.list_things();",
        "\"limit\"=>b.limit(arg::<i64>(name,value)?),",
        "Ok(outcome(b.call().await))",
    ] {
        assert!(text.contains(want), "{want} not in {file}");
    }
}
