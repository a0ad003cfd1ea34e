#![no_main]
use ilp_stream_web::receipt::Receipt;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(receipt) = Receipt::decode(data) {
        assert_eq!(
            receipt.to_bytes(),
            data,
            "decode → to_bytes is the identity"
        );
        assert_eq!(Receipt::decode(&receipt.to_bytes()), Ok(receipt));
    }
    let secret = [0x42; 32];
    if let Ok(receipt) = Receipt::verify(data, &secret) {
        assert_eq!(receipt.to_bytes(), data);
    }
    // The base64 text a server gets: never a panic; what decodes matches the bytes path.
    if let Ok(text) = core::str::from_utf8(data) {
        if let Ok(receipt) = Receipt::decode_base64(text) {
            assert_eq!(Receipt::decode(&receipt.to_bytes()), Ok(receipt));
        }
        let _ = Receipt::verify_base64(text, &secret);
    }
});
