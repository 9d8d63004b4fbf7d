//! `rate(value unit)` expressions.

use std::fmt;

use chrono::{DateTime, Datelike, TimeDelta, Utc};

use super::LAST_SCHEDULABLE_YEAR;
use super::error::ScheduleError;
use super::field::parse_digits;

/// The unit of a rate expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RateUnit {
    Minutes,
    Hours,
    Days,
}

impl RateUnit {
    /// The word EventBridge expects: singular for a value of 1, plural otherwise.
    fn word(self, value: u32) -> &'static str {
        match (self, value == 1) {
            (Self::Minutes, true) => "minute",
            (Self::Minutes, false) => "minutes",
            (Self::Hours, true) => "hour",
            (Self::Hours, false) => "hours",
            (Self::Days, true) => "day",
            (Self::Days, false) => "days",
        }
    }

    /// The unit a word names, and whether the word is plural.
    fn from_word(word: &str) -> Option<(Self, bool)> {
        Some(match word {
            "minute" => (Self::Minutes, false),
            "minutes" => (Self::Minutes, true),
            "hour" => (Self::Hours, false),
            "hours" => (Self::Hours, true),
            "day" => (Self::Days, false),
            "days" => (Self::Days, true),
            _ => return None,
        })
    }

    fn seconds(self) -> i64 {
        match self {
            Self::Minutes => 60,
            Self::Hours => 60 * 60,
            Self::Days => 24 * 60 * 60,
        }
    }
}

/// A parsed, valid EventBridge rate expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateExpression {
    value: u32,
    unit: RateUnit,
}

impl RateExpression {
    /// Parses the text between `rate(` and `)`.
    pub(super) fn parse(arguments: &str) -> Result<Self, ScheduleError> {
        let invalid = |problem: String| ScheduleError::InvalidRate {
            expression: format!("rate({arguments})"),
            problem,
        };
        let words: Vec<&str> = arguments.split_whitespace().collect();
        let [value_text, unit_text] = words.as_slice() else {
            return Err(invalid(
                "needs a value and a unit separated by a space, e.g. `rate(5 minutes)`".to_owned(),
            ));
        };
        let value = parse_value(value_text).map_err(invalid)?;
        let (unit, plural) = RateUnit::from_word(unit_text).ok_or_else(|| {
            invalid(format!(
                "unit `{unit_text}` must be one of minute, minutes, hour, hours, day, days"
            ))
        })?;
        if plural != (value != 1) {
            return Err(invalid(format!(
                "EventBridge needs a singular unit for 1 and a plural one otherwise; write \
                 `rate({value} {})`",
                unit.word(value)
            )));
        }
        Ok(Self { value, unit })
    }

    pub fn value(&self) -> u32 {
        self.value
    }

    pub fn unit(&self) -> RateUnit {
        self.unit
    }

    /// The time between fires. A day is always 24 hours, across daylight saving changes too.
    pub fn interval(&self) -> TimeDelta {
        // At most u32::MAX days, about 3.7e14 seconds: far inside TimeDelta's range.
        TimeDelta::seconds(i64::from(self.value) * self.unit.seconds())
    }

    /// `anchor + k * interval` for k = 1, 2, ..., `count` at most.
    ///
    /// EventBridge anchors a rate schedule at its start date, or its creation time when it
    /// has none, so pass that as `anchor`. The anchor itself is not returned (times are
    /// strictly after it), although EventBridge Scheduler also invokes at the start date.
    /// Times past the end of 2199, the last year a cron expression can name, are not
    /// returned.
    pub fn next_fire_times(&self, anchor: DateTime<Utc>, count: usize) -> Vec<DateTime<Utc>> {
        std::iter::successors(Some(anchor), |previous| {
            previous.checked_add_signed(self.interval())
        })
        .skip(1)
        .take_while(|fire| fire.year() <= LAST_SCHEDULABLE_YEAR)
        .take(count)
        .collect()
    }
}

/// The value of a rate: a whole number from 1 to `u32::MAX`.
fn parse_value(text: &str) -> Result<u32, String> {
    match parse_digits(text) {
        Some(value) if value > 0 => Ok(value),
        None if !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit()) => Err(format!(
            "value `{text}` is too large; the largest accepted is {}",
            u32::MAX
        )),
        _ => Err(format!(
            "value `{text}` must be a positive whole number, e.g. `rate(5 minutes)`"
        )),
    }
}

impl fmt::Display for RateExpression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rate({} {})", self.value, self.unit.word(self.value))
    }
}
