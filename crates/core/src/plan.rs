//! `gameday plan`: exactly what a run would do, from facts gathered through the ports —
//! instances chosen and spared, every API call in order, the undo of each fault, the safety
//! state, and what it costs. Building the plan calls nothing.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::cost::{CostEstimate, estimate};
use crate::faults::{ApiCall, FaultEffect, fault_effect};
use crate::playbook::PlaybookCheck;
pub use crate::safety::KillSwitch;
use crate::safety::stop_alarm_problem;
use crate::selection::{InstanceFacts, TargetSelection, select_targets};
use crate::spec::{Experiment, Probe};
use crate::windows::active_window;

/// What gameday learned from the account before planning.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanFacts {
    pub now: DateTime<Utc>,
    pub kill_switch: KillSwitch,
    /// Stop-condition alarm name → its state (`None` when the alarm does not exist).
    pub stop_alarms: BTreeMap<String, Option<String>>,
    /// Target name → the instances its selector matched.
    pub instances: BTreeMap<String, Vec<InstanceFacts>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    pub experiment: String,
    pub service: String,
    pub environment: String,
    pub generated_at: DateTime<Utc>,
    /// True when nothing blocks the run right now.
    pub would_start: bool,
    /// Why the run would be refused now; empty when it would start.
    pub blockers: Vec<String>,
    pub kill_switch: KillSwitchStatus,
    pub stop_alarms: Vec<StopAlarmStatus>,
    /// The blocked window in force now, if any.
    pub blocked_window: Option<String>,
    /// The playbook consulted, its dependency and criticality windows; `None` without one.
    pub playbook: Option<PlaybookCheck>,
    pub targets: Vec<TargetSelection>,
    pub steps: Vec<PlannedStep>,
    pub undo: Vec<FaultEffect>,
    pub cost: CostEstimate,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KillSwitchStatus {
    pub parameter: String,
    pub value: Option<String>,
    pub engaged: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StopAlarmStatus {
    pub alarm_name: String,
    /// `None` when the alarm does not exist.
    pub state: Option<String>,
    pub safe: bool,
}

/// One call in the order a run makes it; `repeat` counts the loop turns that repeat it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlannedStep {
    pub phase: String,
    #[serde(flatten)]
    pub call: ApiCall,
    pub purpose: String,
    pub repeat: String,
}

/// Builds the plan of `experiment` from `facts`.
pub fn build_plan(experiment: &Experiment, facts: &PlanFacts) -> Plan {
    let targets: Vec<TargetSelection> = experiment
        .targets
        .iter()
        .map(|t| {
            select_targets(
                t,
                facts
                    .instances
                    .get(&t.name)
                    .map(Vec::as_slice)
                    .unwrap_or_default(),
            )
        })
        .collect();
    let chosen_ids = |target: Option<&str>| -> Vec<String> {
        targets
            .iter()
            .filter(|s| Some(s.target.as_str()) == target)
            .flat_map(|s| s.chosen.iter().map(|d| d.instance_id.clone()))
            .collect()
    };
    let undo: Vec<FaultEffect> = experiment
        .faults
        .iter()
        .map(|f| fault_effect(f, &chosen_ids(f.action.target())))
        .collect();
    let stop_alarms: Vec<StopAlarmStatus> = experiment
        .stop_conditions
        .iter()
        .map(|s| {
            let state = facts.stop_alarms.get(&s.alarm_name).cloned().flatten();
            StopAlarmStatus {
                alarm_name: s.alarm_name.clone(),
                safe: stop_alarm_problem(&s.alarm_name, state.as_deref()).is_none(),
                state,
            }
        })
        .collect();
    let blocked_window = experiment
        .schedule
        .as_ref()
        .and_then(|s| active_window(s, facts.now))
        .map(|w| w.name().to_string());
    let blockers = blockers(
        &facts.kill_switch,
        &stop_alarms,
        blocked_window.as_deref(),
        &targets,
    );
    let all_chosen: Vec<String> = targets
        .iter()
        .flat_map(|s| s.chosen.iter().map(|d| d.instance_id.clone()))
        .collect();
    Plan {
        experiment: experiment.metadata.name.clone(),
        service: experiment.metadata.service.clone(),
        environment: experiment.metadata.environment.clone(),
        generated_at: facts.now,
        would_start: blockers.is_empty(),
        blockers,
        kill_switch: KillSwitchStatus {
            parameter: facts.kill_switch.parameter.clone(),
            value: facts.kill_switch.value.clone(),
            engaged: facts.kill_switch.is_engaged(),
        },
        stop_alarms,
        blocked_window,
        playbook: None,
        steps: steps(experiment, &facts.kill_switch.parameter, &all_chosen, &undo),
        targets,
        undo,
        cost: estimate(experiment),
    }
}

impl Plan {
    /// Adds what the playbook says: the check is shown, and a criticality period in force
    /// refuses the run.
    pub fn with_playbook(mut self, check: PlaybookCheck) -> Self {
        if let Some(active) = &check.active {
            self.blockers.push(format!("inside the {active}"));
            self.would_start = false;
        }
        self.playbook = Some(check);
        self
    }
}

fn blockers(
    kill: &KillSwitch,
    alarms: &[StopAlarmStatus],
    window: Option<&str>,
    targets: &[TargetSelection],
) -> Vec<String> {
    let mut out: Vec<String> = kill.problem().into_iter().collect();
    out.extend(
        alarms
            .iter()
            .filter_map(|a| stop_alarm_problem(&a.alarm_name, a.state.as_deref())),
    );
    if let Some(window) = window {
        out.push(format!("inside the blocked window `{window}`"));
    }
    for target in targets {
        if let Some(refusal) = &target.refusal {
            out.push(format!("target {}: {refusal}", target.target));
        }
    }
    out
}

fn steps(
    experiment: &Experiment,
    kill_switch: &str,
    chosen: &[String],
    effects: &[FaultEffect],
) -> Vec<PlannedStep> {
    let samples = crate::cost::estimate(experiment);
    let once = || "once".to_string();
    let each_sample = format!("each of {} samples", samples.observe_samples);
    let each_check = format!(
        "each recovery check (at most {})",
        samples.max_recovery_checks
    );
    let mut out = Vec::new();
    let mut add = |phase: &str, call: ApiCall, purpose: &str, repeat: String| {
        out.push(PlannedStep {
            phase: phase.to_string(),
            call,
            purpose: purpose.to_string(),
            repeat,
        });
    };
    let alarms: Vec<&str> = experiment
        .stop_conditions
        .iter()
        .map(|s| s.alarm_name.as_str())
        .collect();
    let safety = |add: &mut dyn FnMut(&str, ApiCall, &str, String), phase: &str, repeat: String| {
        add(
            phase,
            ApiCall::new("ssm", "GetParameter", kill_switch),
            "kill switch is off",
            repeat.clone(),
        );
        if !alarms.is_empty() {
            add(
                phase,
                ApiCall::new("cloudwatch", "DescribeAlarms", alarms.join(", ")),
                "stop conditions are OK",
                repeat,
            );
        }
    };
    safety(&mut add, "prepare", once());
    for target in &experiment.targets {
        let tags: Vec<String> = target
            .selector
            .tags
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        add(
            "prepare",
            ApiCall::new(
                "ec2",
                "DescribeInstances",
                format!("tags {}", tags.join(", ")),
            ),
            "resolve the targets",
            once(),
        );
    }
    for id in chosen {
        add(
            "prepare",
            ApiCall::new(
                "dynamodb",
                "PutItem",
                format!("lock {id} (conditional, with TTL)"),
            ),
            "one run per target",
            once(),
        );
    }
    for probe in &experiment.hypothesis.probes {
        for call in probe_calls(probe) {
            add("prepare", call, "baseline of the steady state", once());
        }
    }
    add(
        "prepare",
        ApiCall::new("dynamodb", "PutItem", "run record (RUNNING)"),
        "record the run",
        once(),
    );
    add(
        "prepare",
        ApiCall::new("sns", "Publish", "run started"),
        "tell people",
        once(),
    );
    for effect in effects {
        add(
            "inject",
            ApiCall::new(
                "dynamodb",
                "UpdateItem",
                format!("undo record of {}", effect.fault),
            ),
            "undo is known before acting",
            once(),
        );
        for call in &effect.inject {
            add(
                "inject",
                call.clone(),
                &format!("fault {}", effect.fault),
                once(),
            );
        }
    }
    for probe in &experiment.hypothesis.probes {
        for call in probe_calls(probe) {
            add(
                "observe",
                call,
                "sample the steady state",
                each_sample.clone(),
            );
        }
    }
    safety(&mut add, "observe", each_sample.clone());
    add(
        "observe",
        ApiCall::new("dynamodb", "UpdateItem", "append the sample"),
        "record the sample",
        each_sample,
    );
    for effect in effects.iter().rev() {
        if let crate::faults::Undo::Calls { calls } = &effect.undo {
            for call in calls {
                add(
                    "recover",
                    call.clone(),
                    &format!("undo {}", effect.fault),
                    once(),
                );
            }
        }
    }
    for probe in &experiment.hypothesis.probes {
        for call in probe_calls(probe) {
            add(
                "recover",
                call,
                "steady state regained?",
                each_check.clone(),
            );
        }
    }
    for id in chosen {
        add(
            "recover",
            ApiCall::new("dynamodb", "DeleteItem", format!("lock {id}")),
            "release the target",
            once(),
        );
    }
    add(
        "validate",
        ApiCall::new("dynamodb", "UpdateItem", "verdict with reasons"),
        "record the verdict",
        once(),
    );
    add(
        "validate",
        ApiCall::new("sns", "Publish", "verdict"),
        "tell people",
        once(),
    );
    add(
        "validate",
        ApiCall::new("cloudwatch", "PutMetricData", "RecoverySeconds, Verdict"),
        "dashboards",
        once(),
    );
    out
}

/// The calls a probe makes for one reading.
fn probe_calls(probe: &Probe) -> Vec<ApiCall> {
    match probe {
        Probe::CloudwatchMetric(m) => {
            vec![ApiCall::new(
                "cloudwatch",
                "GetMetricData",
                format!(
                    "{}/{} {:?} over {}",
                    m.namespace, m.metric, m.statistic, m.period
                ),
            )]
        }
        Probe::CloudwatchAlarm(a) => {
            vec![ApiCall::new("cloudwatch", "DescribeAlarms", &a.alarm_name)]
        }
        Probe::Ec2Running(e) => {
            let tags: Vec<String> = e
                .selector
                .tags
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            vec![ApiCall::new(
                "ec2",
                "DescribeInstances",
                format!("running, tags {}", tags.join(", ")),
            )]
        }
        Probe::Http(h) => vec![ApiCall::new(
            "http",
            "GET",
            format!(
                "{} (expect {:?} within {})",
                h.url, h.expect_status, h.timeout
            ),
        )],
        Probe::Route53Record(r) => vec![
            ApiCall::new("route53", "ListHostedZonesByName", &r.zone_name),
            ApiCall::new(
                "route53",
                "ListResourceRecordSets",
                format!("{} {:?}", r.record_name, r.record_type),
            ),
            ApiCall::new(
                "ec2",
                "DescribeInstances",
                "the record's targets are running",
            ),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{OPT_IN_TAG_KEY, load_experiment};

    fn experiment() -> Experiment {
        load_experiment(
            "api.yaml",
            include_str!("../../../examples/bookstore/api-instance-failure.yaml"),
        )
        .unwrap()
    }

    fn fleet() -> Vec<InstanceFacts> {
        (1..=5)
            .map(|i| {
                let mut tags = BTreeMap::from([
                    ("service".into(), "bookstore".into()),
                    ("role".into(), "api".into()),
                ]);
                if i < 5 {
                    tags.insert(OPT_IN_TAG_KEY.into(), "true".into());
                }
                InstanceFacts {
                    instance_id: format!("i-{i}"),
                    state: "running".into(),
                    availability_zone: "us-west-2a".into(),
                    tags,
                    addresses: vec![],
                }
            })
            .collect()
    }

    fn facts(kill: Option<&str>, alarm: Option<&str>, now: &str) -> PlanFacts {
        PlanFacts {
            now: DateTime::parse_from_rfc3339(now)
                .unwrap()
                .with_timezone(&Utc),
            kill_switch: KillSwitch {
                parameter: "/gameday/kill-switch".into(),
                value: kill.map(String::from),
            },
            stop_alarms: BTreeMap::from([(
                "bookstore-api-5xx-high".to_string(),
                alarm.map(String::from),
            )]),
            instances: BTreeMap::from([("api-instances".to_string(), fleet())]),
        }
    }

    #[test]
    fn a_clear_plan_lists_calls_in_phase_order_with_the_chosen_instance() {
        let plan = build_plan(
            &experiment(),
            &facts(Some("off"), Some("OK"), "2026-11-24T18:00:00Z"),
        );
        assert!(plan.would_start, "{:?}", plan.blockers);
        assert_eq!(plan.targets[0].chosen.len(), 1);
        let phases: Vec<&str> = plan.steps.iter().map(|s| s.phase.as_str()).collect();
        let mut sorted = phases.clone();
        let order = ["prepare", "inject", "observe", "recover", "validate"];
        sorted.sort_by_key(|p| order.iter().position(|o| o == p));
        assert_eq!(phases, sorted, "steps are in phase order");
        let terminate = plan
            .steps
            .iter()
            .find(|s| s.call.operation == "TerminateInstances")
            .unwrap();
        assert_eq!(terminate.call.detail, plan.targets[0].chosen[0].instance_id);
        assert!(
            plan.steps
                .iter()
                .any(|s| s.call.operation == "PutItem" && s.call.detail.starts_with("lock i-1"))
        );
    }

    #[test]
    fn every_safety_problem_is_a_blocker() {
        // 2026-11-20 is a Friday; 17:00 in Los Angeles is inside the Friday freeze.
        let plan = build_plan(
            &experiment(),
            &facts(
                Some("on"),
                Some("INSUFFICIENT_DATA"),
                "2026-11-21T01:00:00Z",
            ),
        );
        assert!(!plan.would_start);
        assert_eq!(plan.blockers.len(), 3, "{:?}", plan.blockers);
        assert!(plan.blockers[0].contains("kill switch"));
        assert!(plan.blockers[1].contains("INSUFFICIENT_DATA"));
        assert_eq!(plan.blocked_window.as_deref(), Some("friday-deploy-freeze"));
        let missing = build_plan(&experiment(), &facts(None, None, "2026-11-24T18:00:00Z"));
        // A missing kill switch fails closed, as a missing stop alarm does.
        assert!(missing.kill_switch.engaged);
        assert!(
            missing
                .blockers
                .iter()
                .any(|b| b.contains("kill switch") && b.contains("does not exist"))
        );
        assert!(
            missing
                .blockers
                .iter()
                .any(|b| b.contains("stop condition") && b.contains("does not exist"))
        );
    }

    #[test]
    fn a_criticality_period_in_force_refuses_the_plan() {
        use crate::playbook::{CriticalityPeriod, WeeklyPeriod, check_experiment};
        let mut playbook = crate::playbook::tests::bookstore();
        playbook.dependencies[0].criticality_period = CriticalityPeriod::Weekly(WeeklyPeriod {
            days: vec![crate::spec::Weekday::Tue],
            start_time: "09:00".into(),
            end_time: "11:00".into(),
            time_zone: "America/Los_Angeles".into(),
        });
        let experiment = experiment();
        // 2026-11-24 is a Tuesday; 18:00 UTC is 10:00 in Los Angeles.
        let facts = facts(Some("off"), Some("OK"), "2026-11-24T18:00:00Z");
        let check =
            check_experiment(&playbook, &experiment, "pb.yaml", "given", facts.now).unwrap();
        let plan = build_plan(&experiment, &facts).with_playbook(check);
        assert!(!plan.would_start);
        assert_eq!(plan.blockers.len(), 1, "{:?}", plan.blockers);
        assert!(
            plan.blockers[0].contains("criticality period of dependency `api`"),
            "{:?}",
            plan.blockers
        );
        // An hour later the period is over and nothing else blocks.
        let later = facts_at("2026-11-24T19:00:00Z");
        let check =
            check_experiment(&playbook, &experiment, "pb.yaml", "given", later.now).unwrap();
        let plan = build_plan(&experiment, &later).with_playbook(check);
        assert!(plan.would_start, "{:?}", plan.blockers);
        assert_eq!(plan.playbook.unwrap().windows.len(), 1);
    }

    fn facts_at(now: &str) -> PlanFacts {
        facts(Some("off"), Some("OK"), now)
    }
}
