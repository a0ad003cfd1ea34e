//! Interledger timestamps (RFC 27 / RFC 30 §1.2 of the digest).
//!
//! - The ILP Prepare `expiresAt` is 17 ASCII digits `YYYYMMDDHHmmssSSS` in
//!   UTC with no separators and no length prefix: [`Timestamp::parse_ilp`] and
//!   [`Timestamp::to_ilp_bytes`].
//! - BTP `triggeredAt` is a GeneralizedTime `YYYYMMDDHHmmss[.f{1,3}]Z`:
//!   [`GeneralizedTime`] keeps the validated text as it arrived (so a packet
//!   re-encodes to identical bytes) and [`GeneralizedTime::from_timestamp`]
//!   writes the canonical form (no `.000`, no trailing zeros).
//!
//! Conversion is plain integer arithmetic (Howard Hinnant's days-from-civil
//! algorithm); only years 1970 to 9999 are representable.

use core::fmt;

const MS_PER_DAY: u64 = 86_400_000;

/// A point in time: milliseconds since the Unix epoch (UTC, no leap seconds).
///
/// Always between 1970-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z, the
/// range a 17-digit ILP timestamp can express.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(u64);

/// Why a timestamp was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimestampError {
    /// The text has the wrong number of bytes.
    WrongLength,
    /// The byte at `position` is not what the format requires there (a digit,
    /// `.` or `Z`).
    UnexpectedByte {
        /// Zero-based index of the offending byte.
        position: usize,
    },
    /// The month is not 01..=12.
    MonthOutOfRange,
    /// The day does not exist in that month (leap years included).
    DayOutOfRange,
    /// The hour is not 00..=23.
    HourOutOfRange,
    /// The minute is not 00..=59.
    MinuteOutOfRange,
    /// The second is not 00..=59 (or 60 where leap seconds are allowed).
    SecondOutOfRange,
    /// The time is before 1970 or beyond year 9999.
    OutOfRange,
}

impl fmt::Display for TimestampError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::WrongLength => f.write_str("timestamp has the wrong length"),
            Self::UnexpectedByte { position } => {
                write!(f, "unexpected byte at position {position} of timestamp")
            }
            Self::MonthOutOfRange => f.write_str("month out of range"),
            Self::DayOutOfRange => f.write_str("day out of range for the month"),
            Self::HourOutOfRange => f.write_str("hour out of range"),
            Self::MinuteOutOfRange => f.write_str("minute out of range"),
            Self::SecondOutOfRange => f.write_str("second out of range"),
            Self::OutOfRange => f.write_str("time outside 1970..=9999"),
        }
    }
}

impl std::error::Error for TimestampError {}

/// Days since 1970-01-01 of a proleptic Gregorian date (valid input assumed).
const fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The (year, month, day) of a day count since 1970-01-01 (non-negative).
const fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + if month <= 2 { 1 } else { 0 };
    (year, month, day)
}

const fn is_leap_year(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

const fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Reads `len` ASCII digits starting at `start`.
fn digits(bytes: &[u8], start: usize, len: usize) -> Result<i64, TimestampError> {
    let field = bytes
        .get(start..start + len)
        .ok_or(TimestampError::WrongLength)?;
    let mut value = 0i64;
    for (i, &b) in field.iter().enumerate() {
        if !b.is_ascii_digit() {
            return Err(TimestampError::UnexpectedByte {
                position: start + i,
            });
        }
        value = value * 10 + i64::from(b - b'0');
    }
    Ok(value)
}

/// The calendar fields common to both formats, read from the first 14 bytes.
fn parse_date_time(bytes: &[u8], max_second: i64) -> Result<i64, TimestampError> {
    let year = digits(bytes, 0, 4)?;
    let month = digits(bytes, 4, 2)?;
    let day = digits(bytes, 6, 2)?;
    let hour = digits(bytes, 8, 2)?;
    let minute = digits(bytes, 10, 2)?;
    let second = digits(bytes, 12, 2)?;
    if !(1..=12).contains(&month) {
        return Err(TimestampError::MonthOutOfRange);
    }
    if day < 1 || day > days_in_month(year, month) {
        return Err(TimestampError::DayOutOfRange);
    }
    if hour > 23 {
        return Err(TimestampError::HourOutOfRange);
    }
    if minute > 59 {
        return Err(TimestampError::MinuteOutOfRange);
    }
    if second > max_second {
        return Err(TimestampError::SecondOutOfRange);
    }
    if year < 1970 {
        return Err(TimestampError::OutOfRange);
    }
    let days = days_from_civil(year, month, day);
    Ok(((days * 24 + hour) * 60 + minute) * 60 + second)
}

impl Timestamp {
    /// The Unix epoch, 1970-01-01T00:00:00.000Z.
    pub const EPOCH: Self = Self(0);

    /// The latest representable time, 9999-12-31T23:59:59.999Z.
    pub const MAX: Self = Self(days_from_civil(10_000, 1, 1) as u64 * MS_PER_DAY - 1);

    /// The time `ms` milliseconds after the epoch, if it is not beyond
    /// [`Timestamp::MAX`].
    pub const fn from_millis(ms: u64) -> Option<Self> {
        if ms <= Self::MAX.0 {
            Some(Self(ms))
        } else {
            None
        }
    }

    /// The time `ms` milliseconds after the epoch, capped at [`Timestamp::MAX`].
    pub const fn from_millis_saturating(ms: u64) -> Self {
        if ms <= Self::MAX.0 {
            Self(ms)
        } else {
            Self::MAX
        }
    }

    /// Milliseconds since the Unix epoch.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// This time plus `ms` milliseconds, capped at [`Timestamp::MAX`].
    pub const fn saturating_add_millis(self, ms: u64) -> Self {
        Self::from_millis_saturating(self.0.saturating_add(ms))
    }

    /// Parses the 17-digit ILP form `YYYYMMDDHHmmssSSS`.
    ///
    /// Rejects anything but exactly 17 ASCII digits, impossible dates, hour
    /// 24 and leap second 60.
    pub fn parse_ilp(bytes: &[u8]) -> Result<Self, TimestampError> {
        if bytes.len() != 17 {
            return Err(TimestampError::WrongLength);
        }
        let seconds = parse_date_time(bytes, 59)?;
        let millis = digits(bytes, 14, 3)?;
        // 1970 <= year <= 9999 was checked, so this is in range and positive.
        Ok(Self((seconds * 1000 + millis) as u64))
    }

    /// The 17-digit ILP form `YYYYMMDDHHmmssSSS`.
    pub fn to_ilp_bytes(self) -> [u8; 17] {
        let ms = self.0;
        let days = (ms / MS_PER_DAY) as i64;
        let in_day = ms % MS_PER_DAY;
        let (year, month, day) = civil_from_days(days);
        let fields: [(u64, u32); 7] = [
            (year as u64, 4),
            (month as u64, 2),
            (day as u64, 2),
            (in_day / 3_600_000, 2),
            (in_day / 60_000 % 60, 2),
            (in_day / 1000 % 60, 2),
            (in_day % 1000, 3),
        ];
        let mut out = [b'0'; 17];
        let mut slots = out.iter_mut();
        for (value, width) in fields {
            for power in (0..width).rev() {
                if let Some(slot) = slots.next() {
                    *slot = b'0' + (value / 10u64.pow(power) % 10) as u8;
                }
            }
        }
        out
    }
}

impl fmt::Display for Timestamp {
    /// Writes the 17-digit ILP form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.to_ilp_bytes() {
            fmt::Write::write_char(f, char::from(b))?;
        }
        Ok(())
    }
}

/// A validated GeneralizedTime `YYYYMMDDHHmmss[.f{1,3}]Z`, borrowed as it
/// was received so that re-encoding reproduces the same bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GeneralizedTime<'a> {
    text: &'a str,
    time: Timestamp,
}

impl<'a> GeneralizedTime<'a> {
    /// The longest form, `YYYYMMDDHHmmss.fffZ`.
    pub const MAX_LEN: usize = 19;

    /// Validates `text`.
    ///
    /// Accepts 0 to 3 fraction digits (JS writes 3, the canonical form drops
    /// trailing zeros) and leap second 60, which [`GeneralizedTime::timestamp`]
    /// maps to the last millisecond of that minute.
    pub fn parse(text: &'a str) -> Result<Self, TimestampError> {
        let bytes = text.as_bytes();
        if !matches!(bytes.len(), 15 | 17..=19) {
            return Err(TimestampError::WrongLength);
        }
        let last = bytes.len() - 1;
        if bytes.last() != Some(&b'Z') {
            return Err(TimestampError::UnexpectedByte { position: last });
        }
        let mut seconds = parse_date_time(bytes, 60)?;
        let mut millis = 0;
        if last > 14 {
            if bytes.get(14) != Some(&b'.') {
                return Err(TimestampError::UnexpectedByte { position: 14 });
            }
            let n = last - 15;
            let scale = match n {
                1 => 100,
                2 => 10,
                _ => 1,
            };
            millis = digits(bytes, 15, n)? * scale;
        }
        if bytes.get(12..14) == Some(b"60") {
            seconds -= 1;
            millis = 999;
        }
        Ok(Self {
            text,
            time: Timestamp((seconds * 1000 + millis) as u64),
        })
    }

    /// Writes the canonical form of `time` into `buf` (cleared first) and
    /// borrows it: no `.000`, trailing fraction zeros dropped.
    pub fn from_timestamp(time: Timestamp, buf: &'a mut String) -> Self {
        Self::write(time, buf, false)
    }

    /// Like [`GeneralizedTime::from_timestamp`] but always with three
    /// fraction digits (`.000Z`), the only form the JS `btp-packet` parser
    /// understands.
    pub fn from_timestamp_js(time: Timestamp, buf: &'a mut String) -> Self {
        Self::write(time, buf, true)
    }

    fn write(time: Timestamp, buf: &'a mut String, three_digits: bool) -> Self {
        let ilp = time.to_ilp_bytes();
        buf.clear();
        buf.extend(ilp.iter().take(14).map(|&b| char::from(b)));
        let fraction = ilp.get(14..).unwrap_or_default();
        let mut digits = fraction.len();
        if !three_digits {
            while digits > 0 && fraction.get(digits - 1) == Some(&b'0') {
                digits -= 1;
            }
        }
        if digits > 0 {
            buf.push('.');
            buf.extend(fraction.iter().take(digits).map(|&b| char::from(b)));
        }
        buf.push('Z');
        Self { text: buf, time }
    }

    /// The text exactly as received or written.
    pub const fn as_str(&self) -> &'a str {
        self.text
    }

    /// The instant it names.
    pub const fn timestamp(&self) -> Timestamp {
        self.time
    }
}

impl fmt::Display for GeneralizedTime<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn ilp(s: &str) -> Result<Timestamp, TimestampError> {
        Timestamp::parse_ilp(s.as_bytes())
    }

    #[test]
    fn decodes_rfc_example() {
        // 2017-12-24T16:14:32.279Z
        let t = ilp("20171224161432279").unwrap();
        assert_eq!(t.as_millis(), 1_514_132_072_279);
        assert_eq!(&t.to_ilp_bytes(), b"20171224161432279");
    }

    #[test]
    fn epoch_and_max_round_trip() {
        assert_eq!(ilp("19700101000000000").unwrap(), Timestamp::EPOCH);
        assert_eq!(ilp("99991231235959999").unwrap(), Timestamp::MAX);
        assert_eq!(&Timestamp::MAX.to_ilp_bytes(), b"99991231235959999");
        assert_eq!(Timestamp::from_millis(Timestamp::MAX.as_millis() + 1), None);
    }

    #[test]
    fn rejects_month_13() {
        assert_eq!(
            ilp("20171324161432200"),
            Err(TimestampError::MonthOutOfRange)
        );
        assert_eq!(
            ilp("20170024161432200"),
            Err(TimestampError::MonthOutOfRange)
        );
    }

    #[test]
    fn rejects_hour_24_and_leap_second() {
        assert_eq!(
            ilp("20171224240000000"),
            Err(TimestampError::HourOutOfRange)
        );
        assert_eq!(
            ilp("20161231235960852"),
            Err(TimestampError::SecondOutOfRange)
        );
        assert_eq!(
            ilp("20161231236059852"),
            Err(TimestampError::MinuteOutOfRange)
        );
    }

    #[test]
    fn rejects_short_and_non_digit() {
        assert_eq!(ilp("20171224215300"), Err(TimestampError::WrongLength));
        assert_eq!(
            ilp("2017122421530x000"),
            Err(TimestampError::UnexpectedByte { position: 13 })
        );
        assert_eq!(
            ilp("+2017122421530000"),
            Err(TimestampError::UnexpectedByte { position: 0 })
        );
    }

    #[test]
    fn checks_leap_years() {
        assert!(ilp("20240229000000000").is_ok());
        assert!(ilp("20000229000000000").is_ok());
        assert_eq!(ilp("21000229000000000"), Err(TimestampError::DayOutOfRange));
        assert_eq!(ilp("20230229000000000"), Err(TimestampError::DayOutOfRange));
        assert_eq!(ilp("20230431000000000"), Err(TimestampError::DayOutOfRange));
        assert_eq!(ilp("20230100000000000"), Err(TimestampError::DayOutOfRange));
    }

    #[test]
    fn rejects_years_before_epoch() {
        assert_eq!(ilp("19691231235959999"), Err(TimestampError::OutOfRange));
    }

    #[test]
    fn midnight_is_the_next_day() {
        let t = ilp("20171225000000000").unwrap();
        let before = Timestamp::from_millis(t.as_millis() - 1).unwrap();
        assert_eq!(&before.to_ilp_bytes(), b"20171224235959999");
    }

    #[test]
    fn generalized_time_accepts_zero_to_three_fraction_digits() {
        for (text, ms) in [
            ("20171224161432.279Z", 1_514_132_072_279u64),
            ("20171224161432.2Z", 1_514_132_072_200),
            ("20171224161432.20Z", 1_514_132_072_200),
            ("20171224161432.000Z", 1_514_132_072_000),
            ("20171224161432Z", 1_514_132_072_000),
        ] {
            let g = GeneralizedTime::parse(text).unwrap();
            assert_eq!(g.timestamp().as_millis(), ms, "{text}");
            assert_eq!(g.as_str(), text);
        }
    }

    #[test]
    fn generalized_time_rejects_bad_forms() {
        for text in [
            "20171224161432",
            "20171224161432.Z",
            "20171224161432.2345Z",
            "20171224161432,279Z",
            "20171224161432.279z",
            "20171324161432Z",
            "20171224161461Z",
        ] {
            assert!(GeneralizedTime::parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn generalized_time_allows_leap_second() {
        let g = GeneralizedTime::parse("20161231235960Z").unwrap();
        assert_eq!(&g.timestamp().to_ilp_bytes(), b"20161231235959999");
    }

    #[test]
    fn writes_canonical_generalized_time() {
        let mut buf = String::new();
        let t = ilp("20171224161432200").unwrap();
        assert_eq!(
            GeneralizedTime::from_timestamp(t, &mut buf).as_str(),
            "20171224161432.2Z"
        );
        let t = ilp("20171225000000000").unwrap();
        assert_eq!(
            GeneralizedTime::from_timestamp(t, &mut buf).as_str(),
            "20171225000000Z"
        );
        assert_eq!(
            GeneralizedTime::from_timestamp_js(t, &mut buf).as_str(),
            "20171225000000.000Z"
        );
    }
}
