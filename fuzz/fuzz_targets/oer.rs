#![no_main]
use ilp_stream_web::codec::oer::{
    length_prefix_len, put_length_prefix, put_var_octet_string, put_var_uint, var_uint_len,
};
use ilp_stream_web::codec::Reader;
use libfuzzer_sys::fuzz_target;

/// Reads with `read`; on success the canonical writer must give back exactly
/// the bytes consumed.
fn check<'a, T>(
    data: &'a [u8],
    read: impl Fn(&mut Reader<'a>) -> Option<T>,
    write: impl Fn(&T, &mut Vec<u8>),
) {
    let mut r = Reader::new(data);
    if let Some(value) = read(&mut r) {
        let consumed = &data[..data.len() - r.remaining()];
        let mut out = Vec::new();
        write(&value, &mut out);
        assert_eq!(out, consumed);
    }
}

fuzz_target!(|data: &[u8]| {
    check(
        data,
        |r| r.length_prefix("len").ok(),
        |&n, out| {
            put_length_prefix(out, n);
            assert_eq!(out.len(), length_prefix_len(n));
        },
    );
    check(
        data,
        |r| r.var_octet_string("vos").ok(),
        |s, out| put_var_octet_string(out, s),
    );
    check(
        data,
        |r| r.var_uint("uint").ok(),
        |&n, out| {
            put_var_uint(out, n);
            assert_eq!(out.len(), var_uint_len(n));
        },
    );
    // Saturating reads agree with strict ones whenever the strict one succeeds.
    let strict = Reader::new(data).var_uint("uint");
    let saturating = Reader::new(data).var_uint_saturating("uint");
    if let Ok(n) = strict {
        assert_eq!(saturating, Ok(n));
    } else if let Ok(n) = saturating {
        assert_eq!(n, u64::MAX);
    }
});
