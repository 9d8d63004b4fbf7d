//! The failover policy JSON Schema (generated from the model) and the structural check that
//! turns its failures into messages saying what to fix, as for experiment files.
//!
//! The translation follows the experiment checker in `spec/schema.rs`: unions are resolved by
//! their `kind:` tag so that errors name the branch the user meant, unknown fields get a
//! "did you mean", and each pattern is explained in words.

use std::sync::OnceLock;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use serde_json::Value;

use super::policy::{self, FailoverFile};
use crate::diagnostics::{Violation, child};
use crate::duration::DURATION_PATTERN;
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
    let validator = VALIDATOR
        .get_or_init(|| jsonschema::validator_for(root).expect("the generated schema is valid"));
    let mut out = Vec::new();
    check_node(root, root, validator, document, "", &mut out);
    out.sort_by(|a, b| a.pointer.cmp(&b.pointer).then(a.message.cmp(&b.message)));
    out.dedup();
    out
}

fn check_node(
    root: &Value,
    schema: &Value,
    validator: &jsonschema::Validator,
    instance: &Value,
    prefix: &str,
    out: &mut Vec<Violation>,
) {
    for error in validator.iter_errors(instance) {
        let path = error.instance_path().as_str().to_string();
        let pointer = format!("{prefix}{path}");
        let here = schema_at(root, schema, instance, &path);
        match error.kind() {
            ValidationErrorKind::OneOfNotValid { .. }
            | ValidationErrorKind::OneOfMultipleValid { .. }
            | ValidationErrorKind::AnyOf { .. } => {
                check_union(root, here, error.instance(), &pointer, out)
            }
            kind => out.extend(describe(kind, error.instance(), &pointer, here)),
        }
    }
}

/// A failed union: the procedure (tagged by `kind`) or an optional value.
fn check_union(
    root: &Value,
    union: &Value,
    found: &Value,
    pointer: &str,
    out: &mut Vec<Violation>,
) {
    let branches: Vec<&Value> = union
        .get("oneOf")
        .or_else(|| union.get("anyOf"))
        .and_then(Value::as_array)
        .map(|b| b.iter().map(|s| deref(root, s)).collect())
        .unwrap_or_default();
    let Some(tag) = branches.iter().find_map(|b| tag_of(b).map(|(key, _)| key)) else {
        let non_null: Vec<&Value> = branches
            .iter()
            .copied()
            .filter(|b| b.get("type") != Some(&"null".into()))
            .collect();
        if let [only] = non_null.as_slice() {
            return check_branch(root, only, found, pointer, out);
        }
        out.push(Violation::new(
            pointer,
            format!("{} does not match any allowed form", show(found)),
            "see `gameday failover schema`",
        ));
        return;
    };
    let names: Vec<&str> = branches
        .iter()
        .filter_map(|b| tag_of(b).map(|(_, value)| value))
        .collect();
    let Some(object) = found.as_object() else {
        out.push(Violation::new(
            pointer,
            format!("expected a mapping, found {}", show(found)),
            format!("write a mapping with `{tag}: <{}>`", names.join("|")),
        ));
        return;
    };
    let Some(given) = object.get(tag) else {
        out.push(Violation::new(
            pointer,
            format!("missing `{tag}`"),
            format!("add `{tag}:` with one of: {}", names.join(", ")),
        ));
        return;
    };
    let given_text = given.as_str().unwrap_or_default();
    match branches
        .iter()
        .find(|b| tag_of(b).is_some_and(|(_, value)| value == given_text))
    {
        Some(branch) => check_branch(root, branch, found, pointer, out),
        None => out.push(Violation::new(
            child(pointer, tag),
            format!("unknown {tag} {}", show(given)),
            format!(
                "use one of: {}{}",
                names.join(", "),
                suggestion(given_text, &names)
            ),
        )),
    }
}

fn check_branch(
    root: &Value,
    branch: &Value,
    found: &Value,
    pointer: &str,
    out: &mut Vec<Violation>,
) {
    let mut schema = branch.clone();
    if let (Some(object), Some(defs)) = (schema.as_object_mut(), root.get("$defs")) {
        object.insert("$defs".to_string(), defs.clone());
    }
    match jsonschema::validator_for(&schema) {
        Ok(validator) => check_node(root, branch, &validator, found, pointer, out),
        Err(error) => out.push(Violation::new(
            pointer,
            format!("internal schema error: {error}"),
            "report this as a bug",
        )),
    }
}

fn tag_of(branch: &Value) -> Option<(&str, &str)> {
    branch
        .get("properties")?
        .as_object()?
        .iter()
        .find_map(|(key, property)| {
            property
                .get("const")
                .and_then(Value::as_str)
                .map(|value| (key.as_str(), value))
        })
}

fn describe(
    kind: &ValidationErrorKind,
    found: &Value,
    pointer: &str,
    here: &Value,
) -> Vec<Violation> {
    let one = |message: String, fix: String| vec![Violation::new(pointer, message, fix)];
    match kind {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let allowed: Vec<&str> = here
                .get("properties")
                .and_then(Value::as_object)
                .map(|p| p.keys().map(String::as_str).collect())
                .unwrap_or_default();
            unexpected
                .iter()
                .map(|name| {
                    Violation::new(
                        child(pointer, name),
                        format!("unknown field `{name}`"),
                        format!(
                            "remove it{}; allowed here: {}",
                            suggestion(name, &allowed),
                            allowed.join(", ")
                        ),
                    )
                    .at_key()
                })
                .collect()
        }
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            one(
                format!("missing required field `{name}`"),
                format!("add `{name}:` to this mapping"),
            )
        }
        ValidationErrorKind::Type { kind } => one(
            format!("expected {}, found {}", type_names(kind), show(found)),
            format!("write {} here", type_names(kind)),
        ),
        ValidationErrorKind::Enum { options } => {
            let names: Vec<String> = options
                .as_array()
                .into_iter()
                .flatten()
                .map(|o| o.as_str().map_or(o.to_string(), String::from))
                .collect();
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            one(
                format!("{} is not allowed here", show(found)),
                format!(
                    "use one of: {}{}",
                    names.join(", "),
                    suggestion(found.as_str().unwrap_or_default(), &names)
                ),
            )
        }
        ValidationErrorKind::Constant { expected_value } => one(
            format!("{} is not allowed here", show(found)),
            format!("write {}", show(expected_value)),
        ),
        ValidationErrorKind::Pattern { pattern } => {
            let (message, fix) = pattern_advice(pattern, found);
            one(message, fix)
        }
        ValidationErrorKind::Minimum { limit }
        | ValidationErrorKind::ExclusiveMinimum { limit } => one(
            format!("{} is too small", show(found)),
            format!("use a value of at least {limit}"),
        ),
        ValidationErrorKind::Maximum { limit }
        | ValidationErrorKind::ExclusiveMaximum { limit } => one(
            format!("{} is too large", show(found)),
            format!("use a value of at most {limit}"),
        ),
        ValidationErrorKind::MinItems { limit } => one(
            format!(
                "the list needs at least {limit} entr{}",
                if *limit == 1 { "y" } else { "ies" }
            ),
            "add the missing entries".into(),
        ),
        other => one(
            format!("{} is not allowed here ({})", show(found), other.keyword()),
            "see `gameday failover schema`".into(),
        ),
    }
}

fn pattern_advice(pattern: &str, found: &Value) -> (String, String) {
    let known: &[(&str, &str, &str)] = &[
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
    let shown = show(found);
    match known.iter().find(|(p, _, _)| *p == pattern) {
        Some((_, message, fix)) => (format!("{shown} {message}"), (*fix).to_string()),
        None => (
            format!("{shown} does not match the pattern {pattern}"),
            "see `gameday failover schema`".to_string(),
        ),
    }
}

/// The part of `schema` that applies at `pointer` of `document`, unions resolved by tag.
fn schema_at<'a>(root: &'a Value, schema: &'a Value, document: &Value, pointer: &str) -> &'a Value {
    let mut schema = deref(root, schema);
    let mut node = document;
    for segment in pointer.split('/').skip(1) {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        schema = choose_branch(root, schema, node);
        let next = match node {
            Value::Array(items) => {
                node = segment
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| items.get(i))
                    .unwrap_or(&Value::Null);
                schema.get("items")
            }
            Value::Object(entries) => {
                node = entries.get(&segment).unwrap_or(&Value::Null);
                schema
                    .get("properties")
                    .and_then(|p| p.get(&segment))
                    .or_else(|| schema.get("additionalProperties"))
            }
            _ => None,
        };
        match next {
            Some(next) => schema = deref(root, next),
            None => return &Value::Null,
        }
    }
    schema
}

fn choose_branch<'a>(root: &'a Value, schema: &'a Value, node: &Value) -> &'a Value {
    let Some(branches) = schema
        .get("oneOf")
        .or_else(|| schema.get("anyOf"))
        .and_then(Value::as_array)
    else {
        return schema;
    };
    let branches: Vec<&Value> = branches.iter().map(|b| deref(root, b)).collect();
    branches
        .iter()
        .find(|b| {
            tag_of(b)
                .is_some_and(|(key, value)| node.get(key).and_then(Value::as_str) == Some(value))
        })
        .or_else(|| {
            branches
                .iter()
                .find(|b| b.get("type") != Some(&"null".into()) && tag_of(b).is_none())
        })
        .copied()
        .unwrap_or(schema)
}

fn deref<'a>(root: &'a Value, schema: &'a Value) -> &'a Value {
    let mut schema = schema;
    while let Some(name) = schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/$defs/"))
    {
        match root.get("$defs").and_then(|d| d.get(name)) {
            Some(target) => schema = target,
            None => break,
        }
    }
    schema
}

/// `; did you mean `x`?` when a known name is close to what was written.
pub(crate) fn suggestion(given: &str, known: &[&str]) -> String {
    known
        .iter()
        .map(|k| {
            (
                strsim::jaro_winkler(&given.to_lowercase(), &k.to_lowercase()),
                k,
            )
        })
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| format!(" (did you mean `{k}`?)"))
        .unwrap_or_default()
}

fn type_names(kind: &TypeKind) -> String {
    let name = |t: &jsonschema::JsonType| match t.to_string().as_str() {
        "object" => "a mapping".to_string(),
        "array" => "a list".to_string(),
        "string" => "text".to_string(),
        "integer" => "a whole number".to_string(),
        "number" => "a number".to_string(),
        "boolean" => "true or false".to_string(),
        other => other.to_string(),
    };
    match kind {
        TypeKind::Single(t) => name(t),
        TypeKind::Multiple(set) => set
            .iter()
            .map(|t| name(&t))
            .collect::<Vec<_>>()
            .join(" or "),
    }
}

fn show(value: &Value) -> String {
    match value {
        Value::String(s) => format!("`{s}`"),
        Value::Object(_) => "a mapping".to_string(),
        Value::Array(_) => "a list".to_string(),
        Value::Null => "nothing (null)".to_string(),
        other => format!("`{other}`"),
    }
}
