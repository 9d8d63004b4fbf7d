//! CloudWatch: alarm states (stop conditions, alarm probes) and metric statistics (metric
//! probes). The SDK speaks rpc-v2-cbor; the sandbox serves it through its CBOR front.

use std::collections::BTreeMap;
use std::future::Future;

use aws_sdk_cloudwatch::primitives::DateTime as SdkDateTime;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat};
use chrono::{DateTime, Utc};
use gameday_core::spec::MetricProbe;

use crate::error::{AwsError, from_sdk};

pub trait AlarmReader {
    /// The state (`OK`, `ALARM`, `INSUFFICIENT_DATA`) of each named alarm; `None` when it does
    /// not exist. Metric and composite alarms are both looked up.
    fn alarm_states(
        &self,
        names: &[String],
    ) -> impl Future<Output = Result<BTreeMap<String, Option<String>>, AwsError>> + Send;
}

pub trait MetricReader {
    /// The probe's statistic over the latest complete period before `now`, or `None` without data.
    fn latest_statistic(
        &self,
        probe: &MetricProbe,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Option<f64>, AwsError>> + Send;
}

pub trait AlarmWriter {
    /// Forces `alarm_name` into `state` (`OK`, `ALARM`, `INSUFFICIENT_DATA`) until its next
    /// evaluation; used to rehearse alarm-driven failover and to undo that rehearsal.
    fn set_alarm_state(
        &self,
        alarm_name: &str,
        state: &str,
        reason: &str,
    ) -> impl Future<Output = Result<(), AwsError>> + Send;
}

/// The metrics a finished run publishes, in namespace `Gameday`.
#[derive(Debug, Clone, PartialEq)]
pub struct RunMetrics {
    pub experiment: String,
    pub service: String,
    /// PASSED, FAILED, ABORTED or ERRORED.
    pub verdict: String,
    pub recovery_seconds: Option<f64>,
    pub availability_percent: Option<f64>,
}

pub trait MetricWriter {
    /// Publishes `Runs` (count, dimension Verdict), `RecoverySeconds` and `AvailabilityPercent`
    /// with dimensions Experiment and Service.
    fn put_run_metrics(
        &self,
        metrics: &RunMetrics,
    ) -> impl Future<Output = Result<(), AwsError>> + Send;
}

#[derive(Clone, Debug)]
pub struct CloudWatchAlarms {
    client: aws_sdk_cloudwatch::Client,
}

impl CloudWatchAlarms {
    pub fn new(client: aws_sdk_cloudwatch::Client) -> Self {
        Self { client }
    }
}

/// DescribeAlarms takes at most 100 names per call.
const ALARM_NAMES_PER_CALL: usize = 100;

impl AlarmReader for CloudWatchAlarms {
    async fn alarm_states(
        &self,
        names: &[String],
    ) -> Result<BTreeMap<String, Option<String>>, AwsError> {
        let mut states: BTreeMap<String, Option<String>> =
            names.iter().map(|n| (n.clone(), None)).collect();
        for chunk in names.chunks(ALARM_NAMES_PER_CALL) {
            let output = self
                .client
                .describe_alarms()
                .set_alarm_names(Some(chunk.to_vec()))
                .alarm_types(aws_sdk_cloudwatch::types::AlarmType::MetricAlarm)
                .alarm_types(aws_sdk_cloudwatch::types::AlarmType::CompositeAlarm)
                .send()
                .await
                .map_err(|e| from_sdk("cloudwatch", "DescribeAlarms", e))?;
            let metric = output
                .metric_alarms()
                .iter()
                .map(|a| (a.alarm_name(), a.state_value()));
            let composite = output
                .composite_alarms()
                .iter()
                .map(|a| (a.alarm_name(), a.state_value()));
            for (name, state) in metric.chain(composite) {
                if let (Some(name), Some(state)) = (name, state) {
                    states.insert(name.to_string(), Some(state.as_str().to_string()));
                }
            }
        }
        Ok(states)
    }
}

impl MetricReader for CloudWatchAlarms {
    async fn latest_statistic(
        &self,
        probe: &MetricProbe,
        now: DateTime<Utc>,
    ) -> Result<Option<f64>, AwsError> {
        let period = probe.period.as_duration().as_secs().max(1);
        let dimensions: Vec<Dimension> = probe
            .dimensions
            .iter()
            .map(|(name, value)| Dimension::builder().name(name).value(value).build())
            .collect();
        let metric = Metric::builder()
            .namespace(&probe.namespace)
            .metric_name(&probe.metric)
            .set_dimensions(Some(dimensions))
            .build();
        let stat = MetricStat::builder()
            .metric(metric)
            .period(period as i32)
            .stat(probe.statistic.name())
            .build();
        // Look back three periods so that a late data point still counts.
        let end = now.timestamp();
        let start = end - 3 * period as i64;
        let output = self
            .client
            .get_metric_data()
            .metric_data_queries(
                MetricDataQuery::builder()
                    .id("probe")
                    .metric_stat(stat)
                    .return_data(true)
                    .build(),
            )
            .start_time(SdkDateTime::from_secs(start))
            .end_time(SdkDateTime::from_secs(end))
            .send()
            .await
            .map_err(|e| from_sdk("cloudwatch", "GetMetricData", e))?;
        let latest = output
            .metric_data_results()
            .iter()
            .flat_map(|result| result.timestamps().iter().zip(result.values()))
            .max_by_key(|(timestamp, _)| timestamp.secs())
            .map(|(_, value)| *value);
        Ok(latest)
    }
}

/// SetAlarmState's limit on the reason.
const MAX_STATE_REASON_CHARS: usize = 1023;

/// The namespace of the metrics a run publishes.
pub const RUN_METRICS_NAMESPACE: &str = "Gameday";

impl AlarmWriter for CloudWatchAlarms {
    async fn set_alarm_state(
        &self,
        alarm_name: &str,
        state: &str,
        reason: &str,
    ) -> Result<(), AwsError> {
        use aws_sdk_cloudwatch::types::StateValue;
        let state_value = match state {
            "OK" => StateValue::Ok,
            "ALARM" => StateValue::Alarm,
            "INSUFFICIENT_DATA" => StateValue::InsufficientData,
            other => {
                return Err(AwsError::Refused {
                    service: "cloudwatch",
                    operation: "SetAlarmState",
                    code: "InvalidStateValue".into(),
                    message: format!(
                        "alarm {alarm_name} cannot be set to `{other}`; use OK, ALARM or INSUFFICIENT_DATA"
                    ),
                });
            }
        };
        self.client
            .set_alarm_state()
            .alarm_name(alarm_name)
            .state_value(state_value)
            .state_reason(
                reason
                    .chars()
                    .take(MAX_STATE_REASON_CHARS)
                    .collect::<String>(),
            )
            .send()
            .await
            .map_err(|e| from_sdk("cloudwatch", "SetAlarmState", e))?;
        Ok(())
    }
}

impl MetricWriter for CloudWatchAlarms {
    async fn put_run_metrics(&self, metrics: &RunMetrics) -> Result<(), AwsError> {
        self.client
            .put_metric_data()
            .namespace(RUN_METRICS_NAMESPACE)
            .set_metric_data(Some(run_metric_data(metrics)))
            .send()
            .await
            .map_err(|e| from_sdk("cloudwatch", "PutMetricData", e))?;
        Ok(())
    }
}

/// The data points of one finished run: `Runs` = 1 by Experiment, Service and Verdict, then
/// `RecoverySeconds` and `AvailabilityPercent` by Experiment and Service when measured.
/// CloudWatch stamps them with the time it receives them.
pub fn run_metric_data(metrics: &RunMetrics) -> Vec<aws_sdk_cloudwatch::types::MetricDatum> {
    use aws_sdk_cloudwatch::types::{MetricDatum, StandardUnit};
    let dimension = |name: &str, value: &str| Dimension::builder().name(name).value(value).build();
    let by_run = vec![
        dimension("Experiment", &metrics.experiment),
        dimension("Service", &metrics.service),
    ];
    let mut runs_dimensions = by_run.clone();
    runs_dimensions.push(dimension("Verdict", &metrics.verdict));
    let mut data = vec![
        MetricDatum::builder()
            .metric_name("Runs")
            .set_dimensions(Some(runs_dimensions))
            .value(1.0)
            .unit(StandardUnit::Count)
            .build(),
    ];
    let measured = [
        (
            "RecoverySeconds",
            metrics.recovery_seconds,
            StandardUnit::Seconds,
        ),
        (
            "AvailabilityPercent",
            metrics.availability_percent,
            StandardUnit::Percent,
        ),
    ];
    for (name, value, unit) in measured {
        // CloudWatch refuses NaN and infinities; a measurement that produced one is left out.
        if let Some(value) = value.filter(|v| v.is_finite()) {
            data.push(
                MetricDatum::builder()
                    .metric_name(name)
                    .set_dimensions(Some(by_run.clone()))
                    .value(value)
                    .unit(unit)
                    .build(),
            );
        }
    }
    data
}

#[cfg(test)]
mod writer_tests {
    use super::*;

    fn dimensions(datum: &aws_sdk_cloudwatch::types::MetricDatum) -> Vec<(String, String)> {
        datum
            .dimensions()
            .iter()
            .map(|d| {
                (
                    d.name().unwrap_or_default().to_string(),
                    d.value().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn a_run_publishes_its_count_and_what_was_measured() {
        let mut metrics = RunMetrics {
            experiment: "api-instance-failure".into(),
            service: "bookstore".into(),
            verdict: "PASSED".into(),
            recovery_seconds: Some(42.0),
            availability_percent: Some(99.5),
        };
        let data = run_metric_data(&metrics);
        let names: Vec<&str> = data.iter().filter_map(|d| d.metric_name()).collect();
        assert_eq!(names, ["Runs", "RecoverySeconds", "AvailabilityPercent"]);
        assert_eq!(data[0].value(), Some(1.0));
        assert_eq!(
            dimensions(&data[0]),
            [
                ("Experiment".to_string(), "api-instance-failure".to_string()),
                ("Service".to_string(), "bookstore".to_string()),
                ("Verdict".to_string(), "PASSED".to_string()),
            ]
        );
        assert_eq!(data[1].value(), Some(42.0));
        assert_eq!(
            data[1].unit(),
            Some(&aws_sdk_cloudwatch::types::StandardUnit::Seconds)
        );
        assert_eq!(dimensions(&data[2]).len(), 2);
        assert_eq!(data[2].value(), Some(99.5));

        metrics.recovery_seconds = None;
        metrics.availability_percent = Some(f64::NAN);
        let data = run_metric_data(&metrics);
        assert_eq!(data.len(), 1, "only Runs without measurements");
    }
}
