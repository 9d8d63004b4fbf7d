//! The `ec2` procedure: the Stage 1 playbook's API recovery, automated. Re-check the primary,
//! restart it if configured, else start the warm standby or launch from the launch template
//! with the newest backup AMI, wait until running and healthy, move the A record, wait for
//! INSYNC, and tag the old instance for quarantine.

use std::collections::BTreeMap;

use gameday_aws::buckets::BucketReader;
use gameday_aws::database::DatabaseFailover;
use gameday_aws::dns::DnsWriter;
use gameday_aws::http_check::HttpChecker;
use gameday_aws::launch::{FailoverCompute, InstanceStatus};
use gameday_aws::ledger::FailoverLedger;
use gameday_aws::notify::Notifier;
use gameday_core::failover::{
    AddressKind, Ec2Procedure, HealthRequirements, InstanceRef, LedgerEntry, Outcome,
    QUARANTINE_TAG_KEY, RecordValues, ResolvedPolicy, Step, StepStatus,
};

use crate::{Deps, Ended, StepFailure, Wait};

/// The tag a replacement carries: the failover that launched it.
pub const LAUNCHED_BY_TAG_KEY: &str = "gameday:launched-by";

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
    pub(crate) async fn run_ec2(
        &self,
        resolved: &ResolvedPolicy,
        procedure: &Ec2Procedure,
        entry: &mut LedgerEntry,
    ) -> Result<Ended, StepFailure> {
        let dns = &procedure.dns;
        let recheck = |e: String| (Step::PrimaryRechecked, e);
        let zone = self.zone_id(dns).await.map_err(recheck)?;
        let current = self
            .dns
            .current(&zone, &dns.record_name, "A")
            .await
            .map_err(|e| recheck(format!("reading {}: {e}", dns.record_name)))?;
        entry.old_record = current.clone();
        let record_values: Vec<String> = current
            .as_ref()
            .map(|r| r.values.clone())
            .unwrap_or_default();

        // 1. Re-check the primary: alarms flap.
        let primary = self
            .find_instance(&procedure.primary, &record_values)
            .await
            .map_err(recheck)?;
        entry.primary = primary.as_ref().map(|p| p.instance_id.clone());
        if let Some(primary) = &primary {
            let health = self
                .instance_health(primary, &procedure.health, procedure.address)
                .await;
            let points_here =
                address_of(primary, procedure.address).is_some_and(|a| record_values.contains(&a));
            match health {
                Ok(()) if points_here => {
                    self.step(
                        entry,
                        Step::PrimaryRechecked,
                        StepStatus::Done,
                        format!(
                            "{} is healthy again and {} points at it: cancelled, DNS untouched",
                            primary.instance_id, dns.record_name
                        ),
                    );
                    return Ok(Ended {
                        outcome: Outcome::Cancelled,
                    });
                }
                Ok(()) => {
                    self.step(
                        entry,
                        Step::PrimaryRechecked,
                        StepStatus::Done,
                        format!(
                            "{} is healthy but {} does not point at it",
                            primary.instance_id, dns.record_name
                        ),
                    );
                    self.point_at(resolved, procedure, &zone, entry, primary)
                        .await?;
                    return Ok(Ended {
                        outcome: Outcome::Restored,
                    });
                }
                Err(reason) => self.step(
                    entry,
                    Step::PrimaryRechecked,
                    StepStatus::Done,
                    format!("{} is unhealthy: {reason}", primary.instance_id),
                ),
            }
        } else {
            self.step(
                entry,
                Step::PrimaryRechecked,
                StepStatus::Done,
                "no primary instance matches the selector",
            );
        }

        // 2. Restart, as the playbook says, before replacing anything.
        if let Some(primary) = primary.as_ref().filter(|_| procedure.restart_first) {
            let restart = match primary.state.as_str() {
                "running" => Some(("reboot", self.compute.reboot(&primary.instance_id).await)),
                "stopped" => Some(("start", self.compute.start(&primary.instance_id).await)),
                _ => None,
            };
            match restart {
                None => self.step(
                    entry,
                    Step::RestartTried,
                    StepStatus::Skipped,
                    format!(
                        "{} is {}: it cannot be restarted",
                        primary.instance_id, primary.state
                    ),
                ),
                Some((how, Err(error))) => self.step(
                    entry,
                    Step::RestartTried,
                    StepStatus::Skipped,
                    format!("{how} of {} was refused: {error}", primary.instance_id),
                ),
                Some((how, Ok(()))) => {
                    match self.wait_healthy(&primary.instance_id, procedure).await {
                        Ok(Wait::Done(restarted)) => {
                            self.step(
                                entry,
                                Step::RestartTried,
                                StepStatus::Done,
                                format!("{how} of {} brought it back healthy", primary.instance_id),
                            );
                            let points_here = address_of(&restarted, procedure.address)
                                .is_some_and(|a| record_values.contains(&a));
                            if points_here {
                                let healthy_at = self.timer.now();
                                entry.measure_rto(
                                    healthy_at,
                                    resolved.policy.rto,
                                    "primary healthy - alarm",
                                );
                            } else {
                                self.point_at(resolved, procedure, &zone, entry, &restarted)
                                    .await?;
                            }
                            return Ok(Ended {
                                outcome: Outcome::Restored,
                            });
                        }
                        Ok(Wait::TimedOut(reason)) | Err(reason) => self.step(
                            entry,
                            Step::RestartTried,
                            StepStatus::Done,
                            format!(
                                "{how} of {} did not help within {}: {reason}",
                                primary.instance_id, procedure.health.timeout
                            ),
                        ),
                    }
                }
            }
        } else if !procedure.restart_first {
            self.step(
                entry,
                Step::RestartTried,
                StepStatus::Skipped,
                "restartFirst is off",
            );
        } else {
            self.step(
                entry,
                Step::RestartTried,
                StepStatus::Skipped,
                "no primary to restart",
            );
        }

        // 3. A replacement: the warm standby, or a new instance from the template.
        let replacement = match &procedure.warm_standby {
            Some(standby) => {
                let found = self
                    .find_instance(standby, &[])
                    .await
                    .map_err(|e| (Step::StandbyStarted, e))?
                    .ok_or_else(|| {
                        (
                            Step::StandbyStarted,
                            "no instance matches the warm standby selector".to_string(),
                        )
                    })?;
                match found.state.as_str() {
                    "stopped" => {
                        self.compute.start(&found.instance_id).await.map_err(|e| {
                            (
                                Step::StandbyStarted,
                                format!("starting {}: {e}", found.instance_id),
                            )
                        })?;
                        self.step(
                            entry,
                            Step::StandbyStarted,
                            StepStatus::Done,
                            format!("started warm standby {}", found.instance_id),
                        );
                    }
                    "running" | "pending" => self.step(
                        entry,
                        Step::StandbyStarted,
                        StepStatus::Done,
                        format!(
                            "warm standby {} is already {}",
                            found.instance_id, found.state
                        ),
                    ),
                    other => {
                        return Err((
                            Step::StandbyStarted,
                            format!(
                                "warm standby {} is {other}; it cannot take over",
                                found.instance_id
                            ),
                        ));
                    }
                }
                found.instance_id
            }
            None => {
                let relaunch = procedure.relaunch.as_ref().ok_or_else(|| {
                    (
                        Step::ReplacementLaunched,
                        "the policy has no relaunch settings".to_string(),
                    )
                })?;
                let image = if relaunch.image_tags.is_empty() {
                    None
                } else {
                    let image = self
                        .compute
                        .newest_image(&relaunch.image_tags)
                        .await
                        .map_err(|e| {
                            (
                                Step::ReplacementLaunched,
                                format!("looking up the backup AMI: {e}"),
                            )
                        })?
                        .ok_or_else(|| {
                            (
                                Step::ReplacementLaunched,
                                format!(
                                    "no AMI of this account carries the tags {}",
                                    show_tags(&relaunch.image_tags)
                                ),
                            )
                        })?;
                    Some(image)
                };
                let mut tags = procedure.primary.tags.clone();
                tags.insert(LAUNCHED_BY_TAG_KEY.to_string(), entry.failover_id.clone());
                let instance_id = self
                    .compute
                    .launch(
                        &relaunch.launch_template,
                        &relaunch.template_version,
                        image.as_ref().map(|i| i.image_id.as_str()),
                        &tags,
                        &entry.failover_id,
                    )
                    .await
                    .map_err(|e| {
                        (
                            Step::ReplacementLaunched,
                            format!("launching from {}: {e}", relaunch.launch_template),
                        )
                    })?;
                let from_image = match &image {
                    Some(image) => {
                        entry.image_id = Some(image.image_id.clone());
                        if let Some(created) = image.created_at {
                            let age =
                                (entry.event.alarm_at - created).num_milliseconds() as f64 / 1000.0;
                            entry.measure_rpo(
                                age,
                                resolved.policy.rpo,
                                "age of the backup AMI at the alarm",
                            );
                        }
                        format!(
                            " with {} (created {})",
                            image.image_id,
                            image
                                .created_at
                                .map_or("at an unknown time".into(), |t| t.to_rfc3339())
                        )
                    }
                    None => " with the template's AMI".to_string(),
                };
                self.step(
                    entry,
                    Step::ReplacementLaunched,
                    StepStatus::Done,
                    format!(
                        "{instance_id} from {} ({}){from_image}",
                        relaunch.launch_template, relaunch.template_version
                    ),
                );
                instance_id
            }
        };
        entry.replacement = Some(replacement.clone());

        // 4. Running, then healthy; never move DNS to anything less.
        let health = &procedure.health;
        let running = self
            .wait_for(
                health.timeout.as_duration(),
                health.interval.as_duration(),
                || async {
                    match self.compute.describe(&replacement).await {
                        Ok(Some(i)) if i.is_running() => Ok(Ok(i)),
                        Ok(Some(i))
                            if matches!(i.state.as_str(), "terminated" | "shutting-down") =>
                        {
                            Err(format!("{replacement} is {}", i.state))
                        }
                        Ok(Some(i)) => Ok(Err(format!("{replacement} is {}", i.state))),
                        Ok(None) => Ok(Err(format!("EC2 does not list {replacement} yet"))),
                        Err(e) => Ok(Err(e.to_string())),
                    }
                },
            )
            .await
            .map_err(|e| (Step::Running, e))?;
        match running {
            Wait::Done(_) => self.step(
                entry,
                Step::Running,
                StepStatus::Done,
                format!("{replacement} is running"),
            ),
            Wait::TimedOut(reason) => {
                return Err((
                    Step::Running,
                    format!(
                        "not running after {}: {reason}; DNS untouched",
                        health.timeout
                    ),
                ));
            }
        }
        let healthy = match self.wait_healthy(&replacement, procedure).await {
            Ok(Wait::Done(instance)) => instance,
            Ok(Wait::TimedOut(reason)) => {
                return Err((
                    Step::Healthy,
                    format!(
                        "{replacement} not healthy after {}: {reason}; DNS untouched",
                        health.timeout
                    ),
                ));
            }
            Err(reason) => return Err((Step::Healthy, format!("{reason}; DNS untouched"))),
        };
        self.step(
            entry,
            Step::Healthy,
            StepStatus::Done,
            describe_health(&healthy, health),
        );

        // 5. DNS, INSYNC, RTO.
        self.point_at(resolved, procedure, &zone, entry, &healthy)
            .await?;

        // 6. Quarantine the old instance: tagged, never terminated.
        if let Some(old) = entry.primary.clone().filter(|old| *old != replacement) {
            let tags = BTreeMap::from([
                (QUARANTINE_TAG_KEY.to_string(), entry.failover_id.clone()),
                ("gameday:replaced-by".to_string(), replacement.clone()),
            ]);
            match self.compute.tag(&old, &tags).await {
                Ok(()) => self.step(
                    entry,
                    Step::Quarantined,
                    StepStatus::Done,
                    format!(
                        "{old} tagged {QUARANTINE_TAG_KEY}={} for investigation (not terminated)",
                        entry.failover_id
                    ),
                ),
                Err(error) => self.step(
                    entry,
                    Step::Quarantined,
                    StepStatus::Failed,
                    format!("tagging {old}: {error}"),
                ),
            }
        }
        Ok(Ended {
            outcome: Outcome::FailedOver,
        })
    }

    /// Moves the A record to `instance`'s address.
    async fn point_at(
        &self,
        resolved: &ResolvedPolicy,
        procedure: &Ec2Procedure,
        zone: &str,
        entry: &mut LedgerEntry,
        instance: &InstanceStatus,
    ) -> Result<(), StepFailure> {
        let address = address_of(instance, procedure.address).ok_or_else(|| {
            (
                Step::DnsUpserted,
                format!(
                    "{} has no {} address; DNS untouched",
                    instance.instance_id,
                    kind_name(procedure.address)
                ),
            )
        })?;
        let record = RecordValues {
            record_type: "A".into(),
            values: vec![address],
            ttl: Some(procedure.dns.ttl),
        };
        self.move_record(resolved, zone, entry, record).await
    }

    /// The instance a reference means: by id; or, by tags, the one the record points at, else
    /// the newest live one, else the newest one. Quarantined instances never count.
    async fn find_instance(
        &self,
        reference: &InstanceRef,
        record_values: &[String],
    ) -> Result<Option<InstanceStatus>, String> {
        if let Some(id) = &reference.instance_id {
            return self
                .compute
                .describe(id)
                .await
                .map_err(|e| format!("describing {id}: {e}"));
        }
        let mut candidates: Vec<InstanceStatus> = self
            .compute
            .find_tagged(&reference.tags)
            .await
            .map_err(|e| {
                format!(
                    "finding instances tagged {}: {e}",
                    show_tags(&reference.tags)
                )
            })?
            .into_iter()
            .filter(|i| !i.tags.contains_key(QUARANTINE_TAG_KEY))
            .collect();
        candidates.sort_by_key(|c| std::cmp::Reverse(c.launch_time));
        let chosen = candidates
            .iter()
            .find(|i| {
                i.addresses()
                    .iter()
                    .any(|a| record_values.iter().any(|v| v == a))
            })
            .or_else(|| {
                candidates
                    .iter()
                    .find(|i| !matches!(i.state.as_str(), "terminated" | "shutting-down"))
            })
            .or_else(|| candidates.first());
        match chosen {
            Some(instance) => self
                .compute
                .describe(&instance.instance_id)
                .await
                .map(|d| d.or_else(|| Some(instance.clone())))
                .map_err(|e| format!("describing {}: {e}", instance.instance_id)),
            None => Ok(None),
        }
    }

    /// Polls until `instance_id` is running and meets the health requirements.
    async fn wait_healthy(
        &self,
        instance_id: &str,
        procedure: &Ec2Procedure,
    ) -> Result<Wait<InstanceStatus>, String> {
        let health = &procedure.health;
        self.wait_for(
            health.timeout.as_duration(),
            health.interval.as_duration(),
            || async {
                let instance = match self.compute.describe(instance_id).await {
                    Ok(Some(instance)) => instance,
                    Ok(None) => return Ok(Err(format!("EC2 does not list {instance_id}"))),
                    Err(error) => return Ok(Err(error.to_string())),
                };
                if matches!(instance.state.as_str(), "terminated" | "shutting-down") {
                    return Err(format!("{instance_id} is {}", instance.state));
                }
                Ok(self
                    .instance_health(&instance, health, procedure.address)
                    .await
                    .map(|()| instance))
            },
        )
        .await
    }

    /// `Ok` when the instance runs and passes every configured check, else why not.
    async fn instance_health(
        &self,
        instance: &InstanceStatus,
        health: &HealthRequirements,
        address: AddressKind,
    ) -> Result<(), String> {
        if !instance.is_running() {
            return Err(format!("it is {}", instance.state));
        }
        if health.status_checks && !instance.checks_ok() {
            return Err(format!(
                "status checks: instance {}, system {}",
                instance.instance_check.as_deref().unwrap_or("unknown"),
                instance.system_check.as_deref().unwrap_or("unknown")
            ));
        }
        if let Some(http) = &health.http {
            let Some(address) = address_of(instance, address) else {
                return Err(format!(
                    "no {} address for the HTTP check",
                    kind_name(address)
                ));
            };
            let url = http.url(&address);
            match self.http.status(&url, http.timeout.as_duration()).await {
                Ok(status) if http.expect_status.contains(&status) => {}
                Ok(status) => return Err(format!("GET {url} answered {status}")),
                Err(reason) => return Err(format!("GET {url}: {reason}")),
            }
        }
        Ok(())
    }
}

fn address_of(instance: &InstanceStatus, kind: AddressKind) -> Option<String> {
    match kind {
        AddressKind::Public => instance.public_ip.clone(),
        AddressKind::Private => instance.private_ip.clone(),
    }
}

fn kind_name(kind: AddressKind) -> &'static str {
    match kind {
        AddressKind::Public => "public",
        AddressKind::Private => "private",
    }
}

fn describe_health(instance: &InstanceStatus, health: &HealthRequirements) -> String {
    let mut checks = Vec::new();
    if health.status_checks {
        checks.push("status checks ok".to_string());
    }
    if let Some(http) = &health.http {
        checks.push(format!("GET {} answered as expected", http.path));
    }
    format!("{} healthy: {}", instance.instance_id, checks.join(", "))
}

pub(crate) fn show_tags(tags: &BTreeMap<String, String>) -> String {
    tags.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}
