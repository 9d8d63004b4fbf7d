//! `gameday plan FILE`: gathers the facts through the ports, then prints the plan.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

use gameday_aws::alarms::AlarmReader;
use gameday_aws::instances::InstanceDirectory;
use gameday_aws::parameters::ParameterStore;
use gameday_aws::{AwsClients, AwsError};
use gameday_core::faults::Undo;
use gameday_core::plan::{KillSwitch, Plan, PlanFacts, build_plan};
use gameday_core::playbook::PlaybookCheck;
use gameday_core::spec::Experiment;

use super::playbook::files::check_for_experiment;
use super::validate::read_experiment;
use crate::cli::{AwsArgs, OutputFormat, PlaybookArgs};
use crate::output::emit;

pub async fn run(
    file: &Path,
    aws: &AwsArgs,
    playbook: &PlaybookArgs,
    format: OutputFormat,
) -> ExitCode {
    let checked = read_experiment(file).and_then(|experiment| {
        let check = check_for_experiment(
            file,
            &experiment,
            playbook.playbook.as_deref(),
            chrono::Utc::now(),
        )?;
        Ok((experiment, check))
    });
    let (experiment, playbook_check) = match checked {
        Ok(checked) => checked,
        Err(errors) => {
            for error in errors {
                eprintln!("{error}");
            }
            return ExitCode::from(super::EXIT_ERROR);
        }
    };
    let settings = aws.settings();
    let clients = AwsClients::load(&settings, gameday_aws::runs::DEFAULT_TABLE_NAME).await;
    let facts = match gather_facts(&clients, &experiment, &aws.kill_switch_parameter).await {
        Ok(facts) => facts,
        Err(error) => return super::fail(describe_aws_error(&error, aws.endpoint_url.as_deref())),
    };
    let mut plan = build_plan(&experiment, &facts);
    if let Some(check) = playbook_check {
        plan = plan.with_playbook(check);
    }
    emit(format, &plan, print_plan);
    if plan.would_start {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

async fn gather_facts(
    clients: &AwsClients,
    experiment: &Experiment,
    kill_switch: &str,
) -> Result<PlanFacts, AwsError> {
    let value = clients.parameters.get_parameter(kill_switch).await?;
    let alarm_names: Vec<String> = experiment
        .stop_conditions
        .iter()
        .map(|s| s.alarm_name.clone())
        .collect();
    let stop_alarms = if alarm_names.is_empty() {
        BTreeMap::new()
    } else {
        clients.alarms.alarm_states(&alarm_names).await?
    };
    let mut instances = BTreeMap::new();
    for target in &experiment.targets {
        instances.insert(
            target.name.clone(),
            clients.instances.find_instances(&target.selector).await?,
        );
    }
    Ok(PlanFacts {
        now: chrono::Utc::now(),
        kill_switch: KillSwitch {
            parameter: kill_switch.to_string(),
            value,
        },
        stop_alarms,
        instances,
    })
}

fn describe_aws_error(error: &AwsError, endpoint: Option<&str>) -> String {
    let hint = match (error, endpoint) {
        (AwsError::Transient { .. }, Some(url)) => {
            format!(" (is anything listening at {url}? `gameday sandbox status` tells)")
        }
        (AwsError::Transient { .. }, None) => {
            " (check your network and AWS credentials)".to_string()
        }
        _ => String::new(),
    };
    format!("{error}{hint}")
}

fn print_plan(plan: &Plan) {
    println!(
        "Plan for {} (service {}, environment {}) at {}",
        plan.experiment,
        plan.service,
        plan.environment,
        plan.generated_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    if plan.would_start {
        println!("Verdict: WOULD START");
    } else {
        println!("Verdict: WOULD NOT START");
        for blocker in &plan.blockers {
            println!("  - {blocker}");
        }
    }
    println!("\nSafety");
    let engaged = if plan.kill_switch.engaged {
        "ENGAGED"
    } else {
        "not engaged"
    };
    println!(
        "  kill switch {} = {} ({engaged})",
        plan.kill_switch.parameter,
        plan.kill_switch.value.as_deref().unwrap_or("(not set)")
    );
    for alarm in &plan.stop_alarms {
        println!(
            "  stop condition {}: {}",
            alarm.alarm_name,
            alarm.state.as_deref().unwrap_or("MISSING")
        );
    }
    println!(
        "  blocked window: {}",
        plan.blocked_window.as_deref().unwrap_or("none in force")
    );
    print_playbook(plan.playbook.as_ref());
    println!("\nTargets");
    for target in &plan.targets {
        println!(
            "  {}: {}, {} running match, blast radius allows {}",
            target.target,
            target
                .mode
                .map_or_else(|| "no valid selection".to_string(), |m| m.to_string()),
            target.fleet_size,
            target.blast_radius_limit
        );
        for decision in &target.chosen {
            println!("    chosen  {}  {}", decision.instance_id, decision.reason);
        }
        for decision in &target.spared {
            println!("    spared  {}  {}", decision.instance_id, decision.reason);
        }
        if let Some(refusal) = &target.refusal {
            println!("    REFUSED: {refusal}");
        }
    }
    println!("\nAPI calls, in order");
    for (index, step) in plan.steps.iter().enumerate() {
        println!(
            "  {:>3}. {:<8} {}:{} {} — {} [{}]",
            index + 1,
            step.phase,
            step.call.service,
            step.call.operation,
            step.call.detail,
            step.purpose,
            step.repeat
        );
    }
    println!("\nUndo");
    for effect in &plan.undo {
        match &effect.undo {
            Undo::Calls { calls } => {
                for call in calls {
                    println!(
                        "  {} ({}): {}:{} {}",
                        effect.fault, effect.action, call.service, call.operation, call.detail
                    );
                }
            }
            Undo::Nothing { reason } => println!(
                "  {} ({}): nothing to undo; {reason}",
                effect.fault, effect.action
            ),
        }
    }
    let cost = &plan.cost;
    println!("\nCost of one run (upper bound)");
    println!(
        "  ≤ {} state transitions, ≤ {} Lambda invocations ({:.2} GB-s), {} FIS action-minutes: ≤ ${:.4}",
        cost.max_state_transitions,
        cost.max_lambda_invocations,
        cost.max_lambda_gb_seconds,
        cost.fis_action_minutes,
        cost.max_usd
    );
    for assumption in &cost.assumptions {
        println!("  assumes {assumption}");
    }
}

fn print_playbook(check: Option<&PlaybookCheck>) {
    let Some(check) = check else {
        println!("  playbook: none (no --playbook, and no playbook.yaml next to the experiment)");
        return;
    };
    println!(
        "  playbook: {} ({}); dependency {}, RTO {}, RPO {}",
        check.file, check.found, check.dependency, check.rto, check.rpo
    );
    if check.windows.is_empty() {
        println!("    no criticality period blocks it (critical always, or no weekly period)");
    }
    for window in &check.windows {
        let state = if check.active.as_ref() == Some(window) {
            "IN FORCE"
        } else {
            "not in force"
        };
        println!("    {window} ({state})");
    }
}
