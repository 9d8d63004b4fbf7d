//! `cron(Minutes Hours Day-of-month Month Day-of-week Year)` expressions.

use std::collections::BTreeSet;
use std::fmt;

use chrono::{
    DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, TimeZone, Timelike, Utc,
};
use chrono_tz::Tz;

use super::days::{DayRule, days_in_month, parse_day_rule};
use super::error::ScheduleError;
use super::field::{HOURS, MINUTES, MONTH, YEAR};

/// A parsed, valid EventBridge cron expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronExpression {
    /// The six fields as written, joined by single spaces, for [`Display`](fmt::Display).
    fields: String,
    minutes: BTreeSet<u32>,
    hours: BTreeSet<u32>,
    days: DayRule,
    months: BTreeSet<u32>,
    years: BTreeSet<u32>,
}

impl CronExpression {
    /// Parses the text between `cron(` and `)`.
    pub(super) fn parse(fields_text: &str) -> Result<Self, ScheduleError> {
        let written: Vec<&str> = fields_text.split_whitespace().collect();
        let Ok(fields) = <[&str; 6]>::try_from(written.as_slice()) else {
            return Err(ScheduleError::FieldCount {
                expression: format!("cron({fields_text})"),
                found: written.len(),
            });
        };
        // Names and the `L`/`W` wildcards are matched regardless of case.
        let [minutes, hours, day_of_month, month, day_of_week, year] =
            fields.map(str::to_ascii_uppercase);
        Ok(Self {
            minutes: MINUTES.parse_list(&minutes)?,
            hours: HOURS.parse_list(&hours)?,
            days: parse_day_rule(&day_of_month, &day_of_week)?,
            months: MONTH.parse_list(&month)?,
            years: YEAR.parse_list(&year)?,
            fields: fields.join(" "),
        })
    }

    /// The next `count` fire times strictly after `after`, evaluated in the time zone `tz`.
    ///
    /// Daylight saving time follows EventBridge Scheduler: a local time that does not exist
    /// (the hour skipped in spring) is skipped, and a local time that occurs twice (the hour
    /// repeated in autumn) fires once, at its first occurrence. Fewer than `count` times are
    /// returned when the expression stops firing before the end of 2199.
    pub fn next_fire_times(
        &self,
        tz: Tz,
        after: DateTime<Utc>,
        count: usize,
    ) -> Vec<DateTime<Utc>> {
        let local_start = after.with_timezone(&tz).naive_local();
        self.local_fire_times(local_start)
            .filter_map(|local| first_occurrence(tz, local))
            // Starting from `after`'s wall-clock minute can yield instants at or before
            // `after`: that minute itself, and during a repeated hour, the first pass.
            .filter(|fire| *fire > after)
            .take(count)
            .collect()
    }

    /// Matching wall-clock times from the minute containing `from` onwards, in order.
    fn local_fire_times(&self, from: NaiveDateTime) -> impl Iterator<Item = NaiveDateTime> + '_ {
        std::iter::successors(self.first_match_from(from), |previous| {
            let next_minute = previous.checked_add_signed(TimeDelta::minutes(1))?;
            self.first_match_from(next_minute)
        })
    }

    /// The first matching wall-clock time in or after the minute containing `from`.
    fn first_match_from(&self, from: NaiveDateTime) -> Option<NaiveDateTime> {
        let mut date = self.first_date_from(from.date())?;
        if date == from.date() {
            if let Some(time) = self.first_time_from(from.time()) {
                return Some(date.and_time(time));
            }
            date = self.first_date_from(date.succ_opt()?)?;
        }
        Some(date.and_time(self.first_time_from(NaiveTime::MIN)?))
    }

    /// The first time of day in or after the minute containing `from`.
    fn first_time_from(&self, from: NaiveTime) -> Option<NaiveTime> {
        self.hours.range(from.hour()..).find_map(|&hour| {
            let first_minute = if hour == from.hour() {
                from.minute()
            } else {
                0
            };
            let minute = *self.minutes.range(first_minute..).next()?;
            NaiveTime::from_hms_opt(hour, minute, 0)
        })
    }

    /// The first selected date on or after `from`; `None` past the last selected year.
    fn first_date_from(&self, from: NaiveDate) -> Option<NaiveDate> {
        let from_year = u32::try_from(from.year()).unwrap_or(0);
        for &year in self.years.range(from_year..) {
            let first_month = if year == from_year { from.month() } else { 1 };
            for &month in self.months.range(first_month..) {
                let first_day = if (year, month) == (from_year, from.month()) {
                    from.day()
                } else {
                    1
                };
                if let Some(date) = self.first_day_in_month(year, month, first_day) {
                    return Some(date);
                }
            }
        }
        None
    }

    fn first_day_in_month(&self, year: u32, month: u32, first_day: u32) -> Option<NaiveDate> {
        let year = i32::try_from(year).ok()?;
        (first_day..=days_in_month(year, month))
            .filter_map(|day| NaiveDate::from_ymd_opt(year, month, day))
            .find(|date| self.days.matches(*date))
    }
}

/// The instant a wall-clock time first occurs in `tz`; `None` when a clock change skips it.
fn first_occurrence(tz: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    tz.from_local_datetime(&local)
        .earliest()
        .map(|instant| instant.with_timezone(&Utc))
}

impl fmt::Display for CronExpression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cron({})", self.fields)
    }
}
