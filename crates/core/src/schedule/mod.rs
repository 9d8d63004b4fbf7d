//! Amazon EventBridge schedule expressions (Scheduler schedules and scheduled rules):
//! parsing, validation and next fire times.
//!
//! Two forms are accepted, in EventBridge's own dialect:
//!
//! - `cron(Minutes Hours Day-of-month Month Day-of-week Year)`: six fields with the wildcards
//!   `, - * / ? L W #`, month names `JAN`-`DEC`, day names `SUN`-`SAT` (day-of-week 1-7,
//!   1 = Sunday) and years 1970-2199. Exactly one of day-of-month and day-of-week is `?`.
//!   Names and the letters `L` and `W` are matched in any case, as Quartz-style parsers do.
//! - `rate(value unit)`: a positive whole number and `minute`, `hour` or `day`, singular for
//!   1 and plural (`minutes`, `hours`, `days`) otherwise.
//!
//! Cron expressions are evaluated in a time zone (EventBridge Scheduler semantics; a
//! scheduled rule is the special case `UTC`). Rate expressions are fixed durations from an
//! anchor. One-time `at(...)` schedules are not handled here.

mod cron;
mod days;
mod error;
mod field;
mod rate;
#[cfg(test)]
mod tests;

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;

pub use self::cron::CronExpression;
pub use self::error::{CronField, ScheduleError};
pub use self::rate::{RateExpression, RateUnit};

/// The first year the cron year field accepts.
const FIRST_SCHEDULABLE_YEAR: i32 = 1970;
/// The last year the cron year field accepts; fire-time searches stop at its end.
const LAST_SCHEDULABLE_YEAR: i32 = 2199;

/// A parsed, valid EventBridge schedule expression.
///
/// Parse with [`str::parse`]; [`Display`](fmt::Display) writes it back in a form that parses
/// to the same expression (fields separated by single spaces).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScheduleExpression {
    Cron(CronExpression),
    Rate(RateExpression),
}

impl ScheduleExpression {
    /// The next `count` fire times strictly after `after`, in UTC.
    ///
    /// - Cron: evaluated on the wall clock of `tz`. A wall-clock time skipped by a daylight
    ///   saving change does not fire; one repeated by a change fires once, at its first
    ///   occurrence.
    /// - Rate: `after + k * interval` for k = 1, 2, ...; `tz` is ignored because EventBridge
    ///   counts rates in elapsed time (a day is 24 hours). EventBridge anchors a rate
    ///   schedule at its start date (or creation time), so pass that anchor as `after`.
    ///
    /// Returns fewer than `count` times when the schedule stops firing before the end of 2199
    /// (for example a year field in the past, or `30 2` in February).
    pub fn next_fire_times(
        &self,
        tz: Tz,
        after: DateTime<Utc>,
        count: usize,
    ) -> Vec<DateTime<Utc>> {
        match self {
            Self::Cron(cron) => cron.next_fire_times(tz, after, count),
            Self::Rate(rate) => rate.next_fire_times(after, count),
        }
    }

    /// The longest stretch without a fire in `(from, until]`: from `from` to the first fire,
    /// between two consecutive fires, and from the last fire to `until` (so a schedule that
    /// stops firing, or never fires, has a stretch as long as what is left of the span).
    /// A rate's stretch is its interval, or the whole span when that is shorter.
    pub fn longest_gap(&self, tz: Tz, from: DateTime<Utc>, until: DateTime<Utc>) -> TimeDelta {
        let span = (until - from).max(TimeDelta::zero());
        if let Self::Rate(rate) = self {
            return rate.interval().min(span);
        }
        /// Fire times computed per step; a cron that fires every minute takes ~500 steps a year.
        const STEP: usize = 1024;
        let mut longest = TimeDelta::zero();
        let mut previous = from;
        loop {
            let fires = self.next_fire_times(tz, previous, STEP);
            let more_to_come = fires.len() == STEP && fires.last().is_some_and(|l| *l < until);
            for fire in fires.into_iter().take_while(|fire| *fire <= until) {
                longest = longest.max(fire - previous);
                previous = fire;
            }
            if !more_to_come {
                return longest.max(until - previous);
            }
        }
    }
}

impl FromStr for ScheduleExpression {
    type Err = ScheduleError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.trim() != text {
            return Err(malformed(
                text,
                "remove the leading or trailing white space",
            ));
        }
        if let Some(arguments) = call_arguments(text, "cron") {
            return CronExpression::parse(arguments?).map(Self::Cron);
        }
        if let Some(arguments) = call_arguments(text, "rate") {
            return RateExpression::parse(arguments?).map(Self::Rate);
        }
        Err(malformed(
            text,
            "expected `cron(...)` or `rate(...)` in lower case, e.g. `cron(0 10 * * ? *)` or \
             `rate(5 minutes)`; one-time `at(...)` schedules are not supported here",
        ))
    }
}

/// The text inside `name(...)`, or `None` when `text` does not start with `name(`.
fn call_arguments<'a>(text: &'a str, name: &str) -> Option<Result<&'a str, ScheduleError>> {
    let inside = text.strip_prefix(name)?.strip_prefix('(')?;
    Some(inside.strip_suffix(')').ok_or_else(|| {
        malformed(
            text,
            format!("missing the closing `)`; write `{name}(...)` with nothing after it"),
        )
    }))
}

fn malformed(expression: &str, problem: impl Into<String>) -> ScheduleError {
    ScheduleError::Malformed {
        expression: expression.to_owned(),
        problem: problem.into(),
    }
}

impl fmt::Display for ScheduleExpression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Cron(cron) => cron.fmt(f),
            Self::Rate(rate) => rate.fmt(f),
        }
    }
}

/// Parses an IANA time zone name such as `Europe/Berlin`, as EventBridge Scheduler's
/// `ScheduleExpressionTimezone` takes it.
pub fn parse_time_zone(name: &str) -> Result<Tz, ScheduleError> {
    name.parse().map_err(|_| ScheduleError::UnknownTimeZone {
        name: name.to_owned(),
        suggestion: same_name_ignoring_case(name),
    })
}

fn same_name_ignoring_case(name: &str) -> Option<String> {
    chrono_tz::TZ_VARIANTS
        .iter()
        .find(|zone| zone.name().eq_ignore_ascii_case(name))
        .map(|zone| zone.name().to_owned())
}
