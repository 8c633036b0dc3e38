//! Merchant set-up in the sandbox: API keys, webhooks, branding.

use serde_json::{Map, Value, json};

use super::{detail, invalid_body, now_py, opt_str};
use crate::sandbox::world::{self, Reply, Req, World};

/// A merchant API key. The plaintext is kept (the sandbox must recognise it) but shown only in
/// the create response (as `key_hash`, where the spec's example shows the key itself); no
/// `Debug`, so it cannot be printed by accident.
pub(crate) struct ApiKey {
    pub id: String,
    pub name: String,
    key: String,
    pub status: String,
    pub created_at: String,
    pub updated_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
    pub revoked_by: Option<String>,
}

impl ApiKey {
    /// The key the sandbox issued (`Sandbox::merchant_api_key`), listed as "Sandbox key".
    pub(crate) fn issued(id: String, key: &str, at: &str) -> Self {
        ApiKey {
            id,
            name: "Sandbox key".to_string(),
            key: key.to_string(),
            status: "active".to_string(),
            created_at: at.to_string(),
            updated_at: at.to_string(),
            last_used_at: None,
            revoked_at: None,
            revoked_by: None,
        }
    }

    /// Whether `given` is this key.
    pub(crate) fn matches(&self, given: &str) -> bool {
        self.key == given
    }

    /// The `MerchantApiKey` schema; the plaintext (`key_hash`) only when `reveal`.
    fn json(&self, merchant_id: &str, reveal: bool) -> Value {
        let mut v = json!({
            "id": self.id,
            "merchant_id": merchant_id,
            "key_name": self.name,
            "key_prefix": self.key.chars().take(10).collect::<String>(),
            "status": self.status,
            "scope": "FULL_ACCESS",
            "permissions": ["read", "write"],
            "expires_at": null,
            "last_used_at": self.last_used_at,
            "created_by": merchant_id,
            "revoked_at": self.revoked_at,
            "revoked_by": self.revoked_by,
            "api_key_metadata": null,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "deleted_at": null,
        });
        if reveal {
            v["key_hash"] = json!(self.key);
        }
        v
    }
}

/// `POST /api-keys`: a new key (`mk_` and 40 hex digits), returned once in `key_hash`; it works
/// as `x-api-key` at once.
pub(super) fn create_api_key(w: &mut World, req: &Req<'_>) -> Reply {
    let name = req.str("name").unwrap_or("").trim().to_string();
    if name.is_empty() {
        return invalid_body(
            &["name"],
            "String should have at least 1 character",
            "string_too_short",
        );
    }
    let id = w.uuid();
    let key = format!("mk_{}", w.hex(40));
    let key = w.secret(key);
    let at = now_py(w);
    let k = ApiKey {
        id,
        name,
        key,
        status: "active".to_string(),
        created_at: at.clone(),
        updated_at: at,
        last_used_at: None,
        revoked_at: None,
        revoked_by: None,
    };
    let body = k.json(&w.merchant.merchant_id, true);
    w.merchant.keys.push(k);
    world::merchant_ok(req, "API key created successfully", body)
}

/// `GET /api-keys`: every key, revoked ones included, oldest first, never the plaintext.
pub(super) fn get_api_keys(w: &mut World, req: &Req<'_>) -> Reply {
    let m = &w.merchant;
    let list: Vec<Value> = m.keys.iter().map(|k| k.json(&m.merchant_id, false)).collect();
    world::merchant_ok(req, "API keys retrieved successfully", Value::Array(list))
}

/// `DELETE /api-keys/{api_key_id}`: the key becomes `revoked` and is refused (401) from then on,
/// even if it is the key making this call. Revoking a revoked key answers it again. A key that
/// is not the merchant's own is 404.
pub(super) fn revoke_api_key(w: &mut World, req: &Req<'_>) -> Reply {
    let at = now_py(w);
    let m = &mut w.merchant;
    let Some(k) = m.keys.iter_mut().find(|k| k.id == req.param("api_key_id")) else {
        return detail(404, "API key not found");
    };
    if k.status != "revoked" {
        k.status = "revoked".to_string();
        k.revoked_at = Some(at.clone());
        k.revoked_by = Some(m.merchant_id.clone());
        k.updated_at = at;
    }
    let body = k.json(&m.merchant_id, false);
    world::merchant_ok(req, "API key revoked successfully", body)
}

/// A registered webhook. No `Debug`: it holds its signing secret.
pub(crate) struct Webhook {
    pub id: String,
    pub url: String,
    /// Subscribed events; empty means every event.
    pub events: Vec<String>,
    pub is_active: bool,
    pub timeout_seconds: i64,
    pub secret: String,
    pub created_at: String,
    pub updated_at: Option<String>,
}

impl Webhook {
    /// Whether a delivery of `event` goes to it: active, and subscribed to the event (an empty
    /// list subscribes to every event).
    pub(crate) fn receives(&self, event: &str) -> bool {
        self.is_active && (self.events.is_empty() || self.events.iter().any(|e| e == event))
    }

    /// The `MerchantWebhook` schema; the secret only when `reveal` (the create response).
    fn json(&self, merchant_id: &str, reveal: bool) -> Value {
        let mut v = json!({
            "id": self.id,
            "merchant_id": merchant_id,
            "url": self.url,
            "events": self.events,
            "is_active": self.is_active,
            "timeout_seconds": self.timeout_seconds,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        });
        if reveal {
            v["secret"] = json!(self.secret);
        }
        v
    }
}

/// pydantic's `HttpUrl`: an absolute http(s) URL with a host.
fn check_url(url: &str) -> Result<(), Reply> {
    match url::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty()) => {
            Ok(())
        }
        Ok(_) => Err(invalid_body(
            &["url"],
            "URL scheme should be 'http' or 'https'",
            "url_scheme",
        )),
        Err(_) => Err(invalid_body(
            &["url"],
            "Input should be a valid URL, relative URL without a base",
            "url_parsing",
        )),
    }
}

/// `timeout_seconds`: 1 to 300 seconds.
fn check_timeout(req: &Req<'_>) -> Result<Option<i64>, Reply> {
    match req.json.get("timeout_seconds").and_then(Value::as_i64) {
        None => Ok(None),
        Some(t) if t < 1 => Err(invalid_body(
            &["timeout_seconds"],
            "Input should be greater than or equal to 1",
            "greater_than_equal",
        )),
        Some(t) if t > 300 => Err(invalid_body(
            &["timeout_seconds"],
            "Input should be less than or equal to 300",
            "less_than_equal",
        )),
        Some(t) => Ok(Some(t)),
    }
}

/// The `events` of the body (the server already checked them against the spec's enum).
fn events(req: &Req<'_>) -> Option<Vec<String>> {
    req.json.get("events").and_then(Value::as_array).map(|list| {
        let mut out: Vec<String> = Vec::new();
        for e in list.iter().filter_map(Value::as_str) {
            if !out.iter().any(|x| x == e) {
                out.push(e.to_string());
            }
        }
        out
    })
}

/// `POST /webhooks`: registers a URL with its own signing secret (`whsec_` and 32 hex digits),
/// shown only in this response. `is_active` defaults to true, `timeout_seconds` to 30 (the
/// sandbox's sender gives every receiver 10 seconds whatever this says).
pub(super) fn create_webhook(w: &mut World, req: &Req<'_>) -> Reply {
    let url = req.str("url").unwrap_or("").trim().to_string();
    if let Err(r) = check_url(&url) {
        return r;
    }
    let timeout = match check_timeout(req) {
        Ok(t) => t.unwrap_or(30),
        Err(r) => return r,
    };
    let id = w.uuid();
    let secret = format!("whsec_{}", w.hex(32));
    let secret = w.secret(secret);
    let at = now_py(w);
    let hook = Webhook {
        id,
        url,
        events: events(req).unwrap_or_default(),
        is_active: req.json.get("is_active").and_then(Value::as_bool).unwrap_or(true),
        timeout_seconds: timeout,
        secret,
        created_at: at.clone(),
        updated_at: Some(at),
    };
    let body = hook.json(&w.merchant.merchant_id, true);
    w.merchant.webhooks.push(hook);
    world::merchant_ok(req, "Webhook created successfully", body)
}

/// `GET /webhooks`: every webhook, oldest first, without secrets.
pub(super) fn get_webhooks(w: &mut World, req: &Req<'_>) -> Reply {
    let m = &w.merchant;
    let list: Vec<Value> = m.webhooks.iter().map(|h| h.json(&m.merchant_id, false)).collect();
    world::merchant_ok(req, "Webhooks retrieved successfully", Value::Array(list))
}

/// `PUT /webhooks/{webhook_id}`: changes the fields given; the secret stays.
pub(super) fn update_webhook(w: &mut World, req: &Req<'_>) -> Reply {
    let url = req.str("url").map(|u| u.trim().to_string());
    if let Some(u) = &url
        && let Err(r) = check_url(u)
    {
        return r;
    }
    let timeout = match check_timeout(req) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let at = now_py(w);
    let m = &mut w.merchant;
    let Some(h) = m.webhooks.iter_mut().find(|h| h.id == req.param("webhook_id")) else {
        return detail(404, "Webhook not found");
    };
    if let Some(u) = url {
        h.url = u;
    }
    if let Some(e) = events(req) {
        h.events = e;
    }
    if let Some(a) = req.json.get("is_active").and_then(Value::as_bool) {
        h.is_active = a;
    }
    if let Some(t) = timeout {
        h.timeout_seconds = t;
    }
    h.updated_at = Some(at);
    let body = h.json(&m.merchant_id, false);
    world::merchant_ok(req, "Webhook updated successfully", body)
}

/// `DELETE /webhooks/{webhook_id}`: removes it (answered as it was, `is_active` false); no event
/// raised later goes to it, and deleting it again is 404. Deliveries already made keep their
/// retries.
pub(super) fn delete_webhook(w: &mut World, req: &Req<'_>) -> Reply {
    let at = now_py(w);
    let m = &mut w.merchant;
    let Some(i) = m.webhooks.iter().position(|h| h.id == req.param("webhook_id")) else {
        return detail(404, "Webhook not found");
    };
    let mut h = m.webhooks.remove(i);
    h.is_active = false;
    h.updated_at = Some(at);
    let body = h.json(&m.merchant_id, false);
    world::merchant_ok(req, "Webhook deleted successfully", body)
}

/// The fields of `MerchantBranding` a merchant sets.
const BRANDING_FIELDS: [&str; 7] = [
    "display_name",
    "logo_url",
    "primary_color",
    "secondary_color",
    "support_email",
    "support_phone",
    "website_url",
];

/// The branding a sandbox merchant starts with: its display name, nothing else.
pub(crate) fn initial_branding(id: String, merchant_id: &str, at: &str) -> Map<String, Value> {
    let mut b = Map::new();
    b.insert("id".into(), json!(id));
    b.insert("merchant_id".into(), json!(merchant_id));
    for f in BRANDING_FIELDS {
        b.insert(f.into(), Value::Null);
    }
    b.insert("display_name".into(), json!("Sandbox Merchant"));
    b.insert("created_at".into(), json!(at));
    b.insert("updated_at".into(), json!(at));
    b
}

/// A CSS hex colour (`#0A5F38` or `#FFF`).
fn is_colour(s: &str) -> bool {
    s.strip_prefix('#')
        .is_some_and(|h| matches!(h.len(), 3 | 6) && h.chars().all(|c| c.is_ascii_hexdigit()))
}

/// `GET /branding`.
pub(super) fn get_branding(w: &mut World, req: &Req<'_>) -> Reply {
    world::merchant_ok(
        req,
        "Branding retrieved successfully",
        Value::Object(w.merchant.branding.clone()),
    )
}

/// `PUT /branding`: sets the fields given (colours must be CSS hex colours), keeps the others.
pub(super) fn update_branding(w: &mut World, req: &Req<'_>) -> Reply {
    for f in ["primary_color", "secondary_color"] {
        if let Some(c) = req.str(f)
            && !is_colour(c)
        {
            return invalid_body(
                &[f],
                "String should match pattern '^#([0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})$'",
                "string_pattern_mismatch",
            );
        }
    }
    let at = now_py(w);
    let b = &mut w.merchant.branding;
    for f in BRANDING_FIELDS {
        if let Some(v) = opt_str(req, f) {
            b.insert(f.into(), json!(v));
        }
    }
    b.insert("updated_at".into(), json!(at));
    world::merchant_ok(req, "Branding updated successfully", Value::Object(b.clone()))
}
