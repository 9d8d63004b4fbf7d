//! The DR playbook file, version 1: the Stage 1 article's playbook as data. The system's
//! components, its dependencies with their RTO, RPO and criticality period, the people to call,
//! how to notify them, and the failover scenarios, each linked to the experiments and the
//! failover policy that exercise it. Unknown fields are refused.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::duration::IsoDuration;
use crate::spec::{ApiVersion, CLOCK_PATTERN, END_CLOCK_PATTERN, NAME_PATTERN, Weekday};

/// `YYYY-MM-DD`; the loader also checks that the day exists.
pub const DATE_PATTERN: &str = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$";
/// Loose on purpose: digits, spaces, `+ - ( ) .` and an optional extension.
pub const PHONE_PATTERN: &str = r"^\+?[0-9][0-9 ().-]{5,24}( (x|ext\.?) ?[0-9]{1,6})?$";
/// One `@`, something before it and a dotted domain after it.
pub const EMAIL_PATTERN: &str = r"^[^@\s]+@[^@\s]+\.[^@\s]+$";
/// In `services`, the word that means every service of the system.
pub const ALL_SERVICES: &str = "ALL";

/// A service's disaster-recovery playbook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(title = "gameday DR playbook (v1)")]
pub struct Playbook {
    /// Always `gameday/v1`.
    pub api_version: ApiVersion,
    /// Always `Playbook`.
    pub kind: PlaybookKind,
    pub metadata: PlaybookMetadata,
    /// The components of the system, referenced by name from dependencies and contacts.
    #[schemars(length(min = 1))]
    pub system: Vec<Component>,
    #[schemars(length(min = 1))]
    pub dependencies: Vec<Dependency>,
    #[schemars(length(min = 1))]
    pub contacts: Vec<Contact>,
    pub notification: Notification,
    #[schemars(length(min = 1))]
    pub scenarios: Vec<Scenario>,
    /// Exercises done by hand, for the record (automated ones are read from the run table).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exercises: Vec<Exercise>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum PlaybookKind {
    Playbook,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlaybookMetadata {
    /// The service, as experiments name it in `metadata.service`.
    #[schemars(regex(pattern = NAME_PATTERN))]
    pub service: String,
    /// A title for people, e.g. `Bookstore`.
    pub title: String,
    /// Who answers for this playbook (a team or an e-mail address).
    pub owner: String,
    /// The disaster-recovery strategy the architecture allows, e.g. `Backup & Restore`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The longest allowed gap between two exercises of a scenario (default 35 days, the
    /// Stage 3 article's four to five weeks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 366))]
    pub max_days_between_exercises: Option<u32>,
}

/// One row of the system architecture table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Component {
    /// Short name used in references, e.g. `api`.
    #[schemars(regex(pattern = NAME_PATTERN))]
    pub name: String,
    /// The name people use, e.g. `API`.
    pub title: String,
    /// Where it runs, e.g. `Amazon EC2`.
    pub platform: String,
    #[schemars(length(min = 1))]
    pub technologies: Vec<String>,
    /// Absent for regional or global services (S3, Route 53).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability_zone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet: Option<String>,
    /// The DNS name clients use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
}

/// One row of the critical or non-critical dependency table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Dependency {
    /// As experiments name it in `metadata.dependency`, e.g. `api`.
    #[schemars(regex(pattern = NAME_PATTERN))]
    pub name: String,
    pub title: String,
    /// The system component it is, when it is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<String>,
    /// Critical: the application fails without it. Non-critical: it runs on, degraded.
    pub critical: bool,
    /// When the dependency is critical; experiments are refused inside a weekly period.
    pub criticality_period: CriticalityPeriod,
    /// What people do by hand until it is recovered.
    pub manual_workaround: String,
    /// Recovery time objective: the longest acceptable time to restore it.
    pub rto: IsoDuration,
    /// Recovery point objective: the longest span of data that may be lost.
    pub rpo: IsoDuration,
    /// Dependencies this one needs, by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<String>,
    /// For a non-critical dependency: how the application behaves without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impact: Option<String>,
}

/// `always`, or a weekly period such as the article's nightly backup, `2:00 AM - 3:00 AM PST`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum CriticalityPeriod {
    Always(Always),
    Weekly(WeeklyPeriod),
}

/// The word `always`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Always {
    Always,
}

/// The same hours on the listed days, read in an IANA time zone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WeeklyPeriod {
    #[schemars(length(min = 1))]
    pub days: Vec<Weekday>,
    /// `HH:MM`, 24-hour clock.
    #[schemars(regex(pattern = CLOCK_PATTERN))]
    pub start_time: String,
    /// `HH:MM`, 24-hour clock, or `24:00`; an end before the start wraps past midnight.
    #[schemars(regex(pattern = END_CLOCK_PATTERN))]
    pub end_time: String,
    /// IANA time zone, e.g. `America/Los_Angeles` for the article's PST.
    pub time_zone: String,
}

/// One row of the contact table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Contact {
    pub name: String,
    pub position: String,
    /// Component names, or `ALL`.
    #[schemars(length(min = 1))]
    pub services: Vec<String>,
    #[schemars(regex(pattern = EMAIL_PATTERN))]
    pub email: String,
    #[schemars(regex(pattern = PHONE_PATTERN))]
    pub phone: String,
    pub availability: Availability,
}

/// `on-call` (any hour), or office hours.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Availability {
    OnCall(OnCall),
    Hours(OfficeHours),
}

/// The word `on-call`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum OnCall {
    OnCall,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OfficeHours {
    /// IANA time zone the hours are read in.
    pub time_zone: String,
    #[schemars(length(min = 1))]
    pub hours: Vec<Hours>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Hours {
    #[schemars(length(min = 1))]
    pub days: Vec<Weekday>,
    #[schemars(regex(pattern = CLOCK_PATTERN))]
    pub start_time: String,
    #[schemars(regex(pattern = END_CLOCK_PATTERN))]
    pub end_time: String,
}

/// Who is told what, when, why and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Notification {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// In the order they happen.
    #[schemars(length(min = 1))]
    pub steps: Vec<NotificationStep>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NotificationStep {
    /// What sets this step off, e.g. `an alarm of a critical dependency goes to ALARM`.
    pub when: String,
    /// Contact names, in the order to try them.
    #[schemars(length(min = 1))]
    pub notify: Vec<String>,
    /// How: e-mail, phone, SNS, ...
    #[schemars(length(min = 1))]
    pub channels: Vec<Channel>,
    /// At most this long after `when`.
    pub within: IsoDuration,
    /// What the message says and why it is sent.
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Channel {
    Email,
    Phone,
    Sms,
    Sns,
    Chat,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "e-mail",
            Channel::Phone => "phone",
            Channel::Sms => "SMS",
            Channel::Sns => "SNS topic",
            Channel::Chat => "chat",
        }
    }
}

/// A failover scenario with its step-by-step procedures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Scenario {
    #[schemars(regex(pattern = NAME_PATTERN))]
    pub name: String,
    pub title: String,
    /// The dependency whose failure this scenario recovers.
    pub dependency: String,
    pub leads: Leads,
    pub severity: Severity,
    /// The recovery in a few steps.
    #[schemars(length(min = 1))]
    pub overview: Vec<ProcedureStep>,
    /// What may be taken for granted while recovering (often outside the team's control).
    #[schemars(length(min = 1))]
    pub assumptions: Vec<String>,
    /// At most the dependency's RTO.
    pub rto: IsoDuration,
    /// At most the dependency's RPO.
    pub rpo: IsoDuration,
    /// The platforms and technologies the recovery needs.
    pub recovery_platform: String,
    #[schemars(length(min = 1))]
    pub recovery_procedure: Vec<ProcedureStep>,
    /// How to see that the system works normally again.
    #[schemars(length(min = 1))]
    pub test_procedure: Vec<ProcedureStep>,
    /// How to resume normal service.
    #[schemars(length(min = 1))]
    pub resume_procedure: Vec<ProcedureStep>,
    /// The automated exercises of this scenario.
    #[serde(default)]
    pub exercised_by: ExercisedBy,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Leads {
    /// A contact name.
    pub primary: String,
    /// A contact name, other than the primary.
    pub secondary: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Critical,
    High,
    Medium,
    Low,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "Critical",
            Severity::High => "High",
            Severity::Medium => "Medium",
            Severity::Low => "Low",
        }
    }
}

/// A step: a sentence, or a sentence with a command to run and sub-steps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum ProcedureStep {
    Text(String),
    Detailed(DetailedStep),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DetailedStep {
    pub step: String,
    /// A shell command, shown as a code block.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub substeps: Vec<ProcedureStep>,
}

impl ProcedureStep {
    pub fn text(&self) -> &str {
        match self {
            ProcedureStep::Text(text) => text,
            ProcedureStep::Detailed(step) => &step.step,
        }
    }

    pub fn command(&self) -> Option<&str> {
        match self {
            ProcedureStep::Text(_) => None,
            ProcedureStep::Detailed(step) => step.command.as_deref(),
        }
    }

    pub fn substeps(&self) -> &[ProcedureStep] {
        match self {
            ProcedureStep::Text(_) => &[],
            ProcedureStep::Detailed(step) => &step.substeps,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExercisedBy {
    /// Experiment names (`metadata.name`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub experiments: Vec<String>,
    /// The failover policy's `service` in the policy file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failover_policy: Option<String>,
}

/// An exercise done by hand, such as the article's manual run of the API failure scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Exercise {
    /// `YYYY-MM-DD`, the day it was done (UTC).
    #[schemars(regex(pattern = DATE_PATTERN))]
    pub date: String,
    /// The scenario exercised.
    pub scenario: String,
    pub kind: ExerciseKind,
    /// How long the service was down, measured by the people who did it.
    pub downtime: IsoDuration,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExerciseKind {
    Manual,
}

impl Playbook {
    pub fn dependency(&self, name: &str) -> Option<&Dependency> {
        self.dependencies.iter().find(|d| d.name == name)
    }

    pub fn scenario(&self, name: &str) -> Option<&Scenario> {
        self.scenarios.iter().find(|s| s.name == name)
    }

    pub fn contact(&self, name: &str) -> Option<&Contact> {
        self.contacts.iter().find(|c| c.name == name)
    }

    pub fn component(&self, name: &str) -> Option<&Component> {
        self.system.iter().find(|c| c.name == name)
    }

    /// The manual exercises of a scenario, newest first.
    pub fn exercises_of(&self, scenario: &str) -> Vec<&Exercise> {
        let mut out: Vec<&Exercise> = self
            .exercises
            .iter()
            .filter(|e| e.scenario == scenario)
            .collect();
        out.sort_by_key(|e| std::cmp::Reverse(e.date.clone()));
        out
    }
}
