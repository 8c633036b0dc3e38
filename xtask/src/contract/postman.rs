//! Postman collections (format v2.0 and v2.1) in and out.
//!
//! In: every saved example (`item[].response[]`, at any folder depth) becomes an [`Exchange`]:
//! its `originalRequest` (else the item's `request`) and its saved response (`code`, `status`,
//! `header`, `body`). `{{variables}}` in URLs are resolved from, lowest precedence first, the
//! collection's `variable` list, the `--postman-env` files and `--var name=value`; `:name` path
//! variables from the URL's own `variable` list. A collection is read as a stream, twice: first
//! its `info` and `variable` (wherever they are in the file; the items are skipped), then its
//! items, one request at a time.
//!
//! Out: what a live run saw as a v2.1 collection (`--record FILE.postman_collection.json`), one
//! folder per family, one request per operation, each call a saved example.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::Read;
use std::path::Path;

use anyhow::{Context, anyhow, bail};
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Value, json};

use super::har::{Exchange, header};
use super::parallel::Sink;
use super::report::{PostmanOrigin, Source};
use super::stream::{Slot, StreamError, classify, keep, other_values};

/// The schema URL written into recorded collections.
pub const SCHEMA_V21: &str = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json";

/// How deep a variable's value may refer to other variables.
const MAX_VARIABLE_DEPTH: usize = 10;

// ---------------------------------------------------------------------------------------------
// Variables.

/// Variables from outside the collection: `--postman-env` files and `--var`.
#[derive(Debug, Default, Clone)]
pub struct Variables {
    /// From `--postman-env` (a later file overrides an earlier one).
    pub environment: HashMap<String, String>,
    /// From `--var name=value` (the highest precedence).
    pub command_line: HashMap<String, String>,
}

impl Variables {
    /// Adds the enabled values of a Postman environment file.
    pub fn load_environment(&mut self, path: &Path, display: &str) -> anyhow::Result<()> {
        let text =
            std::fs::read(path).with_context(|| format!("cannot read Postman environment {display}"))?;
        let doc: Value = serde_json::from_slice(&text).map_err(|e| anyhow!("{display}: not JSON: {e}"))?;
        let Some(values) = doc.get("values").and_then(Value::as_array) else {
            bail!("{display}: not a Postman environment (no `values` list)");
        };
        for v in values {
            if v.get("enabled").and_then(Value::as_bool) == Some(false) {
                continue;
            }
            if let (Some(key), Some(value)) = (
                v.get("key").and_then(Value::as_str),
                v.get("value").and_then(text_value),
            ) {
                self.environment.insert(key.to_owned(), value);
            }
        }
        Ok(())
    }

    /// Adds `name=value` (`--var`).
    pub fn add_command_line(&mut self, pair: &str) -> anyhow::Result<()> {
        let (name, value) = pair
            .split_once('=')
            .filter(|(n, _)| !n.trim().is_empty())
            .ok_or_else(|| anyhow!("--var takes NAME=VALUE, got `{pair}`"))?;
        self.command_line.insert(name.trim().to_owned(), value.to_owned());
        Ok(())
    }
}

/// A variable's value as text: strings as they are, numbers and booleans written out; an empty
/// value counts as not set.
fn text_value(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The variables one collection sees, highest precedence first: `--var`, environment,
/// collection.
struct Scope<'a> {
    outside: &'a Variables,
    collection: HashMap<String, String>,
}

impl Scope<'_> {
    fn lookup(&self, name: &str) -> Option<&str> {
        [
            &self.outside.command_line,
            &self.outside.environment,
            &self.collection,
        ]
        .into_iter()
        .find_map(|m| m.get(name).filter(|v| !v.is_empty()))
        .map(String::as_str)
    }

    /// `text` with every `{{name}}` that is set replaced by its value (values may refer to
    /// other variables); the names that are not set are left as written and added to
    /// `unresolved`.
    fn resolve(&self, text: &str, unresolved: &mut Vec<String>) -> String {
        self.resolve_at(text, unresolved, 0)
    }

    fn resolve_at(&self, text: &str, unresolved: &mut Vec<String>, depth: usize) -> String {
        if !text.contains("{{") {
            return text.to_owned();
        }
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            let Some(len) = rest[start + 2..].find("}}") else {
                break;
            };
            let name = rest[start + 2..start + 2 + len].trim();
            out.push_str(&rest[..start]);
            match self.lookup(name) {
                Some(value) if depth < MAX_VARIABLE_DEPTH => {
                    out.push_str(&self.resolve_at(value, unresolved, depth + 1));
                }
                _ => {
                    out.push_str(&rest[start..start + 4 + len]);
                    if !unresolved.iter().any(|u| u == name) {
                        unresolved.push(name.to_owned());
                    }
                }
            }
            rest = &rest[start + 4 + len..];
        }
        out.push_str(rest);
        out
    }
}

// ---------------------------------------------------------------------------------------------
// Reading.

/// What was read from one collection, for the report's notes.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    /// `info.name`.
    pub name: String,
    /// The schema version (`2.1.0`).
    pub version: String,
    /// Requests (items that are not folders).
    pub requests: usize,
    /// Requests with at least one saved example.
    pub with_examples: usize,
    /// Saved examples, each one exchange.
    pub examples: usize,
    /// Variables other than the host's that were not set → examples they were left in.
    pub unresolved: BTreeMap<String, usize>,
    /// Host variables that were not set → examples.
    pub unknown_hosts: BTreeMap<String, usize>,
}

/// The start of a collection: what the first pass finds.
#[derive(Debug, Default)]
struct Header {
    object: bool,
    info: Option<Value>,
    variable: Option<Value>,
    has_log: bool,
    has_requests: bool,
}

/// Reads a Postman collection as a stream: `each` gets the exchange of every saved example, in
/// document order, as soon as its request has been parsed.
pub fn stream(
    path: &Path,
    display: &str,
    outside: &Variables,
    each: &mut Sink<'_>,
) -> anyhow::Result<Summary> {
    let open = || -> anyhow::Result<std::io::BufReader<std::fs::File>> {
        let file =
            std::fs::File::open(path).with_context(|| format!("cannot read Postman collection {display}"))?;
        Ok(std::io::BufReader::with_capacity(1 << 16, file))
    };
    let header = read_header(open()?).map_err(|e| anyhow!("{display}: {e}"))?;
    let (version, info) = check_header(&header).map_err(|e| anyhow!("{display}: {e}"))?;
    let name = info
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or(display)
        .to_owned();
    let mut collection = HashMap::new();
    for v in header
        .variable
        .as_ref()
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if v.get("disabled").and_then(Value::as_bool) == Some(true) {
            continue;
        }
        let key = v.get("key").or_else(|| v.get("id")).and_then(Value::as_str);
        if let (Some(key), Some(value)) = (key, v.get("value").and_then(text_value)) {
            collection.insert(key.to_owned(), value);
        }
    }
    let mut reader = Reader {
        display,
        scope: Scope { outside, collection },
        each,
        summary: Summary {
            name,
            version,
            ..Summary::default()
        },
    };
    read_items(open()?, &mut reader).map_err(|e| match e {
        StreamError::Callback(e) => e,
        e => anyhow!("{display}: {e}"),
    })?;
    Ok(reader.summary)
}

fn read_header(reader: impl Read) -> Result<Header, StreamError> {
    let slot: Slot = Slot::new(None);
    let mut de = serde_json::Deserializer::from_reader(reader);
    let header = HeaderSeed
        .deserialize(&mut de)
        .and_then(|h| de.end().map(|()| h))
        .map_err(|e| classify(e, &slot))?;
    Ok(header)
}

/// The schema version (`2.1.0`) and `info`, or why this is not a collection we read.
fn check_header(header: &Header) -> anyhow::Result<(String, &Value)> {
    if !header.object {
        bail!("not a Postman collection (not a JSON object)");
    }
    let Some(info) = header.info.as_ref().filter(|i| i.is_object()) else {
        if header.has_log {
            bail!("not a Postman collection: this is a HAR file (use --har)");
        }
        if header.has_requests {
            bail!(
                "Postman collection format v1 is not supported (v2.0 and v2.1 are): export it again from Postman as Collection v2.1"
            );
        }
        bail!("not a Postman collection (no `info`)");
    };
    let Some(schema) = info.get("schema").and_then(Value::as_str) else {
        bail!("not a Postman collection (no info.schema)");
    };
    if !schema.contains("postman") {
        bail!("not a Postman collection (info.schema is `{schema}`)");
    }
    let Some((major, minor, patch)) = schema_version(schema) else {
        bail!(
            "unsupported Postman collection schema `{schema}` (no version in it; v2.0 and v2.1 are supported)"
        );
    };
    let version = format!("{major}.{minor}.{patch}");
    if major != 2 || minor > 1 {
        bail!("Postman collection schema v{version} is not supported (v2.0 and v2.1 are): {schema}");
    }
    Ok((version, info))
}

/// `…/collection/v2.1.0/collection.json` → (2, 1, 0).
fn schema_version(schema: &str) -> Option<(u32, u32, u32)> {
    schema.split('/').find_map(|segment| {
        let mut parts = segment.strip_prefix('v')?.split('.');
        let v = (
            parts.next()?.parse().ok()?,
            parts.next()?.parse().ok()?,
            parts.next()?.parse().ok()?,
        );
        parts.next().is_none().then_some(v)
    })
}

struct HeaderSeed;

impl<'de> DeserializeSeed<'de> for HeaderSeed {
    type Value = Header;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Header, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for HeaderSeed {
    type Value = Header;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Postman collection")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Header, M::Error> {
        let mut h = Header {
            object: true,
            ..Header::default()
        };
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "info" => h.info = Some(map.next_value()?),
                "variable" => h.variable = Some(map.next_value()?),
                _ => {
                    h.has_log |= key == "log";
                    h.has_requests |= key == "requests";
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(h)
    }

    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<Header, S::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Header::default())
    }

    other_values!(Header::default());
}

/// The second pass: the items, streamed.
fn read_items(reader: impl Read, r: &mut Reader<'_, '_>) -> Result<(), StreamError> {
    let slot: Slot = Slot::new(None);
    let mut de = serde_json::Deserializer::from_reader(reader);
    TopItems {
        reader: r,
        slot: &slot,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end())
    .map_err(|e| classify(e, &slot))
}

/// What the item visitors share: where the exchanges go and what has been counted.
struct Reader<'a, 's> {
    display: &'a str,
    scope: Scope<'a>,
    each: &'a mut Sink<'s>,
    summary: Summary,
}

struct TopItems<'r, 'a, 's> {
    reader: &'r mut Reader<'a, 's>,
    slot: &'r Slot,
}

impl<'de> DeserializeSeed<'de> for TopItems<'_, '_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TopItems<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Postman collection")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<(), M::Error> {
        let mut seen = false;
        while let Some(key) = map.next_key::<String>()? {
            if key == "item" && !seen {
                seen = true;
                map.next_value_seed(Items {
                    reader: &mut *self.reader,
                    folders: &[],
                    slot: self.slot,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

/// A list of items (`item`), in a folder.
struct Items<'r, 'a, 's> {
    reader: &'r mut Reader<'a, 's>,
    folders: &'r [String],
    slot: &'r Slot,
}

impl<'de> DeserializeSeed<'de> for Items<'_, '_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Items<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of items")
    }

    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<(), S::Error> {
        while seq
            .next_element_seed(Item {
                reader: &mut *self.reader,
                folders: self.folders,
                slot: self.slot,
            })?
            .is_some()
        {}
        Ok(())
    }

    /// A single item instead of a list (the schema allows it).
    fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<(), M::Error> {
        Item {
            reader: self.reader,
            folders: self.folders,
            slot: self.slot,
        }
        .visit_map(map)
    }

    other_values!(());
}

/// One item: a folder (it has `item`) or a request with its saved examples.
struct Item<'r, 'a, 's> {
    reader: &'r mut Reader<'a, 's>,
    folders: &'r [String],
    slot: &'r Slot,
}

impl<'de> DeserializeSeed<'de> for Item<'_, '_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Item<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an item")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<(), M::Error> {
        let mut name: Option<String> = None;
        let mut request: Option<Value> = None;
        let mut response: Option<Value> = None;
        // A folder's items met before its name: kept until the name is known.
        let mut children: Option<Value> = None;
        let mut folder = false;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "name" => name = map.next_value::<Value>()?.as_str().map(str::to_owned),
                "item" if !folder => {
                    folder = true;
                    match &name {
                        Some(n) => {
                            let path = folder_path(self.folders, n);
                            map.next_value_seed(Items {
                                reader: &mut *self.reader,
                                folders: &path,
                                slot: self.slot,
                            })?;
                        }
                        None => children = Some(map.next_value()?),
                    }
                }
                "request" => request = Some(map.next_value()?),
                "response" => response = Some(map.next_value()?),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let name = name.unwrap_or_default();
        if let Some(children) = children {
            let path = folder_path(self.folders, &name);
            keep(self.reader.items_value(&children, &path), self.slot)?;
        } else if !folder && (request.is_some() || response.is_some()) {
            let result = self
                .reader
                .request(self.folders, &name, request.as_ref(), response.as_ref());
            keep(result, self.slot)?;
        }
        Ok(())
    }

    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<(), S::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(())
    }

    other_values!(());
}

fn folder_path(folders: &[String], name: &str) -> Vec<String> {
    let mut path = folders.to_vec();
    path.push(name.to_owned());
    path
}

impl Reader<'_, '_> {
    /// Items already read whole (a folder whose `item` came before its `name`).
    fn items_value(&mut self, items: &Value, folders: &[String]) -> anyhow::Result<()> {
        let list: Vec<&Value> = match items {
            Value::Array(list) => list.iter().collect(),
            Value::Object(_) => vec![items],
            _ => Vec::new(),
        };
        for item in list {
            let name = item.get("name").and_then(Value::as_str).unwrap_or_default();
            if let Some(children) = item.get("item") {
                self.items_value(children, &folder_path(folders, name))?;
            } else if item.get("request").is_some() || item.get("response").is_some() {
                self.request(folders, name, item.get("request"), item.get("response"))?;
            }
        }
        Ok(())
    }

    /// A request item: each saved example becomes an exchange.
    fn request(
        &mut self,
        folders: &[String],
        name: &str,
        request: Option<&Value>,
        responses: Option<&Value>,
    ) -> anyhow::Result<()> {
        self.summary.requests += 1;
        let examples: Vec<&Value> = match responses {
            Some(Value::Array(list)) => list.iter().collect(),
            Some(one @ Value::Object(_)) => vec![one],
            _ => Vec::new(),
        };
        if examples.is_empty() {
            return Ok(());
        }
        self.summary.with_examples += 1;
        for (k, example) in examples.into_iter().enumerate() {
            let example_name = example
                .get("name")
                .and_then(Value::as_str)
                .map_or_else(|| format!("example {}", k + 1), str::to_owned);
            let origin = PostmanOrigin {
                collection: self.summary.name.clone(),
                folders: folders.to_vec(),
                request: name.to_owned(),
                example: example_name,
            };
            let ex = self
                .example(example, request, origin)
                .map_err(|e| anyhow!("{}: {e}", self.display))?;
            self.summary.examples += 1;
            (self.each)(ex)?;
        }
        Ok(())
    }

    /// One saved example as an exchange.
    fn example(
        &mut self,
        example: &Value,
        item_request: Option<&Value>,
        origin: PostmanOrigin,
    ) -> anyhow::Result<Exchange> {
        let at = origin_text(&origin);
        let request = example
            .get("originalRequest")
            .filter(|r| !r.is_null())
            .or(item_request)
            .ok_or_else(|| {
                anyhow!("{at}: no request (neither the example's originalRequest nor the item's request)")
            })?;
        let status = match example.get("code") {
            Some(Value::Number(n)) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
            Some(Value::String(s)) => s.trim().parse().ok(),
            _ => None,
        }
        .ok_or_else(|| match example.get("code") {
            None | Some(Value::Null) => anyhow!("{at}: the saved response has no status (`code`)"),
            Some(other) => {
                anyhow!("{at}: the saved response's status (`code`) is not an HTTP status: {other}")
            }
        })?;

        let (method, url, request_headers, request_body, request_content_type) = match request {
            Value::String(url) => (
                "GET".to_owned(),
                Some(Value::String(url.clone())),
                Vec::new(),
                None,
                None,
            ),
            Value::Object(r) => {
                let headers = header_list(r.get("header"));
                let (body, content_type) = request_body(r.get("body"));
                let content_type = header(&headers, "content-type")
                    .map(str::to_owned)
                    .or(content_type);
                (
                    r.get("method")
                        .and_then(Value::as_str)
                        .unwrap_or("GET")
                        .to_ascii_uppercase(),
                    r.get("url").cloned(),
                    headers,
                    body,
                    content_type,
                )
            }
            _ => bail!("{at}: the request is neither an object nor a URL"),
        };
        let url = url.ok_or_else(|| anyhow!("{at}: the request has no URL"))?;
        let built = self.url(&url).map_err(|e| anyhow!("{at}: {e}"))?;
        for name in &built.unresolved {
            *self.summary.unresolved.entry(name.clone()).or_default() += 1;
        }
        if let Some(var) = &built.host_variable {
            *self.summary.unknown_hosts.entry(var.clone()).or_default() += 1;
        }

        let response_headers = header_list(example.get("header"));
        let content_type = header(&response_headers, "content-type").map(str::to_owned);
        let body = match example.get("body") {
            Some(Value::String(text)) => Some(text.as_bytes().to_vec()),
            _ => None,
        };
        Ok(Exchange {
            method,
            url: built.url,
            request_headers,
            request_body,
            request_content_type,
            status,
            status_text: example
                .get("status")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            response_headers,
            content_type,
            body,
            source: Source {
                file: self.display.to_owned(),
                entry: self.summary.examples,
                comment: None,
                postman: Some(Box::new(origin)),
            },
            started: String::new(),
            time_ms: example.get("responseTime").and_then(Value::as_f64).unwrap_or(0.0),
            host_variable: built.host_variable,
        })
    }

    /// A request's URL (a string or a URL object) with the variables resolved.
    fn url(&self, url: &Value) -> anyhow::Result<BuiltUrl> {
        let mut unresolved = Vec::new();
        let path_variables: HashMap<String, String> = url
            .get("variable")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|v| v.get("disabled").and_then(Value::as_bool) != Some(true))
            .filter_map(|v| {
                let key = v.get("key").or_else(|| v.get("id")).and_then(Value::as_str)?;
                Some((key.to_owned(), v.get("value").and_then(text_value)?))
            })
            .collect();
        let text = match url {
            Value::String(raw) => self.raw_url(raw, &path_variables, &mut unresolved),
            Value::Object(o) if o.get("host").is_some() || o.get("path").is_some() => {
                self.structured_url(o, &path_variables, &mut unresolved)
            }
            Value::Object(o) => match o.get("raw").and_then(Value::as_str) {
                Some(raw) => self.raw_url(raw, &path_variables, &mut unresolved),
                None => bail!("the request's URL has neither `raw` nor `host`/`path`"),
            },
            _ => bail!("the request's URL is neither a string nor a URL object"),
        };
        let text = absolute(&collapse_slashes(&text));
        // Unresolved variables in the host part: the host (and any path prefix) is unknown.
        let host_part = host_part(&text);
        let host_variable = unresolved
            .iter()
            .find(|name| host_part.contains(&format!("{{{{{name}}}}}")))
            .cloned();
        unresolved.retain(|name| Some(name) != host_variable.as_ref());
        Ok(BuiltUrl {
            url: text,
            host_variable,
            unresolved,
        })
    }

    fn raw_url(
        &self,
        raw: &str,
        path_variables: &HashMap<String, String>,
        unresolved: &mut Vec<String>,
    ) -> String {
        let resolved = self.scope.resolve(raw.trim(), unresolved);
        if path_variables.is_empty() {
            return resolved;
        }
        // `:name` segments of the path (not of the query).
        let (before_query, query) = match resolved.find('?') {
            Some(i) => resolved.split_at(i),
            None => (resolved.as_str(), ""),
        };
        let start = before_query.find("://").map_or(0, |i| i + 3);
        let path_start = before_query[start..]
            .find('/')
            .map_or(before_query.len(), |i| start + i);
        let (head, path) = before_query.split_at(path_start);
        let path: Vec<String> = path
            .split('/')
            .map(|segment| self.path_segment(segment, path_variables, unresolved))
            .collect();
        format!("{head}{}{query}", path.join("/"))
    }

    fn path_segment(
        &self,
        segment: &str,
        path_variables: &HashMap<String, String>,
        unresolved: &mut Vec<String>,
    ) -> String {
        match segment
            .strip_prefix(':')
            .and_then(|name| path_variables.get(name))
        {
            Some(value) => self.scope.resolve(value, unresolved),
            None => segment.to_owned(),
        }
    }

    fn structured_url(
        &self,
        o: &serde_json::Map<String, Value>,
        path_variables: &HashMap<String, String>,
        unresolved: &mut Vec<String>,
    ) -> String {
        let protocol = o
            .get("protocol")
            .and_then(Value::as_str)
            .map(|p| self.scope.resolve(p, unresolved))
            .unwrap_or_default();
        let host = match o.get("host") {
            Some(Value::Array(parts)) => parts
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("."),
            Some(Value::String(h)) => h.clone(),
            _ => String::new(),
        };
        let host = self.scope.resolve(&host, unresolved);
        let port = match o.get("port") {
            Some(Value::String(p)) if !p.is_empty() => format!(":{}", self.scope.resolve(p, unresolved)),
            Some(Value::Number(n)) => format!(":{n}"),
            _ => String::new(),
        };
        let segments: Vec<String> = match o.get("path") {
            Some(Value::Array(parts)) => parts
                .iter()
                .filter_map(|p| match p {
                    Value::String(s) => Some(s.clone()),
                    Value::Object(seg) => seg.get("value").and_then(Value::as_str).map(str::to_owned),
                    _ => None,
                })
                .collect(),
            Some(Value::String(p)) => p
                .split('/')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        };
        let path: Vec<String> = segments
            .iter()
            .map(|s| {
                let s = self.path_segment(s, path_variables, unresolved);
                self.scope.resolve(&s, unresolved)
            })
            .collect();
        let query: Vec<String> = o
            .get("query")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|q| q.get("disabled").and_then(Value::as_bool) != Some(true))
            .filter_map(|q| {
                let key = self
                    .scope
                    .resolve(q.get("key").and_then(Value::as_str)?, unresolved);
                Some(match q.get("value").and_then(Value::as_str) {
                    Some(v) => format!("{key}={}", self.scope.resolve(v, unresolved)),
                    None => key,
                })
            })
            .collect();
        let mut url = String::new();
        if !protocol.is_empty() {
            url.push_str(&protocol);
            url.push_str("://");
        }
        url.push_str(&host);
        url.push_str(&port);
        if !path.is_empty() {
            url.push('/');
            url.push_str(&path.join("/"));
        }
        if !query.is_empty() {
            url.push('?');
            url.push_str(&query.join("&"));
        }
        url
    }
}

/// A request URL as the exchange gets it.
#[derive(Debug, PartialEq, Eq)]
struct BuiltUrl {
    url: String,
    /// The variable of the host part that was not set.
    host_variable: Option<String>,
    /// The other variables that were not set (left as written).
    unresolved: Vec<String>,
}

/// The part of a URL before its path: `https://h:1` of `https://h:1/a`, `{{base_url}}` of
/// `{{base_url}}/a`.
fn host_part(url: &str) -> &str {
    let start = url.find("://").map_or(0, |i| i + 3);
    let end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| start + i);
    &url[..end]
}

/// `https://h/api//x` → `https://h/api/x` (a base URL ending in `/` joined to a path starting
/// with one).
fn collapse_slashes(url: &str) -> String {
    let start = url.find("://").map_or(0, |i| i + 3);
    let end = url.find('?').unwrap_or(url.len());
    let mut out = url[..start].to_owned();
    let mut previous_slash = false;
    for c in url[start..end].chars() {
        if c == '/' && previous_slash {
            continue;
        }
        previous_slash = c == '/';
        out.push(c);
    }
    out.push_str(&url[end..]);
    out
}

/// A URL with a host but no scheme gets Postman's default, `http://`; a path (`/a`) and a URL
/// that starts with a variable stay as they are.
fn absolute(url: &str) -> String {
    if url.contains("://") || url.starts_with('/') || url.starts_with("{{") || url.is_empty() {
        url.to_owned()
    } else {
        format!("http://{url}")
    }
}

/// Headers: a list of `{key, value, disabled}` (disabled ones left out) or `Name: value` lines.
fn header_list(v: Option<&Value>) -> Vec<(String, String)> {
    match v {
        Some(Value::Array(list)) => list
            .iter()
            .filter(|h| h.get("disabled").and_then(Value::as_bool) != Some(true))
            .filter_map(|h| {
                let key = h.get("key").or_else(|| h.get("name")).and_then(Value::as_str)?;
                let value = h.get("value").and_then(Value::as_str).unwrap_or_default();
                Some((key.to_owned(), value.to_owned()))
            })
            .collect(),
        Some(Value::String(text)) => text
            .lines()
            .filter_map(|line| {
                let (k, v) = line.split_once(':')?;
                Some((k.trim().to_owned(), v.trim().to_owned()))
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// A request body: `raw` as it is, `urlencoded` as a form; its media type when the body says.
fn request_body(body: Option<&Value>) -> (Option<Vec<u8>>, Option<String>) {
    let Some(body) = body.filter(|b| b.get("disabled").and_then(Value::as_bool) != Some(true)) else {
        return (None, None);
    };
    match body.get("mode").and_then(Value::as_str) {
        Some("raw") => {
            let text = body.get("raw").and_then(Value::as_str).unwrap_or_default();
            let json = body.pointer("/options/raw/language").and_then(Value::as_str) == Some("json");
            (
                Some(text.as_bytes().to_vec()),
                json.then(|| "application/json".to_owned()),
            )
        }
        Some("urlencoded") => {
            let pairs: Vec<String> = body
                .get("urlencoded")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(|p| p.get("disabled").and_then(Value::as_bool) != Some(true))
                .filter_map(|p| {
                    let k = p.get("key").and_then(Value::as_str)?;
                    Some(format!(
                        "{k}={}",
                        p.get("value").and_then(Value::as_str).unwrap_or_default()
                    ))
                })
                .collect();
            (
                Some(pairs.join("&").into_bytes()),
                Some("application/x-www-form-urlencoded".to_owned()),
            )
        }
        _ => (None, None),
    }
}

/// `Collection › Folder › Request › example "200 OK"`.
pub fn origin_text(o: &PostmanOrigin) -> String {
    let mut parts = vec![o.collection.as_str()];
    parts.extend(o.folders.iter().map(String::as_str));
    parts.push(&o.request);
    format!("{} › example \"{}\"", parts.join(" › "), o.example)
}

// ---------------------------------------------------------------------------------------------
// Writing.

/// A v2.1 collection of `exchanges`: one folder per `place(exchange).0` and one request per
/// `place(exchange).1` (in the order first seen), each exchange a saved example of it.
pub fn to_collection(
    exchanges: &[Exchange],
    name: &str,
    description: &str,
    place: impl Fn(&Exchange) -> (String, String),
) -> Value {
    /// Folders in the order first seen, each with its requests and their exchanges.
    type Folders<'e> = Vec<(String, Vec<(String, Vec<&'e Exchange>)>)>;
    let mut folders: Folders<'_> = Vec::new();
    for ex in exchanges {
        let (folder, item) = place(ex);
        let f = match folders.iter().position(|(n, _)| *n == folder) {
            Some(i) => i,
            None => {
                folders.push((folder, Vec::new()));
                folders.len() - 1
            }
        };
        let items = &mut folders[f].1;
        match items.iter_mut().find(|(n, _)| *n == item) {
            Some((_, list)) => list.push(ex),
            None => items.push((item, vec![ex])),
        }
    }
    let folders: Vec<Value> = folders
        .into_iter()
        .map(|(folder, items)| {
            let items: Vec<Value> = items
                .into_iter()
                .map(|(item, list)| {
                    let mut names: Vec<String> = Vec::new();
                    let examples: Vec<Value> = list
                        .iter()
                        .map(|ex| {
                            let base = format!("{} {}", ex.status, ex.status_text).trim().to_owned();
                            let n = names.iter().filter(|x| x.as_str() == base).count();
                            names.push(base.clone());
                            let name = if n == 0 {
                                base
                            } else {
                                format!("{base} ({})", n + 1)
                            };
                            example_json(ex, &name)
                        })
                        .collect();
                    json!({"name": item, "request": request_json(list[0]), "response": examples})
                })
                .collect();
            json!({"name": folder, "item": items})
        })
        .collect();
    json!({
        "info": {"name": name, "description": description, "schema": SCHEMA_V21},
        "item": folders,
    })
}

fn key_values(headers: &[(String, String)]) -> Vec<Value> {
    headers
        .iter()
        .map(|(k, v)| json!({"key": k, "value": v}))
        .collect()
}

fn request_json(ex: &Exchange) -> Value {
    let mut request = json!({
        "method": ex.method,
        "header": key_values(&ex.request_headers),
        "url": url_json(&ex.url),
    });
    if let Some(body) = &ex.request_body {
        let json = ex
            .request_content_type
            .as_deref()
            .is_none_or(|ct| ct.contains("json"));
        request["body"] = json!({
            "mode": "raw",
            "raw": String::from_utf8_lossy(body),
            "options": {"raw": {"language": if json { "json" } else { "text" }}},
        });
    }
    request
}

fn example_json(ex: &Exchange, name: &str) -> Value {
    let mut headers = ex.response_headers.clone();
    if let Some(ct) = &ex.content_type
        && header(&headers, "content-type").is_none()
    {
        headers.push(("Content-Type".into(), ct.clone()));
    }
    let json = ex.content_type.as_deref().is_some_and(|ct| ct.contains("json"));
    json!({
        "name": name,
        "originalRequest": request_json(ex),
        "status": ex.status_text,
        "code": ex.status,
        "_postman_previewlanguage": if json { "json" } else { "text" },
        "header": key_values(&headers),
        "cookie": [],
        "responseTime": ex.time_ms,
        "body": ex.body.as_deref().map(String::from_utf8_lossy),
    })
}

/// A URL object: `raw` and its parts.
fn url_json(url: &str) -> Value {
    let (before_query, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let mut out = json!({"raw": url});
    let (protocol, rest) = match before_query.split_once("://") {
        Some((p, r)) => (Some(p), r),
        None => (None, before_query),
    };
    let (authority, path) = match rest.find('/') {
        Some(i) if protocol.is_some() => (&rest[..i], &rest[i..]),
        None if protocol.is_some() => (rest, ""),
        _ => ("", rest),
    };
    if let Some(p) = protocol {
        out["protocol"] = json!(p);
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) => (h, Some(p)),
            _ => (authority, None),
        };
        out["host"] = json!(host.split('.').collect::<Vec<_>>());
        if let Some(port) = port {
            out["port"] = json!(port);
        }
    }
    out["path"] = json!(path.split('/').filter(|s| !s.is_empty()).collect::<Vec<_>>());
    if let Some(q) = query {
        let pairs: Vec<Value> = q
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                json!({"key": k, "value": v})
            })
            .collect();
        out["query"] = json!(pairs);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(collection: &Value, outside: &Variables) -> anyhow::Result<(Summary, Vec<Exchange>)> {
        let dir = std::env::temp_dir().join(format!("xtask-postman-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let text = collection.to_string();
        let path = dir.join(format!(
            "{:x}.json",
            text.bytes()
                .fold(0u64, |h, b| h.wrapping_mul(131).wrapping_add(u64::from(b)))
        ));
        std::fs::write(&path, &text).unwrap();
        let mut out = Vec::new();
        let result = stream(&path, "c.json", outside, &mut |ex| {
            out.push(ex);
            Ok(())
        });
        let _ = std::fs::remove_file(&path);
        result.map(|s| (s, out))
    }

    fn example(name: &str, code: u16, body: &str) -> Value {
        json!({"name": name, "code": code, "status": "OK",
               "header": [{"key": "Content-Type", "value": "application/json"}], "body": body})
    }

    #[test]
    fn versions() {
        assert_eq!(schema_version(SCHEMA_V21), Some((2, 1, 0)));
        assert_eq!(
            schema_version("https://schema.postman.com/json/collection/v2.0.0/collection.json"),
            Some((2, 0, 0))
        );
        assert_eq!(
            schema_version("https://schema.getpostman.com/json/collection/v1.0.0/"),
            Some((1, 0, 0))
        );
        assert_eq!(schema_version("https://x/none"), None);
    }

    #[test]
    fn variables_by_precedence_nested_and_unresolved() {
        let outside = Variables {
            environment: HashMap::from([("host".into(), "env.example".into()), ("v".into(), "3".into())]),
            command_line: HashMap::from([("host".into(), "cli.example".into())]),
        };
        let scope = Scope {
            outside: &outside,
            collection: HashMap::from([
                ("host".into(), "collection.example".into()),
                ("base".into(), "https://{{host}}/api/v{{v}}".into()),
                ("only_here".into(), "c".into()),
                ("loop".into(), "{{loop}}".into()),
            ]),
        };
        let mut unresolved = Vec::new();
        assert_eq!(
            scope.resolve("{{base}}/x/{{only_here}}/{{ id }}", &mut unresolved),
            "https://cli.example/api/v3/x/c/{{ id }}"
        );
        assert_eq!(unresolved, vec!["id".to_owned()]);
        // An empty value is not set: the next source applies.
        let mut outside = outside.clone();
        outside.command_line.insert("v".into(), String::new());
        let empty_cli = Scope {
            outside: &outside,
            collection: HashMap::new(),
        };
        assert_eq!(empty_cli.resolve("{{v}}", &mut Vec::new()), "3");
        let mut unresolved = Vec::new();
        assert_eq!(scope.resolve("{{loop}}", &mut unresolved), "{{loop}}");
        assert_eq!(unresolved, vec!["loop".to_owned()]);
        assert_eq!(scope.resolve("{{unclosed", &mut Vec::new()), "{{unclosed");
    }

    #[test]
    fn urls_raw_and_structured() {
        let outside = Variables::default();
        let reader_scope = |collection: HashMap<String, String>| Scope {
            outside: &outside,
            collection,
        };
        let vars = HashMap::from([("base_url".to_owned(), "https://h.example/api/v3/".to_owned())]);
        let mut sink = |_: Exchange| Ok(());
        let r = Reader {
            display: "c.json",
            scope: reader_scope(vars),
            each: &mut sink,
            summary: Summary::default(),
        };
        let built = r
            .url(&json!({
                "raw": "{{base_url}}/wallet/:id?x=1",
                "host": ["{{base_url}}"],
                "path": ["wallet", ":id", {"value": "tx"}],
                "query": [{"key": "a", "value": "1"}, {"key": "a", "value": "2"}, {"key": "off", "value": "3", "disabled": true}],
                "variable": [{"key": "id", "value": "w-1"}]
            }))
            .unwrap();
        assert_eq!(built.url, "https://h.example/api/v3/wallet/w-1/tx?a=1&a=2");
        assert_eq!((built.host_variable, built.unresolved.len()), (None, 0));
        let built = r
            .url(&json!({"raw": "{{base_url}}/wallet/:id", "variable": [{"key": "id", "value": "w-2"}]}))
            .unwrap();
        assert_eq!(built.url, "https://h.example/api/v3/wallet/w-2");
        let built = r.url(&json!("{{missing}}/wallet/{{wallet_id}}")).unwrap();
        assert_eq!(built.url, "{{missing}}/wallet/{{wallet_id}}");
        assert_eq!(built.host_variable.as_deref(), Some("missing"));
        assert_eq!(built.unresolved, vec!["wallet_id".to_owned()]);
        let built = r
            .url(&json!({"protocol": "https", "host": ["api", "example", "com"], "port": "8443", "path": "a/b"}))
            .unwrap();
        assert_eq!(built.url, "https://api.example.com:8443/a/b");
        assert_eq!(
            r.url(&json!("example.com/a")).unwrap().url,
            "http://example.com/a"
        );
        assert!(r.url(&json!({"description": "x"})).is_err());
    }

    #[test]
    fn nested_folders_examples_and_names() {
        let c = json!({
            "info": {"name": "Kotani", "schema": SCHEMA_V21},
            "item": [
                {"name": "Top", "request": {"method": "get", "url": "https://h/a"},
                 "response": [example("ok", 200, "{}"), example("ok", 200, "{}")]},
                {"item": [
                    {"name": "Deep", "item": [
                        {"name": "No examples", "request": {"url": "https://h/none"}},
                        {"name": "Saved", "request": {"method": "POST", "url": "https://h/item"},
                         "response": [{"name": "created", "code": 201, "body": null,
                                       "originalRequest": {"method": "PUT", "url": "https://h/original",
                                                           "body": {"mode": "raw", "raw": "{\"x\":1}", "options": {"raw": {"language": "json"}}}}}]}
                    ]}
                ], "name": "Outer"}
            ],
            "variable": []
        });
        let (summary, ex) = read(&c, &Variables::default()).unwrap();
        assert_eq!(
            (summary.requests, summary.with_examples, summary.examples),
            (3, 2, 3)
        );
        assert_eq!(summary.version, "2.1.0");
        assert_eq!(ex.len(), 3);
        assert_eq!(ex[0].method, "GET");
        assert_eq!(ex[1].source.entry, 1);
        let origin = ex[2].source.postman.as_ref().unwrap();
        assert_eq!(origin.folders, vec!["Outer".to_owned(), "Deep".to_owned()]);
        assert_eq!(
            (origin.request.as_str(), origin.example.as_str()),
            ("Saved", "created")
        );
        // The example's own request wins over the item's.
        assert_eq!(
            (ex[2].method.as_str(), ex[2].url.as_str()),
            ("PUT", "https://h/original")
        );
        assert_eq!(ex[2].request_content_type.as_deref(), Some("application/json"));
        assert_eq!(ex[2].body, None);
        assert_eq!(ex[0].content_type.as_deref(), Some("application/json"));
        assert_eq!(
            origin_text(origin),
            "Kotani › Outer › Deep › Saved › example \"created\""
        );
    }

    #[test]
    fn bad_collections() {
        let err = |c: Value| read(&c, &Variables::default()).unwrap_err().to_string();
        assert_eq!(
            err(json!([1])),
            "c.json: not a Postman collection (not a JSON object)"
        );
        assert_eq!(
            err(json!({"log": {"entries": []}})),
            "c.json: not a Postman collection: this is a HAR file (use --har)"
        );
        assert!(err(json!({"requests": [], "name": "old"})).contains("format v1 is not supported"));
        assert_eq!(
            err(json!({"info": {"name": "x"}})),
            "c.json: not a Postman collection (no info.schema)"
        );
        assert!(
            err(json!({"info": {"schema": "https://schema.getpostman.com/json/collection/v1.0.0/collection.json"}}))
                .contains("schema v1.0.0 is not supported")
        );
        let no_code = json!({"info": {"name": "K", "schema": SCHEMA_V21}, "item": [
            {"name": "F", "item": [{"name": "R", "request": {"url": "https://h/a"}, "response": [{"name": "e", "body": "{}"}]}]}
        ]});
        assert_eq!(
            err(no_code),
            "c.json: K › F › R › example \"e\": the saved response has no status (`code`)"
        );
    }

    #[test]
    fn writes_a_collection_that_reads_back() {
        let mut sink = |_: Exchange| Ok(());
        let outside = Variables::default();
        let mut r = Reader {
            display: "c.json",
            scope: Scope {
                outside: &outside,
                collection: HashMap::new(),
            },
            each: &mut sink,
            summary: Summary::default(),
        };
        let ex = r
            .example(
                &example("e", 200, "{\"a\":1}"),
                Some(&json!({"method": "GET", "url": "https://h.example:8080/api/x?q=1&q=2"})),
                PostmanOrigin {
                    collection: "c".into(),
                    folders: vec![],
                    request: "r".into(),
                    example: "e".into(),
                },
            )
            .unwrap();
        let written = to_collection(&[ex.clone(), ex.clone()], "rec", "d", |_| {
            ("v3".into(), "get_x".into())
        });
        let (summary, back) = read(&written, &Variables::default()).unwrap();
        assert_eq!(summary.examples, 2);
        assert_eq!(back[0].url, ex.url);
        assert_eq!(back[0].body, ex.body);
        assert_eq!(back[0].status, 200);
        assert_eq!(back[0].content_type.as_deref(), Some("application/json"));
        assert_eq!(back[1].source.postman.as_ref().unwrap().example, "200 OK (2)");
    }
}
