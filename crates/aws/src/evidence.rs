//! Reading what `gameday report` and the maturity assessment are built from: every run of
//! the named experiments (the runs table's by-experiment index) and the failover ledger of
//! the named services. The judging itself is pure and lives in `gameday_core::report` and
//! `gameday_core::maturity`.

use chrono::{DateTime, Utc};
use gameday_core::failover::{FailoverFile, LedgerEntry};
use gameday_core::maturity::{Evidence, ExperimentEvidence, FailoverEvidence, PlaybookFacts};
use gameday_core::report::ExperimentRuns;
use gameday_core::spec::Experiment;

use crate::error::AwsError;
use crate::ledger::FailoverLedger;
use crate::runs::RunStore;

/// Ledger entries read per service: years of drills and real failovers.
pub const LEDGER_LIMIT: usize = 1000;

/// Every run of each experiment (all of them: cadence needs the last exercise even when it is
/// older than the report's period), with the RTO of its dependency from `policies`.
pub async fn experiment_runs(
    runs: &(impl RunStore + Sync),
    experiments: &[Experiment],
    policies: &[FailoverFile],
) -> Result<Vec<ExperimentRuns>, AwsError> {
    let mut read = Vec::with_capacity(experiments.len());
    for experiment in experiments {
        let records = runs.runs_since(&experiment.metadata.name, None).await?;
        read.push(ExperimentRuns::new(experiment, policies, records));
    }
    Ok(read)
}

/// The ledger entries of each service, newest first within a service.
pub async fn ledger_entries(
    ledger: &(impl FailoverLedger + Sync),
    services: &[String],
) -> Result<Vec<LedgerEntry>, AwsError> {
    let mut entries = Vec::new();
    for service in services {
        entries.extend(ledger.entries(service, LEDGER_LIMIT).await?);
    }
    Ok(entries)
}

/// The policy files' services that belong to `application` (the file's application, or the
/// policy's own service name), in file order.
pub fn policy_services(policies: &[FailoverFile], application: Option<&str>) -> Vec<String> {
    let mut services: Vec<String> = Vec::new();
    for file in policies {
        for policy in &file.policies {
            let belongs = application
                .is_none_or(|name| file.metadata.application == name || policy.service == name);
            if belongs && !services.contains(&policy.service) {
                services.push(policy.service.clone());
            }
        }
    }
    services
}

/// What the maturity of a service is judged on, besides the table.
#[derive(Debug, Clone)]
pub struct MaturitySources<'a> {
    pub service: &'a str,
    /// From the service's playbook.
    pub playbook: PlaybookFacts,
    /// Experiment files; those whose `metadata.service` is `service` count.
    pub experiments: &'a [Experiment],
    /// Failover policy files; the policies of `service` (the file's application or the
    /// policy's service) count.
    pub policies: &'a [FailoverFile],
    /// Experiments a deploy pipeline runs as a gate.
    pub gated: &'a [String],
    pub now: DateTime<Utc>,
}

/// Everything the maturity of a service is judged on: the sources, with each experiment's
/// runs and each failover policy's ledger read from the table.
pub async fn maturity_evidence(
    runs: &(impl RunStore + Sync),
    ledger: &(impl FailoverLedger + Sync),
    sources: MaturitySources<'_>,
) -> Result<Evidence, AwsError> {
    let service = sources.service;
    let mut experiments = Vec::new();
    for experiment in sources
        .experiments
        .iter()
        .filter(|e| e.metadata.service == service)
    {
        let name = &experiment.metadata.name;
        let records = runs.runs_since(name, None).await?;
        experiments.push(ExperimentEvidence::from_runs(
            experiment,
            &records,
            sources.gated.contains(name),
            sources.now,
        ));
    }
    let mut failovers = Vec::new();
    for file in sources.policies {
        for policy in &file.policies {
            if file.metadata.application == service || policy.service == service {
                let entries = ledger.entries(&policy.service, LEDGER_LIMIT).await?;
                failovers.push(FailoverEvidence::from_ledger(file, policy, &entries));
            }
        }
    }
    Ok(Evidence {
        service: service.to_string(),
        playbook: sources.playbook,
        experiments,
        failovers,
    })
}
