//! An experiment phase: the phases' shared ports and configuration
//! (`gameday_phases::PhaseConfig` reads `TOPIC_ARN`, `KILL_SWITCH_PARAMETER` and the rest).

use std::future::Future;

use gameday_phases::lambda::{AwsPorts, ports_from_env};
use gameday_phases::{PhaseConfig, PhaseError, RunState};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde::de::DeserializeOwned;

/// The ports and configuration live as long as the process (a Lambda execution environment),
/// so they are leaked once rather than threaded through lifetimes.
pub async fn serve<I, F, Fut>(handle: F) -> Result<(), Error>
where
    I: DeserializeOwned,
    F: Fn(&'static AwsPorts, &'static PhaseConfig, I) -> Fut,
    Fut: Future<Output = Result<RunState, PhaseError>>,
{
    let ports: &'static AwsPorts = Box::leak(Box::new(ports_from_env().await));
    let config: &'static PhaseConfig = Box::leak(Box::new(PhaseConfig::from_env()));
    lambda_runtime::run(service_fn(|event: LambdaEvent<I>| {
        handle(ports, config, event.payload)
    }))
    .await
}
