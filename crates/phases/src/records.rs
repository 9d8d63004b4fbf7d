//! Reading and writing the run record from a handler.

use gameday_aws::runs::{LockStore, RunStore};
use gameday_core::run::RunRecord;

use crate::error::PhaseError;
use crate::ports::Ports;

/// The stored run, or a clear error when the state machine names a run that does not exist.
pub async fn load_run<P: Ports>(ports: &P, run_id: &str) -> Result<RunRecord, PhaseError> {
    ports.runs().get_run(run_id).await?.ok_or_else(|| {
        PhaseError::InvalidInput(format!(
            "run {run_id} has no record in the table; start it with prepare"
        ))
    })
}

/// Releases every lock the run holds. A lock that another run took over after it expired is
/// left alone; the failures are returned as text for the record.
pub async fn release_locks<P: Ports>(ports: &P, record: &RunRecord) -> Vec<String> {
    let mut failures = Vec::new();
    for target in record.all_targets() {
        if let Err(error) = ports.runs().release_lock(&target, &record.run_id).await {
            failures.push(format!("lock on {target} not released: {error}"));
        }
    }
    failures
}
