//! The one Lambda binary of gameday. Every function in `infra/template.yaml` runs this
//! `bootstrap`, so `sam build` compiles and links the AWS SDK once instead of once per
//! function; the template sets `GAMEDAY_HANDLER` on each function to pick its handler.

use std::process::ExitCode;

mod handler;
mod wiring;

use handler::Handler;

fn main() -> ExitCode {
    gameday_phases::lambda::init_tracing();
    let handler = match Handler::from_env_value(std::env::var("GAMEDAY_HANDLER").ok().as_deref()) {
        Ok(handler) => handler,
        Err(refusal) => {
            tracing::error!(error = %refusal, "bootstrap refuses to start");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            tracing::error!(error = %error, "bootstrap cannot start the async runtime");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(wiring::run(handler)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(handler = handler.name(), error = %error, "handler stopped");
            ExitCode::FAILURE
        }
    }
}
