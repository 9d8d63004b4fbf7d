//! Printing results as text for people or JSON for programs.

use serde::Serialize;

use crate::cli::OutputFormat;

/// Prints `value` as pretty JSON, or calls `text` to print it for people.
pub fn emit<T: Serialize>(format: OutputFormat, value: &T, text: impl FnOnce(&T)) {
    match format {
        OutputFormat::Json => match serde_json::to_string_pretty(value) {
            Ok(json) => println!("{json}"),
            Err(error) => eprintln!("gameday: cannot render JSON: {error}"),
        },
        OutputFormat::Text => text(value),
    }
}
