//! The experiment JSON Schema (generated from the model, printed by `gameday schema`) and the
//! structural check that turns its failures into messages that say how to fix them.

use std::sync::OnceLock;

use serde_json::Value;

use super::model::{self, Experiment};
use crate::diagnostics::Violation;
use crate::duration::DURATION_PATTERN;
use crate::schema_check::FileSchema;

/// The JSON Schema of experiment files (draft 2020-12).
pub fn experiment_schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let mut schema = schemars::schema_for!(Experiment).to_value();
        schema["$id"] =
            Value::String("https://schemas.example.com/gameday/v1/experiment.json".into());
        schema
    })
}

/// Checks a document against the schema and returns every structural problem.
pub fn check_structure(document: &Value) -> Vec<Violation> {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    let root = experiment_schema();
    FileSchema {
        root,
        validator: VALIDATOR.get_or_init(|| {
            jsonschema::validator_for(root).expect("the generated schema is valid")
        }),
        schema_command: "gameday schema",
        patterns: PATTERNS,
    }
    .check(document)
}

/// The experiment model's patterns in words.
const PATTERNS: &[(&str, &str, &str)] = &[
    (
        DURATION_PATTERN,
        "is not an ISO-8601 duration",
        "write it like PT30S, PT5M, PT1H30M or P1D",
    ),
    (
        model::SELECTION_PATTERN,
        "is not a selection mode",
        "write ALL, COUNT(n) with n ≥ 1, or PERCENT(p) with p from 1 to 100",
    ),
    (
        model::NAME_PATTERN,
        "is not a valid name",
        "use lower-case letters, digits and dashes, starting and ending with a letter or digit (at most 64)",
    ),
    (
        model::URL_PATTERN,
        "is not an http(s) URL",
        "write a full URL such as https://api.example.com/health",
    ),
    (
        model::TOPIC_ARN_PATTERN,
        "is not an SNS topic ARN",
        "write arn:aws:sns:<region>:<account-id>:<topic-name>",
    ),
    (
        model::FIS_TEMPLATE_PATTERN,
        "is not an FIS experiment template id",
        "copy the id from the FIS console; it starts with EXT",
    ),
    (
        model::CLOCK_PATTERN,
        "is not a time of day",
        "write HH:MM on the 24-hour clock, e.g. 09:30",
    ),
    (
        model::END_CLOCK_PATTERN,
        "is not a time of day",
        "write HH:MM on the 24-hour clock, or 24:00 for the end of the day",
    ),
    (
        model::INTERFACE_PATTERN,
        "is not a network interface name",
        "write a Linux interface name such as eth0 or ens5",
    ),
    (
        model::PROCESS_PATTERN,
        "is not a process or unit name",
        "use letters, digits, and . _ / - only (no spaces or shell characters)",
    ),
    (
        model::PATH_PATTERN,
        "is not an absolute path",
        "write an absolute directory such as /var/tmp (letters, digits, . _ / - only)",
    ),
];
