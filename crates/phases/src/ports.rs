//! Everything a phase handler reaches the world through. The AWS adapters implement it for
//! Lambda and the local engine; tests may build it from mocked SDK clients.

use gameday_aws::actions::InstanceActions;
use gameday_aws::alarms::{AlarmReader, AlarmWriter, MetricReader, MetricWriter};
use gameday_aws::commands::CommandRunner;
use gameday_aws::dns::DnsReader;
use gameday_aws::fis::FaultInjection;
use gameday_aws::http_check::HttpChecker;
use gameday_aws::instances::InstanceDirectory;
use gameday_aws::notify::Notifier;
use gameday_aws::parameters::ParameterStore;
use gameday_aws::runs::{ExperimentStore, LockStore, RunStore};
use gameday_core::clock::Clock;

pub trait Ports: Send + Sync {
    fn instances(&self) -> &(impl InstanceDirectory + Sync);
    fn instance_actions(&self) -> &(impl InstanceActions + Sync);
    fn parameters(&self) -> &(impl ParameterStore + Sync);
    fn alarms(&self) -> &(impl AlarmReader + AlarmWriter + MetricReader + MetricWriter + Sync);
    fn runs(&self) -> &(impl RunStore + LockStore + ExperimentStore + Sync);
    fn commands(&self) -> &(impl CommandRunner + Sync);
    fn fis(&self) -> &(impl FaultInjection + Sync);
    fn dns(&self) -> &(impl DnsReader + Sync);
    fn http(&self) -> &(impl HttpChecker + Sync);
    fn notifier(&self) -> &(impl Notifier + Sync);
    fn clock(&self) -> &dyn Clock;
}
