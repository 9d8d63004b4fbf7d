use std::collections::BTreeMap;

use super::*;
use crate::spec::load_experiment;

const API: &str = include_str!("../../../../examples/bookstore/api-instance-failure.yaml");
const DATABASE: &str = include_str!("../../../../examples/bookstore/database-failure.yaml");

fn experiment(text: &str) -> Experiment {
    load_experiment("example.yaml", text).expect("the example is valid")
}

fn target() -> ScheduleTarget {
    ScheduleTarget {
        state_machine_arn: "arn:aws:states:us-west-2:123456789012:stateMachine:gameday-experiment"
            .to_string(),
        role_arn: "arn:aws:iam::123456789012:role/gameday-scheduler".to_string(),
    }
}

struct World {
    group_exists: bool,
    experiments: Vec<Experiment>,
    existing: Vec<ScheduleDefinition>,
    unmanaged: Vec<String>,
    stored: BTreeMap<String, Experiment>,
    prune: bool,
}

impl World {
    fn new(experiments: Vec<Experiment>) -> Self {
        Self {
            group_exists: true,
            experiments,
            existing: Vec::new(),
            unmanaged: Vec::new(),
            stored: BTreeMap::new(),
            prune: false,
        }
    }

    fn plan(&self) -> SyncPlan {
        plan_sync(SyncInputs {
            group: DEFAULT_SCHEDULE_GROUP,
            group_exists: self.group_exists,
            experiments: &self.experiments,
            existing: &self.existing,
            unmanaged: &self.unmanaged,
            stored: &self.stored,
            target: &target(),
            prune: self.prune,
        })
    }

    /// The world after the plan was applied, as Scheduler and the table would report it.
    fn applied(mut self) -> Self {
        let plan = self.plan();
        for change in &plan.changes {
            match change {
                ScheduleChange::Create { schedule, .. } => self.existing.push(schedule.clone()),
                ScheduleChange::Update { schedule, .. } => {
                    let slot = self.existing.iter_mut().find(|s| s.name == schedule.name);
                    *slot.expect("updated schedule exists") = schedule.clone();
                }
                ScheduleChange::Delete { name, .. } => self.existing.retain(|s| &s.name != name),
                ScheduleChange::Unchanged { .. } | ScheduleChange::Kept { .. } => {}
            }
        }
        for store in &plan.store {
            let experiment = self
                .experiments
                .iter()
                .find(|e| e.metadata.name == store.experiment)
                .expect("stored experiment is given");
            self.stored
                .insert(store.experiment.clone(), experiment.clone());
        }
        self.group_exists = true;
        self
    }
}

fn actions(plan: &SyncPlan) -> Vec<(String, &'static str)> {
    plan.changes
        .iter()
        .map(|change| {
            let action = match change {
                ScheduleChange::Create { .. } => "create",
                ScheduleChange::Update { .. } => "update",
                ScheduleChange::Delete { .. } => "delete",
                ScheduleChange::Unchanged { .. } => "unchanged",
                ScheduleChange::Kept { .. } => "kept",
            };
            (change.name().to_string(), action)
        })
        .collect()
}

#[test]
fn a_scheduled_experiment_gets_one_exact_enabled_schedule_that_starts_it_by_name() {
    let schedule = desired_schedule(&experiment(API), &target()).expect("the example is scheduled");
    assert_eq!(schedule.name, "gameday-api-instance-failure");
    assert_eq!(schedule.expression, "cron(0 10 ? * 3#1 *)");
    assert_eq!(schedule.time_zone, "America/Los_Angeles");
    assert_eq!(schedule.target_arn, target().state_machine_arn);
    assert_eq!(schedule.role_arn, target().role_arn);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&schedule.input).unwrap(),
        serde_json::json!({"experimentName": "api-instance-failure"})
    );
    assert_eq!(schedule.flexible_window_minutes, None);
    assert!(schedule.enabled);
}

#[test]
fn an_experiment_without_a_schedule_wants_none() {
    let mut unscheduled = experiment(API);
    unscheduled.schedule = None;
    assert_eq!(desired_schedule(&unscheduled, &target()), None);
}

#[test]
fn first_sync_creates_the_group_schedules_and_stored_experiments_then_nothing_changes() {
    let mut world = World::new(vec![experiment(API), experiment(DATABASE)]);
    world.group_exists = false;
    let plan = world.plan();
    assert!(plan.create_group);
    assert_eq!(
        actions(&plan),
        [
            ("gameday-api-instance-failure".to_string(), "create"),
            ("gameday-database-failure".to_string(), "create"),
        ]
    );
    assert_eq!(
        plan.store,
        [
            StoreExperiment {
                experiment: "api-instance-failure".into(),
                reason: StoreReason::Missing
            },
            StoreExperiment {
                experiment: "database-failure".into(),
                reason: StoreReason::Missing
            },
        ]
    );
    assert!(plan.has_changes());

    let again = world.applied().plan();
    assert!(!again.has_changes(), "{again:#?}");
    assert!(
        again
            .changes
            .iter()
            .all(|c| matches!(c, ScheduleChange::Unchanged { .. }))
    );
}

#[test]
fn a_changed_expression_is_an_update_naming_the_field_and_restores_the_stored_spec() {
    let mut world = World::new(vec![experiment(API)]).applied();
    let schedule = world.experiments[0].schedule.as_mut().unwrap();
    schedule.expression = "cron(0 10 ? * 3#2 *)".to_string();
    let plan = world.plan();
    let [ScheduleChange::Update { differences, .. }] = plan.changes.as_slice() else {
        panic!("one update expected: {plan:#?}");
    };
    assert_eq!(
        differences,
        &[FieldDifference {
            field: "expression",
            current: "cron(0 10 ? * 3#1 *)".into(),
            desired: "cron(0 10 ? * 3#2 *)".into(),
        }]
    );
    assert_eq!(plan.store[0].reason, StoreReason::Changed);
    assert!(!world.applied().plan().has_changes());
}

#[test]
fn every_compared_field_is_reported_when_it_differs() {
    let desired = desired_schedule(&experiment(API), &target()).unwrap();
    let current = ScheduleDefinition {
        name: desired.name.clone(),
        expression: "rate(1 day)".into(),
        time_zone: "UTC".into(),
        target_arn: "arn:aws:states:us-west-2:123456789012:stateMachine:other".into(),
        role_arn: "arn:aws:iam::123456789012:role/other".into(),
        input: r#"{"experimentName":"other"}"#.into(),
        flexible_window_minutes: Some(15),
        enabled: false,
    };
    let fields: Vec<&str> = differences(&current, &desired)
        .iter()
        .map(|d| d.field)
        .collect();
    assert_eq!(
        fields,
        [
            "expression",
            "timeZone",
            "target",
            "roleArn",
            "input",
            "flexibleTimeWindow",
            "state"
        ]
    );
    let window = differences(&current, &desired)
        .into_iter()
        .find(|d| d.field == "flexibleTimeWindow")
        .unwrap();
    assert_eq!(
        (window.current.as_str(), window.desired.as_str()),
        ("FLEXIBLE 15 min", "OFF")
    );
}

#[test]
fn input_is_compared_as_json() {
    let desired = desired_schedule(&experiment(API), &target()).unwrap();
    let mut current = desired.clone();
    current.input = "{ \"experimentName\" : \"api-instance-failure\" }".into();
    assert!(differences(&current, &desired).is_empty());
}

#[test]
fn a_removed_schedule_section_deletes_the_schedule() {
    let mut world = World::new(vec![experiment(API), experiment(DATABASE)]).applied();
    world.experiments[0].schedule = None;
    let plan = world.plan();
    assert_eq!(
        actions(&plan),
        [
            ("gameday-api-instance-failure".to_string(), "delete"),
            ("gameday-database-failure".to_string(), "unchanged"),
        ]
    );
    assert!(matches!(
        plan.deletions().next(),
        Some(ScheduleChange::Delete {
            reason: DeleteReason::ScheduleRemoved,
            ..
        })
    ));
    assert!(
        plan.store.is_empty(),
        "an unscheduled experiment is not stored"
    );
    let after = world.applied();
    assert_eq!(after.existing.len(), 1);
    assert!(!after.plan().has_changes());
}

#[test]
fn a_schedule_whose_experiment_is_not_given_is_deleted_only_with_prune() {
    let mut world = World::new(vec![experiment(API), experiment(DATABASE)]).applied();
    world.experiments.truncate(1);
    let kept = world.plan();
    assert_eq!(kept.deletions().count(), 0);
    assert!(kept.changes.iter().any(|c| matches!(
        c,
        ScheduleChange::Kept { experiment, .. } if experiment == "database-failure"
    )));
    assert!(!kept.has_changes());

    world.prune = true;
    let pruned = world.plan();
    let deletions: Vec<&ScheduleChange> = pruned.deletions().collect();
    assert_eq!(
        deletions,
        [&ScheduleChange::Delete {
            experiment: "database-failure".into(),
            name: "gameday-database-failure".into(),
            reason: DeleteReason::ExperimentNotGiven,
        }]
    );
}

#[test]
fn schedules_gameday_does_not_own_are_ignored_even_with_prune() {
    let mut world = World::new(vec![experiment(API)]);
    world.unmanaged = vec!["nightly-backup".into()];
    let mut foreign = desired_schedule(&experiment(API), &target()).unwrap();
    foreign.name = "team-report".into();
    world.existing.push(foreign);
    world.prune = true;
    let plan = world.plan();
    assert_eq!(plan.ignored, ["nightly-backup", "team-report"]);
    assert_eq!(
        actions(&plan),
        [("gameday-api-instance-failure".to_string(), "create")]
    );
}

#[test]
fn schedule_names_round_trip_and_the_bare_prefix_is_not_owned() {
    assert_eq!(managed_experiment(&schedule_name("db")), Some("db"));
    assert_eq!(managed_experiment("gameday-"), None);
    assert_eq!(managed_experiment("other-db"), None);
    assert_eq!(MAX_SCHEDULED_EXPERIMENT_NAME_LENGTH, 56);
}
