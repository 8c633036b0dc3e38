//! What the specs say about each operation, as tables that `build.rs` derives from them.

/// The API family an operation belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// Kotani Pay API v3.
    V3,
    /// KutanaPay Merchant API v1.
    Merchant,
}

/// Which credential an operation sends, per the spec's `security`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    /// A public operation (`security: []`): no credential is sent.
    None,
    /// The family's credential: bearer API key or session token (v3), `x-api-key` (merchant).
    Standard,
    /// The session's refresh token as the bearer (`x-kotani-credential: refresh_token`).
    RefreshToken,
}

/// How a list operation pages (`x-kotani-pagination`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageStyle {
    /// `page` (1-based) and `per_page`.
    PagePerPage,
    /// `page` (1-based) and `limit`.
    PageLimit,
    /// `limit` and `offset`.
    LimitOffset,
    /// `page` (1-based) and `size`.
    PageSize,
}

/// Pagination of a list operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pagination {
    /// The parameters it pages with.
    pub style: PageStyle,
    /// JSON pointer of the item array in the response body.
    pub items: &'static str,
    /// JSON pointer of the total page count, when the body carries one.
    pub total_pages: Option<&'static str>,
}

/// One operation of a spec.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OperationMeta {
    /// Its family.
    pub family: Family,
    /// The operationId (also the Rust method name).
    pub id: &'static str,
    /// HTTP method, upper case.
    pub method: &'static str,
    /// Path template, e.g. `/api/v3/withdraw/status/{reference_id}`.
    pub path: &'static str,
    /// The success status the real server is known to send, which the built-in sandbox answers
    /// with: 201 or 202 when documented (creations), else the lowest documented 2xx. Any 2xx is
    /// decoded as success whatever this says.
    pub success_status: u16,
    /// Every 2xx status the spec documents for the operation, ascending.
    pub success_statuses: &'static [u16],
    /// The credential it sends.
    pub credential: Credential,
    /// Whether it moves money (`x-kotani-moves-money`).
    pub moves_money: bool,
    /// The request-body field with the caller's reference, which the API deduplicates on.
    pub idempotency_field: Option<&'static str>,
    /// Safe to repeat: GET/HEAD, or marked `x-kotani-idempotent`.
    pub idempotent: bool,
    /// For money movements: the operation that tells the outcome (`x-kotani-status-operation`).
    pub status_operation: Option<&'static str>,
    /// How it pages, for list operations.
    pub pagination: Option<Pagination>,
    /// The success example of the spec, as compact JSON.
    pub example: Option<&'static str>,
}

/// Why a body did not decode into its generated type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeFailure {
    /// The JSON path of the failing field (`data[3].amount`), empty at the root.
    pub path: String,
    /// The decoder's message.
    pub message: String,
}

/// Decodes `body` as `T`, reporting the failing field's path.
pub fn try_decode<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<(), DecodeFailure> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    match serde_path_to_error::deserialize::<_, T>(de) {
        Ok(_) => Ok(()),
        Err(e) => {
            let path = e.path().to_string();
            Err(DecodeFailure {
                path: if path == "." { String::new() } else { path },
                message: e.into_inner().to_string(),
            })
        }
    }
}

/// A family's body decoder: operationId, status, body → the decode result (`None` when the
/// operation documents no body for that status).
pub type DecodeFn = fn(&str, u16, &[u8]) -> Option<Result<(), DecodeFailure>>;

/// A family's request-body decoder: operationId, body → the decode result (`None` when the
/// operation takes no body).
pub type DecodeRequestFn = fn(&str, &[u8]) -> Option<Result<(), DecodeFailure>>;

/// What the runtime needs of an API family, provided by the family's module (its generated
/// tables and decoder, its credential header): the runtime itself names no family.
pub struct FamilyInfo {
    /// Which family.
    pub family: Family,
    /// Every operation, as the spec describes it (literal paths first).
    pub operations: &'static [OperationMeta],
    /// `(operationId, index into operations)`, sorted by the operationId's length, then by it.
    pub by_id: &'static [(&'static str, usize)],
    /// Decodes a body into the generated type an operation documents for a status.
    pub decode: DecodeFn,
    /// Decodes a request body into the type the operation's builder takes (its request schema).
    pub decode_request: DecodeRequestFn,
    /// The header that carries the credential (`authorization`, `x-api-key`).
    pub credential_header: &'static str,
    /// What goes before the secret in that header (`Bearer `, or nothing).
    pub credential_prefix: &'static str,
    /// Whether secure mode signs this family's requests.
    pub signs_requests: bool,
    /// How a login session of this family refreshes, if it has sessions.
    pub(crate) refresh: Option<crate::auth::session::RefreshFn>,
}

impl FamilyInfo {
    /// Looks an operation up by operationId.
    pub fn operation(&self, id: &str) -> Option<&'static OperationMeta> {
        let i = self
            .by_id
            .binary_search_by(|(k, _)| (k.len(), *k).cmp(&(id.len(), id)))
            .ok()?;
        self.operations.get(self.by_id[i].1)
    }
}

impl Family {
    /// What the runtime knows of this family: its tables when its Cargo feature is on, and
    /// empty tables (no operations, nothing decodes) when it is not built in.
    pub fn info(self) -> &'static FamilyInfo {
        crate::family_info(self)
    }
}

impl FamilyInfo {
    /// The tables of a family whose Cargo feature is off: no operations, nothing decodes.
    pub(crate) const fn not_built(family: Family) -> FamilyInfo {
        FamilyInfo {
            family,
            operations: &[],
            by_id: &[],
            decode: |_, _, _| None,
            decode_request: |_, _| None,
            credential_header: "",
            credential_prefix: "",
            signs_requests: false,
            refresh: None,
        }
    }
}

/// Decodes a body of `operation_id` in `family` into the generated type the spec documents for
/// `status`. `None` when the operation is unknown or documents no JSON body for that status.
/// The contract check uses this to report what the SDK itself would fail to decode.
pub fn decode(
    family: Family,
    operation_id: &str,
    status: u16,
    body: &[u8],
) -> Option<Result<(), DecodeFailure>> {
    (family.info().decode)(operation_id, status, body)
}

/// Decodes a request body of `operation_id` in `family` into the type its builder takes, as a
/// server would check it against the spec's request schema. `None` when the operation is
/// unknown or takes no body.
pub fn decode_request(family: Family, operation_id: &str, body: &[u8]) -> Option<Result<(), DecodeFailure>> {
    (family.info().decode_request)(operation_id, body)
}

/// Every operation of every family built in.
pub fn operations() -> impl Iterator<Item = &'static OperationMeta> {
    crate::FAMILIES.iter().flat_map(|f| f.operations.iter())
}

/// Looks an operation up by family and operationId.
pub fn operation(family: Family, id: &str) -> Option<&'static OperationMeta> {
    family.info().operation(id)
}

impl OperationMeta {
    /// Whether `path` (no query string) matches this operation's template.
    pub fn matches_path(&self, path: &str) -> bool {
        let mut want = self.path.split('/');
        let mut got = path.split('/');
        loop {
            match (want.next(), got.next()) {
                (None, None) => return true,
                (Some(w), Some(g)) => {
                    let templated = w.starts_with('{') && w.ends_with('}');
                    if templated {
                        if g.is_empty() {
                            return false;
                        }
                    } else if w != g {
                        return false;
                    }
                }
                _ => return false,
            }
        }
    }

    /// A regular expression matching this operation's path, for mock servers (httpmock's `path_matches`).
    pub fn path_regex(&self) -> String {
        let mut out = String::from("^");
        for (i, seg) in self.path.split('/').enumerate() {
            if i > 0 {
                out.push('/');
            }
            if seg.starts_with('{') && seg.ends_with('}') {
                out.push_str("[^/]+");
            } else {
                for c in seg.chars() {
                    if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                        out.push(c);
                    } else {
                        out.push('\\');
                        out.push(c);
                    }
                }
            }
        }
        out.push('$');
        out
    }
}
