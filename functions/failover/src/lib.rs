//! The failover handler: an alarm event in, a recovery out, every step in the ledger.
//!
//! For each alarm event that went to ALARM: find the policy of its alarm, take the service's
//! lock (a duplicate inside the cooldown is recorded and skipped), re-check the primary
//! (healthy again means cancelled: alarms flap), run the policy's procedure (`ec2`, `rds` or
//! `s3-static`), UPSERT the record only once the replacement is checked, wait for INSYNC,
//! measure the RTO, release the lock into its cooldown, and notify the leads.
//!
//! The handler takes every collaborator as a port ([`Deps`]), so the same code runs in
//! Lambda (wired by `crates/bootstrap`), in `gameday failover drill`, and in tests with a
//! manual clock.

use std::sync::Arc;
use std::time::Duration;

use gameday_aws::AwsError;
use gameday_aws::buckets::BucketReader;
use gameday_aws::database::DatabaseFailover;
use gameday_aws::dns::DnsWriter;
use gameday_aws::http_check::HttpChecker;
use gameday_aws::launch::FailoverCompute;
use gameday_aws::ledger::{FailoverLedger, LockOutcome, PolicyStore};
use gameday_aws::notify::Notifier;
use gameday_core::failover::{
    AlarmEvent, FailoverFile, LedgerEntry, Outcome, Procedure, RecordValues, ResolvedPolicy, Step,
    StepRecord, StepStatus, blocked_after, blocked_while_running,
};
use serde::Serialize;
use serde_json::Value;

mod ec2;
pub mod event;
mod rds;
mod s3;
pub mod timer;

pub use event::{EventError, alarm_events, eventbridge_alarm_event};
pub use timer::{ManualTimer, SystemTimer, Timer};

/// Called with each step as it is recorded (the drill prints them live).
pub type StepObserver = Arc<dyn Fn(&LedgerEntry, &StepRecord) + Send + Sync>;

/// Everything the handler talks to.
pub struct Deps<C, D, L, N, H, R, B> {
    pub compute: C,
    pub dns: D,
    pub ledger: L,
    pub notifier: N,
    pub http: H,
    pub database: R,
    pub buckets: B,
    pub timer: Arc<dyn Timer>,
    /// The topic used when a policy file names none (`TOPIC_ARN`).
    pub default_topic: Option<String>,
    pub observer: Option<StepObserver>,
}

/// Where the handler finds the policy of an alarm.
pub trait PolicySource {
    fn policy_for_alarm(
        &self,
        alarm_name: &str,
    ) -> impl std::future::Future<Output = Result<Option<ResolvedPolicy>, AwsError>> + Send;
}

/// Policies from a file loaded at start (bundled with the function, or given to the drill).
#[derive(Debug, Clone)]
pub struct FilePolicies(pub FailoverFile);

impl PolicySource for FilePolicies {
    async fn policy_for_alarm(&self, alarm_name: &str) -> Result<Option<ResolvedPolicy>, AwsError> {
        Ok(self
            .0
            .policy_for_alarm(alarm_name)
            .map(|p| self.0.resolved(p)))
    }
}

/// Policies stored in the table (`gameday failover publish`).
#[derive(Debug, Clone)]
pub struct TablePolicies<S>(pub S);

impl<S: PolicyStore + Sync> PolicySource for TablePolicies<S> {
    async fn policy_for_alarm(&self, alarm_name: &str) -> Result<Option<ResolvedPolicy>, AwsError> {
        self.0.policy_for_alarm(alarm_name).await
    }
}

/// What one invocation did.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FailoverReport {
    pub entries: Vec<LedgerEntry>,
    /// Events that started nothing, and why (not ALARM, no policy).
    pub ignored: Vec<String>,
}

/// The handler's errors, each with the stable ASL-style name the logs and callers match on.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    #[error(transparent)]
    Event(#[from] EventError),
    #[error("looking up the failover policy of alarm {alarm}: {source}")]
    Policy { alarm: String, source: AwsError },
}

impl HandlerError {
    pub fn asl_name(&self) -> &'static str {
        match self {
            HandlerError::Event(_) => "Gameday.BadEvent",
            HandlerError::Policy { source, .. } => source.asl_name(),
        }
    }
}

/// Lambda reports the ASL name as the error type, so callers match on it, not on a Rust type.
impl From<HandlerError> for lambda_runtime::Diagnostic {
    fn from(error: HandlerError) -> Self {
        lambda_runtime::Diagnostic {
            error_type: error.asl_name().to_string(),
            error_message: error.to_string(),
        }
    }
}

/// How often the finished ledger entry is written before giving up.
const FINAL_SAVE_ATTEMPTS: u32 = 3;

/// A step that failed: where, and what the service said.
pub(crate) type StepFailure = (Step, String);

/// How a procedure ended when it did not fail.
pub(crate) struct Ended {
    pub outcome: Outcome,
}

/// Re-tries a check until it passes or `timeout` runs out, sleeping `interval` between tries.
pub(crate) enum Wait<T> {
    Done(T),
    TimedOut(String),
}

impl<C, D, L, N, H, R, B> Deps<C, D, L, N, H, R, B>
where
    C: FailoverCompute + Sync,
    D: DnsWriter + Sync,
    L: FailoverLedger + Sync,
    N: Notifier + Sync,
    H: HttpChecker + Sync,
    R: DatabaseFailover + Sync,
    B: BucketReader + Sync,
{
    /// Handles one Lambda payload (either event shape).
    pub async fn handle(
        &self,
        policies: &impl PolicySource,
        payload: &Value,
    ) -> Result<FailoverReport, HandlerError> {
        let mut report = FailoverReport::default();
        for event in alarm_events(payload)? {
            if !event.is_alarm() {
                report.ignored.push(format!(
                    "{} went to {}, not ALARM: nothing to do",
                    event.alarm_name, event.state
                ));
                continue;
            }
            let policy = policies
                .policy_for_alarm(&event.alarm_name)
                .await
                .map_err(|source| HandlerError::Policy {
                    alarm: event.alarm_name.clone(),
                    source,
                })?;
            match policy {
                Some(policy) => report.entries.push(self.run(&policy, event).await),
                None => {
                    tracing::warn!(alarm = %event.alarm_name, "no failover policy names this alarm");
                    report.ignored.push(format!(
                        "no failover policy lists alarm {}; add it to a policy's `alarms`",
                        event.alarm_name
                    ));
                }
            }
        }
        Ok(report)
    }

    /// Runs the failover of `policy` for `event` and returns its ledger entry (also stored).
    pub async fn run(&self, resolved: &ResolvedPolicy, event: AlarmEvent) -> LedgerEntry {
        let policy = &resolved.policy;
        let failover_id = uuid::Uuid::new_v4().to_string();
        let received_at = self.timer.now();
        let mut entry = LedgerEntry::new(
            &failover_id,
            &policy.service,
            &policy.dependency,
            policy.procedure.kind(),
            event,
            received_at,
        );
        self.observe(&entry);
        let span =
            tracing::info_span!("failover", failover_id = %failover_id, service = %policy.service);
        let _enter = span.enter();

        let now = self.timer.now();
        let until = blocked_while_running(now, policy.max_duration());
        match self
            .ledger
            .take_lock(&policy.service, &failover_id, until, now)
            .await
        {
            Ok(LockOutcome::Taken) => self.step(
                &mut entry,
                Step::LockTaken,
                StepStatus::Done,
                format!(
                    "one failover of {} at a time; held until {}",
                    policy.service,
                    until.to_rfc3339()
                ),
            ),
            Ok(LockOutcome::Held {
                holder,
                blocked_until,
            }) => {
                let detail = match blocked_until {
                    Some(t) => format!(
                        "failover {holder} holds {} until {} (running or in its cooldown of {})",
                        policy.service,
                        t.to_rfc3339(),
                        policy.cooldown
                    ),
                    None => format!("failover {holder} holds {}", policy.service),
                };
                let at = self.timer.now();
                entry.skip_as_duplicate(&holder, at, detail);
                self.observe(&entry);
                self.save_final(&entry).await;
                return entry;
            }
            Err(error) => {
                let at = self.timer.now();
                entry.fail(
                    Step::LockTaken,
                    at,
                    format!("could not take the lock: {error}"),
                );
                entry.finish(Outcome::Failed, at);
                self.observe(&entry);
                self.save(&entry).await;
                self.notify(resolved, &mut entry).await;
                self.save_final(&entry).await;
                return entry;
            }
        }
        self.save(&entry).await;

        let result = match &policy.procedure {
            Procedure::Ec2(procedure) => self.run_ec2(resolved, procedure, &mut entry).await,
            Procedure::Rds(procedure) => self.run_rds(resolved, procedure, &mut entry).await,
            Procedure::S3Static(procedure) => self.run_s3(resolved, procedure, &mut entry).await,
        };
        let finished = self.timer.now();
        match result {
            Ok(ended) => entry.finish(ended.outcome, finished),
            Err((step, error)) => {
                entry.fail(step, finished, error);
                entry.finish(Outcome::Failed, finished);
                self.observe(&entry);
            }
        }
        let release = blocked_after(entry.outcome, finished, policy.cooldown);
        if let Err(error) = self
            .ledger
            .release_lock(&policy.service, &failover_id, release)
            .await
        {
            tracing::error!(%error, "could not release the failover lock; it expires by itself");
        }
        self.notify(resolved, &mut entry).await;
        self.save_final(&entry).await;
        // The template's metric filters read `service`, `outcome` and `rto_seconds` of this line.
        tracing::info!(
            service = %entry.service,
            outcome = %entry.outcome,
            rto_seconds = entry.rto.as_ref().map(|rto| rto.measured_seconds),
            rto_objective_seconds = entry.rto.as_ref().map(|rto| rto.objective_seconds),
            summary = %entry.summary(),
            "failover finished"
        );
        entry
    }

    /// Records a step at the timer's now and shows it.
    pub(crate) fn step(
        &self,
        entry: &mut LedgerEntry,
        step: Step,
        status: StepStatus,
        detail: impl Into<String>,
    ) {
        let at = self.timer.now();
        entry.record(step, status, at, detail);
        self.observe(entry);
    }

    fn observe(&self, entry: &LedgerEntry) {
        if let (Some(observer), Some(last)) = (&self.observer, entry.steps.last()) {
            observer(entry, last);
        }
        if let Some(last) = entry.steps.last() {
            tracing::info!(step = %last.step, status = %last.status, detail = %last.detail, "failover step");
        }
    }

    pub(crate) async fn save(&self, entry: &LedgerEntry) {
        if let Err(error) = self.ledger.save_entry(entry).await {
            tracing::error!(%error, "could not write the ledger entry");
        }
    }

    /// Writes the finished entry, trying again (the write is a put of the whole entry, so
    /// repeating it is safe): a failed last write would leave the ledger showing a failover
    /// still in progress, with nothing left to correct it.
    async fn save_final(&self, entry: &LedgerEntry) {
        for attempt in 1..=FINAL_SAVE_ATTEMPTS {
            match self.ledger.save_entry(entry).await {
                Ok(()) => return,
                Err(error) if attempt < FINAL_SAVE_ATTEMPTS => {
                    tracing::warn!(%error, attempt, "could not write the finished ledger entry; trying again");
                    self.timer.sleep(Duration::from_secs(attempt.into())).await;
                }
                Err(error) => tracing::error!(
                    %error,
                    "could not write the finished ledger entry; the table shows it IN_PROGRESS"
                ),
            }
        }
    }

    async fn notify(&self, resolved: &ResolvedPolicy, entry: &mut LedgerEntry) {
        let Some(topic) = resolved
            .topic_arn
            .clone()
            .or_else(|| self.default_topic.clone())
        else {
            self.step(
                entry,
                Step::Notified,
                StepStatus::Skipped,
                "no topic: set TOPIC_ARN or notify.topicArn",
            );
            return;
        };
        let mut subject = format!("gameday failover {}: {}", entry.service, entry.outcome);
        if let Some(rto) = &entry.rto {
            subject.push_str(&format!(" (RTO {})", rto.verdict()));
        }
        let leads: Vec<&str> = resolved.leads.iter().map(|c| c.name.as_str()).collect();
        let message = serde_json::json!({
            "type": "failover",
            "summary": entry.summary(),
            "application": resolved.application,
            "environment": resolved.environment,
            "leads": resolved.leads,
            "entry": entry,
        });
        match self
            .notifier
            .publish(&topic, &subject, &message.to_string())
            .await
        {
            Ok(message_id) => {
                let to = if leads.is_empty() {
                    String::new()
                } else {
                    format!(" for {}", leads.join(", "))
                };
                self.step(
                    entry,
                    Step::Notified,
                    StepStatus::Done,
                    format!("message {message_id} to {topic}{to}"),
                )
            }
            Err(error) => self.step(
                entry,
                Step::Notified,
                StepStatus::Failed,
                format!("could not publish: {error}"),
            ),
        }
    }

    /// The zone id of a DNS target, looked up by name when the policy gives a name.
    pub(crate) async fn zone_id(
        &self,
        dns: &gameday_core::failover::DnsTarget,
    ) -> Result<String, String> {
        if let Some(id) = &dns.hosted_zone_id {
            return Ok(id.clone());
        }
        let name = dns.zone_name.as_deref().unwrap_or_default();
        match self.dns.zone_id(name).await {
            Ok(Some(id)) => Ok(id),
            Ok(None) => Err(format!("there is no hosted zone named {name}")),
            Err(error) => Err(format!("looking up the hosted zone {name}: {error}")),
        }
    }

    /// UPSERTs the record (after writing the old value to the ledger), waits for INSYNC and
    /// measures the RTO at that moment.
    pub(crate) async fn move_record(
        &self,
        resolved: &ResolvedPolicy,
        zone_id: &str,
        entry: &mut LedgerEntry,
        record: RecordValues,
    ) -> Result<(), StepFailure> {
        let dns = resolved.policy.dns();
        // The old value is in the table before the record changes.
        self.save(entry).await;
        let comment = format!(
            "gameday failover {} of {}",
            entry.failover_id, entry.service
        );
        let change = match self
            .dns
            .upsert(zone_id, &dns.record_name, &record, &comment)
            .await
        {
            Ok(change) => change,
            Err(error) => {
                return Err(self
                    .upsert_failed(zone_id, &dns.record_name, entry, &record, error)
                    .await);
            }
        };
        if change.old.is_some() {
            entry.old_record = change.old.clone();
        }
        let old = entry
            .old_record
            .as_ref()
            .map_or("(no record)".to_string(), |r| r.values.join(", "));
        entry.new_record = Some(record.clone());
        entry.change_id = Some(change.change_id.clone());
        self.step(
            entry,
            Step::DnsUpserted,
            StepStatus::Done,
            format!(
                "{} {} {old} -> {} (TTL {}, change {})",
                record.record_type,
                dns.record_name,
                record.values.join(", "),
                record.ttl.unwrap_or_default(),
                change.change_id
            ),
        );
        let mut status = change.status;
        let deadline = self.timer.now()
            + chrono::Duration::milliseconds(dns.insync_timeout.as_duration().as_millis() as i64);
        while status != "INSYNC" {
            if self.timer.now() >= deadline {
                return Err((
                    Step::ChangeInsync,
                    format!(
                        "change {} still {status} after {}; the record already holds the new value (old value in this entry)",
                        change.change_id, dns.insync_timeout
                    ),
                ));
            }
            self.timer.sleep(Duration::from_secs(5)).await;
            status = self
                .dns
                .change_status(&change.change_id)
                .await
                .map_err(|e| {
                    (
                        Step::ChangeInsync,
                        format!("GetChange {}: {e}", change.change_id),
                    )
                })?;
        }
        let insync_at = self.timer.now();
        self.step(
            entry,
            Step::ChangeInsync,
            StepStatus::Done,
            format!("change {} is INSYNC", change.change_id),
        );
        entry.measure_rto(insync_at, resolved.policy.rto, "change INSYNC - alarm");
        Ok(())
    }

    /// A failed UPSERT may still have been applied, its answer lost on the way back: the
    /// record is read back, so the ledger says what Route 53 holds rather than what the error
    /// suggests.
    async fn upsert_failed(
        &self,
        zone_id: &str,
        name: &str,
        entry: &mut LedgerEntry,
        record: &RecordValues,
        error: AwsError,
    ) -> StepFailure {
        let sorted = |values: &[String]| {
            let mut values = values.to_vec();
            values.sort();
            values
        };
        match self.dns.current(zone_id, name, &record.record_type).await {
            Ok(Some(now)) if sorted(&now.values) == sorted(&record.values) => {
                entry.new_record = Some(record.clone());
                self.step(
                    entry,
                    Step::DnsUpserted,
                    StepStatus::Done,
                    format!(
                        "{name} holds {} although the UPSERT failed ({error}): it went through and its answer was lost",
                        record.values.join(", ")
                    ),
                );
                (
                    Step::ChangeInsync,
                    format!(
                        "the change id of the UPSERT of {name} is unknown, so INSYNC was not confirmed; the record already holds the new value (old value in this entry)"
                    ),
                )
            }
            Ok(_) => (
                Step::DnsUpserted,
                format!("UPSERT of {name} was refused: {error}; the record keeps its old value"),
            ),
            Err(read) => (
                Step::DnsUpserted,
                format!(
                    "UPSERT of {name} failed: {error}; reading the record back failed too ({read}), so check {name} in Route 53"
                ),
            ),
        }
    }

    /// Polls `check` every `interval` until it gives a value or `timeout` passes. The check
    /// says why it is not done yet; the last reason is kept for the timeout message.
    pub(crate) async fn wait_for<T, F, Fut>(
        &self,
        timeout: Duration,
        interval: Duration,
        mut check: F,
    ) -> Result<Wait<T>, String>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<Result<T, String>, String>>,
    {
        let deadline =
            self.timer.now() + chrono::Duration::milliseconds(timeout.as_millis() as i64);
        loop {
            let reason = match check().await? {
                Ok(value) => return Ok(Wait::Done(value)),
                Err(reason) => reason,
            };
            if self.timer.now() >= deadline {
                return Ok(Wait::TimedOut(reason));
            }
            self.timer
                .sleep(interval.max(Duration::from_millis(100)))
                .await;
        }
    }
}
