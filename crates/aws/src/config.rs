//! Building SDK clients. The SDK's own settings apply (`AWS_ENDPOINT_URL`, `AWS_REGION`,
//! profiles); a sandbox endpoint can also be given directly.

use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;

use crate::actions::Ec2Actions;
use crate::alarms::CloudWatchAlarms;
use crate::commands::SsmCommands;
use crate::fis::FisExperiments;
use crate::http_check::ReqwestHttpChecker;
use crate::instances::Ec2Instances;
use crate::notify::SnsNotifier;
use crate::parameters::SsmParameters;
use crate::runs::DynamoRunStore;

/// Where the clients point.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SdkSettings {
    /// An endpoint for every service, such as the local sandbox; also read from `AWS_ENDPOINT_URL`.
    pub endpoint_url: Option<String>,
    pub region: Option<String>,
    /// How long calls may take; `None`: [`CallTimeouts::from_env`].
    pub timeouts: Option<CallTimeouts>,
}

impl SdkSettings {
    pub fn sandbox(endpoint_url: &str) -> Self {
        Self {
            endpoint_url: Some(endpoint_url.to_string()),
            region: Some(SANDBOX_REGION.to_string()),
            timeouts: None,
        }
    }
}

/// How long an AWS call may take. Without limits a stalled endpoint (a connection accepted
/// and never answered) holds a phase or a command for ever; with them the call ends as
/// `Gameday.Transient`, naming the service and operation, and the state machine's Retry and
/// Catch (or the command's error) take over.
///
/// There is deliberately no per-attempt limit: the SDK re-sends an attempt that timed out, and
/// a slow `SendCommand`, `RunInstances` or conditional write that did land would then act
/// twice. A call that runs out of time ends instead; gameday's own retries re-read state first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallTimeouts {
    pub connect: Duration,
    /// The whole call, the SDK's retries of quick failures (throttling, 5xx) included.
    pub operation: Duration,
}

impl Default for CallTimeouts {
    /// Well under the shortest Lambda timeout of the template (the pipeline gate's 60 s; the
    /// phases have 110 s), so a stalled call fails inside the function, which can still
    /// report it.
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(5),
            operation: Duration::from_secs(30),
        }
    }
}

impl CallTimeouts {
    /// The defaults, with `GAMEDAY_AWS_CALL_TIMEOUT_SECONDS` (whole seconds above zero) when
    /// set.
    pub fn from_env() -> Self {
        let defaults = Self::default();
        let operation = std::env::var("GAMEDAY_AWS_CALL_TIMEOUT_SECONDS")
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .filter(|s| *s > 0)
            .map(Duration::from_secs)
            .unwrap_or(defaults.operation);
        Self {
            operation,
            ..defaults
        }
    }

    fn sdk(self) -> TimeoutConfig {
        TimeoutConfig::builder()
            .connect_timeout(self.connect)
            .operation_timeout(self.operation)
            .build()
    }
}

/// The sandbox's region: the Bookstore's home region in the reference articles.
pub const SANDBOX_REGION: &str = "us-west-2";

/// Loads the SDK configuration. Against a loopback endpoint (the sandbox) nothing is looked up
/// off this machine: the region defaults to [`SANDBOX_REGION`] instead of asking the instance
/// metadata service, and fixed sandbox credentials are used unless credentials are set.
pub async fn load_sdk_config(settings: &SdkSettings) -> SdkConfig {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let endpoint = settings
        .endpoint_url
        .clone()
        .or_else(|| env("AWS_ENDPOINT_URL"));
    let local = endpoint.as_deref().is_some_and(is_loopback);
    let timeouts = settings.timeouts.unwrap_or_else(CallTimeouts::from_env);
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).timeout_config(timeouts.sdk());
    if let Some(url) = &endpoint {
        loader = loader.endpoint_url(url);
    }
    let region = settings
        .region
        .clone()
        .or_else(|| local.then(|| env("AWS_REGION").unwrap_or_else(|| SANDBOX_REGION.to_string())));
    if let Some(region) = region {
        loader = loader.region(Region::new(region));
    }
    if local && env("AWS_ACCESS_KEY_ID").is_none() {
        loader = loader.credentials_provider(Credentials::new(
            "testing",
            "testing",
            None,
            None,
            "gameday-sandbox",
        ));
    }
    loader.load().await
}

/// Whether `url` points at this machine (localhost, 127.0.0.0/8 or ::1).
pub fn is_loopback(url: &str) -> bool {
    let host = url
        .split("://")
        .nth(1)
        .unwrap_or(url)
        .split(['/', ':'])
        .next()
        .unwrap_or_default();
    host == "localhost"
        || host == "[::1]"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Every adapter, built from one SDK configuration.
#[derive(Clone)]
pub struct AwsClients {
    pub instances: Ec2Instances,
    pub parameters: SsmParameters,
    /// Alarm and metric reader, alarm writer and run metric writer.
    pub alarms: CloudWatchAlarms,
    pub runs: DynamoRunStore,
    pub notifier: SnsNotifier,
    pub actions: Ec2Actions,
    pub commands: SsmCommands,
    pub fis: FisExperiments,
    pub http: ReqwestHttpChecker,
}

impl AwsClients {
    pub fn new(config: &SdkConfig, table_name: &str) -> Self {
        Self {
            instances: Ec2Instances::new(aws_sdk_ec2::Client::new(config)),
            parameters: SsmParameters::new(aws_sdk_ssm::Client::new(config)),
            alarms: CloudWatchAlarms::new(aws_sdk_cloudwatch::Client::new(config)),
            runs: DynamoRunStore::new(aws_sdk_dynamodb::Client::new(config), table_name),
            notifier: SnsNotifier::new(aws_sdk_sns::Client::new(config)),
            actions: Ec2Actions::new(aws_sdk_ec2::Client::new(config)),
            commands: SsmCommands::new(aws_sdk_ssm::Client::new(config)),
            fis: FisExperiments::new(aws_sdk_fis::Client::new(config)),
            http: ReqwestHttpChecker::new(),
        }
    }

    pub async fn load(settings: &SdkSettings, table_name: &str) -> Self {
        Self::new(&load_sdk_config(settings).await, table_name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_loopback_endpoints() {
        assert!(is_loopback("http://127.0.0.1:4566"));
        assert!(is_loopback("http://localhost:5000/"));
        assert!(!is_loopback("https://ec2.us-west-2.amazonaws.com"));
        assert!(!is_loopback("http://127.example.com"));
    }
}
