//! STREAM cryptography (RFC 29 §4.1, §5.1): key derivation, the AES-256-GCM
//! envelope and fulfillments.
//!
//! ```text
//! encryption_key  = HMAC-SHA256(shared_secret, "ilp_stream_encryption")
//! fulfillment_key = HMAC-SHA256(shared_secret, "ilp_stream_fulfillment")
//! sealed data     = nonce (12) ‖ tag (16) ‖ ciphertext      (no AAD)
//! fulfillment     = HMAC-SHA256(fulfillment_key, sealed data)
//! condition       = SHA-256(fulfillment)
//! ```
//!
//! Everything is synchronous and pure Rust. Nonces are passed in by the
//! caller (from [`crate::rand::Rng`]); a nonce must never repeat under one
//! key.

use core::fmt;

use aes_gcm::aead::AeadInPlace;
use aes_gcm::{Aes256Gcm, KeyInit, Nonce, Tag};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// Bytes of AES-GCM nonce at the start of sealed data.
pub const NONCE_LEN: usize = 12;
/// Bytes of AES-GCM tag after the nonce.
pub const TAG_LEN: usize = 16;
/// Bytes sealing adds to a plaintext.
pub const OVERHEAD: usize = NONCE_LEN + TAG_LEN;

const ENCRYPTION_LABEL: &[u8] = b"ilp_stream_encryption";
const FULFILLMENT_LABEL: &[u8] = b"ilp_stream_fulfillment";

/// The keys of one STREAM connection, derived once from the shared secret.
///
/// Holds the expanded AES key schedule and the keyed HMAC state, so sealing,
/// opening and computing fulfillments do no key setup per packet.
#[derive(Clone)]
pub struct Keys {
    cipher: Aes256Gcm,
    fulfillment: Hmac<Sha256>,
}

impl Keys {
    /// Derives the keys from a 32-byte shared secret (as SPSP hands out).
    pub fn new(shared_secret: &[u8; 32]) -> Self {
        Self::from_secret_bytes(shared_secret)
    }

    /// Derives the keys from a shared secret of any length. RFC 29 recommends
    /// 32 random bytes; other lengths exist only in test vectors.
    pub fn from_secret_bytes(shared_secret: &[u8]) -> Self {
        let secret = hmac_sha256_key(shared_secret);
        let encryption_key = hmac_once(&secret, ENCRYPTION_LABEL);
        let fulfillment_key = hmac_once(&secret, FULFILLMENT_LABEL);
        Self::from_derived(&encryption_key, &fulfillment_key)
    }

    /// Keys from already derived encryption and fulfillment keys.
    fn from_derived(encryption_key: &[u8; 32], fulfillment_key: &[u8; 32]) -> Self {
        Self {
            cipher: Aes256Gcm::new(&(*encryption_key).into()),
            fulfillment: hmac_sha256_key(fulfillment_key),
        }
    }
}

impl fmt::Debug for Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Keys { .. }")
    }
}

/// Why [`seal`] failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SealError {
    /// The plaintext is longer than AES-GCM allows (about 64 GB).
    TooLong,
}

impl fmt::Display for SealError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("plaintext too long for AES-GCM")
    }
}

impl std::error::Error for SealError {}

/// Why [`open`] failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecryptError {
    /// Fewer than 28 bytes: no room for nonce and tag.
    TooShort,
    /// The tag does not match: wrong key, or the data was altered.
    Authentication,
}

impl fmt::Display for DecryptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::TooShort => "sealed STREAM data shorter than nonce and tag",
            Self::Authentication => "STREAM data failed authentication",
        })
    }
}

impl std::error::Error for DecryptError {}

/// Encrypts `plaintext` and appends `nonce ‖ tag ‖ ciphertext` to `out`.
///
/// On error `out` is left as it was.
pub fn seal(
    keys: &Keys,
    nonce: [u8; NONCE_LEN],
    plaintext: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), SealError> {
    let start = out.len();
    out.reserve(OVERHEAD + plaintext.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&[0; TAG_LEN]);
    out.extend_from_slice(plaintext);
    let sealed = out
        .get_mut(start..)
        .and_then(|s| s.split_at_mut_checked(NONCE_LEN))
        .and_then(|(_, rest)| rest.split_at_mut_checked(TAG_LEN));
    let result = match sealed {
        Some((tag, body)) => keys
            .cipher
            .encrypt_in_place_detached(&Nonce::from(nonce), &[], body)
            .map(|t| tag.copy_from_slice(&t))
            .map_err(|_| SealError::TooLong),
        // Unreachable: `out` grew by at least OVERHEAD bytes just above.
        None => Err(SealError::TooLong),
    };
    if result.is_err() {
        out.truncate(start);
    }
    result
}

/// Decrypts sealed data (`nonce ‖ tag ‖ ciphertext`) into a new vector.
pub fn open(keys: &Keys, data: &[u8]) -> Result<Vec<u8>, DecryptError> {
    let mut out = Vec::new();
    open_into(keys, data, &mut out)?;
    Ok(out)
}

/// Decrypts sealed data, replacing the contents of `out` with the plaintext
/// (so one buffer can be reused for every packet). On error `out` is empty.
pub fn open_into(keys: &Keys, data: &[u8], out: &mut Vec<u8>) -> Result<(), DecryptError> {
    out.clear();
    let (nonce, rest) = data
        .split_first_chunk::<NONCE_LEN>()
        .ok_or(DecryptError::TooShort)?;
    let (tag, ciphertext) = rest
        .split_first_chunk::<TAG_LEN>()
        .ok_or(DecryptError::TooShort)?;
    out.extend_from_slice(ciphertext);
    let result = keys.cipher.decrypt_in_place_detached(
        &Nonce::from(*nonce),
        &[],
        out.as_mut_slice(),
        &Tag::from(*tag),
    );
    if result.is_err() {
        out.clear();
        return Err(DecryptError::Authentication);
    }
    Ok(())
}

/// The fulfillment for sealed `data`: HMAC-SHA256(fulfillment_key, data).
pub fn fulfillment(keys: &Keys, data: &[u8]) -> [u8; 32] {
    let mut mac = keys.fulfillment.clone();
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// The execution condition of a fulfillment: SHA-256(fulfillment).
pub fn condition(fulfillment: &[u8; 32]) -> [u8; 32] {
    Sha256::digest(fulfillment).into()
}

/// A keyed HMAC-SHA256 state, built without a fallible constructor.
///
/// HMAC pads keys up to the 64-byte block with zeros and first hashes keys
/// longer than that (RFC 2104 §2); doing so here gives the same MAC as
/// `Mac::new_from_slice` but cannot fail.
pub(crate) fn hmac_sha256_key(key: &[u8]) -> Hmac<Sha256> {
    let mut block = [0u8; 64];
    if let Some(head) = block.get_mut(..key.len()) {
        head.copy_from_slice(key);
    } else if let Some(head) = block.first_chunk_mut::<32>() {
        *head = Sha256::digest(key).into();
    }
    <Hmac<Sha256> as KeyInit>::new(&block.into())
}

/// HMAC-SHA256 of `data` under a keyed state.
pub(crate) fn hmac_once(key: &Hmac<Sha256>, data: &[u8]) -> [u8; 32] {
    let mut mac = key.clone();
    mac.update(data);
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::test_hex as hex;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn infallible_hmac_key_matches_new_from_slice() {
        for len in [0usize, 3, 32, 63, 64, 65, 200] {
            let key: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let mut reference = <Hmac<Sha256> as Mac>::new_from_slice(&key).unwrap();
            reference.update(b"data");
            let expected: [u8; 32] = reference.finalize().into_bytes().into();
            assert_eq!(
                hmac_once(&hmac_sha256_key(&key), b"data"),
                expected,
                "{len}"
            );
        }
    }

    // interledgerjs ilp-protocol-stream test/crypto.spec.ts: fulfillment with
    // an all-zero fulfillment key over "foo".
    #[test]
    fn fulfillment_matches_js_zero_key_vector() {
        let keys = Keys::from_derived(&[0; 32], &[0; 32]);
        assert_eq!(
            fulfillment(&keys, b"foo").to_vec(),
            hex("0c0d98f7e3d9d45e72e8877bc1b104327efb9c07b18f2ffeced76d81307f1fff")
        );
    }

    #[test]
    fn open_rejects_short_and_tampered_data() {
        let keys = Keys::new(&[7; 32]);
        for len in 0..OVERHEAD {
            assert_eq!(open(&keys, &vec![0; len]), Err(DecryptError::TooShort));
        }
        let mut sealed = Vec::new();
        seal(&keys, [1; 12], b"hello", &mut sealed).unwrap();
        assert_eq!(open(&keys, &sealed).unwrap(), b"hello");
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 0x01;
            assert_eq!(open(&keys, &bad), Err(DecryptError::Authentication), "{i}");
        }
        assert_eq!(
            open(&Keys::new(&[8; 32]), &sealed),
            Err(DecryptError::Authentication)
        );
    }

    #[test]
    fn seal_appends_after_existing_bytes() {
        let keys = Keys::new(&[3; 32]);
        let mut out = vec![0xAA, 0xBB];
        seal(&keys, [0; 12], b"", &mut out).unwrap();
        assert_eq!(out.len(), 2 + OVERHEAD);
        assert_eq!(&out[..2], &[0xAA, 0xBB]);
        assert_eq!(open(&keys, &out[2..]).unwrap(), b"");
    }

    #[test]
    fn open_into_reuses_the_buffer_and_clears_on_error() {
        let keys = Keys::new(&[5; 32]);
        let mut sealed = Vec::new();
        seal(&keys, [2; 12], b"abc", &mut sealed).unwrap();
        let mut buf = b"old contents".to_vec();
        open_into(&keys, &sealed, &mut buf).unwrap();
        assert_eq!(buf, b"abc");
        sealed[20] ^= 1;
        assert!(open_into(&keys, &sealed, &mut buf).is_err());
        assert!(buf.is_empty());
    }

    #[test]
    fn debug_does_not_print_keys() {
        assert_eq!(format!("{:?}", Keys::new(&[9; 32])), "Keys { .. }");
    }
}
