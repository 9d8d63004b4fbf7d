//! The detached server of `gameday sandbox up|status|down`, recorded in `<dir>/state.json`.

use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::control;
use crate::environment::{Layout, ensure_environment_at, log_tail, write_atomic};
use crate::server::START_TIMEOUT;
use crate::{MOTO_VERSION, SandboxError};

const STATE_FILE: &str = "state.json";
const STATE_LOCK: &str = "state.lock";
const DETACHED_LOG: &str = "server.log";
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// A detached sandbox server, as recorded in `<sandbox dir>/state.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SandboxState {
    pub pid: u32,
    pub port: u16,
    /// `http://127.0.0.1:PORT`
    pub endpoint_url: String,
    /// When it was started, RFC 3339 UTC.
    pub started_at: String,
    pub moto_version: String,
    /// The server's stdout and stderr.
    #[serde(default)]
    pub log_file: PathBuf,
}

/// Starts a detached server (its own process group, not tied to this process), or returns the
/// one already running if it answers. A running one that does not answer is replaced.
pub fn up() -> Result<SandboxState, SandboxError> {
    let layout = Layout::resolve()?;
    let python = ensure_environment_at(&layout)?;
    up_at(&layout.dir, &python, &layout.script())
}

/// The detached server if one is running; `None` otherwise (a stale state file is removed).
pub fn status() -> Result<Option<SandboxState>, SandboxError> {
    let layout = Layout::resolve()?;
    if !layout.dir.exists() {
        return Ok(None);
    }
    let _lock = lock_state(&layout.dir)?;
    status_at(&layout.dir)
}

/// Stops the detached server (SIGTERM, then SIGKILL after 10 s). `true` if one was stopped.
pub fn down() -> Result<bool, SandboxError> {
    let layout = Layout::resolve()?;
    down_at(&layout.dir)
}

pub(crate) fn up_at(
    state_dir: &Path,
    python: &Path,
    script: &Path,
) -> Result<SandboxState, SandboxError> {
    fs::create_dir_all(state_dir)
        .map_err(|e| SandboxError::io("creating the sandbox directory", state_dir, e))?;
    let _lock = lock_state(state_dir)?;
    if let Some(state) = status_at(state_dir)? {
        if control::probe(&state.endpoint_url).is_ok() {
            return Ok(state);
        }
        stop(state.pid)?;
        remove_state(state_dir)?;
    }

    let log_path = state_dir.join(DETACHED_LOG);
    let log = File::create(&log_path)
        .map_err(|e| SandboxError::io("creating the server log", &log_path, e))?;
    let log_err = log
        .try_clone()
        .map_err(|e| SandboxError::io("opening the server log", &log_path, e))?;
    let mut command = Command::new(python);
    command
        .arg(script)
        .args(["--host", "127.0.0.1", "--port", "0"])
        .current_dir(state_dir)
        .env("PYTHONUNBUFFERED", "1")
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err);
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        command.process_group(0);
    }
    let mut child = command.spawn().map_err(|source| SandboxError::Spawn {
        python: python.to_owned(),
        venv: python
            .parent()
            .and_then(Path::parent)
            .unwrap_or(python)
            .to_owned(),
        source,
    })?;
    let pid = child.id();
    let stop_child = |child: &mut std::process::Child| {
        let _ = child.kill();
        let _ = child.wait();
    };

    let deadline = Instant::now() + START_TIMEOUT;
    let endpoint_url = loop {
        if let Some(url) = ready_url(&log_path) {
            break url;
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(SandboxError::ServerExited {
                status: status.to_string(),
                tail: log_tail(&log_path),
                log: log_path,
            });
        }
        if Instant::now() >= deadline {
            stop_child(&mut child);
            return Err(SandboxError::StartTimeout {
                seconds: START_TIMEOUT.as_secs(),
                tail: log_tail(&log_path),
                log: log_path,
            });
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let ready = control::port_of(&endpoint_url)
        .ok_or_else(|| SandboxError::Http {
            url: endpoint_url.clone(),
            what: "reporting its address",
            detail: "the READY line has no port".into(),
        })
        .and_then(|port| {
            control::wait_until_answering(&endpoint_url, deadline)?;
            control::apply_config(&endpoint_url)?;
            Ok(port)
        });
    let port = match ready {
        Ok(port) => port,
        Err(error) => {
            stop_child(&mut child);
            return Err(error);
        }
    };

    let state = SandboxState {
        pid,
        port,
        endpoint_url,
        started_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        moto_version: MOTO_VERSION.to_owned(),
        log_file: log_path,
    };
    if let Err(error) = write_state(state_dir, &state) {
        stop_child(&mut child);
        return Err(error);
    }
    // Reap the server if it ends while this process still runs (no zombie); when this
    // process exits first, the server lives on.
    let _ = std::thread::Builder::new()
        .name("gameday-sandbox-reaper".into())
        .spawn(move || {
            let _ = child.wait();
        });
    Ok(state)
}

pub(crate) fn status_at(state_dir: &Path) -> Result<Option<SandboxState>, SandboxError> {
    let Some(state) = read_state(state_dir) else {
        remove_state(state_dir)?;
        return Ok(None);
    };
    if process_state(state.pid) == ProcessState::Sandbox {
        Ok(Some(state))
    } else {
        remove_state(state_dir)?;
        Ok(None)
    }
}

pub(crate) fn down_at(state_dir: &Path) -> Result<bool, SandboxError> {
    if !state_dir.exists() {
        return Ok(false);
    }
    let _lock = lock_state(state_dir)?;
    let Some(state) = status_at(state_dir)? else {
        return Ok(false);
    };
    stop(state.pid)?;
    remove_state(state_dir)?;
    Ok(true)
}

/// The state file's contents; `None` when it is missing or unreadable (stale).
pub(crate) fn read_state(state_dir: &Path) -> Option<SandboxState> {
    let text = fs::read(state_dir.join(STATE_FILE)).ok()?;
    serde_json::from_slice(&text).ok()
}

pub(crate) fn write_state(state_dir: &Path, state: &SandboxState) -> Result<(), SandboxError> {
    let mut json = serde_json::to_vec_pretty(state).expect("the state serializes");
    json.push(b'\n');
    write_atomic(&state_dir.join(STATE_FILE), &json)
}

fn remove_state(state_dir: &Path) -> Result<(), SandboxError> {
    let path = state_dir.join(STATE_FILE);
    match fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(SandboxError::io("removing the stale state file", path, e))
        }
        _ => Ok(()),
    }
}

/// Serializes up/status/down between processes.
fn lock_state(state_dir: &Path) -> Result<File, SandboxError> {
    let path = state_dir.join(STATE_LOCK);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| SandboxError::io("opening", &path, e))?;
    file.lock()
        .map_err(|e| SandboxError::io("locking", &path, e))?;
    Ok(file)
}

/// The URL of the `READY <url>` line of a server log, once it is there.
fn ready_url(log: &Path) -> Option<String> {
    let text = fs::read_to_string(log).ok()?;
    text.lines().find_map(|line| {
        line.trim()
            .strip_prefix("READY ")
            .map(|url| url.trim().to_owned())
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ProcessState {
    /// No such process (or only a zombie).
    Gone,
    /// A live process running `gameday_sandbox.py` (or, without /proc, any live process).
    Sandbox,
    /// A live process that is something else (the pid was reused).
    Other,
}

pub(crate) fn process_state(pid: u32) -> ProcessState {
    let proc_dir = PathBuf::from(format!("/proc/{pid}"));
    if Path::new("/proc/self/stat").exists() {
        let Ok(stat) = fs::read_to_string(proc_dir.join("stat")) else {
            return ProcessState::Gone;
        };
        let state = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next());
        if matches!(state, Some("Z" | "X") | None) {
            return ProcessState::Gone;
        }
        return match fs::read(proc_dir.join("cmdline")) {
            Ok(cmdline) if contains(&cmdline, crate::environment::SCRIPT_NAME.as_bytes()) => {
                ProcessState::Sandbox
            }
            Ok(_) => ProcessState::Other,
            Err(_) => ProcessState::Gone,
        };
    }
    if signal(pid, "0") {
        ProcessState::Sandbox
    } else {
        ProcessState::Gone
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Sends `sig` (a name like `TERM`, or `0` to test) through the shell's `kill`.
fn signal(pid: u32, sig: &str) -> bool {
    let script = if sig == "0" {
        "kill -0 \"$1\""
    } else {
        "kill -s \"$2\" \"$1\""
    };
    Command::new("sh")
        .args(["-c", script, "sh", &pid.to_string(), sig])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// SIGTERM, wait up to 10 s; then SIGKILL and wait 2 s more.
fn stop(pid: u32) -> Result<(), SandboxError> {
    for (sig, timeout) in [("TERM", STOP_TIMEOUT), ("KILL", Duration::from_secs(2))] {
        if process_state(pid) != ProcessState::Sandbox {
            return Ok(());
        }
        signal(pid, sig);
        let deadline = Instant::now() + timeout;
        // Wait until it is gone: an exiting process shows an empty command line (so `Other`)
        // for a moment while it still holds its port.
        while Instant::now() < deadline {
            if process_state(pid) == ProcessState::Gone {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    Err(SandboxError::StopFailed {
        pid,
        detail: "it survived SIGTERM and SIGKILL".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::environment::tests::scratch_dir;

    fn sample() -> SandboxState {
        SandboxState {
            pid: 4242,
            port: 45123,
            endpoint_url: "http://127.0.0.1:45123".into(),
            started_at: "2026-11-22T02:52:13Z".into(),
            moto_version: MOTO_VERSION.into(),
            log_file: "/tmp/sb/server.log".into(),
        }
    }

    #[test]
    fn state_file_round_trip() {
        let dir = scratch_dir("state");
        assert_eq!(read_state(&dir), None);
        let state = sample();
        write_state(&dir, &state).unwrap();
        assert_eq!(read_state(&dir), Some(state.clone()));
        let json: serde_json::Value =
            serde_json::from_slice(&fs::read(dir.join(STATE_FILE)).unwrap()).unwrap();
        assert_eq!(json["pid"], 4242);
        assert_eq!(json["port"], 45123);
        assert_eq!(json["endpointUrl"], "http://127.0.0.1:45123");
        assert_eq!(json["startedAt"], "2026-11-22T02:52:13Z");
        assert_eq!(json["motoVersion"], MOTO_VERSION);
        // Written without `logFile`: still readable.
        fs::write(
            dir.join(STATE_FILE),
            r#"{"pid":1,"port":2,"endpointUrl":"u","startedAt":"t","motoVersion":"m"}"#,
        )
        .unwrap();
        assert_eq!(read_state(&dir).unwrap().log_file, PathBuf::new());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn stale_and_corrupt_state_files_are_removed() {
        let dir = scratch_dir("stale");
        assert_eq!(status_at(&dir).unwrap(), None);

        // A pid that is certainly not a sandbox: an exited child of ours.
        let mut child = Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        write_state(&dir, &SandboxState { pid, ..sample() }).unwrap();
        assert_eq!(status_at(&dir).unwrap(), None);
        assert!(!dir.join(STATE_FILE).exists());

        // A live process that is not a sandbox (this test process).
        write_state(
            &dir,
            &SandboxState {
                pid: std::process::id(),
                ..sample()
            },
        )
        .unwrap();
        assert_eq!(status_at(&dir).unwrap(), None);
        assert!(!dir.join(STATE_FILE).exists());

        fs::write(dir.join(STATE_FILE), "{ not json").unwrap();
        assert_eq!(status_at(&dir).unwrap(), None);
        assert!(!dir.join(STATE_FILE).exists());
        assert!(!down_at(&dir).unwrap());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn ready_line_in_a_log() {
        let dir = scratch_dir("ready");
        let log = dir.join("server.log");
        assert_eq!(ready_url(&log), None);
        fs::write(&log, "warning: something\n").unwrap();
        assert_eq!(ready_url(&log), None);
        fs::write(&log, "warning: something\nREADY http://127.0.0.1:5000\n").unwrap();
        assert_eq!(ready_url(&log).as_deref(), Some("http://127.0.0.1:5000"));
        fs::remove_dir_all(&dir).unwrap();
    }

    /// Stops a detached server left behind by a failing test.
    struct DownOnDrop<'a>(&'a Path);

    impl Drop for DownOnDrop<'_> {
        fn drop(&mut self) {
            let _ = down_at(self.0);
        }
    }

    #[test]
    fn up_is_idempotent_and_down_stops_it() {
        let layout = Layout::resolve().unwrap();
        let python = ensure_environment_at(&layout).unwrap();
        let dir = scratch_dir("detached");
        let _guard = DownOnDrop(&dir);

        let state = up_at(&dir, &python, &layout.script()).unwrap();
        assert_eq!(
            state.endpoint_url,
            format!("http://127.0.0.1:{}", state.port)
        );
        assert_eq!(state.moto_version, MOTO_VERSION);
        assert_eq!(state.log_file, dir.join(DETACHED_LOG));
        chrono::DateTime::parse_from_rfc3339(&state.started_at).unwrap();
        assert!(state.started_at.ends_with('Z'), "{}", state.started_at);
        assert_eq!(process_state(state.pid), ProcessState::Sandbox);
        control::probe(&state.endpoint_url).unwrap();
        assert_eq!(read_state(&dir), Some(state.clone()));
        // Its own process group: not killed with ours by a terminal's Ctrl-C.
        let stat = fs::read_to_string(format!("/proc/{}/stat", state.pid)).unwrap();
        let pgrp = stat
            .rsplit_once(')')
            .unwrap()
            .1
            .split_whitespace()
            .nth(2)
            .unwrap();
        assert_eq!(pgrp, state.pid.to_string());

        assert_eq!(up_at(&dir, &python, &layout.script()).unwrap(), state);
        assert_eq!(status_at(&dir).unwrap(), Some(state.clone()));

        assert!(down_at(&dir).unwrap());
        assert_eq!(process_state(state.pid), ProcessState::Gone);
        assert!(control::probe(&state.endpoint_url).is_err());
        assert_eq!(status_at(&dir).unwrap(), None);
        assert!(!dir.join(STATE_FILE).exists());
        assert!(!down_at(&dir).unwrap());
        let _ = fs::remove_dir_all(&dir);
    }
}
