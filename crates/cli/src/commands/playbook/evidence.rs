//! Reading a playbook's evidence from the table: the runs of every linked experiment and the
//! ledger of every linked failover policy. What is made of them is decided in core.

use gameday_aws::config::load_sdk_config;
use gameday_aws::ledger::{DynamoLedger, FailoverLedger};
use gameday_aws::runs::RunStore;
use gameday_aws::{AwsClients, AwsError};
use gameday_core::playbook::{EvidenceInputs, Playbook};

use crate::cli::{AwsArgs, TableArgs};

/// How many records are read per experiment and per failover service.
const RECORDS_PER_LINK: usize = 50;

pub async fn read(
    playbook: &Playbook,
    aws: &AwsArgs,
    table: &TableArgs,
) -> Result<EvidenceInputs, AwsError> {
    let config = load_sdk_config(&aws.settings()).await;
    let runs = AwsClients::new(&config, &table.name).runs;
    let ledger = DynamoLedger::from_config(&config, &table.name);
    let mut inputs = EvidenceInputs {
        source: format!("DynamoDB table {}", table.name),
        ..EvidenceInputs::default()
    };
    for scenario in &playbook.scenarios {
        let links = &scenario.exercised_by;
        for experiment in &links.experiments {
            if !inputs.runs.contains_key(experiment) {
                let records = runs.recent_runs(experiment, RECORDS_PER_LINK).await?;
                inputs.runs.insert(experiment.clone(), records);
            }
        }
        if let Some(service) = &links.failover_policy
            && !inputs.failovers.contains_key(service)
        {
            let entries = ledger.entries(service, RECORDS_PER_LINK).await?;
            inputs.failovers.insert(service.clone(), entries);
        }
    }
    Ok(inputs)
}
