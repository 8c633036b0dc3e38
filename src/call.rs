//! `call()` and `data()` on every generated operation: the typed result, or a [`crate::Error`].

use std::future::Future;
use std::sync::Arc;

use progenitor_client::{Error as RawError, ResponseValue};
use serde::de::DeserializeOwned;

use crate::error::{Error, ErrorKind, IntoApiBody, kind_for_status, retry_after_header};
use crate::hooks::{CALL, CallRecord};
use crate::meta::Family;

/// A success body wrapped in the API's envelope (`{success, message, data}` or
/// `{data, message, status}`).
pub trait Envelope {
    /// The payload type.
    type Data;
    /// The payload.
    fn data(&self) -> &Self::Data;
    /// The payload, by value.
    fn into_data(self) -> Self::Data;
    /// The envelope's `message`, when it has one.
    fn message(&self) -> Option<&str>;
}

/// Implemented by `build.rs` for every generated request builder.
///
/// Bring it into scope (`use kotanipay::prelude::*`) and finish a builder with
/// [`call`](Operation::call) for the typed body, or [`data`](Operation::data) for the envelope's
/// payload. Progenitor's own `send()` stays available for the raw `ResponseValue`.
pub trait Operation: Sized + Send {
    /// The operationId.
    const ID: &'static str;
    /// The API family.
    const FAMILY: Family;
    /// The typed success body.
    type Success: DeserializeOwned + Send;
    /// The typed error body.
    type ErrorBody: IntoApiBody + Send;

    /// Progenitor's `send()`.
    fn send_raw(
        self,
    ) -> impl Future<Output = Result<ResponseValue<Self::Success>, RawError<Self::ErrorBody>>> + Send;

    /// Sends the request through the client's pipeline (credentials, signing, retries,
    /// tracing) and returns the typed body.
    fn call(self) -> impl Future<Output = Result<Self::Success, Error>> + Send {
        async move {
            let record = Arc::new(CallRecord::default());
            let result = CALL.scope(record.clone(), self.send_raw()).await;
            match result {
                Ok(v) => Ok(v.into_inner()),
                Err(e) => {
                    Err(convert::<Self::Success, Self::ErrorBody>(Self::FAMILY, Self::ID, e, &record).await)
                }
            }
        }
    }

    /// Like [`call`](Operation::call), returning only the envelope's `data`.
    fn data(self) -> impl Future<Output = Result<<Self::Success as Envelope>::Data, Error>> + Send
    where
        Self::Success: Envelope,
    {
        async move { self.call().await.map(Envelope::into_data) }
    }
}

async fn convert<T: DeserializeOwned, E: IntoApiBody>(
    family: Family,
    op: &'static str,
    e: RawError<E>,
    record: &CallRecord,
) -> Error {
    let seen = record.snapshot();
    if seen.session_ended {
        return Error::new(
            ErrorKind::SessionEnded,
            op,
            "the login session has ended (token refresh failed); log in again with a magic link",
        )
        .with_status_opt(seen.status);
    }
    let err = match e {
        RawError::ErrorResponse(rv) => {
            let status = rv.status();
            let header_wait = retry_after_header(rv.headers());
            let body = rv.into_inner();
            let message = body.api_message().unwrap_or_default();
            let wait = body.retry_after().or(header_wait);
            let mut err = Error::new(kind_for_status(status), op, message)
                .with_status(status)
                .with_retry_after(wait);
            if let Some(raw) = &seen.error_body {
                err = err.with_body(raw);
            }
            match body.into_api_body() {
                Some(b) => err.with_api_body(b),
                None => err,
            }
        }
        RawError::InvalidResponsePayload(bytes, de) => match seen.status.filter(|s| !s.is_success()) {
            // An error status whose body is not the documented error shape (an HTML page
            // from a proxy, an empty body): still an API error with its status.
            Some(status) => Error::new(
                kind_for_status(status),
                op,
                "error response in an undocumented shape",
            )
            .with_status(status)
            .with_retry_after(seen.retry_after)
            .with_body(&bytes),
            None => {
                let path = decode_path::<T>(&bytes);
                let message = match seen.content_type.as_deref() {
                    Some(ct) if !ct.contains("json") => format!("the response is {ct}, not JSON: {de}"),
                    _ if bytes.is_empty() => "the response body is empty".to_string(),
                    _ => de.to_string(),
                };
                let mut err = Error::new(ErrorKind::Decode, op, message)
                    .with_decode_path(path)
                    .with_body(&bytes);
                if let Some(s) = seen.status {
                    err = err.with_status(s);
                }
                err.with_source(de)
            }
        },
        RawError::UnexpectedResponse(resp) => {
            let status = resp.status();
            let wait = retry_after_header(resp.headers());
            let body = resp.bytes().await.unwrap_or_default();
            let kind = if status.is_success() {
                ErrorKind::Decode
            } else {
                kind_for_status(status)
            };
            Error::new(kind, op, "response status not documented for this operation")
                .with_status(status)
                .with_retry_after(wait)
                .with_body(&body)
        }
        RawError::CommunicationError(e) | RawError::ResponseBodyError(e) => crate::error::from_reqwest(op, e),
        RawError::InvalidRequest(m) => Error::invalid_request(op, m),
        RawError::InvalidUpgrade(e) => crate::error::from_reqwest(op, e),
        RawError::Custom(m) => Error::new(ErrorKind::InvalidRequest, op, m),
    };
    outcome(family, op, err)
}

/// A failed call that moves money may still have gone through: say so, and say what to do.
fn outcome(family: Family, op: &'static str, err: Error) -> Error {
    let Some(meta) = crate::meta::operation(family, op) else {
        return err;
    };
    if !meta.moves_money {
        return err;
    }
    let uncertain = match err.kind() {
        ErrorKind::Timeout | ErrorKind::Connection => true,
        ErrorKind::Decode => false,
        _ => err
            .status()
            .is_some_and(|s| s.is_server_error() || s.as_u16() == 408),
    };
    if !uncertain {
        return err;
    }
    let check = meta
        .status_operation
        .map(|s| format!(" with `{s}`"))
        .unwrap_or_default();
    let hint = match meta.idempotency_field {
        Some(f) => format!(
            "outcome unknown: the payment may have been made; check its status{check} by its `{f}` \
             before acting, and resend only with the same `{f}`"
        ),
        None => format!(
            "outcome unknown: the payment may have been made; check its status{check} before acting, \
             and do not resend blindly"
        ),
    };
    err.mark_outcome_unknown(&hint)
}

/// Re-decodes a body to find the JSON path of the field that fails, e.g. `data[3].amount`.
pub(crate) fn decode_path<T: DeserializeOwned>(bytes: &[u8]) -> Option<String> {
    crate::meta::try_decode::<T>(bytes)
        .err()
        .map(|f| f.path)
        .filter(|p| !p.is_empty())
}
