//! The experiment file, version 1. One model for YAML and JSON; unknown fields are refused.
//!
//! The shape borrows from Chaos Toolkit (steady-state hypothesis, method, rollbacks) and AWS FIS
//! (targets with a selection mode, stop conditions), so both audiences recognise it.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::duration::IsoDuration;

/// The tag every target must carry, with the value `true`, before gameday will touch it.
pub const OPT_IN_TAG_KEY: &str = "gameday:allowed";
pub const OPT_IN_TAG_VALUE: &str = "true";
/// The environment name that needs `allowProduction: true`.
pub const PRODUCTION: &str = "production";

/// Patterns of the schema; the structural check names each one in plain words.
pub const NAME_PATTERN: &str = r"^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$";
pub const SELECTION_PATTERN: &str = r"^(ALL|COUNT\([1-9][0-9]*\)|PERCENT\(([1-9][0-9]?|100)\))$";
pub const URL_PATTERN: &str = r"^https?://[^\s]+$";
pub const TOPIC_ARN_PATTERN: &str =
    r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$";
pub const FIS_TEMPLATE_PATTERN: &str = r"^EXT[A-Za-z0-9]{1,60}$";
pub const CLOCK_PATTERN: &str = r"^([01][0-9]|2[0-3]):[0-5][0-9]$";
pub const END_CLOCK_PATTERN: &str = r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$";
pub const INTERFACE_PATTERN: &str = r"^[A-Za-z0-9._-]{1,15}$";
pub const PROCESS_PATTERN: &str = r"^[A-Za-z0-9@._/-]{1,128}$";
pub const PATH_PATTERN: &str = r"^/[A-Za-z0-9._/-]*$";

/// A chaos experiment: what steady state to expect, which failure to inject, and how to judge
/// the recovery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(title = "gameday experiment (v1)")]
pub struct Experiment {
    /// Always `gameday/v1`.
    pub api_version: ApiVersion,
    /// Always `Experiment`.
    pub kind: ExperimentKind,
    pub metadata: Metadata,
    pub hypothesis: Hypothesis,
    /// EC2 instances the faults act on; empty when every fault acts on something else
    /// (an alarm, an FIS template).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<Target>,
    pub faults: Vec<Fault>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stop_conditions: Vec<StopCondition>,
    pub observe: Observe,
    pub recovery: Recovery,
    pub success_criteria: SuccessCriteria,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<Schedule>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify: Option<Notify>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ApiVersion {
    #[serde(rename = "gameday/v1")]
    V1,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ExperimentKind {
    Experiment,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Metadata {
    /// Unique experiment name: lower-case letters, digits and dashes.
    #[schemars(regex(pattern = NAME_PATTERN))]
    pub name: String,
    /// The service under test, as named in its DR playbook.
    pub service: String,
    /// The dependency of the service's playbook that this experiment exercises.
    pub dependency: String,
    /// Where the experiment runs, e.g. `staging` or `production`.
    pub environment: String,
    /// Must be `true` when `environment` is `production`.
    #[serde(default)]
    pub allow_production: bool,
    /// Who answers for this experiment (a team or an e-mail address).
    pub owner: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

/// The steady state that must hold before the fault and be regained after it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Hypothesis {
    pub description: String,
    #[schemars(length(min = 1))]
    pub probes: Vec<Probe>,
}

/// One steady-state probe. Each kind carries its own tolerance: the condition under which a
/// sample counts as healthy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Probe {
    /// A CloudWatch metric statistic compared with a threshold.
    CloudwatchMetric(MetricProbe),
    /// A CloudWatch alarm that must be in state OK.
    CloudwatchAlarm(AlarmProbe),
    /// At least `minRunning` running instances match the selector.
    Ec2Running(Ec2RunningProbe),
    /// An HTTP endpoint answers with an expected status within the timeout.
    Http(HttpProbe),
    /// A Route 53 record resolves to a running instance (a healthy target).
    Route53Record(Route53RecordProbe),
}

impl Probe {
    pub fn name(&self) -> &str {
        match self {
            Probe::CloudwatchMetric(p) => &p.name,
            Probe::CloudwatchAlarm(p) => &p.name,
            Probe::Ec2Running(p) => &p.name,
            Probe::Http(p) => &p.name,
            Probe::Route53Record(p) => &p.name,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MetricProbe {
    pub name: String,
    pub namespace: String,
    pub metric: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub dimensions: BTreeMap<String, String>,
    pub statistic: Statistic,
    /// Aggregation period; CloudWatch accepts multiples of 60 seconds (or 1, 5, 10, 30 s for
    /// high-resolution metrics).
    pub period: IsoDuration,
    pub comparison: Comparison,
    pub threshold: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Statistic {
    Average,
    Sum,
    Minimum,
    Maximum,
    SampleCount,
    #[serde(rename = "p50")]
    P50,
    #[serde(rename = "p90")]
    P90,
    #[serde(rename = "p95")]
    P95,
    #[serde(rename = "p99")]
    P99,
}

/// The comparison names of CloudWatch alarms, so users can copy them from an alarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Comparison {
    GreaterThanOrEqualToThreshold,
    GreaterThanThreshold,
    LessThanThreshold,
    LessThanOrEqualToThreshold,
}

impl Statistic {
    /// The name CloudWatch and experiment files use (`Average`, `p99`).
    pub fn name(self) -> &'static str {
        match self {
            Statistic::Average => "Average",
            Statistic::Sum => "Sum",
            Statistic::Minimum => "Minimum",
            Statistic::Maximum => "Maximum",
            Statistic::SampleCount => "SampleCount",
            Statistic::P50 => "p50",
            Statistic::P90 => "p90",
            Statistic::P95 => "p95",
            Statistic::P99 => "p99",
        }
    }
}

impl Comparison {
    /// The comparison as people write it: `>=`, `>`, `<`, `<=`.
    pub fn symbol(self) -> &'static str {
        match self {
            Comparison::GreaterThanOrEqualToThreshold => ">=",
            Comparison::GreaterThanThreshold => ">",
            Comparison::LessThanThreshold => "<",
            Comparison::LessThanOrEqualToThreshold => "<=",
        }
    }

    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Comparison::GreaterThanOrEqualToThreshold => value >= threshold,
            Comparison::GreaterThanThreshold => value > threshold,
            Comparison::LessThanThreshold => value < threshold,
            Comparison::LessThanOrEqualToThreshold => value <= threshold,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AlarmProbe {
    pub name: String,
    pub alarm_name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Ec2RunningProbe {
    pub name: String,
    pub selector: InstanceSelector,
    #[schemars(range(min = 1))]
    pub min_running: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HttpProbe {
    pub name: String,
    #[schemars(regex(pattern = URL_PATTERN))]
    pub url: String,
    /// Statuses that count as healthy.
    #[serde(default = "default_expected_status")]
    #[schemars(length(min = 1))]
    pub expect_status: Vec<u16>,
    #[serde(default = "default_http_timeout")]
    pub timeout: IsoDuration,
}

fn default_expected_status() -> Vec<u16> {
    vec![200]
}

fn default_http_timeout() -> IsoDuration {
    IsoDuration::from_secs(5)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Route53RecordProbe {
    pub name: String,
    /// The hosted zone's domain, e.g. `bookstore.example.com`; gameday looks up its id.
    pub zone_name: String,
    pub record_name: String,
    #[serde(default)]
    pub record_type: RecordType,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub enum RecordType {
    #[default]
    A,
    #[serde(rename = "AAAA")]
    Aaaa,
    #[serde(rename = "CNAME")]
    Cname,
}

/// Which EC2 instances a target or probe means. Tags are required so that a selector can never
/// mean "every instance in the account".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InstanceSelector {
    #[schemars(length(min = 1))]
    pub tags: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instance_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub availability_zones: Vec<String>,
}

/// A set of EC2 instances that faults act on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Target {
    pub name: String,
    pub selector: InstanceSelector,
    /// `ALL`, `COUNT(n)` or `PERCENT(p)` of the matching instances.
    #[schemars(regex(pattern = SELECTION_PATTERN))]
    pub selection: String,
    /// At most this share of the matching instances is ever selected.
    #[serde(default = "default_blast_radius")]
    #[schemars(range(min = 1, max = 100))]
    pub max_blast_radius_percent: u8,
    /// Allows selecting every matching instance; otherwise at least one is always spared.
    #[serde(default)]
    pub allow_full_blast: bool,
}

fn default_blast_radius() -> u8 {
    10
}

/// A fault in the experiment's method. Faults run in order; each is undone on recovery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Fault {
    pub name: String,
    /// How long the fault is held before recovery begins.
    pub duration: IsoDuration,
    pub action: FaultAction,
}

/// What a fault does, chosen by `type`. The undo of each action is fixed by gameday
/// (`gameday plan` shows it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum FaultAction {
    Ec2Terminate(Ec2Fault),
    Ec2Stop(Ec2Fault),
    Ec2Reboot(Ec2Fault),
    NetworkLatency(NetworkLatency),
    PacketLoss(PacketLoss),
    CpuStress(CpuStress),
    MemoryStress(MemoryStress),
    DiskFill(DiskFill),
    KillProcess(KillProcess),
    FisExperiment(FisExperiment),
    SetAlarmState(SetAlarmState),
}

impl FaultAction {
    /// The target this action acts on, if it acts on EC2 instances.
    pub fn target(&self) -> Option<&str> {
        match self {
            FaultAction::Ec2Terminate(f) | FaultAction::Ec2Stop(f) | FaultAction::Ec2Reboot(f) => {
                Some(&f.target)
            }
            FaultAction::NetworkLatency(f) => Some(&f.target),
            FaultAction::PacketLoss(f) => Some(&f.target),
            FaultAction::CpuStress(f) => Some(&f.target),
            FaultAction::MemoryStress(f) => Some(&f.target),
            FaultAction::DiskFill(f) => Some(&f.target),
            FaultAction::KillProcess(f) => Some(&f.target),
            FaultAction::FisExperiment(_) | FaultAction::SetAlarmState(_) => None,
        }
    }

    /// The action `type` as written in files.
    pub fn type_name(&self) -> &'static str {
        match self {
            FaultAction::Ec2Terminate(_) => "ec2-terminate",
            FaultAction::Ec2Stop(_) => "ec2-stop",
            FaultAction::Ec2Reboot(_) => "ec2-reboot",
            FaultAction::NetworkLatency(_) => "network-latency",
            FaultAction::PacketLoss(_) => "packet-loss",
            FaultAction::CpuStress(_) => "cpu-stress",
            FaultAction::MemoryStress(_) => "memory-stress",
            FaultAction::DiskFill(_) => "disk-fill",
            FaultAction::KillProcess(_) => "kill-process",
            FaultAction::FisExperiment(_) => "fis-experiment",
            FaultAction::SetAlarmState(_) => "set-alarm-state",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Ec2Fault {
    pub target: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NetworkLatency {
    pub target: String,
    #[schemars(range(min = 1, max = 60000))]
    pub delay_ms: u32,
    #[serde(default)]
    pub jitter_ms: u32,
    #[serde(default = "default_interface")]
    #[schemars(regex(pattern = INTERFACE_PATTERN))]
    pub interface: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PacketLoss {
    pub target: String,
    #[schemars(range(min = 1, max = 100))]
    pub loss_percent: u8,
    #[serde(default = "default_interface")]
    #[schemars(regex(pattern = INTERFACE_PATTERN))]
    pub interface: String,
}

fn default_interface() -> String {
    "eth0".to_string()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CpuStress {
    pub target: String,
    /// Stress workers; 0 means one per CPU.
    #[serde(default)]
    pub workers: u16,
    #[serde(default = "default_load")]
    #[schemars(range(min = 1, max = 100))]
    pub load_percent: u8,
}

fn default_load() -> u8 {
    100
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MemoryStress {
    pub target: String,
    #[schemars(range(min = 1, max = 100))]
    pub percent: u8,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DiskFill {
    pub target: String,
    /// An absolute directory on the file system to fill.
    #[schemars(regex(pattern = PATH_PATTERN))]
    pub path: String,
    /// Share of the free space to take.
    #[schemars(range(min = 1, max = 100))]
    pub percent: u8,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KillProcess {
    pub target: String,
    #[schemars(regex(pattern = PROCESS_PATTERN))]
    pub process_name: String,
    #[serde(default)]
    pub signal: Signal,
    /// The systemd unit to start again on undo. Without it the undo relies on the process's
    /// own supervisor, and `gameday plan` says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = PROCESS_PATTERN))]
    pub restart_service: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub enum Signal {
    #[default]
    #[serde(rename = "KILL")]
    Kill,
    #[serde(rename = "TERM")]
    Term,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FisExperiment {
    #[schemars(regex(pattern = FIS_TEMPLATE_PATTERN))]
    pub template_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SetAlarmState {
    pub alarm_name: String,
    #[serde(default = "default_forced_state")]
    pub state: AlarmState,
    #[serde(default = "default_forced_reason")]
    pub reason: String,
}

fn default_forced_state() -> AlarmState {
    AlarmState::Alarm
}

fn default_forced_reason() -> String {
    "gameday experiment: rehearsing alarm-driven failover".to_string()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AlarmState {
    Ok,
    Alarm,
    InsufficientData,
}

/// A CloudWatch alarm that stops the experiment (and rolls it back) while it is in ALARM.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StopCondition {
    pub alarm_name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Observe {
    /// Time between two samples.
    pub interval: IsoDuration,
    /// How long to observe after the faults are injected.
    pub duration: IsoDuration,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Recovery {
    /// Give up waiting for the steady state after this long.
    pub timeout: IsoDuration,
    /// Time between two steady-state checks while recovering.
    #[serde(default = "default_recovery_check")]
    pub check_interval: IsoDuration,
}

fn default_recovery_check() -> IsoDuration {
    IsoDuration::from_secs(15)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SuccessCriteria {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub max_recovery_seconds: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 100))]
    pub min_availability_percent: Option<f64>,
    /// Judge recovery against the RTO of `metadata.dependency` in the service's playbook.
    #[serde(default)]
    pub within_rto: bool,
}

/// When the experiment runs by itself (an EventBridge Scheduler schedule).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Schedule {
    /// `cron(minutes hours day-of-month month day-of-week year)` or `rate(value unit)`.
    pub expression: String,
    /// IANA time zone the cron expression is read in.
    #[serde(default = "default_time_zone")]
    pub time_zone: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blocked_windows: Vec<BlockedWindow>,
}

fn default_time_zone() -> String {
    "UTC".to_string()
}

/// A time in which the experiment must not start (a freeze or a busy period).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum BlockedWindow {
    /// A one-off window between two RFC 3339 instants.
    Once(OnceWindow),
    /// A window that repeats every week, in the schedule's time zone.
    Weekly(WeeklyWindow),
}

impl BlockedWindow {
    pub fn name(&self) -> &str {
        match self {
            BlockedWindow::Once(w) => &w.name,
            BlockedWindow::Weekly(w) => &w.name,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OnceWindow {
    pub name: String,
    pub start: String,
    pub end: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WeeklyWindow {
    pub name: String,
    #[schemars(length(min = 1))]
    pub days: Vec<Weekday>,
    /// `HH:MM`, 24-hour clock.
    #[schemars(regex(pattern = CLOCK_PATTERN))]
    pub start_time: String,
    /// `HH:MM`, 24-hour clock; `24:00` means the end of the day. An end before the start wraps
    /// past midnight.
    #[schemars(regex(pattern = END_CLOCK_PATTERN))]
    pub end_time: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Notify {
    /// SNS topic for this experiment's messages, instead of the deployment's default topic.
    #[schemars(regex(pattern = TOPIC_ARN_PATTERN))]
    pub topic_arn: String,
}
