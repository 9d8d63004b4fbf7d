//! `gameday validate FILE...`: experiment files, failover policy files (`kind:
//! FailoverPolicies`) and playbooks (`kind: Playbook`, with their links to the files beside
//! them), so one glob over a service's folder checks everything in it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use gameday_core::diagnostics::Diagnostic;
use gameday_core::failover::{FailoverFile, load_failover_file};
use gameday_core::playbook::Playbook;
use gameday_core::source::parse_document;
use gameday_core::spec::{Experiment, check_unique_experiment_names, load_experiment};
use serde::Serialize;

use super::playbook;
use crate::cli::OutputFormat;
use crate::output::emit;

#[derive(Serialize)]
pub(crate) struct Report {
    pub valid: Vec<String>,
    pub errors: Vec<Diagnostic>,
}

/// Loads every file (experiments and failover policy files) and collects every error,
/// including experiment names used twice.
pub(crate) fn check_files(files: &[PathBuf]) -> Report {
    let mut report = Report {
        valid: Vec::new(),
        errors: Vec::new(),
    };
    let mut loaded: Vec<(String, Experiment)> = Vec::new();
    let mut other_files = Vec::new();
    for file in files {
        let name = file.display().to_string();
        match read_file(file) {
            Ok(Document::Experiment(experiment)) => loaded.push((name, *experiment)),
            Ok(Document::FailoverPolicies(_) | Document::Playbook(_)) => other_files.push(name),
            Err(errors) => report.errors.extend(errors),
        }
    }
    let duplicates = check_unique_experiment_names(loaded.iter().map(|(f, e)| (f.as_str(), e)));
    let invalid: Vec<&str> = duplicates.iter().map(|d| d.file.as_str()).collect();
    report.valid = loaded
        .iter()
        .map(|(f, _)| f.clone())
        .filter(|f| !invalid.contains(&f.as_str()))
        .chain(other_files)
        .collect();
    report.errors.extend(duplicates);
    // A playbook reports the errors of the files beside it too; each error is shown once.
    let mut seen = Vec::new();
    report.errors.retain(|e| {
        let new = !seen.contains(e);
        if new {
            seen.push(e.clone());
        }
        new
    });
    report
}

pub fn run(files: &[PathBuf], format: OutputFormat) -> ExitCode {
    let report = check_files(files);
    emit(format, &report, |report| {
        for error in &report.errors {
            eprintln!("{error}");
        }
        for file in &report.valid {
            println!("{file}: valid");
        }
        if !report.errors.is_empty() {
            eprintln!(
                "{} error(s) in {} file(s)",
                report.errors.len(),
                files.len() - report.valid.len()
            );
        }
    });
    if report.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The files a command reads its sources from, by kind.
#[derive(Default)]
pub struct Sources {
    pub experiments: Vec<Experiment>,
    pub policies: Vec<FailoverFile>,
    pub playbooks: Vec<Playbook>,
}

/// Reads every file, keeping the experiments and playbooks of `service` (all, when `None`)
/// and every failover policy file. Every invalid file is reported; then the command stops
/// with exit 2, naming `what` it could not build.
pub fn read_sources(
    files: &[PathBuf],
    service: Option<&str>,
    what: &str,
) -> Result<Sources, ExitCode> {
    let mut sources = Sources::default();
    let mut failed = false;
    let of_service = |name: &str| service.is_none_or(|s| name == s);
    for file in files {
        match read_file(file) {
            Ok(Document::Experiment(experiment)) => {
                if of_service(&experiment.metadata.service) {
                    sources.experiments.push(*experiment);
                }
            }
            Ok(Document::FailoverPolicies(file)) => sources.policies.push(*file),
            Ok(Document::Playbook(playbook)) => {
                if of_service(&playbook.metadata.service) {
                    sources.playbooks.push(*playbook);
                }
            }
            Err(errors) => {
                failed = true;
                errors.iter().for_each(|e| eprintln!("{e}"));
            }
        }
    }
    if failed {
        eprintln!(
            "gameday: fix the files above (`gameday validate` lists every error), then run {what} again"
        );
        return Err(ExitCode::from(super::EXIT_ERROR));
    }
    Ok(sources)
}

/// What a file passed to `validate` (or `report`) turned out to hold.
pub enum Document {
    Experiment(Box<Experiment>),
    FailoverPolicies(Box<FailoverFile>),
    Playbook(Box<Playbook>),
}

/// The `kind` that marks a failover policy file; files of no known kind are read as experiments.
const FAILOVER_KIND: &str = "FailoverPolicies";

pub fn read_file(file: &Path) -> Result<Document, Vec<Diagnostic>> {
    let name = file.display().to_string();
    let text = read_text(file)?;
    let kind = parse_document(&text).ok().and_then(|document| {
        document
            .value
            .get("kind")
            .and_then(|k| k.as_str())
            .map(String::from)
    });
    match kind.as_deref() {
        Some(FAILOVER_KIND) => {
            load_failover_file(&name, &text).map(|file| Document::FailoverPolicies(Box::new(file)))
        }
        Some(playbook::files::KIND) => playbook::files::load_checked(file)
            .map(|playbook| Document::Playbook(Box::new(playbook))),
        _ => load_experiment(&name, &text)
            .map(|experiment| Document::Experiment(Box::new(experiment))),
    }
}

/// Reads and loads one experiment file; an unreadable file is reported like any other error.
pub fn read_experiment(file: &Path) -> Result<Experiment, Vec<Diagnostic>> {
    let name = file.display().to_string();
    load_experiment(&name, &read_text(file)?)
}

/// The text of `file`, or a located error saying why it cannot be read.
pub fn read_text(file: &Path) -> Result<String, Vec<Diagnostic>> {
    std::fs::read_to_string(file).map_err(|error| {
        vec![Diagnostic::at(
            &file.display().to_string(),
            None,
            "",
            format!("cannot read the file: {error}"),
            "check the path and its permissions",
        )]
    })
}
