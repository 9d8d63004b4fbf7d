//! Days of the week for people, as the rendered playbook and the plan show them. Durations
//! are shown with [`crate::failover::human_seconds`].

use crate::spec::Weekday;

const WEEK: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

pub fn day(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "MON",
        Weekday::Tue => "TUE",
        Weekday::Wed => "WED",
        Weekday::Thu => "THU",
        Weekday::Fri => "FRI",
        Weekday::Sat => "SAT",
        Weekday::Sun => "SUN",
    }
}

/// `every day`, a run such as `MON-FRI`, or a list such as `SAT, SUN`.
pub fn days(days: &[Weekday]) -> String {
    let mut listed: Vec<usize> = WEEK
        .iter()
        .enumerate()
        .filter(|(_, d)| days.contains(d))
        .map(|(i, _)| i)
        .collect();
    listed.dedup();
    let contiguous = listed.windows(2).all(|pair| pair[1] == pair[0] + 1);
    match listed.as_slice() {
        [] => "no day".to_string(),
        all if all.len() == 7 => "every day".to_string(),
        [first, .., last] if contiguous && listed.len() > 2 => {
            format!("{}-{}", day(WEEK[*first]), day(WEEK[*last]))
        }
        _ => listed
            .iter()
            .map(|i| day(WEEK[*i]))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_read_as_people_write_them() {
        assert_eq!(days(&WEEK), "every day");
        assert_eq!(days(&WEEK[..5]), "MON-FRI");
        assert_eq!(days(&[Weekday::Sun, Weekday::Sat]), "SAT, SUN");
        assert_eq!(days(&[Weekday::Mon, Weekday::Wed]), "MON, WED");
    }
}
