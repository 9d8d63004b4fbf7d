//! `gameday validate FILE...`: experiment files, and failover policy files (`kind:
//! FailoverPolicies`), so one glob over a service's folder checks everything in it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use gameday_core::diagnostics::Diagnostic;
use gameday_core::failover::{FailoverFile, load_failover_file};
use gameday_core::source::parse_document;
use gameday_core::spec::{Experiment, check_unique_experiment_names, load_experiment};
use serde::Serialize;

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
    let mut policy_files = Vec::new();
    for file in files {
        let name = file.display().to_string();
        match read_file(file) {
            Ok(Document::Experiment(experiment)) => loaded.push((name, *experiment)),
            Ok(Document::FailoverPolicies(_)) => policy_files.push(name),
            Err(errors) => report.errors.extend(errors),
        }
    }
    let duplicates = check_unique_experiment_names(loaded.iter().map(|(f, e)| (f.as_str(), e)));
    let invalid: Vec<&str> = duplicates.iter().map(|d| d.file.as_str()).collect();
    report.valid = loaded
        .iter()
        .map(|(f, _)| f.clone())
        .filter(|f| !invalid.contains(&f.as_str()))
        .chain(policy_files)
        .collect();
    report.errors.extend(duplicates);
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

/// What a file passed to `validate` (or `report`) turned out to hold.
pub enum Document {
    Experiment(Box<Experiment>),
    FailoverPolicies(Box<FailoverFile>),
}

/// The `kind` that marks a failover policy file; every other file is read as an experiment.
const FAILOVER_KIND: &str = "FailoverPolicies";

pub fn read_file(file: &Path) -> Result<Document, Vec<Diagnostic>> {
    let name = file.display().to_string();
    let text = read_text(file)?;
    let is_failover = parse_document(&text).is_ok_and(|document| {
        document.value.get("kind").and_then(|k| k.as_str()) == Some(FAILOVER_KIND)
    });
    if is_failover {
        load_failover_file(&name, &text).map(|file| Document::FailoverPolicies(Box::new(file)))
    } else {
        load_experiment(&name, &text).map(|experiment| Document::Experiment(Box::new(experiment)))
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
