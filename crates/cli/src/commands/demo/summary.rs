//! The demo's result: what was measured, the evidence files, and how it is shown.

use std::path::Path;

use gameday_aws::sandbox_seed::SnsEnvelope;
use gameday_core::failover::{LedgerEntry, human_seconds};
use gameday_core::run::RunRecord;
use serde::Serialize;

use super::checks::Check;
use crate::cli::OutputFormat;
use crate::commands::run::RunReport;
use crate::output::emit;

/// The evidence files, in the order they are written.
pub const RUN_RECORD_FILE: &str = "run-record.json";
pub const LEDGER_FILE: &str = "failover-ledger.json";
pub const NOTIFICATIONS_FILE: &str = "notifications.json";
pub const SUMMARY_FILE: &str = "summary.json";

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DemoSummary {
    pub endpoint_url: String,
    pub kept_sandbox: bool,
    /// What the seed built.
    pub environment: serde_json::Value,
    /// The Bookstore files that validated.
    pub validated: Vec<String>,
    pub run: RunSummary,
    pub dns: DnsChange,
    /// The failover's ledger entry as stored in the table.
    pub failover: LedgerEntry,
    /// The primary the drill terminated.
    pub lost_primary: Option<String>,
    pub notifications: Vec<SnsEnvelope>,
    pub files: Vec<String>,
    pub checks: Vec<Check>,
    /// Every check passed.
    pub passed: bool,
    pub wall_seconds: f64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunSummary {
    pub run_id: String,
    /// The run record's status (`PASSED`, ...), or `NO RECORD`.
    pub status: String,
    pub reasons: Vec<String>,
    pub recovery_seconds: Option<f64>,
    pub rto_seconds: Option<f64>,
    #[serde(skip)]
    pub record: Option<RunRecord>,
}

impl RunSummary {
    pub fn of(report: &RunReport) -> Self {
        let record = report.record.clone();
        Self {
            run_id: report.run_id.clone(),
            status: record
                .as_ref()
                .map_or("NO RECORD".to_string(), |r| r.status.as_str().to_string()),
            reasons: record
                .as_ref()
                .and_then(|r| r.verdict.as_ref())
                .map(|v| v.reasons.clone())
                .unwrap_or_default(),
            recovery_seconds: record.as_ref().and_then(|r| r.recovery_seconds),
            rto_seconds: record.as_ref().and_then(|r| r.rto_seconds),
            record,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DnsChange {
    pub record: String,
    pub before: Vec<String>,
    pub after: Vec<String>,
    pub replacement: Option<String>,
    pub replacement_address: Option<String>,
}

impl DemoSummary {
    /// Writes the evidence files (run record, ledger, notifications) into `dir`, then reads
    /// each back as JSON. Returns each path with the outcome of writing and re-reading it.
    pub fn write_files(&self, dir: &Path) -> Vec<(String, Result<(), String>)> {
        if let Err(error) = std::fs::create_dir_all(dir) {
            return vec![(dir.display().to_string(), Err(error.to_string()))];
        }
        let record = match &self.run.record {
            Some(record) => serde_json::to_value(record),
            None => Ok(serde_json::Value::Null),
        };
        let documents = [
            (RUN_RECORD_FILE, record),
            (LEDGER_FILE, serde_json::to_value([&self.failover])),
            (
                NOTIFICATIONS_FILE,
                serde_json::to_value(&self.notifications),
            ),
        ];
        documents
            .into_iter()
            .map(|(name, value)| {
                let path = dir.join(name);
                let result = value
                    .map_err(|e| e.to_string())
                    .and_then(|value| write_and_reread(&path, &value));
                (path.display().to_string(), result)
            })
            .collect()
    }

    /// Writes the summary itself (with its checks and files) as the last file in `dir`.
    pub fn write_summary(&self, dir: &Path) -> Result<String, String> {
        let path = dir.join(SUMMARY_FILE);
        let value = serde_json::to_value(self).map_err(|e| e.to_string())?;
        write_and_reread(&path, &value)
            .map(|()| path.display().to_string())
            .map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn emit(&self, format: OutputFormat) {
        emit(format, self, print_summary);
    }
}

/// Writes `value` as pretty JSON and checks that the file reads back as the same value and is
/// not empty (a missing run record is written as `null` and fails here).
fn write_and_reread(path: &Path, value: &serde_json::Value) -> Result<(), String> {
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    std::fs::write(path, text).map_err(|e| e.to_string())?;
    let back: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(path).map_err(|e| format!("reading it back: {e}"))?,
    )
    .map_err(|e| format!("it does not parse: {e}"))?;
    if back.is_null() {
        return Err("it holds nothing".into());
    }
    if back != *value {
        return Err("it reads back different from what was written".into());
    }
    Ok(())
}

fn print_summary(summary: &DemoSummary) {
    let failed = summary.checks.iter().filter(|c| !c.passed).count();
    if summary.passed {
        println!("Bookstore demo: PASSED ({} checks)", summary.checks.len());
    } else {
        println!(
            "Bookstore demo: FAILED ({failed} of {} checks failed)",
            summary.checks.len()
        );
    }
    println!(
        "  sandbox        {} ({})",
        summary.endpoint_url,
        if summary.kept_sandbox {
            "left running: `gameday sandbox down` stops it"
        } else {
            "stopped"
        }
    );
    let run = &summary.run;
    println!(
        "  experiment     run {}: {}, recovery {} (RTO {})",
        run.run_id,
        run.status,
        run.recovery_seconds.map_or("-".into(), human_seconds),
        run.rto_seconds.map_or("-".into(), human_seconds)
    );
    for reason in &run.reasons {
        println!("                 {reason}");
    }
    let dns = &summary.dns;
    println!(
        "  A record       {} {} -> {} (replacement {})",
        dns.record,
        dns.before.join(", "),
        dns.after.join(", "),
        dns.replacement.as_deref().unwrap_or("none")
    );
    let entry = &summary.failover;
    println!("  failover       {}", entry.summary());
    for step in &entry.steps {
        println!(
            "                 {}  {:<20} {:<7} {}",
            step.at.format("%H:%M:%S%.3f"),
            step.step.as_str(),
            format!("{:?}", step.status).to_lowercase(),
            step.detail
        );
    }
    match &entry.rto {
        Some(rto) => println!(
            "  RTO            measured {} against the objective {}: {}",
            human_seconds(rto.measured_seconds),
            human_seconds(rto.objective_seconds),
            if rto.met { "MET" } else { "MISSED" }
        ),
        None => println!("  RTO            not measured"),
    }
    println!(
        "  notifications  {} received by the SQS subscriber",
        summary.notifications.len()
    );
    for notification in &summary.notifications {
        println!(
            "                 {}",
            notification.subject.as_deref().unwrap_or("(no subject)")
        );
    }
    println!(
        "  files          {}",
        summary.files.join("\n                 ")
    );
    for check in &summary.checks {
        println!(
            "  [{}] {}: {}",
            if check.passed { "ok" } else { "!!" },
            check.name,
            check.detail
        );
    }
    println!("  wall time      {:.1} s", summary.wall_seconds);
}
