//! Criticality periods as blocked windows. An experiment must not start while the dependency
//! it exercises, or any dependency that needs it (directly or through others), is in its
//! criticality period: failing the database during the API's busy hour hurts the API.
//!
//! `always` gives no window. A window over every hour would forbid the very exercise the
//! playbook asks for; use the experiment's own blocked windows to keep runs out of busy times.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::model::{CriticalityPeriod, Dependency, Playbook, WeeklyPeriod};
use crate::diagnostics::Violation;
use crate::duration::IsoDuration;
use crate::schema_check::suggestion;
use crate::spec::{BlockedWindow, Experiment, WeeklyWindow};
use crate::windows;

/// A blocked window from a dependency's criticality period, with the zone it is read in.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CriticalityWindow {
    pub dependency: String,
    pub time_zone: String,
    pub window: BlockedWindow,
}

impl CriticalityWindow {
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        windows::contains(&self.window, &self.time_zone, now)
    }

    /// E.g. `criticality period of dependency `backup`: MON, TUE 02:00-03:00 America/Los_Angeles`.
    pub fn describe(&self) -> String {
        let when = match &self.window {
            BlockedWindow::Weekly(w) => format!(
                "{} {}-{} {}",
                super::text::days(&w.days),
                w.start_time,
                w.end_time,
                self.time_zone
            ),
            BlockedWindow::Once(w) => format!("{} to {}", w.start, w.end),
        };
        format!(
            "criticality period of dependency `{}`: {when}",
            self.dependency
        )
    }
}

/// The windows of `dependency` and of every dependency that needs it.
pub fn criticality_windows(playbook: &Playbook, dependency: &str) -> Vec<CriticalityWindow> {
    let mut affected = vec![dependency.to_string()];
    let mut next = 0;
    while next < affected.len() {
        let name = affected[next].clone();
        for parent in &playbook.dependencies {
            if parent.children.contains(&name) && !affected.contains(&parent.name) {
                affected.push(parent.name.clone());
            }
        }
        next += 1;
    }
    affected
        .iter()
        .filter_map(|name| playbook.dependency(name))
        .filter_map(|d| match &d.criticality_period {
            CriticalityPeriod::Always(_) => None,
            CriticalityPeriod::Weekly(period) => Some(window_of(d, period)),
        })
        .collect()
}

fn window_of(dependency: &Dependency, period: &WeeklyPeriod) -> CriticalityWindow {
    CriticalityWindow {
        dependency: dependency.name.clone(),
        time_zone: period.time_zone.clone(),
        window: BlockedWindow::Weekly(WeeklyWindow {
            name: format!("criticality-period-{}", dependency.name),
            days: period.days.clone(),
            start_time: period.start_time.clone(),
            end_time: period.end_time.clone(),
        }),
    }
}

/// What a playbook says about one experiment, for `gameday plan` and `gameday run`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlaybookCheck {
    /// The playbook file used.
    pub file: String,
    /// How it was found: given with `--playbook`, or next to the experiment file.
    pub found: String,
    pub dependency: String,
    pub rto: IsoDuration,
    pub rpo: IsoDuration,
    /// Every criticality window that applies, described.
    pub windows: Vec<String>,
    /// The window in force now, if any: the run is refused.
    pub active: Option<String>,
}

/// The playbook dependency an experiment exercises, and the windows that keep it from running.
/// Refused (a violation of the experiment file) when the experiment is not the playbook's.
pub fn check_experiment(
    playbook: &Playbook,
    experiment: &Experiment,
    file: &str,
    found: &str,
    now: DateTime<Utc>,
) -> Result<PlaybookCheck, Violation> {
    let metadata = &experiment.metadata;
    if metadata.service != playbook.metadata.service {
        return Err(Violation::new(
            "/metadata/service",
            format!(
                "the experiment is for service `{}` but the playbook {file} is for `{}`",
                metadata.service, playbook.metadata.service
            ),
            "name the playbook of this service with --playbook, or fix metadata.service",
        ));
    }
    let Some(dependency) = playbook.dependency(&metadata.dependency) else {
        let names: Vec<&str> = playbook
            .dependencies
            .iter()
            .map(|d| d.name.as_str())
            .collect();
        return Err(Violation::new(
            "/metadata/dependency",
            format!(
                "the playbook {file} has no dependency `{}`",
                metadata.dependency
            ),
            format!(
                "use one of: {}{}",
                names.join(", "),
                suggestion(&metadata.dependency, &names)
            ),
        ));
    };
    let windows = criticality_windows(playbook, &dependency.name);
    Ok(PlaybookCheck {
        file: file.to_string(),
        found: found.to_string(),
        dependency: dependency.name.clone(),
        rto: dependency.rto,
        rpo: dependency.rpo,
        windows: windows.iter().map(CriticalityWindow::describe).collect(),
        active: windows
            .iter()
            .find(|w| w.is_active(now))
            .map(CriticalityWindow::describe),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playbook::model::Always;
    use crate::playbook::tests::bookstore;
    use crate::spec::Weekday;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    /// The article's nightly backup example, 2:00-3:00 AM Pacific, on the database.
    fn with_nightly_backup() -> Playbook {
        let mut playbook = bookstore();
        let database = playbook
            .dependencies
            .iter_mut()
            .find(|d| d.name == "database")
            .unwrap();
        database.criticality_period = CriticalityPeriod::Weekly(WeeklyPeriod {
            days: vec![
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
                Weekday::Sat,
                Weekday::Sun,
            ],
            start_time: "02:00".into(),
            end_time: "03:00".into(),
            time_zone: "America/Los_Angeles".into(),
        });
        playbook
    }

    #[test]
    fn always_critical_gives_no_window() {
        assert!(criticality_windows(&bookstore(), "api").is_empty());
    }

    #[test]
    fn a_period_blocks_its_dependency_and_every_dependency_that_needs_it() {
        let playbook = with_nightly_backup();
        // The database's own window applies to database experiments. The API needs the
        // database, but an API experiment leaves the database alone, so it is not blocked.
        assert_eq!(criticality_windows(&playbook, "database").len(), 1);
        assert_eq!(criticality_windows(&playbook, "api").len(), 0);
        // 2026-11-24 10:30 UTC is 02:30 in Los Angeles (PST, UTC-8).
        let windows = criticality_windows(&playbook, "database");
        assert!(windows[0].is_active(at("2026-11-24T10:30:00Z")));
        assert!(!windows[0].is_active(at("2026-11-24T11:00:00Z")));
    }

    #[test]
    fn a_child_period_reaches_experiments_on_its_parents_only() {
        let mut playbook = with_nightly_backup();
        // Move the period to the API: an experiment on the database (a child of the API)
        // would hurt the API during its busy hour, so it is blocked too.
        let period = playbook.dependencies[1].criticality_period.clone();
        playbook.dependencies[0].criticality_period = period;
        playbook.dependencies[1].criticality_period = CriticalityPeriod::Always(Always::Always);
        assert_eq!(criticality_windows(&playbook, "database").len(), 1);
        assert_eq!(criticality_windows(&playbook, "api").len(), 1);
        assert_eq!(
            criticality_windows(&playbook, "database")[0].dependency,
            "api"
        );
    }
}
