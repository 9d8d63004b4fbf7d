//! The gameday domain: experiment files and their validation, run records, target selection
//! and plans. Pure: no I/O and no AWS types, so every rule here is testable on its own.

pub mod cost;
pub mod diagnostics;
pub mod duration;
pub mod faults;
pub mod plan;
pub mod run;
pub mod schedule;
pub mod selection;
pub mod source;
pub mod spec;
pub mod windows;
