//! The gameday domain: experiment files and their validation, run records, target selection
//! and plans. Pure: no I/O and no AWS types, so every rule here is testable on its own.

pub mod cadence;
pub mod clock;
pub mod cost;
pub mod diagnostics;
pub mod duration;
pub mod failover;
pub mod faults;
pub mod html;
pub mod liveness;
pub mod maturity;
pub mod plan;
pub mod playbook;
pub mod probes;
pub mod report;
pub mod run;
pub mod safety;
pub mod schedule;
pub mod schedule_sync;
mod schema_check;
pub mod selection;
pub mod source;
pub mod spec;
pub mod verdict;
pub mod windows;
