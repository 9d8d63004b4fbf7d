//! `gameday validate FILE...`

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use gameday_core::diagnostics::Diagnostic;
use gameday_core::spec::{Experiment, check_unique_experiment_names, load_experiment};
use serde::Serialize;

use crate::cli::OutputFormat;
use crate::output::emit;

#[derive(Serialize)]
struct Report {
    valid: Vec<String>,
    errors: Vec<Diagnostic>,
}

pub fn run(files: &[PathBuf], format: OutputFormat) -> ExitCode {
    let mut report = Report {
        valid: Vec::new(),
        errors: Vec::new(),
    };
    let mut loaded: Vec<(String, Experiment)> = Vec::new();
    for file in files {
        let name = file.display().to_string();
        match read_experiment(file) {
            Ok(experiment) => loaded.push((name, experiment)),
            Err(errors) => report.errors.extend(errors),
        }
    }
    let duplicates = check_unique_experiment_names(loaded.iter().map(|(f, e)| (f.as_str(), e)));
    let invalid: Vec<&str> = duplicates.iter().map(|d| d.file.as_str()).collect();
    report.valid = loaded
        .iter()
        .map(|(f, _)| f.clone())
        .filter(|f| !invalid.contains(&f.as_str()))
        .collect();
    report.errors.extend(duplicates);
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

/// Reads and loads one experiment file; an unreadable file is reported like any other error.
pub fn read_experiment(file: &Path) -> Result<Experiment, Vec<Diagnostic>> {
    let name = file.display().to_string();
    let text = std::fs::read_to_string(file).map_err(|error| {
        vec![Diagnostic::at(
            &name,
            None,
            "",
            format!("cannot read the file: {error}"),
            "check the path and its permissions",
        )]
    })?;
    load_experiment(&name, &text)
}
