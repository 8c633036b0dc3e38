//! `call()` and `data()` on every generated operation: the typed result, or a [`crate::Error`].

use std::future::Future;

use progenitor_client::{Error as RawError, ResponseValue};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;

use crate::error::{ApiErrorBody, Error, ErrorKind, kind_for_status, retry_after_header};
use crate::hooks::{Record, Seen};
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
    /// The operation as the spec describes it (its row of the family's table).
    const META: &'static crate::meta::OperationMeta;
    /// The typed success body.
    type Success: DeserializeOwned + Send;
    /// The typed error body.
    type ErrorBody: ApiErrorBody + DeserializeOwned;

    /// Progenitor's `send()`, writing what the call saw into `record`.
    #[doc(hidden)]
    fn send_in(
        self,
        record: &mut Record,
    ) -> impl Future<Output = Result<ResponseValue<Self::Success>, RawError<Self::ErrorBody>>> + Send;

    /// Sends the request through the client's pipeline (credentials, signing, retries,
    /// tracing) and returns the typed body.
    fn call(self) -> impl Future<Output = Result<Self::Success, Error>> + Send {
        run(self, |body| body)
    }

    /// Like [`call`](Operation::call), returning only the envelope's `data`.
    fn data(self) -> impl Future<Output = Result<<Self::Success as Envelope>::Data, Error>> + Send
    where
        Self::Success: Envelope,
    {
        run(self, Envelope::into_data)
    }
}

/// `call()` and `data()`: one future around progenitor's `send()` (as `send_in`), with the
/// call's record beside it for the pipeline to write to. A block rather than an `async fn`,
/// which would keep the builder twice in the future.
#[allow(
    clippy::manual_async_fn,
    reason = "an `async fn` keeps its by-value parameters twice in its future"
)]
fn run<O: Operation, R>(op: O, finish: fn(O::Success) -> R) -> impl Future<Output = Result<R, Error>> {
    async move {
        let mut record = Record::for_operation(O::META);
        match op.send_in(&mut record).await {
            Ok(v) => Ok(finish(v.into_inner())),
            Err(e) => {
                let seen = record.into_seen();
                if let Some(ok) = empty_success::<O::Success, _>(&e, &seen) {
                    return Ok(finish(ok));
                }
                if let Some(ok) = bare_success::<O::Success, _>(O::FAMILY, O::ID, &e, &seen) {
                    return Ok(finish(ok));
                }
                // Boxed: the error path's future stays out of every call's own.
                Err(Box::pin(convert::<O::Success, O::ErrorBody>(O::FAMILY, O::ID, e, seen)).await)
            }
        }
    }
}

/// A 2xx with an empty body (a 204, or a 200 that says nothing) is a success when the
/// operation's success type can stand for "nothing": it decodes from `null` or `{}`.
fn empty_success<T: DeserializeOwned, E>(e: &RawError<E>, seen: &Seen) -> Option<T> {
    let RawError::InvalidResponsePayload(bytes, _) = e else {
        return None;
    };
    if !seen.status.is_some_and(|s| s.is_success()) || !bytes.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    serde_json::from_slice(b"null")
        .ok()
        .or_else(|| serde_json::from_slice(b"{}").ok())
}

/// A 2xx body that is the envelope's payload without the envelope (Kotani's 2023 deposit
/// status answered so, before its responses were wrapped): decoded as `{"data": body}` (and
/// with the v3 envelope's `success` and `message`), for reads only. A call that moves money
/// never takes this path: a body it does not understand leaves its outcome unknown.
fn bare_success<T: DeserializeOwned, E>(
    family: Family,
    op: &'static str,
    e: &RawError<E>,
    seen: &Seen,
) -> Option<T> {
    let RawError::InvalidResponsePayload(bytes, _) = e else {
        return None;
    };
    if !seen.status.is_some_and(|s| s.is_success())
        || crate::meta::operation(family, op).is_none_or(|m| m.moves_money)
    {
        return None;
    }
    let serde_json::Value::Object(body) = serde_json::from_slice::<serde_json::Value>(bytes).ok()? else {
        return None;
    };
    if body.contains_key("data") {
        return None;
    }
    let body = serde_json::Value::Object(body);
    let wrapped = [
        serde_json::json!({ "data": body }),
        serde_json::json!({ "success": true, "message": "", "data": body }),
    ];
    let ok = wrapped.into_iter().find_map(|w| serde_json::from_value(w).ok());
    if ok.is_some() {
        tracing::debug!(target: "kotanipay", operation_id = op, "decoded a bare body as the envelope's data");
    }
    ok
}

async fn convert<T: DeserializeOwned, E: ApiErrorBody + DeserializeOwned>(
    family: Family,
    op: &'static str,
    e: RawError<E>,
    seen: Seen,
) -> Error {
    let scrub = seen.client.as_ref().map(|c| c.scrubber()).unwrap_or_default();
    if seen.session_ended {
        return Error::new(
            ErrorKind::SessionEnded,
            op,
            "the login session has ended (token refresh failed); log in again with a magic link",
        )
        .with_status_opt(seen.status);
    }
    // Whether the server answered with the error body the spec documents for the operation.
    let mut documented_error = false;
    let err = match e {
        RawError::ErrorResponse(rv) => {
            documented_error = true;
            let status = rv.status();
            let header_wait = retry_after_header(rv.headers());
            let typed = rv.into_inner();
            // The parsed body is read again from the scrubbed bytes, so that a credential the
            // server echoed in a message is not kept in it either.
            let body = match &seen.error_body {
                Some(raw) => match scrub.bytes(raw) {
                    std::borrow::Cow::Borrowed(_) => typed,
                    std::borrow::Cow::Owned(clean) => serde_json::from_slice(&clean).unwrap_or(typed),
                },
                None => typed,
            };
            let message = body.message().unwrap_or_default();
            let wait = body.retry_after().or(header_wait);
            let banned = body.banned_until().filter(|_| status == StatusCode::FORBIDDEN);
            let mut err = Error::new(kind_for_status(status), op, message)
                .with_status(status)
                .with_retry_after(wait);
            if let Some(until) = banned {
                err = err.with_banned_until(until);
            }
            if let Some(raw) = &seen.error_body {
                err = err.with_body(&scrub.bytes(raw));
            }
            err.with_api_body(body)
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
            .with_body(&scrub.bytes(&bytes)),
            None => {
                let path = decode_path::<T>(&bytes);
                let message = match seen.content_type.as_ref().and_then(|v| v.to_str().ok()) {
                    Some(ct) if !ct.contains("json") => format!("the response is {ct}, not JSON: {de}"),
                    _ if bytes.is_empty() => "the response body is empty".to_string(),
                    _ => de.to_string(),
                };
                let mut err = Error::new(ErrorKind::Decode, op, message)
                    .with_decode_path(path)
                    .with_body(&scrub.bytes(&bytes));
                if let Some(s) = seen.status {
                    err = err.with_status(s);
                }
                err.with_source(de)
            }
        },
        RawError::UnexpectedResponse(resp) => {
            let status = resp.status();
            let wait = retry_after_header(resp.headers());
            match resp.bytes().await {
                Ok(body) => {
                    let kind = if status.is_success() {
                        ErrorKind::Decode
                    } else {
                        kind_for_status(status)
                    };
                    Error::new(kind, op, "response status not documented for this operation")
                        .with_status(status)
                        .with_retry_after(wait)
                        .with_body(&scrub.bytes(&body))
                }
                // The body broke off: the connection failed, whatever the status said.
                Err(e) => crate::error::from_reqwest(op, e).with_status(status),
            }
        }
        RawError::ResponseBodyError(e) => {
            // The headers arrived and the body broke off (reset, EOF): a connection failure.
            let err = crate::error::from_reqwest(op, e).with_status_opt(seen.status);
            if err.kind() == ErrorKind::Timeout {
                err
            } else {
                err.with_kind(ErrorKind::Connection)
            }
        }
        RawError::CommunicationError(e) => crate::error::from_reqwest(op, e),
        RawError::InvalidRequest(m) => Error::invalid_request(op, m),
        RawError::InvalidUpgrade(e) => crate::error::from_reqwest(op, e),
        RawError::Custom(m) => Error::new(ErrorKind::InvalidRequest, op, m),
    };
    let definite_possible = !seen.earlier_attempt_may_have_landed;
    outcome(
        family,
        op,
        err,
        documented_error && definite_possible,
        definite_possible,
    )
    .scrubbed(&scrub)
}

/// A failed call that moves money may still have gone through: say so, and say what to do.
///
/// Definite failures are only those that prove the request was not taken: it could not be
/// built or was refused before sending (`InvalidRequest`, `Configuration`, an ended session),
/// no connection could be made, or the server answered a 4xx (but 408) with the error body the
/// spec documents. Everything else after the request may have reached the server (timeouts,
/// resets, EOF before the whole response, 5xx, 408, an error in an undocumented shape, a 2xx
/// or other status whose body does not decode) leaves the outcome unknown.
///
/// After a retry that followed an answer, a timeout or a reset, no later failure is definite:
/// the earlier attempt may have been taken.
fn outcome(
    family: Family,
    op: &'static str,
    err: Error,
    documented_error: bool,
    definite_possible: bool,
) -> Error {
    let Some(meta) = crate::meta::operation(family, op) else {
        return err;
    };
    if !meta.moves_money {
        return err;
    }
    let definite = match err.kind() {
        ErrorKind::InvalidRequest | ErrorKind::Configuration => true,
        _ if !definite_possible => false,
        ErrorKind::SessionEnded => true,
        _ if err.request_not_sent() => true,
        _ => {
            documented_error
                && err
                    .status()
                    .is_some_and(|s| s.is_client_error() && s != StatusCode::REQUEST_TIMEOUT)
        }
    };
    if definite {
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
