//! The rendered Bookstore playbook, read back from its Markdown and its HTML: every table of
//! the Stage 1 article and every scenario with its sections, and the evidence of each scenario
//! (last exercise, measured recovery against the RTO, OVERDUE, NO EVIDENCE).

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use gameday_core::failover::{AlarmEvent, LedgerEntry, Measurement, Outcome};
use gameday_core::playbook::render::{NO_EVIDENCE, OVERDUE, html, markdown};
use gameday_core::playbook::{Evidence, EvidenceInputs, Playbook, build_evidence, load_playbook};
use gameday_core::run::{RunRecord, RunStatus, Verdict};

fn bookstore() -> Playbook {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/bookstore/playbook.yaml");
    load_playbook("playbook.yaml", &fs::read_to_string(file).unwrap()).unwrap()
}

/// A section read back from a rendered document.
#[derive(Debug, Default, Clone)]
struct Part {
    level: usize,
    title: String,
    /// Each table as its header row followed by its rows.
    tables: Vec<Vec<Vec<String>>>,
    /// Paragraphs, list items and alerts, in order.
    texts: Vec<String>,
}

impl Part {
    fn table(&self) -> &Vec<Vec<String>> {
        assert_eq!(self.tables.len(), 1, "{} has one table", self.title);
        &self.tables[0]
    }

    fn text(&self) -> String {
        self.texts.join("\n")
    }
}

struct Outline(Vec<Part>);

impl Outline {
    fn part(&self, title: &str) -> &Part {
        self.0
            .iter()
            .find(|p| p.title == title)
            .unwrap_or_else(|| panic!("no section {title:?} in {:?}", self.titles(0)))
    }

    fn titles(&self, level: usize) -> Vec<&str> {
        self.0
            .iter()
            .filter(|p| level == 0 || p.level == level)
            .map(|p| p.title.as_str())
            .collect()
    }

    /// The sections under the one titled `title`, up to the next one of its level.
    fn children(&self, title: &str) -> Outline {
        let start = self.0.iter().position(|p| p.title == title).unwrap();
        let level = self.0[start].level;
        Outline(
            self.0[start + 1..]
                .iter()
                .take_while(|p| p.level > level)
                .cloned()
                .collect(),
        )
    }
}

/// Headings, pipe tables, list items and paragraphs of GitHub-flavoured Markdown.
fn read_markdown(text: &str) -> Outline {
    let unescape = |s: &str| {
        let mut out = String::new();
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                out.extend(chars.next());
            } else {
                out.push(c);
            }
        }
        out
    };
    let cells = |line: &str| -> Vec<String> {
        let inner = line.trim().trim_start_matches('|');
        let mut cells = vec![String::new()];
        let mut escaped = false;
        for c in inner.chars() {
            match c {
                '|' if !escaped => cells.push(String::new()),
                c => {
                    escaped = c == '\\' && !escaped;
                    cells.last_mut().unwrap().push(c);
                }
            }
        }
        cells.pop();
        cells.iter().map(|c| unescape(c.trim())).collect()
    };
    let mut parts: Vec<Part> = Vec::new();
    let mut in_table = false;
    let mut in_code = false;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        let part = parts.last_mut();
        if let Some(rest) = line.strip_prefix('#') {
            let level = 1 + rest.chars().take_while(|c| *c == '#').count();
            parts.push(Part {
                level,
                title: unescape(rest.trim_start_matches('#').trim()),
                ..Part::default()
            });
            in_table = false;
        } else if trimmed.starts_with('|') {
            let part = part.expect("a table inside a section");
            if !in_table {
                part.tables.push(vec![cells(trimmed)]);
                in_table = true;
            } else if !trimmed.starts_with("| ---") {
                part.tables.last_mut().unwrap().push(cells(trimmed));
            }
        } else if !trimmed.is_empty() {
            in_table = false;
            let item = trimmed
                .strip_prefix("- ")
                .or_else(|| {
                    trimmed
                        .split_once(". ")
                        .map(|(_, r)| r)
                        .filter(|_| trimmed.chars().next().is_some_and(|c| c.is_ascii_digit()))
                })
                .or_else(|| trimmed.strip_prefix("> "))
                .unwrap_or(trimmed);
            part.expect("text inside a section")
                .texts
                .push(unescape(item).replace("**", ""));
        } else {
            in_table = false;
        }
    }
    Outline(parts)
}

/// The same outline from the HTML page, parsed as XML.
fn read_html(text: &str) -> Outline {
    let document = roxmltree::Document::parse(text).expect("the HTML is well-formed");
    let text_of = |node: roxmltree::Node| -> String {
        node.descendants()
            .filter(|n| n.is_text())
            .filter(|n| {
                // Leave out commands and nested lists: they are read as their own items.
                !n.ancestors()
                    .take_while(|a| *a != node)
                    .any(|a| a.has_tag_name("pre") || a.has_tag_name("ul"))
            })
            .map(|n| n.text().unwrap_or_default())
            .collect::<String>()
            .trim()
            .to_string()
    };
    let mut parts = Vec::new();
    for section in document.descendants().filter(|n| n.has_tag_name("section")) {
        let mut part = Part::default();
        for child in section.children().filter(|n| n.is_element()) {
            match child.tag_name().name() {
                "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                    part.level = child.tag_name().name()[1..].parse().unwrap();
                    part.title = text_of(child);
                }
                "table" => part.tables.push(
                    child
                        .descendants()
                        .filter(|n| n.has_tag_name("tr"))
                        .map(|row| {
                            row.children()
                                .filter(|c| c.has_tag_name("th") || c.has_tag_name("td"))
                                .map(text_of)
                                .collect()
                        })
                        .collect(),
                ),
                "p" => part.texts.push(text_of(child)),
                "ol" | "ul" => part.texts.extend(
                    child
                        .descendants()
                        .filter(|n| n.has_tag_name("li"))
                        .map(text_of),
                ),
                _ => {}
            }
        }
        parts.push(part);
    }
    Outline(parts)
}

const SCENARIO_SECTIONS: [&str; 12] = [
    "Disaster recovery leads",
    "Severity",
    "Recovery procedure overview",
    "Basic assumptions",
    "Recovery time objective",
    "Recovery point objective",
    "Recovery platform",
    "Recovery procedure",
    "Test procedure",
    "Resume procedure",
    "Exercised by",
    "Evidence",
];

/// The checks of the article's structure, the same for both formats.
fn check_structure(outline: &Outline) {
    assert_eq!(outline.titles(1), ["Bookstore disaster recovery playbook"]);
    assert_eq!(
        outline.titles(2),
        [
            "System architecture",
            "Critical dependencies",
            "Non-critical dependencies",
            "Contacts",
            "Notification procedure",
            "Failover scenarios",
            "Manual exercise log"
        ]
    );

    let system = outline.part("System architecture").table();
    assert_eq!(
        system[0],
        [
            "Service",
            "Platform",
            "Technologies",
            "AZ",
            "VPC",
            "Subnet",
            "Endpoint"
        ]
    );
    assert_eq!(system.len(), 4, "three services");
    assert_eq!(
        system[1],
        [
            "API",
            "Amazon EC2",
            "Django, NGINX",
            "us-west-2a",
            "bookstore-vpc",
            "bookstore-subnet-2a",
            "api.bookstore.example.com"
        ]
    );
    assert_eq!(system[2][2], "PostgreSQL 10.4");
    assert_eq!(
        system[3][..5],
        ["CDN", "Amazon S3", "Amazon S3", "N/A", "N/A"]
    );

    let critical = outline.part("Critical dependencies").table();
    assert_eq!(
        critical[0],
        [
            "Dependency",
            "Criticality period",
            "Manual workaround",
            "RTO",
            "RPO",
            "Child dependencies"
        ]
    );
    let rows: BTreeMap<&str, &Vec<String>> =
        critical[1..].iter().map(|r| (r[0].as_str(), r)).collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows["API"][1], "Always");
    assert_eq!(rows["API"][3], "12 h (PT12H)");
    assert_eq!(rows["API"][4], "24 h (P1D)");
    assert_eq!(rows["API"][5], "Database, CDN");
    assert_eq!(rows["Database"][5], "N/A");
    assert_eq!(rows["CDN"][3], "24 h (P1D)");

    let non_critical = outline.part("Non-critical dependencies");
    assert!(non_critical.tables.is_empty(), "the Bookstore has none");
    assert!(
        non_critical
            .text()
            .contains("every dependency of Bookstore is critical"),
        "{}",
        non_critical.text()
    );

    let contacts = outline.part("Contacts").table();
    assert_eq!(
        contacts[0],
        [
            "Team member",
            "Position",
            "Relevant services",
            "Email",
            "Phone",
            "Availability"
        ]
    );
    assert_eq!(contacts.len(), 4);
    assert_eq!(
        contacts[1][..5],
        [
            "Alice",
            "Director of Technology",
            "ALL",
            "alice@example.com",
            "555-555-0100"
        ]
    );
    assert_eq!(contacts[1][5], "MON-FRI 09:00-17:00 (America/Los_Angeles)");
    assert_eq!(contacts[2][2], "API");
    assert_eq!(
        contacts[2][5],
        "MON-FRI 09:00-17:00; SAT, SUN 10:00-14:00 (America/Los_Angeles)"
    );
    assert_eq!(contacts[3][5], "On call, any hour");

    let notification = outline.part("Notification procedure").table();
    assert_eq!(
        notification[0],
        [
            "Step",
            "When",
            "Notify, in order",
            "Channels",
            "Within",
            "Message"
        ]
    );
    assert_eq!(notification.len(), 6, "five steps");
    assert_eq!(notification[2][2], "Bob, then Alice");

    let scenarios = outline.children("Failover scenarios");
    assert_eq!(
        scenarios.titles(3),
        [
            "Scenario: Bookstore API failure",
            "Scenario: Database failure",
            "Scenario: CDN failure"
        ]
    );
    for (title, leads, rto, steps) in [
        (
            "Scenario: Bookstore API failure",
            [
                "Primary: Bob, Lead Developer, Bookstore API",
                "Secondary: Alice, Director of Technology",
            ],
            "12 h (PT12H)",
            9,
        ),
        (
            "Scenario: Database failure",
            [
                "Primary: Alice, Director of Technology",
                "Secondary: Bob, Lead Developer, Bookstore API",
            ],
            "12 h (PT12H)",
            5,
        ),
        (
            "Scenario: CDN failure",
            [
                "Primary: Alice, Director of Technology",
                "Secondary: Christina, Site Reliability Engineer",
            ],
            "24 h (P1D)",
            4,
        ),
    ] {
        let sections = scenarios.children(title);
        assert_eq!(sections.titles(4), SCENARIO_SECTIONS, "{title}");
        assert_eq!(
            sections.part("Disaster recovery leads").texts,
            leads,
            "{title}"
        );
        assert_eq!(sections.part("Severity").texts, ["Critical"]);
        assert_eq!(sections.part("Recovery time objective").texts, [rto]);
        assert_eq!(
            sections.part("Recovery point objective").texts,
            ["24 h (P1D)"]
        );
        let procedure = sections.part("Recovery procedure");
        assert!(
            procedure.texts.len() >= steps,
            "{title}: {} steps at least, got {:?}",
            steps,
            procedure.texts
        );
        for part in [
            "Basic assumptions",
            "Test procedure",
            "Resume procedure",
            "Recovery platform",
        ] {
            assert!(!sections.part(part).texts.is_empty(), "{title}: {part}");
        }
        let links = sections.part("Exercised by").table();
        assert_eq!(links[0], ["Kind", "Name"]);
        assert_eq!(links.len(), 3, "one experiment and one policy");
    }

    let log = outline.part("Manual exercise log").table();
    assert_eq!(log.len(), 2);
    assert_eq!(
        log[1][..6],
        [
            "2018-11-09",
            "Bookstore API failure",
            "manual",
            "30 min",
            "12 h (PT12H)",
            "MET"
        ]
    );
}

#[test]
fn the_markdown_holds_every_table_and_scenario_of_the_article() {
    let text = markdown(&bookstore(), None);
    let outline = read_markdown(&text);
    check_structure(&outline);
    let evidence = outline.children("Scenario: CDN failure");
    assert_eq!(
        evidence.part("Evidence").texts,
        ["Not read: rendered with --no-evidence."]
    );
    assert!(text.contains("```sh\n"), "commands are code blocks");
}

#[test]
fn the_html_holds_the_same_and_is_one_self_contained_page() {
    let text = html(&bookstore(), None);
    check_structure(&read_html(&text));
    let document = roxmltree::Document::parse(&text).unwrap();
    for node in document.descendants().filter(|n| n.is_element()) {
        let name = node.tag_name().name();
        assert!(
            !matches!(name, "script" | "link" | "img" | "iframe"),
            "<{name}>"
        );
        assert!(
            node.attribute("src").is_none() && node.attribute("href").is_none(),
            "no external resource: <{name}>"
        );
    }
    assert!(document.descendants().any(|n| n.has_tag_name("style")));
}

#[test]
fn text_from_the_file_is_escaped_in_both_formats() {
    let mut playbook = bookstore();
    let hostile = "<script>alert('x')</script> | **bold** & more";
    playbook.metadata.title = hostile.to_string();
    playbook.system[0].platform = hostile.to_string();
    let page = html(&playbook, None);
    let outline = read_html(&page);
    assert_eq!(
        outline.titles(1),
        [format!("{hostile} disaster recovery playbook")]
    );
    assert_eq!(outline.part("System architecture").table()[1][1], hostile);
    assert!(!page.contains("<script>"));
    let outline = read_markdown(&markdown(&playbook, None));
    assert_eq!(
        outline.part("System architecture").table()[1][1],
        hostile,
        "a pipe does not split the cell"
    );
}

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn run(id: &str, status: RunStatus, decided: &str, recovery: Option<f64>) -> RunRecord {
    let decided = at(decided);
    let mut run = RunRecord::new(
        id,
        "api-instance-failure",
        "bookstore",
        decided - Duration::minutes(10),
    );
    run.status = status;
    run.updated_at = decided;
    run.recovery_seconds = recovery;
    run.recovery_ended_at = recovery.map(|_| decided - Duration::minutes(1));
    run.verdict = Some(Verdict {
        status,
        reasons: vec![],
        decided_at: decided,
    });
    run
}

fn failover(id: &str, outcome: Outcome, finished: &str, measured: Option<f64>) -> LedgerEntry {
    let finished = at(finished);
    let event = AlarmEvent {
        alarm_name: "bookstore-api-unhealthy".into(),
        state: "ALARM".into(),
        alarm_at: finished - Duration::minutes(6),
        source: "eventbridge".into(),
        event_id: None,
        reason: String::new(),
    };
    let mut entry = LedgerEntry::new(
        id,
        "bookstore-api",
        "api",
        "ec2",
        event,
        finished - Duration::minutes(5),
    );
    entry.outcome = outcome;
    entry.finished_at = Some(finished);
    entry.rto = measured.map(|s| Measurement::new(s, "PT12H".parse().unwrap(), "INSYNC - alarm"));
    entry
}

/// The API scenario: two runs and a failover, the last exercise 40 days before `NOW`.
const NOW: &str = "2026-12-01T12:00:00Z";

fn evidence() -> Evidence {
    let inputs = EvidenceInputs {
        source: "DynamoDB table gameday".into(),
        runs: BTreeMap::from([(
            "api-instance-failure".to_string(),
            vec![
                run(
                    "run-b",
                    RunStatus::Failed,
                    "2026-10-15T10:00:00Z",
                    Some(50_000.0),
                ),
                run(
                    "run-a",
                    RunStatus::Passed,
                    "2026-10-01T10:00:00Z",
                    Some(42.0),
                ),
                run("run-c", RunStatus::Aborted, "2026-10-20T10:00:00Z", None),
            ],
        )]),
        failovers: BTreeMap::from([(
            "bookstore-api".to_string(),
            vec![
                failover(
                    "fo-1",
                    Outcome::FailedOver,
                    "2026-10-22T12:00:00Z",
                    Some(300.0),
                ),
                failover("fo-dup", Outcome::Duplicate, "2026-11-30T12:00:00Z", None),
            ],
        )]),
    };
    build_evidence(&bookstore(), &inputs, at(NOW))
}

#[test]
fn evidence_counts_only_real_exercises_and_judges_recovery_against_the_rto() {
    let evidence = evidence();
    let api = evidence.scenario("api-failure").unwrap();
    let last = api.last_exercise.as_ref().unwrap();
    assert_eq!(
        last.at,
        at("2026-10-22T12:00:00Z"),
        "the duplicate and the aborted run do not count"
    );
    assert_eq!(last.result, "FAILED_OVER");
    assert_eq!(api.cadence.status.as_str(), "OVERDUE", "40 days > 35");
    let trend: Vec<&str> = api.trend.iter().map(|e| e.result.as_str()).collect();
    assert_eq!(trend, ["PASSED", "FAILED", "ABORTED"], "oldest first");
    let recoveries: Vec<(f64, bool)> = api
        .recoveries
        .iter()
        .map(|r| (r.measured_seconds, r.met))
        .collect();
    assert_eq!(
        recoveries,
        [
            (300.0, true),
            (50_000.0, false),
            (42.0, true),
            (1_800.0, true)
        ],
        "newest first; the manual exercise's 30 minutes last"
    );
    assert!(
        api.recoveries
            .iter()
            .all(|r| r.objective_seconds == 43_200.0)
    );
    let database = evidence.scenario("database-failure").unwrap();
    assert!(database.is_empty());
    assert_eq!(database.cadence.status.as_str(), "NEVER_RUN");
}

#[test]
fn rendered_evidence_shows_the_last_exercise_the_rto_verdict_and_overdue() {
    let evidence = evidence();
    let playbook = bookstore();
    for outline in [
        read_markdown(&markdown(&playbook, Some(&evidence))),
        read_html(&html(&playbook, Some(&evidence))),
    ] {
        let api = outline.children("Scenario: Bookstore API failure");
        let section = api.part("Evidence");
        assert_eq!(section.tables.len(), 2, "summary and recoveries");
        let summary: BTreeMap<&str, &str> = section.tables[0][1..]
            .iter()
            .map(|r| (r[0].as_str(), r[1].as_str()))
            .collect();
        assert_eq!(
            summary["Last exercise"],
            "2026-10-22 12:00 UTC: failover of bookstore-api, fo-1 (FAILED_OVER)"
        );
        assert!(
            summary["Cadence"].starts_with(OVERDUE),
            "{}",
            summary["Cadence"]
        );
        assert!(
            summary["Cadence"].contains("2026-11-26 12:00 UTC"),
            "{}",
            summary["Cadence"]
        );
        assert!(summary["Verdict trend"].starts_with("PASSED → FAILED → ABORTED"));
        assert!(
            summary["Measured recovery"].starts_with("5 min against the RTO of 12 h (PT12H): MET"),
            "{}",
            summary["Measured recovery"]
        );
        assert!(
            section
                .texts
                .iter()
                .any(|t| t.starts_with(&format!("{OVERDUE}: "))),
            "an OVERDUE alert: {:?}",
            section.texts
        );
        let recoveries = &section.tables[1];
        assert_eq!(
            recoveries[0],
            ["When", "Source", "Measured", "RTO", "Verdict", "Basis"]
        );
        let verdicts: Vec<&str> = recoveries[1..].iter().map(|r| r[4].as_str()).collect();
        assert_eq!(verdicts, ["MET", "MISSED", "MET", "MET"]);
        assert_eq!(recoveries[2][2], "13 h 53 min 20 s");

        for other in ["Scenario: Database failure", "Scenario: CDN failure"] {
            let section = outline.children(other);
            let evidence = section.part("Evidence");
            assert!(evidence.tables.is_empty(), "no figure without records");
            assert!(
                evidence.text().starts_with(&format!("{NO_EVIDENCE}: ")),
                "{other}: {}",
                evidence.text()
            );
        }
    }
}
