//! The experiment JSON Schema (generated from the model, printed by `gameday schema`) and the
//! structural check that turns its failures into messages that say how to fix them.

use std::sync::OnceLock;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use serde_json::Value;

use super::model::{self, Experiment};
use crate::diagnostics::{Violation, child};
use crate::duration::DURATION_PATTERN;

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
    let validator = VALIDATOR
        .get_or_init(|| jsonschema::validator_for(root).expect("the generated schema is valid"));
    let mut violations = Vec::new();
    check_node(root, root, validator, document, "", &mut violations);
    violations.sort_by(|a, b| a.pointer.cmp(&b.pointer).then(a.message.cmp(&b.message)));
    violations.dedup();
    violations
}

/// Reports the errors of `instance` against `schema` (whose compiled form is `validator`);
/// pointers are prefixed with where `instance` sits in the document.
fn check_node(
    root: &Value,
    schema: &Value,
    validator: &jsonschema::Validator,
    instance: &Value,
    prefix: &str,
    out: &mut Vec<Violation>,
) {
    for error in validator.iter_errors(instance) {
        let pointer = format!("{prefix}{}", error.instance_path().as_str());
        let found = error.instance();
        match error.kind() {
            ValidationErrorKind::OneOfNotValid { .. }
            | ValidationErrorKind::OneOfMultipleValid { .. }
            | ValidationErrorKind::AnyOf { .. } => check_union(
                root,
                schema_at(root, schema, instance, error.instance_path().as_str()),
                found,
                &pointer,
                out,
            ),
            kind => {
                let here = schema_at(root, schema, instance, error.instance_path().as_str());
                out.extend(describe(kind, found, &pointer, here))
            }
        }
    }
}

/// A failed `oneOf` is a tagged union (`kind:` or `type:`) or an optional value; find the branch
/// the user meant and report that branch's own errors.
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
            "see `gameday schema`",
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

/// The tag property of a union branch and its constant value, e.g. `("kind", "http")`.
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

/// A message and a fix for one schema error; `here` is the schema that applies at `pointer`.
fn describe(
    kind: &ValidationErrorKind,
    found: &Value,
    pointer: &str,
    here: &Value,
) -> Vec<Violation> {
    let one = |message: String, fix: String| vec![Violation::new(pointer, message, fix)];
    match kind {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let allowed = allowed_properties(here);
            unexpected
                .iter()
                .map(|name| {
                    let fix = format!(
                        "remove it{}; allowed here: {}",
                        suggestion(name, &allowed),
                        allowed.join(", ")
                    );
                    Violation::new(child(pointer, name), format!("unknown field `{name}`"), fix)
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
        ValidationErrorKind::MinProperties { limit } => one(
            format!(
                "the mapping needs at least {limit} entr{}",
                if *limit == 1 { "y" } else { "ies" }
            ),
            "add the missing entries".into(),
        ),
        other => one(
            format!("{} is not allowed here ({})", show(found), other.keyword()),
            "see `gameday schema`".into(),
        ),
    }
}

/// Messages for the patterns of the model, which are clearer than the regular expression.
fn pattern_advice(pattern: &str, found: &Value) -> (String, String) {
    let shown = show(found);
    let known: &[(&str, &str, &str)] = &[
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
    match known.iter().find(|(p, _, _)| *p == pattern) {
        Some((_, message, fix)) => (format!("{shown} {message}"), (*fix).to_string()),
        None => (
            format!("{shown} does not match the pattern {pattern}"),
            "see `gameday schema`".to_string(),
        ),
    }
}

/// The part of `schema` that applies at `pointer` of `document`. Unions on the way are resolved
/// by their tag; a union at `pointer` itself is returned as the union.
fn schema_at<'a>(root: &'a Value, schema: &'a Value, document: &Value, pointer: &str) -> &'a Value {
    let mut schema = deref(root, schema);
    let mut node = document;
    for segment in pointer.split('/').skip(1) {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        schema = choose_branch(root, schema, node);
        let next_schema = match node {
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
        match next_schema {
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

fn allowed_properties(schema: &Value) -> Vec<&str> {
    schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| p.keys().map(String::as_str).collect())
        .unwrap_or_default()
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

/// A short rendering of a found value for messages.
fn show(value: &Value) -> String {
    match value {
        Value::String(s) => format!("`{s}`"),
        Value::Object(_) => "a mapping".to_string(),
        Value::Array(_) => "a list".to_string(),
        Value::Null => "nothing (null)".to_string(),
        other => format!("`{other}`"),
    }
}
