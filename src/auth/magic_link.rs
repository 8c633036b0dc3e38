//! The magic link of an e-mailed login.

use crate::error::Error;

/// Takes what a user pastes — the whole link from the e-mail, or only its `hash` — and returns
/// the hash. Refuses input that is neither, before any request is sent.
pub fn hash_from_link(input: &str) -> Result<String, Error> {
    const OP: &str = "verify_magic_link";
    let input = input.trim();
    if input.is_empty() {
        return Err(Error::invalid_request(OP, "the magic link is empty"));
    }
    if input.contains("://") {
        let url = url::Url::parse(input)
            .map_err(|e| Error::invalid_request(OP, format!("the magic link is not a valid URL: {e}")))?;
        return match url.query_pairs().find(|(k, _)| k == "hash") {
            Some((_, v)) if !v.trim().is_empty() => Ok(v.into_owned()),
            Some(_) => Err(Error::invalid_request(
                OP,
                "the magic link's `hash` parameter is empty",
            )),
            None => Err(Error::invalid_request(
                OP,
                "the magic link has no `hash` parameter",
            )),
        };
    }
    if let Some(rest) = input.strip_prefix("hash=") {
        return hash_from_link(rest);
    }
    if input
        .chars()
        .any(|c| c.is_whitespace() || matches!(c, '/' | '?' | '&' | '=' | '#'))
    {
        return Err(Error::invalid_request(
            OP,
            "expected the magic link URL or its `hash` value, got neither",
        ));
    }
    Ok(input.to_string())
}

/// Checks an e-mail address enough to refuse obvious mistakes before a request is sent.
pub fn check_email(email: &str) -> Result<&str, Error> {
    const OP: &str = "send_magic_link";
    let email = email.trim();
    if email.is_empty() {
        return Err(Error::invalid_request(OP, "the e-mail address is empty"));
    }
    match email.split_once('@') {
        Some((user, domain))
            if !user.is_empty() && domain.contains('.') && !email.contains(char::is_whitespace) =>
        {
            Ok(email)
        }
        _ => Err(Error::invalid_request(OP, "the e-mail address is not valid")),
    }
}
