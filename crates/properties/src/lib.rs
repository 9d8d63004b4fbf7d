//! What the property tests of every parser share (issue 8): generators that start from valid
//! documents and events and break them in structured ways ([`mutate`]), text edits, hostile
//! scalars, deep nesting and random text ([`text`]), and the runner that takes its case count
//! from `GAMEDAY_PROPERTY_CASES`, checks that rejections are clear errors and tallies accepted
//! and rejected inputs for the reliability bench ([`run`]).

pub mod mutate;
pub mod run;
pub mod text;

pub use mutate::{Applied, Mutated, hostile_value, mutated};
pub use run::{
    CASES_VAR, LAST_INPUT_VAR, Outcome, REPORT_VAR, cases, check_all, lambda_payload,
    mentions_change, must_name, names_change,
};
pub use text::{Format, Input, document, edited, payload, random_text, render};
