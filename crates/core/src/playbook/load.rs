//! Loading playbook files: parse (YAML or JSON), check the structure against the schema,
//! build the model, then check what a schema cannot say. Every problem is reported.

use super::model::Playbook;
use super::schema::check_structure;
use super::semantic::check_semantics;
use crate::diagnostics::{Diagnostic, Violation, locate_all, parse_file, pointer_of_path};

/// Loads a playbook from the text of `file`, or returns every problem in it.
pub fn load_playbook(file: &str, text: &str) -> Result<Playbook, Vec<Diagnostic>> {
    let document = parse_file(file, text)?;
    let locate = |violations: Vec<Violation>| locate_all(file, &document, violations);
    let structural = check_structure(&document.value);
    if !structural.is_empty() {
        return Err(locate(structural));
    }
    // The schema and the model agree, so this only fails on a gap between them.
    let playbook: Playbook =
        serde_path_to_error::deserialize(&document.value).map_err(|error| {
            locate(vec![Violation::new(
                pointer_of_path(&error.path().to_string()),
                error.inner().to_string(),
                "see `gameday playbook schema`",
            )])
        })?;
    let semantic = check_semantics(&playbook);
    if semantic.is_empty() {
        Ok(playbook)
    } else {
        Err(locate(semantic))
    }
}
