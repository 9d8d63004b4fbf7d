//! Settings of the phase handlers, from the environment in Lambda.

use std::time::Duration;

use gameday_aws::parameters::DEFAULT_KILL_SWITCH_PARAMETER;

#[derive(Debug, Clone, PartialEq)]
pub struct PhaseConfig {
    /// The deployment's SNS topic; an experiment's `notify.topicArn` overrides it.
    pub topic_arn: Option<String>,
    pub kill_switch_parameter: String,
    /// How long a target lock lives beyond the experiment's own span, so a lost run's locks
    /// expire by themselves.
    pub lock_margin: Duration,
    /// Observation samples kept in full in the run record; older ones are summarised.
    pub samples_kept: usize,
}

impl Default for PhaseConfig {
    fn default() -> Self {
        Self {
            topic_arn: None,
            kill_switch_parameter: DEFAULT_KILL_SWITCH_PARAMETER.to_string(),
            lock_margin: Duration::from_secs(3_600),
            samples_kept: 60,
        }
    }
}

impl PhaseConfig {
    /// `TOPIC_ARN`, `KILL_SWITCH_PARAMETER`, `LOCK_MARGIN_SECONDS` and `SAMPLES_KEPT`, with the
    /// defaults above for what is not set.
    pub fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let defaults = Self::default();
        Self {
            topic_arn: var("TOPIC_ARN"),
            kill_switch_parameter: var("KILL_SWITCH_PARAMETER")
                .unwrap_or(defaults.kill_switch_parameter),
            lock_margin: var("LOCK_MARGIN_SECONDS")
                .and_then(|v| v.parse().ok())
                .map(Duration::from_secs)
                .unwrap_or(defaults.lock_margin),
            samples_kept: var("SAMPLES_KEPT")
                .and_then(|v| v.parse().ok())
                .unwrap_or(defaults.samples_kept),
        }
    }
}
