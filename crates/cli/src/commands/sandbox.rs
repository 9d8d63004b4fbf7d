//! `gameday sandbox up|down|status|seed`.

use std::process::ExitCode;

use gameday_aws::SdkSettings;
use gameday_aws::config::load_sdk_config;
use gameday_aws::sandbox_seed::{BOOKSTORE_API_RECORD, seed_api_record, seed_bookstore};
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
    let seeded = match seed_bookstore(&config, &state.endpoint_url, table_name).await {
        Ok(fleet) => seed_api_record(&config, &state.endpoint_url, &fleet.not_opted_in[0])
            .await
            .map(|()| fleet),
        Err(error) => Err(error),
    };
    match seeded {
        Ok(fleet) => {
            let report = json!({ "endpointUrl": state.endpoint_url, "optedIn": fleet.opted_in, "notOptedIn": fleet.not_opted_in });
            emit(format, &report, |_| {
                println!("seeded the Bookstore fleet at {}", state.endpoint_url);
                println!("  opted-in API instances: {}", fleet.opted_in.join(", "));
                println!(
                    "  API instance without the opt-in tag: {}",
                    fleet.not_opted_in.join(", ")
                );
                println!(
                    "  {BOOKSTORE_API_RECORD} A record on the instance without the opt-in tag"
                );
            });
            ExitCode::SUCCESS
        }
        Err(error) => super::fail(error),
    }
}
