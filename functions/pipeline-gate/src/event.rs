//! The CodePipeline job event, and the action's UserParameters: what the gate runs.
//!
//! Only the fields the gate reads are parsed (job id, UserParameters, continuation token), so
//! artifacts and credentials in the event never matter.

use serde::Deserialize;
use serde_json::Value;

use crate::error::GateError;

/// The most experiments one suite gate runs; the continuation token (2048 characters at most)
/// names each of them.
pub const MAX_SUITE_EXPERIMENTS: usize = 20;

const EXAMPLES: &str = r#"{"experiment": "<metadata.name>"} or {"service": "<service>", "experiments": ["<metadata.name>", ...]}"#;

#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: String,
    pub user_parameters: Option<String>,
    /// Set on every call after the first: the token the gate returned before.
    pub continuation_token: Option<String>,
}

impl Job {
    pub fn from_event(event: &Value) -> Result<Self, GateError> {
        let job = event
            .get("CodePipeline.job")
            .ok_or_else(|| GateError::NotAJob("no `CodePipeline.job` field".into()))?;
        let id = job
            .get("id")
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty())
            .ok_or_else(|| {
                GateError::NotAJob("`CodePipeline.job.id` is missing, empty or not text".into())
            })?;
        let data = &job["data"];
        let text = |value: &Value| value.as_str().map(String::from);
        Ok(Self {
            id: id.to_string(),
            user_parameters: text(&data["actionConfiguration"]["configuration"]["UserParameters"]),
            continuation_token: text(&data["continuationToken"]).filter(|t| !t.is_empty()),
        })
    }
}

/// What a gate runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Gated {
    /// One stored experiment, by its metadata.name, on the experiment state machine.
    Experiment(String),
    /// A service's experiments, one after another, on the suite state machine.
    Suite {
        service: String,
        experiments: Vec<String>,
    },
}

impl Gated {
    pub fn experiments(&self) -> Vec<&str> {
        match self {
            Gated::Experiment(name) => vec![name.as_str()],
            Gated::Suite { experiments, .. } => experiments.iter().map(String::as_str).collect(),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Gated::Experiment(name) => format!("experiment {name}"),
            Gated::Suite {
                service,
                experiments,
            } => format!(
                "the suite of service {service} ({} experiments)",
                experiments.len()
            ),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct GateParameters {
    pub gated: Gated,
    /// Overrides `BASELINE_MARGIN_PERCENT` for this action.
    pub baseline_margin_percent: Option<f64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawParameters {
    experiment: Option<String>,
    service: Option<String>,
    experiments: Option<Vec<String>>,
    baseline_margin_percent: Option<f64>,
}

fn invalid(message: String) -> GateError {
    GateError::Configuration(message)
}

/// The action's UserParameters, checked; every error names the field and the fix.
pub fn parse_user_parameters(text: Option<&str>) -> Result<GateParameters, GateError> {
    let text = text
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            invalid(format!(
                "the action has no UserParameters; set the action's UserParameters to {EXAMPLES}"
            ))
        })?;
    let raw: RawParameters = read_json(text).map_err(|(field, e)| {
        invalid(format!(
            "UserParameters{field} is not valid: {e}; set it to JSON like {EXAMPLES}"
        ))
    })?;
    if let Some(margin) = raw.baseline_margin_percent
        && !(margin.is_finite() && margin >= 0.0)
    {
        return Err(invalid(format!(
            "UserParameters.baselineMarginPercent is {margin}; give a percentage of 0 or more, such as 20"
        )));
    }
    let gated = match (raw.experiment, raw.service, raw.experiments) {
        (Some(_), Some(_), _) | (Some(_), None, Some(_)) => {
            return Err(invalid(format!(
                "UserParameters gives both `experiment` and `service`/`experiments`; gate one experiment or one service's suite: {EXAMPLES}"
            )));
        }
        (Some(name), None, None) => Gated::Experiment(checked_name("experiment", &name)?),
        (None, Some(service), Some(experiments)) => {
            if service.trim().is_empty() {
                return Err(invalid(
                    "UserParameters.service is empty; give the experiments' metadata.service"
                        .into(),
                ));
            }
            if experiments.is_empty() || experiments.len() > MAX_SUITE_EXPERIMENTS {
                return Err(invalid(format!(
                    "UserParameters.experiments has {} names; list 1 to {MAX_SUITE_EXPERIMENTS} experiment names (metadata.name), or split the suite over several actions",
                    experiments.len()
                )));
            }
            let experiments = experiments
                .iter()
                .enumerate()
                .map(|(i, name)| checked_name(&format!("experiments[{i}]"), name))
                .collect::<Result<_, _>>()?;
            Gated::Suite {
                service,
                experiments,
            }
        }
        (None, Some(service), None) => {
            return Err(invalid(format!(
                "UserParameters.experiments is missing: list the experiments of service {service} to run, e.g. {{\"service\": \"{service}\", \"experiments\": [\"<metadata.name>\"]}} (the table has no index of experiments by service)"
            )));
        }
        (None, None, _) => {
            return Err(invalid(format!(
                "UserParameters names nothing to gate; set `experiment` or `service`: {EXAMPLES}"
            )));
        }
    };
    Ok(GateParameters {
        gated,
        baseline_margin_percent: raw.baseline_margin_percent,
    })
}

/// Reads JSON `text` as `T`; an error comes with the field it is in (`.experiments[1]`, or
/// nothing for the whole text), which serde_json's own errors do not name.
pub(crate) fn read_json<T: serde::de::DeserializeOwned>(
    text: &str,
) -> Result<T, (String, serde_json::Error)> {
    let deserializer = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let path = error.path().to_string();
        let field = if path == "." {
            String::new()
        } else {
            format!(".{path}")
        };
        (field, error.into_inner())
    })
}

/// `name` if it can be an experiment's metadata.name (the spec's NAME_PATTERN).
fn checked_name(field: &str, name: &str) -> Result<String, GateError> {
    let valid = (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if valid {
        Ok(name.to_string())
    } else {
        Err(invalid(format!(
            "UserParameters.{field} `{name}` is not an experiment name; give the experiment's metadata.name (lowercase letters, digits and inner hyphens, at most 64), as stored in the table"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn error(text: &str) -> String {
        parse_user_parameters(Some(text)).unwrap_err().to_string()
    }

    #[test]
    fn reads_the_job_id_token_and_parameters() {
        let event = json!({"CodePipeline.job": {"id": "job-1", "data": {
            "actionConfiguration": {"configuration": {"FunctionName": "gate", "UserParameters": "{\"experiment\": \"api\"}"}},
            "continuationToken": "tok"}}});
        let job = Job::from_event(&event).unwrap();
        assert_eq!(job.id, "job-1");
        assert_eq!(job.continuation_token.as_deref(), Some("tok"));
        assert_eq!(
            parse_user_parameters(job.user_parameters.as_deref())
                .unwrap()
                .gated,
            Gated::Experiment("api".into())
        );
        assert!(matches!(
            Job::from_event(&json!({"detail": {}})),
            Err(GateError::NotAJob(_))
        ));
    }

    #[test]
    fn a_suite_lists_its_experiments_and_may_override_the_margin() {
        let parameters = parse_user_parameters(Some(
            r#"{"service": "bookstore", "experiments": ["api-instance-failure", "db"], "baselineMarginPercent": 50}"#,
        ))
        .unwrap();
        assert_eq!(parameters.baseline_margin_percent, Some(50.0));
        assert_eq!(
            parameters.gated.experiments(),
            vec!["api-instance-failure", "db"]
        );
    }

    #[test]
    fn bad_parameters_name_the_field_and_the_fix() {
        assert!(
            parse_user_parameters(None)
                .unwrap_err()
                .to_string()
                .contains("no UserParameters")
        );
        assert!(error("experiment: api").contains("UserParameters is not valid"));
        assert!(error(r#"{"experimnt": "api"}"#).contains("unknown field `experimnt`"));
        assert!(
            error(r#"{"service": "s", "experiments": ["a", 5]}"#)
                .contains("UserParameters.experiments[1] is not valid: invalid type: integer `5`")
        );
        assert!(
            error(r#"{"experiment": "Api Test"}"#).contains("UserParameters.experiment `Api Test`")
        );
        assert!(error(r#"{"experiment": "a", "service": "s"}"#).contains("both"));
        assert!(
            error(r#"{"service": "bookstore"}"#).contains("UserParameters.experiments is missing")
        );
        assert!(
            error(r#"{"service": "s", "experiments": ["ok", "-bad"]}"#).contains("experiments[1]")
        );
        assert!(
            error(r#"{"experiment": "a", "baselineMarginPercent": -1}"#)
                .contains("baselineMarginPercent")
        );
        assert!(error("{}").contains("names nothing to gate"));
    }
}
