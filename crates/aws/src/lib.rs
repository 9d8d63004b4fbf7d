//! Ports for the AWS services gameday uses, and their AWS SDK adapters. Handlers and commands
//! take the traits, so the same code runs in Lambda, in the local engine and in tests; this
//! is the only crate that knows the SDKs.

pub mod actions;
pub mod alarms;
pub mod buckets;
pub mod commands;
pub mod config;
pub mod database;
pub mod dns;
pub mod error;
pub mod evidence;
pub mod executions;
pub mod fis;
pub mod http_check;
pub mod instances;
pub mod launch;
pub mod leases;
pub mod ledger;
pub mod notify;
pub mod parameters;
pub mod pipeline;
pub mod runs;
pub mod sandbox_seed;
pub mod schedules;

pub use config::{AwsClients, SdkSettings};
pub use error::AwsError;
