//! What the experiment phase handlers (`functions/prepare`, `inject`, `observe`, `recover`,
//! `validate`) share: the ports they take, the run state the state machine passes between
//! them, sampling the steady state, notifications, and errors with stable ASL names.

pub mod config;
pub mod error;
pub mod lambda;
pub mod notify;
pub mod ports;
pub mod records;
pub mod sampling;
pub mod state;

pub use config::PhaseConfig;
pub use error::PhaseError;
pub use ports::Ports;
pub use state::RunState;
