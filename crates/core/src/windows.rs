//! Blocked windows: times in which an experiment must not start.

use chrono::{DateTime, Datelike, NaiveTime, Utc};

use crate::schedule::parse_time_zone;
use crate::spec::{BlockedWindow, Schedule, Weekday};

/// The first blocked window of `schedule` that contains `now`, if any.
pub fn active_window(schedule: &Schedule, now: DateTime<Utc>) -> Option<&BlockedWindow> {
    schedule
        .blocked_windows
        .iter()
        .find(|window| contains(window, &schedule.time_zone, now))
}

/// Whether `window`, read in `time_zone` (an IANA name), contains `now`.
pub fn contains(window: &BlockedWindow, time_zone: &str, now: DateTime<Utc>) -> bool {
    match window {
        BlockedWindow::Once(once) => {
            let parse = |text: &str| {
                DateTime::parse_from_rfc3339(text)
                    .ok()
                    .map(|t| t.with_timezone(&Utc))
            };
            matches!((parse(&once.start), parse(&once.end)), (Some(start), Some(end)) if start <= now && now < end)
        }
        BlockedWindow::Weekly(weekly) => {
            // An unknown zone is a validation error; treat it as UTC rather than never blocking.
            let local = match parse_time_zone(time_zone) {
                Ok(zone) => now.with_timezone(&zone).naive_local(),
                Err(_) => now.naive_utc(),
            };
            let (Some(start), Some(end)) = (clock(&weekly.start_time), clock(&weekly.end_time))
            else {
                return false;
            };
            let time = local.time();
            let today = weekday(local.weekday());
            let yesterday = weekday(local.weekday().pred());
            if start < end {
                weekly.days.contains(&today) && start <= time && time < end
            } else {
                // Wraps past midnight: from `start` on a listed day until `end` the next morning.
                (weekly.days.contains(&today) && time >= start)
                    || (weekly.days.contains(&yesterday) && time < end)
            }
        }
    }
}

/// `HH:MM`; `24:00` is the end of the day.
fn clock(text: &str) -> Option<NaiveTime> {
    if text == "24:00" {
        return NaiveTime::from_hms_nano_opt(23, 59, 59, 999_999_999);
    }
    NaiveTime::parse_from_str(text, "%H:%M").ok()
}

fn weekday(day: chrono::Weekday) -> Weekday {
    match day {
        chrono::Weekday::Mon => Weekday::Mon,
        chrono::Weekday::Tue => Weekday::Tue,
        chrono::Weekday::Wed => Weekday::Wed,
        chrono::Weekday::Thu => Weekday::Thu,
        chrono::Weekday::Fri => Weekday::Fri,
        chrono::Weekday::Sat => Weekday::Sat,
        chrono::Weekday::Sun => Weekday::Sun,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{OnceWindow, WeeklyWindow};

    fn schedule(windows: Vec<BlockedWindow>, zone: &str) -> Schedule {
        Schedule {
            expression: "rate(1 day)".into(),
            time_zone: zone.into(),
            blocked_windows: windows,
        }
    }

    fn weekly(days: Vec<Weekday>, start: &str, end: &str) -> BlockedWindow {
        BlockedWindow::Weekly(WeeklyWindow {
            name: "w".into(),
            days,
            start_time: start.into(),
            end_time: end.into(),
        })
    }

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn once_window_is_half_open() {
        let s = schedule(
            vec![BlockedWindow::Once(OnceWindow {
                name: "freeze".into(),
                start: "2026-12-20T00:00:00Z".into(),
                end: "2027-01-04T00:00:00Z".into(),
            })],
            "UTC",
        );
        assert!(active_window(&s, utc("2026-12-20T00:00:00Z")).is_some());
        assert!(active_window(&s, utc("2027-01-04T00:00:00Z")).is_none());
    }

    #[test]
    fn weekly_window_is_read_in_the_schedule_time_zone() {
        // Friday 16:00-24:00 in Los Angeles; 2026-11-20 is a Friday.
        let s = schedule(
            vec![weekly(vec![Weekday::Fri], "16:00", "24:00")],
            "America/Los_Angeles",
        );
        assert!(
            active_window(&s, utc("2026-11-21T01:00:00Z")).is_some(),
            "Friday 17:00 local"
        );
        assert!(
            active_window(&s, utc("2026-11-20T17:00:00Z")).is_none(),
            "Friday 09:00 local"
        );
        assert!(
            active_window(&s, utc("2026-11-21T09:00:00Z")).is_none(),
            "Saturday 01:00 local"
        );
    }

    #[test]
    fn weekly_window_may_wrap_past_midnight() {
        let s = schedule(vec![weekly(vec![Weekday::Sat], "22:00", "06:00")], "UTC");
        assert!(
            active_window(&s, utc("2026-11-21T23:00:00Z")).is_some(),
            "Saturday 23:00"
        );
        assert!(
            active_window(&s, utc("2026-11-22T05:59:00Z")).is_some(),
            "Sunday 05:59"
        );
        assert!(
            active_window(&s, utc("2026-11-22T06:00:00Z")).is_none(),
            "Sunday 06:00"
        );
    }
}
