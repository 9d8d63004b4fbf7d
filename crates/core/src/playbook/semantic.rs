//! Rules of one playbook that a schema cannot express: unique names, references between
//! sections, objectives that fit their dependency, time zones and calendar dates.

use std::collections::BTreeSet;

use chrono::NaiveDate;

use super::model::*;
use crate::diagnostics::{Violation, child, unique};
use crate::schedule::parse_time_zone;
use crate::schema_check::suggestion;

/// Every semantic problem of one playbook.
pub fn check_semantics(playbook: &Playbook) -> Vec<Violation> {
    let mut out = Vec::new();
    check_unique_names(playbook, &mut out);
    check_dependencies(playbook, &mut out);
    check_contacts(playbook, &mut out);
    check_notification(playbook, &mut out);
    check_scenarios(playbook, &mut out);
    check_exercises(playbook, &mut out);
    out
}

fn check_unique_names(playbook: &Playbook, out: &mut Vec<Violation>) {
    let components = playbook.system.iter().map(|c| c.name.as_str());
    unique("/system", "name", components, "component", out);
    let dependencies = playbook.dependencies.iter().map(|d| d.name.as_str());
    unique("/dependencies", "name", dependencies, "dependency", out);
    let contacts = playbook.contacts.iter().map(|c| c.name.as_str());
    unique("/contacts", "name", contacts, "contact", out);
    let scenarios = playbook.scenarios.iter().map(|s| s.name.as_str());
    unique("/scenarios", "name", scenarios, "scenario", out);
}

/// A violation for a name that should be one of `known`.
fn unknown(pointer: String, what: &str, given: &str, known: &[&str]) -> Violation {
    Violation::new(
        pointer,
        format!("no {what} is named `{given}`"),
        format!(
            "use one of: {}{}",
            known.join(", "),
            suggestion(given, known)
        ),
    )
}

fn check_dependencies(playbook: &Playbook, out: &mut Vec<Violation>) {
    let components: Vec<&str> = playbook.system.iter().map(|c| c.name.as_str()).collect();
    let names: Vec<&str> = playbook
        .dependencies
        .iter()
        .map(|d| d.name.as_str())
        .collect();
    for (index, dependency) in playbook.dependencies.iter().enumerate() {
        let at = child("/dependencies", index);
        if let Some(component) = &dependency.component
            && !components.contains(&component.as_str())
        {
            out.push(unknown(
                child(&at, "component"),
                "system component",
                component,
                &components,
            ));
        }
        for (c, name) in dependency.children.iter().enumerate() {
            let pointer = child(&child(&at, "children"), c);
            if name == &dependency.name {
                out.push(Violation::new(
                    pointer,
                    format!("`{name}` lists itself as a child dependency"),
                    "remove it: a child is another dependency this one needs",
                ));
            } else if !names.contains(&name.as_str()) {
                out.push(unknown(pointer, "dependency", name, &names));
            }
        }
        if dependency.rto.is_zero() {
            out.push(Violation::new(
                child(&at, "rto"),
                "the RTO is zero",
                "write the longest acceptable time to restore it, e.g. PT12H",
            ));
        }
        if let CriticalityPeriod::Weekly(period) = &dependency.criticality_period {
            let at = child(&at, "criticalityPeriod");
            check_time_zone(&period.time_zone, child(&at, "timeZone"), out);
            check_not_empty(&period.start_time, &period.end_time, &at, out);
        }
    }
    if let Some((index, path)) = first_cycle(playbook) {
        out.push(Violation::new(
            child(&child("/dependencies", index), "children"),
            format!("the child dependencies form a cycle: {}", path.join(" → ")),
            "a dependency cannot need itself through others; remove one link of the cycle",
        ));
    }
}

/// The first dependency found on a cycle of `children`, with the cycle.
fn first_cycle(playbook: &Playbook) -> Option<(usize, Vec<String>)> {
    fn visit<'a>(
        playbook: &'a Playbook,
        name: &'a str,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|n| *n == name) {
            let mut cycle: Vec<String> = path[start..].iter().map(|n| n.to_string()).collect();
            cycle.push(name.to_string());
            return Some(cycle);
        }
        if !done.insert(name) {
            return None;
        }
        path.push(name);
        let found = playbook.dependency(name).and_then(|dependency| {
            dependency
                .children
                .iter()
                .find_map(|c| visit(playbook, c, path, done))
        });
        path.pop();
        found
    }
    let mut done = BTreeSet::new();
    playbook
        .dependencies
        .iter()
        .enumerate()
        .find_map(|(index, d)| {
            visit(playbook, &d.name, &mut Vec::new(), &mut done).map(|cycle| (index, cycle))
        })
}

fn check_time_zone(zone: &str, pointer: String, out: &mut Vec<Violation>) {
    if let Err(error) = parse_time_zone(zone) {
        out.push(Violation::new(
            pointer,
            error.to_string(),
            "use an IANA name such as America/Los_Angeles (the article's PST) or UTC",
        ));
    }
}

fn check_not_empty(start: &str, end: &str, at: &str, out: &mut Vec<Violation>) {
    if start == end {
        out.push(Violation::new(
            child(at, "endTime"),
            "the period starts and ends at the same time",
            "use 00:00 to 24:00 for a whole day",
        ));
    }
}

fn check_contacts(playbook: &Playbook, out: &mut Vec<Violation>) {
    let mut known: Vec<&str> = playbook.system.iter().map(|c| c.name.as_str()).collect();
    known.push(ALL_SERVICES);
    for (index, contact) in playbook.contacts.iter().enumerate() {
        let at = child("/contacts", index);
        for (s, service) in contact.services.iter().enumerate() {
            if !known.contains(&service.as_str()) {
                out.push(unknown(
                    child(&child(&at, "services"), s),
                    "system component",
                    service,
                    &known,
                ));
            }
        }
        if let Availability::Hours(hours) = &contact.availability {
            let at = child(&at, "availability");
            check_time_zone(&hours.time_zone, child(&at, "timeZone"), out);
            for (h, span) in hours.hours.iter().enumerate() {
                let at = child(&child(&at, "hours"), h);
                check_not_empty(&span.start_time, &span.end_time, &at, out);
            }
        }
    }
}

fn contact_names(playbook: &Playbook) -> Vec<&str> {
    playbook.contacts.iter().map(|c| c.name.as_str()).collect()
}

fn check_notification(playbook: &Playbook, out: &mut Vec<Violation>) {
    let contacts = contact_names(playbook);
    for (index, step) in playbook.notification.steps.iter().enumerate() {
        let at = child("/notification/steps", index);
        for (n, name) in step.notify.iter().enumerate() {
            if !contacts.contains(&name.as_str()) {
                out.push(unknown(
                    child(&child(&at, "notify"), n),
                    "contact",
                    name,
                    &contacts,
                ));
            }
        }
    }
}

fn check_scenarios(playbook: &Playbook, out: &mut Vec<Violation>) {
    let contacts = contact_names(playbook);
    let dependencies: Vec<&str> = playbook
        .dependencies
        .iter()
        .map(|d| d.name.as_str())
        .collect();
    for (index, scenario) in playbook.scenarios.iter().enumerate() {
        let at = child("/scenarios", index);
        for (role, name) in [
            ("primary", &scenario.leads.primary),
            ("secondary", &scenario.leads.secondary),
        ] {
            if !contacts.contains(&name.as_str()) {
                out.push(unknown(
                    format!("{at}/leads/{role}"),
                    "contact",
                    name,
                    &contacts,
                ));
            }
        }
        if scenario.leads.primary == scenario.leads.secondary {
            out.push(Violation::new(
                format!("{at}/leads/secondary"),
                "the secondary lead is the primary lead",
                "name a second person, who leads when the primary cannot be reached",
            ));
        }
        if scenario.rto.is_zero() {
            out.push(Violation::new(
                child(&at, "rto"),
                "the RTO is zero",
                "write the longest acceptable time to recover, e.g. PT12H",
            ));
        }
        match playbook.dependency(&scenario.dependency) {
            None => out.push(unknown(
                child(&at, "dependency"),
                "dependency",
                &scenario.dependency,
                &dependencies,
            )),
            Some(dependency) => {
                for (field, mine, theirs) in [
                    ("rto", scenario.rto, dependency.rto),
                    ("rpo", scenario.rpo, dependency.rpo),
                ] {
                    if mine > theirs {
                        out.push(Violation::new(
                            child(&at, field),
                            format!(
                                "the scenario's {} {mine} is longer than the {} {theirs} of dependency `{}`",
                                field.to_uppercase(),
                                field.to_uppercase(),
                                dependency.name
                            ),
                            format!("write at most {theirs}, or raise the dependency's objective"),
                        ));
                    }
                }
            }
        }
    }
}

fn check_exercises(playbook: &Playbook, out: &mut Vec<Violation>) {
    let scenarios: Vec<&str> = playbook.scenarios.iter().map(|s| s.name.as_str()).collect();
    for (index, exercise) in playbook.exercises.iter().enumerate() {
        let at = child("/exercises", index);
        if NaiveDate::parse_from_str(&exercise.date, "%Y-%m-%d").is_err() {
            out.push(Violation::new(
                child(&at, "date"),
                format!("`{}` is not a day of the calendar", exercise.date),
                "write a real date as YYYY-MM-DD, e.g. 2026-11-03",
            ));
        }
        if !scenarios.contains(&exercise.scenario.as_str()) {
            out.push(unknown(
                child(&at, "scenario"),
                "scenario",
                &exercise.scenario,
                &scenarios,
            ));
        }
    }
}
