use std::fmt;

/// The six fields of an EventBridge cron expression, in the order they are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CronField {
    Minutes,
    Hours,
    DayOfMonth,
    Month,
    DayOfWeek,
    Year,
}

impl CronField {
    /// The field's name as the EventBridge documentation spells it, in lower case.
    pub fn name(self) -> &'static str {
        match self {
            Self::Minutes => "minutes",
            Self::Hours => "hours",
            Self::DayOfMonth => "day-of-month",
            Self::Month => "month",
            Self::DayOfWeek => "day-of-week",
            Self::Year => "year",
        }
    }
}

impl fmt::Display for CronField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a schedule expression or time zone name was rejected.
///
/// Every message names what was wrong, where, and how to fix it.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum ScheduleError {
    /// The text is not of the form `cron(...)` or `rate(...)`.
    #[error("schedule expression `{expression}`: {problem}")]
    Malformed { expression: String, problem: String },

    /// A cron expression without exactly six fields.
    #[error(
        "cron expression `{expression}` has {found} field(s); EventBridge needs exactly 6, \
         separated by spaces: Minutes Hours Day-of-month Month Day-of-week Year, \
         e.g. `cron(0 10 * * ? *)`"
    )]
    FieldCount { expression: String, found: usize },

    /// One cron field is invalid; `value` is the field's text as written.
    #[error("cron {field} field `{value}`: {problem}")]
    InvalidField {
        field: CronField,
        value: String,
        problem: String,
    },

    /// A rate expression is invalid; `expression` is the whole `rate(...)` text.
    #[error("rate expression `{expression}`: {problem}")]
    InvalidRate { expression: String, problem: String },

    /// The name is not in the IANA time zone database.
    #[error(
        "time zone `{name}` is not an IANA time zone name{}; use a name such as `UTC`, \
         `Europe/Berlin` or `America/New_York`",
        suggestion_hint(.suggestion)
    )]
    UnknownTimeZone {
        name: String,
        suggestion: Option<String>,
    },
}

impl ScheduleError {
    /// The cron field the error is about, when it is about one.
    pub fn field(&self) -> Option<CronField> {
        match self {
            Self::InvalidField { field, .. } => Some(*field),
            _ => None,
        }
    }
}

fn suggestion_hint(suggestion: &Option<String>) -> String {
    suggestion
        .as_ref()
        .map(|name| format!(" (did you mean `{name}`? names are case-sensitive)"))
        .unwrap_or_default()
}
