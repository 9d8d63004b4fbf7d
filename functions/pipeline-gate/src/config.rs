//! The gate's settings, from the function's environment.

use chrono::Duration;

use crate::error::GateError;

pub const DEFAULT_BASELINE_MARGIN_PERCENT: f64 = 20.0;
pub const DEFAULT_BASELINE_RUNS: usize = 5;
pub const DEFAULT_TIMEOUT_MINUTES: i64 = 60;

#[derive(Debug, Clone, PartialEq)]
pub struct GateConfig {
    /// `EXPERIMENT_STATE_MACHINE_ARN`: needed by `{"experiment": ...}` gates.
    pub experiment_state_machine_arn: Option<String>,
    /// `SUITE_STATE_MACHINE_ARN`: needed by `{"service": ...}` gates.
    pub suite_state_machine_arn: Option<String>,
    /// `BASELINE_MARGIN_PERCENT`: how much slower than the baseline a recovery may be.
    pub baseline_margin_percent: f64,
    /// `BASELINE_RUNS`: how many earlier passed runs make the baseline (their median).
    pub baseline_runs: usize,
    /// `GATE_TIMEOUT_MINUTES`: how long the job waits for the execution.
    pub timeout: Duration,
}

impl GateConfig {
    pub fn from_env() -> Result<Self, GateError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// The settings from `lookup` (an environment); unset or empty values take the defaults.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, GateError> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let margin = match get("BASELINE_MARGIN_PERCENT") {
            None => DEFAULT_BASELINE_MARGIN_PERCENT,
            Some(text) => margin_percent(&text).map_err(|why| {
                GateError::Configuration(format!(
                    "environment variable BASELINE_MARGIN_PERCENT=`{text}` {why}; set a percentage such as 20"
                ))
            })?,
        };
        let whole = |name: &str, default: i64| -> Result<i64, GateError> {
            match get(name) {
                None => Ok(default),
                Some(text) => text.parse::<i64>().ok().filter(|n| *n >= 1).ok_or_else(|| {
                    GateError::Configuration(format!(
                        "environment variable {name}=`{text}` is not a whole number of at least 1; set it like {default}, or unset it for the default {default}"
                    ))
                }),
            }
        };
        Ok(Self {
            experiment_state_machine_arn: get("EXPERIMENT_STATE_MACHINE_ARN"),
            suite_state_machine_arn: get("SUITE_STATE_MACHINE_ARN"),
            baseline_margin_percent: margin,
            baseline_runs: whole("BASELINE_RUNS", DEFAULT_BASELINE_RUNS as i64)? as usize,
            timeout: Duration::minutes(whole("GATE_TIMEOUT_MINUTES", DEFAULT_TIMEOUT_MINUTES)?),
        })
    }
}

/// A margin in percent: a finite number, 0 or more. `Err` says what is wrong with it.
pub fn margin_percent(text: &str) -> Result<f64, &'static str> {
    match text.parse::<f64>() {
        Ok(value) if value.is_finite() && value >= 0.0 => Ok(value),
        Ok(_) => Err("is not a finite number of 0 or more"),
        Err(_) => Err("is not a number"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<GateConfig, GateError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        GateConfig::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn unset_values_take_the_defaults() {
        let config = config(&[("SUITE_STATE_MACHINE_ARN", "")]).unwrap();
        assert_eq!(config.baseline_margin_percent, 20.0);
        assert_eq!(config.baseline_runs, 5);
        assert_eq!(config.timeout, Duration::minutes(60));
        assert_eq!(config.suite_state_machine_arn, None);
    }

    #[test]
    fn bad_values_name_the_variable_and_the_fix() {
        let error = config(&[("BASELINE_MARGIN_PERCENT", "-5")]).unwrap_err();
        assert!(
            error.to_string().contains("BASELINE_MARGIN_PERCENT=`-5`"),
            "{error}"
        );
        let error = config(&[("GATE_TIMEOUT_MINUTES", "soon")]).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("GATE_TIMEOUT_MINUTES=`soon` is not a whole number")
        );
        assert_eq!(config(&[("BASELINE_RUNS", "3")]).unwrap().baseline_runs, 3);
    }
}
