//! BTP protocol data: the list of `(name, content type, data)` entries every
//! BTP packet ends with.

use core::fmt;

use crate::codec::oer::{put_var_octet_string, put_var_uint, var_octet_string_len, var_uint_len};
use crate::codec::{Decode, DecodeError, Encode, Reader};

/// The content type byte of a protocol data entry.
///
/// Unknown values are kept as they are.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ContentType(pub u8);

impl ContentType {
    /// `0`, `application/octet-stream`.
    pub const OCTET_STREAM: Self = Self(0);
    /// `1`, `text/plain;charset=utf-8`.
    pub const TEXT_PLAIN_UTF8: Self = Self(1);
    /// `2`, `application/json`.
    pub const JSON: Self = Self(2);

    /// The MIME type it stands for, if known.
    pub const fn mime(self) -> Option<&'static str> {
        match self {
            Self::OCTET_STREAM => Some("application/octet-stream"),
            Self::TEXT_PLAIN_UTF8 => Some("text/plain;charset=utf-8"),
            Self::JSON => Some("application/json"),
            _ => None,
        }
    }
}

impl fmt::Debug for ContentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.mime() {
            Some(mime) => write!(f, "ContentType({mime})"),
            None => write!(f, "ContentType({})", self.0),
        }
    }
}

/// One protocol data entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProtocolData<'a> {
    /// The sub-protocol name (ASCII), e.g. `"ilp"` or `"auth_token"`.
    pub name: &'a str,
    /// How `data` is to be read.
    pub content_type: ContentType,
    /// The payload.
    pub data: &'a [u8],
}

impl Encode for ProtocolData<'_> {
    fn encoded_len(&self) -> usize {
        var_octet_string_len(self.name.len()) + 1 + var_octet_string_len(self.data.len())
    }

    fn encode(&self, out: &mut Vec<u8>) {
        put_var_octet_string(out, self.name.as_bytes());
        out.push(self.content_type.0);
        put_var_octet_string(out, self.data);
    }
}

impl<'a> Decode<'a> for ProtocolData<'a> {
    fn decode(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let name = r.var_octet_string("btp protocol name")?;
        if !name.is_ascii() {
            return Err(DecodeError::invalid("btp protocol name"));
        }
        // ASCII is valid UTF-8, so this cannot fail.
        let name =
            core::str::from_utf8(name).map_err(|_| DecodeError::invalid("btp protocol name"))?;
        Ok(Self {
            name,
            content_type: ContentType(r.u8("btp content type")?),
            data: r.var_octet_string("btp protocol data")?,
        })
    }
}

#[derive(Clone, Copy)]
enum Repr<'a> {
    /// Entries as received: `count` entries, validated, in `bytes`.
    Wire { count: usize, bytes: &'a [u8] },
    /// Entries supplied by the caller for encoding.
    Slice(&'a [ProtocolData<'a>]),
}

/// A list of protocol data entries, either borrowed from a decoded packet
/// (no allocation; every entry was validated while decoding) or from a
/// caller's slice.
///
/// The first entry is the primary sub-protocol; [`Entries::get`] finds one
/// by name.
#[derive(Clone, Copy)]
pub struct Entries<'a>(Repr<'a>);

impl<'a> Entries<'a> {
    /// No entries.
    pub const EMPTY: Self = Self(Repr::Slice(&[]));

    /// Entries to encode.
    pub const fn new(entries: &'a [ProtocolData<'a>]) -> Self {
        Self(Repr::Slice(entries))
    }

    /// How many entries there are.
    pub const fn len(&self) -> usize {
        match self.0 {
            Repr::Wire { count, .. } => count,
            Repr::Slice(s) => s.len(),
        }
    }

    /// Whether there are none.
    pub const fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The entries in order.
    pub fn iter(&self) -> Iter<'a> {
        Iter(match self.0 {
            Repr::Wire { count, bytes } => IterRepr::Wire {
                left: count,
                reader: Reader::new(bytes),
            },
            Repr::Slice(s) => IterRepr::Slice(s.iter()),
        })
    }

    /// The first (primary) entry.
    pub fn first(&self) -> Option<ProtocolData<'a>> {
        self.iter().next()
    }

    /// The first entry called `name`.
    pub fn get(&self, name: &str) -> Option<ProtocolData<'a>> {
        self.iter().find(|e| e.name == name)
    }
}

impl<'a> From<&'a [ProtocolData<'a>]> for Entries<'a> {
    fn from(entries: &'a [ProtocolData<'a>]) -> Self {
        Self::new(entries)
    }
}

impl<'a, const N: usize> From<&'a [ProtocolData<'a>; N]> for Entries<'a> {
    fn from(entries: &'a [ProtocolData<'a>; N]) -> Self {
        Self::new(entries)
    }
}

impl PartialEq for Entries<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for Entries<'_> {}

impl fmt::Debug for Entries<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Default for Entries<'_> {
    fn default() -> Self {
        Self::EMPTY
    }
}

impl<'a> IntoIterator for &Entries<'a> {
    type Item = ProtocolData<'a>;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl Encode for Entries<'_> {
    fn encoded_len(&self) -> usize {
        match self.0 {
            Repr::Wire { count, bytes } => var_uint_len(count as u64) + bytes.len(),
            Repr::Slice(s) => {
                var_uint_len(s.len() as u64) + s.iter().map(Encode::encoded_len).sum::<usize>()
            }
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        match self.0 {
            Repr::Wire { count, bytes } => {
                put_var_uint(out, count as u64);
                out.extend_from_slice(bytes);
            }
            Repr::Slice(s) => {
                put_var_uint(out, s.len() as u64);
                for entry in s {
                    entry.encode(out);
                }
            }
        }
    }
}

impl<'a> Decode<'a> for Entries<'a> {
    /// Reads the count and validates every entry, keeping the raw bytes.
    fn decode(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let count = r.var_uint("btp protocol data count")?;
        let start = r.clone();
        let mut n = 0usize;
        // Each entry takes at least 3 bytes, so a huge count fails fast.
        while (n as u64) < count {
            ProtocolData::decode(r)?;
            n += 1;
        }
        let bytes = start
            .clone()
            .take(start.remaining() - r.remaining(), "btp protocol data")?;
        Ok(Self(Repr::Wire { count: n, bytes }))
    }
}

enum IterRepr<'a> {
    Wire { left: usize, reader: Reader<'a> },
    Slice(core::slice::Iter<'a, ProtocolData<'a>>),
}

/// Iterator over [`Entries`].
pub struct Iter<'a>(IterRepr<'a>);

impl<'a> Iterator for Iter<'a> {
    type Item = ProtocolData<'a>;

    fn next(&mut self) -> Option<ProtocolData<'a>> {
        match &mut self.0 {
            IterRepr::Wire { left, reader } => {
                if *left == 0 {
                    return None;
                }
                *left -= 1;
                // Validated when decoded, so this never fails; stop if it did.
                ProtocolData::decode(reader).ok()
            }
            IterRepr::Slice(it) => it.next().copied(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::DecodeErrorKind;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn decoded_entries_equal_the_slice_they_came_from() {
        let list = [
            ProtocolData {
                name: "ilp",
                content_type: ContentType::OCTET_STREAM,
                data: b"",
            },
            ProtocolData {
                name: "beep",
                content_type: ContentType::TEXT_PLAIN_UTF8,
                data: b"boop",
            },
        ];
        let entries = Entries::new(&list);
        let bytes = entries.to_bytes();
        assert_eq!(bytes.len(), entries.encoded_len());
        let decoded = Entries::from_bytes(&bytes).unwrap();
        assert_eq!(decoded, entries);
        assert_eq!(decoded.get("beep").unwrap().data, b"boop");
        assert_eq!(decoded.first().unwrap().name, "ilp");
        assert!(decoded.get("nope").is_none());
        assert_eq!(decoded.to_bytes(), bytes);
    }

    #[test]
    fn rejects_huge_count_without_entries() {
        let err = Entries::from_bytes(&[4, 0xff, 0xff, 0xff, 0xff]).unwrap_err();
        assert_eq!(err.kind, DecodeErrorKind::UnexpectedEnd);
    }

    #[test]
    fn rejects_non_ascii_protocol_name() {
        let err = Entries::from_bytes(&[1, 1, 1, 0xe9, 0, 0]).unwrap_err();
        assert_eq!(err.kind, DecodeErrorKind::InvalidValue);
    }

    #[test]
    fn unknown_content_type_survives() {
        let bytes = [1, 1, 1, b'x', 9, 0];
        let e = Entries::from_bytes(&bytes).unwrap();
        assert_eq!(e.first().unwrap().content_type, ContentType(9));
        assert_eq!(e.to_bytes(), bytes);
    }
}
