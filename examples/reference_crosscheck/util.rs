//! Small helpers: hex, ISO-8601 → milliseconds, JSON field access and the
//! recursive field comparison.

use serde_json::{Map, Value};

/// Lowercase hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Bytes of a hex string.
pub(crate) fn unhex(text: &str) -> Result<Vec<u8>, String> {
    if text.len() % 2 != 0 {
        return Err(format!("odd-length hex string ({} chars)", text.len()));
    }
    text.as_bytes()
        .chunks(2)
        .map(|pair| {
            core::str::from_utf8(pair)
                .ok()
                .and_then(|s| u8::from_str_radix(s, 16).ok())
                .ok_or_else(|| format!("not hex: {:?}", String::from_utf8_lossy(pair)))
        })
        .collect()
}

/// Exactly 32 bytes of hex.
pub(crate) fn unhex32(text: &str) -> Result<[u8; 32], String> {
    unhex(text)?
        .try_into()
        .map_err(|v: Vec<u8>| format!("expected 32 bytes, got {}", v.len()))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's
/// days-from-civil), for years ≥ 1970.
fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y / 400;
    let yoe = y % 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Milliseconds since the epoch of `YYYY-MM-DDTHH:MM:SS[.s{1,3}]Z`, the form
/// JavaScript's `Date.prototype.toISOString` prints (years 1970..=9999).
pub(crate) fn iso8601_millis(text: &str) -> Result<u64, String> {
    let bad = || format!("not an ISO-8601 UTC time: {text:?}");
    let b = text.as_bytes();
    let num = |from: usize, len: usize| -> Result<u64, String> {
        let digits = b.get(from..from + len).ok_or_else(bad)?;
        digits.iter().try_fold(0u64, |acc, &d| {
            d.is_ascii_digit()
                .then(|| acc * 10 + u64::from(d - b'0'))
                .ok_or_else(bad)
        })
    };
    let seps = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
    if seps.iter().any(|&(i, c)| b.get(i) != Some(&c)) || b.last() != Some(&b'Z') {
        return Err(bad());
    }
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (hour, minute, second) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    let millis = match b.len() {
        20 => 0,
        22..=24 if b.get(19) == Some(&b'.') => {
            let n = b.len() - 21;
            num(20, n)? * 10u64.pow(3 - n as u32)
        }
        _ => return Err(bad()),
    };
    if year < 1970 || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return Err(bad());
    }
    if hour > 23 || minute > 59 || second > 59 {
        return Err(bad());
    }
    let seconds = ((days_from_civil(year, month, day) * 24 + hour) * 60 + minute) * 60 + second;
    Ok(seconds * 1000 + millis)
}

/// A field of a JSON object, or a message naming it.
pub(crate) fn field<'v>(obj: &'v Value, key: &str) -> Result<&'v Value, String> {
    obj.get(key)
        .ok_or_else(|| format!("reference field {key} missing"))
}

/// A string field.
pub(crate) fn str_field<'v>(obj: &'v Value, key: &str) -> Result<&'v str, String> {
    field(obj, key)?
        .as_str()
        .ok_or_else(|| format!("reference field {key} is not a string"))
}

/// A hex field as bytes.
pub(crate) fn hex_field(obj: &Value, key: &str) -> Result<Vec<u8>, String> {
    unhex(str_field(obj, key)?).map_err(|e| format!("reference field {key}: {e}"))
}

/// A 32-byte hex field.
pub(crate) fn hex32_field(obj: &Value, key: &str) -> Result<[u8; 32], String> {
    unhex32(str_field(obj, key)?).map_err(|e| format!("reference field {key}: {e}"))
}

/// A u64 given as a JSON number or a decimal string.
pub(crate) fn u64_field(obj: &Value, key: &str) -> Result<u64, String> {
    let v = field(obj, key)?;
    v.as_u64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        .ok_or_else(|| format!("reference field {key} is not a u64: {v}"))
}

/// A JSON object from key/value pairs.
pub(crate) fn obj<const N: usize>(pairs: [(&str, Value); N]) -> Value {
    Value::Object(
        pairs
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect::<Map<String, Value>>(),
    )
}

/// A u64 as the decimal string the reference writes for UInt64/VarUInt.
pub(crate) fn dec(n: u64) -> Value {
    Value::String(n.to_string())
}

/// Hex of bytes as a JSON string.
pub(crate) fn hexv(bytes: &[u8]) -> Value {
    Value::String(hex(bytes))
}

/// Text as a JSON string (bytes that are not UTF-8 are replaced).
pub(crate) fn text(bytes: &[u8]) -> Value {
    Value::String(String::from_utf8_lossy(bytes).into_owned())
}

/// Keys whose reference values are ISO-8601 times; ours are milliseconds.
const TIME_KEYS: [&str; 2] = ["expiresAt", "triggeredAt"];

/// Appends one line per difference between `ours` and `reference` (both
/// field trees of the same shape) to `diffs`.
pub(crate) fn compare(path: &str, ours: &Value, reference: &Value, diffs: &mut Vec<String>) {
    match (ours, reference) {
        (Value::Object(o), Value::Object(r)) => {
            for (key, rv) in r {
                let sub = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                let Some(ov) = o.get(key) else {
                    diffs.push(format!("{sub}: not produced by our decoder"));
                    continue;
                };
                if let (true, Some(iso)) = (TIME_KEYS.contains(&key.as_str()), rv.as_str()) {
                    match iso8601_millis(iso) {
                        Ok(ms) => compare(&sub, ov, &Value::from(ms), diffs),
                        Err(e) => diffs.push(format!("{sub}: {e}")),
                    }
                } else {
                    compare(&sub, ov, rv, diffs);
                }
            }
            for key in o.keys().filter(|k| !r.contains_key(*k)) {
                diffs.push(format!("{path}.{key}: ours has it, the reference does not"));
            }
        }
        (Value::Array(o), Value::Array(r)) => {
            if o.len() != r.len() {
                diffs.push(format!(
                    "{path}: ours has {} items, reference {}",
                    o.len(),
                    r.len()
                ));
            }
            for (i, (ov, rv)) in o.iter().zip(r).enumerate() {
                compare(&format!("{path}[{i}]"), ov, rv, diffs);
            }
        }
        _ if ours == reference => {}
        _ => diffs.push(format!("{path}: ours {ours}, reference {reference}")),
    }
}

/// A difference line if `ours` and `reference` bytes differ.
pub(crate) fn same_bytes(what: &str, ours: &[u8], reference: &[u8], diffs: &mut Vec<String>) {
    if ours != reference {
        diffs.push(format!(
            "{what} differs: ours {}, reference {}",
            hex(ours),
            hex(reference)
        ));
    }
}
