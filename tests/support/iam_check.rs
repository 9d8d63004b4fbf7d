//! The IAM rules of the deployable template, one policy statement at a time: no wildcard
//! actions; destructive EC2 and SSM actions only on resources opted in with
//! `gameday:allowed = true`; Route 53 changes only in the configured hosted zone.

use yaml_rust2::Yaml;

/// The tag that opts a resource in to gameday's destructive actions.
pub const OPT_IN_TAG: &str = "gameday:allowed";

/// The template parameter naming the one hosted zone whose records may change.
pub const HOSTED_ZONE_PARAMETER: &str = "HostedZoneId";

/// EC2 resource types RunInstances also needs without being able to start anything by
/// themselves: the instance itself (opted in through the request tag) and the launch template
/// (opted in through its tag) are the guarded ones.
const RUN_INSTANCES_SUPPORTING_TYPES: &[&str] = &[
    "image",
    "subnet",
    "security-group",
    "network-interface",
    "volume",
    "key-pair",
];

/// The only SSM document the faults send (crates/aws/src/commands.rs, `SHELL_DOCUMENT`).
const SHELL_DOCUMENT_RESOURCE: &str = "document/AWS-RunShellScript";

/// One statement of a policy document, with its resources written as `Fn::Sub` text
/// (`Ref: X` as `${X}`, `Fn::GetAtt: [X, Arn]` as `${X.Arn}`).
#[derive(Debug, Clone)]
pub struct Statement {
    /// Where it is, for messages: the resource, the policy and the Sid.
    pub place: String,
    pub effect: String,
    pub actions: Vec<String>,
    pub resources: Vec<String>,
    pub condition: Yaml,
    pub uses_not_action: bool,
    pub uses_not_resource: bool,
}

impl Statement {
    /// Reads one statement; `Err` says what could not be read.
    pub fn read(place: &str, statement: &Yaml) -> Result<Self, String> {
        let place = match statement["Sid"].as_str() {
            Some(sid) => format!("{place} (Sid {sid})"),
            None => place.to_string(),
        };
        let actions = one_or_many(&statement["Action"])
            .into_iter()
            .map(|a| {
                a.as_str()
                    .map(String::from)
                    .ok_or_else(|| format!("{place}: an Action is not a string"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let resources = one_or_many(&statement["Resource"])
            .into_iter()
            .map(|r| {
                as_sub_text(r).ok_or_else(|| {
                    format!(
                        "{place}: a Resource is neither a string nor Ref, Fn::Sub or Fn::GetAtt"
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            effect: statement["Effect"].as_str().unwrap_or_default().to_string(),
            actions,
            resources,
            condition: statement["Condition"].clone(),
            uses_not_action: !statement["NotAction"].is_badvalue(),
            uses_not_resource: !statement["NotResource"].is_badvalue(),
            place,
        })
    }

    pub fn allows(&self) -> bool {
        self.effect == "Allow"
    }

    /// `Condition: StringEquals: {key: "true"}`.
    fn requires_true(&self, key: &str) -> bool {
        self.condition["StringEquals"][key].as_str() == Some("true")
    }

    fn requires(&self, key: &str, value: &str) -> bool {
        self.condition["StringEquals"][key].as_str() == Some(value)
    }
}

/// A list, a single value as a list of one, nothing as an empty list.
pub fn one_or_many(value: &Yaml) -> Vec<&Yaml> {
    match value {
        Yaml::Array(items) => items.iter().collect(),
        Yaml::BadValue | Yaml::Null => Vec::new(),
        single => vec![single],
    }
}

/// A value as the text `Fn::Sub` would see: strings as they are, `Ref: X` as `${X}`,
/// `Fn::GetAtt: [X, Y]` as `${X.Y}`.
pub fn as_sub_text(value: &Yaml) -> Option<String> {
    match value {
        Yaml::String(text) => Some(text.clone()),
        Yaml::Hash(map) if map.len() == 1 => {
            let (key, inner) = map.iter().next()?;
            match key.as_str()? {
                "Ref" => Some(format!("${{{}}}", inner.as_str()?)),
                "Fn::Sub" => inner.as_str().map(String::from),
                "Fn::GetAtt" => match inner {
                    Yaml::Array(parts) if parts.len() == 2 => Some(format!(
                        "${{{}.{}}}",
                        parts[0].as_str()?,
                        parts[1].as_str()?
                    )),
                    Yaml::String(dotted) => Some(format!("${{{dotted}}}")),
                    _ => None,
                },
                _ => None,
            }
        }
        _ => None,
    }
}

/// Service and resource (the part after the fifth colon) of an ARN written for `Fn::Sub`;
/// `None` for `*` or anything that is not an ARN.
fn arn_parts(resource: &str) -> Option<(String, String)> {
    let plain = resource
        .replace("${AWS::Partition}", "aws")
        .replace("${AWS::Region}", "region")
        .replace("${AWS::AccountId}", "123456789012");
    let parts: Vec<&str> = plain.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", _, service, _, _, resource] => Some((service.to_string(), resource.to_string())),
        _ => None,
    }
}

/// `instance` of `instance/*`, `hostedzone` of `hostedzone/Z1`.
fn resource_type(resource: &str) -> &str {
    resource.split(['/', ':']).next().unwrap_or(resource)
}

fn is_ec2_type(resource: &str, types: &[&str]) -> bool {
    arn_parts(resource)
        .is_some_and(|(service, rest)| service == "ec2" && types.contains(&resource_type(&rest)))
}

/// A write to EC2 or SSM: anything but Describe, Get and List.
pub fn is_destructive(action: &str) -> bool {
    let Some((service, name)) = action.split_once(':') else {
        return false;
    };
    matches!(service.to_ascii_lowercase().as_str(), "ec2" | "ssm")
        && !["Describe", "Get", "List"]
            .iter()
            .any(|read| name.starts_with(read))
}

/// Every rule this statement breaks, each naming the statement and the fix.
pub fn check_statement(statement: &Statement) -> Vec<String> {
    let place = &statement.place;
    let mut problems = Vec::new();
    for action in &statement.actions {
        if action.contains('*') {
            problems.push(format!(
                "{place}: action `{action}` has a wildcard; list the actions it needs"
            ));
        }
    }
    if !statement.allows() {
        return problems;
    }
    if statement.uses_not_action || statement.uses_not_resource {
        problems.push(format!(
            "{place}: Allow with NotAction or NotResource grants everything else; list actions and resources"
        ));
    }
    let destructive: Vec<&str> = statement
        .actions
        .iter()
        .map(String::as_str)
        .filter(|a| is_destructive(a))
        .collect();
    if !destructive.is_empty() && !opt_in_guarded(statement, &destructive) {
        problems.push(format!(
            "{place}: {} allowed without the condition StringEquals {{\"aws:ResourceTag/{OPT_IN_TAG}\": \"true\"}}; add it (or limit the statement to RunInstances' supporting resources or the AWS-RunShellScript document)",
            destructive.join(", ")
        ));
    }
    if statement
        .actions
        .iter()
        .any(|a| a == "route53:ChangeResourceRecordSets")
    {
        let zone = format!("hostedzone/${{{HOSTED_ZONE_PARAMETER}}}");
        for resource in &statement.resources {
            let in_zone = arn_parts(resource)
                .is_some_and(|(service, rest)| service == "route53" && rest == zone);
            if !in_zone {
                problems.push(format!(
                    "{place}: route53:ChangeResourceRecordSets on `{resource}`; allow it only on arn:${{AWS::Partition}}:route53:::{zone}"
                ));
            }
        }
    }
    problems
}

/// Whether the destructive actions of `statement` reach only opted-in resources.
fn opt_in_guarded(statement: &Statement, destructive: &[&str]) -> bool {
    if statement.requires_true(&format!("aws:ResourceTag/{OPT_IN_TAG}")) {
        return true;
    }
    let only = |allowed: &[&str]| destructive.iter().all(|a| allowed.contains(a));
    let resources_all = |check: &dyn Fn(&str) -> bool| {
        !statement.resources.is_empty() && statement.resources.iter().all(|r| check(r.as_str()))
    };
    // A new instance has no tags yet: its opt-in is the tag in the RunInstances request, and
    // tags may be written only as part of that launch.
    if statement.requires_true(&format!("aws:RequestTag/{OPT_IN_TAG}"))
        && only(&["ec2:RunInstances", "ec2:CreateTags"])
        && resources_all(&|r| is_ec2_type(r, &["instance"]))
        && (!destructive.contains(&"ec2:CreateTags")
            || statement.requires("ec2:CreateAction", "RunInstances"))
    {
        return true;
    }
    if only(&["ec2:RunInstances"])
        && resources_all(&|r| is_ec2_type(r, RUN_INSTANCES_SUPPORTING_TYPES))
    {
        return true;
    }
    only(&["ssm:SendCommand"])
        && resources_all(&|r| {
            arn_parts(r)
                .is_some_and(|(service, rest)| service == "ssm" && rest == SHELL_DOCUMENT_RESOURCE)
        })
}
