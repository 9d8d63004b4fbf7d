//! One failover per service at a time, and a cooldown after it: the rules behind the
//! conditional write that takes the service's lock.
//!
//! The lock item holds one number, `blockedUntil`. Taking the lock succeeds only when that
//! time has passed (or there is no item); the taker sets it to now + the policy's maximum
//! duration, so a crashed handler cannot block the service for ever. On the way out the
//! holder sets it to the end of the cooldown. Every event refused meanwhile is a duplicate.

use chrono::{DateTime, Duration, Utc};

use super::ledger::Outcome;
use crate::duration::IsoDuration;

/// What a taker writes: blocked until `now + max_duration`.
pub fn blocked_while_running(now: DateTime<Utc>, max_duration: IsoDuration) -> DateTime<Utc> {
    now + to_chrono(max_duration)
}

/// What the holder writes when it is done. A cancelled failover (the primary was healthy)
/// releases at once, so that a real failure right after a flap is not skipped; any other
/// outcome blocks the service for the cooldown.
pub fn blocked_after(
    outcome: Outcome,
    finished_at: DateTime<Utc>,
    cooldown: IsoDuration,
) -> DateTime<Utc> {
    match outcome {
        Outcome::Cancelled | Outcome::Duplicate | Outcome::InProgress => finished_at,
        Outcome::FailedOver | Outcome::Restored | Outcome::Failed => {
            finished_at + to_chrono(cooldown)
        }
    }
}

/// Whether a lock blocked until `blocked_until` refuses a taker at `now`.
pub fn is_blocked(blocked_until: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now < blocked_until
}

fn to_chrono(duration: IsoDuration) -> Duration {
    Duration::milliseconds(duration.as_duration().as_millis() as i64)
}
