//! `gameday schedule sync|list`: one EventBridge Scheduler schedule per scheduled experiment,
//! and when each one fires next and whether its cadence is kept.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::Subcommand;
use gameday_core::diagnostics::Diagnostic;
use gameday_core::schedule_sync::DEFAULT_SCHEDULE_GROUP;
use gameday_core::spec::{Experiment, check_unique_experiment_names};

use super::validate::{Document, read_file};
use crate::cli::{AwsArgs, OutputFormat, TableArgs};

mod list;
mod sync;

#[derive(Debug, Subcommand)]
pub enum ScheduleAction {
    /// Make the EventBridge Scheduler schedules match the experiment files: one schedule
    /// `gameday-<experiment>` per experiment with a `schedule:` section, in the schedule group
    /// (created when missing). Each starts the experiment state machine with
    /// `{"experimentName": ...}`, at the exact time (flexible window off), enabled.
    ///
    /// Dry run by default: prints what would be created, updated (with the fields that
    /// differ), deleted or left alone. --apply makes the changes and stores each scheduled
    /// experiment in the table, where the scheduled run reads it by name. Running it again
    /// changes nothing.
    ///
    /// Only schedules named `gameday-...` are ever touched. A schedule is deleted when its
    /// experiment's file is given and has no `schedule:` section; a schedule whose experiment
    /// is in none of the given files is deleted only with --prune (the files are the full set).
    Sync {
        /// Experiment files (.yaml, .yml or .json).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Make the changes (default: only show them).
        #[arg(long)]
        apply: bool,
        /// The given files are every experiment: delete gameday schedules of experiments that
        /// are in none of them.
        #[arg(long)]
        prune: bool,
        /// The schedule group.
        #[arg(long, default_value = DEFAULT_SCHEDULE_GROUP)]
        group: String,
        /// The deployed experiment state machine the schedules start.
        #[arg(long, env = "GAMEDAY_STATE_MACHINE_ARN")]
        state_machine_arn: String,
        /// The role Scheduler assumes to start it (the template's `SchedulerRoleArn` output).
        #[arg(long, env = "GAMEDAY_SCHEDULER_ROLE_ARN")]
        role_arn: String,
        #[command(flatten)]
        aws: AwsArgs,
        #[command(flatten)]
        table: TableArgs,
    },
    /// For each experiment: its schedule, the next fire times (UTC and the schedule's zone,
    /// computed here with EventBridge's rules), the longest gap between fires over the next
    /// year against the allowed interval, and its cadence from the runs table (last exercise,
    /// COMPLIANT / OVERDUE / NEVER_RUN, due by). Only PASSED and FAILED runs count as an
    /// exercise. Exit 0 when every experiment is compliant and every schedule can keep the
    /// cadence, 1 otherwise, 2 on errors.
    List {
        /// Experiment files (.yaml, .yml or .json).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// How many fire times to show per schedule.
        #[arg(long, default_value_t = 5)]
        count: usize,
        /// Look from this instant (RFC 3339, e.g. 2026-03-01T00:00:00Z) instead of now: fire
        /// times after it, cadence judged at it. A rate() schedule is counted from it.
        #[arg(long, value_parser = parse_instant)]
        from: Option<DateTime<Utc>>,
        /// The longest allowed time between two exercises (the Stage 3 article asks for at
        /// least every four to five weeks).
        #[arg(long, default_value_t = gameday_core::cadence::DEFAULT_MAX_INTERVAL_DAYS)]
        max_interval_days: i64,
        #[command(flatten)]
        aws: AwsArgs,
        #[command(flatten)]
        table: TableArgs,
    },
}

pub async fn run(action: ScheduleAction, format: OutputFormat) -> ExitCode {
    match action {
        ScheduleAction::Sync {
            files,
            apply,
            prune,
            group,
            state_machine_arn,
            role_arn,
            aws,
            table,
        } => {
            let Some(experiments) = read_experiments(&files) else {
                return ExitCode::from(super::EXIT_ERROR);
            };
            let request = sync::SyncRequest {
                experiments,
                group,
                target: gameday_core::schedule_sync::ScheduleTarget {
                    state_machine_arn,
                    role_arn,
                },
                apply,
                prune,
            };
            sync::run(request, &aws, &table.name, format).await
        }
        ScheduleAction::List {
            files,
            count,
            from,
            max_interval_days,
            aws,
            table,
        } => {
            if max_interval_days < 1 {
                return super::fail("--max-interval-days must be at least 1");
            }
            let Some(experiments) = read_experiments(&files) else {
                return ExitCode::from(super::EXIT_ERROR);
            };
            let request = list::ListRequest {
                experiments,
                count,
                from: from.unwrap_or_else(Utc::now),
                max_interval: chrono::Duration::days(max_interval_days),
            };
            list::run(request, &aws, &table.name, format).await
        }
    }
}

/// `--from`: an RFC 3339 instant.
fn parse_instant(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|instant| instant.with_timezone(&Utc))
        .map_err(|error| format!("{error}; write an RFC 3339 instant such as 2026-03-01T00:00:00Z"))
}

/// The experiments of `files` with their file names, or `None` after printing every error
/// (unreadable or invalid files, and names used twice). Failover policy files and playbooks
/// among them are checked and skipped, so a service's whole folder can be passed.
fn read_experiments(files: &[PathBuf]) -> Option<Vec<(String, Experiment)>> {
    let mut loaded = Vec::new();
    let mut errors: Vec<Diagnostic> = Vec::new();
    for file in files {
        match read_file(file) {
            Ok(Document::Experiment(experiment)) => {
                loaded.push((file.display().to_string(), *experiment))
            }
            Ok(Document::FailoverPolicies(_) | Document::Playbook(_)) => {}
            Err(found) => errors.extend(found),
        }
    }
    errors.extend(check_unique_experiment_names(
        loaded
            .iter()
            .map(|(file, experiment)| (file.as_str(), experiment)),
    ));
    for error in &errors {
        eprintln!("{error}");
    }
    errors.is_empty().then_some(loaded)
}
