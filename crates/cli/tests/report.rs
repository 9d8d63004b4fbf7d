//! `gameday report` as people use it, against the sandbox: the JSON lists the runs in the
//! table, the text mode writes the page and prints where, and headless Chromium renders the
//! page's charts (the screenshot is kept under the target directory).
//!
//! The browser test needs Debian's `chromium` (`scripts/env.sh` installs it); it is skipped
//! only when GAMEDAY_SKIP_BROWSER=1, and fails with a clear message when chromium is missing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use chrono::Utc;
use gameday_aws::ledger::DynamoLedger;
use gameday_e2e::TestSandbox;
use gameday_e2e::history::store_history;
use serde_json::Value;

mod common;

use common::ROOT;
const TABLE: &str = "gameday";
const FILES: [&str; 3] = [
    "examples/bookstore/api-instance-failure.yaml",
    "examples/bookstore/database-failure.yaml",
    "examples/bookstore/failover.yaml",
];
const CHROMIUM: &str = "/usr/bin/chromium";

fn gameday(sandbox: &TestSandbox, args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_gameday"))
        .args(args)
        .args([
            "--endpoint-url",
            sandbox.endpoint_url(),
            "--table-name",
            TABLE,
        ])
        .current_dir(ROOT)
        .output()
        .expect("gameday runs");
    assert!(
        output.status.success(),
        "gameday {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

async fn sandbox_with_history() -> TestSandbox {
    let sandbox = TestSandbox::start().await;
    let runs = sandbox.clients(TABLE).runs;
    runs.ensure_table().await.unwrap();
    let ledger = DynamoLedger::from_config(&sandbox.config, TABLE);
    store_history(&runs, &ledger, Utc::now()).await;
    sandbox
}

/// A fresh directory under the target directory, kept after the test for inspection.
fn artifact_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread")]
async fn json_lists_the_runs_and_the_page_goes_where_stdout_says() {
    let sandbox = sandbox_with_history().await;
    let mut args = vec!["report"];
    args.extend(FILES);
    args.extend(["--output", "json"]);
    let output = gameday(&sandbox, &args);
    let json: Value = serde_json::from_slice(&output.stdout).expect("JSON on stdout");
    let ids: Vec<(&str, &str)> = json["experiments"][0]["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["runId"].as_str().unwrap(), r["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        ids,
        [
            ("api-1", "PASSED"),
            ("api-2", "FAILED"),
            ("api-3", "ABORTED"),
            ("api-4", "PASSED"),
            ("api-5", "ERRORED"),
            ("api-6", "PASSED"),
            ("api-7", "RUNNING")
        ]
    );
    assert_eq!(json["totals"]["total"], 9);
    assert_eq!(json["failovers"].as_array().unwrap().len(), 3);

    // A period that starts after every run: no runs listed, but cadence still sees the last
    // exercise, five days ago.
    let later = gameday(
        &sandbox,
        &[
            "report",
            FILES[0],
            "--output",
            "json",
            "--since",
            "2100-01-01",
        ],
    );
    let later: Value = serde_json::from_slice(&later.stdout).unwrap();
    assert_eq!(later["experiments"][0]["counts"]["total"], 0);
    assert_eq!(later["experiments"][0]["cadence"]["status"], "COMPLIANT");

    let dir = artifact_dir("report-text");
    let out = dir.join("report.html");
    let mut args = vec!["report"];
    args.extend(FILES);
    let out_text = out.display().to_string();
    args.extend(["--out", out_text.as_str()]);
    let text = gameday(&sandbox, &args);
    assert_eq!(String::from_utf8_lossy(&text.stdout).trim(), out_text);
    let stderr = String::from_utf8_lossy(&text.stderr);
    assert!(
        stderr.contains("9 run(s), 3 failover(s), 2 open abort(s)"),
        "{stderr}"
    );
    let page = std::fs::read_to_string(&out).unwrap();
    assert!(page.contains("api-instance-failure: pass rate"));
}

#[test]
fn bad_input_names_the_flag_and_the_fix() {
    let output = Command::new(env!("CARGO_BIN_EXE_gameday"))
        .args(["report", FILES[0], "--since", "last week"])
        .current_dir(ROOT)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--since `last week`") && stderr.contains("YYYY-MM-DD"),
        "{stderr}"
    );

    let nothing = Command::new(env!("CARGO_BIN_EXE_gameday"))
        .args(["report"])
        .current_dir(ROOT)
        .output()
        .unwrap();
    assert_eq!(nothing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&nothing.stderr).contains("nothing to report"));
}

/// Runs headless Chromium on `page` with `extra` arguments, in a fresh profile.
fn chromium(page: &Path, profile: &Path, extra: &[&str]) -> Output {
    let output = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1280,2000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium starts");
    assert!(
        output.status.success(),
        "chromium {extra:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Pixels of `png` within 40 of `rgb` on every channel, and pixels that are not white.
fn count_pixels(png: &Path, rgb: [u8; 3]) -> (usize, usize) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(png).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buffer = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buffer).unwrap();
    let channels = info.color_type.samples();
    assert!(channels >= 3, "{:?}", info.color_type);
    let pixels = buffer[..info.buffer_size()].chunks(channels);
    let (mut matching, mut not_white) = (0, 0);
    for pixel in pixels {
        if pixel[..3].iter().zip(rgb).all(|(p, c)| p.abs_diff(c) <= 40) {
            matching += 1;
        }
        if pixel[..3].iter().any(|p| *p < 235) {
            not_white += 1;
        }
    }
    (matching, not_white)
}

#[tokio::test(flavor = "multi_thread")]
async fn headless_chromium_renders_the_charts() {
    if std::env::var("GAMEDAY_SKIP_BROWSER").as_deref() == Ok("1") {
        eprintln!("GAMEDAY_SKIP_BROWSER=1: browser test skipped");
        return;
    }
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: run `bash -c 'source scripts/env.sh && ensure_chromium'` (Debian's chromium), or set GAMEDAY_SKIP_BROWSER=1 to skip this test"
    );
    let sandbox = sandbox_with_history().await;
    let dir = artifact_dir("report-browser");
    let page = dir.join("report.html");
    let mut args = vec!["report"];
    args.extend(FILES);
    let page_text = page.display().to_string();
    args.extend(["--out", page_text.as_str()]);
    gameday(&sandbox, &args);

    let dom = chromium(&page, &dir.join("profile-dom"), &["--dump-dom"]);
    let dom = String::from_utf8_lossy(&dom.stdout);
    for chart in ["pass-rate-0", "recovery-0", "pass-rate-1", "recovery-1"] {
        assert!(
            dom.contains(&format!("id=\"{chart}\"")),
            "chart {chart} not in the DOM"
        );
    }
    // Four verdicts of the API experiment and two of the database one on the pass-rate charts,
    // four plus two recoveries: one marked point per run.
    assert_eq!(dom.matches("class=\"point\"").count(), 12, "{dom}");
    assert_eq!(dom.matches("class=\"series\"").count(), 4);
    assert!(dom.contains("class=\"objective\""));
    assert!(dom.contains("data-run-id=\"api-2\" data-value=\"900.5\""));

    let screenshot = dir.join("report.png");
    chromium(
        &page,
        &dir.join("profile-shot"),
        &[&format!("--screenshot={}", screenshot.display())],
    );
    println!("report screenshot: {}", screenshot.display());
    let (series, not_white) = count_pixels(&screenshot, [0x1f, 0x6f, 0xeb]);
    let (objective, _) = count_pixels(&screenshot, [0xd1, 0x24, 0x2f]);
    assert!(
        series > 500,
        "only {series} pixels of the series colour: the charts did not draw"
    );
    assert!(
        objective > 50,
        "only {objective} pixels of the RTO line colour"
    );
    assert!(
        not_white > 20_000,
        "the page is nearly blank ({not_white} non-white pixels)"
    );
}
