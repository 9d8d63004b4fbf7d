//! The grammar shared by every numeric cron field: lists (`,`), ranges (`-`), all (`*`) and
//! steps (`/`), over numbers or, in the month and day-of-week fields, three-letter names.

use std::collections::BTreeSet;

use super::error::{CronField, ScheduleError};
use super::{FIRST_SCHEDULABLE_YEAR, LAST_SCHEDULABLE_YEAR};

/// Bounds, names and error wording of one cron field.
pub(super) struct FieldSpec {
    pub(super) field: CronField,
    min: u32,
    max: u32,
    /// Names accepted in place of numbers; `names[i]` stands for `min + i`.
    names: &'static [&'static str],
    /// What the field accepts, worded for error messages.
    allowed: &'static str,
    /// The wildcards the EventBridge documentation lists for the field.
    wildcards: &'static str,
}

pub(super) const MINUTES: FieldSpec = FieldSpec {
    field: CronField::Minutes,
    min: 0,
    max: 59,
    names: &[],
    allowed: "values are 0-59",
    wildcards: "`, - * /`",
};

pub(super) const HOURS: FieldSpec = FieldSpec {
    field: CronField::Hours,
    min: 0,
    max: 23,
    names: &[],
    allowed: "values are 0-23",
    wildcards: "`, - * /`",
};

pub(super) const DAY_OF_MONTH: FieldSpec = FieldSpec {
    field: CronField::DayOfMonth,
    min: 1,
    max: 31,
    names: &[],
    allowed: "values are 1-31",
    wildcards: "`, - * ? / L W`",
};

pub(super) const MONTH: FieldSpec = FieldSpec {
    field: CronField::Month,
    min: 1,
    max: 12,
    names: &[
        "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
    ],
    allowed: "values are 1-12 or JAN-DEC",
    wildcards: "`, - * /`",
};

pub(super) const DAY_OF_WEEK: FieldSpec = FieldSpec {
    field: CronField::DayOfWeek,
    min: 1,
    max: 7,
    names: &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
    allowed: "values are 1-7 (1 = SUN) or SUN-SAT",
    wildcards: "`, - * ? L #`",
};

pub(super) const YEAR: FieldSpec = FieldSpec {
    field: CronField::Year,
    min: FIRST_SCHEDULABLE_YEAR as u32,
    max: LAST_SCHEDULABLE_YEAR as u32,
    names: &[],
    allowed: "values are 1970-2199",
    wildcards: "`, - * /`",
};

impl FieldSpec {
    /// An error about this field, whose text was `value`.
    pub(super) fn error(&self, value: &str, problem: impl Into<String>) -> ScheduleError {
        ScheduleError::InvalidField {
            field: self.field,
            value: value.to_owned(),
            problem: problem.into(),
        }
    }

    /// Parses a whole field made of `,`-separated items into the set of values it selects.
    ///
    /// `text` must already be upper case, so that names match whatever case was written.
    pub(super) fn parse_list(&self, text: &str) -> Result<BTreeSet<u32>, ScheduleError> {
        let mut values = BTreeSet::new();
        for item in text.split(',') {
            values.extend(self.parse_item(text, item)?);
        }
        Ok(values)
    }

    /// Parses one number or name, checking it is within the field's bounds.
    pub(super) fn parse_value(&self, field_text: &str, token: &str) -> Result<u32, ScheduleError> {
        if let Some(index) = self.names.iter().position(|name| *name == token) {
            return Ok(self.min + index as u32);
        }
        match parse_digits(token) {
            Some(value) if (self.min..=self.max).contains(&value) => Ok(value),
            Some(_) => Err(self.error(
                field_text,
                format!("`{token}` is out of range; {}", self.allowed),
            )),
            None => Err(self.unknown_token(field_text, token)),
        }
    }

    fn parse_item(
        &self,
        field_text: &str,
        item: &str,
    ) -> Result<impl Iterator<Item = u32> + use<>, ScheduleError> {
        let (base, step) = match item.split_once('/') {
            Some((base, step)) => (base, Some(self.parse_step(field_text, step)?)),
            None => (item, None),
        };
        let (first, last) = self.parse_range(field_text, base, step.is_some())?;
        Ok((first..=last).step_by(step.unwrap_or(1)))
    }

    /// Parses `*`, `a-b` or `a`; a lone start value before a step runs to the field's end
    /// (`1/10` in minutes is 1, 11, 21, ...).
    fn parse_range(
        &self,
        field_text: &str,
        base: &str,
        has_step: bool,
    ) -> Result<(u32, u32), ScheduleError> {
        if base == "*" {
            return Ok((self.min, self.max));
        }
        if base.is_empty() {
            return Err(self.error(
                field_text,
                format!("has an empty entry; {} separated by `,`", self.allowed),
            ));
        }
        let Some((start, end)) = base.split_once('-') else {
            let value = self.parse_value(field_text, base)?;
            return Ok((value, if has_step { self.max } else { value }));
        };
        if start.is_empty() || end.is_empty() {
            return Err(self.error(
                field_text,
                format!(
                    "range `{base}` needs a start and an end, e.g. `{}-{}`",
                    self.min, self.max
                ),
            ));
        }
        let (first, last) = (
            self.parse_value(field_text, start)?,
            self.parse_value(field_text, end)?,
        );
        if first > last {
            return Err(self.error(
                field_text,
                format!(
                    "range `{base}` runs backwards; write it from low to high, or split a \
                     range that wraps around into two: `{start}-{},{}-{end}`",
                    self.max_label(),
                    self.min_label()
                ),
            ));
        }
        Ok((first, last))
    }

    fn parse_step(&self, field_text: &str, step: &str) -> Result<usize, ScheduleError> {
        let largest = self.max - self.min;
        match parse_digits(step) {
            Some(value) if (1..=largest).contains(&value) => Ok(value as usize),
            _ => Err(self.error(
                field_text,
                format!(
                    "step `/{step}` must be a whole number from 1 to {largest}; \
                     to fire once, write the single value instead"
                ),
            )),
        }
    }

    fn unknown_token(&self, field_text: &str, token: &str) -> ScheduleError {
        let problem = match wildcard_in(token) {
            Some('?') if self.wildcards.contains('?') => {
                "`?` must be the whole field, not part of a list or range".to_owned()
            }
            Some(wildcard) if self.wildcards.contains(wildcard) => format!(
                "wildcard `{wildcard}` cannot be combined with other values here; \
                 this field accepts {} and {}",
                self.wildcards, self.allowed
            ),
            Some(wildcard) => format!(
                "wildcard `{wildcard}` is not allowed in this field; it accepts {} and {}",
                self.wildcards, self.allowed
            ),
            None => format!("`{token}` is not a valid value; {}", self.allowed),
        };
        self.error(field_text, problem)
    }

    fn min_label(&self) -> String {
        self.names
            .first()
            .map_or_else(|| self.min.to_string(), |name| (*name).to_owned())
    }

    fn max_label(&self) -> String {
        self.names
            .last()
            .map_or_else(|| self.max.to_string(), |name| (*name).to_owned())
    }
}

/// The special wildcard a token such as `?`, `L`, `15W` or `3#2` is built on, if it is one.
fn wildcard_in(token: &str) -> Option<char> {
    let letters = token.trim_matches(|c: char| c.is_ascii_digit());
    let is_wildcard = |c: char| matches!(c, '?' | 'L' | 'W' | '#');
    if letters.is_empty() || !letters.chars().all(is_wildcard) {
        return None;
    }
    letters.chars().next()
}

/// A non-empty run of ASCII digits as a number; `None` for signs, spaces or overflow.
pub(super) fn parse_digits(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}
