//! The adapters against mocked SDK clients (`aws-smithy-mocks`), for what the sandbox cannot
//! serve: real SSM output and failures, an invocation SSM has not created yet, FIS refusing to
//! stop an experiment that already ended, throttling and access-denied errors.

use aws_sdk_fis::operation::get_experiment::GetExperimentOutput;
use aws_sdk_fis::operation::start_experiment::StartExperimentOutput;
use aws_sdk_fis::operation::stop_experiment::{StopExperimentError, StopExperimentOutput};
use aws_sdk_fis::types::{Experiment, ExperimentState, ExperimentStatus};
use aws_sdk_ssm::operation::get_command_invocation::{
    GetCommandInvocationError, GetCommandInvocationOutput,
};
use aws_sdk_ssm::operation::send_command::{SendCommandError, SendCommandOutput};
use aws_sdk_ssm::types::{Command, CommandInvocationStatus};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use aws_smithy_types::error::ErrorMetadata;
use gameday_aws::AwsError;
use gameday_aws::commands::{CommandInvocation, CommandRunner, SsmCommands};
use gameday_aws::fis::{FaultInjection, FisExperiments};

/// An SSM adapter answering from `rules`, without the SDK's own retries.
fn ssm(mode: RuleMode, rules: &[&Rule]) -> SsmCommands {
    let client = mock_client!(aws_sdk_ssm, mode, rules, |config| config
        .retry_config(aws_sdk_ssm::config::retry::RetryConfig::disabled()));
    SsmCommands::new(client)
}

/// A FIS adapter answering from `rules`, without the SDK's own retries.
fn fis(mode: RuleMode, rules: &[&Rule]) -> FisExperiments {
    let client = mock_client!(aws_sdk_fis, mode, rules, |config| config
        .retry_config(aws_sdk_fis::config::retry::RetryConfig::disabled()));
    FisExperiments::new(client)
}

/// The metadata the SDK's deserializer attaches to a modeled error.
fn metadata(code: &str, message: &str) -> ErrorMetadata {
    ErrorMetadata::builder().code(code).message(message).build()
}

fn experiment(id: &str, status: ExperimentStatus) -> Experiment {
    Experiment::builder()
        .id(id)
        .state(ExperimentState::builder().status(status).build())
        .build()
}

#[tokio::test]
async fn run_shell_sends_one_shell_script_command_and_returns_its_id() {
    let long_comment = format!("gameday run r-1: {}", "stress the CPU ".repeat(10));
    let send = mock!(aws_sdk_ssm::Client::send_command)
        .match_requests(|input| {
            input.document_name() == Some("AWS-RunShellScript")
                && input.instance_ids() == ["i-1".to_string(), "i-2".to_string()]
                && input.parameters().and_then(|p| p.get("commands"))
                    == Some(&vec!["stress-ng --cpu 2 --timeout 60s".to_string()])
                && input.comment().is_some_and(|c| {
                    c.chars().count() == 100 && c.starts_with("gameday run r-1: stress")
                })
                && input.timeout_seconds() == Some(600)
        })
        .then_output(|| {
            SendCommandOutput::builder()
                .command(Command::builder().command_id("cmd-123").build())
                .build()
        });
    let commands = ssm(RuleMode::Sequential, &[&send]);
    let id = commands
        .run_shell(
            &["i-1".to_string(), "i-2".to_string()],
            &["stress-ng --cpu 2 --timeout 60s".to_string()],
            &long_comment,
        )
        .await
        .unwrap();
    assert_eq!(id, "cmd-123");
    assert_eq!(send.num_calls(), 1);
}

#[tokio::test]
async fn run_shell_without_targets_or_commands_sends_nothing() {
    let send = mock!(aws_sdk_ssm::Client::send_command).then_output(|| {
        SendCommandOutput::builder()
            .command(Command::builder().command_id("never").build())
            .build()
    });
    let commands = ssm(RuleMode::MatchAny, &[&send]);
    let script = vec!["true".to_string()];
    let error = commands.run_shell(&[], &script, "x").await.unwrap_err();
    assert_eq!(error.code(), Some("NoInstances"));
    let error = commands
        .run_shell(&["i-1".to_string()], &[], "x")
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("NoCommands"));
    let too_many: Vec<String> = (0..51).map(|n| format!("i-{n}")).collect();
    let error = commands
        .run_shell(&too_many, &script, "x")
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("TooManyInstances"));
    assert_eq!(error.asl_name(), "Gameday.AwsRefused");
    assert_eq!(send.num_calls(), 0);
}

#[tokio::test]
async fn invocation_reports_output_and_failure() {
    let success = mock!(aws_sdk_ssm::Client::get_command_invocation)
        .match_requests(|input| {
            input.command_id() == Some("cmd-1") && input.instance_id() == Some("i-ok")
        })
        .then_output(|| {
            GetCommandInvocationOutput::builder()
                .status(CommandInvocationStatus::Success)
                .standard_output_content("disk filled: 512M\n")
                .build()
        });
    let failed = mock!(aws_sdk_ssm::Client::get_command_invocation)
        .match_requests(|input| {
            input.command_id() == Some("cmd-1") && input.instance_id() == Some("i-bad")
        })
        .then_output(|| {
            GetCommandInvocationOutput::builder()
                .status(CommandInvocationStatus::Failed)
                .standard_output_content("")
                .standard_error_content("fallocate: No space left on device")
                .response_code(1)
                .build()
        });
    let in_progress = mock!(aws_sdk_ssm::Client::get_command_invocation)
        .match_requests(|input| input.instance_id() == Some("i-slow"))
        .then_output(|| {
            GetCommandInvocationOutput::builder()
                .status(CommandInvocationStatus::InProgress)
                .build()
        });
    let commands = ssm(RuleMode::MatchAny, &[&success, &failed, &in_progress]);

    assert_eq!(
        commands.invocation("cmd-1", "i-ok").await.unwrap(),
        CommandInvocation {
            status: "Success".into(),
            output: Some("disk filled: 512M\n".into()),
        }
    );
    assert_eq!(
        commands.invocation("cmd-1", "i-bad").await.unwrap(),
        CommandInvocation {
            status: "Failed".into(),
            output: None,
        }
    );
    assert_eq!(
        commands.invocation("cmd-1", "i-slow").await.unwrap(),
        CommandInvocation {
            status: "InProgress".into(),
            output: None,
        }
    );
}

#[tokio::test]
async fn an_invocation_not_created_yet_is_pending() {
    let missing = mock!(aws_sdk_ssm::Client::get_command_invocation)
        .sequence()
        .http_status(
            400,
            Some(
                r#"{"__type":"InvocationDoesNotExist","Message":"The command invocation does not exist"}"#
                    .into(),
            ),
        )
        .build();
    let modeled = mock!(aws_sdk_ssm::Client::get_command_invocation).then_error(|| {
        GetCommandInvocationError::InvocationDoesNotExist(
            aws_sdk_ssm::types::error::InvocationDoesNotExist::builder().build(),
        )
    });
    let commands = ssm(RuleMode::Sequential, &[&missing, &modeled]);
    let pending = CommandInvocation {
        status: "Pending".into(),
        output: None,
    };
    // Once as SSM sends it over the wire, once as the modeled error.
    assert_eq!(
        commands.invocation("cmd-new", "i-1").await.unwrap(),
        pending
    );
    assert_eq!(
        commands.invocation("cmd-new", "i-1").await.unwrap(),
        pending
    );
    assert_eq!(missing.num_calls() + modeled.num_calls(), 2);
}

#[tokio::test]
async fn throttling_is_transient() {
    let throttled = mock!(aws_sdk_ssm::Client::send_command)
        .sequence()
        .http_status(
            400,
            Some(r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#.into()),
        )
        .build();
    let commands = ssm(RuleMode::Sequential, &[&throttled]);
    let error = commands
        .run_shell(&["i-1".to_string()], &["true".to_string()], "x")
        .await
        .unwrap_err();
    assert_eq!(error.asl_name(), "Gameday.Transient");
    assert!(
        matches!(
            &error,
            AwsError::Transient { service: "ssm", operation: "SendCommand", code, message }
                if code == "ThrottlingException" && message == "Rate exceeded"
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_server_error_is_transient() {
    let broken = mock!(aws_sdk_ssm::Client::get_command_invocation)
        .sequence()
        .http_status(
            500,
            Some(r#"{"__type":"InternalServerError","Message":"try again"}"#.into()),
        )
        .build();
    let commands = ssm(RuleMode::Sequential, &[&broken]);
    let error = commands.invocation("cmd-1", "i-1").await.unwrap_err();
    assert_eq!(error.asl_name(), "Gameday.Transient");
    assert_eq!(error.code(), Some("InternalServerError"));
}

#[tokio::test]
async fn access_denied_is_refused() {
    let denied = mock!(aws_sdk_ssm::Client::send_command).then_error(|| {
        SendCommandError::generic(
            ErrorMetadata::builder()
                .code("AccessDeniedException")
                .message("User is not authorized to perform: ssm:SendCommand")
                .build(),
        )
    });
    let commands = ssm(RuleMode::Sequential, &[&denied]);
    let error = commands
        .run_shell(&["i-1".to_string()], &["true".to_string()], "x")
        .await
        .unwrap_err();
    assert_eq!(error.asl_name(), "Gameday.AwsRefused");
    assert!(
        matches!(
            &error,
            AwsError::Refused { service: "ssm", operation: "SendCommand", code, message }
                if code == "AccessDeniedException" && message.contains("ssm:SendCommand")
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn fis_start_passes_the_template_and_token_and_returns_the_id() {
    let start = mock!(aws_sdk_fis::Client::start_experiment)
        .match_requests(|input| {
            input.experiment_template_id() == Some("EXT123")
                && input.client_token() == Some("run-1-inject")
        })
        .then_output(|| {
            StartExperimentOutput::builder()
                .experiment(experiment("EXP456", ExperimentStatus::Initiating))
                .build()
        });
    let experiments = fis(RuleMode::Sequential, &[&start]);
    assert_eq!(
        experiments
            .start_experiment("EXT123", "run-1-inject")
            .await
            .unwrap(),
        "EXP456"
    );
    assert_eq!(start.num_calls(), 1);
}

#[tokio::test]
async fn fis_stop_of_a_running_experiment_succeeds() {
    let stop = mock!(aws_sdk_fis::Client::stop_experiment)
        .match_requests(|input| input.id() == Some("EXP1"))
        .then_output(|| {
            StopExperimentOutput::builder()
                .experiment(experiment("EXP1", ExperimentStatus::Stopping))
                .build()
        });
    let experiments = fis(RuleMode::Sequential, &[&stop]);
    experiments.stop_experiment("EXP1").await.unwrap();
    assert_eq!(stop.num_calls(), 1);
}

#[tokio::test]
async fn fis_stop_of_an_experiment_that_already_ended_succeeds() {
    // As FIS sends it over the wire (restJson1, error code in the body)...
    let refused = mock!(aws_sdk_fis::Client::stop_experiment)
        .sequence()
        .http_status(
            400,
            Some(
                r#"{"__type":"ValidationException","message":"Experiment EXP1 cannot be stopped: it is completed"}"#
                    .into(),
            ),
        )
        .build();
    // ...and as the modeled error.
    let validation = mock!(aws_sdk_fis::Client::stop_experiment).then_error(|| {
        StopExperimentError::ValidationException(
            aws_sdk_fis::types::error::ValidationException::builder()
                .message("Experiment EXP1 cannot be stopped: it is completed")
                .meta(metadata(
                    "ValidationException",
                    "Experiment EXP1 cannot be stopped: it is completed",
                ))
                .build(),
        )
    });
    let completed = mock!(aws_sdk_fis::Client::get_experiment)
        .match_requests(|input| input.id() == Some("EXP1"))
        .then_output(|| {
            GetExperimentOutput::builder()
                .experiment(experiment("EXP1", ExperimentStatus::Completed))
                .build()
        });
    let stopped = mock!(aws_sdk_fis::Client::get_experiment).then_output(|| {
        GetExperimentOutput::builder()
            .experiment(experiment("EXP1", ExperimentStatus::Stopped))
            .build()
    });
    let experiments = fis(
        RuleMode::Sequential,
        &[&refused, &completed, &validation, &stopped],
    );
    experiments.stop_experiment("EXP1").await.unwrap();
    experiments.stop_experiment("EXP1").await.unwrap();
    for rule in [&refused, &completed, &validation, &stopped] {
        assert_eq!(rule.num_calls(), 1);
    }
}

#[tokio::test]
async fn fis_stop_refused_while_still_running_is_an_error() {
    let validation = mock!(aws_sdk_fis::Client::stop_experiment).then_error(|| {
        StopExperimentError::ValidationException(
            aws_sdk_fis::types::error::ValidationException::builder()
                .message("invalid request")
                .meta(metadata("ValidationException", "invalid request"))
                .build(),
        )
    });
    let running = mock!(aws_sdk_fis::Client::get_experiment).then_output(|| {
        GetExperimentOutput::builder()
            .experiment(experiment("EXP1", ExperimentStatus::Running))
            .build()
    });
    let experiments = fis(RuleMode::Sequential, &[&validation, &running]);
    let error = experiments.stop_experiment("EXP1").await.unwrap_err();
    assert_eq!(error.code(), Some("ValidationException"));
    assert_eq!(error.asl_name(), "Gameday.AwsRefused");

    let missing = mock!(aws_sdk_fis::Client::stop_experiment).then_error(|| {
        StopExperimentError::ResourceNotFoundException(
            aws_sdk_fis::types::error::ResourceNotFoundException::builder()
                .message("Experiment EXP9 does not exist")
                .meta(metadata(
                    "ResourceNotFoundException",
                    "Experiment EXP9 does not exist",
                ))
                .build(),
        )
    });
    let experiments = fis(RuleMode::Sequential, &[&missing]);
    let error = experiments.stop_experiment("EXP9").await.unwrap_err();
    assert_eq!(error.code(), Some("ResourceNotFoundException"));
}

#[tokio::test]
async fn fis_throttling_is_transient() {
    let throttled = mock!(aws_sdk_fis::Client::start_experiment).then_error(|| {
        aws_sdk_fis::operation::start_experiment::StartExperimentError::generic(
            ErrorMetadata::builder()
                .code("ThrottlingException")
                .message("Rate exceeded")
                .build(),
        )
    });
    let experiments = fis(RuleMode::Sequential, &[&throttled]);
    let error = experiments
        .start_experiment("EXT1", "token")
        .await
        .unwrap_err();
    assert_eq!(error.asl_name(), "Gameday.Transient");
    assert_eq!(error.code(), Some("ThrottlingException"));
}
