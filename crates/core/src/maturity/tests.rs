//! One test at each stage boundary: the evidence of exactly stage N, and the same evidence
//! with one thing taken away, which falls back to stage N - 1 and names what is missing.

use chrono::{DateTime, Utc};

use super::*;
use crate::cadence::{check_cadence, default_max_interval};
use crate::duration::IsoDuration;

fn now() -> DateTime<Utc> {
    "2026-12-01T00:00:00Z".parse().unwrap()
}

fn on_time() -> CadenceCheck {
    check_cadence(
        Some("2026-11-20T00:00:00Z".parse().unwrap()),
        default_max_interval(),
        now(),
    )
}

fn experiment(name: &str, dependency: &str, production: bool) -> ExperimentEvidence {
    ExperimentEvidence {
        name: name.into(),
        dependency: dependency.into(),
        production,
        scheduled: false,
        cadence: on_time(),
        verdict_runs: 1,
        publishes_results: false,
        gates_deploys: false,
    }
}

fn rto(minutes: u64) -> Measurement {
    Measurement::new(
        minutes as f64 * 60.0,
        "PT12H".parse::<IsoDuration>().unwrap(),
        "INSYNC - alarm",
    )
}

fn failover(production: bool, rtos: Vec<Measurement>) -> FailoverEvidence {
    FailoverEvidence {
        service: if production {
            "bookstore-api-prod"
        } else {
            "bookstore-api"
        }
        .into(),
        dependency: "api".into(),
        automated: true,
        production,
        rtos,
    }
}

/// The evidence of exactly `stage`, built up one stage at a time.
fn evidence_at(stage: u8) -> Evidence {
    let mut evidence = Evidence {
        service: "bookstore".into(),
        playbook: PlaybookFacts::default(),
        experiments: Vec::new(),
        failovers: Vec::new(),
    };
    if stage >= 1 {
        evidence.playbook = PlaybookFacts {
            dependencies: vec!["api".into(), "database".into()],
            scenarios: 2,
            contacts: 3,
            manual_exercises: 1,
        };
    }
    if stage >= 2 {
        evidence.experiments = vec![
            experiment("api-instance-failure", "api", false),
            experiment("database-failure", "database", false),
        ];
    }
    if stage >= 3 {
        let scheduled = &mut evidence.experiments[0];
        scheduled.scheduled = true;
        scheduled.publishes_results = true;
        evidence
            .experiments
            .push(experiment("api-instance-failure-prod", "api", true));
    }
    if stage >= 4 {
        for e in evidence.experiments.iter_mut().filter(|e| !e.production) {
            e.scheduled = true;
            e.publishes_results = true;
        }
        evidence.failovers.push(failover(false, vec![rto(20)]));
    }
    if stage >= 5 {
        let production = &mut evidence.experiments[2];
        production.scheduled = true;
        production.publishes_results = true;
        production.gates_deploys = true;
        evidence
            .failovers
            .push(failover(true, vec![rto(25), rto(800)]));
    }
    evidence
}

fn assert_stage(evidence: &Evidence, stage: u8) -> Assessment {
    let assessment = assess(evidence);
    assert_eq!(assessment.stage, stage, "{:#?}", assessment.stages);
    assessment
}

fn assert_missing(assessment: &Assessment, needle: &str) {
    assert!(
        assessment
            .missing_for_next
            .iter()
            .any(|m| m.contains(needle)),
        "`{needle}` not in {:#?}",
        assessment.missing_for_next
    );
}

#[test]
fn every_built_level_is_exactly_its_stage() {
    for stage in 0..=TOP_STAGE {
        let assessment = assert_stage(&evidence_at(stage), stage);
        assert_eq!(
            assessment.next_stage,
            (stage < TOP_STAGE).then_some(stage + 1)
        );
        assert_eq!(assessment.missing_for_next.is_empty(), stage == TOP_STAGE);
    }
}

#[test]
fn stage_1_needs_a_manual_exercise() {
    let mut evidence = evidence_at(1);
    evidence.playbook.manual_exercises = 0;
    let assessment = assert_stage(&evidence, 0);
    assert_eq!(assessment.next_stage, Some(1));
    assert_eq!(assessment.missing_for_next.len(), 1);
    assert_missing(&assessment, "manual failover exercise");
    assert_stage(&evidence_at(0), 0);
    assert_eq!(assess(&evidence_at(0)).missing_for_next.len(), 4);
}

#[test]
fn stage_2_needs_every_dependency_exercised_outside_production() {
    let mut evidence = evidence_at(2);
    evidence.experiments[1].verdict_runs = 0;
    assert_missing(&assert_stage(&evidence, 1), "`database`");
    // An experiment of the dependency in production does not stand in for non-production.
    evidence.experiments[1] = experiment("database-failure", "database", true);
    assert_stage(&evidence, 1);
}

#[test]
fn stage_3_needs_a_kept_schedule_published_results_and_production() {
    let mut no_production = evidence_at(3);
    no_production.experiments.pop();
    assert_missing(&assert_stage(&no_production, 2), "production");

    let mut overdue = evidence_at(3);
    overdue.experiments[0].cadence = check_cadence(
        Some("2026-10-01T00:00:00Z".parse().unwrap()),
        default_max_interval(),
        now(),
    );
    assert_missing(
        &assert_stage(&overdue, 2),
        "overdue or never run: api-instance-failure",
    );

    let mut unpublished = evidence_at(3);
    unpublished.experiments[0].publishes_results = false;
    assert_missing(&assert_stage(&unpublished, 2), "notify");
}

#[test]
fn stage_4_needs_automated_failover_inside_its_rto() {
    let mut missed = evidence_at(4);
    missed.failovers[0].rtos = vec![rto(13 * 60), rto(20)];
    assert_missing(&assert_stage(&missed, 3), "MISSED");

    let mut never_drilled = evidence_at(4);
    never_drilled.failovers[0].rtos.clear();
    assert_missing(
        &assert_stage(&never_drilled, 3),
        "gameday failover drill bookstore-api",
    );

    let mut manual_test = evidence_at(4);
    manual_test.experiments[1].scheduled = false;
    assert_missing(
        &assert_stage(&manual_test, 3),
        "not scheduled: database-failure",
    );
}

#[test]
fn stage_5_needs_the_pipeline_gate_and_production_failover() {
    let mut no_gate = evidence_at(5);
    no_gate.experiments[2].gates_deploys = false;
    assert_missing(&assert_stage(&no_gate, 4), "pipeline");

    let mut no_production_failover = evidence_at(5);
    no_production_failover.failovers.pop();
    assert_missing(
        &assert_stage(&no_production_failover, 4),
        "acts in production",
    );

    let mut production_by_hand = evidence_at(5);
    production_by_hand.experiments[2].scheduled = false;
    assert_missing(
        &assert_stage(&production_by_hand, 4),
        "api-instance-failure-prod",
    );
}

#[test]
fn a_later_stage_does_not_count_without_the_earlier_ones() {
    let mut evidence = evidence_at(5);
    evidence.playbook.contacts = 0;
    let assessment = assert_stage(&evidence, 0);
    assert!(assessment.stages[1..].iter().all(|s| s.met));
    assert_missing(&assessment, "contacts");
}
