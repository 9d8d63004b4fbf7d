//! Turning what a probe observed into a reading: within tolerance or not, and why.

use crate::run::ProbeReading;
use crate::selection::InstanceFacts;
use crate::spec::{Probe, RecordType};

/// What the ports returned for one probe.
#[derive(Debug, Clone, PartialEq)]
pub enum Observation {
    /// The metric's latest statistic; `None` without data.
    Metric(Option<f64>),
    /// The alarm's state; `None` when the alarm does not exist.
    Alarm(Option<String>),
    /// The instances that match the probe's selector, in any state.
    Instances(Vec<InstanceFacts>),
    /// The HTTP status, or why there was none.
    Http(Result<u16, String>),
    /// The record's values (`None` when the zone or record is missing), and the addresses of
    /// the running instances they may point at.
    Record {
        values: Option<Vec<String>>,
        running_addresses: Vec<String>,
    },
    /// The observation itself failed (an AWS error); a probe that cannot look is not healthy.
    Failed(String),
}

/// Judges one observation against the probe's tolerance.
pub fn evaluate(probe: &Probe, observation: Observation) -> ProbeReading {
    let reading = |within_tolerance: bool, value: Option<f64>, detail: String| ProbeReading {
        probe: probe.name().to_string(),
        within_tolerance,
        value,
        detail,
    };
    match (probe, observation) {
        (_, Observation::Failed(error)) => {
            reading(false, None, format!("could not observe: {error}"))
        }
        (Probe::CloudwatchMetric(metric), Observation::Metric(Some(value))) => {
            let ok = metric.comparison.holds(value, metric.threshold);
            reading(
                ok,
                Some(value),
                format!(
                    "{} = {}, expected {} {}",
                    metric.statistic.name(),
                    readable(value),
                    metric.comparison.symbol(),
                    readable(metric.threshold)
                ),
            )
        }
        (Probe::CloudwatchMetric(_), Observation::Metric(None)) => reading(
            false,
            None,
            "no data points in the last three periods".to_string(),
        ),
        (Probe::CloudwatchAlarm(alarm), Observation::Alarm(state)) => match state.as_deref() {
            Some("OK") => reading(true, None, format!("{} is OK", alarm.alarm_name)),
            Some(other) => reading(false, None, format!("{} is {other}", alarm.alarm_name)),
            None => reading(false, None, format!("{} does not exist", alarm.alarm_name)),
        },
        (Probe::Ec2Running(running), Observation::Instances(instances)) => {
            let count = instances.iter().filter(|i| i.state == "running").count();
            let ok = count >= running.min_running as usize;
            reading(
                ok,
                Some(count as f64),
                format!(
                    "{count} running (at least {} expected)",
                    running.min_running
                ),
            )
        }
        (Probe::Http(http), Observation::Http(Ok(status))) => {
            let ok = http.expect_status.contains(&status);
            reading(
                ok,
                Some(f64::from(status)),
                format!(
                    "{} answered {status}, expected {}",
                    http.url,
                    http.expect_status
                        .iter()
                        .map(u16::to_string)
                        .collect::<Vec<_>>()
                        .join(" or ")
                ),
            )
        }
        (Probe::Http(http), Observation::Http(Err(error))) => {
            reading(false, None, format!("{}: {error}", http.url))
        }
        (
            Probe::Route53Record(record),
            Observation::Record {
                values,
                running_addresses,
            },
        ) => evaluate_record(
            record.record_type,
            &record.record_name,
            values,
            &running_addresses,
            reading,
        ),
        (probe, observation) => reading(
            false,
            None,
            format!(
                "internal error: probe {} got an observation of another kind ({observation:?})",
                probe.name()
            ),
        ),
    }
}

/// A number for people: whole numbers as they are, others to at most four decimals
/// (`0.005486267275000001` reads `0.0055`).
pub fn readable(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        return format!("{:.0}", value + 0.0);
    }
    if value.abs() < 0.001 {
        // Small values keep their significant digits (a 0.00004 error rate is not 0).
        return format!("{value:.1e}");
    }
    let text = format!("{value:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" || text.is_empty() {
        "0".to_string()
    } else {
        text.to_string()
    }
}

fn evaluate_record(
    record_type: RecordType,
    name: &str,
    values: Option<Vec<String>>,
    running: &[String],
    reading: impl Fn(bool, Option<f64>, String) -> ProbeReading,
) -> ProbeReading {
    let Some(values) = values.filter(|v| !v.is_empty()) else {
        return reading(false, None, format!("{name} does not exist"));
    };
    if record_type == RecordType::Cname {
        // A CNAME names another host; its health is that of the host, which EC2 cannot tell.
        return reading(
            true,
            None,
            format!(
                "{name} resolves to {} (target health not checked for CNAME)",
                values.join(", ")
            ),
        );
    }
    let stray: Vec<&String> = values.iter().filter(|v| !running.contains(v)).collect();
    if stray.is_empty() {
        reading(
            true,
            None,
            format!("{name} points at running instance(s) {}", values.join(", ")),
        )
    } else {
        let stray: Vec<&str> = stray.iter().map(|s| s.as_str()).collect();
        reading(
            false,
            None,
            format!(
                "{name} points at {}, which no running instance has",
                stray.join(", ")
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{AlarmProbe, Route53RecordProbe};

    fn record_probe(record_type: RecordType) -> Probe {
        Probe::Route53Record(Route53RecordProbe {
            name: "dns".into(),
            zone_name: "bookstore.example.com".into(),
            record_name: "api.bookstore.example.com".into(),
            record_type,
        })
    }

    #[test]
    fn a_metric_reading_says_value_and_expectation_as_people_write_them() {
        let probe = Probe::CloudwatchMetric(crate::spec::MetricProbe {
            name: "api-latency".into(),
            namespace: "AWS/ApplicationELB".into(),
            metric: "TargetResponseTime".into(),
            dimensions: Default::default(),
            statistic: crate::spec::Statistic::P99,
            period: "PT1M".parse().unwrap(),
            comparison: crate::spec::Comparison::LessThanOrEqualToThreshold,
            threshold: 0.5,
        });
        let reading = evaluate(&probe, Observation::Metric(Some(0.7000000000000001)));
        assert!(!reading.within_tolerance);
        assert_eq!(reading.detail, "p99 = 0.7, expected <= 0.5");
    }

    #[test]
    fn numbers_are_rounded_for_people() {
        assert_eq!(readable(0.005486267275000001), "0.0055");
        assert_eq!(readable(5.0), "5");
        assert_eq!(readable(0.00004), "4.0e-5");
        assert_eq!(readable(-0.0), "0");
        assert_eq!(readable(1234.5), "1234.5");
    }

    #[test]
    fn alarm_must_be_ok_and_exist() {
        let probe = Probe::CloudwatchAlarm(AlarmProbe {
            name: "a".into(),
            alarm_name: "x".into(),
        });
        assert!(evaluate(&probe, Observation::Alarm(Some("OK".into()))).within_tolerance);
        assert!(
            !evaluate(&probe, Observation::Alarm(Some("INSUFFICIENT_DATA".into())))
                .within_tolerance
        );
        let missing = evaluate(&probe, Observation::Alarm(None));
        assert!(!missing.within_tolerance && missing.detail.contains("does not exist"));
    }

    #[test]
    fn a_record_must_point_at_running_instances() {
        let probe = record_probe(RecordType::A);
        let running = vec!["192.0.2.10".to_string()];
        let ok = Observation::Record {
            values: Some(vec!["192.0.2.10".into()]),
            running_addresses: running.clone(),
        };
        assert!(evaluate(&probe, ok).within_tolerance);
        let stale = Observation::Record {
            values: Some(vec!["192.0.2.99".into()]),
            running_addresses: running,
        };
        let reading = evaluate(&probe, stale);
        assert!(!reading.within_tolerance && reading.detail.contains("192.0.2.99"));
        let missing = Observation::Record {
            values: None,
            running_addresses: vec![],
        };
        assert!(!evaluate(&probe, missing).within_tolerance);
    }

    #[test]
    fn a_failed_observation_is_never_healthy() {
        let reading = evaluate(
            &record_probe(RecordType::Cname),
            Observation::Failed("throttled".into()),
        );
        assert!(!reading.within_tolerance);
        assert!(reading.detail.contains("throttled"));
    }
}
