//! Amounts and ratios as text, for the JavaScript boundary.
//!
//! Money crosses into JavaScript as decimal strings (or `BigInt`), never as
//! floating-point numbers. These parsers are strict: digits only, no sign,
//! no exponent, no separators.

use crate::text::{display_via_text, join, parse_decimal, Text};

/// Why an amount or ratio was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AmountError {
    /// Empty text.
    Empty,
    /// Something other than decimal digits.
    NotAnInteger,
    /// Larger than 2^64 − 1.
    TooLarge,
    /// A ratio outside `0 <= x < 1`.
    OutOfRange,
    /// More than six decimal places (ratios are kept in millionths).
    TooPrecise,
}

impl Text for AmountError {
    fn put(&self, out: &mut String) {
        out.push_str(match self {
            Self::Empty => "is empty",
            Self::NotAnInteger => {
                "must be a whole number of units written with digits only (a string or BigInt)"
            }
            Self::TooLarge => "is larger than 18446744073709551615 (2^64 - 1)",
            Self::OutOfRange => "must be at least 0 and less than 1",
            Self::TooPrecise => "has more than 6 decimal places",
        });
    }
}

display_via_text!(AmountError);

impl std::error::Error for AmountError {}

/// Parses an unsigned 64-bit amount written in decimal digits.
pub fn parse_amount(text: &str) -> Result<u64, AmountError> {
    if text.is_empty() {
        return Err(AmountError::Empty);
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AmountError::NotAnInteger);
    }
    text.bytes().try_fold(0u64, |acc, b| {
        acc.checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(b - b'0')))
            .ok_or(AmountError::TooLarge)
    })
}

/// Parses a ratio `0 <= x < 1` written in decimal (`"0.01"`, `"0"`, `".5"`,
/// or JavaScript's exponent form such as `"1e-7"`) into millionths.
pub fn parse_ratio_ppm(text: &str) -> Result<u32, AmountError> {
    if text.is_empty() {
        return Err(AmountError::Empty);
    }
    let (mantissa, exponent) = match text.split_once(['e', 'E']) {
        Some((m, e)) => {
            let negative = e.strip_prefix('-');
            let digits = negative.unwrap_or_else(|| e.strip_prefix('+').unwrap_or(e));
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 3
            {
                return Err(AmountError::NotAnInteger);
            }
            // At most three digits: 999 fits an i32.
            let value = parse_decimal(digits, 999)
                .and_then(|v| i32::try_from(v).ok())
                .ok_or(AmountError::NotAnInteger)?;
            (m, if negative.is_some() { -value } else { value })
        }
        None => (text, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if whole.is_empty() && fraction.is_empty() {
        return Err(AmountError::NotAnInteger);
    }
    if !whole
        .bytes()
        .chain(fraction.bytes())
        .all(|b| b.is_ascii_digit())
    {
        return Err(AmountError::NotAnInteger);
    }
    // digits × 10^(exponent − fraction.len()) in millionths:
    // digits × 10^(6 + exponent − fraction.len()).
    let digits = join!(whole, fraction);
    let digits = digits.trim_start_matches('0');
    let shift =
        6 + exponent - i32::try_from(fraction.len()).map_err(|_| AmountError::TooPrecise)?;
    if digits.is_empty() {
        return Ok(0);
    }
    let (kept, dropped) = if shift >= 0 {
        (
            join!(digits, "0".repeat(usize::try_from(shift).unwrap_or(0))),
            "",
        )
    } else {
        let cut = digits
            .len()
            .saturating_sub(usize::try_from(-shift).unwrap_or(usize::MAX));
        (
            digits.get(..cut).unwrap_or_default().to_owned(),
            digits.get(cut..).unwrap_or_default(),
        )
    };
    if dropped.bytes().any(|b| b != b'0') {
        return Err(AmountError::TooPrecise);
    }
    if kept.len() > 7 {
        return Err(AmountError::OutOfRange);
    }
    let ppm: u32 = if kept.is_empty() {
        0
    } else {
        parse_decimal(&kept, u32::MAX).ok_or(AmountError::OutOfRange)?
    };
    if ppm >= 1_000_000 {
        return Err(AmountError::OutOfRange);
    }
    Ok(ppm)
}

/// `numerator / denominator` as a decimal string with at most `digits`
/// fractional digits, truncated, without trailing zeros (`"0.5"`, `"1000"`).
/// Integer math only; a denominator of 0 gives `"0"`.
pub fn format_ratio(numerator: u128, denominator: u64, digits: u32) -> String {
    let den = u128::from(denominator);
    if den == 0 {
        return "0".to_owned();
    }
    let mut text = (numerator / den).text();
    let mut rest = numerator % den;
    let mut fraction = String::new();
    for _ in 0..digits {
        if rest == 0 {
            break;
        }
        // rest < den <= 2^64, so rest * 10 fits in u128.
        rest *= 10;
        fraction.push(char::from(b'0' + u8::try_from(rest / den).unwrap_or(0)));
        rest %= den;
    }
    let fraction = fraction.trim_end_matches('0');
    if !fraction.is_empty() {
        text.push('.');
        text.push_str(fraction);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn parses_amounts_up_to_u64_max() {
        assert_eq!(parse_amount("0"), Ok(0));
        assert_eq!(parse_amount("100000"), Ok(100_000));
        assert_eq!(parse_amount("18446744073709551615"), Ok(u64::MAX));
        assert_eq!(
            parse_amount("18446744073709551616"),
            Err(AmountError::TooLarge)
        );
    }

    #[test]
    fn refuses_signs_fractions_and_exponents() {
        for bad in ["-1", "+1", "1.5", "1e3", " 1", "1_000", "0x10", "NaN"] {
            assert_eq!(parse_amount(bad), Err(AmountError::NotAnInteger), "{bad}");
        }
        assert_eq!(parse_amount(""), Err(AmountError::Empty));
    }

    #[test]
    fn parses_ratios_into_millionths() {
        assert_eq!(parse_ratio_ppm("0.01"), Ok(10_000));
        assert_eq!(parse_ratio_ppm("0"), Ok(0));
        assert_eq!(parse_ratio_ppm(".5"), Ok(500_000));
        assert_eq!(parse_ratio_ppm("0.999999"), Ok(999_999));
        assert_eq!(parse_ratio_ppm("1e-6"), Ok(1));
        assert_eq!(parse_ratio_ppm("5e-3"), Ok(5_000));
        assert_eq!(parse_ratio_ppm("0.0100"), Ok(10_000));
    }

    #[test]
    fn refuses_ratios_out_of_range_or_too_precise() {
        assert_eq!(parse_ratio_ppm("1"), Err(AmountError::OutOfRange));
        assert_eq!(parse_ratio_ppm("2.5"), Err(AmountError::OutOfRange));
        assert_eq!(parse_ratio_ppm("1e2"), Err(AmountError::OutOfRange));
        assert_eq!(parse_ratio_ppm("1e-7"), Err(AmountError::TooPrecise));
        assert_eq!(parse_ratio_ppm("-0.1"), Err(AmountError::NotAnInteger));
        assert_eq!(parse_ratio_ppm("."), Err(AmountError::NotAnInteger));
        assert_eq!(parse_ratio_ppm("abc"), Err(AmountError::NotAnInteger));
    }

    #[test]
    fn formats_ratios_exactly_with_integer_math() {
        assert_eq!(format_ratio(1, 2, 9), "0.5");
        assert_eq!(format_ratio(1, 3, 9), "0.333333333");
        assert_eq!(format_ratio(1_000, 1, 9), "1000");
        assert_eq!(format_ratio(1_000_001, 1_000_000_000_000, 9), "0.000001");
        assert_eq!(
            format_ratio(u128::from(u64::MAX) + 1, 1, 3),
            "18446744073709551616"
        );
        assert_eq!(format_ratio(7, 0, 9), "0");
    }
}
