//! SPSP (RFC 9) and payment pointers (RFC 26): where to send the query, and
//! the two fields the answer must give.
//!
//! The HTTP request and `JSON.parse` happen in the wasm shell (they are I/O);
//! this module resolves the endpoint URL and checks the fields the shell
//! hands back.

pub mod base64;

use core::fmt;

use crate::text::{display_via_text, join, put, Text};

pub use self::base64::Base64Error;

/// Why an input is not a usable SPSP endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EndpointError {
    /// Neither a payment pointer (`$…`) nor an `http(s)://` URL.
    Unrecognized,
    /// Contains whitespace or a control character.
    Whitespace,
    /// No host after `$` or `://`.
    EmptyHost,
    /// A host with characters no host name has.
    InvalidHost,
    /// A payment pointer with a port (`$host:8080`).
    Port,
    /// A URL port that is not a number in 1..=65535.
    InvalidPort,
    /// Has `user@` before the host.
    Userinfo,
    /// A payment pointer with a query (`?…`).
    Query,
    /// Has a fragment (`#…`).
    Fragment,
    /// Plain `http://` to a host other than `localhost`, `127.0.0.1`, `[::1]`.
    InsecureHttp,
}

impl Text for EndpointError {
    fn put(&self, out: &mut String) {
        out.push_str(match self {
            Self::Unrecognized => "not a payment pointer or an https URL",
            Self::Whitespace => "contains whitespace or control characters",
            Self::EmptyHost => "has no host",
            Self::InvalidHost => "has an invalid host",
            Self::Port => "payment pointers cannot have a port",
            Self::InvalidPort => "has an invalid port",
            Self::Userinfo => "cannot contain a user name or password",
            Self::Query => "payment pointers cannot have a query",
            Self::Fragment => "cannot have a fragment",
            Self::InsecureHttp => "http is only allowed for localhost",
        });
    }
}

display_via_text!(EndpointError);

impl std::error::Error for EndpointError {}

/// Resolves a payment pointer to its SPSP URL (RFC 26).
///
/// `$host` and `$host/` give `https://host/.well-known/pay`; `$host/path`
/// gives `https://host/path`.
pub fn payment_pointer_to_url(pointer: &str) -> Result<String, EndpointError> {
    check_no_whitespace(pointer)?;
    let rest = pointer
        .strip_prefix('$')
        .ok_or(EndpointError::Unrecognized)?;
    if rest.contains('#') {
        return Err(EndpointError::Fragment);
    }
    if rest.contains('?') {
        return Err(EndpointError::Query);
    }
    // `split_at_checked`: a `find` index is a char boundary, and the checked
    // form keeps `str::split_at`'s panic path (and char `Debug`) out of wasm.
    let (authority, path) = rest
        .split_at_checked(rest.find('/').unwrap_or(rest.len()))
        .unwrap_or((rest, ""));
    let (host, port) = split_host(authority)?;
    if port.is_some() {
        return Err(EndpointError::Port);
    }
    let path = if path.is_empty() || path == "/" {
        "/.well-known/pay"
    } else {
        path
    };
    Ok(join!("https://", host, path))
}

/// Where to send the SPSP query, resolved from what the user typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    url: String,
    payment_pointer: bool,
}

impl Endpoint {
    /// Accepts a payment pointer (`$wallet.example/alice`), an `https://`
    /// URL, or an `http://` URL to `localhost`, `127.0.0.1` or `[::1]`. URLs
    /// may have a port and a query, but no user info and no fragment.
    pub fn parse(input: &str) -> Result<Self, EndpointError> {
        if input.starts_with('$') {
            return Ok(Self {
                url: payment_pointer_to_url(input)?,
                payment_pointer: true,
            });
        }
        check_no_whitespace(input)?;
        let (secure, rest) = if let Some(rest) = strip_prefix_ignore_case(input, "https://") {
            (true, rest)
        } else if let Some(rest) = strip_prefix_ignore_case(input, "http://") {
            (false, rest)
        } else {
            return Err(EndpointError::Unrecognized);
        };
        if rest.contains('#') {
            return Err(EndpointError::Fragment);
        }
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, _) = rest.split_at_checked(end).unwrap_or((rest, ""));
        let (host, port) = split_host(authority)?;
        if let Some(port) = port {
            let valid = !port.is_empty()
                && port.len() <= 5
                && port.bytes().all(|b| b.is_ascii_digit())
                && crate::text::parse_decimal(port, 65535).is_some_and(|p| p != 0);
            if !valid {
                return Err(EndpointError::InvalidPort);
            }
        }
        let local = ["localhost", "127.0.0.1", "[::1]"]
            .iter()
            .any(|h| host.eq_ignore_ascii_case(h));
        if !secure && !local {
            return Err(EndpointError::InsecureHttp);
        }
        Ok(Self {
            url: input.to_owned(),
            payment_pointer: false,
        })
    }

    /// The URL to query.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Whether the input was a payment pointer (which may be shown to users;
    /// raw SPSP URLs should not be).
    pub const fn is_payment_pointer(&self) -> bool {
        self.payment_pointer
    }
}

fn check_no_whitespace(input: &str) -> Result<(), EndpointError> {
    if input.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(EndpointError::Whitespace);
    }
    Ok(())
}

fn strip_prefix_ignore_case<'a>(input: &'a str, prefix: &str) -> Option<&'a str> {
    let head = input.get(..prefix.len())?;
    if head.eq_ignore_ascii_case(prefix) {
        input.get(prefix.len()..)
    } else {
        None
    }
}

/// Splits `host[:port]` or `[v6]:port`, checking the host's characters.
fn split_host(authority: &str) -> Result<(&str, Option<&str>), EndpointError> {
    if authority.contains('@') {
        return Err(EndpointError::Userinfo);
    }
    if authority.is_empty() {
        return Err(EndpointError::EmptyHost);
    }
    let (host, port) = if authority.starts_with('[') {
        let close = authority.find(']').ok_or(EndpointError::InvalidHost)?;
        let (host, after) = authority
            .split_at_checked(close + 1)
            .unwrap_or((authority, ""));
        let inner = host.trim_start_matches('[').trim_end_matches(']');
        if inner.is_empty()
            || !inner
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        {
            return Err(EndpointError::InvalidHost);
        }
        match after.strip_prefix(':') {
            Some(port) => (host, Some(port)),
            None if after.is_empty() => (host, None),
            None => return Err(EndpointError::InvalidHost),
        }
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(EndpointError::EmptyHost);
    }
    let name_ok = host.starts_with('[')
        || host
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '.' | '_'));
    if !name_ok {
        return Err(EndpointError::InvalidHost);
    }
    Ok((host, port))
}

/// Why an SPSP response was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SpspError {
    /// `destination_account` is empty.
    EmptyDestination,
    /// `destination_account` has a byte that is not printable ASCII, or is
    /// longer than the 1023 bytes an ILP address may take.
    InvalidDestination,
    /// `shared_secret` is not base64.
    SharedSecret(Base64Error),
    /// `shared_secret` decodes to this many bytes instead of 32.
    SecretLength(usize),
}

impl Text for SpspError {
    fn put(&self, out: &mut String) {
        match self {
            Self::EmptyDestination => out.push_str("SPSP destination_account is empty"),
            Self::InvalidDestination => out.push_str("SPSP destination_account is not an address"),
            Self::SharedSecret(e) => put!(out, "SPSP shared_secret: ", e),
            Self::SecretLength(n) => put!(out, "SPSP shared_secret is ", n, " bytes, expected 32"),
        }
    }
}

display_via_text!(SpspError);

impl std::error::Error for SpspError {}

/// The part of an SPSP response a STREAM sender needs.
#[derive(Clone, PartialEq, Eq)]
pub struct SpspResponse {
    /// The receiver's ILP address. Checked here only to be non-empty,
    /// printable ASCII of at most 1023 bytes: the caller validates it as an
    /// ILP address (RFC 15) before use.
    pub destination_account: String,
    /// The STREAM shared secret.
    pub shared_secret: [u8; 32],
    /// Whether the receiver will attach RFC 39 receipts (absent = false).
    pub receipts_enabled: bool,
}

impl SpspResponse {
    /// Checks the fields the shell read from the JSON response.
    pub fn from_fields(
        destination_account: &str,
        shared_secret_b64: &str,
        receipts_enabled: Option<bool>,
    ) -> Result<Self, SpspError> {
        if destination_account.is_empty() {
            return Err(SpspError::EmptyDestination);
        }
        if destination_account.len() > 1023
            || !destination_account.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(SpspError::InvalidDestination);
        }
        let secret = base64::decode(shared_secret_b64).map_err(SpspError::SharedSecret)?;
        let shared_secret = <[u8; 32]>::try_from(secret.as_slice())
            .map_err(|_| SpspError::SecretLength(secret.len()))?;
        Ok(Self {
            destination_account: destination_account.to_owned(),
            shared_secret,
            receipts_enabled: receipts_enabled.unwrap_or(false),
        })
    }
}

impl fmt::Debug for SpspResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpspResponse")
            .field("destination_account", &self.destination_account)
            .field("shared_secret", &"<redacted>")
            .field("receipts_enabled", &self.receipts_enabled)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn resolves_rfc26_examples() {
        for (pointer, url) in [
            ("$example.com", "https://example.com/.well-known/pay"),
            ("$example.com/", "https://example.com/.well-known/pay"),
            (
                "$example.com/invoices/12345",
                "https://example.com/invoices/12345",
            ),
            (
                "$bob.example.com",
                "https://bob.example.com/.well-known/pay",
            ),
            ("$example.com/bob", "https://example.com/bob"),
        ] {
            assert_eq!(payment_pointer_to_url(pointer).unwrap(), url, "{pointer}");
            let endpoint = Endpoint::parse(pointer).unwrap();
            assert_eq!(endpoint.url(), url);
            assert!(endpoint.is_payment_pointer());
        }
    }

    #[test]
    fn rejects_pointers_with_reasons() {
        for (pointer, err) in [
            ("example.com", EndpointError::Unrecognized),
            ("$", EndpointError::EmptyHost),
            ("$/path", EndpointError::EmptyHost),
            ("$example.com:8080", EndpointError::Port),
            ("$alice@example.com", EndpointError::Userinfo),
            ("$example.com/a?b=c", EndpointError::Query),
            ("$example.com/a#top", EndpointError::Fragment),
            ("$example .com", EndpointError::Whitespace),
            (" $example.com", EndpointError::Whitespace),
            ("$example.com\n", EndpointError::Whitespace),
            ("$exa%mple.com", EndpointError::InvalidHost),
            ("$[zz]", EndpointError::InvalidHost),
        ] {
            assert_eq!(payment_pointer_to_url(pointer), Err(err), "{pointer:?}");
            assert_eq!(Endpoint::parse(pointer), Err(err), "{pointer:?}");
        }
    }

    #[test]
    fn accepts_https_urls_and_local_http() {
        for url in [
            "https://example.com/.well-known/pay",
            "HTTPS://example.com",
            "https://example.com:8443/p?x=1",
            "http://localhost:3000/spsp",
            "http://127.0.0.1/",
            "http://[::1]:8080",
        ] {
            let endpoint = Endpoint::parse(url).unwrap();
            assert_eq!(endpoint.url(), url);
            assert!(!endpoint.is_payment_pointer());
        }
    }

    #[test]
    fn rejects_bad_urls_with_reasons() {
        for (url, err) in [
            ("http://example.com/", EndpointError::InsecureHttp),
            ("ftp://example.com/", EndpointError::Unrecognized),
            ("https://", EndpointError::EmptyHost),
            ("https://u:p@example.com/", EndpointError::Userinfo),
            ("https://example.com:0/", EndpointError::InvalidPort),
            ("https://example.com:99999/", EndpointError::InvalidPort),
            ("https://example.com:/", EndpointError::InvalidPort),
            ("https://example.com/#x", EndpointError::Fragment),
            ("https://exa mple.com/", EndpointError::Whitespace),
        ] {
            assert_eq!(Endpoint::parse(url), Err(err), "{url}");
        }
    }

    #[test]
    fn parses_spsp_response_fields() {
        // The SPSP example response from RFC 9.
        let r = SpspResponse::from_fields(
            "example.ilpdemo.red.bob",
            "6jR5iNIVRvqeasJeCty6C+YB5X9FhSOUPCL/5nha5Vs=",
            Some(true),
        )
        .unwrap();
        assert_eq!(r.destination_account, "example.ilpdemo.red.bob");
        assert_eq!(r.shared_secret[..3], [0xea, 0x34, 0x79]);
        assert!(r.receipts_enabled);
        let url_safe = SpspResponse::from_fields(
            "example.ilpdemo.red.bob",
            "6jR5iNIVRvqeasJeCty6C-YB5X9FhSOUPCL_5nha5Vs",
            None,
        )
        .unwrap();
        assert_eq!(url_safe.shared_secret, r.shared_secret);
        assert!(!url_safe.receipts_enabled);
    }

    #[test]
    fn rejects_bad_spsp_fields() {
        let secret = "6jR5iNIVRvqeasJeCty6C+YB5X9FhSOUPCL/5nha5Vs=";
        assert_eq!(
            SpspResponse::from_fields("", secret, None),
            Err(SpspError::EmptyDestination)
        );
        assert_eq!(
            SpspResponse::from_fields("g.a b", secret, None),
            Err(SpspError::InvalidDestination)
        );
        assert_eq!(
            SpspResponse::from_fields("g.a", "AAAA", None),
            Err(SpspError::SecretLength(3))
        );
        assert!(matches!(
            SpspResponse::from_fields("g.a", "****", None),
            Err(SpspError::SharedSecret(_))
        ));
    }

    #[test]
    fn debug_redacts_the_secret() {
        let r = SpspResponse::from_fields("g.a", &base64::encode(&[0x5a; 32]), None).unwrap();
        assert!(!format!("{r:?}").contains("90"));
        assert!(format!("{r:?}").contains("redacted"));
    }
}
