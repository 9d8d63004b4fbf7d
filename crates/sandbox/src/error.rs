use std::io;
use std::path::PathBuf;

use crate::MOTO_VERSION;

/// Everything that can go wrong while installing, starting, or stopping the sandbox.
/// Each message says what failed and what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error(
        "no place for the sandbox: not inside a git checkout and HOME is not set; \
         set GAMEDAY_SANDBOX_DIR to a writable directory"
    )]
    NoSandboxDir,

    #[error(
        "{python} not found: install Python 3.9+ (Debian: apt-get install python3 python3-venv) \
         or set GAMEDAY_PYTHON to a Python 3.9+ interpreter"
    )]
    PythonNotFound { python: String },

    #[error(
        "{python} could not report its version ({detail}): check the interpreter, \
         or set GAMEDAY_PYTHON to a working Python 3.9+"
    )]
    PythonBroken { python: String, detail: String },

    #[error(
        "{python} is Python {version}, but the sandbox (moto {MOTO_VERSION}) needs Python 3.9+: \
         install a newer Python and set GAMEDAY_PYTHON to it"
    )]
    PythonTooOld { python: String, version: String },

    #[error(
        "creating the virtualenv {} with {python} failed: {detail}\n\
         (Debian/Ubuntu: apt-get install python3-venv; or set GAMEDAY_PYTHON to another interpreter)",
        path.display()
    )]
    VenvFailed {
        python: String,
        path: PathBuf,
        detail: String,
    },

    #[error(
        "installing moto {MOTO_VERSION} and the sandbox requirements into {} failed: {detail}\n\
         (check that PyPI is reachable, or point PIP_INDEX_URL at a mirror, then run again)",
        path.display()
    )]
    InstallFailed { path: PathBuf, detail: String },

    #[error("{action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error(
        "starting the sandbox server ({}) failed: {source}; delete {} to force a fresh install",
        python.display(),
        venv.display()
    )]
    Spawn {
        python: PathBuf,
        venv: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error(
        "the sandbox server exited before it was ready ({status}); the end of its log {}:\n{tail}",
        log.display()
    )]
    ServerExited {
        status: String,
        log: PathBuf,
        tail: String,
    },

    #[error(
        "the sandbox server did not report READY within {seconds} s (it was stopped); \
         the end of its log {}:\n{tail}",
        log.display()
    )]
    StartTimeout {
        seconds: u64,
        log: PathBuf,
        tail: String,
    },

    #[error("the sandbox at {url} failed {what}: {detail}")]
    Http {
        url: String,
        what: &'static str,
        detail: String,
    },

    #[error("could not stop the sandbox server (pid {pid}): {detail}")]
    StopFailed { pid: u32, detail: String },
}

impl SandboxError {
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        SandboxError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
