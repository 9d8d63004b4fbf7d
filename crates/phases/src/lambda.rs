//! The AWS side of the phase handlers: ports over the SDK adapters, and Lambda's logging.

use gameday_aws::config::load_sdk_config;
use gameday_aws::dns::Route53Dns;
use gameday_aws::runs::DEFAULT_TABLE_NAME;
use gameday_aws::{AwsClients, SdkSettings};
use gameday_core::clock::{Clock, SystemClock};

use crate::ports::Ports;

/// The ports over real AWS (or the sandbox), with a clock.
pub struct AwsPorts<C: Clock = SystemClock> {
    pub clients: AwsClients,
    pub dns: Route53Dns,
    pub clock: C,
}

impl<C: Clock> AwsPorts<C> {
    pub async fn load(settings: &SdkSettings, table_name: &str, clock: C) -> Self {
        let config = load_sdk_config(settings).await;
        Self {
            clients: AwsClients::new(&config, table_name),
            dns: Route53Dns::from_config(&config),
            clock,
        }
    }
}

/// The ports a Lambda function uses: the SDK's own settings, the table from `TABLE_NAME`.
pub async fn ports_from_env() -> AwsPorts {
    let table = std::env::var("TABLE_NAME").unwrap_or_else(|_| DEFAULT_TABLE_NAME.to_string());
    AwsPorts::load(&SdkSettings::default(), &table, SystemClock).await
}

/// JSON logs, one object a line, as CloudWatch Logs Insights reads them; `RUST_LOG` filters.
pub fn init_tracing() {
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_target(false)
        .without_time()
        .init();
}

impl<C: Clock> Ports for AwsPorts<C> {
    fn instances(&self) -> &(impl gameday_aws::instances::InstanceDirectory + Sync) {
        &self.clients.instances
    }
    fn instance_actions(&self) -> &(impl gameday_aws::actions::InstanceActions + Sync) {
        &self.clients.actions
    }
    fn parameters(&self) -> &(impl gameday_aws::parameters::ParameterStore + Sync) {
        &self.clients.parameters
    }
    fn alarms(
        &self,
    ) -> &(
         impl gameday_aws::alarms::AlarmReader
         + gameday_aws::alarms::AlarmWriter
         + gameday_aws::alarms::MetricReader
         + gameday_aws::alarms::MetricWriter
         + Sync
     ) {
        &self.clients.alarms
    }
    fn runs(
        &self,
    ) -> &(
         impl gameday_aws::runs::RunStore
         + gameday_aws::runs::LockStore
         + gameday_aws::runs::ExperimentStore
         + Sync
     ) {
        &self.clients.runs
    }
    fn commands(&self) -> &(impl gameday_aws::commands::CommandRunner + Sync) {
        &self.clients.commands
    }
    fn fis(&self) -> &(impl gameday_aws::fis::FaultInjection + Sync) {
        &self.clients.fis
    }
    fn dns(&self) -> &(impl gameday_aws::dns::DnsReader + Sync) {
        &self.dns
    }
    fn http(&self) -> &(impl gameday_aws::http_check::HttpChecker + Sync) {
        &self.clients.http
    }
    fn notifier(&self) -> &(impl gameday_aws::notify::Notifier + Sync) {
        &self.clients.notifier
    }
    fn clock(&self) -> &dyn Clock {
        &self.clock
    }
}
