//! `gameday sandbox up|down|status|seed`.

use std::process::ExitCode;

use gameday_aws::SdkSettings;
use gameday_aws::config::load_sdk_config;
use gameday_aws::sandbox_seed::{
    BACKUP_IMAGE_NAME, BOOKSTORE_ALARMS, BOOKSTORE_API_RECORD, BookstoreFleet,
    LAUNCH_TEMPLATE_NAME, seed_bookstore,
};
use serde_json::json;

use crate::cli::{OutputFormat, SandboxAction};
use crate::output::emit;

pub async fn run(action: SandboxAction, format: OutputFormat) -> ExitCode {
    match action {
        SandboxAction::Up => match gameday_sandbox::up() {
            Ok(state) => {
                emit(format, &state, |state| {
                    println!(
                        "sandbox running at {} (pid {}, moto {})",
                        state.endpoint_url, state.pid, state.moto_version
                    );
                    println!("export AWS_ENDPOINT_URL={}", state.endpoint_url);
                });
                ExitCode::SUCCESS
            }
            Err(error) => super::fail(error),
        },
        SandboxAction::Down => match gameday_sandbox::down() {
            Ok(stopped) => {
                emit(format, &json!({ "stopped": stopped }), |_| {
                    println!(
                        "{}",
                        if stopped {
                            "sandbox stopped"
                        } else {
                            "no sandbox was running"
                        }
                    )
                });
                ExitCode::SUCCESS
            }
            Err(error) => super::fail(error),
        },
        SandboxAction::Status => match gameday_sandbox::status() {
            Ok(state) => {
                emit(
                    format,
                    &json!({ "running": state.is_some(), "sandbox": state }),
                    |_| match &state {
                        Some(state) => println!(
                            "sandbox running at {} (pid {}, since {})",
                            state.endpoint_url, state.pid, state.started_at
                        ),
                        None => {
                            println!("no sandbox is running; start one with `gameday sandbox up`")
                        }
                    },
                );
                if state.is_some() {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::FAILURE
                }
            }
            Err(error) => super::fail(error),
        },
        SandboxAction::Seed { table_name } => seed(&table_name, format).await,
    }
}

async fn seed(table_name: &str, format: OutputFormat) -> ExitCode {
    let state = match gameday_sandbox::status() {
        Ok(Some(state)) => state,
        Ok(None) => {
            return super::fail("no sandbox is running; start one with `gameday sandbox up`");
        }
        Err(error) => return super::fail(error),
    };
    let config = load_sdk_config(&SdkSettings::sandbox(&state.endpoint_url)).await;
    match seed_bookstore(&config, &state.endpoint_url, table_name).await {
        Ok(fleet) => {
            let report = json!({ "endpointUrl": state.endpoint_url, "fleet": fleet_json(&fleet) });
            emit(format, &report, |_| {
                println!("seeded the Bookstore environment at {}", state.endpoint_url);
                print_fleet(&fleet);
            });
            ExitCode::SUCCESS
        }
        Err(error) => super::fail(error),
    }
}

/// The seeded environment as JSON, for `--output json` of `sandbox seed` and `demo`.
pub(crate) fn fleet_json(fleet: &BookstoreFleet) -> serde_json::Value {
    json!({
        "optedIn": fleet.opted_in,
        "notOptedIn": fleet.not_opted_in,
        "primary": fleet.primary,
        "primaryAddress": fleet.primary_address,
        "vpcId": fleet.network.vpc_id,
        "subnetIds": fleet.network.subnet_ids,
        "availabilityZones": fleet.network.availability_zones,
        "securityGroupId": fleet.network.security_group_id,
        "imageId": fleet.image_id,
        "launchTemplateId": fleet.launch_template_id,
        "zoneId": fleet.zone_id,
        "topicArn": fleet.topic_arn,
        "queueUrl": fleet.queue_url,
    })
}

/// The seeded environment for people, one piece a line.
pub(crate) fn print_fleet(fleet: &BookstoreFleet) {
    let network = &fleet.network;
    println!(
        "  network: {} with subnets {} in {}, security group {}",
        network.vpc_id,
        network.subnet_ids.join(", "),
        network.availability_zones.join(", "),
        network.security_group_id
    );
    println!(
        "  API primary (no opt-in tag, the failover's primary): {}",
        fleet.primary
    );
    println!("  opted-in API instances: {}", fleet.opted_in.join(", "));
    println!(
        "  backup AMI {} ({BACKUP_IMAGE_NAME}), launch template {LAUNCH_TEMPLATE_NAME} ({})",
        fleet.image_id, fleet.launch_template_id
    );
    println!(
        "  {BOOKSTORE_API_RECORD} A {} (zone {})",
        fleet.primary_address, fleet.zone_id
    );
    println!("  alarms {} in OK", BOOKSTORE_ALARMS.join(", "));
    println!(
        "  notifications: topic {} -> queue {}",
        fleet.topic_arn, fleet.queue_url
    );
}
