//! SSM Run Command: the on-host faults (`AWS-RunShellScript`) and their undo.

use std::future::Future;

use crate::error::AwsError;

/// The state of one command on one instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandInvocation {
    /// SSM's status: Pending, InProgress, Delayed, Success, Cancelled, TimedOut, Failed, ...
    pub status: String,
    /// What the script printed, when SSM reports it.
    pub output: Option<String>,
}

pub trait CommandRunner {
    /// Sends `commands` as one `AWS-RunShellScript` command to `instance_ids`, and returns the
    /// command id once SSM has accepted it.
    fn run_shell(&self, instance_ids: &[String], commands: &[String], comment: &str)
    -> impl Future<Output = Result<String, AwsError>> + Send;
    /// How the command is doing on one instance.
    fn invocation(&self, command_id: &str, instance_id: &str) -> impl Future<Output = Result<CommandInvocation, AwsError>> + Send;
}
