//! The day fields: exactly one of day-of-month and day-of-week selects days, the other is `?`.

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate, Weekday};

use super::error::ScheduleError;
use super::field::{DAY_OF_MONTH, DAY_OF_WEEK, parse_digits};

/// The days on which a cron expression fires, from whichever day field is not `?`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum DayRule {
    /// Day-of-month numbers, e.g. `1,15` or `*`.
    MonthDays(BTreeSet<u32>),
    /// `L` in day-of-month: the month's last day.
    LastDayOfMonth,
    /// `LW`: the month's last weekday (Monday to Friday).
    LastWeekdayOfMonth,
    /// `15W`: the weekday nearest the given day, never leaving the month.
    NearestWeekday(u32),
    /// Day-of-week numbers, 1 = Sunday; `L` alone is the week's last day, Saturday.
    WeekDays(BTreeSet<u32>),
    /// `6L`: the month's last given day of the week (here the last Friday).
    LastOfWeekday(u32),
    /// `3#2`: the month's nth given day of the week (here the second Tuesday).
    NthWeekday { weekday: u32, nth: u32 },
}

/// The largest `n` in `day#n`: no month has six of the same weekday.
const MAX_NTH_WEEKDAY: u32 = 5;

/// Parses the two day fields together, enforcing EventBridge's `?` rule.
///
/// Both arguments must be upper case.
pub(super) fn parse_day_rule(
    day_of_month: &str,
    day_of_week: &str,
) -> Result<DayRule, ScheduleError> {
    match (day_of_month, day_of_week) {
        ("?", "?") => Err(DAY_OF_WEEK.error(
            day_of_week,
            "day-of-month is `?` too, so no day is selected; set one of them, e.g. `*` in \
             day-of-month for every day or `MON-FRI` in day-of-week",
        )),
        ("?", _) => parse_day_of_week(day_of_week),
        (_, "?") => parse_day_of_month(day_of_month),
        _ => Err(both_day_fields_set(day_of_month, day_of_week)),
    }
}

/// EventBridge rejects a value (even `*`) in both day fields; point at the field to blank.
fn both_day_fields_set(day_of_month: &str, day_of_week: &str) -> ScheduleError {
    if day_of_week == "*" {
        return DAY_OF_WEEK.error(
            day_of_week,
            format!(
                "cannot be combined with day-of-month `{day_of_month}`; use `?` in \
                 day-of-week when day-of-month is set"
            ),
        );
    }
    DAY_OF_MONTH.error(
        day_of_month,
        format!(
            "cannot be combined with day-of-week `{day_of_week}`; use `?` in day-of-month \
             when day-of-week is set (or `?` in day-of-week to select by day-of-month)"
        ),
    )
}

fn parse_day_of_month(text: &str) -> Result<DayRule, ScheduleError> {
    match text {
        "L" => return Ok(DayRule::LastDayOfMonth),
        "LW" => return Ok(DayRule::LastWeekdayOfMonth),
        _ => {}
    }
    if let Some(day) = text.strip_suffix('W') {
        return nearest_weekday_rule(text, day);
    }
    if text.contains(['L', 'W']) {
        return Err(DAY_OF_MONTH.error(
            text,
            "`L` and `W` must be the whole field: `L` (last day), `LW` (last weekday) or a \
             day with `W` such as `15W`; offsets like `L-3` and lists like `1,L` are not \
             EventBridge syntax",
        ));
    }
    DAY_OF_MONTH.parse_list(text).map(DayRule::MonthDays)
}

fn nearest_weekday_rule(text: &str, day: &str) -> Result<DayRule, ScheduleError> {
    if parse_digits(day).is_none() {
        return Err(DAY_OF_MONTH.error(
            text,
            "`W` follows a single day number, e.g. `15W`; it cannot be combined with \
             lists, ranges, steps or names",
        ));
    }
    DAY_OF_MONTH
        .parse_value(text, day)
        .map(DayRule::NearestWeekday)
}

fn parse_day_of_week(text: &str) -> Result<DayRule, ScheduleError> {
    if text.contains('#') {
        return parse_nth_weekday(text);
    }
    if text == "L" {
        return Ok(DayRule::WeekDays(BTreeSet::from([7])));
    }
    if let Some(weekday) = text.strip_suffix('L') {
        return last_of_weekday_rule(text, weekday);
    }
    if text.contains('L') {
        return Err(DAY_OF_WEEK.error(
            text,
            "`L` must be the whole field: `L` (Saturday) or a day followed by `L` such as \
             `6L` or `FRIL` (last Friday of the month)",
        ));
    }
    if text.contains('/') {
        return Err(DAY_OF_WEEK.error(
            text,
            "EventBridge does not allow `/` in day-of-week (only `, - * ? L #`); list the \
             days instead, e.g. `MON,WED,FRI`",
        ));
    }
    DAY_OF_WEEK.parse_list(text).map(DayRule::WeekDays)
}

fn last_of_weekday_rule(text: &str, weekday: &str) -> Result<DayRule, ScheduleError> {
    if weekday.contains([',', '-', '*', '/']) {
        return Err(DAY_OF_WEEK.error(
            text,
            "`L` follows a single day, e.g. `6L` or `FRIL`; it cannot be combined with \
             lists, ranges or steps",
        ));
    }
    DAY_OF_WEEK
        .parse_value(text, weekday)
        .map(DayRule::LastOfWeekday)
}

fn parse_nth_weekday(text: &str) -> Result<DayRule, ScheduleError> {
    let single_expression = |problem: &str| {
        DAY_OF_WEEK.error(
            text,
            format!(
                "{problem}; `#` takes exactly one expression `day#n` for the whole field, \
                 e.g. `3#2` (second Tuesday); use one schedule per expression"
            ),
        )
    };
    if text.contains(',') {
        return Err(single_expression("a list cannot contain `#`"));
    }
    let Some((weekday, nth)) = text.split_once('#') else {
        return Err(single_expression("malformed `#` expression"));
    };
    let weekday = DAY_OF_WEEK.parse_value(text, weekday)?;
    match parse_digits(nth) {
        Some(nth) if (1..=MAX_NTH_WEEKDAY).contains(&nth) => {
            Ok(DayRule::NthWeekday { weekday, nth })
        }
        _ => Err(DAY_OF_WEEK.error(
            text,
            format!(
                "`#{nth}`: the occurrence after `#` must be 1-{MAX_NTH_WEEKDAY}, e.g. `3#2` \
                 for the second Tuesday; for the last one use `L`, e.g. `3L`"
            ),
        )),
    }
}

impl DayRule {
    /// Whether the rule selects `date` (a date of the schedule's time zone).
    pub(super) fn matches(&self, date: NaiveDate) -> bool {
        let day = date.day();
        let last_day = days_in_month(date.year(), date.month());
        let weekday = date.weekday().number_from_sunday();
        match self {
            Self::MonthDays(days) => days.contains(&day),
            Self::LastDayOfMonth => day == last_day,
            Self::LastWeekdayOfMonth => day == weekday_on_or_before(date, last_day),
            Self::NearestWeekday(target) => Some(day) == nearest_weekday(date, *target, last_day),
            Self::WeekDays(days) => days.contains(&weekday),
            Self::LastOfWeekday(wanted) => weekday == *wanted && day + 7 > last_day,
            Self::NthWeekday {
                weekday: wanted,
                nth,
            } => weekday == *wanted && (day - 1) / 7 + 1 == *nth,
        }
    }
}

/// The day of `date`'s month nearest `target` that is Monday to Friday. A Saturday moves to
/// Friday and a Sunday to Monday, except where that would leave the month: a Saturday 1st
/// moves to Monday the 3rd and a Sunday last day to the Friday before. `None` when the month
/// is shorter than `target`.
fn nearest_weekday(date: NaiveDate, target: u32, last_day: u32) -> Option<u32> {
    let weekday = date.with_day(target)?.weekday();
    Some(match weekday {
        Weekday::Sat if target == 1 => 3,
        Weekday::Sat => target - 1,
        Weekday::Sun if target == last_day => target - 2,
        Weekday::Sun => target + 1,
        _ => target,
    })
}

/// The latest Monday-to-Friday day of `date`'s month on or before `day`.
fn weekday_on_or_before(date: NaiveDate, day: u32) -> u32 {
    match date.with_day(day).map(|last| last.weekday()) {
        Some(Weekday::Sat) => day - 1,
        Some(Weekday::Sun) => day - 2,
        _ => day,
    }
}

pub(super) fn days_in_month(year: i32, month: u32) -> u32 {
    let leap_year = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    match month {
        2 if leap_year => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}
