//! Canonical OER as Interledger uses it (RFC 30).
//!
//! - **Length determinant**: one byte `0..=0x7F` for lengths up to 127; above
//!   that `0x80 + n` followed by `n` big-endian length bytes with no leading
//!   zero. Decoding rejects every non-canonical form (`81 7F`, `82 00 80`, the
//!   indefinite `80`).
//! - **VarOctetString**: a length determinant, then that many bytes.
//! - **VarUInt**: a length determinant (1..=8), then the minimal big-endian
//!   magnitude (zero is `01 00`).
//!
//! A length prefix is never trusted beyond the input: a prefix that claims
//! more bytes than remain is [`DecodeErrorKind::UnexpectedEnd`] before
//! anything is allocated (nothing here allocates at all).

use super::{DecodeError, DecodeErrorKind, Reader};

/// The number of bytes the length determinant of `len` takes.
pub const fn length_prefix_len(len: usize) -> usize {
    if len < 0x80 {
        1
    } else {
        1 + uint_magnitude_len(len as u64)
    }
}

/// The number of bytes a VarOctetString of `len` bytes takes.
pub const fn var_octet_string_len(len: usize) -> usize {
    length_prefix_len(len) + len
}

/// The number of bytes a VarUInt holding `value` takes (prefix included).
pub const fn var_uint_len(value: u64) -> usize {
    1 + uint_magnitude_len(value)
}

/// Minimal big-endian byte count of `value` (at least 1).
const fn uint_magnitude_len(value: u64) -> usize {
    let bits = 64 - value.leading_zeros() as usize;
    if bits == 0 {
        1
    } else {
        bits.div_ceil(8)
    }
}

/// Appends a canonical length determinant.
pub fn put_length_prefix(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let n = uint_magnitude_len(len as u64);
        out.push(0x80 | n as u8);
        let bytes = (len as u64).to_be_bytes();
        out.extend_from_slice(bytes.get(8 - n..).unwrap_or(&bytes));
    }
}

/// Appends a VarOctetString.
pub fn put_var_octet_string(out: &mut Vec<u8>, bytes: &[u8]) {
    put_length_prefix(out, bytes.len());
    out.extend_from_slice(bytes);
}

/// Appends a VarUInt.
pub fn put_var_uint(out: &mut Vec<u8>, value: u64) {
    let n = uint_magnitude_len(value);
    out.push(n as u8);
    let bytes = value.to_be_bytes();
    out.extend_from_slice(bytes.get(8 - n..).unwrap_or(&bytes));
}

impl<'a> Reader<'a> {
    /// Reads a canonical length determinant.
    pub fn length_prefix(&mut self, context: &'static str) -> Result<usize, DecodeError> {
        let first = self.u8(context)?;
        if first < 0x80 {
            return Ok(usize::from(first));
        }
        let n = usize::from(first & 0x7F);
        if n == 0 {
            // 0x80 is BER's indefinite form; OER has no such thing.
            return Err(DecodeError::new(DecodeErrorKind::NonCanonical, context));
        }
        if n > 8 {
            return Err(DecodeError::new(DecodeErrorKind::Overflow, context));
        }
        let bytes = self.take(n, context)?;
        let len = be_uint(bytes);
        if bytes.first() == Some(&0) || len < 0x80 {
            return Err(DecodeError::new(DecodeErrorKind::NonCanonical, context));
        }
        usize::try_from(len).map_err(|_| DecodeError::new(DecodeErrorKind::Overflow, context))
    }

    /// Reads a VarOctetString, borrowing its contents.
    pub fn var_octet_string(&mut self, context: &'static str) -> Result<&'a [u8], DecodeError> {
        let len = self.length_prefix(context)?;
        self.take(len, context)
    }

    /// Reads a VarOctetString as a reader over its contents.
    pub fn var_octet_reader(&mut self, context: &'static str) -> Result<Self, DecodeError> {
        self.var_octet_string(context).map(Reader::new)
    }

    /// Reads a canonical VarUInt of at most 8 magnitude bytes.
    pub fn var_uint(&mut self, context: &'static str) -> Result<u64, DecodeError> {
        let bytes = self.var_octet_string(context)?;
        check_var_uint(bytes, context)?;
        if bytes.len() > 8 {
            return Err(DecodeError::new(DecodeErrorKind::Overflow, context));
        }
        Ok(be_uint(bytes))
    }

    /// Reads a canonical VarUInt, saturating to `u64::MAX` when it is longer
    /// than 8 bytes.
    ///
    /// RFC 29 requires this of exactly two fields, `StreamMaxMoney.receiveMax`
    /// and `StreamMoneyBlocked.sendMax`; everything else uses
    /// [`Reader::var_uint`].
    pub fn var_uint_saturating(&mut self, context: &'static str) -> Result<u64, DecodeError> {
        let bytes = self.var_octet_string(context)?;
        check_var_uint(bytes, context)?;
        if bytes.len() > 8 {
            return Ok(u64::MAX);
        }
        Ok(be_uint(bytes))
    }
}

/// A VarUInt's magnitude must be non-empty and minimal.
fn check_var_uint(bytes: &[u8], context: &'static str) -> Result<(), DecodeError> {
    match bytes {
        [] => Err(DecodeError::new(DecodeErrorKind::NonCanonical, context)),
        [0, _, ..] => Err(DecodeError::new(DecodeErrorKind::NonCanonical, context)),
        _ => Ok(()),
    }
}

/// Big-endian value of at most 8 bytes (callers check the length).
fn be_uint(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::test_hex as hex;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    // Length determinant examples from RFC 30 / the digest (§1.1).
    #[test]
    fn decodes_length_prefix_vectors() {
        for (bytes, len) in [
            ("07", 7usize),
            ("7f", 127),
            ("8180", 128),
            ("8182", 130),
            ("821234", 4660),
            ("83abcdef", 11_259_375),
        ] {
            let b = hex(bytes);
            let mut r = Reader::new(&b);
            assert_eq!(r.length_prefix("len").unwrap(), len, "{bytes}");
            assert!(r.is_empty());
            let mut out = Vec::new();
            put_length_prefix(&mut out, len);
            assert_eq!(out, b, "re-encode {len}");
            assert_eq!(length_prefix_len(len), b.len());
        }
    }

    #[test]
    fn rejects_non_canonical_length() {
        for bytes in ["817f", "8100", "80", "820080", "82007f"] {
            let b = hex(bytes);
            let err = Reader::new(&b).length_prefix("len").unwrap_err();
            assert_eq!(err.kind, DecodeErrorKind::NonCanonical, "{bytes}");
        }
    }

    #[test]
    fn huge_length_prefix_on_short_input_is_an_error() {
        // Claims 4 GB; only a few bytes follow.
        let b = hex("84ffffffff0102030405");
        let err = Reader::new(&b).var_octet_string("data").unwrap_err();
        assert_eq!(err.kind, DecodeErrorKind::UnexpectedEnd);
        let b = hex("89010000000000000000");
        let err = Reader::new(&b).length_prefix("len").unwrap_err();
        assert_eq!(err.kind, DecodeErrorKind::Overflow);
    }

    #[test]
    fn decodes_var_uint_vectors() {
        for (bytes, value) in [
            ("0100", 0u64),
            ("0109", 9),
            ("020102", 258),
            ("08ffffffffffffffff", u64::MAX),
        ] {
            let b = hex(bytes);
            assert_eq!(Reader::new(&b).var_uint("v").unwrap(), value, "{bytes}");
            let mut out = Vec::new();
            put_var_uint(&mut out, value);
            assert_eq!(out, b);
            assert_eq!(var_uint_len(value), b.len());
        }
    }

    #[test]
    fn rejects_bad_var_uints() {
        let cases = [
            ("00", DecodeErrorKind::NonCanonical),
            ("020001", DecodeErrorKind::NonCanonical),
            ("09010000000000000000", DecodeErrorKind::Overflow),
            ("0201", DecodeErrorKind::UnexpectedEnd),
        ];
        for (bytes, kind) in cases {
            let b = hex(bytes);
            assert_eq!(
                Reader::new(&b).var_uint("v").unwrap_err().kind,
                kind,
                "{bytes}"
            );
        }
    }

    #[test]
    fn saturating_var_uint_caps_long_values() {
        let b = hex("09010000000000000000");
        assert_eq!(
            Reader::new(&b).var_uint_saturating("max").unwrap(),
            u64::MAX
        );
        let b = hex("0201c8");
        assert_eq!(Reader::new(&b).var_uint_saturating("max").unwrap(), 456);
    }

    #[test]
    fn var_octet_string_round_trips_across_the_short_long_boundary() {
        for len in [0usize, 1, 127, 128, 255, 256, 32767, 70000] {
            let data = vec![0xA5; len];
            let mut out = Vec::new();
            put_var_octet_string(&mut out, &data);
            assert_eq!(out.len(), var_octet_string_len(len));
            let mut r = Reader::new(&out);
            assert_eq!(r.var_octet_string("s").unwrap(), &data[..]);
            assert!(r.is_empty());
        }
    }
}
