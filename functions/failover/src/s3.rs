//! The `s3-static` procedure: the playbook's CDN recovery. Check the primary bucket against
//! the content manifest; if it is unusable, check that the backup bucket holds every object of
//! the manifest (an incomplete backup leaves DNS alone), then move the CDN record to it.

use gameday_aws::buckets::BucketReader;
use gameday_aws::database::DatabaseFailover;
use gameday_aws::dns::DnsWriter;
use gameday_aws::http_check::HttpChecker;
use gameday_aws::launch::FailoverCompute;
use gameday_aws::ledger::FailoverLedger;
use gameday_aws::notify::Notifier;
use gameday_core::failover::{
    LedgerEntry, Manifest, Outcome, RecordValues, ResolvedPolicy, S3StaticProcedure, Step,
    StepStatus,
};

use crate::{Deps, Ended, StepFailure};

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
    pub(crate) async fn run_s3(
        &self,
        resolved: &ResolvedPolicy,
        procedure: &S3StaticProcedure,
        entry: &mut LedgerEntry,
    ) -> Result<Ended, StepFailure> {
        let dns = &procedure.dns;
        let recheck = |e: String| (Step::PrimaryRechecked, e);
        let zone = self.zone_id(dns).await.map_err(recheck)?;
        entry.old_record = self
            .dns
            .current(&zone, &dns.record_name, "CNAME")
            .await
            .map_err(|e| recheck(format!("reading {}: {e}", dns.record_name)))?;
        entry.primary = Some(procedure.primary_bucket.clone());

        // 1. The primary bucket and its manifest.
        let (manifest, problem) = self
            .check_bucket(&procedure.primary_bucket, &procedure.manifest_key, None)
            .await;
        match &problem {
            None => {
                self.step(
                    entry,
                    Step::PrimaryRechecked,
                    StepStatus::Done,
                    format!(
                        "{} holds every object of its manifest: cancelled, DNS untouched",
                        procedure.primary_bucket
                    ),
                );
                return Ok(Ended {
                    outcome: Outcome::Cancelled,
                });
            }
            Some(problem) => self.step(
                entry,
                Step::PrimaryRechecked,
                StepStatus::Done,
                format!("{} is unusable: {problem}", procedure.primary_bucket),
            ),
        }

        // 2. The backup must hold every object of the manifest (the primary's, or its own copy).
        let (backup_manifest, problem) = self
            .check_bucket(
                &procedure.backup_bucket,
                &procedure.manifest_key,
                manifest.as_ref(),
            )
            .await;
        let source = if manifest.is_some() {
            "the primary's manifest"
        } else {
            "the backup's own manifest"
        };
        let count = manifest
            .as_ref()
            .or(backup_manifest.as_ref())
            .map_or(0, |m| m.objects.len());
        self.step(
            entry,
            Step::ManifestChecked,
            if count > 0 {
                StepStatus::Done
            } else {
                StepStatus::Failed
            },
            format!("{count} objects listed ({source})"),
        );
        if let Some(problem) = problem {
            return Err((
                Step::BackupVerified,
                format!(
                    "the fallback is unusable: {} {problem}; DNS untouched",
                    procedure.backup_bucket
                ),
            ));
        }
        entry.replacement = Some(procedure.backup_bucket.clone());
        self.step(
            entry,
            Step::BackupVerified,
            StepStatus::Done,
            format!("{} holds all {count} objects", procedure.backup_bucket),
        );

        // 3. The CDN record.
        let record = RecordValues {
            record_type: "CNAME".into(),
            values: vec![procedure.backup_endpoint.clone()],
            ttl: Some(dns.ttl),
        };
        self.move_record(resolved, &zone, entry, record).await?;
        Ok(Ended {
            outcome: Outcome::FailedOver,
        })
    }

    /// The manifest used and what is wrong with `bucket` (None when it is usable). `wanted`
    /// is the manifest to check against; without it the bucket's own manifest is read.
    async fn check_bucket(
        &self,
        bucket: &str,
        key: &str,
        wanted: Option<&Manifest>,
    ) -> (Option<Manifest>, Option<String>) {
        match self.buckets.bucket_exists(bucket).await {
            Ok(true) => {}
            Ok(false) => return (None, Some("does not exist".into())),
            Err(error) => return (None, Some(format!("cannot be reached: {error}"))),
        }
        let manifest = match wanted {
            Some(manifest) => manifest.clone(),
            None => match self.buckets.object_text(bucket, key).await {
                Ok(Some(text)) => match Manifest::parse(&text) {
                    Ok(manifest) => manifest,
                    Err(error) => return (None, Some(format!("has an unreadable {key}: {error}"))),
                },
                Ok(None) => return (None, Some(format!("has no manifest {key}"))),
                Err(error) => return (None, Some(format!("manifest {key} unreadable: {error}"))),
            },
        };
        let problem = match self.buckets.object_sizes(bucket).await {
            Ok(present) => {
                let missing = manifest.missing_from(&present);
                match missing.len() {
                    0 => None,
                    n => Some(format!(
                        "lacks {n} object{} of the manifest: {}",
                        if n == 1 { "" } else { "s" },
                        missing
                            .iter()
                            .take(5)
                            .cloned()
                            .collect::<Vec<_>>()
                            .join("; ")
                    )),
                }
            }
            Err(error) => Some(format!("cannot be listed: {error}")),
        };
        (Some(manifest), problem)
    }
}
