//! The phase handlers as the engine's Task targets, by function name.

use std::future::Future;
use std::sync::Arc;

use futures::FutureExt;
use gameday_engine::{LocalFunctions, TaskFailure};
use gameday_phases::{PhaseConfig, PhaseError, Ports, RunState};
use serde::de::DeserializeOwned;

/// The five phase handlers over `ports`, registered under the names the definitions use.
pub fn phase_functions<P: Ports + 'static>(
    ports: Arc<P>,
    config: Arc<PhaseConfig>,
) -> LocalFunctions {
    let mut functions = LocalFunctions::new();
    let with = || (ports.clone(), config.clone());

    let (p, c) = with();
    register(
        &mut functions,
        "prepare",
        move |input: prepare::PrepareInput| {
            let (p, c) = (p.clone(), c.clone());
            async move { prepare::handle(&*p, &c, input).await }
        },
    );
    let (p, c) = with();
    register(&mut functions, "inject", move |state: RunState| {
        let (p, c) = (p.clone(), c.clone());
        async move { inject::handle(&*p, &c, state).await }
    });
    let (p, c) = with();
    register(&mut functions, "observe", move |state: RunState| {
        let (p, c) = (p.clone(), c.clone());
        async move { observe::handle(&*p, &c, state).await }
    });
    let (p, c) = with();
    register(&mut functions, "recover", move |state: RunState| {
        let (p, c) = (p.clone(), c.clone());
        async move { recover::handle(&*p, &c, state).await }
    });
    let (p, c) = with();
    register(
        &mut functions,
        "validate",
        move |input: validate::ValidateInput| {
            let (p, c) = (p.clone(), c.clone());
            async move { validate::handle(&*p, &c, input).await }
        },
    );
    functions
}

/// Registers `handler` under `name`: the payload is decoded as the handler's input, and its
/// error becomes a task failure under the same ASL name Lambda would report.
fn register<I, F, Fut>(functions: &mut LocalFunctions, name: &'static str, handler: F)
where
    I: DeserializeOwned + Send + 'static,
    F: Fn(I) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<RunState, PhaseError>> + Send + 'static,
{
    functions.register(name, move |payload| {
        let call = serde_json::from_value::<I>(payload).map(&handler);
        async move {
            let state = call
                .map_err(|error| TaskFailure {
                    error: "Gameday.InvalidInput".to_string(),
                    cause: format!("{name}: the input is not valid: {error}"),
                })?
                .await
                .map_err(|error| TaskFailure {
                    error: error.asl_name().to_string(),
                    cause: error.to_string(),
                })?;
            serde_json::to_value(state).map_err(|error| TaskFailure {
                error: "Gameday.InvalidOutput".to_string(),
                cause: format!("{name}: the output cannot be encoded: {error}"),
            })
        }
        .boxed()
    });
}
