//! `gameday status RUN` and `gameday history EXPERIMENT`: the run records in the table, and
//! the summary every command prints for a run.

use std::process::ExitCode;

use gameday_aws::AwsClients;
use gameday_aws::runs::RunStore;
use gameday_core::run::RunRecord;
use gameday_runner::Outcome;

use crate::cli::{AwsArgs, OutputFormat};
use crate::output::emit;

pub async fn status(run_id: &str, aws: &AwsArgs, table: &str, format: OutputFormat) -> ExitCode {
    let clients = AwsClients::load(&aws.settings(), table).await;
    match clients.runs.get_run(run_id).await {
        Ok(Some(record)) => {
            emit(format, &record, print_record);
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
    let clients = AwsClients::load(&aws.settings(), table).await;
    match clients.runs.recent_runs(experiment, limit).await {
        Ok(records) => {
            emit(format, &records, |records| {
                if records.is_empty() {
                    println!("no runs of `{experiment}` in table {table}");
                }
                for record in records {
                    println!("{}", one_line(record));
                }
            });
            ExitCode::SUCCESS
        }
        Err(error) => super::fail(format!("reading the runs of {experiment}: {error}")),
    }
}

/// `<created>  <status>  <recovery>  <run id>`: one run in a list.
fn one_line(record: &RunRecord) -> String {
    format!(
        "{}  {:<12} {:>10}  {}",
        record.created_at.format("%Y-%m-%d %H:%M:%SZ"),
        record.status.as_str(),
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
    println!(
        "run {} of {} ({})",
        record.run_id, record.experiment, record.service
    );
    println!("  status    {}", record.status.as_str());
    if let Some(verdict) = &record.verdict {
        for reason in &verdict.reasons {
            println!("  reason    {reason}");
        }
    }
    if let Some(reason) = &record.stop_reason {
        println!("  stopped   {reason}");
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
