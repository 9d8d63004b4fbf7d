//! The failover policy JSON Schema (generated from the model, printed by `gameday failover
//! schema`) and its structural check, with the same messages as for experiment files.

use std::sync::OnceLock;

use serde_json::Value;

use super::policy::{self, FailoverFile};
use crate::diagnostics::Violation;
use crate::duration::DURATION_PATTERN;
use crate::schema_check::FileSchema;
use crate::spec::TOPIC_ARN_PATTERN;

/// The JSON Schema of failover policy files (draft 2020-12).
pub fn failover_schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let mut schema = schemars::schema_for!(FailoverFile).to_value();
        schema["$id"] =
            Value::String("https://schemas.example.com/gameday/v1/failover-policies.json".into());
        schema
    })
}

/// Every structural problem of a document, sorted by place.
pub fn check_structure(document: &Value) -> Vec<Violation> {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    let root = failover_schema();
    FileSchema {
        root,
        validator: VALIDATOR.get_or_init(|| {
            jsonschema::validator_for(root).expect("the generated schema is valid")
        }),
        schema_command: "gameday failover schema",
        patterns: PATTERNS,
    }
    .check(document)
}

/// The failover model's patterns in words.
const PATTERNS: &[(&str, &str, &str)] = &[
    (
        DURATION_PATTERN,
        "is not an ISO-8601 duration",
        "write it like PT30S, PT5M, PT1H30M or P1D",
    ),
    (
        TOPIC_ARN_PATTERN,
        "is not an SNS topic ARN",
        "write arn:aws:sns:<region>:<account-id>:<topic-name>",
    ),
    (
        policy::SERVICE_PATTERN,
        "is not a valid service name",
        "use lower-case letters, digits and dashes, starting and ending with a letter or digit (at most 64), e.g. bookstore-api",
    ),
    (
        policy::INSTANCE_ID_PATTERN,
        "is not an EC2 instance id",
        "write an id such as i-0123456789abcdef0",
    ),
    (
        policy::ZONE_ID_PATTERN,
        "is not a Route 53 hosted zone id",
        "copy the id from the hosted zone (it starts with Z), without the /hostedzone/ prefix",
    ),
    (
        policy::DOMAIN_PATTERN,
        "is not a DNS name",
        "write a full name such as api.bookstore.example.com",
    ),
    (
        policy::HTTP_PATH_PATTERN,
        "is not an HTTP path",
        "write a path that starts with /, e.g. /books/",
    ),
    (
        policy::DB_IDENTIFIER_PATTERN,
        "is not an RDS DB instance identifier",
        "start with a letter; use letters, digits and dashes (at most 63), e.g. bookstore-db",
    ),
    (
        policy::BUCKET_PATTERN,
        "is not an S3 bucket name",
        "use lower-case letters, digits, dots and dashes (3 to 63), e.g. bookstore-static-backup",
    ),
    (
        policy::TEMPLATE_VERSION_PATTERN,
        "is not a launch template version",
        "write $Latest, $Default or a version number such as 3",
    ),
];
