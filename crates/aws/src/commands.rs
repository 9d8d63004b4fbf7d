//! SSM Run Command: the on-host faults (`AWS-RunShellScript`) and their undo.

use std::future::Future;

use crate::error::{AwsError, from_sdk};

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
    fn run_shell(
        &self,
        instance_ids: &[String],
        commands: &[String],
        comment: &str,
    ) -> impl Future<Output = Result<String, AwsError>> + Send;
    /// How the command is doing on one instance.
    fn invocation(
        &self,
        command_id: &str,
        instance_id: &str,
    ) -> impl Future<Output = Result<CommandInvocation, AwsError>> + Send;
}

/// The SSM document that runs shell commands on Linux instances.
pub const SHELL_DOCUMENT: &str = "AWS-RunShellScript";

/// SSM's limit on a command's comment.
pub const MAX_COMMENT_CHARS: usize = 100;

/// SendCommand takes at most this many instance ids.
pub const MAX_INSTANCES_PER_COMMAND: usize = 50;

/// How long SSM may take to deliver the command to an instance before it gives up on that
/// instance (`TimeoutSeconds`; SSM's default is an hour). A fault that has not started within
/// ten minutes is better reported as timed out than run late.
pub const DELIVERY_TIMEOUT_SECONDS: i32 = 600;

/// The SSM adapter: `SendCommand` with `AWS-RunShellScript`, and `GetCommandInvocation`.
#[derive(Clone, Debug)]
pub struct SsmCommands {
    client: aws_sdk_ssm::Client,
}

impl SsmCommands {
    pub fn new(client: aws_sdk_ssm::Client) -> Self {
        Self { client }
    }

    fn refused(code: &str, message: String) -> AwsError {
        AwsError::Refused {
            service: "ssm",
            operation: "SendCommand",
            code: code.into(),
            message,
        }
    }
}

/// `comment` cut to [`MAX_COMMENT_CHARS`] characters.
pub fn cut_comment(comment: &str) -> String {
    comment.chars().take(MAX_COMMENT_CHARS).collect()
}

impl CommandRunner for SsmCommands {
    async fn run_shell(
        &self,
        instance_ids: &[String],
        commands: &[String],
        comment: &str,
    ) -> Result<String, AwsError> {
        if instance_ids.is_empty() {
            return Err(Self::refused(
                "NoInstances",
                "no instance ids were given; the command was not sent".into(),
            ));
        }
        if instance_ids.len() > MAX_INSTANCES_PER_COMMAND {
            return Err(Self::refused(
                "TooManyInstances",
                format!(
                    "{} instance ids were given and SendCommand takes at most {MAX_INSTANCES_PER_COMMAND}; split the targets",
                    instance_ids.len()
                ),
            ));
        }
        if commands.is_empty() {
            return Err(Self::refused(
                "NoCommands",
                "no shell commands were given; the command was not sent".into(),
            ));
        }
        let output = self
            .client
            .send_command()
            .document_name(SHELL_DOCUMENT)
            .set_instance_ids(Some(instance_ids.to_vec()))
            .parameters("commands", commands.to_vec())
            .comment(cut_comment(comment))
            .timeout_seconds(DELIVERY_TIMEOUT_SECONDS)
            .send()
            .await
            .map_err(|e| from_sdk("ssm", "SendCommand", e))?;
        output
            .command()
            .and_then(|c| c.command_id())
            .map(String::from)
            .ok_or_else(|| {
                Self::refused(
                    "NoCommandId",
                    "SSM accepted the command but returned no command id".into(),
                )
            })
    }

    async fn invocation(
        &self,
        command_id: &str,
        instance_id: &str,
    ) -> Result<CommandInvocation, AwsError> {
        let result = self
            .client
            .get_command_invocation()
            .command_id(command_id)
            .instance_id(instance_id)
            .send()
            .await;
        match result {
            Ok(output) => Ok(CommandInvocation {
                status: output
                    .status()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_else(|| "Pending".to_string()),
                output: output
                    .standard_output_content()
                    .filter(|text| !text.is_empty())
                    .map(String::from),
            }),
            // SSM creates the invocation a moment after SendCommand returns: until then the
            // command is, for our purposes, pending on that instance.
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_invocation_does_not_exist()) =>
            {
                Ok(CommandInvocation {
                    status: "Pending".to_string(),
                    output: None,
                })
            }
            Err(error) => Err(from_sdk("ssm", "GetCommandInvocation", error)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_are_cut_to_one_hundred_characters() {
        assert_eq!(cut_comment("gameday run r-1"), "gameday run r-1");
        let long = "é".repeat(130);
        let cut = cut_comment(&long);
        assert_eq!(cut.chars().count(), 100);
        assert!(long.starts_with(&cut));
    }
}
