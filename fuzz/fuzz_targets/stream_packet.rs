//! Plaintext STREAM packets; the invariant is in `src/stream_packet.rs`.
#![no_main]
use ilp_stream_web_fuzz::check_stream_packet;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = check_stream_packet(data);
});
