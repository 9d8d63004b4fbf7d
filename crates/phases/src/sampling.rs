//! Taking one sample of the steady state, and reading the safety state, through the ports.

use gameday_aws::AwsError;
use gameday_aws::alarms::{AlarmReader, MetricReader};
use gameday_aws::dns::DnsReader;
use gameday_aws::http_check::HttpChecker;
use gameday_aws::instances::InstanceDirectory;
use gameday_aws::parameters::ParameterStore;
use gameday_core::probes::{Observation, evaluate};
use gameday_core::run::Sample;
use gameday_core::safety::{KillSwitch, stop_alarm_problem};
use gameday_core::spec::{Experiment, Probe, RecordType};

use crate::config::PhaseConfig;
use crate::error::refusal;
use crate::ports::Ports;

/// Reads every probe of the hypothesis once. A probe whose call fails counts as unhealthy, with
/// the error in its detail; sampling itself never fails.
pub async fn sample_steady_state<P: Ports>(ports: &P, experiment: &Experiment) -> Sample {
    let at = ports.clock().now();
    let mut readings = Vec::with_capacity(experiment.hypothesis.probes.len());
    for probe in &experiment.hypothesis.probes {
        let observation = observe(ports, probe)
            .await
            .unwrap_or_else(|error| Observation::Failed(error.to_string()));
        readings.push(evaluate(probe, observation));
    }
    Sample { at, readings }
}

async fn observe<P: Ports>(ports: &P, probe: &Probe) -> Result<Observation, AwsError> {
    Ok(match probe {
        Probe::CloudwatchMetric(metric) => Observation::Metric(
            ports
                .alarms()
                .latest_statistic(metric, ports.clock().now())
                .await?,
        ),
        Probe::CloudwatchAlarm(alarm) => {
            let states = ports
                .alarms()
                .alarm_states(std::slice::from_ref(&alarm.alarm_name))
                .await?;
            Observation::Alarm(states.get(&alarm.alarm_name).cloned().flatten())
        }
        Probe::Ec2Running(running) => {
            Observation::Instances(ports.instances().find_instances(&running.selector).await?)
        }
        Probe::Http(http) => Observation::Http(
            ports
                .http()
                .status(&http.url, http.timeout.as_duration())
                .await,
        ),
        Probe::Route53Record(record) => {
            let record_type = match record.record_type {
                RecordType::A => "A",
                RecordType::Aaaa => "AAAA",
                RecordType::Cname => "CNAME",
            };
            let values = ports
                .dns()
                .record_values(&record.zone_name, &record.record_name, record_type)
                .await?;
            let running_addresses = match (&values, record.record_type) {
                (Some(values), RecordType::A | RecordType::Aaaa) => {
                    ports.instances().running_addresses(values).await?
                }
                _ => Vec::new(),
            };
            Observation::Record {
                values,
                running_addresses,
            }
        }
    })
}

/// A reason to stop or refuse a run, with the ASL error name that says which.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SafetyProblem {
    pub asl_name: &'static str,
    pub reason: String,
}

/// Reads the kill switch and the stop conditions; returns every problem found.
pub async fn safety_problems<P: Ports>(
    ports: &P,
    config: &PhaseConfig,
    experiment: &Experiment,
) -> Result<Vec<SafetyProblem>, AwsError> {
    let value = ports
        .parameters()
        .get_parameter(&config.kill_switch_parameter)
        .await?;
    let kill_switch = KillSwitch {
        parameter: config.kill_switch_parameter.clone(),
        value,
    };
    let mut problems: Vec<SafetyProblem> = kill_switch
        .problem()
        .map(|reason| SafetyProblem {
            asl_name: refusal::KILL_SWITCH,
            reason,
        })
        .into_iter()
        .collect();
    let names: Vec<String> = experiment
        .stop_conditions
        .iter()
        .map(|s| s.alarm_name.clone())
        .collect();
    if !names.is_empty() {
        let states = ports.alarms().alarm_states(&names).await?;
        for name in &names {
            let state = states.get(name).cloned().flatten();
            if let Some(reason) = stop_alarm_problem(name, state.as_deref()) {
                problems.push(SafetyProblem {
                    asl_name: refusal::STOP_CONDITION,
                    reason,
                });
            }
        }
    }
    Ok(problems)
}
