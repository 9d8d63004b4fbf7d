//! [`Sandbox`]: a server owned by this process, stopped when dropped.

use std::fs::{self, File};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::SandboxError;
use crate::control;
use crate::environment::{Layout, ensure_environment_at, log_tail};

/// How long a server may take to print READY and answer.
pub(crate) const START_TIMEOUT: Duration = Duration::from_secs(90);

/// A running sandbox server (moto with the CloudWatch CBOR front) owned by this process.
///
/// Dropping it stops the server (kill, then wait). If this process dies without dropping it,
/// the server sees end of file on its stdin and exits by itself.
#[derive(Debug)]
pub struct Sandbox {
    child: Child,
    stdin: Option<ChildStdin>,
    endpoint_url: String,
    port: u16,
    log_path: PathBuf,
    /// Set once the server is up; a failed start keeps its log for the error to point at.
    ready: bool,
}

impl Sandbox {
    /// Installs the environment if missing, starts a server on a free `127.0.0.1` port, waits
    /// until it answers (at most 90 s), applies the moto configuration
    /// ([`MOTO_CONFIG`](crate::MOTO_CONFIG)), and returns it.
    pub fn start() -> Result<Sandbox, SandboxError> {
        let layout = Layout::resolve()?;
        let python = ensure_environment_at(&layout)?;
        prune_logs(&layout.dir, LOG_MAX_AGE);
        Sandbox::start_with(&layout, &python, START_TIMEOUT)
    }

    pub(crate) fn start_with(
        layout: &Layout,
        python: &Path,
        timeout: Duration,
    ) -> Result<Sandbox, SandboxError> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let starting_log = layout.dir.join(format!(
            "server-starting-{}-{}.log",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let log = File::create(&starting_log)
            .map_err(|e| SandboxError::io("creating the server log", &starting_log, e))?;
        let mut child = Command::new(python)
            .arg(layout.script())
            .args(["--host", "127.0.0.1", "--port", "0", "--exit-on-stdin-eof"])
            .current_dir(&layout.dir)
            .env("PYTHONUNBUFFERED", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .map_err(|source| SandboxError::Spawn {
                python: python.to_owned(),
                venv: layout.venv(),
                source,
            })?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut sandbox = Sandbox {
            child,
            stdin,
            endpoint_url: String::new(),
            port: 0,
            log_path: starting_log,
            ready: false,
        };
        // From here on, dropping `sandbox` on an error path stops the server.

        let (lines_tx, lines_rx) = mpsc::channel::<String>();
        std::thread::Builder::new()
            .name("gameday-sandbox-stdout".into())
            .spawn(move || {
                // Forward lines until READY has been seen, then keep draining stdout so the
                // server can never block on a full pipe. Ends at the server's end of file.
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    let _ = lines_tx.send(line);
                }
            })
            .map_err(|e| SandboxError::io("starting a thread to read", &sandbox.log_path, e))?;

        let deadline = Instant::now() + timeout;
        let endpoint_url = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match lines_rx.recv_timeout(left.min(Duration::from_millis(200))) {
                Ok(line) => {
                    if let Some(url) = line.trim().strip_prefix("READY ") {
                        break url.trim().to_owned();
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = sandbox
                        .child
                        .wait()
                        .map(|s| s.to_string())
                        .unwrap_or_else(|e| format!("status unknown: {e}"));
                    return Err(SandboxError::ServerExited {
                        status,
                        tail: log_tail(&sandbox.log_path),
                        log: sandbox.log_path.clone(),
                    });
                }
                Err(mpsc::RecvTimeoutError::Timeout) if left.is_zero() => {
                    let _ = sandbox.child.kill();
                    let _ = sandbox.child.wait();
                    return Err(SandboxError::StartTimeout {
                        seconds: timeout.as_secs(),
                        tail: log_tail(&sandbox.log_path),
                        log: sandbox.log_path.clone(),
                    });
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
        };
        sandbox.port = control::port_of(&endpoint_url).ok_or_else(|| SandboxError::Http {
            url: endpoint_url.clone(),
            what: "reporting its address",
            detail: "the READY line has no port".into(),
        })?;
        sandbox.endpoint_url = endpoint_url;
        let final_log = layout.dir.join(format!("server-{}.log", sandbox.port));
        if fs::rename(&sandbox.log_path, &final_log).is_ok() {
            sandbox.log_path = final_log;
        }
        control::wait_until_answering(&sandbox.endpoint_url, deadline)?;
        control::apply_config(&sandbox.endpoint_url)?;
        sandbox.ready = true;
        Ok(sandbox)
    }

    /// `http://127.0.0.1:PORT`: give it to the SDK as the endpoint URL.
    pub fn endpoint_url(&self) -> &str {
        &self.endpoint_url
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The server's stderr (moto's tracebacks land here). Removed when the sandbox is
    /// dropped, unless the thread is panicking (a failing test keeps it for inspection).
    /// The log of a start that failed is kept too.
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// Drops every resource in every service (`POST /moto-api/reset`) and re-applies the
    /// moto configuration.
    pub fn reset(&self) -> Result<(), SandboxError> {
        control::reset(&self.endpoint_url)
    }
}

/// Logs of servers whose owner never dropped them (an interrupted test run) are removed
/// after this long.
const LOG_MAX_AGE: Duration = Duration::from_secs(24 * 60 * 60);

/// Removes `server-*.log` files (not the detached server's `server.log`) older than `max_age`.
fn prune_logs(dir: &Path, max_age: Duration) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with("server-") && name.ends_with(".log")) {
            continue;
        }
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|modified| modified.elapsed().is_ok_and(|age| age > max_age));
        if old {
            let _ = fs::remove_file(entry.path());
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
        if self.ready && !std::thread::panicking() {
            let _ = fs::remove_file(&self.log_path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::environment::tests::scratch_dir;

    /// A layout whose `gameday_sandbox.py` is `script`, run by the system python3.
    fn fake_server(label: &str, script: &str) -> Option<(Layout, PathBuf)> {
        let python = PathBuf::from("python3");
        if Command::new(&python).arg("-V").output().is_err() {
            return None; // no python3 on this machine: nothing to run the fake with
        }
        let layout = Layout {
            dir: scratch_dir(label),
        };
        fs::write(layout.script(), script).unwrap();
        Some((layout, python))
    }

    #[test]
    fn old_server_logs_are_pruned() {
        let dir = scratch_dir("prune");
        let day_ago = std::time::SystemTime::now() - Duration::from_secs(25 * 60 * 60);
        for name in [
            "server-1234.log",
            "server-starting-1-0.log",
            "server.log",
            "other.log",
        ] {
            let file = File::create(dir.join(name)).unwrap();
            file.set_modified(day_ago).unwrap();
        }
        File::create(dir.join("server-5678.log")).unwrap();
        prune_logs(&dir, LOG_MAX_AGE);
        let mut left: Vec<String> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["other.log", "server-5678.log", "server.log"]);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_server_that_dies_is_reported_with_its_stderr() {
        let Some((layout, python)) = fake_server(
            "dies",
            "import sys\nsys.stderr.write('ModuleNotFoundError: no module named moto\\n')\nsys.exit(3)\n",
        ) else {
            return;
        };
        let error = Sandbox::start_with(&layout, &python, Duration::from_secs(30)).unwrap_err();
        let SandboxError::ServerExited { status, log, tail } = &error else {
            panic!("unexpected error: {error}");
        };
        assert!(status.contains('3'), "{status}");
        assert!(tail.contains("no module named moto"), "{tail}");
        assert!(log.exists(), "the log is kept for inspection");
        let message = error.to_string();
        assert!(message.contains("exited before it was ready"), "{message}");
        assert!(message.contains("no module named moto"), "{message}");
        fs::remove_dir_all(&layout.dir).unwrap();
    }

    #[test]
    fn a_server_that_never_gets_ready_times_out_and_is_stopped() {
        let Some((layout, python)) = fake_server(
            "hangs",
            "import sys, time\nprint('loading', flush=True)\nsys.stderr.write('still importing\\n')\nsys.stderr.flush()\ntime.sleep(600)\n",
        ) else {
            return;
        };
        let started = Instant::now();
        let error = Sandbox::start_with(&layout, &python, Duration::from_secs(2)).unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(20));
        let SandboxError::StartTimeout { seconds, tail, .. } = &error else {
            panic!("unexpected error: {error}");
        };
        assert_eq!(*seconds, 2);
        assert!(tail.contains("still importing"), "{tail}");
        fs::remove_dir_all(&layout.dir).unwrap();
    }
}
