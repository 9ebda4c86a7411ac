//! Preview access: a request carrying `Authorization: Bearer <token>` with the configured
//! preview token sees drafts and future posts; every other request is public.

use crate::graph::Audience;
use axum::http::{header, HeaderMap};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A secret a request proves it knows with `Authorization: Bearer <token>`.
#[derive(Clone)]
pub struct BearerToken {
    /// SHA-256 of the token: comparing fixed-length digests in constant time leaks neither
    /// the token's bytes nor its length through timing.
    digest: [u8; 32],
}

impl std::fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BearerToken(..)")
    }
}

impl BearerToken {
    /// `None` for no token or an empty one.
    pub fn new(token: Option<&str>) -> Option<Self> {
        token.filter(|t| !t.is_empty()).map(|t| BearerToken {
            digest: Sha256::digest(t.as_bytes()).into(),
        })
    }

    /// Whether `headers` carry exactly this token as a bearer token (scheme case-insensitive).
    pub fn is_presented_in(&self, headers: &HeaderMap) -> bool {
        headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| self.is_authorization(value))
    }

    /// Whether `value`, an `Authorization` value such as `Bearer <token>`, carries exactly
    /// this token (scheme case-insensitive).
    pub fn is_authorization(&self, value: &str) -> bool {
        let presented = value.trim().split_once(' ').and_then(|(scheme, token)| {
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        });
        presented.is_some_and(|token| {
            let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
            bool::from(digest.ct_eq(&self.digest))
        })
    }
}

/// Decides each request's audience.
#[derive(Clone, Debug)]
pub struct PreviewGate {
    token: Option<BearerToken>,
}

impl PreviewGate {
    /// A gate for `token`; `None` (or an empty token) turns preview off.
    pub fn new(token: Option<&str>) -> Self {
        PreviewGate {
            token: BearerToken::new(token),
        }
    }

    /// Whether a preview token is configured.
    pub fn enabled(&self) -> bool {
        self.token.is_some()
    }

    /// `Preview` for a request bearing the token, `Public` for anything else (no header,
    /// another scheme, a wrong token, or preview off).
    pub fn audience(&self, headers: &HeaderMap) -> Audience {
        match &self.token {
            Some(token) if token.is_presented_in(headers) => Audience::Preview,
            _ => Audience::Public,
        }
    }

    /// The audience of an `Authorization` value (`Bearer <token>`) sent some other way than
    /// a header, e.g. in a WebSocket's `connection_init` payload.
    pub fn audience_of_authorization(&self, value: &str) -> Audience {
        match &self.token {
            Some(token) if token.is_authorization(value) => Audience::Preview,
            _ => Audience::Public,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_auth(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, value.parse().expect("header"));
        headers
    }

    #[test]
    fn only_the_exact_bearer_token_previews() {
        let gate = PreviewGate::new(Some("s3cret-preview-token"));
        assert_eq!(
            gate.audience(&with_auth("Bearer s3cret-preview-token")),
            Audience::Preview
        );
        assert_eq!(
            gate.audience(&with_auth("bearer s3cret-preview-token")),
            Audience::Preview
        );
        for other in [
            "Bearer s3cret-preview-toke",
            "Bearer s3cret-preview-token2",
            "Basic s3cret-preview-token",
            "s3cret-preview-token",
            "Bearer ",
        ] {
            assert_eq!(
                gate.audience(&with_auth(other)),
                Audience::Public,
                "{other}"
            );
        }
        assert_eq!(gate.audience(&HeaderMap::new()), Audience::Public);
        let off = PreviewGate::new(None);
        assert_eq!(
            off.audience(&with_auth("Bearer s3cret-preview-token")),
            Audience::Public
        );
        assert!(!PreviewGate::new(Some("")).enabled());
    }
}
