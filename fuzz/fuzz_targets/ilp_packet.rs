#![no_main]
use ilp_stream_web::ilp::Packet;
use ilp_stream_web_fuzz::{assert_canonical, round_trip};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some((_, bytes)) = round_trip!(Packet<'_>, data) {
        assert_canonical(data, &bytes);
    }
});
