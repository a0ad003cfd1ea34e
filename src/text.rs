//! Small text helpers that keep `core`'s heavier formatting machinery (char
//! `Debug` with its Unicode tables, `escape_ascii`, `from_utf8_lossy`) out of
//! the WebAssembly build. Each writes exactly what the `core` version writes
//! for the inputs this crate gives it.

/// `String::from_utf8_lossy(bytes).into_owned()`: invalid sequences become
/// U+FFFD, one per maximal invalid prefix, as the standard library does.
pub(crate) fn lossy(mut bytes: &[u8]) -> String {
    let mut out = String::new();
    loop {
        match core::str::from_utf8(bytes) {
            Ok(valid) => {
                out.push_str(valid);
                return out;
            }
            Err(e) => {
                let (valid, rest) = bytes.split_at(e.valid_up_to());
                // `valid` was just checked, so this never falls back.
                out.push_str(core::str::from_utf8(valid).unwrap_or_default());
                out.push(char::REPLACEMENT_CHARACTER);
                let skip = e.error_len().unwrap_or(rest.len());
                bytes = rest.get(skip..).unwrap_or_default();
            }
        }
    }
}

/// Appends `bytes` as `<[u8]>::escape_ascii` writes them.
pub(crate) fn push_escaped_ascii(out: &mut String, bytes: &[u8]) {
    for &b in bytes {
        match b {
            b'\t' => out.push_str("\\t"),
            b'\r' => out.push_str("\\r"),
            b'\n' => out.push_str("\\n"),
            b'\\' | b'\'' | b'"' => {
                out.push('\\');
                out.push(char::from(b));
            }
            0x20..=0x7e => out.push(char::from(b)),
            _ => {
                out.push_str("\\x");
                push_hex_digit(out, b >> 4);
                push_hex_digit(out, b & 0xf);
            }
        }
    }
}

/// `bytes` as `escape_ascii` writes them, in a new string.
pub(crate) fn escaped_ascii(bytes: &[u8]) -> String {
    let mut out = String::new();
    push_escaped_ascii(&mut out, bytes);
    out
}

/// Appends `format!("{:?}", char::from(byte))`, quotes included.
pub(crate) fn push_byte_char_debug(out: &mut String, byte: u8) {
    out.push('\'');
    match byte {
        0 => out.push_str("\\0"),
        b'\t' => out.push_str("\\t"),
        b'\r' => out.push_str("\\r"),
        b'\n' => out.push_str("\\n"),
        b'\\' | b'\'' => {
            out.push('\\');
            out.push(char::from(byte));
        }
        // What `char::escape_debug` leaves as it is in this range: printable
        // ASCII and Latin-1 except the no-break space and the soft hyphen.
        0x20..=0x7e | 0xa1..=0xac | 0xae..=0xff => out.push(char::from(byte)),
        _ => {
            out.push_str("\\u{");
            if byte >= 0x10 {
                push_hex_digit(out, byte >> 4);
            }
            push_hex_digit(out, byte & 0xf);
            out.push('}');
        }
    }
    out.push('\'');
}

fn push_hex_digit(out: &mut String, nibble: u8) {
    let digit = nibble & 0xf;
    out.push(char::from(if digit < 10 {
        b'0' + digit
    } else {
        b'a' + digit - 10
    }));
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn byte_char_debug_matches_core_for_every_byte() {
        for b in 0..=u8::MAX {
            let mut ours = String::new();
            push_byte_char_debug(&mut ours, b);
            assert_eq!(ours, format!("{:?}", char::from(b)), "byte {b:#x}");
        }
    }

    #[test]
    fn escape_ascii_matches_core_for_every_byte() {
        for b in 0..=u8::MAX {
            assert_eq!(
                escaped_ascii(&[b, b'x', b]),
                [b, b'x', b].escape_ascii().to_string(),
                "byte {b:#x}"
            );
        }
    }

    #[test]
    fn lossy_matches_core() {
        let cases: [&[u8]; 12] = [
            b"",
            b"plain",
            "héllo ✓ 𝄞".as_bytes(),
            b"\xff",
            b"a\xffb",
            b"\xe2\x82",
            b"a\xe2\x82b",
            b"\xf0\x9d\x84",
            b"\xc0\x80",
            b"\xed\xa0\x80",
            b"\xf4\x90\x80\x80x",
            b"ok\xe2\x82\xac\x80\x80\xff\xfe end",
        ];
        for case in cases {
            assert_eq!(lossy(case), String::from_utf8_lossy(case), "{case:?}");
        }
        for a in 0..=u8::MAX {
            for b in [0x00, 0x41, 0x80, 0x9f, 0xa0, 0xbf, 0xc2, 0xe0, 0xf0, 0xff] {
                let case = [a, b, 0x80, b'z'];
                assert_eq!(lossy(&case), String::from_utf8_lossy(&case), "{case:?}");
            }
        }
    }
}
