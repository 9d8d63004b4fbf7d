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
//!
//! # In tests
//!
//! Start one sandbox per test (about half a second once installed; the first run in a
//! checkout installs moto, about a minute), point the SDK at it explicitly, and let it drop:
//!
//! ```no_run
//! # fn example() -> Result<(), gameday_sandbox::SandboxError> {
//! use gameday_sandbox::Sandbox;
//! // `start` blocks: from async code, `tokio::task::spawn_blocking(Sandbox::start)`.
//! let sandbox = Sandbox::start()?;
//! // aws_config::defaults(BehaviorVersion::latest())
//! //     .endpoint_url(sandbox.endpoint_url())
//! //     .region(Region::new("us-west-2"))
//! //     .credentials_provider(Credentials::new("testing", "testing", None, None, "gameday-sandbox"))
//! //     .load().await
//! sandbox.reset()?; // a clean slate without a restart, if a test wants one
//! # Ok(()) }
//! ```
//!
//! Do not set `AWS_ENDPOINT_URL` in a test process: tests run in parallel threads and each
//! has its own sandbox.

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
