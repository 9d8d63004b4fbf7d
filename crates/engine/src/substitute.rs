//! `${Name}` substitution in a definition's text, as CloudFormation's DefinitionSubstitutions
//! does: values go in as written, so a value inside a JSON string must not need escaping.

use std::collections::{BTreeMap, BTreeSet};

use crate::LoadError;

/// Replaces every `${Name}` in a definition's text; a name without a value is an error naming it.
///
/// Names are letters, digits and `_`; any other `${` is left alone.
pub fn substitute(text: &str, values: &BTreeMap<String, String>) -> Result<String, LoadError> {
    let mut out = String::with_capacity(text.len());
    let mut missing = BTreeSet::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let name = after.find('}').map(|end| &after[..end]).filter(|name| {
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
        match name {
            Some(name) => {
                match values.get(name) {
                    Some(value) => out.push_str(value),
                    None => {
                        missing.insert(name);
                    }
                }
                rest = &after[name.len() + 1..];
            }
            None => {
                out.push_str("${");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    if missing.is_empty() {
        return Ok(out);
    }
    let known: Vec<&str> = values.keys().map(String::as_str).collect();
    let known = if known.is_empty() {
        "none".to_string()
    } else {
        known.join(", ")
    };
    Err(LoadError {
        problems: missing
            .into_iter()
            .map(|name| format!("${{{name}}} has no value (values given: {known})"))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_names_and_reports_missing_ones() {
        let values = BTreeMap::from([
            ("TableName".to_string(), "runs".to_string()),
            (
                "Fn".to_string(),
                "arn:aws:lambda:us-east-1:1:function:prepare".to_string(),
            ),
        ]);
        assert_eq!(
            substitute(r#"{"a": "${Fn}", "b": "${TableName}-${TableName}", "c": "$.x", "d": "${not a name}"}"#, &values)
                .unwrap(),
            r#"{"a": "arn:aws:lambda:us-east-1:1:function:prepare", "b": "runs-runs", "c": "$.x", "d": "${not a name}"}"#
        );
        let error = substitute("${Topic} ${Queue} ${Topic}", &values).unwrap_err();
        assert_eq!(
            error.problems,
            [
                "${Queue} has no value (values given: Fn, TableName)",
                "${Topic} has no value (values given: Fn, TableName)"
            ]
        );
    }
}
