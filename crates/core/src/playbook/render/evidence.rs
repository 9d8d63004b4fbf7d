//! A scenario's evidence section: last exercise, cadence (with OVERDUE standing out), verdict
//! trend, and measured recovery against the scenario's RTO. Without records it says "no
//! evidence"; it never shows a figure that was not measured.

use super::build::{objective, when};
use super::document::{Block, Section};
use crate::cadence::CadenceStatus;
use crate::failover::human_seconds;
use crate::playbook::evidence::{Evidence, Recovery, ScenarioEvidence, TREND_LENGTH};
use crate::playbook::model::Scenario;

pub const NO_EVIDENCE: &str = "NO EVIDENCE";
pub const OVERDUE: &str = "OVERDUE";

/// `evidence` is `None` when it was not read; the inner `None` when the scenario has none.
pub fn section(
    scenario: &Scenario,
    evidence: Option<(&Evidence, Option<&ScenarioEvidence>)>,
    id: String,
) -> Section {
    let section = Section::new(4, id, "Evidence");
    let Some((read, found)) = evidence else {
        return section.with(Block::Paragraph(
            "Not read: rendered with --no-evidence.".to_string(),
        ));
    };
    match found {
        Some(found) if !found.is_empty() => with_records(section, scenario, found),
        _ => section.with(Block::Alert {
            label: NO_EVIDENCE.to_string(),
            text: format!(
                "no experiment run, failover or manual exercise of this scenario is recorded in {}",
                read.source
            ),
        }),
    }
}

fn with_records(mut section: Section, scenario: &Scenario, found: &ScenarioEvidence) -> Section {
    let cadence = &found.cadence;
    let last = found.last_exercise.as_ref().map_or_else(
        || "no evidence: never exercised".to_string(),
        |e| format!("{}: {} ({})", when(e.at), e.source.describe(), e.result),
    );
    let cadence_text = match (cadence.status, cadence.due_by) {
        (CadenceStatus::Compliant, Some(due)) => format!(
            "on time: the next exercise is due by {} (at most {} days apart)",
            when(due),
            cadence.max_interval_days
        ),
        (CadenceStatus::Overdue, Some(due)) => format!(
            "{OVERDUE}: it was due by {}; at most {} days may pass between exercises",
            when(due),
            cadence.max_interval_days
        ),
        _ => "never exercised".to_string(),
    };
    let trend = if found.trend.is_empty() {
        "no evidence: no experiment verdict is recorded".to_string()
    } else {
        format!(
            "{} (oldest first; the last {} of at most {TREND_LENGTH})",
            found
                .trend
                .iter()
                .map(|e| e.result.as_str())
                .collect::<Vec<_>>()
                .join(" → "),
            found.trend.len()
        )
    };
    let measured = found.recoveries.first().map_or_else(
        || "no evidence: no recovery was measured".to_string(),
        |r| {
            format!(
                "{} against the RTO of {}: {} ({}, {})",
                human_seconds(r.measured_seconds),
                objective(scenario.rto),
                verdict(r),
                r.source.describe(),
                when(r.at)
            )
        },
    );
    section.blocks.push(Block::table(
        &["Evidence", "Value"],
        vec![
            vec!["Last exercise".into(), last],
            vec!["Cadence".into(), cadence_text],
            vec!["Verdict trend".into(), trend],
            vec!["Measured recovery".into(), measured],
        ],
    ));
    if cadence.status == CadenceStatus::Overdue {
        section.blocks.push(Block::Alert {
            label: OVERDUE.to_string(),
            text: format!(
                "the last exercise was on {}; exercise this scenario again",
                found
                    .last_exercise
                    .as_ref()
                    .map_or("(unknown)".to_string(), |e| when(e.at))
            ),
        });
    }
    if !found.recoveries.is_empty() {
        let rows = found
            .recoveries
            .iter()
            .map(|r| {
                vec![
                    when(r.at),
                    r.source.describe(),
                    human_seconds(r.measured_seconds),
                    human_seconds(r.objective_seconds),
                    verdict(r).to_string(),
                    r.basis.clone(),
                ]
            })
            .collect();
        section.blocks.push(Block::table(
            &["When", "Source", "Measured", "RTO", "Verdict", "Basis"],
            rows,
        ));
    }
    section
}

fn verdict(recovery: &Recovery) -> &'static str {
    if recovery.met { "MET" } else { "MISSED" }
}
