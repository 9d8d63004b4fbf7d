//! Where the sandbox lives on disk and how its Python environment is installed.
//!
//! Layout of the sandbox directory:
//!
//! ```text
//! <dir>/gameday_sandbox.py      the server (embedded in the binary, rewritten when it changes)
//! <dir>/requirements.txt        its exact pins (embedded likewise)
//! <dir>/install.lock            held while a virtualenv is being installed
//! <dir>/venv-<hash12>/          the virtualenv for one set of pins (complete when it holds READY_MARKER)
//! <dir>/venv-<hash12>.partial-<pid>/  an install in progress (renamed when complete)
//! <dir>/server-<port>.log       stderr of an in-process `Sandbox`
//! <dir>/state.json, server.log  the detached server of `gameday sandbox up`
//! ```

use std::ffi::OsString;
use std::fs::{self, File, TryLockError};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use crate::{MOTO_VERSION, SandboxError};

pub(crate) const SERVER_SCRIPT: &str = include_str!("../python/gameday_sandbox.py");
pub(crate) const REQUIREMENTS: &str = include_str!("../python/requirements.txt");
pub(crate) const SCRIPT_NAME: &str = "gameday_sandbox.py";
const REQUIREMENTS_NAME: &str = "requirements.txt";
const READY_MARKER: &str = "gameday-ready";

/// The resolved sandbox directory and the files in it.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub dir: PathBuf,
}

impl Layout {
    pub fn resolve() -> Result<Layout, SandboxError> {
        let cwd = std::env::current_dir()
            .map_err(|e| SandboxError::io("reading the current directory", ".", e))?;
        let dir = resolve_sandbox_dir(
            std::env::var_os("GAMEDAY_SANDBOX_DIR"),
            &cwd,
            std::env::var_os("HOME"),
        )
        .ok_or(SandboxError::NoSandboxDir)?;
        Ok(Layout { dir })
    }

    pub fn script(&self) -> PathBuf {
        self.dir.join(SCRIPT_NAME)
    }

    pub fn venv(&self) -> PathBuf {
        self.dir.join(format!("venv-{}", requirements_hash()))
    }
}

/// The sandbox directory: `$GAMEDAY_SANDBOX_DIR` if set (relative to `cwd`), else
/// `<root>/.gameday/sandbox` for the nearest ancestor `root` of `cwd` that contains `.git`,
/// else `$HOME/.cache/gameday/sandbox`. `None` when none of them applies.
pub(crate) fn resolve_sandbox_dir(
    override_dir: Option<OsString>,
    cwd: &Path,
    home: Option<OsString>,
) -> Option<PathBuf> {
    if let Some(dir) = override_dir.filter(|dir| !dir.is_empty()) {
        return Some(cwd.join(dir));
    }
    if let Some(root) = cwd.ancestors().find(|dir| dir.join(".git").exists()) {
        return Some(root.join(".gameday").join("sandbox"));
    }
    home.filter(|home| !home.is_empty()).map(|home| {
        PathBuf::from(home)
            .join(".cache")
            .join("gameday")
            .join("sandbox")
    })
}

/// The first 12 hex digits of a stable 64-bit FNV-1a hash of the embedded requirements.
pub(crate) fn requirements_hash() -> String {
    hash12(REQUIREMENTS.as_bytes())
}

pub(crate) fn hash12(bytes: &[u8]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{hash:016x}")[..12].to_owned()
}

#[cfg(test)]
/// The version pinned for `package` (`name==version`, extras allowed) in a requirements file.
pub(crate) fn pinned_version(requirements: &str, package: &str) -> Option<String> {
    requirements.lines().find_map(|line| {
        let line = line.split('#').next()?.trim();
        let (name, version) = line.split_once("==")?;
        let name = name.split('[').next()?.trim();
        name.eq_ignore_ascii_case(package)
            .then(|| version.trim().to_owned())
    })
}

pub(crate) fn venv_python(venv: &Path) -> PathBuf {
    if cfg!(windows) {
        venv.join("Scripts").join("python.exe")
    } else {
        venv.join("bin").join("python")
    }
}

/// Creates (once) the virtualenv for the pinned requirements and returns its python.
pub fn ensure_environment() -> Result<PathBuf, SandboxError> {
    let layout = Layout::resolve()?;
    ensure_environment_at(&layout)
}

pub(crate) fn ensure_environment_at(layout: &Layout) -> Result<PathBuf, SandboxError> {
    fs::create_dir_all(&layout.dir)
        .map_err(|e| SandboxError::io("creating the sandbox directory", &layout.dir, e))?;
    write_if_changed(&layout.script(), SERVER_SCRIPT)?;
    write_if_changed(&layout.dir.join(REQUIREMENTS_NAME), REQUIREMENTS)?;

    let venv = layout.venv();
    if is_complete(&venv) {
        return Ok(venv_python(&venv));
    }

    let lock_path = layout.dir.join("install.lock");
    let lock = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| SandboxError::io("opening", &lock_path, e))?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            eprintln!(
                "gameday sandbox: waiting for another process to finish installing (lock {})…",
                lock_path.display()
            );
            lock.lock()
                .map_err(|e| SandboxError::io("locking", &lock_path, e))?;
        }
        Err(TryLockError::Error(e)) => return Err(SandboxError::io("locking", &lock_path, e)),
    }
    // Someone else may have finished while we waited.
    if is_complete(&venv) {
        return Ok(venv_python(&venv));
    }
    install(layout, &venv)?;
    drop(lock);
    Ok(venv_python(&venv))
}

fn is_complete(venv: &Path) -> bool {
    venv.join(READY_MARKER).is_file() && venv_python(venv).exists()
}

/// Installs into `<venv>.partial-<pid>` and renames it to `venv` once complete.
/// The caller holds the install lock, so leftovers of killed installs can be removed.
fn install(layout: &Layout, venv: &Path) -> Result<(), SandboxError> {
    let venv_name = venv
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap_or_default()
        .to_owned();
    remove_leftovers(&layout.dir, &venv_name);
    if venv.exists() {
        // A directory without the marker was not made by a complete install.
        fs::remove_dir_all(venv)
            .map_err(|e| SandboxError::io("removing the incomplete virtualenv", venv, e))?;
    }

    let python = std::env::var("GAMEDAY_PYTHON")
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "python3".to_owned());
    check_python(&python)?;

    let partial = layout
        .dir
        .join(format!("{venv_name}.partial-{}", std::process::id()));
    eprintln!(
        "gameday sandbox: installing moto {MOTO_VERSION} into {} (first run only)…",
        venv.display()
    );
    let started = Instant::now();
    let output = Command::new(&python)
        .args(["-m", "venv"])
        .arg(&partial)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| SandboxError::VenvFailed {
            python: python.clone(),
            path: venv.to_owned(),
            detail: e.to_string(),
        })?;
    if !output.status.success() {
        let _ = fs::remove_dir_all(&partial);
        return Err(SandboxError::VenvFailed {
            python,
            path: venv.to_owned(),
            detail: output_detail(&output),
        });
    }

    let pip = Command::new(venv_python(&partial))
        .args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-input",
            "-q",
            "-r",
        ])
        .arg(layout.dir.join(REQUIREMENTS_NAME))
        .env("PIP_NO_INPUT", "1")
        .stdin(Stdio::null())
        .output();
    let failure = match pip {
        Ok(output) if output.status.success() => None,
        Ok(output) => Some(output_detail(&output)),
        Err(e) => Some(e.to_string()),
    };
    if let Some(detail) = failure {
        let _ = fs::remove_dir_all(&partial);
        return Err(SandboxError::InstallFailed {
            path: venv.to_owned(),
            detail,
        });
    }

    let marker = partial.join(READY_MARKER);
    fs::write(&marker, REQUIREMENTS).map_err(|e| SandboxError::io("writing", &marker, e))?;
    fs::rename(&partial, venv).map_err(|e| SandboxError::io("renaming", &partial, e))?;
    eprintln!(
        "gameday sandbox: installed in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Removes `<venv_name>.partial-*` directories that killed installs left behind.
fn remove_leftovers(dir: &Path, venv_name: &str) {
    let prefix = format!("{venv_name}.partial-");
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(&prefix) {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

/// Checks that `python` runs and is at least 3.9.
fn check_python(python: &str) -> Result<(), SandboxError> {
    let output = Command::new(python)
        .args(["-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"])
        .stdin(Stdio::null())
        .output();
    let output = match output {
        Ok(output) => output,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(SandboxError::PythonNotFound {
                python: python.to_owned(),
            });
        }
        Err(e) => {
            return Err(SandboxError::PythonBroken {
                python: python.to_owned(),
                detail: e.to_string(),
            });
        }
    };
    if !output.status.success() {
        return Err(SandboxError::PythonBroken {
            python: python.to_owned(),
            detail: output_detail(&output),
        });
    }
    let version = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    if (major, minor) < (3, 9) {
        return Err(SandboxError::PythonTooOld {
            python: python.to_owned(),
            version,
        });
    }
    Ok(())
}

/// The exit status and the last lines of a failed command's output.
fn output_detail(output: &std::process::Output) -> String {
    let mut text = String::from_utf8_lossy(&output.stderr).into_owned();
    if text.trim().is_empty() {
        text = String::from_utf8_lossy(&output.stdout).into_owned();
    }
    format!(
        "{}; output ends with:\n{}",
        output.status,
        tail_lines(&text, 30)
    )
}

/// The last `lines` lines of `text`.
pub(crate) fn tail_lines(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.trim_end().lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// The last lines of a log file (or a note saying it could not be read).
pub(crate) fn log_tail(path: &Path) -> String {
    match fs::read(path) {
        Ok(bytes) if bytes.iter().all(|b| b.is_ascii_whitespace()) => "(the log is empty)".into(),
        Ok(bytes) => tail_lines(&String::from_utf8_lossy(&bytes), 40),
        Err(e) => format!("(could not read the log: {e})"),
    }
}

/// Writes `contents` to `path` unless it already holds exactly that; atomic (temp + rename),
/// so concurrent writers and readers never see a partial file.
pub(crate) fn write_if_changed(path: &Path, contents: &str) -> Result<(), SandboxError> {
    if fs::read(path).is_ok_and(|current| current == contents.as_bytes()) {
        return Ok(());
    }
    write_atomic(path, contents.as_bytes())
}

pub(crate) fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), SandboxError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = path.with_file_name(format!(
        ".{name}.tmp-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = File::create(&temp)
        .and_then(|mut file| file.write_all(contents).and_then(|()| file.sync_all()))
        .and_then(|()| fs::rename(&temp, path));
    result.map_err(|e| {
        let _ = fs::remove_file(&temp);
        SandboxError::io("writing", path, e)
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A fresh empty directory under the system temp dir.
    pub(crate) fn scratch_dir(label: &str) -> PathBuf {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "gameday-sandbox-test-{label}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn override_wins_and_is_relative_to_cwd() {
        let cwd = Path::new("/work/project/crates/x");
        assert_eq!(
            resolve_sandbox_dir(Some("/srv/sandbox".into()), cwd, Some("/home/me".into())),
            Some(PathBuf::from("/srv/sandbox"))
        );
        assert_eq!(
            resolve_sandbox_dir(Some("sb".into()), cwd, None),
            Some(cwd.join("sb"))
        );
    }

    #[test]
    fn nearest_git_ancestor_is_the_project_root() {
        let root = scratch_dir("git");
        let outer = root.join("outer");
        let inner = outer.join("vendor").join("inner");
        let cwd = inner.join("src").join("deep");
        fs::create_dir_all(&cwd).unwrap();
        fs::create_dir_all(outer.join(".git")).unwrap();
        assert_eq!(
            resolve_sandbox_dir(None, &cwd, Some("/home/me".into())),
            Some(outer.join(".gameday").join("sandbox"))
        );
        // A `.git` file (worktree, submodule) counts too, and the nearest one wins.
        fs::write(inner.join(".git"), "gitdir: ../../.git/worktrees/inner\n").unwrap();
        assert_eq!(
            resolve_sandbox_dir(Some("".into()), &cwd, Some("/home/me".into())),
            Some(inner.join(".gameday").join("sandbox"))
        );
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn home_cache_outside_a_checkout() {
        let cwd = scratch_dir("nogit");
        // The temp dir itself must not be inside a checkout for this test to mean anything.
        if cwd.ancestors().any(|d| d.join(".git").exists()) {
            return;
        }
        assert_eq!(
            resolve_sandbox_dir(None, &cwd, Some("/home/me".into())),
            Some(PathBuf::from("/home/me/.cache/gameday/sandbox"))
        );
        assert_eq!(resolve_sandbox_dir(None, &cwd, None), None);
        assert_eq!(resolve_sandbox_dir(None, &cwd, Some("".into())), None);
        fs::remove_dir_all(&cwd).unwrap();
    }

    #[test]
    fn requirements_hash_is_stable_and_sensitive() {
        // FNV-1a 64 reference values.
        assert_eq!(hash12(b""), "cbf29ce48422");
        assert_eq!(hash12(b"a"), "af63dc4c8601");
        assert_ne!(
            hash12(b"moto[server]==5.2.5"),
            hash12(b"moto[server]==5.2.6")
        );
        assert_eq!(requirements_hash().len(), 12);
        assert!(
            Layout { dir: "/x".into() }
                .venv()
                .ends_with(format!("venv-{}", requirements_hash()))
        );
    }

    #[test]
    fn moto_version_comes_from_the_pins() {
        assert_eq!(
            pinned_version(REQUIREMENTS, "moto").as_deref(),
            Some(MOTO_VERSION)
        );
        assert_eq!(
            pinned_version("# c\nMoto[server] == 1.2.3  # pinned\n", "moto").as_deref(),
            Some("1.2.3")
        );
        assert_eq!(pinned_version("motor==1\n", "moto"), None);
    }

    #[test]
    fn write_if_changed_rewrites_only_on_change() {
        let dir = scratch_dir("write");
        let path = dir.join("file.txt");
        write_if_changed(&path, "one").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "one");
        let before = fs::metadata(&path).unwrap().modified().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        write_if_changed(&path, "one").unwrap();
        assert_eq!(fs::metadata(&path).unwrap().modified().unwrap(), before);
        write_if_changed(&path, "two").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "two");
        // No temp files left behind.
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_missing_python_says_what_to_install() {
        let error = check_python("/nonexistent/python3").unwrap_err();
        assert!(
            matches!(error, SandboxError::PythonNotFound { .. }),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            "/nonexistent/python3 not found: install Python 3.9+ (Debian: apt-get install python3 \
             python3-venv) or set GAMEDAY_PYTHON to a Python 3.9+ interpreter"
        );
    }

    #[test]
    fn tails() {
        assert_eq!(tail_lines("a\nb\nc\n", 2), "b\nc");
        assert_eq!(tail_lines("a", 5), "a");
        let dir = scratch_dir("tail");
        assert!(log_tail(&dir.join("missing.log")).starts_with("(could not read"));
        fs::write(dir.join("empty.log"), "\n").unwrap();
        assert_eq!(log_tail(&dir.join("empty.log")), "(the log is empty)");
        fs::remove_dir_all(&dir).unwrap();
    }
}
