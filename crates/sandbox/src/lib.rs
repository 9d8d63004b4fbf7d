//! The local AWS sandbox: a pinned moto server on loopback, behind a small front that
//! translates CloudWatch's rpc-v2-cbor protocol (which moto does not serve) to JSON.
//!
//! The server is `python/gameday_sandbox.py`, embedded in this crate and written into the
//! sandbox directory at start; it runs in a project-local virtualenv that
//! [`ensure_environment`] creates on first use.
//!
//! * Tests: [`Sandbox::start`] gives a server owned by the test, stopped on drop.
//! * `gameday sandbox up|status|down`: [`up`], [`status`], [`down`] manage one detached server
//!   per sandbox directory, recorded in `<sandbox dir>/state.json`.
//!
//! Sandbox directory: `$GAMEDAY_SANDBOX_DIR`; else `<root>/.gameday/sandbox` for the nearest
//! ancestor of the current directory holding `.git`; else `$HOME/.cache/gameday/sandbox`.
//! Python: `$GAMEDAY_PYTHON`, else `python3` (3.9 or later).

mod control;
mod detached;
mod environment;
mod error;
mod http;
mod server;

pub use control::MOTO_CONFIG;
pub use detached::{SandboxState, down, status, up};
pub use environment::ensure_environment;
pub use error::SandboxError;
pub use server::Sandbox;

/// The moto version pinned in `python/requirements.txt`.
pub const MOTO_VERSION: &str = "5.2.5";

/// The sandbox directory that [`Sandbox::start`], [`up`] and friends use from the current
/// directory and environment.
pub fn sandbox_dir() -> Result<std::path::PathBuf, SandboxError> {
    environment::Layout::resolve().map(|layout| layout.dir)
}
