//! Planning `gameday schedule sync`: one EventBridge Scheduler schedule per experiment that has
//! a `schedule:` section, compared with the schedules that already exist in the group.
//!
//! gameday owns only the schedules whose name starts with [`SCHEDULE_NAME_PREFIX`]; every other
//! schedule in the group is listed as ignored and never changed. Pure: the caller reads the
//! existing schedules and performs the plan.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::spec::Experiment;

/// Every schedule gameday manages is named `gameday-<experiment name>`.
pub const SCHEDULE_NAME_PREFIX: &str = "gameday-";
/// The schedule group `schedule sync` uses unless told otherwise.
pub const DEFAULT_SCHEDULE_GROUP: &str = "gameday";
/// EventBridge Scheduler's limit on schedule names (`[0-9a-zA-Z-_.]+`, 1 to 64 characters).
pub const MAX_SCHEDULE_NAME_LENGTH: usize = 64;
/// The longest experiment name that still fits a schedule name with the prefix.
pub const MAX_SCHEDULED_EXPERIMENT_NAME_LENGTH: usize =
    MAX_SCHEDULE_NAME_LENGTH - SCHEDULE_NAME_PREFIX.len();

/// The schedule name of an experiment.
pub fn schedule_name(experiment: &str) -> String {
    format!("{SCHEDULE_NAME_PREFIX}{experiment}")
}

/// The experiment a gameday schedule starts; `None` for a schedule gameday does not own.
pub fn managed_experiment(schedule_name: &str) -> Option<&str> {
    schedule_name
        .strip_prefix(SCHEDULE_NAME_PREFIX)
        .filter(|name| !name.is_empty())
}

/// The input a schedule gives the experiment state machine: Prepare loads the experiment
/// stored in the table under this name.
pub fn schedule_input(experiment: &str) -> String {
    serde_json::json!({ "experimentName": experiment }).to_string()
}

/// What every schedule starts, and with which role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleTarget {
    /// The deployed experiment state machine.
    pub state_machine_arn: String,
    /// The role EventBridge Scheduler assumes to call `states:StartExecution`.
    pub role_arn: String,
}

/// The fields of a schedule that `sync` sets and compares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleDefinition {
    pub name: String,
    pub expression: String,
    pub time_zone: String,
    pub target_arn: String,
    pub role_arn: String,
    /// The target input, a JSON document.
    pub input: String,
    /// The flexible time window in minutes; `None` is OFF (fire at the exact time), which is
    /// what gameday sets so a run starts when the file says.
    pub flexible_window_minutes: Option<i32>,
    pub enabled: bool,
}

/// The schedule an experiment needs, or `None` when it has no `schedule:` section.
pub fn desired_schedule(
    experiment: &Experiment,
    target: &ScheduleTarget,
) -> Option<ScheduleDefinition> {
    let schedule = experiment.schedule.as_ref()?;
    let name = &experiment.metadata.name;
    Some(ScheduleDefinition {
        name: schedule_name(name),
        expression: schedule.expression.clone(),
        time_zone: schedule.time_zone.clone(),
        target_arn: target.state_machine_arn.clone(),
        role_arn: target.role_arn.clone(),
        input: schedule_input(name),
        flexible_window_minutes: None,
        enabled: true,
    })
}

/// One field that differs between the existing schedule and the wanted one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldDifference {
    pub field: &'static str,
    pub current: String,
    pub desired: String,
}

/// The fields of `current` that `desired` changes, in a fixed order.
pub fn differences(
    current: &ScheduleDefinition,
    desired: &ScheduleDefinition,
) -> Vec<FieldDifference> {
    let window = |minutes: Option<i32>| match minutes {
        None => "OFF".to_string(),
        Some(minutes) => format!("FLEXIBLE {minutes} min"),
    };
    let state = |enabled: bool| if enabled { "ENABLED" } else { "DISABLED" }.to_string();
    let fields = [
        (
            "expression",
            current.expression.clone(),
            desired.expression.clone(),
        ),
        (
            "timeZone",
            current.time_zone.clone(),
            desired.time_zone.clone(),
        ),
        (
            "target",
            current.target_arn.clone(),
            desired.target_arn.clone(),
        ),
        (
            "roleArn",
            current.role_arn.clone(),
            desired.role_arn.clone(),
        ),
        ("input", current.input.clone(), desired.input.clone()),
        (
            "flexibleTimeWindow",
            window(current.flexible_window_minutes),
            window(desired.flexible_window_minutes),
        ),
        ("state", state(current.enabled), state(desired.enabled)),
    ];
    fields
        .into_iter()
        .filter(|(field, current, desired)| {
            if *field == "input" {
                !same_json(current, desired)
            } else {
                current != desired
            }
        })
        .map(|(field, current, desired)| FieldDifference {
            field,
            current,
            desired,
        })
        .collect()
}

/// Equal as JSON documents (key order and spacing aside), or as text when either is not JSON.
fn same_json(left: &str, right: &str) -> bool {
    match (
        serde_json::from_str::<serde_json::Value>(left),
        serde_json::from_str::<serde_json::Value>(right),
    ) {
        (Ok(left), Ok(right)) => left == right,
        _ => left == right,
    }
}

/// Why a schedule is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeleteReason {
    /// The experiment's file was given and has no `schedule:` section any more.
    ScheduleRemoved,
    /// No given file holds the experiment, and `--prune` said the files are the full set.
    ExperimentNotGiven,
}

impl DeleteReason {
    pub fn describe(self) -> &'static str {
        match self {
            Self::ScheduleRemoved => "its experiment file has no `schedule:` section",
            Self::ExperimentNotGiven => "no given file holds its experiment (--prune)",
        }
    }
}

/// One step of the plan, per schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "camelCase")]
pub enum ScheduleChange {
    Create {
        experiment: String,
        schedule: ScheduleDefinition,
    },
    Update {
        experiment: String,
        schedule: ScheduleDefinition,
        differences: Vec<FieldDifference>,
    },
    Delete {
        experiment: String,
        name: String,
        reason: DeleteReason,
    },
    Unchanged {
        experiment: String,
        name: String,
    },
    /// A gameday schedule whose experiment is in none of the given files; kept because the
    /// files were not declared the full set (`--prune`).
    Kept {
        experiment: String,
        name: String,
    },
}

impl ScheduleChange {
    /// The schedule this step is about.
    pub fn name(&self) -> &str {
        match self {
            Self::Create { schedule, .. } | Self::Update { schedule, .. } => &schedule.name,
            Self::Delete { name, .. } | Self::Unchanged { name, .. } | Self::Kept { name, .. } => {
                name
            }
        }
    }

    /// Whether applying this step calls Scheduler.
    pub fn changes_anything(&self) -> bool {
        matches!(
            self,
            Self::Create { .. } | Self::Update { .. } | Self::Delete { .. }
        )
    }
}

/// Why a scheduled experiment is written to the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StoreReason {
    /// The table has no experiment of that name.
    Missing,
    /// The table holds another version of the experiment than the file.
    Changed,
}

/// A scheduled experiment to write to the table, where the scheduled run's Prepare reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoreExperiment {
    pub experiment: String,
    pub reason: StoreReason,
}

/// What `schedule sync` finds and would do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncPlan {
    pub group: String,
    /// The group does not exist yet and is created first.
    pub create_group: bool,
    /// One step per gameday schedule, wanted or existing, ordered by name.
    pub changes: Vec<ScheduleChange>,
    /// Schedules in the group that gameday does not own (no `gameday-` prefix); never touched.
    pub ignored: Vec<String>,
    /// Scheduled experiments whose stored copy is missing or differs from the file.
    pub store: Vec<StoreExperiment>,
}

impl SyncPlan {
    /// Whether applying the plan would change anything at all.
    pub fn has_changes(&self) -> bool {
        self.create_group
            || !self.store.is_empty()
            || self.changes.iter().any(ScheduleChange::changes_anything)
    }

    pub fn deletions(&self) -> impl Iterator<Item = &ScheduleChange> {
        self.changes
            .iter()
            .filter(|change| matches!(change, ScheduleChange::Delete { .. }))
    }
}

/// What the planner compares.
#[derive(Debug, Clone, Copy)]
pub struct SyncInputs<'a> {
    pub group: &'a str,
    pub group_exists: bool,
    /// The experiments of the given files, with unique names.
    pub experiments: &'a [Experiment],
    /// The group's schedules that gameday owns, as Scheduler reports them (a schedule without
    /// the prefix found here is treated as not owned).
    pub existing: &'a [ScheduleDefinition],
    /// Names of the group's schedules that gameday does not own.
    pub unmanaged: &'a [String],
    /// The experiments stored in the table, by name, for the scheduled ones.
    pub stored: &'a BTreeMap<String, Experiment>,
    pub target: &'a ScheduleTarget,
    /// The given files are the full set: delete gameday schedules of experiments not in them.
    pub prune: bool,
}

/// Compares the wanted schedules with the existing ones.
pub fn plan_sync(inputs: SyncInputs<'_>) -> SyncPlan {
    let mut ignored: BTreeSet<String> = inputs.unmanaged.iter().cloned().collect();
    let mut existing: BTreeMap<&str, &ScheduleDefinition> = BTreeMap::new();
    for schedule in inputs.existing {
        match managed_experiment(&schedule.name) {
            Some(_) => {
                existing.insert(schedule.name.as_str(), schedule);
            }
            None => {
                ignored.insert(schedule.name.clone());
            }
        }
    }
    let given: BTreeMap<String, &Experiment> = inputs
        .experiments
        .iter()
        .map(|experiment| (schedule_name(&experiment.metadata.name), experiment))
        .collect();

    let mut changes = Vec::new();
    let mut store = Vec::new();
    for (name, experiment) in &given {
        let experiment_name = experiment.metadata.name.clone();
        match (
            desired_schedule(experiment, inputs.target),
            existing.get(name.as_str()),
        ) {
            (Some(schedule), None) => changes.push(ScheduleChange::Create {
                experiment: experiment_name.clone(),
                schedule,
            }),
            (Some(schedule), Some(current)) => {
                let differences = differences(current, &schedule);
                changes.push(if differences.is_empty() {
                    ScheduleChange::Unchanged {
                        experiment: experiment_name.clone(),
                        name: name.clone(),
                    }
                } else {
                    ScheduleChange::Update {
                        experiment: experiment_name.clone(),
                        schedule,
                        differences,
                    }
                });
            }
            (None, Some(_)) => changes.push(ScheduleChange::Delete {
                experiment: experiment_name.clone(),
                name: name.clone(),
                reason: DeleteReason::ScheduleRemoved,
            }),
            (None, None) => continue,
        }
        if experiment.schedule.is_some() {
            let reason = match inputs.stored.get(&experiment_name) {
                None => Some(StoreReason::Missing),
                Some(stored) if stored != *experiment => Some(StoreReason::Changed),
                Some(_) => None,
            };
            if let Some(reason) = reason {
                store.push(StoreExperiment {
                    experiment: experiment_name,
                    reason,
                });
            }
        }
    }
    for (name, _) in existing
        .iter()
        .filter(|(name, _)| !given.contains_key(**name))
    {
        let experiment = managed_experiment(name).unwrap_or_default().to_string();
        let name = name.to_string();
        changes.push(if inputs.prune {
            ScheduleChange::Delete {
                experiment,
                name,
                reason: DeleteReason::ExperimentNotGiven,
            }
        } else {
            ScheduleChange::Kept { experiment, name }
        });
    }
    changes.sort_by(|a, b| a.name().cmp(b.name()));
    SyncPlan {
        group: inputs.group.to_string(),
        create_group: !inputs.group_exists,
        changes,
        ignored: ignored.into_iter().collect(),
        store,
    }
}

#[cfg(test)]
mod tests;
