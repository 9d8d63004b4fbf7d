//! Loading experiment files: parse (YAML or JSON), check the structure against the schema,
//! build the model, then check the semantics. Every problem of a file is reported.

use std::collections::BTreeMap;

use super::model::Experiment;
use super::schema::check_structure;
use super::semantic::check_semantics;
use crate::diagnostics::{Diagnostic, Violation, locate_all, parse_file, pointer_of_path};
use crate::source::SourceDocument;

/// Loads one experiment from the text of `file`, or returns every problem found in it.
pub fn load_experiment(file: &str, text: &str) -> Result<Experiment, Vec<Diagnostic>> {
    let document = parse_file(file, text)?;
    let locate = |violations: Vec<Violation>| locate_all(file, &document, violations);
    let structural = check_structure(&document.value);
    if !structural.is_empty() {
        return Err(locate(structural));
    }
    let experiment = build_model(file, &document)?;
    let semantic = check_semantics(&experiment);
    if semantic.is_empty() {
        Ok(experiment)
    } else {
        Err(locate(semantic))
    }
}

/// The schema and the model agree, so this only fails on a gap between them; the error still
/// names the field.
fn build_model(file: &str, document: &SourceDocument) -> Result<Experiment, Vec<Diagnostic>> {
    serde_path_to_error::deserialize(&document.value).map_err(|error| {
        let pointer = pointer_of_path(&error.path().to_string());
        let message = error.inner().to_string();
        vec![Diagnostic::locate(
            file,
            Some(document),
            Violation::new(pointer, message, "see `gameday schema`"),
        )]
    })
}

/// Experiment names must be unique across the files checked together.
pub fn check_unique_experiment_names<'a>(
    loaded: impl IntoIterator<Item = (&'a str, &'a Experiment)>,
) -> Vec<Diagnostic> {
    let mut first_file: BTreeMap<&str, &str> = BTreeMap::new();
    let mut out = Vec::new();
    for (file, experiment) in loaded {
        let name = experiment.metadata.name.as_str();
        match first_file.get(name) {
            Some(first) => out.push(Diagnostic::at(
                file,
                None,
                "/metadata/name",
                format!("experiment name `{name}` is already used by {first}"),
                "give every experiment its own metadata.name",
            )),
            None => {
                first_file.insert(name, file);
            }
        }
    }
    out
}
