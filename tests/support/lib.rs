//! Shared set-up for the sandbox tests: a running sandbox and SDK configuration pointing at it.

use aws_config::SdkConfig;
use gameday_aws::config::load_sdk_config;
use gameday_aws::{AwsClients, SdkSettings};
use gameday_sandbox::Sandbox;

/// A sandbox that lives as long as the test holds it.
pub struct TestSandbox {
    pub sandbox: Sandbox,
    pub config: SdkConfig,
}

impl TestSandbox {
    /// Starts a fresh sandbox (installing pinned moto on first use).
    pub async fn start() -> Self {
        let sandbox = tokio::task::spawn_blocking(Sandbox::start)
            .await
            .expect("start task")
            .expect("the sandbox starts");
        let config = load_sdk_config(&SdkSettings::sandbox(sandbox.endpoint_url())).await;
        Self { sandbox, config }
    }

    pub fn endpoint_url(&self) -> &str {
        self.sandbox.endpoint_url()
    }

    pub fn clients(&self, table: &str) -> AwsClients {
        AwsClients::new(&self.config, table)
    }
}
