//! A small base64 codec (RFC 4648) for SPSP shared secrets and receipts.
//!
//! Decoding accepts the standard (`+/`) and URL-safe (`-_`) alphabets, even
//! mixed, with or without `=` padding (padding, when present, must be
//! complete). Unused low bits of the last character are ignored, as Node's
//! `Buffer.from(s, 'base64')` does. Encoding writes the standard, padded form.

use crate::text::{display_via_text, put, Text};

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Why a base64 string was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Base64Error {
    /// A byte outside both alphabets, at this byte position.
    InvalidCharacter {
        /// Byte offset in the input.
        position: usize,
    },
    /// `=` in the middle, more than two, or a padded length that is not a
    /// multiple of four.
    InvalidPadding,
    /// A length no encoding produces (one character left over).
    InvalidLength,
}

impl Text for Base64Error {
    fn put(&self, out: &mut String) {
        match self {
            Self::InvalidCharacter { position } => {
                put!(out, "invalid base64 character at position ", position);
            }
            Self::InvalidPadding => out.push_str("invalid base64 padding"),
            Self::InvalidLength => out.push_str("invalid base64 length"),
        }
    }
}

display_via_text!(Base64Error);

impl std::error::Error for Base64Error {}

/// The 6-bit value of a character in either alphabet.
const fn sextet(c: u8) -> Option<u32> {
    let v = match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' | b'-' => 62,
        b'/' | b'_' => 63,
        _ => return None,
    };
    Some(v as u32)
}

/// Decodes standard or URL-safe base64, padded or not.
pub fn decode(input: &str) -> Result<Vec<u8>, Base64Error> {
    let bytes = input.as_bytes();
    let body_len = bytes.iter().rposition(|&b| b != b'=').map_or(0, |i| i + 1);
    let pad = bytes.len() - body_len;
    if pad > 2 || (pad > 0 && bytes.len() % 4 != 0) {
        return Err(Base64Error::InvalidPadding);
    }
    let body = bytes.get(..body_len).unwrap_or_default();
    let mut out = Vec::with_capacity(body_len / 4 * 3 + 2);
    let mut acc = 0u32;
    let mut bits = 0u32;
    for (position, &c) in body.iter().enumerate() {
        let value = match sextet(c) {
            Some(v) => v,
            None if c == b'=' => return Err(Base64Error::InvalidPadding),
            None => return Err(Base64Error::InvalidCharacter { position }),
        };
        acc = (acc << 6) | value;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    if body_len % 4 == 1 {
        return Err(Base64Error::InvalidLength);
    }
    Ok(out)
}

/// Encodes standard, padded base64.
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [0, 1, 2].map(|i| chunk.get(i).copied().map_or(0, u32::from));
        let n = (b[0] << 16) | (b[1] << 8) | b[2];
        let chars = chunk.len() + 1;
        for i in 0..4 {
            if i < chars {
                let index = (n >> (18 - 6 * i)) & 0x3f;
                out.push(char::from(*STANDARD.get(index as usize).unwrap_or(&b'A')));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    // RFC 4648 §10 test vectors.
    const RFC4648: [(&str, &str); 7] = [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ];

    #[test]
    fn encodes_and_decodes_rfc4648_vectors() {
        for (plain, encoded) in RFC4648 {
            assert_eq!(encode(plain.as_bytes()), encoded);
            assert_eq!(decode(encoded).unwrap(), plain.as_bytes());
            assert_eq!(
                decode(encoded.trim_end_matches('=')).unwrap(),
                plain.as_bytes()
            );
        }
    }

    #[test]
    fn accepts_url_safe_alphabet() {
        assert_eq!(decode("-_-_").unwrap(), decode("+/+/").unwrap());
        assert_eq!(decode("-_-_").unwrap(), [0xfb, 0xff, 0xbf]);
    }

    #[test]
    fn rejects_bad_characters_padding_and_lengths() {
        assert_eq!(
            decode("Zm9v!A"),
            Err(Base64Error::InvalidCharacter { position: 4 })
        );
        assert_eq!(
            decode("Zm 9v"),
            Err(Base64Error::InvalidCharacter { position: 2 })
        );
        assert_eq!(decode("Zg="), Err(Base64Error::InvalidPadding));
        assert_eq!(decode("Z==="), Err(Base64Error::InvalidPadding));
        assert_eq!(decode("Zg==Zg=="), Err(Base64Error::InvalidPadding));
        assert_eq!(decode("="), Err(Base64Error::InvalidPadding));
        assert_eq!(decode("Zm9vY"), Err(Base64Error::InvalidLength));
    }
}
