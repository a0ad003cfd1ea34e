#![no_main]
use ilp_stream_web::codec::Decode;
use ilp_stream_web::ildcp::Response;
use ilp_stream_web::ilp::Fulfill;
use ilp_stream_web_fuzz::{assert_canonical, round_trip};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some((_, bytes)) = round_trip!(Response<'_>, data) {
        assert_canonical(data, &bytes);
    }
    // The same bytes as an ILP Fulfill carrying a response.
    if let Ok(fulfill) = Fulfill::from_bytes(data) {
        let _ = Response::from_fulfill(&fulfill);
    }
});
