//! `gameday report FILES...`: one self-contained HTML page (or `--output json`, the model it is
//! rendered from) with each experiment's pass rate and recovery over time, cadence
//! compliance, the failover ledger with RTO against objective, and open aborts and errors.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use aws_config::SdkConfig;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use gameday_aws::AwsClients;
use gameday_aws::config::load_sdk_config;
use gameday_aws::evidence::{experiment_runs, ledger_entries, policy_services};
use gameday_aws::ledger::DynamoLedger;
use gameday_core::failover::FailoverFile;
use gameday_core::report::{Report, ReportWindow, build_report, html};
use gameday_core::spec::Experiment;

use super::validate::{Sources, read_sources};
use crate::cli::{OutputFormat, ReportArgs};

/// Where the page goes when `--out` is not given (text output).
pub const DEFAULT_OUT: &str = "gameday-report.html";

pub async fn run(args: &ReportArgs, format: OutputFormat) -> ExitCode {
    let since = match args.since.as_deref().map(parse_since).transpose() {
        Ok(since) => since,
        Err(message) => return super::fail(message),
    };
    if args.max_interval_days < 1 {
        return super::fail(format!(
            "--max-interval-days {}: must be at least 1 (the Stage 3 cadence is 35)",
            args.max_interval_days
        ));
    }
    let Sources {
        experiments,
        policies,
        ..
    } = match read_sources(&args.files, args.service.as_deref(), "the report") {
        Ok(read) => read,
        Err(code) => return code,
    };
    let mut services = policy_services(&policies, args.service.as_deref());
    if let Some(service) = &args.service
        && services.is_empty()
    {
        services.push(service.clone());
    }
    if experiments.is_empty() && services.is_empty() {
        return super::fail(
            "nothing to report: pass experiment files and/or failover policy files, or --service NAME for a service's failover ledger",
        );
    }
    let config = load_sdk_config(&args.aws.settings()).await;
    let window = ReportWindow {
        now: Utc::now(),
        since,
        max_interval: Duration::days(args.max_interval_days),
    };
    let report = match read_report(
        &config,
        &args.table.name,
        &experiments,
        &policies,
        &services,
        window,
    )
    .await
    {
        Ok(report) => report,
        Err(message) => return super::fail(message),
    };
    let out = match (format, &args.out) {
        (_, Some(out)) => Some(out.clone()),
        (OutputFormat::Text, None) => Some(PathBuf::from(DEFAULT_OUT)),
        (OutputFormat::Json, None) => None,
    };
    if let Some(out) = &out
        && let Err(message) = write_page(&report, out)
    {
        return super::fail(message);
    }
    match format {
        OutputFormat::Json => match serde_json::to_string_pretty(&report) {
            Ok(json) => println!("{json}"),
            Err(error) => return super::fail(format!("cannot render JSON: {error}")),
        },
        OutputFormat::Text => {
            eprintln!(
                "{} run(s), {} failover(s), {} open abort(s) and error(s)",
                report.totals.total,
                report.failovers.len(),
                report.open_problems.len()
            );
            if let Some(out) = &out {
                println!("{}", out.display());
            }
        }
    }
    ExitCode::SUCCESS
}

/// Reads the runs of `experiments` and the ledger of `services` from `table` and builds the
/// report over `window`.
pub(crate) async fn read_report(
    config: &SdkConfig,
    table: &str,
    experiments: &[Experiment],
    policies: &[FailoverFile],
    services: &[String],
    window: ReportWindow,
) -> Result<Report, String> {
    let runs = AwsClients::new(config, table).runs;
    let ledger = DynamoLedger::from_config(config, table);
    eprintln!(
        "reading the runs of {} experiment(s) and the failover ledger of {} service(s) from table {table}",
        experiments.len(),
        services.len()
    );
    let read = experiment_runs(&runs, experiments, policies)
        .await
        .map_err(|error| format!("reading runs from table {table}: {error}"))?;
    let entries = ledger_entries(&ledger, services)
        .await
        .map_err(|error| format!("reading the failover ledger from table {table}: {error}"))?;
    Ok(build_report(&read, &entries, window))
}

pub(crate) fn write_page(report: &Report, out: &Path) -> Result<(), String> {
    std::fs::write(out, html::render(report)).map_err(|error| {
        format!(
            "cannot write the report to {}: {error}; choose another path with --out",
            out.display()
        )
    })?;
    eprintln!("wrote {}", out.display());
    Ok(())
}

/// `YYYY-MM-DD` (midnight UTC) or an RFC 3339 time.
fn parse_since(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(date
            .and_hms_opt(0, 0, 0)
            .expect("midnight exists")
            .and_utc());
    }
    DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|_| {
            format!("--since `{text}`: not a date; use YYYY-MM-DD (UTC) or an RFC 3339 time such as 2026-11-01T00:00:00Z")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_a_date_or_a_time() {
        assert_eq!(
            parse_since("2026-11-01").unwrap(),
            "2026-11-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(
            parse_since("2026-11-01T12:30:00+02:00").unwrap(),
            "2026-11-01T10:30:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        let error = parse_since("last week").unwrap_err();
        assert!(
            error.contains("--since") && error.contains("YYYY-MM-DD"),
            "{error}"
        );
    }
}
