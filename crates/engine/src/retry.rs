//! Retry and Catch: which errors they handle, and how long a retry waits.

use std::time::Duration;

use serde_json::Value;

use crate::definition::Loader;
use crate::failure::{ALL, KNOWN};
use crate::path::Path;

#[derive(Debug, Clone)]
pub(crate) struct Retrier {
    pub(crate) errors: Vec<String>,
    pub(crate) interval_seconds: u64,
    pub(crate) max_attempts: u64,
    pub(crate) backoff_rate: f64,
    pub(crate) max_delay_seconds: Option<u64>,
    pub(crate) full_jitter: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Catcher {
    pub(crate) errors: Vec<String>,
    pub(crate) next: String,
    /// `None` is `"ResultPath": null`: the error output is dropped and the input passes on.
    pub(crate) result_path: Option<Path>,
}

impl Retrier {
    /// The wait before retry number `retry` (0 for the first), before jitter.
    pub(crate) fn delay(&self, retry: u64) -> Duration {
        let exponent = i32::try_from(retry).unwrap_or(i32::MAX);
        let mut seconds = self.interval_seconds as f64 * self.backoff_rate.powi(exponent);
        if let Some(max) = self.max_delay_seconds {
            seconds = seconds.min(max as f64);
        }
        // Step Functions caps every wait at a year; it also keeps `from_secs_f64` in range.
        Duration::from_secs_f64(seconds.clamp(0.0, 31_622_400.0))
    }
}

/// A number in [0, 1) for FULL jitter, from a v4 UUID's random bits.
pub(crate) fn jitter_fraction() -> f64 {
    let bits = uuid::Uuid::new_v4().as_u128() as u64;
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

pub(crate) fn parse_retry(loader: &mut Loader, at: &str, value: &Value) -> Vec<Retrier> {
    let items = loader.array(at, value);
    let count = items.len();
    items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| {
            let at = format!("{at}[{i}]");
            let map = loader.object(&at, item)?;
            loader.allow_fields(
                &at,
                map,
                &[
                    "ErrorEquals",
                    "IntervalSeconds",
                    "MaxAttempts",
                    "BackoffRate",
                    "MaxDelaySeconds",
                    "JitterStrategy",
                    "Comment",
                ],
                "a retrier",
            );
            let errors = error_names(loader, &at, map.get("ErrorEquals"), i + 1 == count);
            let interval_seconds = loader
                .whole_number(&at, map, "IntervalSeconds", 1)
                .unwrap_or(1);
            let max_attempts = loader.whole_number(&at, map, "MaxAttempts", 0).unwrap_or(3);
            let max_delay_seconds = loader.whole_number(&at, map, "MaxDelaySeconds", 1);
            let backoff_rate = match map.get("BackoffRate") {
                None => 2.0,
                Some(rate) => match rate.as_f64() {
                    Some(rate) if rate >= 1.0 => rate,
                    _ => {
                        loader.problem(
                            &format!("{at}.BackoffRate"),
                            format!("must be >= 1.0, not {rate}"),
                        );
                        2.0
                    }
                },
            };
            let full_jitter = match map.get("JitterStrategy") {
                None => false,
                Some(Value::String(s)) if s == "NONE" => false,
                Some(Value::String(s)) if s == "FULL" => true,
                Some(other) => {
                    loader.problem(
                        &format!("{at}.JitterStrategy"),
                        format!("must be \"FULL\" or \"NONE\", not {other}"),
                    );
                    false
                }
            };
            Some(Retrier {
                errors,
                interval_seconds,
                max_attempts,
                backoff_rate,
                max_delay_seconds,
                full_jitter,
            })
        })
        .collect()
}

pub(crate) fn parse_catch(loader: &mut Loader, at: &str, value: &Value) -> Vec<Catcher> {
    let items = loader.array(at, value);
    let count = items.len();
    items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| {
            let at = format!("{at}[{i}]");
            let map = loader.object(&at, item)?;
            loader.allow_fields(
                &at,
                map,
                &["ErrorEquals", "Next", "ResultPath", "Comment"],
                "a catcher",
            );
            let errors = error_names(loader, &at, map.get("ErrorEquals"), i + 1 == count);
            let next = loader.required_string(&at, map, "Next");
            let result_path = loader.result_path(&at, map);
            Some(Catcher {
                errors,
                next: next?.to_string(),
                result_path,
            })
        })
        .collect()
}

fn error_names(loader: &mut Loader, at: &str, value: Option<&Value>, last: bool) -> Vec<String> {
    let at = format!("{at}.ErrorEquals");
    let Some(value) = value else {
        loader.problem(&at, "is required (a non-empty array of error names)");
        return Vec::new();
    };
    let mut names = Vec::new();
    for (i, item) in loader.array(&at, value).iter().enumerate() {
        match item {
            Value::String(name)
                if name.starts_with("States.") && !KNOWN.contains(&name.as_str()) =>
            {
                loader.problem(
                    &format!("{at}[{i}]"),
                    format!(
                        "'{name}' is not a predefined error (those are: {})",
                        KNOWN.join(", ")
                    ),
                );
            }
            Value::String(name) => names.push(name.clone()),
            other => loader.problem(
                &format!("{at}[{i}]"),
                format!("must be an error name string, not {other}"),
            ),
        }
    }
    if value.as_array().is_some_and(Vec::is_empty) {
        loader.problem(&at, "must list at least one error name");
    }
    if names.iter().any(|n| n == ALL) {
        if names.len() > 1 {
            loader.problem(&at, "States.ALL must appear alone");
        }
        if !last {
            loader.problem(&at, "States.ALL must be in the last entry");
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn retriers(value: Value) -> (Vec<Retrier>, Vec<String>) {
        let mut loader = Loader::default();
        let retriers = parse_retry(&mut loader, "States.Observe.Retry", &value);
        (retriers, loader.problems().to_vec())
    }

    #[test]
    fn defaults_and_delays() {
        let (list, problems) = retriers(json!([{"ErrorEquals": ["States.ALL"]}]));
        assert!(problems.is_empty(), "{problems:?}");
        let retrier = &list[0];
        assert_eq!((retrier.interval_seconds, retrier.max_attempts), (1, 3));
        assert_eq!(retrier.backoff_rate, 2.0);
        assert!(!retrier.full_jitter);
        let delays: Vec<f64> = (0..3).map(|n| retrier.delay(n).as_secs_f64()).collect();
        assert_eq!(delays, [1.0, 2.0, 4.0]);

        let (list, _) = retriers(
            json!([{"ErrorEquals": ["X"], "IntervalSeconds": 2, "MaxDelaySeconds": 5, "BackoffRate": 2}]),
        );
        let delays: Vec<f64> = (0..3).map(|n| list[0].delay(n).as_secs_f64()).collect();
        assert_eq!(delays, [2.0, 4.0, 5.0]);
        assert!((0.0..1.0).contains(&jitter_fraction()));
    }

    #[test]
    fn problems_name_the_retrier_and_field() {
        let (_, problems) = retriers(json!([
            {"ErrorEquals": ["States.ALL", "X"], "BackoffRate": 0.5},
            {"ErrorEquals": [], "IntervalSeconds": 0, "JitterStrategy": "SOME", "Extra": 1},
            {"ErrorEquals": ["States.Nope"], "MaxAttempts": -1},
        ]));
        let text = problems.join("\n");
        for expected in [
            "States.Observe.Retry[0].BackoffRate: must be >= 1.0",
            "States.Observe.Retry[0].ErrorEquals: States.ALL must appear alone",
            "States.Observe.Retry[0].ErrorEquals: States.ALL must be in the last entry",
            "States.Observe.Retry[1].ErrorEquals: must list at least one",
            "States.Observe.Retry[1].IntervalSeconds: must be a whole number >= 1",
            "States.Observe.Retry[1].JitterStrategy",
            "States.Observe.Retry[1].Extra: unknown field",
            "States.Observe.Retry[2].ErrorEquals[0]: 'States.Nope' is not a predefined error",
            "States.Observe.Retry[2].MaxAttempts: must be a whole number >= 0",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in\n{text}");
        }
    }
}
