//! DR playbooks: the Stage 1 article's playbook as a file (system, dependencies with RTO, RPO
//! and criticality period, contacts, notification, failover scenarios, manual exercises),
//! its validation, the blocked windows its criticality periods impose on experiments, the
//! evidence behind each scenario, and its rendering as Markdown or HTML.

mod criticality;
mod evidence;
mod links;
mod load;
mod model;
pub mod render;
mod schema;
mod semantic;
mod text;

#[cfg(test)]
pub(crate) mod tests;

pub use criticality::{CriticalityWindow, PlaybookCheck, check_experiment, criticality_windows};
pub use evidence::*;
pub use links::{LinkViolation, check_links};
pub use load::load_playbook;
pub use model::*;
pub use schema::playbook_schema;
