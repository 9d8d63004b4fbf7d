//! Property tests of what the gate reads: the CodePipeline job event, the action's
//! UserParameters and the continuation token. Mutations of the sample events, JSON text edits
//! and random bytes never panic; every refusal says what is wrong and names the field a single
//! structural change was made to; what is accepted holds valid experiment names, a usable
//! margin, and (the token) reads back from its encoding. `GAMEDAY_PROPERTY_CASES` sets the
//! number of inputs per target.

use std::path::Path;

use gameday_properties::{
    Input, Outcome, check_all, lambda_payload, mentions_change, must_name, payload,
};
use pipeline_gate::event::{Job, parse_user_parameters};
use pipeline_gate::token::ContinuationToken;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde_json::Value;

fn event(name: &str) -> Value {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../events/pipeline-gate/{name}"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn events() -> Vec<Value> {
    vec![
        event("codepipeline-job.json"),
        event("codepipeline-job-continuation.json"),
    ]
}

/// A refusal says what is wrong, and names the only change when that reshaped its place.
fn check_refusal(input: &Input, message: &str, about: &str) -> Result<Outcome, TestCaseError> {
    prop_assert!(
        message.contains(about),
        "does not say it is about {}: {}",
        about,
        message
    );
    if let Some(change) = must_name(&input.changes) {
        prop_assert!(
            mentions_change(message, change),
            "does not name {:?}: {}",
            change,
            message
        );
    }
    Ok(Outcome::Rejected)
}

#[test]
fn job_event() {
    check_all("pipeline-gate job event", payload(&events()), |input| {
        let value: Value = match lambda_payload(&input.bytes) {
            Ok(value) => value,
            Err(error) => {
                prop_assert!(!error.message.trim().is_empty());
                return Ok(Outcome::Rejected);
            }
        };
        match Job::from_event(&value) {
            Ok(job) => {
                prop_assert!(!job.id.is_empty());
                prop_assert!(job.continuation_token.as_deref() != Some(""));
                Ok(Outcome::Accepted)
            }
            // Every field the gate reads is under CodePipeline.job, which the message names.
            Err(error) => check_refusal(
                &Input {
                    changes: Vec::new(),
                    ..input
                },
                &error.to_string(),
                "CodePipeline.job",
            ),
        }
    });
}

#[test]
fn user_parameters() {
    let mut seeds: Vec<Value> = events()
        .iter()
        .map(|e| {
            let text = e["CodePipeline.job"]["data"]["actionConfiguration"]["configuration"]["UserParameters"]
                .as_str()
                .unwrap();
            serde_json::from_str(text).unwrap()
        })
        .collect();
    seeds.push(serde_json::json!({"service": "bookstore", "experiments": ["api-instance-failure", "database-failure"], "baselineMarginPercent": 50}));
    check_all(
        "pipeline-gate UserParameters",
        payload(&seeds),
        |input| match parse_user_parameters(Some(&input.as_text())) {
            Ok(parameters) => {
                for name in parameters.gated.experiments() {
                    prop_assert!(
                        !name.is_empty() && name.len() <= 64 && !name.starts_with('-'),
                        "{}",
                        name
                    );
                }
                if let Some(margin) = parameters.baseline_margin_percent {
                    prop_assert!(margin.is_finite() && margin >= 0.0);
                }
                Ok(Outcome::Accepted)
            }
            Err(error) => check_refusal(&input, &error.to_string(), "UserParameters"),
        },
    );
}

#[test]
fn continuation_token() {
    let token = event("codepipeline-job-continuation.json")["CodePipeline.job"]["data"]["continuationToken"]
        .as_str()
        .map(|text| serde_json::from_str::<Value>(text).unwrap())
        .unwrap();
    check_all(
        "pipeline-gate continuation token",
        payload(&[token]),
        |input| match ContinuationToken::decode(&input.as_text()) {
            Ok(token) => {
                prop_assert_eq!(ContinuationToken::decode(&token.encode()).ok(), Some(token));
                Ok(Outcome::Accepted)
            }
            Err(error) => check_refusal(&input, &error.to_string(), "continuation token"),
        },
    );
}
