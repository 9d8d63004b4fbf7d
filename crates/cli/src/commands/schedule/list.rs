//! `gameday schedule list`: next fire times computed here, and cadence from the runs table.

use std::process::ExitCode;

use chrono::{DateTime, Duration, Utc};
use gameday_aws::AwsClients;
use gameday_aws::runs::RunStore;
use gameday_core::cadence::{CadenceCheck, CadenceStatus, check_cadence, last_exercised};
use gameday_core::schedule::{ScheduleExpression, parse_time_zone};
use gameday_core::schedule_sync::schedule_name;
use gameday_core::spec::{Experiment, Schedule};
use gameday_core::windows::active_window;
use serde::Serialize;

use crate::cli::{AwsArgs, OutputFormat};
use crate::output::emit;

/// How many recent runs are read to find the last exercise (refused or errored runs in
/// between do not count, so look further back than one).
const RUNS_READ: usize = 100;

pub struct ListRequest {
    /// `(file, experiment)`, names unique.
    pub experiments: Vec<(String, Experiment)>,
    pub count: usize,
    pub from: DateTime<Utc>,
    pub max_interval: Duration,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Listing {
    from: DateTime<Utc>,
    max_interval_days: i64,
    experiments: Vec<ExperimentOutlook>,
    /// Every experiment is compliant and every schedule can keep the cadence.
    all_compliant: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExperimentOutlook {
    experiment: String,
    file: String,
    /// `None`: the experiment is unscheduled.
    schedule: Option<ScheduleOutlook>,
    cadence: CadenceCheck,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ScheduleOutlook {
    /// The EventBridge Scheduler schedule `schedule sync` keeps for it.
    name: String,
    expression: String,
    time_zone: String,
    next_fires: Vec<FireTime>,
    /// The longest time without a fire over the year after `from`.
    longest_gap_days: f64,
    /// The longest gap is within the allowed interval.
    meets_cadence: bool,
    /// The first fire is no later than the cadence's due-by (`None` without a due-by).
    next_fire_on_time: Option<bool>,
    /// A rate() schedule counts from its start; here it is counted from `from`.
    counted_from_start: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FireTime {
    utc: DateTime<Utc>,
    /// The same instant on the schedule's wall clock, with its offset.
    local: String,
    /// A blocked window the fire falls in: Prepare refuses that run.
    blocked_by: Option<String>,
}

pub async fn run(
    request: ListRequest,
    aws: &AwsArgs,
    table: &str,
    format: OutputFormat,
) -> ExitCode {
    let runs = AwsClients::load(&aws.settings(), table).await.runs;
    let mut experiments = Vec::new();
    for (file, experiment) in &request.experiments {
        let name = &experiment.metadata.name;
        let recent = match runs.recent_runs(name, RUNS_READ).await {
            Ok(recent) => recent,
            Err(error) => {
                return crate::commands::fail(format!(
                    "reading the runs of {name} from table {table}: {error}"
                ));
            }
        };
        let cadence = check_cadence(last_exercised(&recent), request.max_interval, request.from);
        let schedule = experiment
            .schedule
            .as_ref()
            .map(|schedule| outlook(name, schedule, &request, &cadence));
        experiments.push(ExperimentOutlook {
            experiment: name.clone(),
            file: file.clone(),
            schedule,
            cadence,
        });
    }
    let all_compliant = experiments.iter().all(|e| {
        e.cadence.status == CadenceStatus::Compliant
            && e.schedule.as_ref().is_none_or(|s| s.meets_cadence)
    });
    let listing = Listing {
        from: request.from,
        max_interval_days: request.max_interval.num_days(),
        experiments,
        all_compliant,
    };
    emit(format, &listing, print_listing);
    if all_compliant {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The schedule's next fires and whether it can keep the cadence. The file was validated, so
/// its expression and zone parse.
fn outlook(
    experiment: &str,
    schedule: &Schedule,
    request: &ListRequest,
    cadence: &CadenceCheck,
) -> ScheduleOutlook {
    let zone = parse_time_zone(&schedule.time_zone).expect("validated time zone");
    let expression: ScheduleExpression = schedule.expression.parse().expect("validated expression");
    let fires = expression.next_fire_times(zone, request.from, request.count.max(1));
    let gap = expression.longest_gap(zone, request.from, request.from + Duration::days(365));
    let next_fire_on_time = cadence
        .due_by
        .map(|due| fires.first().is_some_and(|first| *first <= due));
    ScheduleOutlook {
        name: schedule_name(experiment),
        expression: schedule.expression.clone(),
        time_zone: schedule.time_zone.clone(),
        next_fires: fires
            .iter()
            .take(request.count)
            .map(|fire| FireTime {
                utc: *fire,
                local: fire.with_timezone(&zone).to_rfc3339(),
                blocked_by: active_window(schedule, *fire).map(|w| w.name().to_string()),
            })
            .collect(),
        longest_gap_days: gap.num_seconds() as f64 / 86_400.0,
        meets_cadence: gap <= request.max_interval,
        next_fire_on_time,
        counted_from_start: matches!(expression, ScheduleExpression::Rate(_)),
    }
}

fn print_listing(listing: &Listing) {
    println!(
        "from {}, allowed interval {} days",
        listing.from.to_rfc3339(),
        listing.max_interval_days
    );
    for outlook in &listing.experiments {
        println!();
        match &outlook.schedule {
            Some(schedule) => {
                println!(
                    "{}  {} in {}  (schedule {})",
                    outlook.experiment, schedule.expression, schedule.time_zone, schedule.name
                );
                print_schedule(schedule, listing.max_interval_days);
            }
            None => println!("{}  unscheduled", outlook.experiment),
        }
        print_cadence(&outlook.cadence);
    }
    println!();
    if listing.all_compliant {
        println!("every experiment keeps its cadence");
    } else {
        println!("some experiments do not keep their cadence (see above)");
    }
}

fn print_schedule(schedule: &ScheduleOutlook, max_interval_days: i64) {
    if schedule.next_fires.is_empty() {
        println!("  next      never fires again");
    }
    for fire in &schedule.next_fires {
        let blocked = fire
            .blocked_by
            .as_deref()
            .map(|name| format!("  blocked by {name}: this run is refused"))
            .unwrap_or_default();
        println!(
            "  next      {}  {}{blocked}",
            fire.utc.format("%Y-%m-%dT%H:%MZ"),
            local_time(&fire.local)
        );
    }
    if schedule.counted_from_start {
        println!(
            "  note      rate() counts from the schedule's start; these times count from --from"
        );
    }
    let verdict = if schedule.meets_cadence {
        "meets the cadence"
    } else {
        "CANNOT MEET THE CADENCE"
    };
    println!(
        "  gap       longest {:.1} days over the next year (allowed {max_interval_days}): {verdict}",
        schedule.longest_gap_days
    );
    if schedule.next_fire_on_time == Some(false) {
        println!("  late      the next fire comes after the cadence's due-by");
    }
}

/// `2026-03-03T10:00:00-08:00` as `2026-03-03 10:00 -08:00`.
fn local_time(rfc3339: &str) -> String {
    DateTime::parse_from_rfc3339(rfc3339)
        .map(|local| local.format("%Y-%m-%d %H:%M %:z").to_string())
        .unwrap_or_else(|_| rfc3339.to_string())
}

fn print_cadence(cadence: &CadenceCheck) {
    let stamp = |at: DateTime<Utc>| at.format("%Y-%m-%dT%H:%MZ").to_string();
    match (cadence.last_exercised, cadence.due_by) {
        (Some(last), Some(due)) => println!(
            "  cadence   {}  last exercised {}, due by {}",
            cadence.status.as_str(),
            stamp(last),
            stamp(due)
        ),
        _ => println!(
            "  cadence   {}  no PASSED or FAILED run in the table",
            cadence.status.as_str()
        ),
    }
}
