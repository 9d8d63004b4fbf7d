//! Experiment files: the model, its JSON Schema, and the loader that reports every error.

mod load;
mod model;
mod schema;
mod semantic;

pub use load::{check_unique_experiment_names, load_experiment};
pub use model::*;
pub use schema::experiment_schema;
