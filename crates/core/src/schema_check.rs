//! The structural check shared by every file kind (experiments, failover policies): a document
//! against the JSON Schema generated from its model, with each failure turned into a message
//! that says what to fix. Unions are resolved by their tag (`kind:` or `type:`) so errors name
//! the branch the user meant, unknown fields get a "did you mean", and patterns are explained
//! in words.

use jsonschema::error::{TypeKind, ValidationErrorKind};
use serde_json::Value;

use crate::diagnostics::{Violation, child};

/// What differs between file kinds.
pub(crate) struct FileSchema {
    pub root: &'static Value,
    pub validator: &'static jsonschema::Validator,
    /// The command that prints this schema, named in fixes.
    pub schema_command: &'static str,
    /// Each pattern of the model: what a value that misses it is, and how to write it.
    pub patterns: &'static [(&'static str, &'static str, &'static str)],
}

impl FileSchema {
    /// Every structural problem of `document`, sorted by place.
    pub fn check(&self, document: &Value) -> Vec<Violation> {
        let mut violations = Vec::new();
        check_node(
            self,
            self.root,
            self.validator,
            document,
            "",
            &mut violations,
        );
        violations.sort_by(|a, b| a.pointer.cmp(&b.pointer).then(a.message.cmp(&b.message)));
        violations.dedup();
        violations
    }
}

/// Reports the errors of `instance` against `schema` (whose compiled form is `validator`);
/// pointers are prefixed with where `instance` sits in the document.
fn check_node(
    file: &FileSchema,
    schema: &Value,
    validator: &jsonschema::Validator,
    instance: &Value,
    prefix: &str,
    out: &mut Vec<Violation>,
) {
    let root = file.root;
    for error in validator.iter_errors(instance) {
        let pointer = format!("{prefix}{}", error.instance_path().as_str());
        let found = error.instance();
        match error.kind() {
            ValidationErrorKind::OneOfNotValid { .. }
            | ValidationErrorKind::OneOfMultipleValid { .. }
            | ValidationErrorKind::AnyOf { .. } => check_union(
                file,
                schema_at(root, schema, instance, error.instance_path().as_str()),
                found,
                &pointer,
                out,
            ),
            kind => {
                let here = schema_at(root, schema, instance, error.instance_path().as_str());
                out.extend(describe(file, kind, found, &pointer, here))
            }
        }
    }
}

/// A failed `oneOf` is a tagged union (`kind:` or `type:`) or an optional value; find the branch
/// the user meant and report that branch's own errors.
fn check_union(
    file: &FileSchema,
    union: &Value,
    found: &Value,
    pointer: &str,
    out: &mut Vec<Violation>,
) {
    let root = file.root;
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
            return check_branch(file, only, found, pointer, out);
        }
        // An untagged union (a word or a mapping, say): the branch of the found value's type.
        let same_type: Vec<&Value> = non_null
            .iter()
            .copied()
            .filter(|b| accepts_type_of(b, found))
            .collect();
        if let [only] = same_type.as_slice() {
            return check_branch(file, only, found, pointer, out);
        }
        out.push(Violation::new(
            pointer,
            format!("{} does not match any allowed form", show(found)),
            format!("see `{}`", file.schema_command),
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
        Some(branch) => check_branch(file, branch, found, pointer, out),
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
    file: &FileSchema,
    branch: &Value,
    found: &Value,
    pointer: &str,
    out: &mut Vec<Violation>,
) {
    let root = file.root;
    let mut schema = branch.clone();
    if let (Some(object), Some(defs)) = (schema.as_object_mut(), root.get("$defs")) {
        object.insert("$defs".to_string(), defs.clone());
    }
    match jsonschema::validator_for(&schema) {
        Ok(validator) => check_node(file, branch, &validator, found, pointer, out),
        Err(error) => out.push(Violation::new(
            pointer,
            format!("internal schema error: {error}"),
            "report this as a bug",
        )),
    }
}

/// Whether `branch` takes values of the JSON type of `found` (by its `type`, or the type of
/// its `const`/`enum` values).
fn accepts_type_of(branch: &Value, found: &Value) -> bool {
    let type_of = |v: &Value| match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    let found_type = type_of(found);
    let named = |t: &Value| {
        t.as_str()
            .is_some_and(|t| t == found_type || (t == "integer" && found_type == "number"))
    };
    match (branch.get("type"), branch.get("const"), branch.get("enum")) {
        (Some(Value::Array(types)), _, _) => types.iter().any(named),
        (Some(t), _, _) => named(t),
        (None, Some(value), _) => type_of(value) == found_type,
        (None, None, Some(Value::Array(values))) => values.iter().any(|v| type_of(v) == found_type),
        _ => false,
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
    file: &FileSchema,
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
            let (message, fix) = pattern_advice(file, pattern, found);
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
            format!("see `{}`", file.schema_command),
        ),
    }
}

/// A pattern mismatch in words, which is clearer than the regular expression.
fn pattern_advice(file: &FileSchema, pattern: &str, found: &Value) -> (String, String) {
    let shown = show(found);
    match file.patterns.iter().find(|(p, _, _)| *p == pattern) {
        Some((_, message, fix)) => (format!("{shown} {message}"), (*fix).to_string()),
        None => (
            format!("{shown} does not match the pattern {pattern}"),
            format!("see `{}`", file.schema_command),
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
