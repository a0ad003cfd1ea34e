//! ILP addresses (RFC 15).
//!
//! `scheme ("." segment)+` where the scheme is one of `g`, `private`,
//! `example`, `peer`, `self`, `test`, `test1`, `test2`, `test3`, `local`, a
//! segment is one or more of `A-Z a-z 0-9 _ ~ -`, and the whole address is at
//! most 1023 bytes. Checked by hand, byte by byte; no regex.

use core::fmt;

use crate::text::{display_via_text, put, Text};

use crate::codec::oer::{put_var_octet_string, var_octet_string_len};
use crate::codec::{Decode, DecodeError, Encode, Reader};

/// The longest allowed address, in bytes.
pub const MAX_ADDRESS_LEN: usize = 1023;

/// The allocation schemes RFC 15 defines.
pub const SCHEMES: [&str; 10] = [
    "g", "private", "example", "peer", "self", "test", "test1", "test2", "test3", "local",
];

/// Why a string is not an ILP address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AddressError {
    /// The address is empty.
    Empty,
    /// The address is longer than [`MAX_ADDRESS_LEN`] bytes.
    TooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// The first segment is not one of [`SCHEMES`].
    UnknownScheme,
    /// The scheme is not followed by at least one segment.
    MissingSegment,
    /// A segment is empty (`..`, or a trailing `.`); `position` is the byte
    /// index where the empty segment starts.
    EmptySegment {
        /// Byte index of the empty segment.
        position: usize,
    },
    /// A byte that is not allowed in a segment.
    InvalidChar {
        /// Byte index of the offending byte.
        position: usize,
        /// The byte itself.
        byte: u8,
    },
}

impl Text for AddressError {
    fn put(&self, out: &mut String) {
        match self {
            Self::Empty => out.push_str("empty ILP address"),
            Self::TooLong { len } => {
                put!(
                    out,
                    "ILP address is ",
                    len,
                    " bytes long (max ",
                    MAX_ADDRESS_LEN,
                    ")"
                );
            }
            Self::UnknownScheme => out.push_str("unknown ILP address scheme"),
            Self::MissingSegment => out.push_str("ILP address has no segment after the scheme"),
            Self::EmptySegment { position } => {
                put!(
                    out,
                    "empty segment at position ",
                    position,
                    " of ILP address"
                );
            }
            Self::InvalidChar { position, byte } => {
                out.push_str("invalid byte ");
                crate::text::push_byte_char_debug(out, *byte);
                put!(out, " at position ", position, " of ILP address");
            }
        }
    }
}

display_via_text!(AddressError);

impl std::error::Error for AddressError {}

const fn is_segment_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'~' | b'-')
}

/// Checks the RFC 15 grammar.
fn validate(bytes: &[u8]) -> Result<(), AddressError> {
    if bytes.is_empty() {
        return Err(AddressError::Empty);
    }
    if bytes.len() > MAX_ADDRESS_LEN {
        return Err(AddressError::TooLong { len: bytes.len() });
    }
    let scheme_end = bytes.iter().position(|&b| b == b'.');
    let scheme = bytes
        .get(..scheme_end.unwrap_or(bytes.len()))
        .unwrap_or(bytes);
    if !SCHEMES.iter().any(|s| s.as_bytes() == scheme) {
        return Err(AddressError::UnknownScheme);
    }
    let Some(scheme_end) = scheme_end else {
        return Err(AddressError::MissingSegment);
    };
    let mut segment_start = scheme_end + 1;
    for (position, &b) in bytes.iter().enumerate().skip(segment_start) {
        if b == b'.' {
            if position == segment_start {
                return Err(AddressError::EmptySegment { position });
            }
            segment_start = position + 1;
        } else if !is_segment_byte(b) {
            return Err(AddressError::InvalidChar { position, byte: b });
        }
    }
    if segment_start == bytes.len() {
        return Err(AddressError::EmptySegment {
            position: segment_start,
        });
    }
    Ok(())
}

/// A validated ILP address borrowed from elsewhere (a packet, a constant).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address<'a>(&'a str);

impl<'a> Address<'a> {
    /// Validates `s` as an ILP address.
    pub fn new(s: &'a str) -> Result<Self, AddressError> {
        validate(s.as_bytes())?;
        Ok(Self(s))
    }

    /// Validates raw bytes (for instance from the wire) as an ILP address.
    pub fn from_bytes(bytes: &'a [u8]) -> Result<Self, AddressError> {
        validate(bytes)?;
        // Validation admits ASCII only, so this conversion cannot fail.
        core::str::from_utf8(bytes)
            .map(Self)
            .map_err(|_| AddressError::InvalidChar {
                position: 0,
                byte: 0,
            })
    }

    /// An address known to be valid at compile time; callers keep a test
    /// that [`Address::new`] accepts the same text.
    pub(crate) const fn new_unchecked(s: &'a str) -> Self {
        Self(s)
    }

    /// The address as text.
    pub const fn as_str(&self) -> &'a str {
        self.0
    }

    /// The address as ASCII bytes.
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.0.as_bytes()
    }

    /// Its length in bytes.
    pub const fn len(&self) -> usize {
        self.0.len()
    }

    /// Always `false`: an address has at least three bytes.
    pub const fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The allocation scheme (the first segment), e.g. `"g"`.
    pub fn scheme(&self) -> &'a str {
        self.segments().next().unwrap_or(self.0)
    }

    /// All segments, the scheme first.
    pub fn segments(&self) -> core::str::Split<'a, char> {
        self.0.split('.')
    }

    /// This address with `.suffix` appended, validated.
    pub fn with_suffix(&self, suffix: &str) -> Result<OwnedAddress, AddressError> {
        let mut s = String::with_capacity(self.0.len() + 1 + suffix.len());
        s.push_str(self.0);
        s.push('.');
        s.push_str(suffix);
        OwnedAddress::new(s)
    }

    /// Copies the address into an [`OwnedAddress`].
    pub fn to_owned_address(&self) -> OwnedAddress {
        OwnedAddress(self.0.to_owned())
    }
}

impl fmt::Debug for Address<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Address({:?})", self.0)
    }
}

impl fmt::Display for Address<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl<'a> TryFrom<&'a str> for Address<'a> {
    type Error = AddressError;

    fn try_from(s: &'a str) -> Result<Self, AddressError> {
        Self::new(s)
    }
}

impl Encode for Address<'_> {
    fn encoded_len(&self) -> usize {
        var_octet_string_len(self.0.len())
    }

    fn encode(&self, out: &mut Vec<u8>) {
        put_var_octet_string(out, self.as_bytes());
    }
}

impl<'a> Decode<'a> for Address<'a> {
    /// Reads a VarOctetString holding a valid address.
    fn decode(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let bytes = r.var_octet_string("ilp address")?;
        Self::from_bytes(bytes).map_err(|_| DecodeError::invalid("ilp address"))
    }
}

/// A validated ILP address that owns its text.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OwnedAddress(String);

impl OwnedAddress {
    /// Validates `s` as an ILP address.
    pub fn new(s: String) -> Result<Self, AddressError> {
        validate(s.as_bytes())?;
        Ok(Self(s))
    }

    /// `private.unresolved`: a valid address standing for one not known
    /// yet (never sent to).
    pub(crate) fn unresolved() -> Self {
        // RFC 15: the "private" scheme and one lowercase segment.
        Self("private.unresolved".to_owned())
    }

    /// Borrows it as an [`Address`].
    pub fn as_address(&self) -> Address<'_> {
        Address(&self.0)
    }

    /// The address as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// This address with `.suffix` appended, validated.
    pub fn with_suffix(&self, suffix: &str) -> Result<Self, AddressError> {
        self.as_address().with_suffix(suffix)
    }

    /// The text.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Debug for OwnedAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OwnedAddress({:?})", self.0)
    }
}

impl fmt::Display for OwnedAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<Address<'_>> for OwnedAddress {
    fn from(a: Address<'_>) -> Self {
        a.to_owned_address()
    }
}

impl core::str::FromStr for OwnedAddress {
    type Err = AddressError;

    fn from_str(s: &str) -> Result<Self, AddressError> {
        Self::new(s.to_owned())
    }
}

impl PartialEq<Address<'_>> for OwnedAddress {
    fn eq(&self, other: &Address<'_>) -> bool {
        self.0 == other.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn accepts_every_scheme() {
        for scheme in SCHEMES {
            let s = format!("{scheme}.a-b_c~D9");
            let a = Address::new(&s).unwrap();
            assert_eq!(a.scheme(), scheme);
        }
    }

    #[test]
    fn rejects_unknown_scheme() {
        for s in ["G.alice", "test4.x", "gg.x", "private1.x", ".g.x", "x"] {
            assert_eq!(Address::new(s), Err(AddressError::UnknownScheme), "{s}");
        }
    }

    #[test]
    fn rejects_scheme_alone() {
        assert_eq!(Address::new("g"), Err(AddressError::MissingSegment));
        assert_eq!(Address::new(""), Err(AddressError::Empty));
    }

    #[test]
    fn rejects_empty_segments() {
        assert_eq!(
            Address::new("g."),
            Err(AddressError::EmptySegment { position: 2 })
        );
        assert_eq!(
            Address::new("g.a..b"),
            Err(AddressError::EmptySegment { position: 4 })
        );
        assert_eq!(
            Address::new("g.a.b."),
            Err(AddressError::EmptySegment { position: 6 })
        );
    }

    #[test]
    fn rejects_bad_chars_with_position() {
        assert_eq!(
            Address::new("g.ali ce"),
            Err(AddressError::InvalidChar {
                position: 5,
                byte: b' '
            })
        );
        assert_eq!(
            Address::from_bytes(b"g.\xff"),
            Err(AddressError::InvalidChar {
                position: 2,
                byte: 0xff
            })
        );
        assert!(Address::new("g.a+b").is_err());
        assert!(Address::new("g.a/b").is_err());
    }

    #[test]
    fn enforces_length_limit() {
        let ok = format!("g.{}", "a".repeat(1021));
        assert!(Address::new(&ok).is_ok());
        let long = format!("g.{}", "a".repeat(1022));
        assert_eq!(
            Address::new(&long),
            Err(AddressError::TooLong { len: 1024 })
        );
    }

    #[test]
    fn splits_segments_and_appends_suffix() {
        let a = Address::new("example.top.middle").unwrap();
        assert_eq!(
            a.segments().collect::<Vec<_>>(),
            ["example", "top", "middle"]
        );
        let b = a.with_suffix("lower").unwrap();
        assert_eq!(b.as_str(), "example.top.middle.lower");
        assert!(a.with_suffix("").is_err());
        assert!(a.with_suffix("a.b").is_ok());
    }

    #[test]
    fn decodes_address_vector() {
        // interledger/rfcs 0030 / interledger-rs oer.rs (digest oer.json).
        let bytes = b"\x18example.top.middle.lower";
        let a = Address::from_bytes(&bytes[1..]).unwrap();
        assert_eq!(Address::decode(&mut Reader::new(bytes)).unwrap(), a);
        assert_eq!(a.to_bytes(), bytes);
    }

    #[test]
    fn the_unresolved_placeholder_is_a_valid_address() {
        let a = OwnedAddress::unresolved();
        assert!(OwnedAddress::new(a.as_str().to_owned()).is_ok());
    }
}
