//! Serial numbers such as `2025.BLG.124`: a year, a series and a number.

use serde::Serialize;

/// A post's serial number as written, with its parts when it has the `YEAR.SERIES.NUMBER` shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SerialNumber {
    /// As written, trimmed.
    pub value: String,
    pub year: Option<i32>,
    /// Upper-cased series code, e.g. `BLG`.
    pub series: Option<String>,
    pub number: Option<u32>,
}

impl SerialNumber {
    pub fn parse(text: &str) -> SerialNumber {
        let value = text.trim().to_string();
        let mut parts = value.split('.');
        let (year, series, number) = match (parts.next(), parts.next(), parts.next(), parts.next())
        {
            (Some(y), Some(s), Some(n), None)
                if y.len() == 4
                    && !s.is_empty()
                    && s.chars().all(|c| c.is_ascii_alphanumeric()) =>
            {
                (y.parse().ok(), Some(s.to_ascii_uppercase()), n.parse().ok())
            }
            _ => (None, None, None),
        };
        SerialNumber {
            value,
            year,
            series,
            number,
        }
    }

    /// The lookup key: case-insensitive, surrounding space ignored.
    pub fn key(text: &str) -> String {
        text.trim().to_ascii_uppercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_year_series_number() {
        let s = SerialNumber::parse(" 2025.BLG.124 ");
        assert_eq!(s.value, "2025.BLG.124");
        assert_eq!(
            (s.year, s.series.as_deref(), s.number),
            (Some(2025), Some("BLG"), Some(124))
        );
        let lower = SerialNumber::parse("2024.rpy.007");
        assert_eq!(lower.series.as_deref(), Some("RPY"));
        assert_eq!(lower.number, Some(7));
        let odd = SerialNumber::parse("ABC-1");
        assert_eq!((odd.year, odd.series, odd.number), (None, None, None));
        assert_eq!(SerialNumber::key(" 2025.blg.124"), "2025.BLG.124");
    }
}
