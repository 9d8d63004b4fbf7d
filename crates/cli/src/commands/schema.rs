use std::process::ExitCode;

pub fn run() -> ExitCode {
    match serde_json::to_string_pretty(gameday_core::spec::experiment_schema()) {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(error) => super::fail(format!("cannot render the schema: {error}")),
    }
}
