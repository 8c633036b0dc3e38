//! A mock of both APIs on loopback (feature `mock`): every operation of both specs answers with
//! its spec example. Adding an operation with an example to a spec makes the mock serve it.
//!
//! Operations that need a credential answer 401 (in the family's error shape) when the request
//! carries none, as the real APIs do.
//!
//! ```no_run
//! # async fn demo() -> Result<(), kotanipay::Error> {
//! use kotanipay::prelude::*;
//! let mock = kotanipay::mock::MockApi::start().await;
//! let v3 = mock.v3_client()?;
//! let integrator = v3.get_integrator().data().await?;
//! // Override one operation for a test:
//! mock.respond(kotanipay::meta::Family::V3, "get_integrator", 500,
//!     serde_json::json!({"success": false, "message": "boom", "error_code": 500, "data": {}})).await;
//! # Ok(()) }
//! ```

use std::collections::HashMap;

use httpmock::MockServer;
use tokio::sync::Mutex;

use crate::meta::{Credential, Family, OperationMeta};

/// The v3 API key the mock's ready-made client sends.
pub const MOCK_V3_API_KEY: &str = "mock-v3-api-key";
/// The merchant API key the mock's ready-made client sends.
pub const MOCK_MERCHANT_API_KEY: &str = "mock-merchant-api-key";

#[derive(Clone)]
enum Route {
    Example,
    Custom { status: u16, body: serde_json::Value },
    Removed,
}

/// A running mock of both APIs.
pub struct MockApi {
    server: MockServer,
    routes: Mutex<HashMap<(Family, &'static str), Route>>,
    ids: Mutex<HashMap<(Family, &'static str), Vec<usize>>>,
}

impl std::fmt::Debug for MockApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockApi")
            .field("base_url", &self.server.base_url())
            .finish()
    }
}

fn error_body(family: Family, status: u16, message: &str) -> serde_json::Value {
    match family {
        Family::V3 => {
            serde_json::json!({"success": false, "message": message, "error_code": status, "data": {}})
        }
        Family::Merchant => serde_json::json!({"detail": message}),
    }
}

impl MockApi {
    /// Starts the mock on a free loopback port, answering every operation of both specs.
    pub async fn start() -> Self {
        let server = MockServer::start_async().await;
        let mock = MockApi {
            server,
            routes: Mutex::new(HashMap::new()),
            ids: Mutex::new(HashMap::new()),
        };
        mock.rebuild().await;
        mock
    }

    /// The base URL of both APIs on this mock (`http://127.0.0.1:<port>`).
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// The underlying httpmock server, e.g. to read its request history.
    pub fn server(&self) -> &MockServer {
        &self.server
    }

    /// A v3 client for this mock, authenticated with [`MOCK_V3_API_KEY`].
    #[cfg(feature = "v3")]
    pub fn v3_client(&self) -> Result<crate::v3::Client, crate::Error> {
        crate::v3::Client::builder()
            .base_url(self.base_url())
            .api_key(MOCK_V3_API_KEY)
            .build()
    }

    /// A merchant client for this mock, authenticated with [`MOCK_MERCHANT_API_KEY`].
    #[cfg(feature = "merchant")]
    pub fn merchant_client(&self) -> Result<crate::merchant::Client, crate::Error> {
        crate::merchant::Client::builder()
            .base_url(self.base_url())
            .api_key(MOCK_MERCHANT_API_KEY)
            .build()
    }

    /// Makes one operation answer `status` with `body` (any JSON) instead of its example.
    ///
    /// Panics if the operation is not in the family's spec (a mistake in the test itself).
    pub async fn respond(&self, family: Family, operation_id: &str, status: u16, body: serde_json::Value) {
        let meta = Self::find(family, operation_id);
        self.routes
            .lock()
            .await
            .insert((family, meta.id), Route::Custom { status, body });
        self.rebuild().await;
    }

    /// Stops answering one operation, so that a mock of your own on [`Self::server`] handles
    /// it. (A templated route of another operation may still match a literal path.)
    pub async fn remove(&self, family: Family, operation_id: &str) {
        let meta = Self::find(family, operation_id);
        self.routes.lock().await.insert((family, meta.id), Route::Removed);
        self.rebuild().await;
    }

    /// Serves every operation's example again.
    pub async fn reset(&self) {
        self.routes.lock().await.clear();
        self.rebuild().await;
    }

    /// How many requests one operation has answered since the last change to the routes.
    pub async fn hits(&self, family: Family, operation_id: &str) -> usize {
        let meta = Self::find(family, operation_id);
        let ids = self
            .ids
            .lock()
            .await
            .get(&(family, meta.id))
            .cloned()
            .unwrap_or_default();
        let mut n = 0;
        for id in ids {
            n += httpmock::Mock::new(id, &self.server).calls_async().await;
        }
        n
    }

    fn find(family: Family, operation_id: &str) -> &'static OperationMeta {
        crate::meta::operation(family, operation_id)
            .unwrap_or_else(|| panic!("no operation {operation_id:?} in the {family:?} spec"))
    }

    async fn rebuild(&self) {
        self.server.reset_async().await;
        let routes = self.routes.lock().await.clone();
        let mut ids = HashMap::new();
        for meta in crate::meta::operations() {
            let route = routes
                .get(&(meta.family, meta.id))
                .cloned()
                .unwrap_or(Route::Example);
            let (status, body) = match route {
                Route::Removed => continue,
                Route::Custom { status, body } => (status, body.to_string()),
                Route::Example => match meta.example {
                    Some(e) => (meta.success_status, e.to_string()),
                    None => (
                        501,
                        error_body(meta.family, 501, "the spec has no example for this operation")
                            .to_string(),
                    ),
                },
            };
            let header = match meta.family {
                Family::V3 => "authorization",
                Family::Merchant => "x-api-key",
            };
            let regex = meta.path_regex();
            let needs_key = meta.credential != Credential::None;
            let mut list = Vec::new();
            let served = self
                .server
                .mock_async(|when, then| {
                    let mut when = when.method(meta.method).path_matches(regex.as_str());
                    if needs_key {
                        when = when.header_exists(header);
                    }
                    let _ = when;
                    then.status(status)
                        .header("content-type", "application/json")
                        .body(body.as_str());
                })
                .await;
            list.push(served.id());
            if needs_key {
                let refused = self
                    .server
                    .mock_async(|when, then| {
                        when.method(meta.method)
                            .path_matches(regex.as_str())
                            .header_missing(header);
                        then.status(401)
                            .header("content-type", "application/json")
                            .body(error_body(meta.family, 401, "Unauthorized").to_string());
                    })
                    .await;
                list.push(refused.id());
            }
            ids.insert((meta.family, meta.id), list);
        }
        *self.ids.lock().await = ids;
    }
}
