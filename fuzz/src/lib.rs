//! Checks shared by the fuzz targets. Nothing here is compiled into
//! `ilp-stream-web`; `stream_packet.rs` is also included by
//! `tests/robustness_stream.rs`, so `cargo test` checks the same invariant.

pub use ilp_stream_web::codec::{Decode, Encode};
pub use stream_packet::{check_stream_packet, PacketSummary};

mod stream_packet;

/// Decodes `$data` as `$ty`; when that succeeds, checks that the value
/// encodes to exactly `encoded_len()` bytes and that those bytes decode to an
/// equal value. Evaluates to `Some((value, encoding))` or `None`.
///
/// A macro rather than a function because the second decode borrows from a
/// local buffer, so it needs `$ty` at a different lifetime.
#[macro_export]
macro_rules! round_trip {
    ($ty:ty, $data:expr) => {{
        use $crate::{Decode as _, Encode as _};
        match <$ty>::from_bytes($data) {
            Ok(value) => {
                let bytes = value.to_bytes();
                assert_eq!(bytes.len(), value.encoded_len(), "encoded_len is exact");
                let again = <$ty>::from_bytes(&bytes).expect("an encoding decodes");
                assert_eq!(again, value, "decode(encode(x)) == x");
                Some((value, bytes))
            }
            Err(_) => None,
        }
    }};
}

/// Asserts that `encoding` is the start of `input`: the decoder accepts only
/// canonical forms, so re-encoding gives back the very bytes it read.
pub fn assert_canonical(input: &[u8], encoding: &[u8]) {
    assert_eq!(input.get(..encoding.len()), Some(encoding), "canonical");
}
