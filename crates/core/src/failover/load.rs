//! Loading failover policy files: parse (YAML or JSON), check the structure against the
//! schema, build the model, then check what a schema cannot say. Every problem is reported.

use std::collections::BTreeMap;

use super::policy::*;
use super::schema::check_structure;
use crate::diagnostics::{Diagnostic, Violation, child, locate_all, parse_file, pointer_of_path};

/// Loads a failover policy file from the text of `file`, or returns every problem in it.
pub fn load_failover_file(file: &str, text: &str) -> Result<FailoverFile, Vec<Diagnostic>> {
    let document = parse_file(file, text)?;
    let locate = |violations: Vec<Violation>| locate_all(file, &document, violations);
    let structural = check_structure(&document.value);
    if !structural.is_empty() {
        return Err(locate(structural));
    }
    let model: FailoverFile =
        serde_path_to_error::deserialize(&document.value).map_err(|error| {
            locate(vec![Violation::new(
                pointer_of_path(&error.path().to_string()),
                error.inner().to_string(),
                "see `gameday failover schema`",
            )])
        })?;
    let semantic = check_semantics(&model);
    if semantic.is_empty() {
        Ok(model)
    } else {
        Err(locate(semantic))
    }
}

/// Rules the schema cannot express.
pub fn check_semantics(file: &FailoverFile) -> Vec<Violation> {
    let mut out = Vec::new();
    let mut services: BTreeMap<&str, usize> = BTreeMap::new();
    let mut alarms: BTreeMap<&str, usize> = BTreeMap::new();
    let mut records: BTreeMap<String, usize> = BTreeMap::new();
    for (index, policy) in file.policies.iter().enumerate() {
        let at = format!("/policies/{index}");
        if let Some(first) = services.insert(&policy.service, index) {
            services.insert(&policy.service, first);
            out.push(Violation::new(
                child(&at, "service"),
                format!(
                    "service `{}` already has a policy (policies[{first}])",
                    policy.service
                ),
                "give each service one policy; list every alarm of that service under its `alarms`",
            ));
        }
        for (a, alarm) in policy.alarms.iter().enumerate() {
            match alarms.get(alarm.as_str()) {
                Some(first) => out.push(Violation::new(
                    child(&child(&at, "alarms"), a),
                    format!("alarm `{alarm}` already starts the failover of policies[{first}]"),
                    "an alarm may start one failover only; remove it here or there",
                )),
                None => {
                    alarms.insert(alarm, index);
                }
            }
        }
        let record = policy
            .dns()
            .record_name
            .trim_end_matches('.')
            .to_lowercase();
        let dns_at = format!("{at}/procedure/dns/recordName");
        match records.get(&record) {
            Some(first) => out.push(Violation::new(
                dns_at,
                format!("record `{record}` is already moved by policies[{first}]"),
                "two failovers must not move the same record",
            )),
            None => {
                records.insert(record, index);
            }
        }
        if policy.rto.is_zero() {
            out.push(Violation::new(
                child(&at, "rto"),
                "the RTO is zero",
                "copy the dependency's RTO from its playbook, e.g. PT12H",
            ));
        }
        check_leads(file, policy, &at, &mut out);
        check_procedure(policy, &format!("{at}/procedure"), &mut out);
    }
    out
}

fn check_leads(file: &FailoverFile, policy: &FailoverPolicy, at: &str, out: &mut Vec<Violation>) {
    for (i, lead) in policy.leads.iter().enumerate() {
        let known = file
            .contacts
            .iter()
            .any(|c| &c.name == lead || c.email.as_deref() == Some(lead.as_str()));
        if !known {
            let names: Vec<&str> = file.contacts.iter().map(|c| c.name.as_str()).collect();
            let fix = if names.is_empty() {
                "add the person under `contacts` (name, role, email, phone)".to_string()
            } else {
                format!(
                    "name one of the contacts: {}{}",
                    names.join(", "),
                    crate::schema_check::suggestion(lead, &names)
                )
            };
            out.push(Violation::new(
                child(&child(at, "leads"), i),
                format!("lead `{lead}` is not in `contacts`"),
                fix,
            ));
        }
    }
}

fn check_procedure(policy: &FailoverPolicy, at: &str, out: &mut Vec<Violation>) {
    let dns = policy.dns();
    match (&dns.hosted_zone_id, &dns.zone_name) {
        (Some(_), Some(_)) => out.push(Violation::new(
            format!("{at}/dns"),
            "both `hostedZoneId` and `zoneName` are given",
            "give one: the zone's id, or its domain name",
        )),
        (None, None) => out.push(Violation::new(
            format!("{at}/dns"),
            "the hosted zone is not given",
            "add `hostedZoneId: Z...` or `zoneName: example.com`",
        )),
        (None, Some(zone)) => {
            let record = dns.record_name.trim_end_matches('.');
            let zone = zone.trim_end_matches('.');
            if record != zone && !record.ends_with(&format!(".{zone}")) {
                out.push(Violation::new(
                    format!("{at}/dns/recordName"),
                    format!("`{record}` is not inside the zone `{zone}`"),
                    format!("name a record that ends with .{zone}"),
                ));
            }
        }
        (Some(_), None) => {}
    }
    if dns.insync_timeout.is_zero() {
        out.push(Violation::new(
            format!("{at}/dns/insyncTimeout"),
            "the INSYNC timeout is zero",
            "allow Route 53 time to apply the change, e.g. PT5M",
        ));
    }
    match &policy.procedure {
        Procedure::Ec2(ec2) => {
            check_instance_ref(&ec2.primary, &format!("{at}/primary"), out);
            if let Some(standby) = &ec2.warm_standby {
                check_instance_ref(standby, &format!("{at}/warmStandby"), out);
                if standby == &ec2.primary {
                    out.push(Violation::new(
                        format!("{at}/warmStandby"),
                        "the warm standby is the primary itself",
                        "name a separate stopped instance as the standby",
                    ));
                }
            }
            if ec2.relaunch.is_none() && ec2.warm_standby.is_none() {
                out.push(Violation::new(
                    at,
                    "the procedure has no way to replace the primary",
                    "add `relaunch:` (launch template and AMI tags) or `warmStandby:`",
                ));
            }
            let health = &ec2.health;
            if health.interval.is_zero() || health.interval > health.timeout {
                out.push(Violation::new(
                    format!("{at}/health/interval"),
                    format!(
                        "the check interval {} must be above zero and at most the timeout {}",
                        health.interval, health.timeout
                    ),
                    "check more often than the timeout, e.g. interval PT15S with timeout PT10M",
                ));
            }
            if !health.status_checks && health.http.is_none() {
                out.push(Violation::new(
                    format!("{at}/health"),
                    "no health requirement: status checks are off and there is no HTTP check",
                    "keep `statusChecks: true` or add an `http:` check; DNS must never point at an unchecked instance",
                ));
            }
            if let Some(http) = &health.http
                && http.timeout > health.timeout
            {
                out.push(Violation::new(
                    format!("{at}/health/http/timeout"),
                    "the HTTP timeout is longer than the whole health timeout",
                    "make the HTTP timeout a few seconds, e.g. PT5S",
                ));
            }
        }
        Procedure::Rds(rds) => {
            if rds.primary == rds.replica {
                out.push(Violation::new(
                    format!("{at}/replica"),
                    "the replica is the primary itself",
                    "name the read replica of the primary, e.g. bookstore-db-replica",
                ));
            }
            if rds.interval.is_zero() || rds.interval > rds.available_timeout {
                out.push(Violation::new(
                    format!("{at}/interval"),
                    "the check interval must be above zero and at most availableTimeout",
                    "e.g. interval PT30S with availableTimeout PT15M",
                ));
            }
        }
        Procedure::S3Static(s3) => {
            if s3.primary_bucket == s3.backup_bucket {
                out.push(Violation::new(
                    format!("{at}/backupBucket"),
                    "the backup bucket is the primary bucket",
                    "name a separate bucket that holds a copy of the static files",
                ));
            }
            if s3.manifest_key.is_empty() {
                out.push(Violation::new(
                    format!("{at}/manifestKey"),
                    "the manifest key is empty",
                    "name the manifest object, e.g. manifest.json",
                ));
            }
        }
    }
}

fn check_instance_ref(instance: &InstanceRef, at: &str, out: &mut Vec<Violation>) {
    match (&instance.instance_id, instance.tags.is_empty()) {
        (Some(_), false) => out.push(Violation::new(
            at,
            "both `instanceId` and `tags` are given",
            "give one: `instanceId` for a fixed instance, or `tags` for the newest instance carrying them",
        )),
        (None, true) => out.push(Violation::new(
            at,
            "neither `instanceId` nor `tags` is given",
            "add `instanceId: i-...` or `tags: {service: ..., role: ...}`",
        )),
        _ => {}
    }
}

/// Services must be unique across the policy files checked together.
pub fn check_unique_services<'a>(
    loaded: impl IntoIterator<Item = (&'a str, &'a FailoverFile)>,
) -> Vec<Diagnostic> {
    let mut first: BTreeMap<&str, &str> = BTreeMap::new();
    let mut out = Vec::new();
    for (file, policies) in loaded {
        for (index, policy) in policies.policies.iter().enumerate() {
            match first.get(policy.service.as_str()) {
                Some(other) if *other != file => out.push(Diagnostic::at(
                    file,
                    None,
                    &format!("/policies/{index}/service"),
                    format!(
                        "service `{}` already has a policy in {other}",
                        policy.service
                    ),
                    "keep one policy per service",
                )),
                Some(_) => {}
                None => {
                    first.insert(&policy.service, file);
                }
            }
        }
    }
    out
}
