//! Reading a definition into the model (the state types are read in `states.rs`). Problems are collected rather than returned at the
//! first one, each prefixed with where it is (`States.Observe.Retry[0].BackoffRate: ...`).

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt::{self, Display};

use serde::Deserialize;
use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde_json::{Map, Value};

use super::{Graph, Kind, State, StateMachine};
use crate::LoadError;
use crate::path::{Path, Root};

/// Collects the problems found while reading a definition.
#[derive(Debug, Default)]
pub(crate) struct Loader {
    problems: Vec<String>,
}

/// `at.key`, or `key` at the top level.
pub(super) fn join(at: &str, key: &str) -> String {
    if at.is_empty() {
        key.to_string()
    } else {
        format!("{at}.{key}")
    }
}

/// Fields the local engine refuses, with the reason it gives.
const UNSUPPORTED: &[(&str, &str)] = &[
    (
        "Assign",
        "workflow variables (Assign) are not supported by the local engine",
    ),
    (
        "Arguments",
        "Arguments is a JSONata field; the local engine runs the JSONPath dialect only",
    ),
    (
        "Output",
        "Output is a JSONata field; the local engine runs the JSONPath dialect only",
    ),
    (
        "HeartbeatSeconds",
        "heartbeats need activity or callback tasks, which the local engine does not run",
    ),
    (
        "HeartbeatSecondsPath",
        "heartbeats need activity or callback tasks, which the local engine does not run",
    ),
    (
        "Credentials",
        "cross-account task Credentials are not supported by the local engine",
    ),
    (
        "ItemReader",
        "ItemReader belongs to Distributed Map, which the local engine does not run",
    ),
    (
        "ResultWriter",
        "ResultWriter belongs to Distributed Map, which the local engine does not run",
    ),
    (
        "ItemBatcher",
        "ItemBatcher belongs to Distributed Map, which the local engine does not run",
    ),
    (
        "ToleratedFailurePercentage",
        "tolerated failures belong to Distributed Map, which the local engine does not run",
    ),
    (
        "ToleratedFailurePercentagePath",
        "tolerated failures belong to Distributed Map, which the local engine does not run",
    ),
    (
        "ToleratedFailureCount",
        "tolerated failures belong to Distributed Map, which the local engine does not run",
    ),
    (
        "ToleratedFailureCountPath",
        "tolerated failures belong to Distributed Map, which the local engine does not run",
    ),
    (
        "Label",
        "Label belongs to Distributed Map, which the local engine does not run",
    ),
    (
        "MaxConcurrencyPath",
        "MaxConcurrencyPath is not supported by the local engine; use MaxConcurrency",
    ),
];

pub(super) fn load(text: &str) -> Result<StateMachine, LoadError> {
    let value: Value = serde_json::from_str(text).map_err(|e| LoadError {
        problems: vec![format!("the definition is not valid JSON: {e}")],
    })?;
    let mut loader = Loader::default();
    let machine = loader.machine(&value, top_level_order(text));
    match machine {
        Some(machine) if loader.problems.is_empty() => Ok(machine),
        _ => {
            if loader.problems.is_empty() {
                loader
                    .problems
                    .push("the definition could not be read".to_string());
            }
            Err(LoadError {
                problems: loader.problems,
            })
        }
    }
}

impl Loader {
    pub(crate) fn problem(&mut self, at: &str, what: impl Display) {
        let at = if at.is_empty() { "(definition)" } else { at };
        self.problems.push(format!("{at}: {what}"));
    }

    #[cfg(test)]
    pub(crate) fn problems(&self) -> &[String] {
        &self.problems
    }

    pub(crate) fn object<'v>(
        &mut self,
        at: &str,
        value: &'v Value,
    ) -> Option<&'v Map<String, Value>> {
        match value {
            Value::Object(map) => Some(map),
            other => {
                self.problem(at, format!("must be an object, not {other}"));
                None
            }
        }
    }

    pub(crate) fn array<'v>(&mut self, at: &str, value: &'v Value) -> &'v [Value] {
        match value {
            Value::Array(items) => items,
            other => {
                self.problem(at, format!("must be an array, not {other}"));
                &[]
            }
        }
    }

    /// Reports every field of `map` that is not in `allowed`.
    pub(crate) fn allow_fields(
        &mut self,
        at: &str,
        map: &Map<String, Value>,
        allowed: &[&str],
        what: &str,
    ) {
        for key in map.keys() {
            if allowed.contains(&key.as_str()) {
                continue;
            }
            match UNSUPPORTED.iter().find(|(name, _)| name == key) {
                Some((_, why)) => self.problem(&join(at, key), why),
                None => self.problem(
                    &join(at, key),
                    format!("unknown field for {what} (allowed: {})", allowed.join(", ")),
                ),
            }
        }
    }

    pub(super) fn string<'v>(
        &mut self,
        at: &str,
        map: &'v Map<String, Value>,
        key: &str,
    ) -> Option<&'v str> {
        match map.get(key)? {
            Value::String(text) => Some(text),
            other => {
                self.problem(&join(at, key), format!("must be a string, not {other}"));
                None
            }
        }
    }

    pub(crate) fn required_string<'v>(
        &mut self,
        at: &str,
        map: &'v Map<String, Value>,
        key: &str,
    ) -> Option<&'v str> {
        if !map.contains_key(key) {
            self.problem(&join(at, key), "is required");
            return None;
        }
        self.string(at, map, key)
    }

    /// An optional whole number of at least `min`.
    pub(crate) fn whole_number(
        &mut self,
        at: &str,
        map: &Map<String, Value>,
        key: &str,
        min: u64,
    ) -> Option<u64> {
        let value = map.get(key)?;
        match value.as_u64() {
            Some(n) if n >= min && n <= 99_999_999 => Some(n),
            _ => {
                self.problem(
                    &join(at, key),
                    format!("must be a whole number >= {min} (and <= 99999999), not {value}"),
                );
                None
            }
        }
    }

    /// A path field; `$$` only where `context` allows it.
    pub(super) fn path(
        &mut self,
        at: &str,
        map: &Map<String, Value>,
        key: &str,
        context: bool,
    ) -> Option<Path> {
        let text = self.string(at, map, key)?;
        match Path::parse(text) {
            Ok(path) if path.root() == Root::Context && !context => {
                self.problem(
                    &join(at, key),
                    "the context object ($$) cannot be used here",
                );
                None
            }
            Ok(path) => Some(path),
            Err(problem) => {
                self.problem(&join(at, key), problem);
                None
            }
        }
    }

    /// InputPath or OutputPath: `$` when absent, `None` for null.
    pub(super) fn io_path(
        &mut self,
        at: &str,
        map: &Map<String, Value>,
        key: &str,
    ) -> Option<Path> {
        match map.get(key) {
            None => Some(Path::whole()),
            Some(Value::Null) => None,
            Some(_) => self.path(at, map, key, false),
        }
    }

    /// ResultPath: `$` when absent, `None` for null.
    pub(crate) fn result_path(&mut self, at: &str, map: &Map<String, Value>) -> Option<Path> {
        self.io_path(at, map, "ResultPath")
    }

    fn machine(&mut self, value: &Value, order: Option<Vec<String>>) -> Option<StateMachine> {
        let map = self.object("", value)?;
        self.allow_fields(
            "",
            map,
            &[
                "Comment",
                "StartAt",
                "States",
                "TimeoutSeconds",
                "Version",
                "QueryLanguage",
            ],
            "a state machine",
        );
        self.query_language("", map);
        self.string("", map, "Comment");
        self.string("", map, "Version");
        let timeout_seconds = self.whole_number("", map, "TimeoutSeconds", 1);
        let graph = self.graph("", map, order)?;
        Some(StateMachine {
            graph,
            timeout_seconds,
        })
    }

    pub(super) fn query_language(&mut self, at: &str, map: &Map<String, Value>) {
        if let Some(language) = self.string(at, map, "QueryLanguage")
            && language != "JSONPath"
        {
            self.problem(
                &join(at, "QueryLanguage"),
                format!(
                    "'{language}' is not supported; the local engine runs the JSONPath dialect only"
                ),
            );
        }
    }

    /// StartAt and States of the machine, a branch or a processor, with transitions checked.
    pub(super) fn graph(
        &mut self,
        at: &str,
        map: &Map<String, Value>,
        order: Option<Vec<String>>,
    ) -> Option<Graph> {
        let start_at = self.required_string(at, map, "StartAt");
        let states_at = join(at, "States");
        let Some(states_value) = map.get("States") else {
            self.problem(&states_at, "is required");
            return None;
        };
        let states_map = self.object(&states_at, states_value)?;
        if states_map.is_empty() {
            self.problem(&states_at, "must hold at least one state");
        }
        let mut names: Vec<String> = states_map.keys().cloned().collect();
        if let Some(order) = order {
            let mut seen = HashSet::new();
            for name in &order {
                if !seen.insert(name) {
                    self.problem(&format!("{states_at}.{name}"), "is defined more than once");
                }
            }
            let mut ordered: Vec<String> = Vec::new();
            for name in order {
                if states_map.contains_key(&name) && !ordered.contains(&name) {
                    ordered.push(name);
                }
            }
            if ordered.len() == names.len() {
                names = ordered;
            }
        }
        let states: Vec<State> = names
            .iter()
            .filter_map(|name| self.state(&format!("{states_at}.{name}"), name, &states_map[name]))
            .collect();
        let index: HashMap<String, usize> = states
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.clone(), i))
            .collect();
        let known = || names.join(", ");
        for state in &states {
            for (field, target) in targets(state) {
                if !states_map.contains_key(target) {
                    self.problem(
                        &format!("{states_at}.{}.{field}", state.name),
                        format!("no state named '{target}' here (states: {})", known()),
                    );
                }
            }
        }
        let start_at = start_at?;
        if !states_map.contains_key(start_at) {
            self.problem(
                &join(at, "StartAt"),
                format!("no state named '{start_at}' here (states: {})", known()),
            );
            return None;
        }
        // Every state must be reachable from StartAt.
        let mut reached: HashSet<&str> = HashSet::from([start_at]);
        let mut queue = VecDeque::from([start_at]);
        while let Some(name) = queue.pop_front() {
            if let Some(&i) = index.get(name) {
                for (_, target) in targets(&states[i]) {
                    if reached.insert(target) {
                        queue.push_back(target);
                    }
                }
            }
        }
        for name in &names {
            if !reached.contains(name.as_str()) {
                self.problem(
                    &format!("{states_at}.{name}"),
                    format!("is not reachable from StartAt '{start_at}'"),
                );
            }
        }
        Some(Graph {
            start_at: start_at.to_string(),
            states,
            index,
        })
    }
}

/// Where a state can go next, with the field that says so.
fn targets(state: &State) -> Vec<(String, &str)> {
    let mut out: Vec<(String, &str)> = state
        .next
        .iter()
        .map(|n| ("Next".to_string(), n.as_str()))
        .collect();
    let catch = match &state.kind {
        Kind::Choice { branches, default } => {
            for (i, branch) in branches.iter().enumerate() {
                out.push((format!("Choices[{i}].Next"), &branch.next));
            }
            out.extend(default.iter().map(|d| ("Default".to_string(), d.as_str())));
            &[][..]
        }
        kind => kind.shaping().map_or(&[][..], |shaping| &shaping.catch[..]),
    };
    for (i, catcher) in catch.iter().enumerate() {
        out.push((format!("Catch[{i}].Next"), &catcher.next));
    }
    out
}

/// The names of the top-level states in the order written (serde_json's map is sorted), with
/// repeats kept so duplicates can be reported. `None` if the text has no readable `States`.
fn top_level_order(text: &str) -> Option<Vec<String>> {
    #[derive(Deserialize)]
    struct Top {
        #[serde(rename = "States")]
        states: Option<Keys>,
    }
    struct Keys(Vec<String>);
    impl<'de> Deserialize<'de> for Keys {
        fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct KeysVisitor;
            impl<'de> Visitor<'de> for KeysVisitor {
                type Value = Keys;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("an object")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Keys, A::Error> {
                    let mut keys = Vec::new();
                    while let Some(key) = map.next_key::<String>()? {
                        map.next_value::<IgnoredAny>()?;
                        keys.push(key);
                    }
                    Ok(Keys(keys))
                }
            }
            deserializer.deserialize_map(KeysVisitor)
        }
    }
    serde_json::from_str::<Top>(text)
        .ok()?
        .states
        .map(|keys| keys.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(definition: &str) -> String {
        StateMachine::from_json(definition).unwrap_err().to_string()
    }

    #[test]
    fn keeps_definition_order() {
        let machine = StateMachine::from_json(
            r#"{"StartAt": "Zeta", "States": {
                "Zeta": {"Type": "Pass", "Next": "Alpha"},
                "Alpha": {"Type": "Pass", "Next": "Mid"},
                "Mid": {"Type": "Succeed"}}}"#,
        )
        .unwrap();
        assert_eq!(machine.state_names(), ["Zeta", "Alpha", "Mid"]);
    }

    #[test]
    fn reports_every_problem_with_its_place() {
        let text = problems(
            r#"{"StartAt": "A", "Extra": 1, "States": {
                "A": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken", "Next": "Gone",
                      "Retry": [{"ErrorEquals": ["States.ALL"], "BackoffRate": 0.5}], "HeartbeatSeconds": 5},
                "B": {"Type": "Pass", "End": true, "Next": "A"},
                "C": {"Type": "Wait", "Seconds": 1, "Timestamp": "2024-01-01T00:00:00Z", "End": true},
                "D": {"Type": "Map", "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED"}, "StartAt": "X",
                      "States": {"X": {"Type": "Succeed"}}}, "ItemReader": {}, "End": true},
                "E": {"Type": "Dance"}}}"#,
        );
        for expected in [
            "Extra: unknown field for a state machine",
            "States.A.Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken': the .waitForTaskToken",
            "States.A.Next: no state named 'Gone' here",
            "States.A.Retry[0].BackoffRate: must be >= 1.0",
            "States.A.HeartbeatSeconds: heartbeats",
            "States.B: has both Next and \"End\": true",
            "States.C: a Wait state takes exactly one of",
            "States.D.ItemProcessor.ProcessorConfig.Mode: 'DISTRIBUTED' is not supported",
            "States.D.ItemReader: ItemReader belongs to Distributed Map",
            "States.E.Type: unknown state type 'Dance'",
            "States.C: is not reachable from StartAt 'A'",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in\n{text}");
        }
    }

    #[test]
    fn rejects_jsonata_duplicates_and_bad_json() {
        assert!(problems(r#"{"QueryLanguage": "JSONata", "StartAt": "A", "States": {"A": {"Type": "Succeed"}}}"#)
            .contains("QueryLanguage: 'JSONata' is not supported"));
        assert!(problems(r#"{"StartAt": "A", "States": {"A": {"Type": "Succeed"}, "A": {"Type": "Succeed"}}}"#)
            .contains("States.A: is defined more than once"));
        assert!(problems("{").contains("not valid JSON"));
        assert!(
            problems(r#"{"StartAt": "Nope", "States": {"A": {"Type": "Succeed"}}}"#)
                .contains("StartAt: no state named 'Nope' here (states: A)")
        );
    }
}
