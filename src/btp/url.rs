//! BTP server URLs: `btp+wss://user:token@host[:port][/path]`.
//!
//! The `btp+` prefix and the credentials are taken off before dialing: the
//! WebSocket itself connects to `wss://host[:port][/path]`, and the user and
//! token travel only inside the BTP auth message. Plain `ws://` (and
//! `btp+ws://`) is accepted only for loopback hosts, so a token never
//! crosses a network unencrypted.

use core::fmt;

use crate::text::{display_via_text, join, parse_decimal, Text};

use super::session::Credentials;

/// A parsed BTP URL. `Debug` never shows the token.
#[derive(Clone, PartialEq, Eq)]
pub struct BtpUrl {
    /// What the WebSocket connects to (no credentials).
    pub websocket_url: String,
    /// User and token for the BTP auth handshake.
    pub credentials: Credentials,
}

impl fmt::Debug for BtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BtpUrl")
            .field("websocket_url", &self.websocket_url)
            .field("credentials", &self.credentials)
            .finish()
    }
}

/// Why a BTP URL was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BtpUrlError {
    /// Not `btp+wss://`, `wss://`, `btp+ws://` or `ws://`.
    Scheme,
    /// `ws://` to a host that is not loopback.
    InsecureHost,
    /// No host.
    EmptyHost,
    /// A character that has no place in a URL (space, control, …).
    InvalidCharacter,
    /// A bad `%xx` escape in the user or token.
    BadEscape,
    /// A fragment (`#…`).
    Fragment,
    /// The port is not a number from 1 to 65535.
    BadPort,
}

impl Text for BtpUrlError {
    fn put(&self, out: &mut String) {
        out.push_str(match self {
            Self::Scheme => "must start with btp+wss://, wss://, btp+ws:// or ws://",
            Self::InsecureHost => "ws:// and btp+ws:// are only allowed for localhost, 127.0.0.1 and [::1]; use wss://",
            Self::EmptyHost => "has no host",
            Self::InvalidCharacter => "contains a character not allowed in a URL",
            Self::BadEscape => "has an invalid %-escape in its user or token",
            Self::Fragment => "must not have a #fragment",
            Self::BadPort => "has an invalid port",
        });
    }
}

display_via_text!(BtpUrlError);

impl std::error::Error for BtpUrlError {}

impl BtpUrl {
    /// Parses a BTP URL.
    pub fn parse(input: &str) -> Result<Self, BtpUrlError> {
        if input.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(BtpUrlError::InvalidCharacter);
        }
        if input.contains('#') {
            return Err(BtpUrlError::Fragment);
        }
        let lower = input.get(..10).unwrap_or(input).to_ascii_lowercase();
        let (secure, rest) = if lower.starts_with("btp+wss://") {
            (true, input.get(10..))
        } else if lower.starts_with("btp+ws://") {
            (false, input.get(9..))
        } else if lower.starts_with("wss://") {
            (true, input.get(6..))
        } else if lower.starts_with("ws://") {
            (false, input.get(5..))
        } else {
            return Err(BtpUrlError::Scheme);
        };
        let rest = rest.unwrap_or_default();
        let (authority, path) = match rest.find(['/', '?']) {
            Some(i) => rest.split_at_checked(i).unwrap_or((rest, "")),
            None => (rest, ""),
        };
        let (userinfo, host_port) = match authority.rfind('@') {
            Some(i) => (
                Some(authority.get(..i).unwrap_or_default()),
                authority.get(i + 1..).unwrap_or_default(),
            ),
            None => (None, authority),
        };
        let host = host_of(host_port)?;
        if !secure && !is_loopback(host) {
            return Err(BtpUrlError::InsecureHost);
        }
        let credentials = match userinfo {
            None => Credentials {
                username: None,
                token: String::new(),
            },
            Some(info) => {
                let (user, token) = match info.split_once(':') {
                    Some((u, t)) => (u, t),
                    None => (info, ""),
                };
                let user = percent_decode(user)?;
                Credentials {
                    username: if user.is_empty() { None } else { Some(user) },
                    token: percent_decode(token)?,
                }
            }
        };
        let scheme = if secure { "wss" } else { "ws" };
        Ok(Self {
            websocket_url: join!(scheme, "://", host_port, path),
            credentials,
        })
    }
}

/// The host of `host[:port]`, checking the port.
fn host_of(host_port: &str) -> Result<&str, BtpUrlError> {
    let (host, port) = if let Some(rest) = host_port.strip_prefix('[') {
        let end = rest.find(']').ok_or(BtpUrlError::EmptyHost)?;
        let after = rest.get(end + 1..).unwrap_or_default();
        (
            host_port.get(..end + 2).unwrap_or_default(),
            after.strip_prefix(':'),
        )
    } else {
        match host_port.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (host_port, None),
        }
    };
    if host.is_empty() || host == "[]" {
        return Err(BtpUrlError::EmptyHost);
    }
    if let Some(port) = port {
        if port.is_empty()
            || !port.bytes().all(|b| b.is_ascii_digit())
            || parse_decimal(port, 65535).is_none_or(|p| p == 0)
        {
            return Err(BtpUrlError::BadPort);
        }
    }
    Ok(host)
}

fn is_loopback(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    host == "localhost"
        || host == "[::1]"
        || host.strip_prefix("127.").is_some_and(|rest| {
            let parts: Vec<&str> = rest.split('.').collect();
            parts.len() == 3 && parts.iter().all(|p| parse_decimal(p, 255).is_some())
        })
}

fn percent_decode(text: &str) -> Result<String, BtpUrlError> {
    let mut out = Vec::with_capacity(text.len());
    let mut bytes = text.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hi = bytes.next().and_then(|c| char::from(c).to_digit(16));
            let lo = bytes.next().and_then(|c| char::from(c).to_digit(16));
            match (hi, lo) {
                (Some(hi), Some(lo)) => {
                    out.push(u8::try_from(hi * 16 + lo).map_err(|_| BtpUrlError::BadEscape)?)
                }
                _ => return Err(BtpUrlError::BadEscape),
            }
        } else {
            out.push(b);
        }
    }
    String::from_utf8(out).map_err(|_| BtpUrlError::BadEscape)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn strips_prefix_and_credentials_before_dialing() {
        let url = BtpUrl::parse("btp+wss://alice:s3cret@connector.example/btp").unwrap();
        assert_eq!(url.websocket_url, "wss://connector.example/btp");
        assert_eq!(url.credentials.username.as_deref(), Some("alice"));
        assert_eq!(url.credentials.token, "s3cret");
    }

    #[test]
    fn accepts_plain_wss_and_loopback_ws() {
        assert_eq!(
            BtpUrl::parse("wss://c.example:8443").unwrap().websocket_url,
            "wss://c.example:8443"
        );
        for ok in [
            "ws://localhost:7768",
            "btp+ws://u:t@127.0.0.1:7768",
            "ws://[::1]:1/x?y=1",
        ] {
            assert!(BtpUrl::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn refuses_insecure_remote_hosts() {
        assert_eq!(
            BtpUrl::parse("ws://connector.example").unwrap_err(),
            BtpUrlError::InsecureHost
        );
        assert_eq!(
            BtpUrl::parse("btp+ws://127.0.0.1.evil.com").unwrap_err(),
            BtpUrlError::InsecureHost
        );
    }

    #[test]
    fn refuses_malformed_urls_with_a_reason() {
        assert_eq!(BtpUrl::parse("https://x").unwrap_err(), BtpUrlError::Scheme);
        assert_eq!(
            BtpUrl::parse("btp+wss://").unwrap_err(),
            BtpUrlError::EmptyHost
        );
        assert_eq!(
            BtpUrl::parse("btp+wss://a b").unwrap_err(),
            BtpUrlError::InvalidCharacter
        );
        assert_eq!(
            BtpUrl::parse("wss://h#f").unwrap_err(),
            BtpUrlError::Fragment
        );
        assert_eq!(
            BtpUrl::parse("wss://h:0").unwrap_err(),
            BtpUrlError::BadPort
        );
        assert_eq!(
            BtpUrl::parse("wss://h:99999").unwrap_err(),
            BtpUrlError::BadPort
        );
        assert_eq!(
            BtpUrl::parse("wss://u:%zz@h").unwrap_err(),
            BtpUrlError::BadEscape
        );
    }

    #[test]
    fn decodes_escaped_tokens_and_token_only_userinfo() {
        let url = BtpUrl::parse("btp+wss://:a%40b%3Ac@h").unwrap();
        assert_eq!(url.credentials.username, None);
        assert_eq!(url.credentials.token, "a@b:c");
    }

    #[test]
    fn debug_redacts_the_token() {
        let url = BtpUrl::parse("btp+wss://alice:s3cret@h").unwrap();
        let text = format!("{url:?}");
        assert!(!text.contains("s3cret"), "{text}");
    }
}
