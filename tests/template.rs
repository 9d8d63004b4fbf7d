//! infra/template.yaml against the code it deploys, and its IAM rules. No AWS needed.
//!
//! The second half feeds deliberately broken statements and roles to the same checkers, so a
//! checker that accepts everything fails here.

use std::collections::{BTreeMap, BTreeSet};

use gameday_e2e::iam_check::{Statement, check_statement, is_destructive};
use gameday_e2e::template::{
    FunctionPackage, Template, check_function, check_state_machines, compare_actions,
    function_packages, placeholders, repo_root,
};
use yaml_rust2::YamlLoader;

fn template() -> Template {
    let path = repo_root().join("infra/template.yaml");
    Template::load(&path).unwrap_or_else(|problems| panic!("{}", problems.join("\n")))
}

fn assert_none(problems: Vec<String>) {
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn every_function_has_its_own_role_granting_exactly_its_iam_actions() {
    let root = repo_root();
    let template = template();
    let packages =
        function_packages(&root).unwrap_or_else(|problems| panic!("{}", problems.join("\n")));
    assert!(
        packages.len() >= 6,
        "expected the functions under functions/, found {packages:?}"
    );
    let mut roles = BTreeMap::new();
    let mut problems = Vec::new();
    for package in &packages {
        problems.extend(check_function(&template, &root, package, &mut roles));
    }
    assert_none(problems);
    assert_eq!(roles.len(), packages.len(), "one role per function");
}

#[test]
fn every_policy_statement_follows_the_iam_rules() {
    let template = template();
    let statements = template
        .statements()
        .unwrap_or_else(|problems| panic!("{}", problems.join("\n")));
    // The function roles, the state machine roles, the scheduler role and the pipeline role.
    assert!(
        statements.len() > 40,
        "found {} statements",
        statements.len()
    );
    let destructive = statements
        .iter()
        .filter(|s| s.actions.iter().any(|a| is_destructive(a)))
        .count();
    assert!(
        destructive >= 5,
        "the fault and failover statements were not found"
    );
    assert_none(statements.iter().flat_map(check_statement).collect());
}

#[test]
fn state_machine_substitutions_match_their_definitions() {
    assert_none(check_state_machines(
        &template(),
        &repo_root().join("infra"),
    ));
}

#[test]
fn the_table_is_the_one_the_runs_adapter_creates() {
    let template = template();
    let table = &template.resource("RunsTable")["Properties"];
    let keys: Vec<(&str, &str)> = table["KeySchema"]
        .as_vec()
        .expect("KeySchema")
        .iter()
        .map(|k| {
            (
                k["AttributeName"].as_str().unwrap(),
                k["KeyType"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(keys, [("pk", "HASH"), ("sk", "RANGE")]);
    let index = &table["GlobalSecondaryIndexes"][0];
    assert_eq!(
        index["IndexName"].as_str(),
        Some(gameday_aws::runs::BY_EXPERIMENT_INDEX)
    );
    assert_eq!(
        index["KeySchema"][0]["AttributeName"].as_str(),
        Some("gsi1pk")
    );
    assert_eq!(
        index["KeySchema"][1]["AttributeName"].as_str(),
        Some("gsi1sk")
    );
    assert_eq!(
        table["TimeToLiveSpecification"]["AttributeName"].as_str(),
        Some(gameday_aws::runs::TTL_ATTRIBUTE)
    );
    assert_eq!(table["BillingMode"].as_str(), Some("PAY_PER_REQUEST"));
    assert_eq!(
        table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"].as_bool(),
        Some(true)
    );
    assert_eq!(
        table["SSESpecification"]["SSEEnabled"].as_bool(),
        Some(true)
    );
    let parameters = &template.doc["Parameters"];
    assert_eq!(
        parameters["TableName"]["Default"].as_str(),
        Some(gameday_aws::runs::DEFAULT_TABLE_NAME)
    );
    assert_eq!(
        parameters["KillSwitchParameterName"]["Default"].as_str(),
        Some(gameday_aws::parameters::DEFAULT_KILL_SWITCH_PARAMETER)
    );
}

/// The failover metrics come from metric filters on its log line; the dashboard draws them
/// and the run metrics validate publishes.
#[test]
fn dashboard_and_metric_filters_name_what_the_code_publishes() {
    let template = template();
    let namespace = gameday_aws::alarms::RUN_METRICS_NAMESPACE;
    let failover_source =
        std::fs::read_to_string(repo_root().join("functions/failover/src/lib.rs")).unwrap();
    let mut metric_names = vec!["Runs".to_string(), "RecoverySeconds".to_string()];
    let filters = template.of_type("AWS::Logs::MetricFilter");
    assert!(!filters.is_empty());
    for (id, filter) in filters {
        let properties = &filter["Properties"];
        assert!(
            properties["FilterPattern"]
                .as_str()
                .unwrap()
                .contains("\"failover finished\""),
            "{id}: filters on the failover's finishing line"
        );
        assert!(failover_source.contains("\"failover finished\""));
        let transformation = &properties["MetricTransformations"][0];
        assert_eq!(transformation["MetricNamespace"].as_str(), Some(namespace));
        metric_names.push(transformation["MetricName"].as_str().unwrap().to_string());
        let mut fields: Vec<&str> = vec![transformation["MetricValue"].as_str().unwrap()];
        for dimension in transformation["Dimensions"].as_vec().into_iter().flatten() {
            fields.push(dimension["Value"].as_str().unwrap());
        }
        for field in fields.iter().filter_map(|f| f.strip_prefix("$.fields.")) {
            assert!(
                failover_source.contains(&format!("{field} = ")),
                "{id}: the failover log line has no field {field}"
            );
        }
    }
    let body = gameday_e2e::iam_check::as_sub_text(
        &template.resource("Dashboard")["Properties"]["DashboardBody"],
    )
    .expect("DashboardBody is Fn::Sub text");
    let mut plain = body.clone();
    for name in placeholders(&body) {
        plain = plain.replace(&format!("${{{name}}}"), "x");
    }
    let dashboard: serde_json::Value =
        serde_json::from_str(&plain).unwrap_or_else(|e| panic!("dashboard JSON: {e}"));
    let widgets = dashboard["widgets"].as_array().expect("widgets");
    assert!(widgets.len() >= 6);
    for name in metric_names {
        assert!(
            plain.contains(&format!("{{{namespace},"))
                && plain.contains(&format!("MetricName=\\\"{name}\\\"")),
            "the dashboard has no widget for {namespace}/{name}"
        );
    }
}

// ------------------------------------------------------------------ the checkers catch mistakes

fn statement(yaml: &str) -> Statement {
    let doc = YamlLoader::load_from_str(yaml).unwrap().remove(0);
    Statement::read("Resources.TestRole test", &doc).unwrap()
}

fn rejected(yaml: &str, expected: &str) {
    let problems = check_statement(&statement(yaml));
    assert!(
        problems.iter().any(|p| p.contains(expected)),
        "expected a problem containing {expected:?} for\n{yaml}\ngot {problems:?}"
    );
}

fn accepted(yaml: &str) {
    assert_none(check_statement(&statement(yaml)));
}

const INSTANCES: &str =
    "{ \"Fn::Sub\": \"arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:instance/*\" }";

#[test]
fn destructive_actions_without_the_opt_in_condition_are_rejected() {
    let guarded = format!(
        "Effect: Allow\nAction: [ec2:TerminateInstances, ssm:SendCommand]\nResource: {INSTANCES}\nCondition:\n  StringEquals: {{ \"aws:ResourceTag/gameday:allowed\": \"true\" }}\n"
    );
    accepted(&guarded);
    rejected(
        &format!("Effect: Allow\nAction: ec2:TerminateInstances\nResource: {INSTANCES}\n"),
        "ec2:TerminateInstances allowed without the condition",
    );
    rejected(
        &guarded.replace("\"true\"", "\"false\""),
        "without the condition",
    );
    rejected(
        &guarded.replace("gameday:allowed", "gameday:owner"),
        "without the condition",
    );
    rejected(
        &guarded.replace("StringEquals", "StringNotEquals"),
        "without the condition",
    );
    // An action outside the known list is still a write: anything but Describe/Get/List.
    rejected(
        "Effect: Allow\nAction: ec2:ModifyInstanceAttribute\nResource: \"*\"\n",
        "ec2:ModifyInstanceAttribute allowed without",
    );
    // Reads need no condition.
    accepted("Effect: Allow\nAction: [ec2:DescribeInstances, ssm:GetParameter]\nResource: \"*\"\n");
}

#[test]
fn the_request_tag_opts_in_only_a_launch_and_its_tags() {
    let launch = format!(
        "Effect: Allow\nAction: ec2:RunInstances\nResource: {INSTANCES}\nCondition:\n  StringEquals: {{ \"aws:RequestTag/gameday:allowed\": \"true\" }}\n"
    );
    accepted(&launch);
    // A request tag says nothing about the instance a terminate reaches.
    rejected(
        &launch.replace("ec2:RunInstances", "ec2:TerminateInstances"),
        "without the condition",
    );
    // Tagging with only the request tag would let the function opt any instance in.
    let tagging = launch.replace("ec2:RunInstances", "ec2:CreateTags");
    rejected(&tagging, "ec2:CreateTags allowed without");
    accepted(&tagging.replace(
        "StringEquals: {",
        "StringEquals: { \"ec2:CreateAction\": RunInstances, ",
    ));
}

#[test]
fn companion_grants_are_limited_to_supporting_resources() {
    accepted(
        "Effect: Allow\nAction: ec2:RunInstances\nResource:\n  - { \"Fn::Sub\": \"arn:${AWS::Partition}:ec2:${AWS::Region}::image/*\" }\n  - { \"Fn::Sub\": \"arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:subnet/*\" }\n",
    );
    rejected(
        &format!("Effect: Allow\nAction: ec2:RunInstances\nResource:\n  - {INSTANCES}\n"),
        "ec2:RunInstances allowed without",
    );
    rejected(
        "Effect: Allow\nAction: ec2:RunInstances\nResource: \"*\"\n",
        "ec2:RunInstances allowed without",
    );
    accepted(
        "Effect: Allow\nAction: ssm:SendCommand\nResource: { \"Fn::Sub\": \"arn:${AWS::Partition}:ssm:${AWS::Region}::document/AWS-RunShellScript\" }\n",
    );
    rejected(
        "Effect: Allow\nAction: ssm:SendCommand\nResource: { \"Fn::Sub\": \"arn:${AWS::Partition}:ssm:${AWS::Region}::document/*\" }\n",
        "ssm:SendCommand allowed without",
    );
}

#[test]
fn wildcard_actions_and_not_action_are_rejected() {
    rejected(
        "Effect: Allow\nAction: ec2:*\nResource: \"*\"\n",
        "action `ec2:*` has a wildcard",
    );
    rejected(
        "Effect: Allow\nAction: [s3:GetObject, \"s3:Get*\"]\nResource: \"*\"\n",
        "action `s3:Get*` has a wildcard",
    );
    rejected(
        "Effect: Deny\nAction: \"*\"\nResource: \"*\"\n",
        "has a wildcard",
    );
    rejected(
        "Effect: Allow\nNotAction: iam:CreateUser\nResource: \"*\"\n",
        "NotAction or NotResource",
    );
}

#[test]
fn dns_changes_outside_the_configured_zone_are_rejected() {
    let zone = "Effect: Allow\nAction: route53:ChangeResourceRecordSets\nResource: { \"Fn::Sub\": \"arn:${AWS::Partition}:route53:::hostedzone/${HostedZoneId}\" }\n";
    accepted(zone);
    rejected(
        &zone.replace("${HostedZoneId}", "*"),
        "ChangeResourceRecordSets on",
    );
    rejected(
        &zone.replace("${HostedZoneId}", "Z0EXAMPLE"),
        "ChangeResourceRecordSets on",
    );
    rejected(
        "Effect: Allow\nAction: route53:ChangeResourceRecordSets\nResource: \"*\"\n",
        "ChangeResourceRecordSets on `*`",
    );
}

#[test]
fn a_role_granting_more_or_less_than_iam_actions_is_reported() {
    let declared: BTreeSet<String> = ["dynamodb:GetItem", "sns:Publish"].map(String::from).into();
    let granted: BTreeSet<String> = ["dynamodb:GetItem", "dynamodb:DeleteItem"]
        .map(String::from)
        .into();
    let problems = compare_actions("Resources.TestFunction", &granted, &declared);
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].contains("`sns:Publish` is in the function's iam-actions"));
    assert!(problems[1].contains("grants `dynamodb:DeleteItem`"));
    assert_none(compare_actions(
        "Resources.TestFunction",
        &declared,
        &declared,
    ));
}

/// A copy of the real template with one function's role shared, one action too many, a
/// misspelt environment variable, a function built from its own binary and a handler name the
/// bootstrap does not know: each is reported.
#[test]
fn the_function_checks_catch_a_broken_copy_of_the_template() {
    let root = repo_root();
    let text = std::fs::read_to_string(root.join("infra/template.yaml")).unwrap();
    let broken = text
        .replace(
            "Role: { \"Fn::GetAtt\": [ObserveRole, Arn] }",
            "Role: { \"Fn::GetAtt\": [PrepareRole, Arn] }",
        )
        .replace(
            "Action: [dynamodb:GetItem, dynamodb:PutItem, dynamodb:DeleteItem]\n                Resource: { \"Fn::GetAtt\": [RunsTable, Arn] }\n              - Sid: KillSwitch",
            "Action: [dynamodb:GetItem, dynamodb:PutItem, dynamodb:DeleteItem, dynamodb:Scan]\n                Resource: { \"Fn::GetAtt\": [RunsTable, Arn] }\n              - Sid: KillSwitch",
        )
        .replace(
            "          TOPIC_ARN: { Ref: NotificationTopic }\n          KILL_SWITCH_PARAMETER: { Ref: KillSwitchParameterName }\n  InjectRole:",
            "          TOPIC_ARN: { Ref: NotificationTopic }\n          KILLSWITCH_PARAMETER: { Ref: KillSwitchParameterName }\n  InjectRole:",
        )
        .replacen("Binary: bootstrap", "Binary: prepare", 1)
        .replace("GAMEDAY_HANDLER: validate", "GAMEDAY_HANDLER: Validate")
        // Read by the failover function's wiring, not by the gate's.
        .replace(
            "GAMEDAY_HANDLER: pipeline-gate\n",
            "GAMEDAY_HANDLER: pipeline-gate\n          POLICY_FILE: policies.yaml\n",
        );
    assert_ne!(broken, text);
    let template = Template::parse(&broken).unwrap();
    let package = |dir: &str, actions: &[&str]| FunctionPackage {
        dir: dir.to_string(),
        name: dir.to_string(),
        iam_actions: actions.iter().map(|a| a.to_string()).collect(),
        uses_phases: true,
    };
    let packages = function_packages(&root).unwrap();
    let real = |dir: &str| packages.iter().find(|p| p.dir == dir).unwrap().clone();
    let mut roles = BTreeMap::new();
    let mut problems = check_function(&template, &root, &real("prepare"), &mut roles);
    problems.extend(check_function(
        &template,
        &root,
        &real("inject"),
        &mut roles,
    ));
    problems.extend(check_function(
        &template,
        &root,
        &real("observe"),
        &mut roles,
    ));
    problems.extend(check_function(
        &template,
        &root,
        &real("validate"),
        &mut roles,
    ));
    problems.extend(check_function(
        &template,
        &root,
        &real("pipeline-gate"),
        &mut roles,
    ));
    let all = problems.join("\n");
    assert!(all.contains("grants `dynamodb:Scan`"), "{all}");
    assert!(
        all.contains("Metadata.BuildProperties.Binary is Some(\"prepare\"); set it to bootstrap"),
        "{all}"
    );
    assert!(
        all.contains("functions/validate: expected one AWS::Serverless::Function with GAMEDAY_HANDLER: validate, found 0"),
        "{all}"
    );
    assert!(
        all.contains("role PrepareRole is also the role of"),
        "{all}"
    );
    assert!(all.contains("KILLSWITCH_PARAMETER is not read"), "{all}");
    assert!(
        all.contains("POLICY_FILE is not read by functions/pipeline-gate"),
        "{all}"
    );
    // A function the template does not deploy.
    let missing = check_function(&template, &root, &package("chaos-monkey", &[]), &mut roles);
    assert!(
        missing[0].contains("GAMEDAY_HANDLER: chaos-monkey, found 0"),
        "{missing:?}"
    );
}

#[test]
fn short_form_tags_are_refused() {
    let problems = Template::parse("Resources:\n  A:\n    Properties:\n      X: !Ref B\n      Y: [!GetAtt C.Arn]\n# !Sub in a comment is fine\n")
        .err()
        .expect("refused");
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].starts_with("line 4: short-form tag !Ref"));
}

#[test]
fn a_missing_substitution_is_reported() {
    let template = template();
    let text = std::fs::read_to_string(repo_root().join("infra/template.yaml")).unwrap();
    let broken = Template::parse(&text.replace(
        "        ValidateFunctionArn: { \"Fn::GetAtt\": [ValidateFunction, Arn] }\n",
        "",
    ))
    .unwrap();
    assert_none(check_state_machines(&template, &repo_root().join("infra")));
    let problems = check_state_machines(&broken, &repo_root().join("infra"));
    assert!(
        problems
            .iter()
            .any(|p| p.contains("uses ${ValidateFunctionArn} but DefinitionSubstitutions")),
        "{problems:?}"
    );
}
