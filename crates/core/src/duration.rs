//! ISO-8601 durations (`PT30S`, `PT5M`, `PT1H30M`, `P1D`), the only duration syntax in specs.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The pattern the JSON Schema uses for duration fields; [`IsoDuration::from_str`] accepts the
/// same language, so a value that passes the schema parses unless it is longer than
/// [`MAX_DURATION_DAYS`].
pub const DURATION_PATTERN: &str = r"^P(?:\d+D|(?:\d+D)?T(?:\d+H(?:\d+M)?(?:\d+(?:\.\d+)?S)?|\d+M(?:\d+(?:\.\d+)?S)?|\d+(?:\.\d+)?S))$";

/// A duration written in ISO-8601 form: days, hours, minutes and (fractional) seconds.
/// Years, months and weeks are refused because their length depends on the calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IsoDuration(Duration);

/// The longest duration accepted: 100 years. Far beyond any RTO, timeout or cadence, and small
/// enough that a time plus it stays in range (chrono panics on an overflowing addition, and
/// `std::time::Duration` cannot hold the twenty-digit day counts the pattern allows).
pub const MAX_DURATION_DAYS: u64 = 36_500;

/// Why a duration string was refused; the message says how to write it instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error(
        "`{0}` is not an ISO-8601 duration: write it like PT30S, PT5M, PT1H30M or P1D (days, hours, minutes, seconds; no years, months or weeks)"
    )]
    Malformed(String),
    #[error("`{0}` is longer than 100 years; write a duration of at most P{MAX_DURATION_DAYS}D")]
    TooLong(String),
}

impl IsoDuration {
    pub fn from_secs(secs: u64) -> Self {
        Self(Duration::from_secs(secs))
    }

    pub fn as_duration(self) -> Duration {
        self.0
    }

    pub fn as_secs_f64(self) -> f64 {
        self.0.as_secs_f64()
    }

    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }
}

impl FromStr for IsoDuration {
    type Err = DurationError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let refuse = || DurationError::Malformed(text.to_string());
        let rest = text.strip_prefix('P').ok_or_else(refuse)?;
        let (date_part, time_part) = match rest.split_once('T') {
            Some((date, time)) if !time.is_empty() => (date, Some(time)),
            Some(_) => return Err(refuse()),
            None => (rest, None),
        };
        if date_part.is_empty() && time_part.is_none() {
            return Err(refuse());
        }
        let mut secs = 0f64;
        secs += parse_components(date_part, &[('D', 86_400.0)]).ok_or_else(refuse)?;
        if let Some(time) = time_part {
            secs += parse_components(time, &[('H', 3_600.0), ('M', 60.0), ('S', 1.0)])
                .ok_or_else(refuse)?;
        }
        if secs > (MAX_DURATION_DAYS * 86_400) as f64 {
            return Err(DurationError::TooLong(text.to_string()));
        }
        // Kept to the millisecond, the precision it is written back with, so a duration reads
        // back from its own text unchanged.
        Ok(Self(Duration::from_millis((secs * 1000.0).round() as u64)))
    }
}

/// Sums `<number><unit>` pairs that appear in the order of `units`, each at most once.
/// Only seconds may carry a fraction.
fn parse_components(mut text: &str, units: &[(char, f64)]) -> Option<f64> {
    let mut total = 0.0;
    let mut next_unit = 0;
    while !text.is_empty() {
        let end = text.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        let (number, rest) = text.split_at(end);
        let unit = rest.chars().next()?;
        let position = units[next_unit..].iter().position(|(u, _)| *u == unit)? + next_unit;
        let fractional_allowed = unit == 'S';
        if number.is_empty() || (number.contains('.') && !fractional_allowed) {
            return None;
        }
        if number.starts_with('.') || number.ends_with('.') {
            return None;
        }
        total += number.parse::<f64>().ok()? * units[position].1;
        next_unit = position + 1;
        text = &rest[unit.len_utf8()..];
    }
    Some(total)
}

impl fmt::Display for IsoDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total_millis = self.0.as_millis();
        if total_millis == 0 {
            return f.write_str("PT0S");
        }
        let days = total_millis / 86_400_000;
        let hours = total_millis % 86_400_000 / 3_600_000;
        let minutes = total_millis % 3_600_000 / 60_000;
        let millis = total_millis % 60_000;
        f.write_str("P")?;
        if days > 0 {
            write!(f, "{days}D")?;
        }
        if hours + minutes + millis > 0 {
            f.write_str("T")?;
        }
        if hours > 0 {
            write!(f, "{hours}H")?;
        }
        if minutes > 0 {
            write!(f, "{minutes}M")?;
        }
        match (millis / 1000, millis % 1000) {
            (0, 0) => Ok(()),
            (s, 0) => write!(f, "{s}S"),
            (s, ms) => write!(f, "{s}.{ms:03}S"),
        }
    }
}

impl Serialize for IsoDuration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for IsoDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for IsoDuration {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "IsoDuration".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": DURATION_PATTERN,
            "description": "ISO-8601 duration, e.g. PT30S, PT5M, PT1H30M, P1D",
            "examples": ["PT30S", "PT5M", "PT1H"]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(text: &str) -> f64 {
        text.parse::<IsoDuration>().unwrap().as_secs_f64()
    }

    #[test]
    fn parses_every_unit_and_fraction() {
        assert_eq!(secs("PT30S"), 30.0);
        assert_eq!(secs("PT5M"), 300.0);
        assert_eq!(secs("PT1H30M"), 5_400.0);
        assert_eq!(secs("P1D"), 86_400.0);
        assert_eq!(secs("P1DT2H3M4S"), 93_784.0);
        assert_eq!(secs("PT0.5S"), 0.5);
    }

    #[test]
    fn refuses_malformed_and_calendar_units() {
        for bad in [
            "",
            "P",
            "PT",
            "30S",
            "PT5",
            "P1Y",
            "P1W",
            "P1M",
            "PT1.5M",
            "PT5M1H",
            "PT5M5M",
            "5 minutes",
            "PT.5S",
            "PT5.S",
            "pt5m",
        ] {
            assert!(
                bad.parse::<IsoDuration>().is_err(),
                "{bad:?} should be refused"
            );
        }
    }

    #[test]
    fn refuses_durations_longer_than_a_hundred_years_without_panicking() {
        assert_eq!(secs("P36500D"), 36_500.0 * 86_400.0);
        for long in ["P36501D", "PT876001H", "P99999999999999999999D", "PT1e400S"] {
            let error = long.parse::<IsoDuration>().unwrap_err();
            assert!(
                matches!(
                    error,
                    DurationError::TooLong(_) | DurationError::Malformed(_)
                ),
                "{long}"
            );
        }
        let error = "P99999999999999999999D".parse::<IsoDuration>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "`P99999999999999999999D` is longer than 100 years; write a duration of at most P36500D"
        );
    }

    #[test]
    fn reads_back_from_its_own_text() {
        for text in ["PT0.0001S", "PT0.0005S", "P36499DT0.123456S", "PT1.9999S"] {
            let duration: IsoDuration = text.parse().unwrap();
            assert_eq!(
                duration.to_string().parse::<IsoDuration>(),
                Ok(duration),
                "{text}"
            );
        }
        assert_eq!(secs("PT0.0001S"), 0.0);
        assert_eq!(secs("PT1.9999S"), 2.0);
    }

    #[test]
    fn pattern_and_parser_agree() {
        let pattern = jsonschema::validator_for(
            &serde_json::json!({"type": "string", "pattern": DURATION_PATTERN}),
        )
        .unwrap();
        for text in [
            "PT30S", "P1DT1H", "PT0.25S", "PT1H4S", "P", "PT", "P1DT", "PT5M1H", "P1W", "PT1.5M",
            "PT.5S",
        ] {
            let by_parser = text.parse::<IsoDuration>().is_ok();
            let by_schema = pattern.is_valid(&serde_json::json!(text));
            assert_eq!(by_parser, by_schema, "{text}");
        }
    }

    #[test]
    fn displays_canonical_form() {
        for text in ["PT30S", "PT5M", "PT1H30M", "P1D", "P1DT2H3M4S", "PT0.500S"] {
            assert_eq!(text.parse::<IsoDuration>().unwrap().to_string(), text);
        }
    }
}
