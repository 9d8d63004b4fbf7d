//! Reading each state type: its fields, transitions, and the parts particular to it.

use serde_json::{Map, Value};

use super::load::{Loader, join};
use super::{Graph, Kind, MapState, Parallel, Shaping, State, Task, Text, Timeout, Wait};
use crate::NESTED_EXECUTION;
use crate::choice::{self, parse_branch};
use crate::intrinsics::Call;
use crate::path::Path;
use crate::payload::Template;
use crate::retry::{parse_catch, parse_retry};

const STATE_TYPES: &str = "Pass, Task, Choice, Wait, Succeed, Fail, Parallel, Map";

/// The fields each state type allows.
fn fields_of(type_name: &str) -> Option<Vec<&'static str>> {
    let particular = match type_name {
        "Pass" => "Next End InputPath OutputPath Parameters Result ResultPath",
        "Task" => {
            "Next End InputPath OutputPath Parameters ResultSelector ResultPath Resource Retry Catch \
             TimeoutSeconds TimeoutSecondsPath"
        }
        "Choice" => "InputPath OutputPath Choices Default",
        "Wait" => "Next End InputPath OutputPath Seconds SecondsPath Timestamp TimestampPath",
        "Succeed" => "InputPath OutputPath",
        "Fail" => "Error ErrorPath Cause CausePath",
        "Parallel" => {
            "Next End InputPath OutputPath Parameters ResultSelector ResultPath Branches Retry Catch"
        }
        "Map" => {
            "Next End InputPath OutputPath ItemsPath ItemSelector Parameters ItemProcessor Iterator \
             MaxConcurrency ResultSelector ResultPath Retry Catch"
        }
        _ => return None,
    };
    Some(
        ["Type", "Comment", "QueryLanguage"]
            .into_iter()
            .chain(particular.split_whitespace())
            .collect(),
    )
}

impl Loader {
    pub(super) fn state(&mut self, at: &str, name: &str, value: &Value) -> Option<State> {
        let map = self.object(at, value)?;
        let type_name = match map.get("Type") {
            Some(Value::String(type_name)) => type_name.as_str(),
            Some(other) => {
                self.problem(&join(at, "Type"), format!("must be a string, not {other}"));
                return None;
            }
            None => {
                self.problem(&join(at, "Type"), format!("is required ({STATE_TYPES})"));
                return None;
            }
        };
        let Some(fields) = fields_of(type_name) else {
            self.problem(
                &join(at, "Type"),
                format!("unknown state type '{type_name}' (known: {STATE_TYPES})"),
            );
            return None;
        };
        self.allow_fields(at, map, &fields, &format!("a {type_name} state"));
        self.query_language(at, map);
        self.string(at, map, "Comment");
        let input_path = self.io_path(at, map, "InputPath");
        let output_path = self.io_path(at, map, "OutputPath");
        let next = if fields.contains(&"Next") {
            self.transition(at, map)
        } else {
            None
        };
        let kind = match type_name {
            "Pass" => {
                let parameters = self.template(at, map, "Parameters");
                Kind::Pass {
                    result: map.get("Result").cloned(),
                    shaping: Box::new(self.shaping(at, map, parameters)),
                }
            }
            "Task" => Kind::Task(Box::new(self.task(at, map)?)),
            "Choice" => self.choice(at, map)?,
            "Wait" => Kind::Wait(self.wait(at, map)?),
            "Succeed" => Kind::Succeed,
            "Fail" => Kind::Fail {
                error: self.fail_text(at, map, "Error"),
                cause: self.fail_text(at, map, "Cause"),
            },
            "Parallel" => Kind::Parallel(Box::new(self.parallel(at, map)?)),
            _ => Kind::Map(Box::new(self.map_state(at, map)?)),
        };
        Some(State {
            name: name.to_string(),
            input_path,
            output_path,
            next,
            kind,
        })
    }

    /// Next, or `None` for `"End": true`.
    fn transition(&mut self, at: &str, map: &Map<String, Value>) -> Option<String> {
        let next = self.string(at, map, "Next");
        let end = match map.get("End") {
            None => false,
            Some(Value::Bool(end)) => *end,
            Some(other) => {
                self.problem(
                    &join(at, "End"),
                    format!("must be true or false, not {other}"),
                );
                false
            }
        };
        match (next, end) {
            (Some(_), true) => self.problem(at, "has both Next and \"End\": true; keep one"),
            (None, false) if !map.contains_key("Next") => {
                self.problem(at, "needs Next or \"End\": true")
            }
            _ => {}
        }
        next.map(str::to_string)
    }

    fn template(&mut self, at: &str, map: &Map<String, Value>, key: &str) -> Option<Template> {
        map.get(key)
            .map(|value| Template::parse(self, &join(at, key), value))
    }

    fn shaping(
        &mut self,
        at: &str,
        map: &Map<String, Value>,
        parameters: Option<Template>,
    ) -> Shaping {
        Shaping {
            parameters,
            result_selector: self.template(at, map, "ResultSelector"),
            result_path: self.result_path(at, map),
            retry: map
                .get("Retry")
                .map(|value| parse_retry(self, &join(at, "Retry"), value))
                .unwrap_or_default(),
            catch: map
                .get("Catch")
                .map(|value| parse_catch(self, &join(at, "Catch"), value))
                .unwrap_or_default(),
        }
    }

    fn task(&mut self, at: &str, map: &Map<String, Value>) -> Option<Task> {
        let resource = self.required_string(at, map, "Resource");
        // Nested executions are the one `.sync` integration accepted: the invoker runs the
        // child machine to its end (the suite runs each experiment this way).
        if let Some(resource) = resource.filter(|r| *r != NESTED_EXECUTION) {
            let pattern = [".sync", ".waitForTaskToken"].into_iter().find(|suffix| {
                resource.ends_with(suffix) || resource.contains(&format!("{suffix}:"))
            });
            if let Some(pattern) = pattern {
                self.problem(
                    &join(at, "Resource"),
                    format!(
                        "'{resource}': the {pattern} integration pattern is not supported by the local engine \
                         (request-response only)"
                    ),
                );
            } else if resource.contains(":activity:") {
                self.problem(
                    &join(at, "Resource"),
                    format!("'{resource}': activities are not supported by the local engine"),
                );
            }
        }
        let seconds = self
            .whole_number(at, map, "TimeoutSeconds", 1)
            .map(Timeout::Seconds);
        let path = map
            .contains_key("TimeoutSecondsPath")
            .then(|| {
                self.path(at, map, "TimeoutSecondsPath", false)
                    .map(Timeout::Path)
            })
            .flatten();
        if seconds.is_some() && path.is_some() {
            self.problem(
                at,
                "has both TimeoutSeconds and TimeoutSecondsPath; keep one",
            );
        }
        let parameters = self.template(at, map, "Parameters");
        let shaping = self.shaping(at, map, parameters);
        Some(Task {
            resource: resource?.to_string(),
            timeout: seconds.or(path),
            shaping,
        })
    }

    fn choice(&mut self, at: &str, map: &Map<String, Value>) -> Option<Kind> {
        let choices_at = join(at, "Choices");
        let Some(choices) = map.get("Choices") else {
            self.problem(
                &choices_at,
                "is required (a non-empty array of choice rules)",
            );
            return None;
        };
        let items = self.array(&choices_at, choices);
        if items.is_empty() && choices.is_array() {
            self.problem(&choices_at, "must hold at least one choice rule");
        }
        let branches: Vec<_> = items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| parse_branch(self, &format!("{choices_at}[{i}]"), item))
            .collect();
        let default = self.string(at, map, "Default").map(str::to_string);
        Some(Kind::Choice { branches, default })
    }

    fn wait(&mut self, at: &str, map: &Map<String, Value>) -> Option<Wait> {
        let given: Vec<&str> = ["Seconds", "SecondsPath", "Timestamp", "TimestampPath"]
            .into_iter()
            .filter(|key| map.contains_key(*key))
            .collect();
        let [key] = given.as_slice() else {
            self.problem(
                at,
                format!(
                    "a Wait state takes exactly one of Seconds, SecondsPath, Timestamp, TimestampPath (found {})",
                    if given.is_empty() { "none".to_string() } else { given.join(", ") }
                ),
            );
            return None;
        };
        match *key {
            "Seconds" => self.whole_number(at, map, "Seconds", 0).map(Wait::Seconds),
            "SecondsPath" => self
                .path(at, map, "SecondsPath", true)
                .map(Wait::SecondsPath),
            "TimestampPath" => self
                .path(at, map, "TimestampPath", true)
                .map(Wait::TimestampPath),
            _ => {
                let text = self.string(at, map, "Timestamp")?;
                match choice::timestamp(text) {
                    Some(when) => Some(Wait::Timestamp(when.to_utc())),
                    None => {
                        self.problem(
                            &join(at, "Timestamp"),
                            format!(
                                "'{text}' is not an RFC 3339 timestamp such as 2024-03-14T01:59:00Z"
                            ),
                        );
                        None
                    }
                }
            }
        }
    }

    /// A Fail state's `Error`/`ErrorPath` (or `Cause`/`CausePath`).
    fn fail_text(&mut self, at: &str, map: &Map<String, Value>, key: &str) -> Option<Text> {
        let path_key = format!("{key}Path");
        if map.contains_key(key) && map.contains_key(&path_key) {
            self.problem(at, format!("has both {key} and {path_key}; keep one"));
        }
        if let Some(text) = self.string(at, map, key) {
            return Some(Text::Literal(text.to_string()));
        }
        let text = self.string(at, map, &path_key)?;
        let parsed = if text.starts_with("States.") {
            Call::parse(text).map(Text::Call)
        } else {
            Path::parse(text).map(Text::Path)
        };
        parsed
            .map_err(|problem| self.problem(&join(at, &path_key), problem))
            .ok()
    }

    fn parallel(&mut self, at: &str, map: &Map<String, Value>) -> Option<Parallel> {
        let branches_at = join(at, "Branches");
        let Some(value) = map.get("Branches") else {
            self.problem(&branches_at, "is required (a non-empty array of branches)");
            return None;
        };
        let items = self.array(&branches_at, value);
        if items.is_empty() && value.is_array() {
            self.problem(&branches_at, "must hold at least one branch");
        }
        let branches: Vec<Option<Graph>> = items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                self.sub_graph(
                    &format!("{branches_at}[{i}]"),
                    item,
                    &["StartAt", "States", "Comment"],
                )
            })
            .collect();
        let parameters = self.template(at, map, "Parameters");
        let shaping = self.shaping(at, map, parameters);
        Some(Parallel {
            branches: branches.into_iter().collect::<Option<_>>()?,
            shaping,
        })
    }

    fn sub_graph(&mut self, at: &str, value: &Value, fields: &[&str]) -> Option<Graph> {
        let map = self.object(at, value)?;
        self.allow_fields(at, map, fields, "a branch");
        self.string(at, map, "Comment");
        self.graph(at, map, None)
    }

    fn map_state(&mut self, at: &str, map: &Map<String, Value>) -> Option<MapState> {
        let processor = match (map.get("ItemProcessor"), map.get("Iterator")) {
            (Some(_), Some(_)) => {
                self.problem(
                    at,
                    "has both ItemProcessor and Iterator; keep ItemProcessor",
                );
                None
            }
            (Some(value), None) => {
                let processor_at = join(at, "ItemProcessor");
                if let Some(config) = value.get("ProcessorConfig") {
                    self.processor_config(&join(&processor_at, "ProcessorConfig"), config);
                }
                self.sub_graph(
                    &processor_at,
                    value,
                    &["StartAt", "States", "Comment", "ProcessorConfig"],
                )
            }
            (None, Some(value)) => self.sub_graph(
                &join(at, "Iterator"),
                value,
                &["StartAt", "States", "Comment"],
            ),
            (None, None) => {
                self.problem(
                    at,
                    "a Map state needs an ItemProcessor (or the older Iterator)",
                );
                None
            }
        };
        if map.contains_key("ItemSelector") && map.contains_key("Parameters") {
            self.problem(
                at,
                "has both ItemSelector and Parameters; keep ItemSelector",
            );
        }
        let selector = match self.template(at, map, "ItemSelector") {
            Some(selector) => Some(selector),
            None => self.template(at, map, "Parameters"),
        };
        let items_path = match map.get("ItemsPath") {
            None => Some(Path::whole()),
            Some(_) => self.path(at, map, "ItemsPath", false),
        };
        let max_concurrency = self.whole_number(at, map, "MaxConcurrency", 0).unwrap_or(0);
        let shaping = self.shaping(at, map, selector);
        Some(MapState {
            items_path: items_path?,
            processor: processor?,
            max_concurrency: usize::try_from(max_concurrency).unwrap_or(usize::MAX),
            shaping,
        })
    }

    fn processor_config(&mut self, at: &str, value: &Value) {
        let Some(config) = self.object(at, value) else {
            return;
        };
        self.allow_fields(at, config, &["Mode"], "ProcessorConfig (INLINE mode)");
        if let Some(mode) = self.string(at, config, "Mode")
            && mode != "INLINE"
        {
            self.problem(
                &join(at, "Mode"),
                format!("'{mode}' is not supported; the local engine runs INLINE Map states only (no Distributed Map)"),
            );
        }
    }
}
