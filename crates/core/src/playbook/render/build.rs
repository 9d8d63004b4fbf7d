//! The playbook as a document: every table of the Stage 1 article (system architecture,
//! critical and non-critical dependencies, contacts, notification), each scenario with its
//! sections, and each scenario's evidence.

use chrono::{DateTime, Utc};

use super::document::{Block, Item, Section};
use crate::failover::human_seconds;
use crate::playbook::evidence::Evidence;
use crate::playbook::model::*;
use crate::playbook::text::days;

/// The whole document. `evidence` is `None` when it was not read (`--no-evidence`).
pub fn document(playbook: &Playbook, evidence: Option<&Evidence>) -> Section {
    let meta = &playbook.metadata;
    let mut root = Section::new(
        1,
        "playbook",
        format!("{} disaster recovery playbook", meta.title),
    )
    .with(Block::Paragraph(format!(
        "Service {}, owned by {}.{}",
        meta.service,
        meta.owner,
        meta.strategy
            .as_deref()
            .map(|s| format!(" Disaster recovery strategy: {s}."))
            .unwrap_or_default()
    )));
    if let Some(description) = &meta.description {
        root.blocks.push(Block::Paragraph(description.clone()));
    }
    root.blocks.push(Block::Paragraph(match evidence {
        Some(e) => format!(
            "Evidence read from {} at {}.",
            e.source,
            when(e.generated_at)
        ),
        None => "Evidence not read: rendered with --no-evidence.".to_string(),
    }));
    root.sections = vec![
        system(playbook),
        dependencies(playbook, true),
        dependencies(playbook, false),
        contacts(playbook),
        notification(playbook),
        scenarios(playbook, evidence),
        exercise_log(playbook),
    ];
    root
}

/// A time as the document shows it.
pub(super) fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn or_na(value: &Option<String>) -> String {
    value.clone().unwrap_or_else(|| "N/A".to_string())
}

/// An objective: `12 h (PT12H)`.
pub(super) fn objective(duration: crate::duration::IsoDuration) -> String {
    format!("{} ({duration})", human_seconds(duration.as_secs_f64()))
}

fn system(playbook: &Playbook) -> Section {
    let rows = playbook
        .system
        .iter()
        .map(|c| {
            vec![
                c.title.clone(),
                c.platform.clone(),
                c.technologies.join(", "),
                or_na(&c.availability_zone),
                or_na(&c.vpc),
                or_na(&c.subnet),
                or_na(&c.endpoint),
            ]
        })
        .collect();
    Section::new(2, "system-architecture", "System architecture").with(Block::table(
        &[
            "Service",
            "Platform",
            "Technologies",
            "AZ",
            "VPC",
            "Subnet",
            "Endpoint",
        ],
        rows,
    ))
}

fn title_of(playbook: &Playbook, dependency: &str) -> String {
    playbook
        .dependency(dependency)
        .map_or(dependency.to_string(), |d| d.title.clone())
}

fn criticality(period: &CriticalityPeriod) -> String {
    match period {
        CriticalityPeriod::Always(_) => "Always".to_string(),
        CriticalityPeriod::Weekly(p) => format!(
            "{} {}-{} ({})",
            days(&p.days),
            p.start_time,
            p.end_time,
            p.time_zone
        ),
    }
}

fn dependencies(playbook: &Playbook, critical: bool) -> Section {
    let (id, title) = if critical {
        ("critical-dependencies", "Critical dependencies")
    } else {
        ("non-critical-dependencies", "Non-critical dependencies")
    };
    let section = Section::new(2, id, title);
    let listed: Vec<&Dependency> = playbook
        .dependencies
        .iter()
        .filter(|d| d.critical == critical)
        .collect();
    if listed.is_empty() {
        let text = if critical {
            format!(
                "None: no dependency of {} is critical.",
                playbook.metadata.title
            )
        } else {
            format!(
                "None: every dependency of {} is critical; if one fails, the application fails with it.",
                playbook.metadata.title
            )
        };
        return section.with(Block::Paragraph(text));
    }
    let mut headers = vec![
        "Dependency",
        "Criticality period",
        "Manual workaround",
        "RTO",
        "RPO",
        "Child dependencies",
    ];
    if !critical {
        headers.insert(1, "Impact");
    }
    let rows = listed
        .iter()
        .map(|d| {
            let children: Vec<String> = d.children.iter().map(|c| title_of(playbook, c)).collect();
            let mut row = vec![
                d.title.clone(),
                criticality(&d.criticality_period),
                d.manual_workaround.clone(),
                objective(d.rto),
                objective(d.rpo),
                if children.is_empty() {
                    "N/A".to_string()
                } else {
                    children.join(", ")
                },
            ];
            if !critical {
                row.insert(1, or_na(&d.impact));
            }
            row
        })
        .collect();
    section.with(Block::table(&headers, rows))
}

fn availability(availability: &Availability) -> String {
    match availability {
        Availability::OnCall(_) => "On call, any hour".to_string(),
        Availability::Hours(hours) => format!(
            "{} ({})",
            hours
                .hours
                .iter()
                .map(|h| format!("{} {}-{}", days(&h.days), h.start_time, h.end_time))
                .collect::<Vec<_>>()
                .join("; "),
            hours.time_zone
        ),
    }
}

fn contacts(playbook: &Playbook) -> Section {
    let rows = playbook
        .contacts
        .iter()
        .map(|c| {
            let services: Vec<String> = c
                .services
                .iter()
                .map(|s| {
                    playbook
                        .component(s)
                        .map_or(s.clone(), |component| component.title.clone())
                })
                .collect();
            vec![
                c.name.clone(),
                c.position.clone(),
                services.join(", "),
                c.email.clone(),
                c.phone.clone(),
                availability(&c.availability),
            ]
        })
        .collect();
    Section::new(2, "contacts", "Contacts").with(Block::table(
        &[
            "Team member",
            "Position",
            "Relevant services",
            "Email",
            "Phone",
            "Availability",
        ],
        rows,
    ))
}

fn notification(playbook: &Playbook) -> Section {
    let mut section = Section::new(2, "notification-procedure", "Notification procedure");
    if let Some(description) = &playbook.notification.description {
        section.blocks.push(Block::Paragraph(description.clone()));
    }
    let rows = playbook
        .notification
        .steps
        .iter()
        .enumerate()
        .map(|(index, step)| {
            vec![
                (index + 1).to_string(),
                step.when.clone(),
                step.notify.join(", then "),
                step.channels
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                human_seconds(step.within.as_secs_f64()),
                step.message.clone(),
            ]
        })
        .collect();
    section.with(Block::table(
        &[
            "Step",
            "When",
            "Notify, in order",
            "Channels",
            "Within",
            "Message",
        ],
        rows,
    ))
}

fn items(steps: &[ProcedureStep]) -> Vec<Item> {
    steps
        .iter()
        .map(|step| Item {
            text: step.text().to_string(),
            command: step.command().map(String::from),
            children: items(step.substeps()),
        })
        .collect()
}

fn lead(playbook: &Playbook, role: &str, name: &str) -> Item {
    let position = playbook
        .contact(name)
        .map(|c| format!(", {}", c.position))
        .unwrap_or_default();
    Item::text(format!("{role}: {name}{position}"))
}

fn scenarios(playbook: &Playbook, evidence: Option<&Evidence>) -> Section {
    let mut section = Section::new(2, "scenarios", "Failover scenarios");
    section.sections = playbook
        .scenarios
        .iter()
        .map(|s| scenario(playbook, s, evidence))
        .collect();
    section
}

fn scenario(playbook: &Playbook, scenario: &Scenario, evidence: Option<&Evidence>) -> Section {
    let id = |part: &str| format!("scenario-{}-{part}", scenario.name);
    let list = |ordered: bool, steps: &[ProcedureStep]| Block::List {
        ordered,
        items: items(steps),
    };
    let part = |key: &str, title: &str, block: Block| Section::new(4, id(key), title).with(block);
    let mut section = Section::new(
        3,
        format!("scenario-{}", scenario.name),
        format!("Scenario: {}", scenario.title),
    )
    .with(Block::Paragraph(format!(
        "Recovers the dependency {}.",
        title_of(playbook, &scenario.dependency)
    )));
    section.sections = vec![
        part(
            "leads",
            "Disaster recovery leads",
            Block::List {
                ordered: false,
                items: vec![
                    lead(playbook, "Primary", &scenario.leads.primary),
                    lead(playbook, "Secondary", &scenario.leads.secondary),
                ],
            },
        ),
        part(
            "severity",
            "Severity",
            Block::Paragraph(scenario.severity.as_str().to_string()),
        ),
        part(
            "overview",
            "Recovery procedure overview",
            list(true, &scenario.overview),
        ),
        part(
            "assumptions",
            "Basic assumptions",
            Block::List {
                ordered: false,
                items: scenario.assumptions.iter().map(Item::text).collect(),
            },
        ),
        part(
            "rto",
            "Recovery time objective",
            Block::Paragraph(objective(scenario.rto)),
        ),
        part(
            "rpo",
            "Recovery point objective",
            Block::Paragraph(objective(scenario.rpo)),
        ),
        part(
            "platform",
            "Recovery platform",
            Block::Paragraph(scenario.recovery_platform.clone()),
        ),
        part(
            "recovery",
            "Recovery procedure",
            list(true, &scenario.recovery_procedure),
        ),
        part(
            "test",
            "Test procedure",
            list(true, &scenario.test_procedure),
        ),
        part(
            "resume",
            "Resume procedure",
            list(false, &scenario.resume_procedure),
        ),
        exercised_by(scenario, id("exercised-by")),
        super::evidence::section(
            scenario,
            evidence.map(|e| (e, e.scenario(&scenario.name))),
            id("evidence"),
        ),
    ];
    section
}

fn exercised_by(scenario: &Scenario, id: String) -> Section {
    let section = Section::new(4, id, "Exercised by");
    let links = &scenario.exercised_by;
    let mut rows: Vec<Vec<String>> = links
        .experiments
        .iter()
        .map(|e| vec!["experiment".to_string(), e.clone()])
        .collect();
    if let Some(policy) = &links.failover_policy {
        rows.push(vec!["failover policy".to_string(), policy.clone()]);
    }
    if rows.is_empty() {
        return section.with(Block::Paragraph(
            "Nothing automated: no experiment or failover policy is linked to this scenario."
                .to_string(),
        ));
    }
    section.with(Block::table(&["Kind", "Name"], rows))
}

fn exercise_log(playbook: &Playbook) -> Section {
    let section = Section::new(2, "exercise-log", "Manual exercise log");
    if playbook.exercises.is_empty() {
        return section.with(Block::Paragraph(
            "No manual exercise is recorded.".to_string(),
        ));
    }
    let rows = playbook
        .exercises
        .iter()
        .map(|e| {
            let scenario = playbook.scenario(&e.scenario);
            let rto = scenario.map(|s| s.rto);
            vec![
                e.date.clone(),
                scenario.map_or(e.scenario.clone(), |s| s.title.clone()),
                "manual".to_string(),
                human_seconds(e.downtime.as_secs_f64()),
                rto.map(objective).unwrap_or_default(),
                match rto {
                    Some(rto) if e.downtime <= rto => "MET".to_string(),
                    Some(_) => "MISSED".to_string(),
                    None => String::new(),
                },
                e.notes.clone().unwrap_or_default(),
            ]
        })
        .collect();
    section.with(Block::table(
        &[
            "Date",
            "Scenario",
            "Kind",
            "Downtime",
            "RTO",
            "Within RTO",
            "Notes",
        ],
        rows,
    ))
}
