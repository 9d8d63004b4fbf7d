//! Alarm-driven failover: the policy file and its validation, the ledger entry with its
//! measured RTO and RPO, the lock and cooldown rules, and the static site's manifest. Pure:
//! the handler in `functions/failover` does the I/O through ports.

mod ledger;
mod load;
mod lock;
mod manifest;
mod policy;
mod schema;

#[cfg(test)]
mod tests;

pub use ledger::*;
pub use load::{check_semantics, check_unique_services, load_failover_file};
pub use lock::{blocked_after, blocked_while_running, is_blocked};
pub use manifest::{Manifest, ManifestError, ManifestObject};
pub use policy::*;
pub use schema::failover_schema;
