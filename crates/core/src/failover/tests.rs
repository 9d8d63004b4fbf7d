use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::*;
use crate::duration::IsoDuration;

const EXAMPLE: &str = include_str!("../../../../examples/bookstore/failover.yaml");

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
}

fn errors(text: &str) -> Vec<String> {
    load_failover_file("failover.yaml", text)
        .expect_err("the file should be refused")
        .iter()
        .map(|d| d.to_string())
        .collect()
}

#[test]
fn the_bookstore_example_loads_with_three_procedures() {
    let file = load_failover_file("failover.yaml", EXAMPLE).unwrap_or_else(|e| {
        panic!(
            "{}",
            e.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        )
    });
    let kinds: Vec<&str> = file.policies.iter().map(|p| p.procedure.kind()).collect();
    assert_eq!(kinds, ["ec2", "rds", "s3-static"]);
    let api = file.policy_for_alarm("bookstore-api-unhealthy").unwrap();
    assert_eq!(api.service, "bookstore-api");
    assert_eq!(api.rto, IsoDuration::from_secs(12 * 3600));
    let leads: Vec<String> = file.leads_of(api).into_iter().map(|c| c.name).collect();
    assert_eq!(leads, ["Bob", "Alice"]);
    let Procedure::Ec2(ec2) = &api.procedure else {
        panic!("ec2")
    };
    assert!(ec2.restart_first);
    assert_eq!(
        ec2.relaunch.as_ref().unwrap().launch_template,
        "bookstore-api-ec2"
    );
    assert_eq!(ec2.health.interval, IsoDuration::from_secs(15));
    assert_eq!(api.dns().ttl, 60);
    let cdn = file.policy_for_service("bookstore-cdn").unwrap();
    assert_eq!(cdn.rto, IsoDuration::from_secs(24 * 3600));
    assert!(file.policy_for_alarm("unknown").is_none());
    // JSON round trip keeps the policy.
    let json = serde_json::to_string(&file.resolved(api)).unwrap();
    let back: ResolvedPolicy = serde_json::from_str(&json).unwrap();
    assert_eq!(back.policy, *api);
}

#[test]
fn structural_errors_name_line_field_and_fix() {
    let text = EXAMPLE.replace("restartFirst: true", "restartFirts: true");
    let text = text.replace("kind: rds", "kind: rdss");
    let found = errors(&text);
    assert!(
        found.iter().any(
            |e| e.contains("policies[0].procedure.restartFirts: unknown field")
                && e.contains("did you mean `restartFirst`")
        ),
        "{found:#?}"
    );
    assert!(
        found.iter().any(
            |e| e.contains("policies[1].procedure.kind: unknown kind `rdss`")
                && e.contains("use one of: ec2, rds, s3-static")
        ),
        "{found:#?}"
    );
    let line = found
        .iter()
        .find(|e| e.contains("restartFirts"))
        .unwrap()
        .split(':')
        .nth(1)
        .unwrap()
        .to_string();
    let expected = EXAMPLE
        .lines()
        .position(|l| l.contains("restartFirst"))
        .unwrap()
        + 1;
    assert_eq!(line, expected.to_string());
}

#[test]
fn durations_patterns_and_missing_fields_are_explained() {
    let text = EXAMPLE
        .replacen("rto: PT12H", "rto: 12 hours", 1)
        .replace(
            "zoneName: bookstore.example.com\n        recordName: api",
            "zoneName: bookstore.example.com\n        recordName: not a name api",
        )
        .replace("    alarms: [bookstore-db-unavailable]\n", "");
    let found = errors(&text);
    assert!(
        found.iter().any(
            |e| e.contains("policies[0].rto: `12 hours` is not an ISO-8601 duration")
                && e.contains("fix: write it like PT30S")
        ),
        "{found:#?}"
    );
    assert!(
        found
            .iter()
            .any(|e| e.contains("policies[0].procedure.dns.recordName")
                && e.contains("is not a DNS name")),
        "{found:#?}"
    );
    assert!(
        found
            .iter()
            .any(|e| e.contains("policies[1]: missing required field `alarms`")),
        "{found:#?}"
    );
}

#[test]
fn semantic_rules_are_reported_together() {
    let text = EXAMPLE
        .replace("alarms: [bookstore-db-unavailable]", "alarms: [bookstore-api-unhealthy]")
        .replace("leads: [Bob, Alice]", "leads: [Bobby, Alice]")
        .replace("replica: bookstore-db-replica", "replica: bookstore-db")
        .replace(
            "      relaunch:\n        launchTemplate: bookstore-api-ec2\n        templateVersion: $Default\n        imageTags: {backup-of: bookstore-api}\n",
            "",
        )
        .replace("recordName: db.bookstore.example.com", "recordName: db.other.example.org");
    let found = errors(&text);
    let expect = [
        "policies[1].alarms[0]: alarm `bookstore-api-unhealthy` already starts the failover of policies[0]",
        "policies[0].leads[0]: lead `Bobby` is not in `contacts`",
        "policies[1].procedure.replica: the replica is the primary itself",
        "policies[0].procedure: the procedure has no way to replace the primary",
        "policies[1].procedure.dns.recordName: `db.other.example.org` is not inside the zone",
    ];
    for wanted in expect {
        assert!(
            found.iter().any(|e| e.contains(wanted)),
            "{wanted}\n{found:#?}"
        );
    }
    assert!(found.iter().any(|e| e.contains("did you mean `Bob`")));
}

#[test]
fn instance_refs_need_exactly_one_of_id_and_tags() {
    let text = EXAMPLE.replace(
        "tags: {service: bookstore, role: api, failover: primary}",
        "instanceId: i-0123456789abcdef0\n        tags: {service: bookstore}",
    );
    assert!(
        errors(&text)
            .iter()
            .any(|e| e.contains("policies[0].procedure.primary: both `instanceId` and `tags`"))
    );
}

#[test]
fn syntax_errors_keep_their_position() {
    let found = errors("apiVersion: gameday/v1\npolicies: [\n");
    assert_eq!(found.len(), 1);
    assert!(found[0].starts_with("failover.yaml:"), "{}", found[0]);
}

fn event() -> AlarmEvent {
    AlarmEvent {
        alarm_name: "bookstore-api-unhealthy".into(),
        state: "ALARM".into(),
        alarm_at: at(0),
        source: "eventbridge".into(),
        event_id: Some("e-1".into()),
        reason: "threshold crossed".into(),
    }
}

#[test]
fn ledger_measures_rto_from_alarm_to_insync() {
    let mut entry = LedgerEntry::new("f-1", "bookstore-api", "api", "ec2", event(), at(2));
    entry.record(Step::LockTaken, StepStatus::Done, at(3), "");
    entry.record(Step::DnsUpserted, StepStatus::Done, at(40), "");
    entry.record(Step::ChangeInsync, StepStatus::Done, at(42), "");
    entry.measure_rto(at(42), IsoDuration::from_secs(12 * 3600), "INSYNC − alarm");
    entry.finish(Outcome::FailedOver, at(43));
    let rto = entry.rto.as_ref().unwrap();
    assert_eq!(rto.measured_seconds, 42.0);
    assert!(rto.met);
    assert_eq!(rto.verdict(), "42 s of 12 h (met)");
    assert!(entry.is_in_time_order());
    assert_eq!(entry.steps[0].step, Step::EventReceived);
    assert_eq!(
        entry.summary(),
        "bookstore-api failover f-1: FAILED_OVER; RTO 42 s of 12 h (met)"
    );
    let json = serde_json::to_value(&entry).unwrap();
    assert_eq!(json["outcome"], "FAILED_OVER");
    assert_eq!(json["steps"][2]["step"], "dns-upserted");
    assert_eq!(json["rto"]["measuredSeconds"], 42.0);
    let back: LedgerEntry = serde_json::from_value(json).unwrap();
    assert_eq!(back, entry);
}

#[test]
fn a_missed_rto_a_failure_and_a_clock_going_back() {
    let mut entry = LedgerEntry::new("f-2", "bookstore-api", "api", "ec2", event(), at(5));
    entry.record(Step::LockTaken, StepStatus::Done, at(4), "");
    assert_eq!(entry.steps[1].at, at(5), "held at the previous step's time");
    entry.measure_rto(at(7_300), IsoDuration::from_secs(3600), "INSYNC − alarm");
    assert!(!entry.rto.as_ref().unwrap().met);
    assert_eq!(
        entry.rto.as_ref().unwrap().verdict(),
        "2 h 1 min 40 s of 1 h (MISSED)"
    );
    entry.fail(Step::ReplacementLaunched, at(6), "RunInstances was refused");
    entry.finish(Outcome::FailedOver, at(7));
    assert_eq!(
        entry.outcome,
        Outcome::Failed,
        "a failure is not overwritten"
    );
    assert_eq!(
        entry.failure.as_ref().unwrap().step,
        Step::ReplacementLaunched
    );
    assert_eq!(
        entry.step(Step::ReplacementLaunched).unwrap().status,
        StepStatus::Failed
    );
}

#[test]
fn duplicates_name_the_holder() {
    let mut entry = LedgerEntry::new("f-3", "bookstore-api", "api", "ec2", event(), at(1));
    entry.skip_as_duplicate("f-1", at(1), "lock held");
    assert_eq!(entry.outcome, Outcome::Duplicate);
    assert_eq!(entry.duplicate_of.as_deref(), Some("f-1"));
    assert!(entry.summary().ends_with("duplicate of f-1"));
}

#[test]
fn the_lock_blocks_while_running_and_for_the_cooldown() {
    let max = IsoDuration::from_secs(1800);
    let cooldown = IsoDuration::from_secs(600);
    let held = blocked_while_running(at(0), max);
    assert!(is_blocked(held, at(1799)));
    assert!(
        !is_blocked(held, at(1800)),
        "a crashed holder is taken over"
    );
    let after = blocked_after(Outcome::FailedOver, at(100), cooldown);
    assert!(is_blocked(after, at(699)));
    assert!(!is_blocked(after, at(700)));
    assert!(is_blocked(
        blocked_after(Outcome::Failed, at(100), cooldown),
        at(200)
    ));
    assert!(
        !is_blocked(
            blocked_after(Outcome::Cancelled, at(100), cooldown),
            at(100)
        ),
        "a cancelled failover leaves no cooldown"
    );
}

#[test]
fn manifests_list_missing_and_changed_objects() {
    let manifest = Manifest::parse(
        r#"{"objects": [{"key": "index.html", "size": 10}, {"key": "static/app.css"}, {"key": "static/app.js", "size": 5}]}"#,
    )
    .unwrap();
    let present = BTreeMap::from([
        ("index.html".to_string(), 10),
        ("static/app.js".to_string(), 7),
    ]);
    assert_eq!(
        manifest.missing_from(&present),
        [
            "static/app.css is missing",
            "static/app.js has 7 bytes instead of 5"
        ]
    );
    assert!(Manifest::parse(r#"{"objects": []}"#).is_err());
    assert!(
        Manifest::parse("index.html\n")
            .unwrap_err()
            .to_string()
            .contains("write JSON like")
    );
}

#[test]
fn human_durations() {
    assert_eq!(human_seconds(0.25), "0.2 s");
    assert_eq!(human_seconds(42.0), "42 s");
    assert_eq!(human_seconds(425.0), "7 min 5 s");
    assert_eq!(human_seconds(43_200.0), "12 h");
}

#[test]
fn the_schema_names_the_procedures() {
    let schema = failover_schema().to_string();
    for kind in ["\"ec2\"", "\"rds\"", "\"s3-static\""] {
        assert!(schema.contains(kind), "{kind}");
    }
}
