//! Expected fire times below were worked out by hand from calendars and the IANA rules:
//! America/New_York moves 02:00 EST -> 03:00 EDT on 2025-03-09 and 02:00 EDT -> 01:00 EST on
//! 2025-11-02; Europe/Berlin moves 02:00 CET -> 03:00 CEST on 2025-03-30 and
//! 03:00 CEST -> 02:00 CET on 2025-10-26.

use chrono::{DateTime, TimeDelta, Utc};

use super::{CronField, RateUnit, ScheduleError, ScheduleExpression, parse_time_zone};

fn parse(expression: &str) -> ScheduleExpression {
    expression
        .parse()
        .unwrap_or_else(|error| panic!("`{expression}` should parse: {error}"))
}

fn instant(text: &str) -> DateTime<Utc> {
    text.parse()
        .unwrap_or_else(|error| panic!("bad test instant `{text}`: {error}"))
}

/// Fire times as `YYYY-MM-DDTHH:MMZ`, for readable comparisons.
fn fires(expression: &str, zone: &str, after: &str, count: usize) -> Vec<String> {
    let zone = parse_time_zone(zone).expect("test zone");
    parse(expression)
        .next_fire_times(zone, instant(after), count)
        .iter()
        .map(|fire| fire.format("%Y-%m-%dT%H:%MZ").to_string())
        .collect()
}

fn assert_fires(expression: &str, zone: &str, after: &str, expected: &[&str]) {
    assert_eq!(
        fires(expression, zone, after, expected.len()),
        expected,
        "{expression} in {zone} after {after}"
    );
}

/// Parses an expression that must be rejected, returning the error.
fn rejection(expression: &str) -> ScheduleError {
    match expression.parse::<ScheduleExpression>() {
        Ok(parsed) => panic!("`{expression}` should be rejected, parsed as {parsed:?}"),
        Err(error) => error,
    }
}

/// Asserts the expression is rejected for `field`, with a message containing each of `words`.
fn assert_field_error(expression: &str, field: CronField, words: &[&str]) {
    let error = rejection(expression);
    assert_eq!(error.field(), Some(field), "{expression}: {error}");
    let message = error.to_string();
    assert!(message.contains(&format!("{field} field")), "{message}");
    for word in words {
        assert!(
            message.contains(word),
            "{expression}: `{message}` lacks `{word}`"
        );
    }
}

fn assert_rate_error(expression: &str, words: &[&str]) {
    let error = rejection(expression);
    assert!(
        matches!(error, ScheduleError::InvalidRate { .. }),
        "{error:?}"
    );
    let message = error.to_string();
    for word in words {
        assert!(
            message.contains(word),
            "{expression}: `{message}` lacks `{word}`"
        );
    }
}

// ---- fire times in UTC -----------------------------------------------------------------

#[test]
fn fixed_time_every_day() {
    assert_fires(
        "cron(0 10 * * ? *)",
        "UTC",
        "2025-01-01T00:00:00Z",
        &[
            "2025-01-01T10:00Z",
            "2025-01-02T10:00Z",
            "2025-01-03T10:00Z",
        ],
    );
}

#[test]
fn fire_times_are_strictly_after_the_start() {
    let expression = "cron(15 12 * * ? *)";
    assert_fires(
        expression,
        "UTC",
        "2025-01-01T12:14:59Z",
        &["2025-01-01T12:15Z"],
    );
    assert_fires(
        expression,
        "UTC",
        "2025-01-01T12:15:00Z",
        &["2025-01-02T12:15Z"],
    );
    assert_fires(
        expression,
        "UTC",
        "2025-01-01T12:15:00.001Z",
        &["2025-01-02T12:15Z"],
    );
}

#[test]
fn minute_step_from_zero() {
    assert_fires(
        "cron(0/15 * * * ? *)",
        "UTC",
        "2025-01-01T00:07:00Z",
        &[
            "2025-01-01T00:15Z",
            "2025-01-01T00:30Z",
            "2025-01-01T00:45Z",
            "2025-01-01T01:00Z",
        ],
    );
}

#[test]
fn minute_step_from_one_fires_at_one_eleven_twenty_one() {
    let times = fires("cron(1/10 * * * ? *)", "UTC", "2025-01-01T00:00:00Z", 7);
    let expected = [
        "00:01", "00:11", "00:21", "00:31", "00:41", "00:51", "01:01",
    ]
    .map(|time| format!("2025-01-01T{time}Z"));
    assert_eq!(times, expected);
}

#[test]
fn stepped_range_stops_at_range_end() {
    assert_fires(
        "cron(5-30/10 8 * * ? *)",
        "UTC",
        "2025-01-01T00:00:00Z",
        &[
            "2025-01-01T08:05Z",
            "2025-01-01T08:15Z",
            "2025-01-01T08:25Z",
            "2025-01-02T08:05Z",
        ],
    );
}

#[test]
fn hour_range() {
    assert_fires(
        "cron(0 8-10 * * ? *)",
        "UTC",
        "2025-01-01T09:30:00Z",
        &[
            "2025-01-01T10:00Z",
            "2025-01-02T08:00Z",
            "2025-01-02T09:00Z",
            "2025-01-02T10:00Z",
        ],
    );
}

#[test]
fn weekdays_by_name_skip_the_weekend() {
    // 2025-01-03 is a Friday.
    assert_fires(
        "cron(0 18 ? * MON-FRI *)",
        "UTC",
        "2025-01-03T19:00:00Z",
        &["2025-01-06T18:00Z", "2025-01-07T18:00Z"],
    );
}

#[test]
fn day_names_are_matched_in_any_case() {
    assert_fires(
        "cron(0 10 ? * mon-fri *)",
        "UTC",
        "2025-01-03T10:00:00Z",
        &["2025-01-06T10:00Z"],
    );
}

#[test]
fn month_names_list_with_weekday_and_year_range() {
    // Mondays of January and July in 2025 and 2026.
    assert_fires(
        "cron(0 12 ? JAN,JUL 2 2025-2026)",
        "UTC",
        "2025-01-25T00:00:00Z",
        &[
            "2025-01-27T12:00Z",
            "2025-07-07T12:00Z",
            "2025-07-14T12:00Z",
            "2025-07-21T12:00Z",
            "2025-07-28T12:00Z",
            "2026-01-05T12:00Z",
        ],
    );
}

#[test]
fn month_step() {
    assert_fires(
        "cron(0 0 1 */3 ? *)",
        "UTC",
        "2025-02-15T00:00:00Z",
        &[
            "2025-04-01T00:00Z",
            "2025-07-01T00:00Z",
            "2025-10-01T00:00Z",
            "2026-01-01T00:00Z",
        ],
    );
}

#[test]
fn year_step() {
    assert_fires(
        "cron(0 0 1 1 ? 2025/2)",
        "UTC",
        "2024-06-01T00:00:00Z",
        &[
            "2025-01-01T00:00Z",
            "2027-01-01T00:00Z",
            "2029-01-01T00:00Z",
        ],
    );
}

#[test]
fn last_day_of_month_handles_leap_february() {
    assert_fires(
        "cron(0 9 L * ? *)",
        "UTC",
        "2024-02-01T00:00:00Z",
        &[
            "2024-02-29T09:00Z",
            "2024-03-31T09:00Z",
            "2024-04-30T09:00Z",
        ],
    );
}

#[test]
fn last_weekday_of_month() {
    // 2025-05-31 is a Saturday and 2025-08-31 a Sunday.
    assert_fires(
        "cron(0 9 LW * ? *)",
        "UTC",
        "2025-05-01T00:00:00Z",
        &[
            "2025-05-30T09:00Z",
            "2025-06-30T09:00Z",
            "2025-07-31T09:00Z",
            "2025-08-29T09:00Z",
        ],
    );
}

#[test]
fn nearest_weekday_moves_off_weekends() {
    // The 3rd is a Saturday in May 2025 and a Sunday in August 2025.
    assert_fires(
        "cron(0 9 3W * ? *)",
        "UTC",
        "2025-05-01T00:00:00Z",
        &[
            "2025-05-02T09:00Z",
            "2025-06-03T09:00Z",
            "2025-07-03T09:00Z",
            "2025-08-04T09:00Z",
        ],
    );
}

#[test]
fn nearest_weekday_does_not_leave_the_month() {
    // 2025-11-01 is a Saturday: Monday the 3rd, not Friday 31 October.
    assert_fires(
        "cron(0 9 1W * ? *)",
        "UTC",
        "2025-10-15T00:00:00Z",
        &["2025-11-03T09:00Z", "2025-12-01T09:00Z"],
    );
    // 2025-11-30 is a Sunday and the month's last day: Friday the 28th, not Monday 1 December.
    assert_fires(
        "cron(0 12 30W * ? *)",
        "UTC",
        "2025-11-01T00:00:00Z",
        &["2025-11-28T12:00Z", "2025-12-30T12:00Z"],
    );
}

#[test]
fn nearest_weekday_skips_months_without_that_day() {
    assert_fires(
        "cron(0 12 30W * ? *)",
        "UTC",
        "2026-01-31T00:00:00Z",
        &["2026-03-30T12:00Z"],
    );
}

#[test]
fn last_friday_of_month() {
    assert_fires(
        "cron(0 10 ? * 6L *)",
        "UTC",
        "2025-01-01T00:00:00Z",
        &[
            "2025-01-31T10:00Z",
            "2025-02-28T10:00Z",
            "2025-03-28T10:00Z",
        ],
    );
    assert_eq!(
        fires("cron(0 10 ? * FRIL *)", "UTC", "2025-01-01T00:00:00Z", 3),
        fires("cron(0 10 ? * 6L *)", "UTC", "2025-01-01T00:00:00Z", 3)
    );
}

#[test]
fn l_alone_in_day_of_week_is_saturday() {
    assert_fires(
        "cron(0 0 ? * L *)",
        "UTC",
        "2025-01-01T00:00:00Z",
        &["2025-01-04T00:00Z", "2025-01-11T00:00Z"],
    );
}

#[test]
fn second_tuesday() {
    assert_fires(
        "cron(0 10 ? * 3#2 *)",
        "UTC",
        "2025-01-01T00:00:00Z",
        &["2025-01-14T10:00Z", "2025-02-11T10:00Z"],
    );
}

#[test]
fn fifth_monday_only_in_months_that_have_one() {
    assert_fires(
        "cron(0 10 ? * MON#5 *)",
        "UTC",
        "2025-01-01T00:00:00Z",
        &[
            "2025-03-31T10:00Z",
            "2025-06-30T10:00Z",
            "2025-09-29T10:00Z",
            "2025-12-29T10:00Z",
        ],
    );
}

#[test]
fn february_29th_only_in_leap_years() {
    assert_fires(
        "cron(0 0 29 2 ? *)",
        "UTC",
        "2025-01-01T00:00:00Z",
        &["2028-02-29T00:00Z", "2032-02-29T00:00Z"],
    );
}

#[test]
fn single_year_fires_then_stops() {
    assert_eq!(
        fires("cron(0 0 1 JAN ? 2027)", "UTC", "2025-01-01T00:00:00Z", 3),
        ["2027-01-01T00:00Z"]
    );
}

#[test]
fn past_year_never_fires() {
    assert!(fires("cron(0 0 1 1 ? 2020)", "UTC", "2025-01-01T00:00:00Z", 3).is_empty());
}

#[test]
fn impossible_date_never_fires_and_terminates() {
    assert!(fires("cron(0 0 30 2 ? *)", "UTC", "2025-01-01T00:00:00Z", 3).is_empty());
    assert!(
        fires(
            "cron(0 0 31 4,6,9,11 ? *)",
            "UTC",
            "1970-01-01T00:00:00Z",
            1
        )
        .is_empty()
    );
}

#[test]
fn search_ends_with_2199() {
    assert_eq!(
        fires("cron(59 23 31 12 ? *)", "UTC", "2199-12-31T00:00:00Z", 2),
        ["2199-12-31T23:59Z"]
    );
}

#[test]
fn zero_count_returns_nothing() {
    assert!(fires("cron(* * * * ? *)", "UTC", "2025-01-01T00:00:00Z", 0).is_empty());
}

// ---- a table of expressions with independently worked-out answers ------------------------

/// `(expression, time zone, after, next fire times)`. Most expressions are the examples of the
/// EventBridge Scheduler documentation, the Bookstore's three monthly schedules and the
/// special characters (`L`, `W`, `LW`, `#`, `nL`, the year field) in several zones. The answers
/// were worked out from calendars and the IANA rules (London 01:00 GMT -> 02:00 BST on
/// 2026-03-29 and back on 2026-10-25; Sydney 03:00 AEDT -> 02:00 AEST on 2026-04-05; Los
/// Angeles PST -> PDT on 2026-03-08 and back on 2026-11-01) and cross-checked with a separate
/// evaluator that walks every UTC minute through Python's `zoneinfo`, not with this parser.
const KNOWN_FIRE_TIMES: &[(&str, &str, &str, &[&str])] = &[
    (
        "cron(0 10 * * ? *)",
        "UTC",
        "2026-03-01T00:00:00Z",
        &[
            "2026-03-01T10:00Z",
            "2026-03-02T10:00Z",
            "2026-03-03T10:00Z",
        ],
    ),
    (
        "cron(15 12 * * ? *)",
        "UTC",
        "2026-03-01T12:15:00Z",
        &["2026-03-02T12:15Z", "2026-03-03T12:15Z"],
    ),
    (
        "cron(0 18 ? * MON-FRI *)",
        "UTC",
        "2026-03-06T18:00:00Z",
        &[
            "2026-03-09T18:00Z",
            "2026-03-10T18:00Z",
            "2026-03-11T18:00Z",
        ],
    ),
    (
        "cron(0 8 1 * ? *)",
        "UTC",
        "2026-03-01T09:00:00Z",
        &[
            "2026-04-01T08:00Z",
            "2026-05-01T08:00Z",
            "2026-06-01T08:00Z",
        ],
    ),
    (
        "cron(0/15 * * * ? *)",
        "UTC",
        "2026-03-01T23:50:00Z",
        &[
            "2026-03-02T00:00Z",
            "2026-03-02T00:15Z",
            "2026-03-02T00:30Z",
        ],
    ),
    (
        "cron(0/10 * ? * MON-FRI *)",
        "UTC",
        "2026-03-06T23:45:00Z",
        &[
            "2026-03-06T23:50Z",
            "2026-03-09T00:00Z",
            "2026-03-09T00:10Z",
        ],
    ),
    (
        "cron(0/5 8-17 ? * MON-FRI *)",
        "UTC",
        "2026-03-02T17:52:00Z",
        &["2026-03-02T17:55Z", "2026-03-03T08:00Z"],
    ),
    (
        "cron(0 9 ? * 2#1 *)",
        "UTC",
        "2026-03-01T00:00:00Z",
        &[
            "2026-03-02T09:00Z",
            "2026-04-06T09:00Z",
            "2026-05-04T09:00Z",
        ],
    ),
    (
        "cron(0 10 ? * 3#1 *)",
        "America/Los_Angeles",
        "2026-03-01T00:00:00Z",
        &[
            "2026-03-03T18:00Z",
            "2026-04-07T17:00Z",
            "2026-05-05T17:00Z",
        ],
    ),
    (
        "cron(0 10 ? * 3#2 *)",
        "America/Los_Angeles",
        "2026-03-01T00:00:00Z",
        &[
            "2026-03-10T17:00Z",
            "2026-04-14T17:00Z",
            "2026-05-12T17:00Z",
        ],
    ),
    (
        "cron(0 10 ? * 3#3 *)",
        "America/Los_Angeles",
        "2026-10-01T00:00:00Z",
        &[
            "2026-10-20T17:00Z",
            "2026-11-17T18:00Z",
            "2026-12-15T18:00Z",
        ],
    ),
    (
        "cron(30 23 L * ? *)",
        "UTC",
        "2026-01-31T23:30:00Z",
        &[
            "2026-02-28T23:30Z",
            "2026-03-31T23:30Z",
            "2026-04-30T23:30Z",
        ],
    ),
    (
        "cron(0 12 15W * ? *)",
        "UTC",
        "2026-02-01T00:00:00Z",
        &[
            "2026-02-16T12:00Z",
            "2026-03-16T12:00Z",
            "2026-04-15T12:00Z",
            "2026-05-15T12:00Z",
        ],
    ),
    (
        "cron(0 6 ? * 6L *)",
        "UTC",
        "2026-03-01T00:00:00Z",
        &[
            "2026-03-27T06:00Z",
            "2026-04-24T06:00Z",
            "2026-05-29T06:00Z",
        ],
    ),
    (
        "cron(0 10 LW * ? *)",
        "UTC",
        "2026-05-01T00:00:00Z",
        &[
            "2026-05-29T10:00Z",
            "2026-06-30T10:00Z",
            "2026-07-31T10:00Z",
        ],
    ),
    (
        "cron(0 0 1 1 ? 2030)",
        "UTC",
        "2026-03-01T00:00:00Z",
        &["2030-01-01T00:00Z"],
    ),
    (
        "cron(0 4 ? * SUN 2026-2027)",
        "Europe/London",
        "2026-03-21T00:00:00Z",
        &[
            "2026-03-22T04:00Z",
            "2026-03-29T03:00Z",
            "2026-04-05T03:00Z",
        ],
    ),
    (
        "cron(30 1 * * ? *)",
        "Europe/London",
        "2026-03-28T00:00:00Z",
        &[
            "2026-03-28T01:30Z",
            "2026-03-30T00:30Z",
            "2026-03-31T00:30Z",
        ],
    ),
    (
        "cron(30 1 * * ? *)",
        "Europe/London",
        "2026-10-24T00:00:00Z",
        &[
            "2026-10-24T00:30Z",
            "2026-10-25T00:30Z",
            "2026-10-26T01:30Z",
        ],
    ),
    (
        "cron(0 9 * * ? *)",
        "Australia/Sydney",
        "2026-04-03T00:00:00Z",
        &[
            "2026-04-03T22:00Z",
            "2026-04-04T23:00Z",
            "2026-04-05T23:00Z",
        ],
    ),
    (
        "cron(0 0 ? * 1 *)",
        "UTC",
        "2026-03-01T00:00:00Z",
        &["2026-03-08T00:00Z", "2026-03-15T00:00Z"],
    ),
    (
        "cron(0 20 ? JAN,APR,JUL,OCT 5#2 *)",
        "UTC",
        "2026-03-01T00:00:00Z",
        &[
            "2026-04-09T20:00Z",
            "2026-07-09T20:00Z",
            "2026-10-08T20:00Z",
        ],
    ),
    (
        "cron(0 12 * * ? *)",
        "Asia/Kathmandu",
        "2026-03-01T00:00:00Z",
        &["2026-03-01T06:15Z", "2026-03-02T06:15Z"],
    ),
    (
        "cron(0 0 29 2 ? *)",
        "UTC",
        "2026-03-01T00:00:00Z",
        &["2028-02-29T00:00Z", "2032-02-29T00:00Z"],
    ),
    (
        "cron(0 2 ? * MON#5 *)",
        "America/New_York",
        "2026-03-01T00:00:00Z",
        &[
            "2026-03-30T06:00Z",
            "2026-06-29T06:00Z",
            "2026-08-31T06:00Z",
        ],
    ),
    (
        "rate(1 hour)",
        "UTC",
        "2026-03-01T00:20:00Z",
        &["2026-03-01T01:20Z", "2026-03-01T02:20Z"],
    ),
    (
        "rate(30 minutes)",
        "UTC",
        "2026-03-01T23:45:00Z",
        &["2026-03-02T00:15Z", "2026-03-02T00:45Z"],
    ),
    (
        "rate(7 days)",
        "UTC",
        "2026-03-01T10:00:00Z",
        &["2026-03-08T10:00Z", "2026-03-15T10:00Z"],
    ),
];

#[test]
fn known_fire_times_of_documented_and_special_expressions() {
    assert!(KNOWN_FIRE_TIMES.len() >= 20);
    let mut failures = Vec::new();
    for (expression, zone, after, expected) in KNOWN_FIRE_TIMES {
        let found = fires(expression, zone, after, expected.len());
        if found != *expected {
            failures.push(format!(
                "{expression} in {zone} after {after}: expected {expected:?}, found {found:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---- longest stretch without a fire ------------------------------------------------------

fn longest_gap(expression: &str, zone: &str, from: &str, until: &str) -> TimeDelta {
    let zone = parse_time_zone(zone).expect("test zone");
    parse(expression).longest_gap(zone, instant(from), instant(until))
}

#[test]
fn first_tuesday_of_the_month_leaves_at_most_five_weeks() {
    // 2026: 2 June -> 7 July and 1 September -> 6 October are 35 days, both in PDT.
    assert_eq!(
        longest_gap(
            "cron(0 10 ? * 3#1 *)",
            "America/Los_Angeles",
            "2026-01-01T00:00:00Z",
            "2027-01-01T00:00:00Z"
        ),
        TimeDelta::days(35)
    );
}

#[test]
fn quarterly_schedule_leaves_fourteen_weeks() {
    // Second Thursday of Oct 2026 (8th) to second Thursday of Jan 2027 (14th).
    assert_eq!(
        longest_gap(
            "cron(0 20 ? JAN,APR,JUL,OCT 5#2 *)",
            "UTC",
            "2026-03-01T00:00:00Z",
            "2027-03-01T00:00:00Z"
        ),
        TimeDelta::days(98)
    );
}

#[test]
fn a_schedule_that_stops_firing_leaves_the_rest_of_the_span() {
    assert_eq!(
        longest_gap(
            "cron(0 0 1 1 ? 2026)",
            "UTC",
            "2026-06-01T00:00:00Z",
            "2027-06-01T00:00:00Z"
        ),
        TimeDelta::days(365)
    );
}

#[test]
fn frequent_schedules_have_short_gaps() {
    let year = ("2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z");
    assert_eq!(
        longest_gap("cron(* * * * ? *)", "UTC", year.0, year.1),
        TimeDelta::minutes(1)
    );
    assert_eq!(
        longest_gap("rate(7 days)", "UTC", year.0, year.1),
        TimeDelta::days(7)
    );
    assert_eq!(
        longest_gap("rate(7 days)", "UTC", year.0, "2026-01-03T00:00:00Z"),
        TimeDelta::days(2)
    );
}

// ---- fire times in other zones and across daylight saving changes ----------------------

#[test]
fn half_hour_offset_zone() {
    assert_fires(
        "cron(0 9 * * ? *)",
        "Asia/Kolkata",
        "2025-01-01T00:00:00Z",
        &["2025-01-01T03:30Z", "2025-01-02T03:30Z"],
    );
}

#[test]
fn new_york_time_skipped_in_spring_does_not_fire() {
    assert_fires(
        "cron(30 2 * * ? *)",
        "America/New_York",
        "2025-03-08T00:00:00Z",
        &["2025-03-08T07:30Z", "2025-03-10T06:30Z"],
    );
}

#[test]
fn new_york_time_repeated_in_autumn_fires_once_at_first_occurrence() {
    assert_fires(
        "cron(30 1 * * ? *)",
        "America/New_York",
        "2025-11-01T00:00:00Z",
        &[
            "2025-11-01T05:30Z",
            "2025-11-02T05:30Z",
            "2025-11-03T06:30Z",
        ],
    );
}

#[test]
fn new_york_hourly_does_not_repeat_the_repeated_hour() {
    // 05:00Z is 01:00 EDT; 06:00Z is 01:00 EST again and must not fire.
    assert_fires(
        "cron(0 * * * ? *)",
        "America/New_York",
        "2025-11-02T04:30:00Z",
        &[
            "2025-11-02T05:00Z",
            "2025-11-02T07:00Z",
            "2025-11-02T08:00Z",
        ],
    );
}

#[test]
fn starting_inside_the_repeated_hour_does_not_fire_its_times_again() {
    // 06:00Z is 01:00 EST, the second pass of 01:xx; 01:30 already fired at 05:30Z.
    assert_fires(
        "cron(30 1 * * ? *)",
        "America/New_York",
        "2025-11-02T06:00:00Z",
        &["2025-11-03T06:30Z"],
    );
}

#[test]
fn berlin_morning_keeps_local_time_across_spring_change() {
    assert_fires(
        "cron(0 9 * * ? *)",
        "Europe/Berlin",
        "2025-03-29T00:00:00Z",
        &[
            "2025-03-29T08:00Z",
            "2025-03-30T07:00Z",
            "2025-03-31T07:00Z",
        ],
    );
}

#[test]
fn berlin_time_skipped_in_spring_does_not_fire() {
    assert_fires(
        "cron(30 2 * * ? *)",
        "Europe/Berlin",
        "2025-03-29T00:00:00Z",
        &["2025-03-29T01:30Z", "2025-03-31T00:30Z"],
    );
}

#[test]
fn berlin_time_repeated_in_autumn_fires_once() {
    assert_fires(
        "cron(30 2 * * ? *)",
        "Europe/Berlin",
        "2025-10-25T00:00:00Z",
        &[
            "2025-10-25T00:30Z",
            "2025-10-26T00:30Z",
            "2025-10-27T01:30Z",
        ],
    );
}

#[test]
fn berlin_weekdays_in_local_time() {
    // 00:30 on Monday in Berlin is still Sunday in UTC.
    assert_fires(
        "cron(30 0 ? * MON *)",
        "Europe/Berlin",
        "2025-01-01T00:00:00Z",
        &["2025-01-05T23:30Z", "2025-01-12T23:30Z"],
    );
}

// ---- rate ------------------------------------------------------------------------------

#[test]
fn rate_minutes_count_from_the_anchor() {
    assert_fires(
        "rate(5 minutes)",
        "UTC",
        "2025-01-01T00:00:30Z",
        &[
            "2025-01-01T00:05Z",
            "2025-01-01T00:10Z",
            "2025-01-01T00:15Z",
        ],
    );
    let fire = parse("rate(5 minutes)").next_fire_times(
        chrono_tz::UTC,
        instant("2025-01-01T00:00:30Z"),
        1,
    );
    assert_eq!(fire, [instant("2025-01-01T00:05:30Z")]);
}

#[test]
fn rate_hours() {
    assert_fires(
        "rate(2 hours)",
        "UTC",
        "2025-01-01T23:00:00Z",
        &["2025-01-02T01:00Z", "2025-01-02T03:00Z"],
    );
}

#[test]
fn rate_days_are_24_hours_even_across_daylight_saving() {
    assert_fires(
        "rate(1 day)",
        "America/New_York",
        "2025-03-08T12:00:00Z",
        &["2025-03-09T12:00Z", "2025-03-10T12:00Z"],
    );
}

#[test]
fn rate_stops_at_the_end_of_2199() {
    assert_eq!(
        fires("rate(1 day)", "UTC", "2199-12-30T12:00:00Z", 5),
        ["2199-12-31T12:00Z"]
    );
}

#[test]
fn rate_accessors() {
    let ScheduleExpression::Rate(rate) = parse("rate(7 days)") else {
        panic!("rate(7 days) should be a rate");
    };
    assert_eq!(rate.value(), 7);
    assert_eq!(rate.unit(), RateUnit::Days);
    assert_eq!(rate.interval(), TimeDelta::days(7));
}

// ---- display ---------------------------------------------------------------------------

#[test]
fn display_round_trips() {
    for text in [
        "cron(0 10 * * ? *)",
        "cron(0/15 8-17 ? * MON-FRI *)",
        "cron(0 9 LW * ? 2025-2030)",
        "cron(0 10 ? * 3#2 *)",
        "cron(0 10 ? * 6L *)",
        "rate(1 minute)",
        "rate(5 minutes)",
        "rate(1 hour)",
        "rate(2 hours)",
        "rate(1 day)",
        "rate(7 days)",
    ] {
        let parsed = parse(text);
        assert_eq!(parsed.to_string(), text);
        assert_eq!(parse(&parsed.to_string()), parsed);
    }
}

#[test]
fn display_normalises_spacing() {
    let parsed = parse("cron(0  10 *  * ? *)");
    assert_eq!(parsed.to_string(), "cron(0 10 * * ? *)");
    assert_eq!(parse(&parsed.to_string()), parsed);
}

// ---- invalid cron fields ---------------------------------------------------------------

#[test]
fn minutes_out_of_range() {
    assert_field_error("cron(60 10 * * ? *)", CronField::Minutes, &["`60`", "0-59"]);
}

#[test]
fn hours_out_of_range() {
    assert_field_error("cron(0 24 * * ? *)", CronField::Hours, &["`24`", "0-23"]);
}

#[test]
fn day_of_month_out_of_range() {
    assert_field_error(
        "cron(0 10 32 * ? *)",
        CronField::DayOfMonth,
        &["`32`", "1-31"],
    );
}

#[test]
fn month_out_of_range_and_unknown_name() {
    assert_field_error(
        "cron(0 10 * 13 ? *)",
        CronField::Month,
        &["`13`", "JAN-DEC"],
    );
    assert_field_error(
        "cron(0 10 * FOO ? *)",
        CronField::Month,
        &["`FOO`", "JAN-DEC"],
    );
}

#[test]
fn day_of_week_out_of_range() {
    assert_field_error(
        "cron(0 10 ? * 8 *)",
        CronField::DayOfWeek,
        &[
            "day-of-week field `8`",
            "values are 1-7 (1 = SUN) or SUN-SAT",
        ],
    );
    assert_field_error("cron(0 10 ? * 0 *)", CronField::DayOfWeek, &["1 = SUN"]);
}

#[test]
fn year_outside_1970_to_2199() {
    assert_field_error("cron(0 10 * * ? 1969)", CronField::Year, &["1970-2199"]);
    assert_field_error("cron(0 10 * * ? 2200)", CronField::Year, &["1970-2199"]);
}

#[test]
fn both_day_fields_set() {
    assert_field_error(
        "cron(0 10 * * MON *)",
        CronField::DayOfMonth,
        &["use `?` in day-of-month when day-of-week is set"],
    );
    assert_field_error(
        "cron(0 10 15 * * *)",
        CronField::DayOfWeek,
        &["use `?` in day-of-week when day-of-month is set"],
    );
    assert_field_error("cron(0 10 L * 2 *)", CronField::DayOfMonth, &["`?`"]);
}

#[test]
fn both_day_fields_unset() {
    assert_field_error(
        "cron(0 10 ? * ? *)",
        CronField::DayOfWeek,
        &["set one of them"],
    );
}

#[test]
fn question_mark_outside_the_day_fields() {
    assert_field_error("cron(0 ? * * ? *)", CronField::Hours, &["`?`", "`, - * /`"]);
    assert_field_error(
        "cron(0 10 1,? * ? *)",
        CronField::DayOfMonth,
        &["whole field"],
    );
}

#[test]
fn nth_weekday_out_of_range() {
    assert_field_error(
        "cron(0 10 ? * 3#6 *)",
        CronField::DayOfWeek,
        &["`#6`", "1-5"],
    );
    assert_field_error(
        "cron(0 10 ? * 9#2 *)",
        CronField::DayOfWeek,
        &["`9`", "1-7"],
    );
}

#[test]
fn more_than_one_hash_expression() {
    assert_field_error(
        "cron(0 10 ? * 3#1,6#3 *)",
        CronField::DayOfWeek,
        &["exactly one expression"],
    );
}

#[test]
fn hash_outside_day_of_week() {
    assert_field_error("cron(0 10 3#2 * ? *)", CronField::DayOfMonth, &["`#`"]);
}

#[test]
fn last_day_offset_is_not_eventbridge_syntax() {
    assert_field_error("cron(0 10 L-3 * ? *)", CronField::DayOfMonth, &["`L-3`"]);
}

#[test]
fn w_needs_a_single_day() {
    assert_field_error(
        "cron(0 10 1-5W * ? *)",
        CronField::DayOfMonth,
        &["single day"],
    );
    assert_field_error("cron(0 10 32W * ? *)", CronField::DayOfMonth, &["1-31"]);
}

#[test]
fn w_outside_day_of_month() {
    assert_field_error(
        "cron(0 10 ? * 2W *)",
        CronField::DayOfWeek,
        &["`W`", "not allowed"],
    );
}

#[test]
fn last_weekday_in_a_list() {
    assert_field_error(
        "cron(0 10 ? * 6L,2 *)",
        CronField::DayOfWeek,
        &["whole field"],
    );
    assert_field_error(
        "cron(0 10 ? * 2-6L *)",
        CronField::DayOfWeek,
        &["single day"],
    );
}

#[test]
fn slash_is_not_allowed_in_day_of_week() {
    assert_field_error(
        "cron(0 10 ? * MON/2 *)",
        CronField::DayOfWeek,
        &["`/`", "MON,WED,FRI"],
    );
}

#[test]
fn step_of_zero_or_too_large() {
    assert_field_error(
        "cron(0/0 * * * ? *)",
        CronField::Minutes,
        &["`/0`", "1 to 59"],
    );
    assert_field_error(
        "cron(0 */24 * * ? *)",
        CronField::Hours,
        &["`/24`", "1 to 23"],
    );
}

#[test]
fn backwards_range() {
    assert_field_error(
        "cron(0 22-2 * * ? *)",
        CronField::Hours,
        &["backwards", "`22-23,0-2`"],
    );
    assert_field_error(
        "cron(0 10 ? * FRI-MON *)",
        CronField::DayOfWeek,
        &["`FRI-SAT,SUN-MON`"],
    );
}

#[test]
fn range_without_start() {
    assert_field_error(
        "cron(0 10 -5 * ? *)",
        CronField::DayOfMonth,
        &["needs a start and an end", "`1-31`"],
    );
}

#[test]
fn empty_list_entry() {
    assert_field_error(
        "cron(0,,30 10 * * ? *)",
        CronField::Minutes,
        &["empty entry"],
    );
}

#[test]
fn signed_numbers_are_not_values() {
    assert_field_error("cron(+5 10 * * ? *)", CronField::Minutes, &["`+5`"]);
}

// ---- invalid expressions outside the fields ------------------------------------------------

#[test]
fn wrong_number_of_fields() {
    let error = rejection("cron(0 10 * * ?)");
    assert_eq!(
        error,
        ScheduleError::FieldCount {
            expression: "cron(0 10 * * ?)".to_owned(),
            found: 5
        }
    );
    assert!(error.to_string().contains("exactly 6"));
    assert!(matches!(
        rejection("cron(0 10 * * ? * *)"),
        ScheduleError::FieldCount { found: 7, .. }
    ));
}

#[test]
fn not_a_schedule_expression() {
    for text in [
        "at(2025-01-01T00:00:00)",
        "CRON(0 10 * * ? *)",
        "0 10 * * ? *",
        "",
    ] {
        let error = rejection(text);
        assert!(
            matches!(error, ScheduleError::Malformed { .. }),
            "{text}: {error:?}"
        );
        assert!(
            error.to_string().contains("`cron(...)` or `rate(...)`"),
            "{error}"
        );
    }
}

#[test]
fn missing_closing_parenthesis() {
    let error = rejection("cron(0 10 * * ? *");
    assert!(error.to_string().contains("closing `)`"), "{error}");
}

#[test]
fn surrounding_white_space() {
    let error = rejection(" rate(5 minutes)");
    assert!(error.to_string().contains("white space"), "{error}");
}

// ---- invalid rates ---------------------------------------------------------------------

#[test]
fn rate_of_one_needs_singular_unit() {
    assert_rate_error(
        "rate(1 minutes)",
        &["`rate(1 minutes)`", "write `rate(1 minute)`"],
    );
    assert_rate_error("rate(1 days)", &["write `rate(1 day)`"]);
}

#[test]
fn rate_above_one_needs_plural_unit() {
    assert_rate_error("rate(5 minute)", &["write `rate(5 minutes)`"]);
    assert_rate_error("rate(2 hour)", &["write `rate(2 hours)`"]);
}

#[test]
fn rate_value_must_be_a_positive_whole_number() {
    for text in [
        "rate(0 minutes)",
        "rate(-1 minutes)",
        "rate(1.5 hours)",
        "rate(+5 minutes)",
    ] {
        assert_rate_error(text, &["positive whole number"]);
    }
}

#[test]
fn rate_unit_must_be_known() {
    assert_rate_error("rate(2 weeks)", &["`weeks`", "minute, minutes"]);
    assert_rate_error("rate(5 Minutes)", &["`Minutes`"]);
}

#[test]
fn rate_needs_value_and_unit() {
    assert_rate_error("rate(5)", &["value and a unit"]);
    assert_rate_error("rate(5 minutes now)", &["value and a unit"]);
}

#[test]
fn rate_too_large_to_represent() {
    assert_rate_error("rate(4294967296 days)", &["too large"]);
    assert_eq!(
        parse("rate(4294967295 days)").to_string(),
        "rate(4294967295 days)"
    );
}

// ---- time zones ------------------------------------------------------------------------

#[test]
fn known_time_zones_parse() {
    assert_eq!(
        parse_time_zone("Europe/Berlin"),
        Ok(chrono_tz::Europe::Berlin)
    );
    assert_eq!(parse_time_zone("UTC"), Ok(chrono_tz::UTC));
}

#[test]
fn wrongly_cased_time_zone_suggests_the_right_name() {
    let error = parse_time_zone("america/new_york").expect_err("case matters");
    assert_eq!(
        error,
        ScheduleError::UnknownTimeZone {
            name: "america/new_york".to_owned(),
            suggestion: Some("America/New_York".to_owned()),
        }
    );
    assert!(
        error
            .to_string()
            .contains("did you mean `America/New_York`"),
        "{error}"
    );
}

#[test]
fn unknown_time_zone_has_no_suggestion() {
    let error = parse_time_zone("Mars/Olympus_Mons").expect_err("no such zone");
    assert!(matches!(
        error,
        ScheduleError::UnknownTimeZone {
            suggestion: None,
            ..
        }
    ));
    assert!(error.to_string().contains("IANA"), "{error}");
}
