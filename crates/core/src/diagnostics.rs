//! Errors in user files: each names the file, the line and column, the field, what is wrong and
//! how to fix it. Loaders report every problem of a file, not just the first.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::source::{Position, SourceDocument};

/// A problem found at one place of a document, before it is tied to a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// JSON Pointer of the offending node.
    pub pointer: String,
    /// Point at the key rather than the value (unknown fields, for instance).
    pub at_key: bool,
    pub message: String,
    pub fix: String,
}

impl Violation {
    pub fn new(
        pointer: impl Into<String>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self {
            pointer: pointer.into(),
            at_key: false,
            message: message.into(),
            fix: fix.into(),
        }
    }

    pub fn at_key(mut self) -> Self {
        self.at_key = true;
        self
    }
}

/// A problem in a named file, ready to show to a person or to serialise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// The field, as `faults[0].action.type`; `(document)` for the whole file.
    pub field: String,
    pub message: String,
    pub fix: String,
}

/// Parses the text of `file` (YAML or JSON), or says where its syntax is wrong.
pub fn parse_file(file: &str, text: &str) -> Result<SourceDocument, Vec<Diagnostic>> {
    crate::source::parse_document(text).map_err(|error| {
        vec![Diagnostic::at(
            file,
            Some(error.position),
            "",
            error.message,
            "fix the syntax at this place",
        )]
    })
}

/// Places every violation in `file` (see [`Diagnostic::locate`]).
pub fn locate_all(
    file: &str,
    document: &SourceDocument,
    violations: Vec<Violation>,
) -> Vec<Diagnostic> {
    violations
        .into_iter()
        .map(|v| Diagnostic::locate(file, Some(document), v))
        .collect()
}

impl Diagnostic {
    /// Places a violation in `file` using the positions remembered in `document`.
    pub fn locate(file: &str, document: Option<&SourceDocument>, violation: Violation) -> Self {
        let position = document.and_then(|d| {
            if violation.at_key {
                d.key_position_of(&violation.pointer)
            } else {
                d.position_of(&violation.pointer)
            }
        });
        Self::at(
            file,
            position,
            &violation.pointer,
            violation.message,
            violation.fix,
        )
    }

    pub fn at(
        file: &str,
        position: Option<Position>,
        pointer: &str,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self {
            file: file.to_string(),
            line: position.map(|p| p.line),
            column: position.map(|p| p.column),
            field: field_path(pointer),
            message: message.into(),
            fix: fix.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let (Some(line), Some(column)) = (self.line, self.column) {
            write!(f, ":{line}:{column}")?;
        }
        write!(f, ": {}: {}", self.field, self.message)?;
        if !self.fix.is_empty() {
            write!(f, "\n    fix: {}", self.fix)?;
        }
        Ok(())
    }
}

/// Turns a JSON Pointer into the dotted form people write: `/faults/0/action` → `faults[0].action`.
pub fn field_path(pointer: &str) -> String {
    if pointer.is_empty() {
        return "(document)".to_string();
    }
    let mut path = String::new();
    for segment in pointer.split('/').skip(1) {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        if segment.is_empty() {
            // A mapping key written as `""`: shown as written, so the place is not blank.
            path.push_str("[\"\"]");
        } else if segment.chars().all(|c| c.is_ascii_digit()) {
            path.push_str(&format!("[{segment}]"));
        } else {
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(&segment);
        }
    }
    path
}

/// Turns serde_path_to_error's path into a JSON Pointer: `faults[0].action` → `/faults/0/action`.
pub fn pointer_of_path(path: &str) -> String {
    if path == "." {
        return String::new();
    }
    path.replace('[', ".")
        .replace(']', "")
        .split('.')
        .filter(|s| !s.is_empty())
        .map(|s| format!("/{s}"))
        .collect()
}

/// Extends a JSON Pointer by one segment.
pub fn child(pointer: &str, segment: impl fmt::Display) -> String {
    let segment = segment.to_string().replace('~', "~0").replace('/', "~1");
    format!("{pointer}/{segment}")
}

/// Adds a violation for every name in `names` (the `field` of the items of the list at
/// pointer `list`) that an earlier item already uses; `what` names the items for people.
pub fn unique<'a>(
    list: &str,
    field: &str,
    names: impl Iterator<Item = &'a str>,
    what: &str,
    out: &mut Vec<Violation>,
) {
    let mut first_seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (index, name) in names.enumerate() {
        match first_seen.get(name) {
            Some(first) => out.push(Violation::new(
                child(&child(list, index), field),
                format!("{what} `{name}` is defined twice (first at {list}[{first}])"),
                format!("give each {what} its own {field}"),
            )),
            None => {
                first_seen.insert(name, index);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::parse_document;

    #[test]
    fn field_paths_read_like_code() {
        assert_eq!(field_path(""), "(document)");
        assert_eq!(field_path("/faults/0/action/type"), "faults[0].action.type");
        assert_eq!(
            field_path("/metadata/tags/gameday:allowed"),
            "metadata.tags.gameday:allowed"
        );
        assert_eq!(field_path("/a~1b"), "a/b");
        assert_eq!(field_path("/"), "[\"\"]");
        assert_eq!(field_path("/metadata/tags/"), "metadata.tags[\"\"]");
        assert_eq!(child("/selector/tags", "team/x"), "/selector/tags/team~1x");
    }

    #[test]
    fn display_names_file_line_column_field_and_fix() {
        let document = parse_document("observe:\n  interval: 5 minutes\n").unwrap();
        let violation = Violation::new(
            "/observe/interval",
            "`5 minutes` is not a duration",
            "write PT5M",
        );
        let diagnostic = Diagnostic::locate("exp.yaml", Some(&document), violation);
        assert_eq!(
            diagnostic.to_string(),
            "exp.yaml:2:13: observe.interval: `5 minutes` is not a duration\n    fix: write PT5M"
        );
    }
}
