//! Byte-level reading and writing shared by every wire format in the crate.
//!
//! All untrusted bytes are read through [`Reader`], which never indexes out of
//! bounds, never allocates, and names what it was reading when it fails.
//! Encoders write into a caller-owned `Vec<u8>` through the [`Encode`] trait;
//! [`Encode::encoded_len`] is exact, so buffers are allocated once.
//!
//! The OER rules themselves (RFC 30) live in [`oer`].

pub mod oer;

use crate::text::{display_via_text, put, Text};

/// What went wrong while decoding bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// The input ended before the field did.
    UnexpectedEnd,
    /// The field is valid OER but not canonical OER (RFC 30 requires canonical
    /// encodings: minimal length prefixes and minimal integers).
    NonCanonical,
    /// A number does not fit the type it is decoded into.
    Overflow,
    /// Bytes were left over inside a length-delimited field whose structure is
    /// fully defined.
    TrailingBytes,
    /// The bytes are well-formed but the value is not allowed (an unknown
    /// packet type, an address with a forbidden character, …).
    InvalidValue,
}

/// A decoding failure: what went wrong and in which field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeError {
    /// What went wrong.
    pub kind: DecodeErrorKind,
    /// The field or structure being read, e.g. `"ilp prepare destination"`.
    pub context: &'static str,
}

impl DecodeError {
    /// A new error of `kind` while reading `context`.
    pub const fn new(kind: DecodeErrorKind, context: &'static str) -> Self {
        Self { kind, context }
    }

    /// An [`DecodeErrorKind::InvalidValue`] error while reading `context`.
    pub const fn invalid(context: &'static str) -> Self {
        Self::new(DecodeErrorKind::InvalidValue, context)
    }
}

impl Text for DecodeError {
    fn put(&self, out: &mut String) {
        let what = match self.kind {
            DecodeErrorKind::UnexpectedEnd => "input ended early",
            DecodeErrorKind::NonCanonical => "non-canonical encoding",
            DecodeErrorKind::Overflow => "number too large",
            DecodeErrorKind::TrailingBytes => "unexpected trailing bytes",
            DecodeErrorKind::InvalidValue => "invalid value",
        };
        put!(out, what, " in ", self.context);
    }
}

display_via_text!(DecodeError);

impl std::error::Error for DecodeError {}

/// A cursor over untrusted bytes.
///
/// Every read checks the remaining length first and returns a
/// [`DecodeError`] naming the field (`context`) instead of panicking.
/// Borrowed slices share the input's lifetime, so decoders copy nothing.
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader over `bytes`.
    pub const fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    /// How many bytes are left.
    pub const fn remaining(&self) -> usize {
        self.rest.len()
    }

    /// Whether every byte has been read.
    pub const fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// Takes the next `n` bytes.
    pub fn take(&mut self, n: usize, context: &'static str) -> Result<&'a [u8], DecodeError> {
        if n > self.rest.len() {
            return Err(DecodeError::new(DecodeErrorKind::UnexpectedEnd, context));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    /// Takes the next `N` bytes as an array.
    pub fn take_array<const N: usize>(
        &mut self,
        context: &'static str,
    ) -> Result<[u8; N], DecodeError> {
        let bytes = self.take(N, context)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    /// Takes everything that is left.
    pub fn rest(&mut self) -> &'a [u8] {
        core::mem::take(&mut self.rest)
    }

    /// Takes the next `n` bytes as a reader of their own.
    pub fn sub(&mut self, n: usize, context: &'static str) -> Result<Self, DecodeError> {
        self.take(n, context).map(Reader::new)
    }

    /// Fails with [`DecodeErrorKind::TrailingBytes`] unless every byte was read.
    pub fn expect_end(&self, context: &'static str) -> Result<(), DecodeError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::new(DecodeErrorKind::TrailingBytes, context))
        }
    }

    /// Reads one byte.
    pub fn u8(&mut self, context: &'static str) -> Result<u8, DecodeError> {
        self.take_array::<1>(context).map(|[b]| b)
    }

    /// Reads a big-endian `u16`.
    pub fn u16(&mut self, context: &'static str) -> Result<u16, DecodeError> {
        self.take_array(context).map(u16::from_be_bytes)
    }

    /// Reads a big-endian `u32`.
    pub fn u32(&mut self, context: &'static str) -> Result<u32, DecodeError> {
        self.take_array(context).map(u32::from_be_bytes)
    }

    /// Reads a big-endian `u64`.
    pub fn u64(&mut self, context: &'static str) -> Result<u64, DecodeError> {
        self.take_array(context).map(u64::from_be_bytes)
    }
}

/// A value that can be written in its wire form.
pub trait Encode {
    /// The exact number of bytes [`Encode::encode`] writes.
    fn encoded_len(&self) -> usize;

    /// Appends the wire form to `out`.
    fn encode(&self, out: &mut Vec<u8>);

    /// The wire form in a new vector of exactly the right capacity.
    fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.encode(&mut out);
        out
    }
}

/// A value that can be read from its wire form, borrowing from the input.
pub trait Decode<'a>: Sized {
    /// Reads one value from `r`, leaving any bytes after it unread.
    fn decode(r: &mut Reader<'a>) -> Result<Self, DecodeError>;

    /// Reads one value from `bytes`.
    ///
    /// Bytes after the value are ignored, as RFC 30 requires of a whole
    /// message ("decoders MUST ignore extra bytes at the end"); inner fields
    /// are still checked strictly by [`Decode::decode`].
    fn from_bytes(bytes: &'a [u8]) -> Result<Self, DecodeError> {
        Self::decode(&mut Reader::new(bytes))
    }
}

/// Bytes from a hex string, for unit tests' vectors.
#[cfg(test)]
pub(crate) fn test_hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn take_past_end_is_an_error_not_a_panic() {
        let mut r = Reader::new(&[1, 2, 3]);
        assert_eq!(r.take(2, "x").unwrap(), &[1, 2]);
        let err = r.take(2, "field y").unwrap_err();
        assert_eq!(err.kind, DecodeErrorKind::UnexpectedEnd);
        assert_eq!(err.context, "field y");
        assert_eq!(r.remaining(), 1, "a failed take consumes nothing");
    }

    #[test]
    fn fixed_width_integers_are_big_endian() {
        let mut r = Reader::new(&[0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07]);
        assert_eq!(r.u8("a").unwrap(), 1);
        assert_eq!(r.u16("b").unwrap(), 0x0203);
        assert_eq!(r.u64("c").unwrap_err().kind, DecodeErrorKind::UnexpectedEnd);
        assert_eq!(r.u32("d").unwrap(), 0x0405_0607);
        r.expect_end("end").unwrap();
    }

    #[test]
    fn expect_end_reports_leftovers() {
        let mut r = Reader::new(&[9, 9]);
        r.u8("a").unwrap();
        assert_eq!(
            r.expect_end("s").unwrap_err().kind,
            DecodeErrorKind::TrailingBytes
        );
        assert_eq!(r.rest(), &[9]);
        r.expect_end("s").unwrap();
    }

    #[test]
    fn errors_read_as_sentences() {
        let e = DecodeError::new(DecodeErrorKind::NonCanonical, "length prefix");
        assert_eq!(e.to_string(), "non-canonical encoding in length prefix");
    }
}
