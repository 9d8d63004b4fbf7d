//! Reading playbooks: one file with every located error, its links to the experiment and
//! policy files beside it, and the playbook that applies to an experiment file.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use gameday_core::diagnostics::{Diagnostic, locate_all, parse_file};
use gameday_core::failover::{FailoverFile, load_failover_file};
use gameday_core::playbook::{
    Playbook, PlaybookCheck, check_experiment, check_links, load_playbook,
};
use gameday_core::spec::{Experiment, load_experiment};

use crate::commands::validate::read_text;

/// The file name looked for next to an experiment file.
pub const DEFAULT_NAME: &str = "playbook.yaml";
/// The `kind` of playbook files.
pub const KIND: &str = "Playbook";

/// Loads one playbook and checks its links to the files in its folder; every problem of
/// either is returned, located in the file it belongs to.
pub fn load_checked(file: &Path) -> Result<Playbook, Vec<Diagnostic>> {
    let name = file.display().to_string();
    let text = read_text(file)?;
    let playbook = load_playbook(&name, &text)?;
    let siblings = Siblings::read(file);
    let mut errors = siblings.errors.clone();
    for link in check_links(&playbook, &siblings.experiments(), &siblings.policies()) {
        let (owner, owner_text) = match &link.file {
            None => (name.as_str(), text.as_str()),
            Some(other) => siblings
                .text_of(other)
                .map_or((other.as_str(), ""), |t| (other.as_str(), t)),
        };
        match parse_file(owner, owner_text) {
            Ok(document) => errors.extend(locate_all(owner, &document, vec![link.violation])),
            Err(_) => errors.push(Diagnostic::at(
                owner,
                None,
                &link.violation.pointer,
                link.violation.message,
                link.violation.fix,
            )),
        }
    }
    if errors.is_empty() {
        Ok(playbook)
    } else {
        Err(errors)
    }
}

/// The experiment and failover policy files in a playbook's folder.
struct Siblings {
    files: Vec<Sibling>,
    errors: Vec<Diagnostic>,
}

struct Sibling {
    name: String,
    text: String,
    content: Content,
}

enum Content {
    Experiment(Box<Experiment>),
    Policies(Box<FailoverFile>),
}

impl Siblings {
    fn read(playbook: &Path) -> Self {
        let mut siblings = Siblings {
            files: Vec::new(),
            errors: Vec::new(),
        };
        let folder = playbook.parent().unwrap_or(Path::new("."));
        let folder = if folder.as_os_str().is_empty() {
            Path::new(".")
        } else {
            folder
        };
        let Ok(entries) = std::fs::read_dir(folder) else {
            return siblings;
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p != playbook
                    && matches!(
                        p.extension().and_then(|e| e.to_str()),
                        Some("yaml" | "yml" | "json")
                    )
            })
            .collect();
        paths.sort();
        for path in paths {
            let name = path.display().to_string();
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let kind = parse_file(&name, &text).ok().and_then(|d| {
                d.value
                    .get("kind")
                    .and_then(|k| k.as_str())
                    .map(String::from)
            });
            let content = match kind.as_deref() {
                Some("Experiment") => {
                    load_experiment(&name, &text).map(|e| Content::Experiment(Box::new(e)))
                }
                Some("FailoverPolicies") => {
                    load_failover_file(&name, &text).map(|f| Content::Policies(Box::new(f)))
                }
                _ => continue,
            };
            match content {
                Ok(content) => siblings.files.push(Sibling {
                    name,
                    text,
                    content,
                }),
                Err(errors) => siblings.errors.extend(errors),
            }
        }
        siblings
    }

    fn experiments(&self) -> Vec<(String, Experiment)> {
        self.files
            .iter()
            .filter_map(|s| match &s.content {
                Content::Experiment(e) => Some((s.name.clone(), (**e).clone())),
                Content::Policies(_) => None,
            })
            .collect()
    }

    fn policies(&self) -> Vec<(String, FailoverFile)> {
        self.files
            .iter()
            .filter_map(|s| match &s.content {
                Content::Policies(f) => Some((s.name.clone(), (**f).clone())),
                Content::Experiment(_) => None,
            })
            .collect()
    }

    fn text_of(&self, name: &str) -> Option<&str> {
        self.files
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.text.as_str())
    }
}

/// The playbook that applies to `experiment_file`: the one given, else `playbook.yaml` in the
/// same folder if there is one. Returns the path and how it was found.
pub fn find_for_experiment(
    experiment_file: &Path,
    given: Option<&Path>,
) -> Option<(PathBuf, &'static str)> {
    if let Some(given) = given {
        return Some((given.to_path_buf(), "given with --playbook"));
    }
    let beside = experiment_file
        .parent()
        .unwrap_or(Path::new(""))
        .join(DEFAULT_NAME);
    beside
        .is_file()
        .then_some((beside, "found next to the experiment file"))
}

/// What the applicable playbook says about an experiment; `None` when there is no playbook.
/// A playbook that is invalid, or that does not know the experiment, is an error.
pub fn check_for_experiment(
    experiment_file: &Path,
    experiment: &Experiment,
    given: Option<&Path>,
    now: DateTime<Utc>,
) -> Result<Option<PlaybookCheck>, Vec<Diagnostic>> {
    let Some((path, found)) = find_for_experiment(experiment_file, given) else {
        return Ok(None);
    };
    let name = path.display().to_string();
    let playbook = load_playbook(&name, &read_text(&path)?)?;
    check_experiment(&playbook, experiment, &name, found, now)
        .map(Some)
        .map_err(|violation| {
            let file = experiment_file.display().to_string();
            let text = read_text(experiment_file).unwrap_or_default();
            match parse_file(&file, &text) {
                Ok(document) => locate_all(&file, &document, vec![violation]),
                Err(errors) => errors,
            }
        })
}
