//! The live view of a run: one line per state as it happens, with the elapsed time (virtual
//! time under `--virtual-clock`), the samples taken, and a bar while a Wait runs. Written to
//! stderr so `--output json` keeps stdout for the result.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use gameday_engine::{HistoryEvent, Observer};
use serde_json::Value;

pub struct LiveProgress {
    started: Mutex<Option<DateTime<Utc>>>,
    /// Bumped by every event, so a bar drawn for an earlier Wait stops.
    generation: Arc<AtomicU64>,
    /// Draw bars only on a terminal and under the real clock (a virtual Wait takes no time).
    bars: bool,
}

impl LiveProgress {
    pub fn new(real_time: bool) -> Self {
        Self {
            started: Mutex::new(None),
            generation: Arc::new(AtomicU64::new(0)),
            bars: real_time && std::io::stderr().is_terminal(),
        }
    }

    fn elapsed(&self, at: DateTime<Utc>) -> f64 {
        let mut started = self.started.lock().unwrap_or_else(|p| p.into_inner());
        let start = *started.get_or_insert(at);
        (at - start).num_milliseconds() as f64 / 1000.0
    }
}

/// History details hold inputs and outputs as JSON text, as Step Functions' history does; this
/// reads either form.
fn json_field(details: &Value, field: &str) -> Option<Value> {
    match details.get(field)? {
        Value::String(text) => serde_json::from_str(text).ok(),
        other => Some(other.clone()),
    }
}

/// The line for one event, or nothing for events that add no information.
pub fn describe(event: &HistoryEvent) -> Option<String> {
    let details = &event.details;
    let name = details.get("name").and_then(Value::as_str).unwrap_or("");
    let error = || {
        format!(
            "{}: {}",
            details.get("error").and_then(Value::as_str).unwrap_or("?"),
            details.get("cause").and_then(Value::as_str).unwrap_or("")
        )
    };
    match event.kind.as_str() {
        // Choices add a line per loop turn and nothing a person needs; the next state says it.
        "ChoiceStateEntered" => None,
        kind if kind.ends_with("StateEntered") => Some(name.to_string()),
        "TaskSucceeded" => {
            let output = json_field(details, "output")?;
            let state = output.get("Payload").unwrap_or(&output);
            if let Some(observe) = state
                .get("observe")
                .filter(|_| state.get("recover").is_none())
            {
                let samples = observe.get("samples").and_then(Value::as_u64).unwrap_or(0);
                let decision = observe
                    .get("decision")
                    .and_then(Value::as_str)
                    .unwrap_or("?");
                let reason = observe
                    .get("reason")
                    .and_then(Value::as_str)
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default();
                return Some(format!("  sample {samples}: {decision}{reason}"));
            }
            if let Some(verdict) = state.get("verdict") {
                return Some(format!(
                    "  verdict {}",
                    verdict.get("status").and_then(Value::as_str).unwrap_or("?")
                ));
            }
            state.get("recover").map(|recover| {
                format!(
                    "  recovery check {}: {}",
                    recover.get("checks").and_then(Value::as_u64).unwrap_or(0),
                    if recover.get("steady") == Some(&Value::Bool(true)) {
                        "steady state holds"
                    } else {
                        "not steady yet"
                    }
                )
            })
        }
        "TaskFailed" | "TaskTimedOut" | "ExecutionFailed" | "ExecutionTimedOut" => {
            Some(format!("  {}: {}", event.kind, error()))
        }
        "ExecutionSucceeded" => Some("execution succeeded".to_string()),
        _ => None,
    }
}

impl Observer for LiveProgress {
    fn on_event(&self, event: &HistoryEvent) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        let elapsed = self.elapsed(event.timestamp);
        if let Some(line) = describe(event) {
            // On a terminal, first clear a Wait's bar.
            let clear = if self.bars { "\r\x1b[K" } else { "" };
            let _ = writeln!(std::io::stderr().lock(), "{clear}{elapsed:>8.1}s  {line}");
        }
    }

    fn on_wait(&self, state: &str, until: DateTime<Utc>) {
        let generation = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
        let from = Utc::now();
        let total = (until - from).num_milliseconds().max(0) as f64 / 1000.0;
        if !self.bars || total < 1.0 {
            return;
        }
        let current = self.generation.clone();
        let state = state.to_string();
        std::thread::spawn(move || {
            const WIDTH: usize = 30;
            while current.load(Ordering::SeqCst) == generation {
                let done = ((Utc::now() - from).num_milliseconds() as f64 / 1000.0).min(total);
                if done >= total {
                    break;
                }
                let filled = ((done / total) * WIDTH as f64) as usize;
                eprint!(
                    "\r\x1b[K          {state} [{}{}] {:.0}/{:.0}s",
                    "#".repeat(filled),
                    "-".repeat(WIDTH - filled),
                    done,
                    total
                );
                std::thread::sleep(Duration::from_millis(500));
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(kind: &str, details: Value) -> HistoryEvent {
        HistoryEvent {
            id: 1,
            previous_event_id: 0,
            timestamp: Utc::now(),
            kind: kind.to_string(),
            details,
        }
    }

    #[test]
    fn observe_results_show_the_sample_and_the_reason_to_stop() {
        let output = json!({"Payload": {"observe": {"decision": "stop", "samples": 3, "reason": "alarm api-5xx is ALARM"}}});
        let line = describe(&event(
            "TaskSucceeded",
            json!({"output": output.to_string()}),
        ));
        assert_eq!(
            line.as_deref(),
            Some("  sample 3: stop (alarm api-5xx is ALARM)")
        );
    }

    #[test]
    fn failures_show_error_and_cause_and_quiet_events_show_nothing() {
        let failed = describe(&event(
            "TaskFailed",
            json!({"error": "Gameday.InjectFailed", "cause": "template missing"}),
        ));
        assert_eq!(
            failed.as_deref(),
            Some("  TaskFailed: Gameday.InjectFailed: template missing")
        );
        assert_eq!(describe(&event("TaskScheduled", json!({}))), None);
        assert_eq!(
            describe(&event("WaitStateEntered", json!({"name": "WaitForSample"}))).as_deref(),
            Some("WaitForSample")
        );
    }
}
