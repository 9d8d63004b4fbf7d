//! The JSONPath subset the engine evaluates: `$` (the state's input) or `$$` (the context
//! object), followed by `.field`, `['field']` and `[n]` steps.
//!
//! Every path in a definition is parsed at load, so wildcards, filters, slices and recursive
//! descent are refused there with a message naming the field, instead of failing mid-run.

use serde_json::{Map, Value};

/// What a path starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Root {
    Input,
    Context,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Field(String),
    Index(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Path {
    text: String,
    root: Root,
    steps: Vec<Step>,
}

impl Path {
    /// `$`: the whole input.
    pub(crate) fn whole() -> Path {
        Path {
            text: "$".to_string(),
            root: Root::Input,
            steps: Vec::new(),
        }
    }

    pub(crate) fn parse(text: &str) -> Result<Path, String> {
        let (root, rest) = if let Some(rest) = text.strip_prefix("$$") {
            (Root::Context, rest)
        } else if let Some(rest) = text.strip_prefix('$') {
            (Root::Input, rest)
        } else {
            return Err(format!("'{text}' is not a path (a path starts with '$')"));
        };
        let steps = parse_steps(rest).map_err(|why| format!("'{text}': {why}"))?;
        Ok(Path {
            text: text.to_string(),
            root,
            steps,
        })
    }

    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    pub(crate) fn root(&self) -> Root {
        self.root
    }

    /// `$`: selecting with it is the identity.
    pub(crate) fn is_whole(&self) -> bool {
        self.root == Root::Input && self.steps.is_empty()
    }

    /// The value the path selects, if there is one.
    pub(crate) fn get<'v>(&self, input: &'v Value, context: &'v Value) -> Option<&'v Value> {
        let start = match self.root {
            Root::Input => input,
            Root::Context => context,
        };
        self.steps
            .iter()
            .try_fold(start, |value, step| match (step, value) {
                (Step::Field(name), Value::Object(map)) => map.get(name),
                (Step::Index(index), Value::Array(items)) => items.get(*index),
                _ => None,
            })
    }

    /// Writes `value` where the path points inside `target` (ResultPath semantics): missing
    /// fields are created as objects on the way; a step through anything else is an error.
    pub(crate) fn put(&self, target: Value, value: Value) -> Result<Value, String> {
        let mut target = target;
        put_at(&mut target, &self.steps, value).map_err(|depth| {
            let mut at = String::from("$");
            for step in &self.steps[..depth] {
                match step {
                    Step::Field(name) => at.push_str(&format!("['{name}']")),
                    Step::Index(index) => at.push_str(&format!("[{index}]")),
                }
            }
            let wanted = match self.steps.get(depth) {
                Some(Step::Index(_)) => "an array long enough",
                _ => "an object",
            };
            format!(
                "cannot write to '{}': the value at {at} is not {wanted}",
                self.text
            )
        })?;
        Ok(target)
    }
}

/// Writes `value` at `steps` under `slot`; on failure, how many steps went well.
fn put_at(slot: &mut Value, steps: &[Step], value: Value) -> Result<(), usize> {
    let Some((step, rest)) = steps.split_first() else {
        *slot = value;
        return Ok(());
    };
    let child = match (step, slot) {
        (Step::Field(name), Value::Object(map)) => map
            .entry(name.clone())
            .or_insert_with(|| Value::Object(Map::new())),
        (Step::Index(index), Value::Array(items)) if *index < items.len() => &mut items[*index],
        _ => return Err(0),
    };
    put_at(child, rest, value).map_err(|depth| depth + 1)
}

const SUBSET: &str = "the local engine supports $, .field, ['field'] and [n]";

fn parse_steps(mut rest: &str) -> Result<Vec<Step>, String> {
    let mut steps = Vec::new();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('.') {
            if after.starts_with('.') {
                return Err(format!("recursive descent (..) is not supported; {SUBSET}"));
            }
            let end = after.find(['.', '[']).unwrap_or(after.len());
            let name = &after[..end];
            check_field_name(name)?;
            steps.push(Step::Field(name.to_string()));
            rest = &after[end..];
        } else if let Some(after) = rest.strip_prefix('[') {
            let (step, after) = parse_bracket(after)?;
            steps.push(step);
            rest = after;
        } else {
            return Err(format!("unexpected '{rest}'; {SUBSET}"));
        }
    }
    Ok(steps)
}

fn check_field_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err(format!("an empty field name; {SUBSET}"));
    }
    if name == "*" {
        return Err(format!("wildcards (*) are not supported; {SUBSET}"));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| c.is_whitespace() || "()@?*]'\",:".contains(*c))
    {
        return Err(format!(
            "'{bad}' in field name '{name}' (use ['...'] for unusual names); {SUBSET}"
        ));
    }
    Ok(())
}

/// Reads what follows a `[`: a quoted name or an index, up to the closing `]`.
fn parse_bracket(after: &str) -> Result<(Step, &str), String> {
    if let Some(quote) = after.chars().next().filter(|c| *c == '\'' || *c == '"') {
        let body = &after[1..];
        let close = body
            .find(quote)
            .ok_or_else(|| format!("unterminated {quote}...{quote} in brackets"))?;
        let rest = body[close + 1..]
            .strip_prefix(']')
            .ok_or_else(|| format!("expected ']' after {quote}{}{quote}", &body[..close]))?;
        return Ok((Step::Field(body[..close].to_string()), rest));
    }
    let close = after.find(']').ok_or("unterminated '['")?;
    let inside = &after[..close];
    let rest = &after[close + 1..];
    if !inside.is_empty() && inside.bytes().all(|b| b.is_ascii_digit()) {
        let index = inside
            .parse()
            .map_err(|_| format!("index [{inside}] is too large"))?;
        return Ok((Step::Index(index), rest));
    }
    let what = if inside == "*" {
        "wildcards ([*])"
    } else if inside.starts_with('?') {
        "filter expressions ([?(...)])"
    } else if inside.contains(':') {
        "slices ([a:b])"
    } else if inside.contains(',') {
        "unions ([a,b])"
    } else if inside.starts_with('-') {
        "negative indexes"
    } else {
        return Err(format!("[{inside}] is not a field or an index; {SUBSET}"));
    };
    Err(format!("{what} are not supported; {SUBSET}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn get(path: &str, input: &Value) -> Option<Value> {
        Path::parse(path).unwrap().get(input, &json!({})).cloned()
    }

    #[test]
    fn reads_fields_and_indexes() {
        let input = json!({"a": {"b c": [10, {"d": true}]}});
        assert_eq!(get("$", &input), Some(input.clone()));
        assert_eq!(get("$.a['b c'][1].d", &input), Some(json!(true)));
        assert_eq!(get("$[\"a\"]['b c'][0]", &input), Some(json!(10)));
        assert_eq!(get("$.a.missing", &input), None);
        assert_eq!(get("$.a['b c'][5]", &input), None);
    }

    #[test]
    fn context_paths_read_the_context() {
        let path = Path::parse("$$.Execution.Name").unwrap();
        assert_eq!(path.root(), Root::Context);
        let context = json!({"Execution": {"Name": "run-1"}});
        assert_eq!(path.get(&json!({}), &context), Some(&json!("run-1")));
    }

    #[test]
    fn refuses_what_it_does_not_support() {
        for (text, expected) in [
            ("a.b", "starts with '$'"),
            ("$..a", "recursive descent"),
            ("$.a[*]", "wildcards"),
            ("$.*", "wildcards"),
            ("$.a[?(@.b)]", "filter"),
            ("$.a[1:2]", "slices"),
            ("$.a[-1]", "negative"),
            ("$.a.length()", "'('"),
            ("$.", "empty field name"),
            ("$.a['b'", "expected ']'"),
        ] {
            let error = Path::parse(text).unwrap_err();
            assert!(error.contains(expected), "{text}: {error}");
        }
    }

    #[test]
    fn puts_values_creating_objects() {
        let path = Path::parse("$.a.b").unwrap();
        assert_eq!(
            path.put(json!({"x": 1}), json!(2)).unwrap(),
            json!({"x": 1, "a": {"b": 2}})
        );
        assert_eq!(
            Path::whole().put(json!({"x": 1}), json!(2)).unwrap(),
            json!(2)
        );
        let error = path.put(json!({"a": "text"}), json!(2)).unwrap_err();
        assert_eq!(
            error,
            "cannot write to '$.a.b': the value at $['a'] is not an object"
        );
        assert!(path.put(json!([1]), json!(2)).is_err());
        let index = Path::parse("$.list[1]").unwrap();
        assert_eq!(
            index.put(json!({"list": [0, 0]}), json!(5)).unwrap(),
            json!({"list": [0, 5]})
        );
        assert!(index.put(json!({"list": [0]}), json!(5)).is_err());
    }
}
