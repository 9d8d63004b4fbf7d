//! Every example must load; every invalid fixture must fail with the field and message its
//! header names (`# expect-field:` and `# expect-message:`).

use std::fs;
use std::path::{Path, PathBuf};

use gameday_core::spec::{check_unique_experiment_names, load_experiment};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml" | "json")
            )
        })
        .collect();
    files.sort();
    files
}

fn header(text: &str, key: &str) -> String {
    text.lines()
        .find_map(|line| line.strip_prefix(&format!("# {key}: ")))
        .unwrap_or_else(|| panic!("fixture lacks `# {key}:`"))
        .to_string()
}

#[test]
fn every_example_experiment_is_valid() {
    let files = yaml_files(&repo_root().join("examples/bookstore"));
    let experiments: Vec<(String, _)> = files
        .iter()
        .filter(|f| fs::read_to_string(f).unwrap().contains("kind: Experiment"))
        .map(|file| {
            let name = file.display().to_string();
            let text = fs::read_to_string(file).unwrap();
            let experiment = load_experiment(&name, &text).unwrap_or_else(|errors| {
                panic!(
                    "{name} is invalid:\n{}",
                    errors
                        .iter()
                        .map(|e| e.to_string())
                        .collect::<Vec<_>>()
                        .join("\n")
                )
            });
            (name, experiment)
        })
        .collect();
    assert!(
        experiments.len() >= 3,
        "the three Bookstore experiments are present"
    );
    assert!(
        check_unique_experiment_names(experiments.iter().map(|(f, e)| (f.as_str(), e))).is_empty()
    );
}

#[test]
fn every_invalid_fixture_fails_on_its_own_rule() {
    let files = yaml_files(&repo_root().join("tests/fixtures/invalid"));
    assert!(
        files.len() >= 15,
        "at least 15 invalid fixtures, found {}",
        files.len()
    );
    for file in files {
        let text = fs::read_to_string(&file).unwrap();
        let (field, message) = (
            header(&text, "expect-field"),
            header(&text, "expect-message"),
        );
        let name = file.display().to_string();
        let errors = load_experiment(&name, &text).expect_err(&format!("{name} should be invalid"));
        let shown: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        assert!(
            errors
                .iter()
                .any(|e| e.field == field && e.message.contains(&message)),
            "{name}: expected an error at `{field}` containing {message:?}, got:\n{}",
            shown.join("\n")
        );
        for error in &errors {
            assert_eq!(error.file, name);
            assert!(
                !error.fix.is_empty(),
                "{name}: every error says how to fix it: {error}"
            );
        }
        if field != "(document)" {
            assert!(
                errors.iter().all(|e| e.line.is_some()),
                "{name}: every error has a line:\n{}",
                shown.join("\n")
            );
        }
    }
}

#[test]
fn reports_every_error_of_a_file_with_lines() {
    let text = fs::read_to_string(repo_root().join("examples/bookstore/api-instance-failure.yaml"))
        .unwrap()
        .replace("interval: PT30S", "interval: soon")
        .replace("selection: COUNT(1)", "selection: MANY")
        .replace("  owner: bob@example.com", "  ownr: bob@example.com");
    let errors = load_experiment("three-errors.yaml", &text).unwrap_err();
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    for expected in [
        "metadata",
        "metadata.ownr",
        "observe.interval",
        "targets[0].selection",
    ] {
        assert!(
            fields.contains(&expected),
            "missing {expected} in {fields:?}"
        );
    }
    let unknown = errors.iter().find(|e| e.field == "metadata.ownr").unwrap();
    assert_eq!((unknown.line, unknown.column), (Some(11), Some(3)));
    assert!(
        unknown.fix.contains("did you mean `owner`"),
        "{}",
        unknown.fix
    );
}

#[test]
fn json_files_get_the_same_checks() {
    let text = r#"{"apiVersion": "gameday/v1", "kind": "Experiment",
  "metadata": {"name": "Bad Name", "service": "s", "dependency": "d", "environment": "dev", "owner": "o"}}"#;
    let errors = load_experiment("exp.json", text).unwrap_err();
    let name = errors
        .iter()
        .find(|e| e.field == "metadata.name")
        .expect("name error");
    assert!(name.message.contains("not a valid name"));
    assert_eq!(name.line, Some(2));
    assert!(
        errors
            .iter()
            .any(|e| e.message.contains("missing required field `hypothesis`"))
    );
}

#[test]
fn duplicate_experiment_names_across_files_are_reported() {
    let text = fs::read_to_string(repo_root().join("examples/bookstore/cdn-failure.yaml")).unwrap();
    let first = load_experiment("a.yaml", &text).unwrap();
    let second = load_experiment("b.yaml", &text).unwrap();
    let errors = check_unique_experiment_names([("a.yaml", &first), ("b.yaml", &second)]);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].file, "b.yaml");
    assert!(errors[0].message.contains("already used by a.yaml"));
}
