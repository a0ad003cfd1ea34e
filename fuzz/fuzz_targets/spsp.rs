#![no_main]
use ilp_stream_web::spsp::{base64, payment_pointer_to_url, Endpoint, SpspResponse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(url) = payment_pointer_to_url(text) {
        // A resolved pointer is itself an acceptable SPSP URL.
        let endpoint = Endpoint::parse(&url).expect("resolved pointer URL parses");
        assert!(!endpoint.is_payment_pointer());
    }
    if let Ok(endpoint) = Endpoint::parse(text) {
        assert_eq!(endpoint.is_payment_pointer(), text.starts_with('$'));
    }
    if let Ok(bytes) = base64::decode(text) {
        assert_eq!(base64::decode(&base64::encode(&bytes)), Ok(bytes));
    }
    let (destination, secret) = text.split_once('\n').unwrap_or((text, text));
    let _ = SpspResponse::from_fields(destination, secret, None);
});
