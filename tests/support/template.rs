//! Reads `infra/template.yaml` and checks it against the code it deploys: every function under
//! `functions/` with its own role granting exactly its `iam-actions`, the environment its code
//! reads, the state machines' substitutions, and every policy statement against
//! [`iam_check`](crate::iam_check) (applied by tests/template.rs).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;
use yaml_rust2::{Yaml, YamlLoader};

use crate::iam_check::{Statement, as_sub_text, one_or_many};

/// CloudFormation's short-form tags. The YAML parser drops tags, so `!Ref X` would read as the
/// string `X`; the template is written in long form and these are refused.
const SHORT_FORM_TAGS: &[&str] = &[
    "!Ref",
    "!Sub",
    "!GetAtt",
    "!Join",
    "!If",
    "!Equals",
    "!Not",
    "!And",
    "!Or",
    "!Select",
    "!Split",
    "!FindInMap",
    "!Base64",
    "!Cidr",
    "!ImportValue",
    "!GetAZs",
    "!Condition",
    "!Transform",
];

/// The log writes every function role has beside its `iam-actions`, on its own log group.
const OWN_LOG_ACTIONS: [&str; 2] = ["logs:CreateLogStream", "logs:PutLogEvents"];

/// Read by tracing-subscriber's `EnvFilter`, not by name in gameday's code.
const RUNTIME_VARIABLES: &[&str] = &["RUST_LOG"];

/// Every function runs the one binary of crates/bootstrap; this variable picks its handler.
pub const HANDLER_VARIABLE: &str = "GAMEDAY_HANDLER";
const BOOTSTRAP_CODE_URI: &str = "../crates/bootstrap";
const BOOTSTRAP_BINARY: &str = "bootstrap";

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

pub struct Template {
    pub doc: Yaml,
}

impl Template {
    /// Parses the template text; `Err` lists short-form tags or the parse error.
    pub fn parse(text: &str) -> Result<Self, Vec<String>> {
        let tags = short_form_tags(text);
        if !tags.is_empty() {
            return Err(tags);
        }
        let mut docs = YamlLoader::load_from_str(text).map_err(|e| vec![e.to_string()])?;
        match docs.len() {
            1 => Ok(Self {
                doc: docs.remove(0),
            }),
            n => Err(vec![format!("expected one YAML document, found {n}")]),
        }
    }

    pub fn load(path: &Path) -> Result<Self, Vec<String>> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| vec![format!("reading {}: {e}", path.display())])?;
        Self::parse(&text).map_err(|problems| {
            problems
                .into_iter()
                .map(|p| format!("{}: {p}", path.display()))
                .collect()
        })
    }

    pub fn resources(&self) -> Vec<(&str, &Yaml)> {
        self.doc["Resources"]
            .as_hash()
            .map(|map| {
                map.iter()
                    .filter_map(|(id, resource)| Some((id.as_str()?, resource)))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn resource(&self, id: &str) -> &Yaml {
        &self.doc["Resources"][id]
    }

    pub fn of_type(&self, kind: &str) -> Vec<(&str, &Yaml)> {
        self.resources()
            .into_iter()
            .filter(|(_, r)| r["Type"].as_str() == Some(kind))
            .collect()
    }

    /// A function property, falling back to `Globals.Function`.
    fn function_property<'a>(&'a self, function: &'a Yaml, key: &str) -> &'a Yaml {
        match &function["Properties"][key] {
            Yaml::BadValue => &self.doc["Globals"]["Function"][key],
            value => value,
        }
    }

    /// Global environment variables with the function's own on top.
    pub fn function_environment(&self, function: &Yaml) -> BTreeMap<String, Yaml> {
        let mut variables = BTreeMap::new();
        for source in [
            &self.doc["Globals"]["Function"]["Environment"]["Variables"],
            &function["Properties"]["Environment"]["Variables"],
        ] {
            if let Some(map) = source.as_hash() {
                for (key, value) in map {
                    if let Some(key) = key.as_str() {
                        variables.insert(key.to_string(), value.clone());
                    }
                }
            }
        }
        variables
    }

    /// Every statement of every policy in the template (roles, managed and inline policies,
    /// resource policies, trust policies).
    pub fn statements(&self) -> Result<Vec<Statement>, Vec<String>> {
        let mut statements = Vec::new();
        let mut problems = Vec::new();
        for (id, resource) in self.resources() {
            let properties = &resource["Properties"];
            let mut documents: Vec<(String, &Yaml)> = Vec::new();
            for (index, policy) in one_or_many(&properties["Policies"]).into_iter().enumerate() {
                let name = policy["PolicyName"]
                    .as_str()
                    .map(String::from)
                    .unwrap_or_else(|| format!("policy {index}"));
                documents.push((format!("Resources.{id} {name}"), &policy["PolicyDocument"]));
            }
            for key in ["PolicyDocument", "KeyPolicy", "AssumeRolePolicyDocument"] {
                documents.push((format!("Resources.{id} {key}"), &properties[key]));
            }
            for (place, document) in documents {
                for (index, statement) in one_or_many(&document["Statement"]).iter().enumerate() {
                    match Statement::read(&format!("{place} statement {index}"), statement) {
                        Ok(statement) => statements.push(statement),
                        Err(problem) => problems.push(problem),
                    }
                }
            }
        }
        if problems.is_empty() {
            Ok(statements)
        } else {
            Err(problems)
        }
    }
}

/// Short-form tags outside comment lines, by line.
pub fn short_form_tags(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim_start().starts_with('#') {
            continue;
        }
        for word in line.split(|c: char| c.is_whitespace() || "[{,".contains(c)) {
            if SHORT_FORM_TAGS.contains(&word) {
                found.push(format!(
                    "line {}: short-form tag {word}; write the long form (Ref:, Fn::Sub:, Fn::GetAtt:, ...)",
                    index + 1
                ));
            }
        }
    }
    found
}

/// A function package of the workspace, as `cargo metadata` reads its Cargo.toml.
#[derive(Debug, Clone)]
pub struct FunctionPackage {
    /// The directory under `functions/`, which is also the function's `GAMEDAY_HANDLER`.
    pub dir: String,
    /// The package name, which the bootstrap crate depends on.
    pub name: String,
    pub iam_actions: BTreeSet<String>,
    /// Whether it depends on gameday-phases, whose configuration it then reads too.
    pub uses_phases: bool,
}

/// Every directory under `functions/`, matched to its workspace package.
pub fn function_packages(root: &Path) -> Result<Vec<FunctionPackage>, Vec<String>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = std::process::Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .arg("--manifest-path")
        .arg(root.join("Cargo.toml"))
        .output()
        .map_err(|e| vec![format!("running cargo metadata: {e}")])?;
    if !output.status.success() {
        return Err(vec![format!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )]);
    }
    let metadata: Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| vec![format!("cargo metadata output: {e}")])?;
    let packages = metadata["packages"].as_array().cloned().unwrap_or_default();
    let functions_dir = root.join("functions");
    let mut dirs: Vec<String> = std::fs::read_dir(&functions_dir)
        .map_err(|e| vec![format!("reading {}: {e}", functions_dir.display())])?
        .filter_map(Result::ok)
        .filter(|entry| entry.path().is_dir())
        .filter_map(|entry| entry.file_name().into_string().ok())
        .collect();
    dirs.sort();
    let mut found = Vec::new();
    let mut problems = Vec::new();
    for dir in dirs {
        let manifest = functions_dir.join(&dir).join("Cargo.toml");
        let Some(package) = packages
            .iter()
            .find(|p| p["manifest_path"].as_str().map(Path::new) == Some(manifest.as_path()))
        else {
            problems.push(format!(
                "functions/{dir} is not a workspace package; add it to [workspace] members in Cargo.toml"
            ));
            continue;
        };
        let binaries: Vec<&str> = package["targets"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|t| {
                t["kind"]
                    .as_array()
                    .is_some_and(|k| k.iter().any(|k| k == "bin"))
            })
            .filter_map(|t| t["name"].as_str())
            .collect();
        if !binaries.is_empty() {
            problems.push(format!(
                "functions/{dir}: has the binaries {binaries:?}; a function is a library, wired to Lambda by crates/bootstrap"
            ));
            continue;
        }
        let Some(actions) = package["metadata"]["gameday"]["iam-actions"].as_array() else {
            problems.push(format!(
                "functions/{dir}/Cargo.toml: no [package.metadata.gameday] iam-actions; list the IAM actions the function calls"
            ));
            continue;
        };
        found.push(FunctionPackage {
            name: package["name"].as_str().unwrap_or_default().to_string(),
            dir,
            iam_actions: actions
                .iter()
                .filter_map(|a| a.as_str().map(String::from))
                .collect(),
            uses_phases: package["dependencies"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|d| d["name"] == "gameday-phases"),
        });
    }
    problems.extend(check_bootstrap(root, &packages, &found));
    if problems.is_empty() {
        Ok(found)
    } else {
        Err(problems)
    }
}

/// The bootstrap serves every function: it depends on each function's package and knows its
/// `GAMEDAY_HANDLER` name.
fn check_bootstrap(root: &Path, packages: &[Value], functions: &[FunctionPackage]) -> Vec<String> {
    let manifest = root
        .join(BOOTSTRAP_CODE_URI.trim_start_matches("../"))
        .join("Cargo.toml");
    let Some(bootstrap) = packages
        .iter()
        .find(|p| p["manifest_path"].as_str().map(Path::new) == Some(manifest.as_path()))
    else {
        return vec![format!(
            "{} is not a workspace package; the functions have no binary",
            manifest.display()
        )];
    };
    let dependencies: BTreeSet<&str> = bootstrap["dependencies"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["name"].as_str())
        .collect();
    let mut sources = String::new();
    read_rust_sources(&manifest.with_file_name("src"), &mut sources);
    let mut problems = Vec::new();
    for function in functions {
        if !dependencies.contains(function.name.as_str()) {
            problems.push(format!(
                "crates/bootstrap does not depend on `{}`; add it, or functions/{} cannot run",
                function.name, function.dir
            ));
        }
        if !sources.contains(&format!("\"{}\"", function.dir)) {
            problems.push(format!(
                "crates/bootstrap has no handler named \"{}\"; add it to its Handler",
                function.dir
            ));
        }
    }
    problems
}

/// Missing and extra actions of a role against the function's declared ones.
pub fn compare_actions(
    place: &str,
    granted: &BTreeSet<String>,
    declared: &BTreeSet<String>,
) -> Vec<String> {
    let mut problems = Vec::new();
    for missing in declared.difference(granted) {
        problems.push(format!(
            "{place}: `{missing}` is in the function's iam-actions but its role does not grant it"
        ));
    }
    for extra in granted.difference(declared) {
        problems.push(format!(
            "{place}: the role grants `{extra}`, which is not in the function's iam-actions; remove it or declare it in Cargo.toml"
        ));
    }
    problems
}

/// The logical id in `Fn::GetAtt: [Id, Arn]`.
fn get_att_arn_of(value: &Yaml) -> Option<String> {
    as_sub_text(value)?
        .strip_prefix("${")?
        .strip_suffix(".Arn}")
        .map(String::from)
}

/// Everything the template must say about one function package; `roles` collects the role
/// ids seen, so a shared role is reported.
pub fn check_function(
    template: &Template,
    root: &Path,
    package: &FunctionPackage,
    roles: &mut BTreeMap<String, String>,
) -> Vec<String> {
    let dir = &package.dir;
    let matching: Vec<(&str, &Yaml)> = template
        .of_type("AWS::Serverless::Function")
        .into_iter()
        .filter(|(_, f)| {
            template.function_environment(f).get(HANDLER_VARIABLE)
                == Some(&Yaml::String(dir.clone()))
        })
        .collect();
    let [(id, function)] = matching.as_slice() else {
        return vec![format!(
            "functions/{dir}: expected one AWS::Serverless::Function with {HANDLER_VARIABLE}: {dir}, found {}",
            matching.len()
        )];
    };
    let place = format!("Resources.{id} (functions/{dir})");
    let mut problems = Vec::new();
    let mut expect = |what: &str, found: Option<&str>, wanted: &str| {
        if found != Some(wanted) {
            problems.push(format!("{place}: {what} is {found:?}; set it to {wanted}"));
        }
    };
    expect(
        "Metadata.BuildMethod",
        function["Metadata"]["BuildMethod"].as_str(),
        "rust-cargolambda",
    );
    expect(
        "Metadata.BuildProperties.Binary",
        function["Metadata"]["BuildProperties"]["Binary"].as_str(),
        BOOTSTRAP_BINARY,
    );
    expect(
        "CodeUri",
        template
            .function_property(function, "CodeUri")
            .as_str()
            .map(|u| u.trim_end_matches('/')),
        BOOTSTRAP_CODE_URI,
    );
    expect(
        "Runtime",
        template.function_property(function, "Runtime").as_str(),
        "provided.al2023",
    );
    expect(
        "Handler",
        template.function_property(function, "Handler").as_str(),
        "bootstrap",
    );
    let architectures: Vec<Option<String>> =
        one_or_many(template.function_property(function, "Architectures"))
            .into_iter()
            .map(as_sub_text)
            .collect();
    if architectures != [Some("${Architecture}".to_string())] {
        problems.push(format!(
            "{place}: Architectures is {architectures:?}; set it to [Ref: Architecture]"
        ));
    }
    if !function["Properties"]["Policies"].is_badvalue() {
        problems.push(format!(
            "{place}: has Policies; grant through its own role only (Role: Fn::GetAtt [<Role>, Arn])"
        ));
    }
    let Some(role_id) = get_att_arn_of(&function["Properties"]["Role"]) else {
        problems.push(format!(
            "{place}: Role must be Fn::GetAtt [<its own AWS::IAM::Role>, Arn]"
        ));
        return problems;
    };
    if let Some(other) = roles.insert(role_id.clone(), id.to_string()) {
        problems.push(format!(
            "{place}: role {role_id} is also the role of {other}; give every function its own role"
        ));
    }
    problems.extend(check_role(template, &place, &role_id, function, package));
    problems.extend(check_environment(template, root, &place, function, package));
    problems
}

/// The function's role: assumed by Lambda only, nothing attached from outside, and granting
/// exactly the declared actions plus writing to the function's own log group.
fn check_role(
    template: &Template,
    place: &str,
    role_id: &str,
    function: &Yaml,
    package: &FunctionPackage,
) -> Vec<String> {
    let role = template.resource(role_id);
    if role["Type"].as_str() != Some("AWS::IAM::Role") {
        return vec![format!("{place}: {role_id} is not an AWS::IAM::Role")];
    }
    let mut problems = Vec::new();
    let trust = &role["Properties"]["AssumeRolePolicyDocument"]["Statement"];
    let principals: Vec<&Yaml> = one_or_many(trust)
        .into_iter()
        .flat_map(|s| one_or_many(&s["Principal"]["Service"]))
        .collect();
    if principals.len() != 1 || principals[0].as_str() != Some("lambda.amazonaws.com") {
        problems.push(format!(
            "{place}: role {role_id} must be assumable by lambda.amazonaws.com only"
        ));
    }
    if !role["Properties"]["ManagedPolicyArns"].is_badvalue() {
        problems.push(format!(
            "{place}: role {role_id} has ManagedPolicyArns; managed policies grant more than iam-actions"
        ));
    }
    for (policy_id, policy) in template.resources() {
        let attached = one_or_many(&policy["Properties"]["Roles"])
            .into_iter()
            .any(|r| as_sub_text(r) == Some(format!("${{{role_id}}}")));
        if attached {
            problems.push(format!(
                "{place}: Resources.{policy_id} attaches a policy to {role_id}; keep the role's grants in its own Policies"
            ));
        }
    }
    let own_log_group =
        as_sub_text(&function["Properties"]["LoggingConfig"]["LogGroup"]).and_then(|r| {
            Some(format!(
                "${{{}.Arn}}",
                r.strip_prefix("${")?.strip_suffix('}')?
            ))
        });
    let mut granted = BTreeSet::new();
    for (index, policy) in one_or_many(&role["Properties"]["Policies"])
        .into_iter()
        .enumerate()
    {
        for statement in one_or_many(&policy["PolicyDocument"]["Statement"]) {
            let statement = match Statement::read(&format!("{place} policy {index}"), statement) {
                Ok(statement) => statement,
                Err(problem) => {
                    problems.push(problem);
                    continue;
                }
            };
            if !statement.allows() {
                continue;
            }
            let own_logs = statement
                .actions
                .iter()
                .all(|a| OWN_LOG_ACTIONS.contains(&a.as_str()))
                && own_log_group.is_some()
                && statement
                    .resources
                    .iter()
                    .all(|r| Some(r) == own_log_group.as_ref());
            if !own_logs {
                granted.extend(statement.actions.iter().cloned());
            }
        }
    }
    problems.extend(compare_actions(place, &granted, &package.iam_actions));
    problems
}

/// The environment names the code can read (a typo would be silently ignored, leaving a
/// default in force); `TABLE_NAME` and `RUST_LOG` are always set.
fn check_environment(
    template: &Template,
    root: &Path,
    place: &str,
    function: &Yaml,
    package: &FunctionPackage,
) -> Vec<String> {
    let mut sources = String::new();
    read_rust_sources(
        &root.join("functions").join(&package.dir).join("src"),
        &mut sources,
    );
    if package.uses_phases {
        read_rust_sources(&root.join("crates/phases/src"), &mut sources);
    }
    // Of the bootstrap, only what every handler shares and this function's own wiring.
    let bootstrap = root.join("crates/bootstrap/src");
    let wiring = if package.uses_phases {
        "phase".to_string()
    } else {
        package.dir.replace('-', "_")
    };
    for file in [
        bootstrap.join("main.rs"),
        bootstrap.join("wiring/mod.rs"),
        bootstrap.join("wiring").join(format!("{wiring}.rs")),
    ] {
        match std::fs::read_to_string(&file) {
            Ok(text) => sources.push_str(&text),
            Err(error) => {
                return vec![format!(
                    "{place}: cannot read its wiring {}: {error}",
                    file.display()
                )];
            }
        }
    }
    let environment = template.function_environment(function);
    let mut problems = Vec::new();
    for required in ["TABLE_NAME", "RUST_LOG"] {
        if !environment.contains_key(required) {
            problems.push(format!("{place}: environment has no {required}; set it"));
        }
    }
    for name in environment.keys() {
        if !RUNTIME_VARIABLES.contains(&name.as_str()) && !sources.contains(&format!("\"{name}\""))
        {
            problems.push(format!(
                "{place}: environment variable {name} is not read by functions/{}; remove it or fix its name",
                package.dir
            ));
        }
    }
    problems
}

fn read_rust_sources(dir: &Path, into: &mut String) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            read_rust_sources(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            into.push_str(&std::fs::read_to_string(&path).unwrap_or_default());
        }
    }
}

/// The `${Name}` placeholders of a definition.
pub fn placeholders(definition: &str) -> BTreeSet<String> {
    definition
        .split("${")
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_string()))
        .collect()
}

/// Each state machine: its definition's placeholders are exactly its substitutions, and it is
/// a Standard workflow with logging and tracing on.
pub fn check_state_machines(template: &Template, infra_dir: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    let machines = template.of_type("AWS::Serverless::StateMachine");
    if machines.is_empty() {
        problems.push("no AWS::Serverless::StateMachine in the template".to_string());
    }
    for (id, machine) in machines {
        let properties = &machine["Properties"];
        let place = format!("Resources.{id}");
        let Some(uri) = properties["DefinitionUri"].as_str() else {
            problems.push(format!("{place}: DefinitionUri must be a local file"));
            continue;
        };
        let path = infra_dir.join(uri);
        let definition = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) => {
                problems.push(format!(
                    "{place}: DefinitionUri {}: {error}",
                    path.display()
                ));
                continue;
            }
        };
        let wanted = placeholders(&definition);
        let given: BTreeSet<String> = properties["DefinitionSubstitutions"]
            .as_hash()
            .into_iter()
            .flatten()
            .filter_map(|(k, _)| k.as_str().map(String::from))
            .collect();
        for missing in wanted.difference(&given) {
            problems.push(format!(
                "{place}: {uri} uses ${{{missing}}} but DefinitionSubstitutions does not set it"
            ));
        }
        for extra in given.difference(&wanted) {
            problems.push(format!(
                "{place}: DefinitionSubstitutions sets {extra}, which {uri} does not use"
            ));
        }
        if properties["Type"].as_str() != Some("STANDARD") {
            problems.push(format!("{place}: Type must be STANDARD"));
        }
        if !matches!(
            properties["Logging"]["Level"].as_str(),
            Some("ALL" | "ERROR" | "FATAL")
        ) {
            problems.push(format!(
                "{place}: Logging.Level must be ALL, ERROR or FATAL"
            ));
        }
        if properties["Tracing"]["Enabled"].as_bool() != Some(true) {
            problems.push(format!("{place}: Tracing.Enabled must be true"));
        }
    }
    problems
}
