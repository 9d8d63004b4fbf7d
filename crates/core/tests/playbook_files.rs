//! The Bookstore playbook loads and links to the experiments and policies beside it; every
//! invalid playbook fixture fails on its own rule with a located error and a fix.

use std::fs;
use std::path::{Path, PathBuf};

use gameday_core::failover::load_failover_file;
use gameday_core::playbook::{CriticalityPeriod, Playbook, check_links, load_playbook};
use gameday_core::spec::load_experiment;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn bookstore() -> Playbook {
    let file = repo_root().join("examples/bookstore/playbook.yaml");
    load_playbook("playbook.yaml", &fs::read_to_string(file).unwrap()).unwrap_or_else(|errors| {
        panic!(
            "{}",
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        )
    })
}

fn header(text: &str, key: &str) -> String {
    text.lines()
        .find_map(|line| line.strip_prefix(&format!("# {key}: ")))
        .unwrap_or_else(|| panic!("fixture lacks `# {key}:`"))
        .to_string()
}

#[test]
fn the_bookstore_playbook_holds_the_articles_tables() {
    let playbook = bookstore();
    let names = |list: Vec<&str>| list.join(",");
    assert_eq!(
        names(playbook.system.iter().map(|c| c.name.as_str()).collect()),
        "api,database,cdn"
    );
    assert!(playbook.dependencies.iter().all(|d| d.critical));
    assert!(
        playbook
            .dependencies
            .iter()
            .all(|d| matches!(d.criticality_period, CriticalityPeriod::Always(_)))
    );
    let api = playbook.dependency("api").unwrap();
    assert_eq!(api.rto.to_string(), "PT12H");
    assert_eq!(api.rpo.to_string(), "P1D");
    assert_eq!(api.children, ["database", "cdn"]);
    assert_eq!(playbook.dependency("cdn").unwrap().rto.to_string(), "P1D");
    assert_eq!(playbook.contacts.len(), 3);
    for contact in &playbook.contacts {
        assert!(contact.email.ends_with("@example.com"), "{}", contact.email);
        assert!(contact.phone.starts_with("555-555-01"), "{}", contact.phone);
    }
    assert_eq!(
        names(playbook.scenarios.iter().map(|s| s.name.as_str()).collect()),
        "api-failure,database-failure,cdn-failure"
    );
    let manual = playbook.exercises_of("api-failure");
    assert_eq!(manual.len(), 1);
    assert_eq!(manual[0].downtime.to_string(), "PT30M");
}

#[test]
fn the_bookstore_scenarios_link_to_the_experiments_and_policies_beside_them() {
    let playbook = bookstore();
    let folder = repo_root().join("examples/bookstore");
    let read = |name: &str| fs::read_to_string(folder.join(name)).unwrap();
    let experiments: Vec<_> = [
        "api-instance-failure.yaml",
        "database-failure.yaml",
        "cdn-failure.yaml",
    ]
    .iter()
    .map(|f| (f.to_string(), load_experiment(f, &read(f)).unwrap()))
    .collect();
    let policies = vec![(
        "failover.yaml".to_string(),
        load_failover_file("failover.yaml", &read("failover.yaml")).unwrap(),
    )];
    assert_eq!(check_links(&playbook, &experiments, &policies), vec![]);

    // A misspelt link, an experiment of another dependency and a policy whose RTO drifted.
    let mut broken = playbook.clone();
    broken.scenarios[0].exercised_by.experiments = vec!["api-instance-failur".into()];
    broken.scenarios[1].exercised_by.experiments = vec!["cdn-failure".into()];
    let mut drifted = policies.clone();
    drifted[0].1.policies[2].rto = "PT6H".parse().unwrap();
    let problems = check_links(&broken, &experiments, &drifted);
    let shown: Vec<String> = problems
        .iter()
        .map(|p| {
            format!(
                "{:?} {} {}",
                p.file, p.violation.pointer, p.violation.message
            )
        })
        .collect();
    assert_eq!(problems.len(), 3, "{shown:#?}");
    assert_eq!(
        problems[0].violation.pointer,
        "/scenarios/0/exercisedBy/experiments/0"
    );
    assert!(
        problems[0]
            .violation
            .fix
            .contains("did you mean `api-instance-failure`"),
        "{}",
        problems[0].violation.fix
    );
    assert!(
        problems[1]
            .violation
            .message
            .contains("exercises dependency `cdn`")
    );
    assert_eq!(problems[2].file.as_deref(), Some("failover.yaml"));
    assert_eq!(problems[2].violation.pointer, "/policies/2/rto");

    // An experiment of the service that names a dependency the playbook lacks.
    let mut stray = experiments.clone();
    stray[0].1.metadata.dependency = "search".into();
    let problems = check_links(&playbook, &stray, &policies);
    assert!(
        problems
            .iter()
            .any(|p| p.file.as_deref() == Some("api-instance-failure.yaml")
                && p.violation.pointer == "/metadata/dependency"),
        "{problems:#?}"
    );
}

#[test]
fn every_invalid_playbook_fails_on_its_own_rule() {
    let dir = repo_root().join("tests/fixtures/invalid-playbook");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 20, "found {}", files.len());
    for file in files {
        let text = fs::read_to_string(&file).unwrap();
        let (field, message) = (
            header(&text, "expect-field"),
            header(&text, "expect-message"),
        );
        let name = file.display().to_string();
        let errors = load_playbook(&name, &text).expect_err(&format!("{name} should be invalid"));
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
            assert!(!error.fix.is_empty(), "{name}: no fix in {error}");
            assert!(error.line.is_some(), "{name}: no line in {error}");
        }
    }
}

#[test]
fn errors_point_at_the_line_and_column_of_the_field() {
    let text = fs::read_to_string(repo_root().join("examples/bookstore/playbook.yaml"))
        .unwrap()
        .replacen("    rto: PT12H\n", "    rto: twelve hours\n", 1);
    let errors = load_playbook("pb.yaml", &text).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    let line = text
        .lines()
        .position(|l| l.contains("twelve hours"))
        .unwrap()
        + 1;
    assert_eq!(errors[0].field, "dependencies[0].rto");
    assert_eq!((errors[0].line, errors[0].column), (Some(line), Some(10)));
    assert!(errors[0].fix.contains("PT12H"), "{}", errors[0].fix);
}
