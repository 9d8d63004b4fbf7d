//! Lambda wiring only; the handler is in lib.rs.

use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    gameday_phases::lambda::init_tracing();
    let ports = gameday_phases::lambda::ports_from_env().await;
    let config = gameday_phases::PhaseConfig::from_env();
    lambda_runtime::run(service_fn(|event: LambdaEvent<validate::ValidateInput>| {
        let (ports, config) = (&ports, &config);
        async move { validate::handle(ports, config, event.payload).await }
    }))
    .await
}
