//! The failover policy file, version 1: which alarm starts which recovery, for which
//! dependency, and how. One file lists the policies of one application (the Bookstore has
//! three: the API on EC2, the database on RDS, the static files on S3).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::duration::IsoDuration;
use crate::spec::{ApiVersion, TOPIC_ARN_PATTERN};

/// Patterns of the schema; the structural check names each one in plain words.
pub const SERVICE_PATTERN: &str = r"^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$";
pub const INSTANCE_ID_PATTERN: &str = r"^i-[0-9a-f]{8,17}$";
pub const ZONE_ID_PATTERN: &str = r"^Z[A-Z0-9]{1,31}$";
pub const DOMAIN_PATTERN: &str =
    r"^([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}\.?$";
pub const HTTP_PATH_PATTERN: &str = r"^/[^\s]*$";
pub const DB_IDENTIFIER_PATTERN: &str = r"^[A-Za-z][A-Za-z0-9-]{0,62}$";
pub const BUCKET_PATTERN: &str = r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$";
pub const TEMPLATE_VERSION_PATTERN: &str = r"^(\$Latest|\$Default|[1-9][0-9]*)$";

/// The tag put on an instance that a failover replaced; its value is the failover id.
/// Quarantined instances are kept for investigation, never terminated by gameday.
pub const QUARANTINE_TAG_KEY: &str = "gameday:quarantine";

/// A file of failover policies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(title = "gameday failover policies (v1)")]
pub struct FailoverFile {
    /// Always `gameday/v1`.
    pub api_version: ApiVersion,
    /// Always `FailoverPolicies`.
    pub kind: FailoverKind,
    pub metadata: FailoverMetadata,
    /// The playbook's contacts; a policy's `leads` name them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contacts: Vec<Contact>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify: Option<FailoverNotify>,
    #[schemars(length(min = 1))]
    pub policies: Vec<FailoverPolicy>,
}

impl FailoverFile {
    /// The policy whose `alarms` list `alarm_name`.
    pub fn policy_for_alarm(&self, alarm_name: &str) -> Option<&FailoverPolicy> {
        self.policies
            .iter()
            .find(|p| p.alarms.iter().any(|a| a == alarm_name))
    }

    pub fn policy_for_service(&self, service: &str) -> Option<&FailoverPolicy> {
        self.policies.iter().find(|p| p.service == service)
    }

    /// The contacts a policy's leads name, in the order of `leads`.
    pub fn leads_of(&self, policy: &FailoverPolicy) -> Vec<Contact> {
        policy
            .leads
            .iter()
            .filter_map(|lead| {
                self.contacts
                    .iter()
                    .find(|c| &c.name == lead || c.email.as_deref() == Some(lead.as_str()))
                    .cloned()
            })
            .collect()
    }

    /// Everything the handler needs about one policy, detached from the file.
    pub fn resolved(&self, policy: &FailoverPolicy) -> ResolvedPolicy {
        ResolvedPolicy {
            application: self.metadata.application.clone(),
            environment: self.metadata.environment.clone(),
            topic_arn: self.notify.as_ref().map(|n| n.topic_arn.clone()),
            leads: self.leads_of(policy),
            policy: policy.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum FailoverKind {
    FailoverPolicies,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FailoverMetadata {
    /// The application these policies protect, as named in its playbook.
    pub application: String,
    /// Where the policies act, e.g. `staging` or `production`.
    pub environment: String,
    /// Who answers for these policies (a team or an e-mail address).
    pub owner: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A person from the playbook's contact table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Contact {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FailoverNotify {
    /// SNS topic for failover messages, instead of the deployment's default (`TOPIC_ARN`).
    #[schemars(regex(pattern = TOPIC_ARN_PATTERN))]
    pub topic_arn: String,
}

/// One automated failover: the alarms that start it, the dependency it restores, its
/// objectives, and the procedure in the playbook's order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FailoverPolicy {
    /// What fails over, e.g. `bookstore-api`: the lock, the ledger and `gameday failover drill`
    /// use this name.
    #[schemars(regex(pattern = SERVICE_PATTERN))]
    pub service: String,
    /// The dependency of the application's playbook this restores, e.g. `api`.
    pub dependency: String,
    /// CloudWatch alarms whose move to ALARM starts this failover.
    #[schemars(length(min = 1))]
    pub alarms: Vec<String>,
    /// The dependency's recovery time objective; the measured RTO is judged against it.
    pub rto: IsoDuration,
    /// The dependency's recovery point objective.
    pub rpo: IsoDuration,
    /// After a failover, further alarms for this service are recorded and skipped this long.
    #[serde(default = "default_cooldown")]
    pub cooldown: IsoDuration,
    /// Contacts (by name or e-mail) told of every failover, in order of priority.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub leads: Vec<String>,
    pub procedure: Procedure,
}

fn default_cooldown() -> IsoDuration {
    IsoDuration::from_secs(30 * 60)
}

impl FailoverPolicy {
    pub fn dns(&self) -> &DnsTarget {
        match &self.procedure {
            Procedure::Ec2(p) => &p.dns,
            Procedure::Rds(p) => &p.dns,
            Procedure::S3Static(p) => &p.dns,
        }
    }

    /// How long a failover may hold the lock before another may take it over (a crashed
    /// handler must not block the service forever).
    pub fn max_duration(&self) -> IsoDuration {
        let dns = self.dns().insync_timeout.as_secs_f64();
        let work = match &self.procedure {
            Procedure::Ec2(p) => p.health.timeout.as_secs_f64() * 2.0,
            Procedure::Rds(p) => p.available_timeout.as_secs_f64() * 2.0,
            Procedure::S3Static(_) => 300.0,
        };
        IsoDuration::from_secs((dns + work + 300.0).ceil() as u64)
    }
}

/// The recovery procedure, chosen by `kind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Procedure {
    /// An EC2 instance behind a Route 53 A record: restart, else relaunch from the launch
    /// template with the newest backup AMI (or start a warm standby), then move the record.
    Ec2(Ec2Procedure),
    /// An RDS instance behind a CNAME: reboot, else promote the read replica and move the CNAME.
    Rds(RdsProcedure),
    /// Static files in S3 behind a CNAME: if the primary bucket is unusable, move the CNAME
    /// to the backup bucket once it holds every object of the manifest.
    S3Static(S3StaticProcedure),
}

impl Procedure {
    pub fn kind(&self) -> &'static str {
        match self {
            Procedure::Ec2(_) => "ec2",
            Procedure::Rds(_) => "rds",
            Procedure::S3Static(_) => "s3-static",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Ec2Procedure {
    /// The instance serving now.
    pub primary: InstanceRef,
    /// Try restarting the primary (reboot if running, start if stopped) before replacing it.
    #[serde(default)]
    pub restart_first: bool,
    /// How to launch a replacement; required unless `warmStandby` is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relaunch: Option<Relaunch>,
    /// A stopped instance to start instead of launching one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warm_standby: Option<InstanceRef>,
    pub dns: DnsTarget,
    #[serde(default)]
    pub health: HealthRequirements,
    /// Which address of the replacement the A record gets.
    #[serde(default)]
    pub address: AddressKind,
}

/// One instance, by id or by tags (the newest live instance carrying every tag).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InstanceRef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = INSTANCE_ID_PATTERN))]
    pub instance_id: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Relaunch {
    /// The launch template's name, e.g. `bookstore-api-ec2`.
    pub launch_template: String,
    /// `$Latest`, `$Default` or a version number.
    #[serde(default = "default_template_version")]
    #[schemars(regex(pattern = TEMPLATE_VERSION_PATTERN))]
    pub template_version: String,
    /// Launch from the newest AMI (owned by this account) carrying every one of these tags;
    /// without it the template's own AMI is used.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub image_tags: BTreeMap<String, String>,
}

fn default_template_version() -> String {
    "$Default".to_string()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AddressKind {
    #[default]
    Public,
    Private,
}

/// When a replacement counts as healthy enough to receive traffic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HealthRequirements {
    /// Require both EC2 status checks (instance and system) to report `ok`.
    #[serde(default = "yes")]
    pub status_checks: bool,
    /// An HTTP check against the instance's address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<HttpCheck>,
    /// Give up (and leave DNS alone) after this long.
    #[serde(default = "default_health_timeout")]
    pub timeout: IsoDuration,
    /// Time between two checks.
    #[serde(default = "default_health_interval")]
    pub interval: IsoDuration,
}

impl Default for HealthRequirements {
    fn default() -> Self {
        Self {
            status_checks: true,
            http: None,
            timeout: default_health_timeout(),
            interval: default_health_interval(),
        }
    }
}

fn yes() -> bool {
    true
}

fn default_health_timeout() -> IsoDuration {
    IsoDuration::from_secs(600)
}

fn default_health_interval() -> IsoDuration {
    IsoDuration::from_secs(15)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HttpCheck {
    #[serde(default = "default_http_path")]
    #[schemars(regex(pattern = HTTP_PATH_PATTERN))]
    pub path: String,
    #[serde(default = "default_http_port")]
    #[schemars(range(min = 1, max = 65535))]
    pub port: u16,
    #[serde(default = "default_expected_status")]
    #[schemars(length(min = 1))]
    pub expect_status: Vec<u16>,
    #[serde(default = "default_http_timeout")]
    pub timeout: IsoDuration,
}

impl HttpCheck {
    pub fn url(&self, address: &str) -> String {
        match self.port {
            80 => format!("http://{address}{}", self.path),
            port => format!("http://{address}:{port}{}", self.path),
        }
    }
}

fn default_http_path() -> String {
    "/".to_string()
}

fn default_http_port() -> u16 {
    80
}

fn default_expected_status() -> Vec<u16> {
    vec![200]
}

fn default_http_timeout() -> IsoDuration {
    IsoDuration::from_secs(5)
}

/// The Route 53 record a failover moves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DnsTarget {
    /// The hosted zone's id, e.g. `Z0123456789EXAMPLE`; or give `zoneName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = ZONE_ID_PATTERN))]
    pub hosted_zone_id: Option<String>,
    /// The hosted zone's domain, e.g. `bookstore.example.com`; gameday looks up its id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = DOMAIN_PATTERN))]
    pub zone_name: Option<String>,
    #[schemars(regex(pattern = DOMAIN_PATTERN))]
    pub record_name: String,
    #[serde(default = "default_ttl")]
    #[schemars(range(min = 0, max = 2147483647))]
    pub ttl: u32,
    /// Give up waiting for Route 53 to report the change INSYNC after this long.
    #[serde(default = "default_insync_timeout")]
    pub insync_timeout: IsoDuration,
}

fn default_ttl() -> u32 {
    60
}

fn default_insync_timeout() -> IsoDuration {
    IsoDuration::from_secs(300)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RdsProcedure {
    /// The primary DB instance identifier, e.g. `bookstore-db`.
    #[schemars(regex(pattern = DB_IDENTIFIER_PATTERN))]
    pub primary: String,
    /// The read replica promoted when the primary stays unavailable.
    #[schemars(regex(pattern = DB_IDENTIFIER_PATTERN))]
    pub replica: String,
    /// Reboot the primary first and wait for it.
    #[serde(default = "yes")]
    pub reboot_first: bool,
    /// How long to wait for the rebooted primary, and for the promoted replica.
    #[serde(default = "default_available_timeout")]
    pub available_timeout: IsoDuration,
    #[serde(default = "default_rds_interval")]
    pub interval: IsoDuration,
    /// The CNAME that points at the database endpoint.
    pub dns: DnsTarget,
}

fn default_available_timeout() -> IsoDuration {
    IsoDuration::from_secs(900)
}

fn default_rds_interval() -> IsoDuration {
    IsoDuration::from_secs(30)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct S3StaticProcedure {
    #[schemars(regex(pattern = BUCKET_PATTERN))]
    pub primary_bucket: String,
    #[schemars(regex(pattern = BUCKET_PATTERN))]
    pub backup_bucket: String,
    /// The content manifest: a JSON object `{"objects": [{"key": ..., "size": ...}]}` listing
    /// every object the site needs; read from the primary bucket, else from the backup.
    #[serde(default = "default_manifest_key")]
    pub manifest_key: String,
    /// The host name the CDN record gets when it moves to the backup, e.g. the backup
    /// bucket's website endpoint.
    #[schemars(regex(pattern = DOMAIN_PATTERN))]
    pub backup_endpoint: String,
    /// The CNAME that serves the static files.
    pub dns: DnsTarget,
}

fn default_manifest_key() -> String {
    "manifest.json".to_string()
}

/// A policy with what it needs from its file: who to tell and where.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResolvedPolicy {
    pub application: String,
    pub environment: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub leads: Vec<Contact>,
    pub policy: FailoverPolicy,
}
