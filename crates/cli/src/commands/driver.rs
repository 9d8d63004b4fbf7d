//! This process as a run's driver: who it is, the lease it keeps while it drives a run, and
//! the evidence about other drivers (is that process still there, is that execution still
//! running) that tells a live run from an interrupted one.

use std::time::Duration;

use chrono::Utc;
use gameday_aws::AwsClients;
use gameday_aws::AwsError;
use gameday_aws::executions::{Executions, SfnExecutions};
use gameday_aws::leases::LeaseStore;
use gameday_aws::runs::DynamoRunStore;
use gameday_core::liveness::{self, Driver, DriverEvidence, LOCAL_RENEW_SECONDS, Lease, Liveness};
use gameday_core::run::RunRecord;
use tokio::sync::watch;

/// This process, driving a run as `gameday <command>`.
pub fn this_process(command: &str) -> Driver {
    let pid = std::process::id();
    Driver::Local {
        command: command.to_string(),
        host: host_name(),
        pid,
        boot_id: boot_id(),
        process_start: process_start(pid),
    }
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown-host".to_string())
}

fn boot_id() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .ok()
        .map(|id| id.trim().to_string())
}

/// A process's start time in clock ticks since boot (`/proc/PID/stat`, field 22), and whether
/// it is a zombie (dead, not yet reaped); `None` when there is no such process.
fn process_stat(pid: u32) -> Option<(u64, bool)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count after it.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let zombie = fields.first() == Some(&"Z");
    Some((fields.get(19)?.parse().ok()?, zombie))
}

fn process_start(pid: u32) -> Option<u64> {
    process_stat(pid).map(|(start, _)| start)
}

/// Whether a local driver's process still exists, when this machine can tell: same host and
/// boot, and /proc to look in. A pid reused by another process counts as gone.
fn process_alive(driver: &Driver) -> Option<bool> {
    let Driver::Local {
        host,
        pid,
        boot_id: Some(driver_boot),
        process_start: driver_start,
        ..
    } = driver
    else {
        return None;
    };
    if *host != host_name() || boot_id().as_ref() != Some(driver_boot) {
        return None;
    }
    Some(match process_stat(*pid) {
        None => false,
        Some((_, true)) => false,
        Some((start, false)) => driver_start.is_none_or(|expected| expected == start),
    })
}

/// Whether anything still drives `record`, from its lease and what can be found out about
/// the lease's driver. `sfn` describes Step Functions drivers.
pub async fn liveness_of(
    store: &DynamoRunStore,
    sfn: &SfnExecutions,
    record: &RunRecord,
) -> Result<(Option<Lease>, Liveness), AwsError> {
    if record.status.is_terminal() {
        return Ok((None, Liveness::Finished));
    }
    let lease = store.get_lease(&record.run_id).await?;
    let mut evidence = DriverEvidence::default();
    match lease.as_ref().map(|l| &l.driver) {
        Some(driver @ Driver::Local { .. }) => evidence.process_alive = process_alive(driver),
        Some(Driver::StepFunctions { execution_arn }) => {
            evidence.execution_status = Some(
                sfn.describe(execution_arn)
                    .await
                    .map(|state| state.status)
                    .map_err(|e| e.to_string()),
            );
        }
        None => {}
    }
    let judged = liveness::judge(record, lease.as_ref(), &evidence, Utc::now());
    Ok((lease, judged))
}

/// The clients a liveness check needs, for commands that read runs.
pub struct RunReader {
    pub clients: AwsClients,
    pub sfn: SfnExecutions,
}

impl RunReader {
    pub async fn load(aws: &crate::cli::AwsArgs, table: &str) -> Self {
        let config = gameday_aws::config::load_sdk_config(&aws.settings()).await;
        Self {
            clients: AwsClients::new(&config, table),
            sfn: SfnExecutions::from_config(&config),
        }
    }

    pub async fn liveness(
        &self,
        record: &RunRecord,
    ) -> Result<(Option<Lease>, Liveness), AwsError> {
        liveness_of(&self.clients.runs, &self.sfn, record).await
    }
}

/// The lease this process holds on a run, renewed in the background until it is dropped.
pub struct LeaseKeeper {
    store: DynamoRunStore,
    run_id: String,
    lease: Lease,
    lost: watch::Receiver<Option<String>>,
    renewer: tokio::task::JoinHandle<()>,
}

impl LeaseKeeper {
    /// Claims the run for `driver` (replacing `replacing`, the lease judged lost, or none) and
    /// starts renewing it. `Conflict` when another driver holds it.
    pub async fn claim(
        store: &DynamoRunStore,
        run_id: &str,
        driver: Driver,
        replacing: Option<&Lease>,
    ) -> Result<Self, AwsError> {
        let lease = Lease::local(driver, Utc::now());
        store.claim_lease(run_id, &lease, replacing).await?;
        let (tell, lost) = watch::channel(None);
        let renewer = tokio::spawn(renew(
            store.clone(),
            run_id.to_string(),
            lease.clone(),
            tell,
        ));
        Ok(Self {
            store: store.clone(),
            run_id: run_id.to_string(),
            lease,
            lost,
            renewer,
        })
    }

    /// Resolves when another driver took the run over, with what is known about it.
    pub async fn lost(&self) -> String {
        let mut lost = self.lost.clone();
        match lost.wait_for(Option::is_some).await {
            Ok(why) => why.clone().unwrap_or_default(),
            // The renewer never ends while the keeper lives; if it did, the run is not lost.
            Err(_) => std::future::pending().await,
        }
    }

    /// Stops renewing and removes the lease: the run has ended (or is left to the next driver).
    pub async fn release(self) {
        self.renewer.abort();
        if let Err(error) = self.store.drop_lease(&self.run_id, &self.lease).await {
            eprintln!(
                "gameday: run {}: the driver lease was not removed: {error}",
                self.run_id
            );
        }
    }
}

/// Renews `lease` every [`LOCAL_RENEW_SECONDS`]. A failed write (the endpoint is down) is
/// retried at the next tick. Once a renewal fails after the lease has expired, another
/// `gameday` may judge the run INTERRUPTED and roll it back, so this process must stop
/// driving: that is reported on `tell`, as is a lease taken over by another driver, and
/// renewal stops.
async fn renew(
    store: DynamoRunStore,
    run_id: String,
    lease: Lease,
    tell: watch::Sender<Option<String>>,
) {
    renew_every(
        Duration::from_secs(LOCAL_RENEW_SECONDS),
        store,
        run_id,
        lease,
        tell,
    )
    .await
}

async fn renew_every(
    every: Duration,
    store: DynamoRunStore,
    run_id: String,
    lease: Lease,
    tell: watch::Sender<Option<String>>,
) {
    let mut valid_until = lease.lease_until;
    let mut ticks = tokio::time::interval(every);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        let renewed = Lease::local(lease.driver.clone(), Utc::now());
        let outcome = store.renew_lease(&run_id, &renewed).await;
        match outcome {
            // The write is conditional on this driver still holding the lease, and whoever
            // takes a run over (`gameday rollback`) replaces the lease first: a renewal that
            // lands, even late, proves nobody did.
            Ok(()) => valid_until = renewed.lease_until,
            Err(AwsError::Conflict { .. }) => {
                let holder = match store.get_lease(&run_id).await {
                    Ok(Some(other)) => other.driver.describe(),
                    _ => "another driver".to_string(),
                };
                let _ = tell.send(Some(format!("{holder} took the run over")));
                return;
            }
            Err(error) => match valid_until.filter(|until| Utc::now() > *until) {
                Some(until) => {
                    let _ = tell.send(Some(format!(
                        "its driver lease lapsed at {} (it could not be renewed: {error}), so another gameday may take the run for interrupted; once the endpoint answers, `gameday status {run_id}` shows what is left and `gameday rollback {run_id}` undoes its faults",
                        until.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                    )));
                    return;
                }
                None => {
                    eprintln!("gameday: run {run_id}: the driver lease was not renewed: {error}")
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gameday_aws::SdkSettings;
    use gameday_aws::config::{CallTimeouts, load_sdk_config};

    /// A lease that could not be renewed before it expired ends the drive, and says why.
    #[tokio::test]
    async fn a_lapsed_lease_stops_the_driver() {
        // Port 9 (discard) on loopback: nothing listens, every write fails at once.
        let settings = SdkSettings {
            endpoint_url: Some("http://127.0.0.1:9".into()),
            region: Some("us-west-2".into()),
            timeouts: Some(CallTimeouts {
                connect: Duration::from_millis(200),
                operation: Duration::from_secs(1),
            }),
        };
        let store = DynamoRunStore::new(
            aws_sdk_dynamodb::Client::new(&load_sdk_config(&settings).await),
            "gameday",
        );
        let mut lease = Lease::local(this_process("run"), Utc::now());
        lease.lease_until = Some(Utc::now() - chrono::Duration::seconds(1));
        let (tell, mut lost) = watch::channel(None);
        renew_every(
            Duration::from_millis(10),
            store,
            "run-1".into(),
            lease,
            tell,
        )
        .await;
        let why = lost
            .borrow_and_update()
            .clone()
            .expect("the drive is stopped");
        assert!(why.contains("driver lease lapsed at"), "{why}");
        assert!(why.contains("could not be renewed"), "{why}");
        assert!(why.contains("gameday rollback run-1"), "{why}");
    }
}
