//! `gameday status RUN` and `gameday history EXPERIMENT`: the run records in the table, and
//! the summary every command prints for a run. A run that is not finished is also judged by
//! its driver: one whose driver is lost is shown as INTERRUPTED, with what to do.

use std::process::ExitCode;

use gameday_aws::runs::RunStore;
use gameday_core::liveness::{Liveness, faults_in_effect, rollback_command};
use gameday_core::run::RunRecord;
use gameday_runner::Outcome;
use serde::Serialize;

use super::driver::RunReader;
use crate::cli::{AwsArgs, OutputFormat};
use crate::output::emit;

/// A run as `status` and `history` show it: the record, and for a run without a verdict,
/// whether anything still drives it.
#[derive(Serialize)]
pub struct StatusView<'a> {
    #[serde(flatten)]
    pub record: &'a RunRecord,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub liveness: Option<Liveness>,
}

impl StatusView<'_> {
    /// `INTERRUPTED` for a run whose driver is lost, else the recorded status.
    fn shown_status(&self) -> &'static str {
        match &self.liveness {
            Some(liveness) if liveness.is_interrupted() => "INTERRUPTED",
            _ => self.record.status.as_str(),
        }
    }
}

/// The view of `record`, judged by its driver when it is not finished. A driver that cannot be
/// read leaves the run as recorded, with a warning.
async fn view<'a>(reader: &RunReader, record: &'a RunRecord) -> StatusView<'a> {
    let liveness = if record.status.is_terminal() {
        None
    } else {
        match reader.liveness(record).await {
            Ok((_, liveness)) => Some(liveness),
            Err(error) => {
                eprintln!(
                    "gameday: warning: the driver of run {} cannot be read, so it is shown as recorded: {error}",
                    record.run_id
                );
                None
            }
        }
    };
    StatusView { record, liveness }
}

pub async fn status(run_id: &str, aws: &AwsArgs, table: &str, format: OutputFormat) -> ExitCode {
    let reader = RunReader::load(aws, table).await;
    match reader.clients.runs.get_run(run_id).await {
        Ok(Some(record)) => {
            let view = view(&reader, &record).await;
            emit(format, &view, print_status);
            ExitCode::from(Outcome::of(Some(&record)).exit_code())
        }
        Ok(None) => super::fail(format!(
            "no run `{run_id}` in table {table}; `gameday history EXPERIMENT` lists the runs of an experiment"
        )),
        Err(error) => super::fail(format!("reading run {run_id}: {error}")),
    }
}

pub async fn history(
    experiment: &str,
    limit: usize,
    aws: &AwsArgs,
    table: &str,
    format: OutputFormat,
) -> ExitCode {
    let reader = RunReader::load(aws, table).await;
    let records = match reader.clients.runs.recent_runs(experiment, limit).await {
        Ok(records) => records,
        Err(error) => return super::fail(format!("reading the runs of {experiment}: {error}")),
    };
    let mut views = Vec::new();
    for record in &records {
        views.push(view(&reader, record).await);
    }
    emit(format, &views, |views| {
        if views.is_empty() {
            println!("no runs of `{experiment}` in table {table}");
        }
        for view in views {
            println!("{}", one_line(view));
        }
        if let Some(interrupted) = views.iter().find(|v| v.shown_status() == "INTERRUPTED") {
            println!(
                "INTERRUPTED runs may still have faults in effect: `{}`",
                rollback_command(&interrupted.record.run_id)
            );
        }
    });
    ExitCode::SUCCESS
}

/// The interrupted runs among the latest of `experiment`, for `gameday run` to refuse on.
pub async fn interrupted_runs(
    reader: &RunReader,
    experiment: &str,
) -> Result<Vec<(RunRecord, Liveness)>, gameday_aws::AwsError> {
    let mut interrupted = Vec::new();
    for record in reader.clients.runs.recent_runs(experiment, 20).await? {
        if record.status.is_terminal() {
            continue;
        }
        let (_, liveness) = reader.liveness(&record).await?;
        if liveness.is_interrupted() {
            interrupted.push((record, liveness));
        }
    }
    Ok(interrupted)
}

/// A run's faults that may still act, as `name (state) on targets`, joined.
pub fn describe_faults_in_effect(record: &RunRecord) -> String {
    let faults: Vec<String> = faults_in_effect(record)
        .iter()
        .map(|u| format!("{} ({:?}) on {}", u.fault, u.state, u.targets.join(", ")))
        .collect();
    if faults.is_empty() {
        "none recorded".to_string()
    } else {
        faults.join("; ")
    }
}

/// `print_record` with the status judged by the driver, and for an interrupted run what is
/// left in effect and the command that finishes it.
pub fn print_status(view: &StatusView<'_>) {
    print_record_as(view.record, view.shown_status());
    if let Some(why) = view.liveness.as_ref().and_then(Liveness::interruption) {
        println!("  driver    {why}");
        println!("  in effect {}", describe_faults_in_effect(view.record));
        println!("  finish    {}", rollback_command(&view.record.run_id));
    } else if let Some(Liveness::Live { why }) = &view.liveness {
        println!("  driver    {why}");
    }
}
/// `<created>  <status>  <recovery>  <run id>`: one run in a list.
fn one_line(view: &StatusView<'_>) -> String {
    let record = view.record;
    format!(
        "{}  {:<12} {:>10}  {}",
        record.created_at.format("%Y-%m-%d %H:%M:%SZ"),
        view.shown_status(),
        record
            .recovery_seconds
            .map(|s| format!("{s:.1}s"))
            .unwrap_or_else(|| "-".to_string()),
        record.run_id
    )
}

/// The run for people: verdict and why, recovery against the objective, what was touched and
/// whether each fault was undone.
pub fn print_record(record: &RunRecord) {
    print_record_as(record, record.status.as_str());
}

/// [`print_record`] with `status` shown as its status.
fn print_record_as(record: &RunRecord, status: &str) {
    println!(
        "run {} of {} ({})",
        record.run_id, record.experiment, record.service
    );
    println!("  status    {status}");
    if let Some(verdict) = &record.verdict {
        for reason in &verdict.reasons {
            println!("  reason    {reason}");
        }
    }
    if let Some(reason) = &record.stop_reason {
        println!("  stopped   {reason}");
    }
    for reading in record.failing_probes() {
        println!("  probe     {}: {}", reading.probe, reading.detail);
    }
    match (record.recovery_seconds, record.rto_seconds) {
        (Some(seconds), Some(rto)) => println!("  recovery  {seconds:.1}s (RTO {rto:.0}s)"),
        (Some(seconds), None) => println!("  recovery  {seconds:.1}s"),
        (None, _) => println!("  recovery  not measured"),
    }
    for (target, ids) in &record.targets {
        println!("  target    {target}: {}", ids.join(", "));
    }
    for undo in &record.undo {
        let error = undo
            .error
            .as_deref()
            .map(|e| format!(" ({e})"))
            .unwrap_or_default();
        println!("  fault     {}: {:?}{error}", undo.fault, undo.state);
    }
    println!(
        "  samples   {} kept, {} summarised; {} recovery checks",
        record.samples.len(),
        record.earlier_samples.count,
        record.recovery_checks.len()
    );
}
