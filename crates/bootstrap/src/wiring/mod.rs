//! Each handler's collaborators, built from the function's environment, and its Lambda loop:
//! one module per kind of handler, so each function's wiring reads only its own settings
//! (tests/template.rs checks the template's environment against these files). Only the SDK
//! clients of the chosen handler are created.
//!
//! Environment: `TABLE_NAME` (every handler, here), `GAMEDAY_HANDLER` (main.rs), and each
//! module's own.

mod failover;
mod phase;
mod pipeline_gate;

use lambda_runtime::Error;

use crate::handler::Handler;

/// Serves `handler` until the Lambda runtime stops.
pub async fn run(handler: Handler) -> Result<(), Error> {
    match handler {
        Handler::Prepare => phase::serve(prepare::handle).await,
        Handler::Inject => phase::serve(inject::handle).await,
        Handler::Observe => phase::serve(observe::handle).await,
        Handler::Recover => phase::serve(recover::handle).await,
        Handler::Validate => phase::serve(validate::handle).await,
        Handler::Failover => failover::serve().await,
        Handler::PipelineGate => pipeline_gate::serve().await,
    }
}

fn table_name() -> String {
    std::env::var("TABLE_NAME").unwrap_or_else(|_| gameday_aws::runs::DEFAULT_TABLE_NAME.into())
}
