#![no_main]
use std::sync::OnceLock;

use ilp_stream_web::stream::crypto::{open, seal, Keys};
use ilp_stream_web_fuzz::check_stream_packet;
use libfuzzer_sys::fuzz_target;

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| Keys::new(&[0x5e; 32]))
}

fuzz_target!(|data: &[u8]| {
    // Untrusted sealed bytes: opening must fail cleanly or decode.
    if let Ok(plaintext) = open(keys(), data) {
        let _ = check_stream_packet(&plaintext);
    }
    // The same bytes as a plaintext: seal → open gives them back, and the
    // packet decoder sees exactly what the sender sealed.
    let mut sealed = Vec::new();
    seal(keys(), [9; 12], data, &mut sealed).expect("short plaintexts seal");
    let opened = open(keys(), &sealed).expect("sealed data opens");
    assert_eq!(opened, data);
    let _ = check_stream_packet(&opened);
});
