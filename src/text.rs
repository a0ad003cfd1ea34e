//! Small text helpers that keep `core`'s formatting machinery (`core::fmt`
//! with its `Formatter`, padding and integer code; char `Debug` with its
//! Unicode tables, `escape_ascii`, `from_utf8_lossy`) out of the WebAssembly
//! build. Each writes exactly what the `core` version writes for the inputs
//! this crate gives it.
//!
//! Error messages are built with [`Text`] and `put!`: every
//! error type writes its message piece by piece into a `String`, and its
//! `Display` impl (for native users) only passes that string on, so the
//! wasm exports, which call [`Text::text`], never reach `core::fmt`.

/// A value that appends its text to a `String` without `core::fmt`.
pub(crate) trait Text {
    /// Appends the text.
    fn put(&self, out: &mut String);

    /// The text, in a new string.
    fn text(&self) -> String {
        let mut out = String::new();
        self.put(&mut out);
        out
    }
}

impl Text for str {
    fn put(&self, out: &mut String) {
        out.push_str(self);
    }
}

impl Text for String {
    fn put(&self, out: &mut String) {
        out.push_str(self);
    }
}

impl<T: Text + ?Sized> Text for &T {
    fn put(&self, out: &mut String) {
        (**self).put(out);
    }
}

/// Integers in decimal, as `Display` writes them.
macro_rules! text_for_unsigned {
    ($($t:ty),*) => {$(
        impl Text for $t {
            fn put(&self, out: &mut String) {
                // Lossless: every one of these fits in u128.
                push_decimal(out, *self as u128);
            }
        }
    )*};
}
text_for_unsigned!(u8, u16, u32, u64, usize, u128);

/// Appends `n` in decimal.
pub(crate) fn push_decimal(out: &mut String, mut n: u128) {
    // u128::MAX has 39 digits; they are found last first.
    let mut digits = [0u8; 39];
    let mut len = 0;
    for slot in digits.iter_mut().rev() {
        // n % 10 < 10, so the digit is one ASCII byte.
        *slot = b'0' + (n % 10) as u8;
        n /= 10;
        len += 1;
        if n == 0 {
            break;
        }
    }
    for &d in digits.iter().skip(digits.len() - len) {
        out.push(char::from(d));
    }
}

/// `n.to_string()` without `core::fmt` (what the wasm exports use).
#[cfg(target_arch = "wasm32")]
pub(crate) fn decimal(n: u64) -> String {
    n.text()
}

/// Appends each argument's [`Text`] to `out` (a `&mut String`):
/// `put!(out, "at most ", n, " bytes")`.
macro_rules! put {
    ($out:expr $(, $piece:expr)* $(,)?) => {{
        let out: &mut String = $out;
        $($crate::text::Text::put(&$piece, out);)*
    }};
}
pub(crate) use put;

/// The arguments' [`Text`] joined in a new string: `format!` without
/// `core::fmt`.
macro_rules! join {
    ($($piece:expr),* $(,)?) => {{
        let mut out = String::new();
        $crate::text::put!(&mut out $(, $piece)*);
        out
    }};
}
pub(crate) use join;

/// `Display` for [`Text`] types: the same text, for native users.
macro_rules! display_via_text {
    ($($t:ty),* $(,)?) => {$(
        impl core::fmt::Display for $t {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(&$crate::text::Text::text(self))
            }
        }
    )*};
}
pub(crate) use display_via_text;

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
#[cfg(test)]
fn escaped_ascii(bytes: &[u8]) -> String {
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

/// `bytes` in lowercase hex, two digits each.
pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        push_hex_digit(&mut out, b >> 4);
        push_hex_digit(&mut out, b & 0xf);
    }
    out
}

fn push_hex_digit(out: &mut String, nibble: u8) {
    let digit = nibble & 0xf;
    out.push(char::from(if digit < 10 {
        b'0' + digit
    } else {
        b'a' + digit - 10
    }));
}

/// `text` read as `str::parse` reads an unsigned integer (decimal digits,
/// optionally after one `+`), if it is at most `max`: one parser for every
/// width instead of core's `from_str` once per integer type.
pub(crate) fn parse_decimal(text: &str, max: u32) -> Option<u32> {
    let digits = text.strip_prefix('+').unwrap_or(text);
    if digits.is_empty() {
        return None;
    }
    let mut n: u32 = 0;
    for b in digits.bytes() {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u32::from(b - b'0'))?;
        if n > max {
            return None;
        }
    }
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn parse_decimal_matches_core() {
        let cases = [
            "",
            "+",
            "-",
            "0",
            "00",
            "+0",
            "++1",
            "-1",
            "1",
            "+7",
            "255",
            "256",
            "0255",
            "65535",
            "65536",
            "4294967295",
            "4294967296",
            "99999999999",
            "1a",
            " 1",
            "1 ",
            "٣",
        ];
        for case in cases {
            assert_eq!(
                parse_decimal(case, 255),
                case.parse::<u8>().ok().map(u32::from),
                "{case:?}"
            );
            assert_eq!(
                parse_decimal(case, 65535),
                case.parse::<u16>().ok().map(u32::from),
                "{case:?}"
            );
            assert_eq!(
                parse_decimal(case, u32::MAX),
                case.parse::<u32>().ok(),
                "{case:?}"
            );
        }
    }

    #[test]
    fn decimal_matches_core() {
        let cases = [
            0,
            1,
            9,
            10,
            99,
            100,
            12_345,
            u128::from(u64::MAX),
            u128::from(u64::MAX) + 1,
            u128::MAX,
        ];
        for n in cases {
            let mut ours = String::new();
            push_decimal(&mut ours, n);
            assert_eq!(ours, n.to_string());
        }
        assert_eq!(u8::MAX.text(), "255");
        assert_eq!(usize::MAX.text(), usize::MAX.to_string());
    }

    #[test]
    fn join_puts_each_piece_in_order() {
        let owned = String::from("b");
        assert_eq!(join!("a", owned, 7u64, "/", 0u16, &&"c"), "ab7/0c");
        assert_eq!(hex(&[0x00, 0x0f, 0xa0, 0xff]), "000fa0ff");
    }

    #[test]
    fn display_is_the_text() {
        let e = crate::ilp::ErrorCode(*b"F08");
        assert_eq!(e.to_string(), e.text());
        assert_eq!(e.text(), "F08 Amount Too Large");
    }

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
