//! Dates as bloggers write them. Front-matter dates stay strings until they reach this module.
//!
//! Accepted: `2025-08-07 02:54:48 +0000`, `2011-05-25`, `2018-11-15T21:20:56.211Z`,
//! `2020-01-01 10:00`, `2022-01-23 05:41:00.000000000 +00:00`, offsets as `Z`, `UTC`, `+HHMM`,
//! `+HH:MM` or `+HH`. A date without an offset is in the site's time zone (else UTC).

use chrono::{
    DateTime, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone,
    Timelike,
};
use chrono_tz::Tz;

/// Parses a front-matter date as Jekyll (Ruby's `Time.parse`) reads it: the forms above,
/// and what Ruby accepts around them (trailing words, `6:30 PM`, zone names such as `PST`,
/// `2023/01/29`, `Sun, 29 Jan 2023 18:30:22 -0800`, `January 29, 2023`). The error says
/// what was expected.
pub fn parse_date(text: &str, zone: Option<Tz>) -> Result<DateTime<FixedOffset>, String> {
    strict_date(text, zone).or_else(|err| lenient_date(text.trim(), zone).ok_or(err))
}

/// The forms in the module docs, and nothing else.
fn strict_date(text: &str, zone: Option<Tz>) -> Result<DateTime<FixedOffset>, String> {
    let text = text.trim();
    let (date_part, rest) = split_date(text).ok_or_else(|| expected(text))?;
    let date =
        parse_ymd(date_part).ok_or_else(|| format!("`{text}` is not a real calendar date"))?;
    let rest = rest.trim_start_matches(['T', 't']).trim_start();
    let (time, rest) = parse_time(rest).ok_or_else(|| format!("`{text}` has an invalid time"))?;
    let offset = parse_offset(rest.trim()).ok_or_else(|| expected(text))?;
    let naive = NaiveDateTime::new(date, time);
    match offset {
        Some(offset) => offset
            .from_local_datetime(&naive)
            .single()
            .ok_or_else(|| expected(text)),
        None => Ok(in_zone(naive, zone)),
    }
}

/// What Ruby's `Date._parse` makes of a date written less strictly: a calendar date
/// (`YYYY-MM-DD`, `YYYY/MM/DD`, or with a month name), then an optional time with `AM`/`PM`
/// and a zone right after it (an offset or a zone name); words after that are ignored, as
/// Ruby ignores them (`2023-01-29 18:30:22 2023 -0800` is 18:30:22 on the site's clock).
fn lenient_date(text: &str, zone: Option<Tz>) -> Option<DateTime<FixedOffset>> {
    if let Ok(date) = DateTime::parse_from_rfc2822(text) {
        return Some(date);
    }
    let (date, rest) = numeric_date(text).or_else(|| named_month_date(text))?;
    let rest = rest.trim_start_matches(['T', 't', ',']).trim_start();
    let (mut time, rest) = parse_time(rest)?;
    let mut rest = rest.trim_start();
    let meridian = rest.get(..2).map(str::to_ascii_lowercase);
    if matches!(meridian.as_deref(), Some("am" | "pm"))
        && !rest[2..].starts_with(|c: char| c.is_ascii_alphabetic())
    {
        let hour = time.hour() % 12
            + if meridian.as_deref() == Some("pm") {
                12
            } else {
                0
            };
        time = time.with_hour(hour)?;
        rest = rest[2..].trim_start();
    }
    let token = rest.split_whitespace().next().unwrap_or("");
    let offset = parse_offset(token)
        .flatten()
        .or_else(|| zone_abbreviation(token));
    let naive = NaiveDateTime::new(date, time);
    match offset {
        Some(offset) => offset.from_local_datetime(&naive).single(),
        None => Some(in_zone(naive, zone)),
    }
}

/// `YYYY-MM-DD` or `YYYY/MM/DD` at the start of `text`.
fn numeric_date(text: &str) -> Option<(NaiveDate, &str)> {
    let end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '-' || c == '/'))
        .unwrap_or(text.len());
    let (date, rest) = text.split_at(end);
    Some((parse_ymd(&date.replace('/', "-"))?, rest))
}

/// `January 29, 2023`, `Jan 29 2023`, `29 Jan 2023` (optionally after a weekday) at the start
/// of `text`.
fn named_month_date(text: &str) -> Option<(NaiveDate, &str)> {
    let (mut year, mut month, mut day) = (None, None, None);
    let mut consumed = 0;
    for word in text.split_inclusive(char::is_whitespace) {
        let token = word.trim().trim_end_matches([',', '.']);
        let lower = token.to_ascii_lowercase();
        if token.is_empty() {
        } else if let Some(m) = MONTHS
            .iter()
            .position(|m| lower.len() >= 3 && m.starts_with(&lower))
        {
            month = Some(m as u32 + 1);
        } else if WEEKDAYS
            .iter()
            .any(|d| lower.len() >= 3 && d.starts_with(&lower))
        {
        } else if token.len() == 4 && token.bytes().all(|b| b.is_ascii_digit()) {
            year = token.parse().ok();
        } else if token.len() <= 2 && token.bytes().all(|b| b.is_ascii_digit()) && day.is_none() {
            day = token.parse().ok();
        } else {
            break;
        }
        consumed += word.len();
        if year.is_some() && month.is_some() && day.is_some() {
            break;
        }
    }
    let date = NaiveDate::from_ymd_opt(year?, month?, day?)?;
    Some((date, &text[consumed..]))
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];
const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// The zone names Ruby's `Date._parse` knows that bloggers write (North America, Europe).
fn zone_abbreviation(token: &str) -> Option<FixedOffset> {
    let hours = match token.to_ascii_uppercase().as_str() {
        "UTC" | "GMT" | "UT" | "Z" | "WET" => 0,
        "BST" | "CET" | "WEST" => 1,
        "CEST" | "EET" => 2,
        "EEST" => 3,
        "EST" | "CDT" => -5,
        "EDT" => -4,
        "CST" | "MDT" => -6,
        "MST" | "PDT" => -7,
        "PST" => -8,
        "AKST" => -9,
        "AKDT" => -8,
        "HST" => -10,
        _ => return None,
    };
    FixedOffset::east_opt(hours * 3600)
}

fn expected(text: &str) -> String {
    format!(
        "cannot read date `{text}`: expected YYYY-MM-DD, optionally with a time HH:MM[:SS] and an offset such as +0000 or Z"
    )
}

/// A wall-clock time in the site's zone (UTC when none), as an offset date-time.
pub fn in_zone(naive: NaiveDateTime, zone: Option<Tz>) -> DateTime<FixedOffset> {
    match zone {
        None => naive.and_utc().fixed_offset(),
        Some(tz) => match tz.from_local_datetime(&naive) {
            LocalResult::Single(dt) | LocalResult::Ambiguous(dt, _) => {
                dt.with_timezone(&dt.offset().fix())
            }
            // A wall-clock time skipped by a DST change: read it with the offset before the gap.
            LocalResult::None => {
                let offset = tz.offset_from_utc_datetime(&naive).fix();
                (naive - offset).and_utc().with_timezone(&offset)
            }
        },
    }
}

/// `YYYY-MM-DD-rest` at the start of a file name: the date and the rest.
pub fn file_name_date(stem: &str) -> Option<(NaiveDate, &str)> {
    let (date_part, rest) = split_date(stem)?;
    let rest = rest.strip_prefix('-')?;
    // Jekyll wants the four-digit year and two-digit month and day in file names.
    if date_part.len() != 10 || rest.is_empty() {
        return None;
    }
    Some((parse_ymd(date_part)?, rest))
}

/// Splits `2025-08-07...` into the date and what follows.
fn split_date(text: &str) -> Option<(&str, &str)> {
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut parts = 0;
    let mut digits = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'0'..=b'9' => digits += 1,
            b'-' if digits > 0 && parts < 2 => {
                parts += 1;
                digits = 0;
            }
            _ => break,
        }
        i += 1;
    }
    (parts == 2 && digits > 0).then(|| text.split_at(i))
}

fn parse_ymd(text: &str) -> Option<NaiveDate> {
    let mut it = text.split('-');
    let year: i32 = it.next()?.parse().ok()?;
    let month: u32 = it.next()?.parse().ok()?;
    let day: u32 = it.next()?.parse().ok()?;
    if !(1000..=9999).contains(&year) {
        return None;
    }
    NaiveDate::from_ymd_opt(year, month, day)
}

/// `HH:MM[:SS[.fraction]]` at the start of `text`, or midnight when there is no time.
fn parse_time(text: &str) -> Option<(NaiveTime, &str)> {
    let end = text
        .find(|c: char| !(c.is_ascii_digit() || c == ':' || c == '.'))
        .unwrap_or(text.len());
    let (time, rest) = text.split_at(end);
    if time.is_empty() {
        return Some((NaiveTime::MIN, text));
    }
    let (clock, fraction) = match time.split_once('.') {
        Some((c, f)) => (c, Some(f)),
        None => (time, None),
    };
    let mut fields = clock.split(':');
    let hour: u32 = fields.next()?.parse().ok()?;
    let minute: u32 = fields.next()?.parse().ok()?;
    let second: u32 = match fields.next() {
        Some(s) => s.parse().ok()?,
        None => 0,
    };
    if fields.next().is_some() {
        return None;
    }
    let nanos = match fraction {
        Some(f) if !f.is_empty() && f.len() <= 9 && f.bytes().all(|b| b.is_ascii_digit()) => {
            f.parse::<u32>().ok()? * 10u32.pow(9 - f.len() as u32)
        }
        Some(_) => return None,
        None => 0,
    };
    Some((
        NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)?,
        rest,
    ))
}

/// `Z`, `UTC`, `GMT`, `+HHMM`, `+HH:MM`, `+HH`, or nothing (`Some(None)`).
fn parse_offset(text: &str) -> Option<Option<FixedOffset>> {
    if text.is_empty() {
        return Some(None);
    }
    if ["Z", "z", "UTC", "GMT"].contains(&text) {
        return Some(FixedOffset::east_opt(0));
    }
    let (sign, digits) = match text.as_bytes()[0] {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let digits: String = digits.chars().filter(|c| *c != ':').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (hours, minutes): (i32, i32) = match digits.len() {
        2 => (digits.parse().ok()?, 0),
        4 => (digits[..2].parse().ok()?, digits[2..].parse().ok()?),
        _ => return None,
    };
    if minutes >= 60 {
        return None;
    }
    Some(Some(FixedOffset::east_opt(
        sign * (hours * 3600 + minutes * 60),
    )?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rfc(text: &str, zone: Option<Tz>) -> String {
        parse_date(text, zone).expect(text).to_rfc3339()
    }

    #[test]
    fn reads_every_jekyll_form() {
        assert_eq!(
            rfc("2025-08-07 02:54:48 +0000", None),
            "2025-08-07T02:54:48+00:00"
        );
        assert_eq!(rfc("2011-05-25", None), "2011-05-25T00:00:00+00:00");
        assert_eq!(
            rfc("2018-11-15T21:20:56.211Z", None),
            "2018-11-15T21:20:56.211+00:00"
        );
        assert_eq!(rfc("2020-01-01 10:00", None), "2020-01-01T10:00:00+00:00");
        assert_eq!(
            rfc("2022-01-23 05:41:00.000000000 +00:00", None),
            "2022-01-23T05:41:00+00:00"
        );
        assert_eq!(
            rfc("2016-03-12 09:30:00 -0500", None),
            "2016-03-12T09:30:00-05:00"
        );
        assert_eq!(
            rfc("2016-03-12T09:30:00+02", None),
            "2016-03-12T09:30:00+02:00"
        );
    }

    #[test]
    fn dates_without_offset_are_in_the_site_zone() {
        let ny: Tz = "America/New_York".parse().expect("zone");
        assert_eq!(
            rfc("2020-01-01 10:00", Some(ny)),
            "2020-01-01T10:00:00-05:00"
        );
        assert_eq!(rfc("2020-07-01", Some(ny)), "2020-07-01T00:00:00-04:00");
        // An explicit offset wins over the site zone.
        assert_eq!(
            rfc("2020-01-01 10:00 +0000", Some(ny)),
            "2020-01-01T10:00:00+00:00"
        );
    }

    #[test]
    fn rejects_impossible_dates_with_a_readable_message() {
        for bad in [
            "2024-13-45 99:00",
            "yesterday",
            "2024-02-30",
            "2024-01-01 25:00",
            "",
        ] {
            let err = parse_date(bad, None).expect_err(bad);
            assert!(err.contains('`'), "{err}");
        }
    }

    /// Each checked against Ruby 3.1's `Time.parse` with `TZ=UTC`.
    #[test]
    fn reads_what_ruby_reads() {
        for (written, expected) in [
            (
                "2023-01-29 18:30:22 2023 -0800",
                "2023-01-29T18:30:22+00:00",
            ),
            ("2023-01-29 18:30:22 PST", "2023-01-29T18:30:22-08:00"),
            ("2023-01-29 18:30:22 EST", "2023-01-29T18:30:22-05:00"),
            (
                "Sun, 29 Jan 2023 18:30:22 -0800",
                "2023-01-29T18:30:22-08:00",
            ),
            ("2023-01-29 6:30 PM", "2023-01-29T18:30:00+00:00"),
            (
                "2023-01-29 18:30:22 -08:00 extra",
                "2023-01-29T18:30:22-08:00",
            ),
            (
                "2023-01-29 18:30:22 +01:00 Europe/Berlin",
                "2023-01-29T18:30:22+01:00",
            ),
            ("January 29, 2023", "2023-01-29T00:00:00+00:00"),
            ("29 Jan 2023", "2023-01-29T00:00:00+00:00"),
            ("2023/01/29 18:30", "2023-01-29T18:30:00+00:00"),
            ("2024-01-01 10:00 PST5", "2024-01-01T10:00:00+00:00"),
        ] {
            assert_eq!(rfc(written, None), expected, "{written}");
        }
    }

    #[test]
    fn file_name_prefix() {
        let (date, rest) = file_name_date("2025-08-07-some-title").expect("dated");
        assert_eq!(date.to_string(), "2025-08-07");
        assert_eq!(rest, "some-title");
        assert!(file_name_date("some-title").is_none());
        assert!(file_name_date("2025-8-7-x").is_none());
        assert!(file_name_date("2025-08-07").is_none());
    }
}
