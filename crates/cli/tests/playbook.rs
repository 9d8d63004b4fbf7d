//! `gameday playbook validate|schema|render`, `gameday validate` on a playbook, and the
//! criticality periods that `gameday plan` and `gameday run` honour.

use std::path::{Path, PathBuf};
use std::process::Output;

use gameday_aws::sandbox_seed::seed_bookstore;
use gameday_e2e::TestSandbox;
use serde_json::Value;

mod common;

use common::{ROOT, gameday, json};
const BOOKSTORE: [&str; 5] = [
    "api-instance-failure.yaml",
    "database-failure.yaml",
    "cdn-failure.yaml",
    "failover.yaml",
    "playbook.yaml",
];

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).to_string()
}

/// A copy of the Bookstore folder in a fresh directory, with `edit` applied to the playbook.
struct Folder(PathBuf);

impl Folder {
    fn bookstore(tag: &str, edit: impl Fn(String) -> String) -> Self {
        let dir =
            std::env::temp_dir().join(format!("gameday-playbook-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for name in BOOKSTORE {
            let text =
                std::fs::read_to_string(Path::new(ROOT).join("examples/bookstore").join(name))
                    .unwrap();
            let text = if name == "playbook.yaml" {
                edit(text)
            } else {
                text
            };
            std::fs::write(dir.join(name), text).unwrap();
        }
        Folder(dir)
    }

    fn file(&self, name: &str) -> String {
        self.0.join(name).display().to_string()
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The API critical at every hour of every day: any moment is inside its period.
fn api_critical_all_week(text: String) -> String {
    text.replacen(
        "    criticalityPeriod: always\n",
        "    criticalityPeriod:\n      days: [MON, TUE, WED, THU, FRI, SAT, SUN]\n      startTime: \"00:00\"\n      endTime: \"24:00\"\n      timeZone: UTC\n",
        1,
    )
}

#[test]
fn the_bookstore_folder_validates_with_its_playbook() {
    let output = gameday(&["playbook", "validate", "examples/bookstore/playbook.yaml"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let files: Vec<String> = BOOKSTORE
        .iter()
        .map(|f| format!("examples/bookstore/{f}"))
        .collect();
    let mut args = vec!["validate", "--output", "json"];
    args.extend(files.iter().map(String::as_str));
    let all = gameday(&args);
    assert!(all.status.success(), "{}", stderr(&all));
    assert_eq!(json(&all)["valid"].as_array().unwrap().len(), 5);
}

#[test]
fn a_broken_link_is_located_in_the_playbook_with_a_fix() {
    let folder = Folder::bookstore("link", |text| {
        text.replacen(
            "experiments: [api-instance-failure]",
            "experiments: [api-instance-failur]",
            1,
        )
    });
    let playbook = folder.file("playbook.yaml");
    for args in [
        vec![
            "playbook",
            "validate",
            playbook.as_str(),
            "--output",
            "json",
        ],
        vec!["validate", playbook.as_str(), "--output", "json"],
    ] {
        let output = gameday(&args);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let report = json(&output);
        let errors = report["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 1, "{report}");
        let error = &errors[0];
        assert_eq!(error["file"], playbook.as_str());
        assert_eq!(error["field"], "scenarios[0].exercisedBy.experiments[0]");
        assert!(error["line"].as_u64().unwrap() > 100, "{error}");
        assert!(
            error["fix"]
                .as_str()
                .unwrap()
                .contains("did you mean `api-instance-failure`"),
            "{error}"
        );
    }
}

#[test]
fn render_writes_markdown_and_a_self_contained_html_file() {
    let markdown = gameday(&[
        "playbook",
        "render",
        "examples/bookstore/playbook.yaml",
        "--no-evidence",
    ]);
    assert!(markdown.status.success(), "{}", stderr(&markdown));
    let text = String::from_utf8_lossy(&markdown.stdout);
    assert!(
        text.starts_with("# Bookstore disaster recovery playbook\n"),
        "{text}"
    );
    assert!(text.contains("\n## Critical dependencies\n"));

    let folder = Folder::bookstore("render", |text| text);
    let out = folder.file("bookstore.html");
    let html = gameday(&[
        "playbook",
        "render",
        "examples/bookstore/playbook.yaml",
        "--no-evidence",
        "--format",
        "html",
        "--out",
        &out,
    ]);
    assert!(html.status.success(), "{}", stderr(&html));
    let page = std::fs::read_to_string(&out).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("<section id=\"scenario-database-failure\">"));
    assert!(
        !page.contains(" src=") && !page.contains(" href=") && !page.contains("<link"),
        "no external resource"
    );

    let schema = gameday(&["playbook", "schema"]);
    assert_eq!(json(&schema)["title"], "gameday DR playbook (v1)");
}

#[test]
fn render_without_a_table_fails_clearly_and_never_invents_evidence() {
    // Port 9 on loopback: nothing listens.
    let output = gameday(&[
        "playbook",
        "render",
        "examples/bookstore/playbook.yaml",
        "--endpoint-url",
        "http://127.0.0.1:9",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty(), "nothing is rendered");
    assert!(
        stderr(&output).contains("--no-evidence"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn run_is_refused_inside_a_criticality_period_before_anything_starts() {
    let folder = Folder::bookstore("run", api_critical_all_week);
    // Nothing listens on port 9: the refusal comes before any AWS call.
    let output = gameday(&[
        "run",
        &folder.file("api-instance-failure.yaml"),
        "--endpoint-url",
        "http://127.0.0.1:9",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(
        message.contains("refused: inside the criticality period of dependency `api`")
            && message.contains("found next to the experiment file"),
        "{message}"
    );
}

#[tokio::test]
async fn plan_refuses_inside_a_criticality_period_and_names_the_playbook() {
    let sandbox = TestSandbox::start().await;
    seed_bookstore(&sandbox.config, sandbox.endpoint_url(), "gameday")
        .await
        .unwrap();
    let endpoint = sandbox.endpoint_url().to_string();
    let folder = Folder::bookstore("plan", api_critical_all_week);
    let experiment = folder.file("api-instance-failure.yaml");
    let plan_args = [
        "plan",
        experiment.as_str(),
        "--output",
        "json",
        "--endpoint-url",
        &endpoint,
    ];

    // The sandbox is its own process, so waiting on the binary here blocks nothing it needs.
    let output = gameday(&plan_args);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let plan = json(&output);
    assert_eq!(plan["wouldStart"], false);
    assert_eq!(
        plan["playbook"]["file"],
        folder.file("playbook.yaml").as_str()
    );
    assert_eq!(
        plan["playbook"]["found"],
        "found next to the experiment file"
    );
    assert_eq!(plan["playbook"]["rto"], "PT12H");
    let blockers = plan["blockers"].to_string();
    assert!(
        blockers.contains("inside the criticality period of dependency `api`"),
        "{blockers}"
    );

    // The Bookstore's own playbook (critical always) given instead: nothing blocks.
    let given = [
        &plan_args[..],
        &["--playbook", "examples/bookstore/playbook.yaml"],
    ]
    .concat();
    let output = gameday(&given);
    let plan = json(&output);
    assert_eq!(plan["playbook"]["found"], "given with --playbook");
    assert_eq!(plan["playbook"]["active"], Value::Null);
    assert_eq!(plan["wouldStart"], true, "{}", plan["blockers"]);
    assert_eq!(output.status.code(), Some(0));
}
