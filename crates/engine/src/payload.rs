//! Payload templates: Parameters, ItemSelector and ResultSelector, whose `name.$` fields take
//! their value from a path or an intrinsic function.

use serde_json::{Map, Value};

use crate::definition::Loader;
use crate::failure::TaskFailure;
use crate::intrinsics::Call;
use crate::path::{Path, Root};

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Template {
    /// A part without `.$` fields, copied as it is.
    Literal(Value),
    Object(Vec<(String, Field)>),
    Array(Vec<Template>),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Field {
    Fixed(Template),
    Path(Path),
    Call(Call),
}

impl Template {
    pub(crate) fn parse(loader: &mut Loader, at: &str, value: &Value) -> Template {
        if !is_dynamic(value) {
            return Template::Literal(value.clone());
        }
        match value {
            Value::Object(map) => Template::Object(
                map.iter()
                    .map(|(key, value)| field(loader, &format!("{at}.{key}"), key, value))
                    .collect(),
            ),
            Value::Array(items) => Template::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| Template::parse(loader, &format!("{at}[{i}]"), item))
                    .collect(),
            ),
            other => Template::Literal(other.clone()),
        }
    }

    /// Fills the template from `input` and `context`; a path that finds nothing fails with
    /// `error` (States.ParameterPathFailure for Parameters and ItemSelector).
    pub(crate) fn render(
        &self,
        input: &Value,
        context: &Value,
        error: &str,
    ) -> Result<Value, TaskFailure> {
        match self {
            Template::Literal(value) => Ok(value.clone()),
            Template::Array(items) => items
                .iter()
                .map(|item| item.render(input, context, error))
                .collect::<Result<_, _>>()
                .map(Value::Array),
            Template::Object(fields) => {
                let mut map = Map::new();
                for (key, field) in fields {
                    let value = match field {
                        Field::Fixed(template) => template.render(input, context, error)?,
                        Field::Path(path) => path.get(input, context).cloned().ok_or_else(|| {
                            TaskFailure::new(
                                error,
                                format!(
                                    "The JSONPath '{}' specified for the field '{key}.$' could not be found in the input {}",
                                    path.text(),
                                    preview(match path.root() {
                                        Root::Input => input,
                                        Root::Context => context,
                                    })
                                ),
                            )
                        })?,
                        Field::Call(call) => call.evaluate(input, context)?,
                    };
                    map.insert(key.clone(), value);
                }
                Ok(Value::Object(map))
            }
        }
    }
}

fn field(loader: &mut Loader, at: &str, key: &str, value: &Value) -> (String, Field) {
    let Some(name) = key.strip_suffix(".$") else {
        return (
            key.to_string(),
            Field::Fixed(Template::parse(loader, at, value)),
        );
    };
    let parsed = match value {
        Value::String(text) if text.starts_with('$') => Path::parse(text).map(Field::Path),
        Value::String(text) if text.starts_with("States.") => Call::parse(text).map(Field::Call),
        other => Err(format!(
            "a '.$' field takes a path ($...) or an intrinsic function (States....), not {other}"
        )),
    };
    let field = parsed.unwrap_or_else(|problem| {
        loader.problem(at, problem);
        Field::Fixed(Template::Literal(Value::Null))
    });
    (name.to_string(), field)
}

fn is_dynamic(value: &Value) -> bool {
    match value {
        Value::Object(map) => map
            .iter()
            .any(|(key, value)| key.ends_with(".$") || is_dynamic(value)),
        Value::Array(items) => items.iter().any(is_dynamic),
        _ => false,
    }
}

/// A value as JSON text, cut short for error messages.
pub(crate) fn preview(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(200) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::failure::PARAMETER_PATH_FAILURE;
    use serde_json::json;

    fn template(value: Value) -> Template {
        let mut loader = Loader::default();
        let template = Template::parse(&mut loader, "Parameters", &value);
        assert_eq!(loader.problems(), &[] as &[String]);
        template
    }

    #[test]
    fn fills_paths_context_and_intrinsics_at_any_depth() {
        let template = template(json!({
            "fixed": {"a": [1, 2]},
            "name.$": "$.who",
            "nested": [{"run.$": "$$.Execution.Name"}, "plain"],
            "count.$": "States.ArrayLength($.list)",
        }));
        let output = template
            .render(
                &json!({"who": "ana", "list": [1, 2, 3]}),
                &json!({"Execution": {"Name": "run-1"}}),
                PARAMETER_PATH_FAILURE,
            )
            .unwrap();
        assert_eq!(
            output,
            json!({"fixed": {"a": [1, 2]}, "name": "ana", "nested": [{"run": "run-1"}, "plain"], "count": 3})
        );
    }

    #[test]
    fn a_missing_path_fails_with_the_given_error() {
        let failure = template(json!({"x.$": "$.missing"}))
            .render(&json!({}), &json!({}), PARAMETER_PATH_FAILURE)
            .unwrap_err();
        assert_eq!(failure.error, PARAMETER_PATH_FAILURE);
        assert!(failure.cause.contains("'x.$'"), "{failure:?}");
    }

    #[test]
    fn bad_dollar_fields_are_load_problems() {
        let mut loader = Loader::default();
        Template::parse(
            &mut loader,
            "States.A.Parameters",
            &json!({"a.$": 5, "b.$": "plain", "c.$": "$[*]"}),
        );
        let problems = loader.problems().join("\n");
        assert!(
            problems.contains("States.A.Parameters.a.$: a '.$' field"),
            "{problems}"
        );
        assert!(problems.contains("States.A.Parameters.b.$"), "{problems}");
        assert!(
            problems.contains("States.A.Parameters.c.$: '$[*]': wildcards"),
            "{problems}"
        );
    }
}
