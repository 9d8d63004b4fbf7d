//! The demo's rendered documents: the Bookstore playbook with its evidence (Markdown and
//! HTML) and the resiliency report (HTML), each read back from the sandbox's table, so they
//! show what the demo's own experiment and drill recorded.

use std::path::{Path, PathBuf};

use aws_config::SdkConfig;
use chrono::{Duration, Utc};
use gameday_aws::evidence::policy_services;
use gameday_core::cadence::default_max_interval;
use gameday_core::playbook::{build_evidence, render};
use gameday_core::report::{ReportWindow, html};

use super::checks::Checks;
use crate::cli::{AwsArgs, TableArgs};
use crate::commands::playbook::{evidence, files};
use crate::commands::report::read_report;
use crate::commands::validate::{Sources, read_sources};

pub const PLAYBOOK_FILE: &str = "playbook.yaml";
pub const PLAYBOOK_MARKDOWN: &str = "playbook.md";
pub const PLAYBOOK_HTML: &str = "playbook.html";
pub const REPORT_HTML: &str = "report.html";

/// What the demo's run and drill must show up as in the documents.
pub struct Expected<'a> {
    pub experiment: &'a str,
    pub run_id: &'a str,
    pub failover_id: &'a str,
}

/// Renders the playbook and the report into `out_dir` and checks that each carries the
/// demo's run and failover. Returns the files written, each with its outcome.
pub async fn write(
    examples: &Path,
    files: &[PathBuf],
    out_dir: &Path,
    (config, aws, table): (&SdkConfig, &AwsArgs, &str),
    expected: Expected<'_>,
    checks: &mut Checks,
) -> Result<Vec<(String, Result<(), String>)>, String> {
    std::fs::create_dir_all(out_dir).map_err(|e| format!("{}: {e}", out_dir.display()))?;
    let mut written = playbook(examples, out_dir, aws, table, &expected, checks).await?;
    written.push(report(files, out_dir, config, table, &expected, checks).await?);
    Ok(written)
}

async fn playbook(
    examples: &Path,
    out_dir: &Path,
    aws: &AwsArgs,
    table: &str,
    expected: &Expected<'_>,
    checks: &mut Checks,
) -> Result<Vec<(String, Result<(), String>)>, String> {
    let file = examples.join(PLAYBOOK_FILE);
    let playbook = files::load_checked(&file).map_err(|errors| {
        errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    let table = TableArgs { name: table.into() };
    let inputs = evidence::read(&playbook, aws, &table)
        .await
        .map_err(|e| format!("reading the playbook's evidence: {e}"))?;
    let evidence = build_evidence(&playbook, &inputs, Utc::now());
    let scenario = playbook
        .scenarios
        .iter()
        .find(|s| {
            s.exercised_by
                .experiments
                .iter()
                .any(|e| e == expected.experiment)
        })
        .ok_or_else(|| {
            format!(
                "{}: no scenario is exercised by {}",
                file.display(),
                expected.experiment
            )
        })?;
    let shown = evidence.scenario(&scenario.name);
    let exercised = shown.is_some_and(|s| s.last_exercise.is_some() && !s.trend.is_empty());
    checks.expect(
        "the playbook shows the exercise as evidence",
        exercised,
        match shown.and_then(|s| s.last_exercise.as_ref()) {
            Some(last) => format!("scenario {}: last exercise {}", scenario.name, last.at),
            None => format!("scenario {}: no evidence", scenario.name),
        },
    );
    let markdown = render::markdown(&playbook, Some(&evidence));
    let page = render::html(&playbook, Some(&evidence));
    Ok(vec![
        write_text(&out_dir.join(PLAYBOOK_MARKDOWN), &markdown),
        write_text(&out_dir.join(PLAYBOOK_HTML), &page),
    ])
}

async fn report(
    files: &[PathBuf],
    out_dir: &Path,
    config: &SdkConfig,
    table: &str,
    expected: &Expected<'_>,
    checks: &mut Checks,
) -> Result<(String, Result<(), String>), String> {
    let Sources {
        experiments,
        policies,
        ..
    } = read_sources(files, None, "the demo")
        .map_err(|_| "the Bookstore files did not read; see above".to_string())?;
    let services = policy_services(&policies, None);
    let window = ReportWindow {
        now: Utc::now() + Duration::seconds(1),
        since: None,
        max_interval: default_max_interval(),
    };
    let report = read_report(config, table, &experiments, &policies, &services, window).await?;
    let json = serde_json::to_string(&report).map_err(|e| e.to_string())?;
    checks.expect(
        "the report holds the run and the failover",
        json.contains(expected.run_id) && json.contains(expected.failover_id),
        format!(
            "{} run(s), {} failover(s)",
            report.totals.total,
            report.failovers.len()
        ),
    );
    Ok(write_text(
        &out_dir.join(REPORT_HTML),
        &html::render(&report),
    ))
}

/// Writes `text` and reads it back, so a file reported as written really is there.
fn write_text(path: &Path, text: &str) -> (String, Result<(), String>) {
    let result = std::fs::write(path, text)
        .and_then(|()| std::fs::read_to_string(path))
        .map_err(|e| e.to_string())
        .and_then(|back| {
            (back == text)
                .then_some(())
                .ok_or_else(|| "reads back different".to_string())
        });
    (path.display().to_string(), result)
}
