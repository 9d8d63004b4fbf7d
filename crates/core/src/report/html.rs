//! The report as one self-contained HTML page: inline style and inline SVG charts, no script,
//! no external font, image or style sheet, so it opens the same with no network. Every piece
//! of text from runs, files or the ledger goes through [`escape`].

use std::fmt::Write;

use chrono::{DateTime, Utc};

use super::chart::{LineChart, line_chart};
use super::{ExperimentReport, FailoverRow, OpenProblem, Report, StatusCounts};
use crate::failover::{Measurement, human_seconds};
use crate::html::escape;

const STYLE: &str = "body{font-family:sans-serif;margin:24px;color:#24292f;background:#fff}\
h1{font-size:24px}h2{font-size:19px;margin-top:32px;border-bottom:1px solid #d0d7de}\
h3{font-size:16px;margin-top:24px}table{border-collapse:collapse;margin:8px 0}\
th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;font-size:13px}\
th{background:#f6f8fa}.charts{display:flex;flex-wrap:wrap;gap:16px}\
.ok{color:#1a7f37;font-weight:bold}.bad{color:#d1242f;font-weight:bold}\
.meta{color:#57606a}";

/// The whole page.
pub fn render(report: &Report) -> String {
    let mut page = String::new();
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>gameday resiliency report</title><style>{STYLE}</style></head><body>"
    );
    let _ = write!(
        page,
        "<h1>gameday resiliency report</h1><p class=\"meta\">Generated {}{}. Pass rate counts runs with a verdict on the system (PASSED or FAILED); the chart shows the last {} of them at each run.</p>",
        time(report.generated_at),
        report
            .since
            .map(|since| format!(", runs and failovers since {}", time(since)))
            .unwrap_or_default(),
        report.pass_rate_window,
    );
    page.push_str(&counts_table(&report.totals, None));
    page.push_str("<h2 id=\"cadence\">Cadence compliance</h2>");
    page.push_str(&cadence_table(&report.experiments));
    page.push_str("<h2 id=\"experiments\">Experiments</h2>");
    if report.experiments.is_empty() {
        page.push_str("<p>No experiments in this report.</p>");
    }
    for (index, experiment) in report.experiments.iter().enumerate() {
        page.push_str(&experiment_section(index, experiment));
    }
    page.push_str("<h2 id=\"failovers\">Failover ledger</h2>");
    page.push_str(&failover_table(&report.failovers));
    page.push_str("<h2 id=\"open-problems\">Open aborts and errors</h2>");
    page.push_str(&problems_table(&report.open_problems));
    page.push_str("</body></html>\n");
    page
}

fn time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn verdict_cell(ok: bool, yes: &str, no: &str) -> String {
    if ok {
        format!("<td class=\"ok\">{yes}</td>")
    } else {
        format!("<td class=\"bad\">{no}</td>")
    }
}

fn counts_table(counts: &StatusCounts, pass_rate: Option<f64>) -> String {
    let rate = pass_rate
        .or_else(|| counts.pass_rate_percent())
        .map_or("-".to_string(), |rate| format!("{rate:.0}%"));
    format!(
        "<table class=\"counts\"><tr><th>runs</th><th>passed</th><th>failed</th><th>aborted</th><th>errored</th><th>in progress</th><th>pass rate</th></tr><tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{rate}</td></tr></table>",
        counts.total,
        counts.passed,
        counts.failed,
        counts.aborted,
        counts.errored,
        counts.in_progress
    )
}

fn cadence_table(experiments: &[ExperimentReport]) -> String {
    if experiments.is_empty() {
        return "<p>No experiments.</p>".into();
    }
    let mut table = String::from(
        "<table class=\"cadence\"><tr><th>experiment</th><th>status</th><th>last exercised</th><th>due by</th><th>allowed gap</th></tr>",
    );
    for experiment in experiments {
        let cadence = &experiment.cadence;
        let status = cadence.status.as_str();
        let _ = write!(
            table,
            "<tr><td>{}</td>{}<td>{}</td><td>{}</td><td>{} days</td></tr>",
            escape(&experiment.name),
            verdict_cell(status == "COMPLIANT", status, status),
            cadence.last_exercised.map_or("never".into(), time),
            cadence.due_by.map_or("-".into(), time),
            cadence.max_interval_days
        );
    }
    table.push_str("</table>");
    table
}

fn experiment_section(index: usize, experiment: &ExperimentReport) -> String {
    let mut section = String::new();
    let _ = write!(
        section,
        "<section class=\"experiment\" id=\"experiment-{index}\"><h3>{}</h3><p class=\"meta\">service {}{}{}{}</p>",
        escape(&experiment.name),
        escape(&experiment.service),
        experiment
            .dependency
            .as_deref()
            .map(|d| format!(", dependency {}", escape(d)))
            .unwrap_or_default(),
        experiment
            .environment
            .as_deref()
            .map(|e| format!(", environment {}", escape(e)))
            .unwrap_or_default(),
        experiment
            .rto_objective_seconds
            .map(|rto| format!(", RTO {}", human_seconds(rto)))
            .unwrap_or_default(),
    );
    section.push_str(&counts_table(
        &experiment.counts,
        experiment.pass_rate_percent,
    ));
    let pass_title = format!("{}: pass rate", experiment.name);
    let recovery_title = format!("{}: recovery seconds", experiment.name);
    let objective_label = experiment
        .rto_objective_seconds
        .map(|rto| format!("RTO {}", human_seconds(rto)));
    section.push_str("<div class=\"charts\">");
    section.push_str(&line_chart(&LineChart {
        id: &format!("pass-rate-{index}"),
        title: &pass_title,
        y_label: "pass rate (%)",
        points: &experiment.pass_rate_series,
        y_range: Some((0.0, 100.0)),
        objective: None,
    }));
    section.push_str(&line_chart(&LineChart {
        id: &format!("recovery-{index}"),
        title: &recovery_title,
        y_label: "recovery (s)",
        points: &experiment.recovery_series,
        y_range: None,
        objective: experiment
            .rto_objective_seconds
            .zip(objective_label.as_deref()),
    }));
    section.push_str("</div>");
    if !experiment.runs.is_empty() {
        section.push_str(
            "<table class=\"runs\"><tr><th>run</th><th>started</th><th>status</th><th>recovery</th><th>within RTO</th></tr>",
        );
        for run in experiment.runs.iter().rev() {
            let _ = write!(
                section,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td>{}</tr>",
                escape(&run.run_id),
                time(run.created_at),
                run.status,
                run.recovery_seconds
                    .map_or("-".into(), |s| format!("{s:.1} s")),
                match run.within_rto {
                    Some(within) => verdict_cell(within, "yes", "NO"),
                    None => "<td>-</td>".into(),
                }
            );
        }
        section.push_str("</table>");
    }
    section.push_str("</section>");
    section
}

fn measurement_cells(measurement: Option<&Measurement>) -> String {
    match measurement {
        Some(m) => format!(
            "<td>{}</td><td>{}</td>{}",
            human_seconds(m.measured_seconds),
            human_seconds(m.objective_seconds),
            verdict_cell(m.met, "within", "MISSED")
        ),
        None => "<td>not measured</td><td>-</td><td>-</td>".into(),
    }
}

fn failover_table(failovers: &[FailoverRow]) -> String {
    if failovers.is_empty() {
        return "<p>No failovers in this period.</p>".into();
    }
    let mut table = String::from(
        "<table class=\"failovers\"><tr><th>alarm at</th><th>service</th><th>dependency</th><th>source</th><th>outcome</th><th>measured RTO</th><th>objective</th><th>RTO</th><th>failover</th><th>failure</th></tr>",
    );
    for row in failovers {
        let _ = write!(
            table,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>{}<td>{}</td><td>{}</td></tr>",
            time(row.alarm_at),
            escape(&row.service),
            escape(&row.dependency),
            escape(&row.source),
            row.outcome,
            measurement_cells(row.rto.as_ref()),
            escape(&row.failover_id),
            escape(row.failure.as_deref().unwrap_or("")),
        );
    }
    table.push_str("</table>");
    table
}

fn problems_table(problems: &[OpenProblem]) -> String {
    if problems.is_empty() {
        return "<p>No aborted or errored runs in this period.</p>".into();
    }
    let mut table = String::from(
        "<table class=\"problems\"><tr><th>at</th><th>experiment</th><th>run</th><th>status</th><th>reasons</th><th>undo</th></tr>",
    );
    for problem in problems {
        let reasons: Vec<String> = problem.reasons.iter().map(|r| escape(r)).collect();
        let undo = if problem.undo_complete {
            "<td class=\"ok\">complete</td>".to_string()
        } else {
            format!(
                "<td class=\"bad\">INCOMPLETE: {}</td>",
                problem
                    .faults_not_undone
                    .iter()
                    .map(|f| escape(f))
                    .collect::<Vec<_>>()
                    .join("<br>")
            )
        };
        let _ = write!(
            table,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>{undo}</tr>",
            time(problem.at),
            escape(&problem.experiment),
            escape(&problem.run_id),
            problem.status,
            reasons.join("<br>"),
        );
    }
    table.push_str("</table>");
    table
}
