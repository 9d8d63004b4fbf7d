//! Rules that a schema cannot express: references between sections, durations that must fit
//! inside each other, the blast radius, schedules, and safety rules for production.

use chrono::DateTime;

use super::model::*;
use crate::diagnostics::{Violation, child, unique};
use crate::schedule::{ScheduleExpression, parse_time_zone};
use crate::selection::SelectionMode;

/// CloudWatch periods below a minute that high-resolution metrics accept.
const HIGH_RESOLUTION_PERIODS: [u64; 4] = [1, 5, 10, 30];

/// Every semantic problem of one experiment.
pub fn check_semantics(experiment: &Experiment) -> Vec<Violation> {
    let mut out = Vec::new();
    check_production(experiment, &mut out);
    check_unique_names(experiment, &mut out);
    check_probes(experiment, &mut out);
    check_targets(experiment, &mut out);
    check_faults(experiment, &mut out);
    check_timing(experiment, &mut out);
    check_success_criteria(experiment, &mut out);
    if let Some(schedule) = &experiment.schedule {
        check_schedule(schedule, &mut out);
        check_schedulable_name(&experiment.metadata.name, &mut out);
    }
    out
}

/// A scheduled experiment's EventBridge Scheduler schedule is named after it, and schedule
/// names are at most 64 characters.
fn check_schedulable_name(name: &str, out: &mut Vec<Violation>) {
    let longest = crate::schedule_sync::MAX_SCHEDULED_EXPERIMENT_NAME_LENGTH;
    if name.len() > longest {
        out.push(Violation::new(
            "/metadata/name",
            format!(
                "the experiment has a schedule, and its schedule `{}` would be {} characters; \
                 EventBridge Scheduler allows 64",
                crate::schedule_sync::schedule_name(name),
                crate::schedule_sync::schedule_name(name).len()
            ),
            format!("shorten the name to at most {longest} characters, or remove `schedule`"),
        ));
    }
}

fn check_production(experiment: &Experiment, out: &mut Vec<Violation>) {
    let metadata = &experiment.metadata;
    if metadata.environment != PRODUCTION {
        return;
    }
    if !metadata.allow_production {
        out.push(Violation::new(
            "/metadata/allowProduction",
            "environment is `production` but allowProduction is not true",
            "set `allowProduction: true` once the experiment has passed in a lower environment",
        ));
    }
    if experiment.stop_conditions.is_empty() {
        out.push(Violation::new(
            "/stopConditions",
            "a production experiment has no stop condition",
            "add at least one CloudWatch alarm under `stopConditions` that fires when customers are hurt",
        ));
    }
}

fn check_unique_names(experiment: &Experiment, out: &mut Vec<Violation>) {
    let probes = experiment.hypothesis.probes.iter().map(Probe::name);
    unique("/hypothesis/probes", "name", probes, "probe", out);
    unique(
        "/targets",
        "name",
        experiment.targets.iter().map(|t| t.name.as_str()),
        "target",
        out,
    );
    unique(
        "/faults",
        "name",
        experiment.faults.iter().map(|f| f.name.as_str()),
        "fault",
        out,
    );
    let alarms = experiment
        .stop_conditions
        .iter()
        .map(|s| s.alarm_name.as_str());
    unique(
        "/stopConditions",
        "alarmName",
        alarms,
        "stop condition",
        out,
    );
    if let Some(schedule) = &experiment.schedule {
        let windows = schedule.blocked_windows.iter().map(BlockedWindow::name);
        unique(
            "/schedule/blockedWindows",
            "name",
            windows,
            "blocked window",
            out,
        );
    }
}

fn check_probes(experiment: &Experiment, out: &mut Vec<Violation>) {
    for (index, probe) in experiment.hypothesis.probes.iter().enumerate() {
        let pointer = child("/hypothesis/probes", index);
        match probe {
            Probe::CloudwatchMetric(metric) => {
                let secs = metric.period.as_secs_f64();
                let whole = secs.fract() == 0.0;
                let allowed = whole
                    && ((secs as u64).is_multiple_of(60)
                        || HIGH_RESOLUTION_PERIODS.contains(&(secs as u64)));
                if !allowed || secs == 0.0 {
                    out.push(Violation::new(
                        child(&pointer, "period"),
                        format!("CloudWatch does not accept a period of {}", metric.period),
                        "use a multiple of a minute (PT1M, PT5M) or, for high-resolution metrics, PT1S, PT5S, PT10S or PT30S",
                    ));
                }
            }
            Probe::Http(http)
                if http.timeout > experiment.observe.interval || http.timeout.is_zero() =>
            {
                out.push(Violation::new(
                    child(&pointer, "timeout"),
                    format!(
                        "timeout {} must be above zero and at most the observe interval {}",
                        http.timeout, experiment.observe.interval
                    ),
                    "shorten the timeout so that a sample ends before the next one starts",
                ));
            }
            _ => {}
        }
    }
}

fn check_targets(experiment: &Experiment, out: &mut Vec<Violation>) {
    for (index, target) in experiment.targets.iter().enumerate() {
        let pointer = child("/targets", index);
        let mode = match target.selection.parse::<SelectionMode>() {
            Ok(mode) => mode,
            Err(reason) => {
                out.push(Violation::new(
                    child(&pointer, "selection"),
                    reason,
                    "write ALL, COUNT(n) with n from 1 to the size of the fleet, or PERCENT(p)",
                ));
                continue;
            }
        };
        let radius = target.max_blast_radius_percent;
        match mode {
            SelectionMode::All | SelectionMode::Percent(100) if !target.allow_full_blast => out.push(Violation::new(
                child(&pointer, "selection"),
                format!("{} selects every matching instance, but one is always spared unless allowFullBlast is true", target.selection),
                "select fewer (COUNT(n) or PERCENT(p)), or set `allowFullBlast: true` and `maxBlastRadiusPercent: 100`",
            )),
            SelectionMode::All if radius < 100 => out.push(Violation::new(
                child(&pointer, "selection"),
                format!("ALL can exceed maxBlastRadiusPercent ({radius}%)"),
                "use PERCENT(p) with p ≤ maxBlastRadiusPercent, or raise maxBlastRadiusPercent to 100",
            )),
            SelectionMode::Percent(p) if p > radius => out.push(Violation::new(
                child(&pointer, "selection"),
                format!("PERCENT({p}) exceeds maxBlastRadiusPercent ({radius}%)"),
                format!("lower the selection to PERCENT({radius}) or raise maxBlastRadiusPercent to {p}"),
            )),
            _ => {}
        }
        if target.allow_full_blast && radius < 100 {
            out.push(Violation::new(
                child(&pointer, "allowFullBlast"),
                format!("allowFullBlast has no effect while maxBlastRadiusPercent is {radius}"),
                "remove allowFullBlast, or set maxBlastRadiusPercent to 100",
            ));
        }
        if !experiment
            .faults
            .iter()
            .any(|f| f.action.target() == Some(target.name.as_str()))
        {
            out.push(Violation::new(
                child(&pointer, "name"),
                format!("target `{}` is not used by any fault", target.name),
                "remove the target, or name it in a fault's `action.target`",
            ));
        }
    }
}

fn check_faults(experiment: &Experiment, out: &mut Vec<Violation>) {
    let targets: Vec<&str> = experiment.targets.iter().map(|t| t.name.as_str()).collect();
    for (index, fault) in experiment.faults.iter().enumerate() {
        let pointer = child("/faults", index);
        if let Some(target) = fault.action.target()
            && !targets.contains(&target)
        {
            out.push(Violation::new(
                child(&child(&pointer, "action"), "target"),
                format!(
                    "fault `{}` refers to target `{target}`, which is not defined",
                    fault.name
                ),
                format!(
                    "name one of the targets: {}{}",
                    targets.join(", "),
                    crate::schema_check::suggestion(target, &targets)
                ),
            ));
        }
        if fault.duration.is_zero() {
            out.push(Violation::new(
                child(&pointer, "duration"),
                "a fault needs a duration above zero",
                "write e.g. PT5M",
            ));
        }
        if fault.duration > experiment.observe.duration {
            out.push(Violation::new(
                child(&pointer, "duration"),
                format!("the fault lasts {} but observation ends after {}", fault.duration, experiment.observe.duration),
                "shorten the fault or lengthen `observe.duration` so that the whole fault is observed",
            ));
        }
        if let FaultAction::SetAlarmState(forced) = &fault.action
            && forced.state == AlarmState::Alarm
            && experiment
                .stop_conditions
                .iter()
                .any(|s| s.alarm_name == forced.alarm_name)
        {
            out.push(Violation::new(
                child(&child(&pointer, "action"), "alarmName"),
                format!("the fault forces `{}` into ALARM, which is also a stop condition: the experiment would stop itself", forced.alarm_name),
                "remove that alarm from `stopConditions`, or force a different alarm",
            ));
        }
    }
}

fn check_timing(experiment: &Experiment, out: &mut Vec<Violation>) {
    let observe = &experiment.observe;
    if observe.interval.is_zero() || observe.duration.is_zero() {
        out.push(Violation::new(
            "/observe",
            "observe interval and duration must be above zero",
            "write e.g. interval: PT30S, duration: PT10M",
        ));
    } else if observe.interval > observe.duration {
        out.push(Violation::new(
            "/observe/interval",
            format!(
                "the interval {} is longer than the observation {}",
                observe.interval, observe.duration
            ),
            "make the interval at most the duration, so that at least one sample is taken",
        ));
    }
    let recovery = &experiment.recovery;
    if recovery.timeout.is_zero() || recovery.check_interval.is_zero() {
        out.push(Violation::new(
            "/recovery",
            "recovery timeout and checkInterval must be above zero",
            "write e.g. timeout: PT15M",
        ));
    } else if recovery.check_interval > recovery.timeout {
        out.push(Violation::new(
            "/recovery/checkInterval",
            format!(
                "the check interval {} is longer than the timeout {}",
                recovery.check_interval, recovery.timeout
            ),
            "make the check interval at most the timeout",
        ));
    }
}

fn check_success_criteria(experiment: &Experiment, out: &mut Vec<Violation>) {
    let criteria = &experiment.success_criteria;
    if criteria.max_recovery_seconds.is_none()
        && criteria.min_availability_percent.is_none()
        && !criteria.within_rto
    {
        out.push(Violation::new(
            "/successCriteria",
            "no success criterion is set, so a run could pass without its recovery being judged",
            "set maxRecoverySeconds, minAvailabilityPercent, or `withinRto: true`",
        ));
    }
    if let Some(max) = criteria.max_recovery_seconds
        && f64::from(max) > experiment.recovery.timeout.as_secs_f64()
    {
        out.push(Violation::new(
            "/successCriteria/maxRecoverySeconds",
            format!(
                "{max} s is longer than recovery.timeout ({}), so it can never be measured",
                experiment.recovery.timeout
            ),
            "raise recovery.timeout above maxRecoverySeconds",
        ));
    }
}

fn check_schedule(schedule: &Schedule, out: &mut Vec<Violation>) {
    if let Err(error) = schedule.expression.parse::<ScheduleExpression>() {
        out.push(Violation::new(
            "/schedule/expression",
            error.to_string(),
            "see the EventBridge Scheduler guide for cron(...) and rate(...) expressions",
        ));
    }
    if let Err(error) = parse_time_zone(&schedule.time_zone) {
        out.push(Violation::new(
            "/schedule/timeZone",
            error.to_string(),
            "use an IANA name such as UTC, Europe/Berlin or America/New_York",
        ));
    }
    for (index, window) in schedule.blocked_windows.iter().enumerate() {
        let pointer = child("/schedule/blockedWindows", index);
        match window {
            BlockedWindow::Once(once) => check_once_window(once, &pointer, out),
            BlockedWindow::Weekly(weekly) if weekly.start_time == weekly.end_time => {
                out.push(Violation::new(
                    child(&pointer, "endTime"),
                    "the window starts and ends at the same time",
                    "use 00:00 to 24:00 for a whole day",
                ))
            }
            BlockedWindow::Weekly(_) => {}
        }
    }
}

fn check_once_window(window: &OnceWindow, pointer: &str, out: &mut Vec<Violation>) {
    let parse = |field: &str, text: &str, out: &mut Vec<Violation>| {
        DateTime::parse_from_rfc3339(text).map_err(|_| {
            out.push(Violation::new(
                child(pointer, field),
                format!("`{text}` is not an RFC 3339 timestamp"),
                "write e.g. 2026-12-20T00:00:00Z",
            ))
        })
    };
    if let (Ok(start), Ok(end)) = (
        parse("start", &window.start, out),
        parse("end", &window.end, out),
    ) && end <= start
    {
        out.push(Violation::new(
            child(pointer, "end"),
            "the window ends before it starts",
            "put `end` after `start`",
        ));
    }
}
