//! `gameday schedule sync`: read the group, plan, show the plan, and with `--apply` perform it.

use std::collections::BTreeMap;
use std::process::ExitCode;

use gameday_aws::config::load_sdk_config;
use gameday_aws::runs::ExperimentStore;
use gameday_aws::schedules::{SchedulerSchedules, Schedules};
use gameday_aws::{AwsClients, AwsError};
use gameday_core::schedule_sync::{
    ScheduleChange, ScheduleDefinition, ScheduleTarget, StoreReason, SyncInputs, SyncPlan,
    managed_experiment, plan_sync,
};
use gameday_core::spec::Experiment;
use serde::Serialize;

use crate::cli::{AwsArgs, OutputFormat};
use crate::output::emit;

pub struct SyncRequest {
    /// `(file, experiment)`, names unique.
    pub experiments: Vec<(String, Experiment)>,
    pub group: String,
    pub target: ScheduleTarget,
    pub apply: bool,
    pub prune: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SyncReport<'a> {
    /// Whether the plan was performed (`--apply`) or only shown.
    applied: bool,
    /// Whether anything was (or would be) changed.
    changes: bool,
    plan: &'a SyncPlan,
}

pub async fn run(
    request: SyncRequest,
    aws: &AwsArgs,
    table: &str,
    format: OutputFormat,
) -> ExitCode {
    let config = load_sdk_config(&aws.settings()).await;
    let schedules = SchedulerSchedules::from_config(&config);
    let store = AwsClients::new(&config, table).runs;
    let experiments: Vec<Experiment> = request
        .experiments
        .iter()
        .map(|(_, experiment)| experiment.clone())
        .collect();
    let plan = match read_and_plan(&schedules, &store, &request, &experiments).await {
        Ok(plan) => plan,
        Err(error) => {
            return crate::commands::fail(format!(
                "reading schedule group {}: {error}",
                request.group
            ));
        }
    };
    let text = format == OutputFormat::Text;
    if text {
        print_plan(&plan, table);
    }
    if request.apply
        && plan.has_changes()
        && let Err(error) = apply(&schedules, &store, &plan, &experiments, text).await
    {
        return crate::commands::fail(format!(
            "applying the plan stopped: {error}; the steps before it were made, run `gameday schedule sync` again to see what is left"
        ));
    }
    let report = SyncReport {
        applied: request.apply,
        changes: plan.has_changes(),
        plan: &plan,
    };
    emit(format, &report, |report| {
        let count = count_changes(report.plan);
        match (report.applied, report.changes) {
            (_, false) => println!("nothing to change"),
            (true, true) => println!("applied {count} change(s)"),
            (false, true) => {
                println!("dry run: {count} change(s) not made; run again with --apply to make them")
            }
        }
    });
    ExitCode::SUCCESS
}

/// Reads the group's gameday schedules and the stored experiments, and plans.
async fn read_and_plan<S: Schedules, E: ExperimentStore>(
    schedules: &S,
    store: &E,
    request: &SyncRequest,
    experiments: &[Experiment],
) -> Result<SyncPlan, AwsError> {
    let group = request.group.as_str();
    let group_exists = schedules.group_exists(group).await?;
    let mut existing: Vec<ScheduleDefinition> = Vec::new();
    let mut unmanaged = Vec::new();
    if group_exists {
        for name in schedules.list_names(group).await? {
            if managed_experiment(&name).is_none() {
                unmanaged.push(name);
            } else if let Some(schedule) = schedules.get(group, &name).await? {
                existing.push(schedule);
            }
        }
    }
    let mut stored = BTreeMap::new();
    for experiment in experiments.iter().filter(|e| e.schedule.is_some()) {
        let name = &experiment.metadata.name;
        match store.get_experiment(name).await {
            Ok(Some(found)) => {
                stored.insert(name.clone(), found);
            }
            // An unreadable stored copy is replaced like a missing one.
            Ok(None) | Err(AwsError::Corrupt { .. }) => {}
            Err(error) => return Err(error),
        }
    }
    Ok(plan_sync(SyncInputs {
        group,
        group_exists,
        experiments,
        existing: &existing,
        unmanaged: &unmanaged,
        stored: &stored,
        target: &request.target,
        prune: request.prune,
    }))
}

/// Performs the plan: the group, then the experiments in the table (so a schedule that fires
/// at once finds its experiment), then creates and updates, then deletions.
async fn apply<S: Schedules, E: ExperimentStore>(
    schedules: &S,
    store: &E,
    plan: &SyncPlan,
    experiments: &[Experiment],
    text: bool,
) -> Result<(), AwsError> {
    let say = |line: String| {
        if text {
            println!("{line}");
        }
    };
    let group = plan.group.as_str();
    if plan.create_group {
        schedules.create_group(group).await?;
        say(format!("created schedule group {group}"));
    }
    for entry in &plan.store {
        let experiment = experiments
            .iter()
            .find(|e| e.metadata.name == entry.experiment)
            .expect("the plan stores only given experiments");
        store.put_experiment(experiment).await?;
        say(format!("stored experiment {}", entry.experiment));
    }
    for change in &plan.changes {
        match change {
            ScheduleChange::Create { schedule, .. } => {
                schedules.create(group, schedule).await?;
                say(format!("created {}", schedule.name));
            }
            ScheduleChange::Update { schedule, .. } => {
                schedules.update(group, schedule).await?;
                say(format!("updated {}", schedule.name));
            }
            _ => {}
        }
    }
    for change in plan.deletions() {
        schedules.delete(group, change.name()).await?;
        say(format!("deleted {}", change.name()));
    }
    Ok(())
}

fn count_changes(plan: &SyncPlan) -> usize {
    plan.changes
        .iter()
        .filter(|change| change.changes_anything())
        .count()
        + plan.store.len()
        + usize::from(plan.create_group)
}

fn print_plan(plan: &SyncPlan, table: &str) {
    let deletions: Vec<&ScheduleChange> = plan.deletions().collect();
    if !deletions.is_empty() {
        println!(
            "!! {} schedule(s) in group {} will be DELETED:",
            deletions.len(),
            plan.group
        );
        for change in &deletions {
            if let ScheduleChange::Delete { name, reason, .. } = change {
                println!("!!   {name}: {}", reason.describe());
            }
        }
    }
    let group_note = if plan.create_group {
        " (does not exist; it is created)"
    } else {
        ""
    };
    println!("schedule group {}{group_note}", plan.group);
    for change in &plan.changes {
        match change {
            ScheduleChange::Create { schedule, .. } => println!(
                "  create     {}  {} in {}",
                schedule.name, schedule.expression, schedule.time_zone
            ),
            ScheduleChange::Update {
                schedule,
                differences,
                ..
            } => {
                println!("  update     {}", schedule.name);
                for difference in differences {
                    println!(
                        "               {}: {} -> {}",
                        difference.field, difference.current, difference.desired
                    );
                }
            }
            ScheduleChange::Delete { name, .. } => println!("  DELETE     {name}"),
            ScheduleChange::Unchanged { name, .. } => println!("  unchanged  {name}"),
            ScheduleChange::Kept { name, .. } => println!(
                "  kept       {name}: no given file holds its experiment; pass every experiment file and --prune to delete it"
            ),
        }
    }
    for name in &plan.ignored {
        println!("  ignored    {name}: not named gameday-..., never touched");
    }
    for entry in &plan.store {
        let why = match entry.reason {
            StoreReason::Missing => "not in the table yet",
            StoreReason::Changed => "the table holds another version",
        };
        println!(
            "  store      experiment {} in table {table} ({why})",
            entry.experiment
        );
    }
}
