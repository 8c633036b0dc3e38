//! Credentials: magic-link login and sessions, API keys, secure-mode signing, merchant keys.

pub mod magic_link;
pub mod session;
pub mod signing;

use crate::Operation;
use crate::error::Error;
use session::{Session, Tokens};

#[cfg(feature = "v3")]
impl crate::v3::Client {
    /// Sends a magic login link to a registered integrator e-mail. Returns the API's message.
    pub async fn login(&self, email: &str) -> Result<String, Error> {
        let email = magic_link::check_email(email)?;
        let env = self
            .send_magic_link()
            .body(crate::v3::types::SendMagicLinkRequest {
                email: email.to_string(),
            })
            .call()
            .await?;
        Ok(env.message)
    }

    /// Completes a login from the e-mailed link (the whole URL as pasted, or its `hash`) and
    /// returns the session. Use it with [`Client::with_session`](crate::v3::Client::with_session).
    pub async fn verify(&self, link_or_hash: &str) -> Result<Session, Error> {
        let hash = magic_link::hash_from_link(link_or_hash)?;
        let tokens = self.verify_magic_link().hash(hash).data().await?;
        Ok(Session::new(Tokens::from(tokens)))
    }

    /// Completes a login that was held for human verification.
    pub async fn human_verify(&self, verification_token: &str) -> Result<Session, Error> {
        let token = verification_token.trim();
        if token.is_empty() {
            return Err(Error::invalid_request(
                "complete_human_verification",
                "the verification token is empty",
            ));
        }
        let tokens = self
            .complete_human_verification()
            .body(crate::v3::types::HumanVerifyRequest {
                verification_token: token.to_string(),
            })
            .data()
            .await?;
        Ok(Session::new(Tokens::from(tokens)))
    }

    /// The session of a client logged in by magic link.
    pub fn session(&self) -> Option<&Session> {
        self.inner.session()
    }
}
