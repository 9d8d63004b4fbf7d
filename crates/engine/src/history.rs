//! The execution history, shaped like the events of Step Functions' GetExecutionHistory.

use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::clock::EngineClock;

#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEvent {
    pub id: u64,
    /// The event this one follows in its own branch (0 for the first event).
    pub previous_event_id: u64,
    pub timestamp: DateTime<Utc>,
    #[serde(rename = "type")]
    pub kind: String,
    /// `name`, `input`, `output`, `resource`, `error`, `cause`, `index`, ... as the event has them.
    pub details: Value,
}

/// Watches an execution as it runs.
pub trait Observer: Send + Sync {
    fn on_event(&self, event: &HistoryEvent);
    /// A Wait state (or a Retry backoff) is about to wait until `until`; default does nothing.
    fn on_wait(&self, _state: &str, _until: DateTime<Utc>) {}
}

pub(crate) struct History<'a> {
    events: Mutex<Vec<HistoryEvent>>,
    clock: &'a dyn EngineClock,
    observer: Option<&'a dyn Observer>,
}

impl<'a> History<'a> {
    pub(crate) fn new(clock: &'a dyn EngineClock, observer: Option<&'a dyn Observer>) -> Self {
        Self {
            events: Mutex::new(Vec::new()),
            clock,
            observer,
        }
    }

    /// Appends an event after `previous` and returns its id.
    pub(crate) fn record(&self, previous: u64, kind: &str, details: Value) -> u64 {
        let mut events = self.events();
        let event = HistoryEvent {
            id: events.len() as u64 + 1,
            previous_event_id: previous,
            timestamp: self.clock.now(),
            kind: kind.to_string(),
            details,
        };
        // Notified under the lock, so observers see events in id order.
        if let Some(observer) = self.observer {
            observer.on_event(&event);
        }
        let id = event.id;
        events.push(event);
        id
    }

    /// The id of the latest event: what an event that joins concurrent branches follows.
    pub(crate) fn last_id(&self) -> u64 {
        self.events().len() as u64
    }

    pub(crate) fn wait(&self, state: &str, until: DateTime<Utc>) {
        if let Some(observer) = self.observer {
            observer.on_wait(state, until);
        }
    }

    pub(crate) fn into_events(self) -> Vec<HistoryEvent> {
        self.events
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn events(&self) -> MutexGuard<'_, Vec<HistoryEvent>> {
        self.events
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
