//! Runs an experiment locally: the state machine of `statemachines/` on the embedded engine,
//! each Task served in-process by the phase handler it names, against whatever AWS endpoint
//! the ports point at (the sandbox or a real account).

pub mod definitions;
pub mod functions;
pub mod outcome;
pub mod suite;

pub use definitions::{experiment_machine, rollback_machine, suite_machine};
pub use functions::phase_functions;
pub use outcome::Outcome;
pub use suite::SuiteInvoker;
