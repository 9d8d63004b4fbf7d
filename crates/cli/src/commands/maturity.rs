//! `gameday maturity SERVICE FILES...`: the staged-resiliency stage a service has reached, on
//! evidence (its playbook, its experiment and policy files, the runs and failovers in the
//! table), and what the next stage still needs. The judging is `gameday_core::maturity`.

use std::process::ExitCode;

use chrono::Utc;
use gameday_aws::AwsClients;
use gameday_aws::config::load_sdk_config;
use gameday_aws::evidence::{MaturitySources, maturity_evidence};
use gameday_aws::ledger::DynamoLedger;
use gameday_core::maturity::{PlaybookFacts, TOP_STAGE, assess};

use super::validate::{Sources, read_sources};
use crate::cli::{MaturityArgs, OutputFormat};
use crate::output::emit;

pub async fn run(args: &MaturityArgs, format: OutputFormat) -> ExitCode {
    let service = args.service.as_str();
    let Sources {
        experiments,
        policies,
        playbooks,
    } = match read_sources(&args.files, Some(service), "the assessment") {
        Ok(sources) => sources,
        Err(code) => return code,
    };
    let playbook = match playbooks.as_slice() {
        [] => {
            eprintln!(
                "gameday: no playbook of service {service} among the files; stage 1 cannot be met (see examples/bookstore/playbook.yaml)"
            );
            PlaybookFacts::default()
        }
        [playbook] => PlaybookFacts::of(playbook),
        _ => {
            return super::fail(format!(
                "{} playbooks of service {service} among the files; pass the one that is in force",
                playbooks.len()
            ));
        }
    };
    let config = load_sdk_config(&args.aws.settings()).await;
    let table = &args.table.name;
    let runs = AwsClients::new(&config, table).runs;
    let ledger = DynamoLedger::from_config(&config, table);
    eprintln!(
        "reading the runs of {} experiment(s) and the failover ledger from table {table}",
        experiments.len()
    );
    let sources = MaturitySources {
        service,
        playbook,
        experiments: &experiments,
        policies: &policies,
        gated: &args.gated,
        now: Utc::now(),
    };
    let evidence = match maturity_evidence(&runs, &ledger, sources).await {
        Ok(evidence) => evidence,
        Err(error) => return super::fail(format!("reading evidence from table {table}: {error}")),
    };
    let assessment = assess(&evidence);
    emit(format, &assessment, |assessment| {
        for line in assessment.lines() {
            println!("{line}");
        }
    });
    if assessment.stage >= args.min_stage {
        ExitCode::SUCCESS
    } else {
        eprintln!(
            "gameday: {service} is at stage {} of {TOP_STAGE}, below --min-stage {}",
            assessment.stage, args.min_stage
        );
        ExitCode::FAILURE
    }
}
