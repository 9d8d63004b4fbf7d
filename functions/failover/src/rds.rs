//! The `rds` procedure: the playbook's database recovery. Reboot the primary and wait for it;
//! if it stays unavailable, check the read replica (it must exist and be available: an
//! unusable fallback leaves DNS alone), measure the RPO from its lag (or the newest
//! snapshot), promote it, wait until it is available, and move the database CNAME to it.

use gameday_aws::buckets::BucketReader;
use gameday_aws::database::DatabaseFailover;
use gameday_aws::dns::{DnsWriter, same_name};
use gameday_aws::http_check::HttpChecker;
use gameday_aws::launch::FailoverCompute;
use gameday_aws::ledger::FailoverLedger;
use gameday_aws::notify::Notifier;
use gameday_core::failover::{
    LedgerEntry, Outcome, RdsProcedure, RecordValues, ResolvedPolicy, Step, StepStatus,
};

use crate::{Deps, Ended, StepFailure, Wait};

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
    pub(crate) async fn run_rds(
        &self,
        resolved: &ResolvedPolicy,
        procedure: &RdsProcedure,
        entry: &mut LedgerEntry,
    ) -> Result<Ended, StepFailure> {
        let dns = &procedure.dns;
        let recheck = |e: String| (Step::PrimaryRechecked, e);
        let zone = self.zone_id(dns).await.map_err(recheck)?;
        let current = self
            .dns
            .current(&zone, &dns.record_name, "CNAME")
            .await
            .map_err(|e| recheck(format!("reading {}: {e}", dns.record_name)))?;
        entry.old_record = current.clone();
        entry.primary = Some(procedure.primary.clone());
        let points_at = |endpoint: &Option<String>| {
            endpoint.as_ref().is_some_and(|e| {
                current
                    .as_ref()
                    .is_some_and(|r| r.values.iter().any(|v| same_name(v, e)))
            })
        };

        // 1. Re-check the primary.
        let primary = self
            .database
            .describe_database(&procedure.primary)
            .await
            .map_err(|e| recheck(format!("describing {}: {e}", procedure.primary)))?;
        match &primary {
            Some(db) if db.is_available() && points_at(&db.endpoint) => {
                self.step(
                    entry,
                    Step::PrimaryRechecked,
                    StepStatus::Done,
                    format!(
                        "{} is available again and {} points at it: cancelled, DNS untouched",
                        db.identifier, dns.record_name
                    ),
                );
                return Ok(Ended {
                    outcome: Outcome::Cancelled,
                });
            }
            Some(db) => self.step(
                entry,
                Step::PrimaryRechecked,
                StepStatus::Done,
                format!("{} is {}", db.identifier, db.status),
            ),
            None => self.step(
                entry,
                Step::PrimaryRechecked,
                StepStatus::Done,
                format!("RDS does not know {}", procedure.primary),
            ),
        }

        // 2. Reboot, then wait for the primary.
        if procedure.reboot_first && primary.is_some() {
            match self.database.reboot_database(&procedure.primary).await {
                Err(error) => self.step(
                    entry,
                    Step::DatabaseRebooted,
                    StepStatus::Skipped,
                    format!("reboot of {} was refused: {error}", procedure.primary),
                ),
                Ok(()) => {
                    let waited = self.wait_available(&procedure.primary, procedure).await;
                    match waited {
                        Ok(Wait::Done(db)) => {
                            self.step(
                                entry,
                                Step::DatabaseRebooted,
                                StepStatus::Done,
                                format!("{} is available after the reboot", db.identifier),
                            );
                            if points_at(&db.endpoint) {
                                let at = self.timer.now();
                                entry.measure_rto(
                                    at,
                                    resolved.policy.rto,
                                    "primary available - alarm",
                                );
                            } else {
                                let endpoint = db.endpoint.clone().ok_or_else(|| {
                                    (
                                        Step::DnsUpserted,
                                        format!("{} has no endpoint; DNS untouched", db.identifier),
                                    )
                                })?;
                                self.move_record(resolved, &zone, entry, cname(endpoint, dns.ttl))
                                    .await?;
                            }
                            return Ok(Ended {
                                outcome: Outcome::Restored,
                            });
                        }
                        Ok(Wait::TimedOut(reason)) | Err(reason) => self.step(
                            entry,
                            Step::DatabaseRebooted,
                            StepStatus::Done,
                            format!(
                                "still unavailable {} after the reboot: {reason}",
                                procedure.available_timeout
                            ),
                        ),
                    }
                }
            }
        } else {
            self.step(
                entry,
                Step::DatabaseRebooted,
                StepStatus::Skipped,
                if primary.is_none() {
                    "no primary to reboot"
                } else {
                    "rebootFirst is off"
                },
            );
        }

        // 3. The replica must be usable before anything changes.
        let unusable = |detail: String| {
            (
                Step::ReplicaPromoted,
                format!("the fallback is unusable: {detail}; DNS untouched"),
            )
        };
        let replica = self
            .database
            .describe_database(&procedure.replica)
            .await
            .map_err(|e| unusable(format!("describing {}: {e}", procedure.replica)))?
            .ok_or_else(|| {
                unusable(format!(
                    "RDS does not know the replica {}",
                    procedure.replica
                ))
            })?;
        if !replica.is_available() {
            return Err(unusable(format!(
                "replica {} is {}",
                replica.identifier, replica.status
            )));
        }
        if replica.replica_of.is_none() {
            return Err(unusable(format!(
                "{} is not a read replica (already promoted?)",
                replica.identifier
            )));
        }

        // 4. The RPO: the replica's lag, else the newest snapshot's age.
        let now = self.timer.now();
        match self
            .database
            .replica_lag_seconds(&procedure.replica, now)
            .await
        {
            Ok(Some(lag)) => {
                entry.measure_rpo(
                    lag,
                    resolved.policy.rpo,
                    "replica lag (CloudWatch ReplicaLag)",
                );
                self.step(
                    entry,
                    Step::RpoChecked,
                    StepStatus::Done,
                    format!("{} lags {lag} s behind", procedure.replica),
                );
            }
            lag => {
                let why = match lag {
                    Err(error) => format!("replica lag unreadable ({error})"),
                    _ => "no replica lag data".to_string(),
                };
                match self.database.latest_snapshot_time(&procedure.primary).await {
                    Ok(Some(taken)) => {
                        let age = (entry.event.alarm_at - taken).num_milliseconds() as f64 / 1000.0;
                        entry.measure_rpo(
                            age,
                            resolved.policy.rpo,
                            "age of the newest snapshot at the alarm",
                        );
                        self.step(
                            entry,
                            Step::RpoChecked,
                            StepStatus::Done,
                            format!(
                                "{why}; newest snapshot of {} taken {}",
                                procedure.primary,
                                taken.to_rfc3339()
                            ),
                        );
                    }
                    Ok(None) => self.step(
                        entry,
                        Step::RpoChecked,
                        StepStatus::Skipped,
                        format!("{why} and no snapshot"),
                    ),
                    Err(error) => self.step(
                        entry,
                        Step::RpoChecked,
                        StepStatus::Skipped,
                        format!("{why}; snapshots unreadable: {error}"),
                    ),
                }
            }
        }

        // 5. Promote and wait.
        self.database
            .promote_replica(&procedure.replica)
            .await
            .map_err(|e| {
                (
                    Step::ReplicaPromoted,
                    format!("promoting {}: {e}; DNS untouched", procedure.replica),
                )
            })?;
        entry.replacement = Some(procedure.replica.clone());
        self.step(
            entry,
            Step::ReplicaPromoted,
            StepStatus::Done,
            format!("promoted {}", procedure.replica),
        );
        let promoted = match self.wait_available(&procedure.replica, procedure).await {
            Ok(Wait::Done(db)) => db,
            Ok(Wait::TimedOut(reason)) | Err(reason) => {
                return Err((
                    Step::ReplicaAvailable,
                    format!(
                        "{} not available after {}: {reason}; DNS untouched",
                        procedure.replica, procedure.available_timeout
                    ),
                ));
            }
        };
        let endpoint = promoted.endpoint.clone().ok_or_else(|| {
            (
                Step::ReplicaAvailable,
                format!("{} has no endpoint; DNS untouched", promoted.identifier),
            )
        })?;
        self.step(
            entry,
            Step::ReplicaAvailable,
            StepStatus::Done,
            format!("{} is available at {endpoint}", promoted.identifier),
        );

        // 6. The CNAME.
        self.move_record(resolved, &zone, entry, cname(endpoint, dns.ttl))
            .await?;
        Ok(Ended {
            outcome: Outcome::FailedOver,
        })
    }

    async fn wait_available(
        &self,
        identifier: &str,
        procedure: &RdsProcedure,
    ) -> Result<Wait<gameday_aws::database::DatabaseStatus>, String> {
        self.wait_for(
            procedure.available_timeout.as_duration(),
            procedure.interval.as_duration(),
            || async {
                match self.database.describe_database(identifier).await {
                    Ok(Some(db)) if db.is_available() => Ok(Ok(db)),
                    Ok(Some(db)) => Ok(Err(format!("{identifier} is {}", db.status))),
                    Ok(None) => Err(format!("RDS does not know {identifier}")),
                    Err(error) => Ok(Err(error.to_string())),
                }
            },
        )
        .await
    }
}

fn cname(target: String, ttl: u32) -> RecordValues {
    RecordValues {
        record_type: "CNAME".into(),
        values: vec![target],
        ttl: Some(ttl),
    }
}
