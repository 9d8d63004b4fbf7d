//! The playbook JSON Schema (generated from the model, printed by `gameday playbook schema`)
//! and its structural check, with the same messages as for experiment files.

use std::sync::OnceLock;

use serde_json::Value;

use super::model::{self, Playbook};
use crate::diagnostics::Violation;
use crate::duration::DURATION_PATTERN;
use crate::schema_check::FileSchema;
use crate::spec;

/// The JSON Schema of playbook files (draft 2020-12).
pub fn playbook_schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let mut schema = schemars::schema_for!(Playbook).to_value();
        schema["$id"] =
            Value::String("https://schemas.example.com/gameday/v1/playbook.json".into());
        schema
    })
}

/// Every structural problem of a document, sorted by place.
pub fn check_structure(document: &Value) -> Vec<Violation> {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    let root = playbook_schema();
    FileSchema {
        root,
        validator: VALIDATOR.get_or_init(|| {
            jsonschema::validator_for(root).expect("the generated schema is valid")
        }),
        schema_command: "gameday playbook schema",
        patterns: PATTERNS,
    }
    .check(document)
}

/// The playbook model's patterns in words.
const PATTERNS: &[(&str, &str, &str)] = &[
    (
        DURATION_PATTERN,
        "is not an ISO-8601 duration",
        "write it like PT30M, PT12H or P1D (the article's \"12 hours\" is PT12H)",
    ),
    (
        spec::NAME_PATTERN,
        "is not a valid name",
        "use lower-case letters, digits and dashes, starting and ending with a letter or digit (at most 64)",
    ),
    (
        spec::CLOCK_PATTERN,
        "is not a time of day",
        "write HH:MM on the 24-hour clock, e.g. 02:00",
    ),
    (
        spec::END_CLOCK_PATTERN,
        "is not a time of day",
        "write HH:MM on the 24-hour clock, or 24:00 for the end of the day",
    ),
    (
        model::DATE_PATTERN,
        "is not a date",
        "write YYYY-MM-DD, e.g. 2026-11-03",
    ),
    (
        model::PHONE_PATTERN,
        "is not a phone number",
        "write digits with optional spaces, dashes, dots, brackets and a leading +, e.g. 555-555-0100",
    ),
    (
        model::EMAIL_PATTERN,
        "is not an e-mail address",
        "write name@domain, e.g. alice@example.com",
    ),
];
