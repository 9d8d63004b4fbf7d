//! Links between a playbook and the files beside it: the experiments and the failover policy
//! each scenario names must exist and exercise the scenario's dependency; every experiment of
//! the service must name a dependency of the playbook; a policy judges against the
//! dependency's RTO.

use std::collections::BTreeMap;

use super::model::Playbook;
use crate::diagnostics::{Violation, child};
use crate::failover::FailoverFile;
use crate::schema_check::suggestion;
use crate::spec::Experiment;

/// A problem found by [`check_links`], in the playbook (`file: None`) or in another file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkViolation {
    pub file: Option<String>,
    pub violation: Violation,
}

impl LinkViolation {
    fn playbook(violation: Violation) -> Self {
        Self {
            file: None,
            violation,
        }
    }

    fn other(file: &str, violation: Violation) -> Self {
        Self {
            file: Some(file.to_string()),
            violation,
        }
    }
}

/// Checks the links of `playbook` against the experiment and policy files loaded with it.
pub fn check_links(
    playbook: &Playbook,
    experiments: &[(String, Experiment)],
    policies: &[(String, FailoverFile)],
) -> Vec<LinkViolation> {
    let mut out = Vec::new();
    let by_name: BTreeMap<&str, (&str, &Experiment)> = experiments
        .iter()
        .map(|(file, e)| (e.metadata.name.as_str(), (file.as_str(), e)))
        .collect();
    let experiment_names: Vec<&str> = by_name.keys().copied().collect();
    let services: Vec<&str> = policies
        .iter()
        .flat_map(|(_, f)| f.policies.iter().map(|p| p.service.as_str()))
        .collect();
    for (index, scenario) in playbook.scenarios.iter().enumerate() {
        let at = format!("/scenarios/{index}/exercisedBy");
        for (e, name) in scenario.exercised_by.experiments.iter().enumerate() {
            let pointer = child(&child(&at, "experiments"), e);
            match by_name.get(name.as_str()) {
                None => out.push(LinkViolation::playbook(Violation::new(
                    pointer,
                    format!("no experiment file beside the playbook is named `{name}`"),
                    format!(
                        "name an experiment by its metadata.name ({}){}",
                        list_or_none(&experiment_names),
                        suggestion(name, &experiment_names)
                    ),
                ))),
                Some((_, experiment)) if experiment.metadata.dependency != scenario.dependency => {
                    out.push(LinkViolation::playbook(Violation::new(
                        pointer,
                        format!(
                            "experiment `{name}` exercises dependency `{}`, not the scenario's `{}`",
                            experiment.metadata.dependency, scenario.dependency
                        ),
                        "link the experiments of this scenario's dependency only",
                    )))
                }
                Some(_) => {}
            }
        }
        let Some(service) = &scenario.exercised_by.failover_policy else {
            continue;
        };
        let found = policies.iter().find_map(|(file, f)| {
            f.policies
                .iter()
                .enumerate()
                .find(|(_, p)| &p.service == service)
                .map(|(position, p)| (file.as_str(), position, p))
        });
        let pointer = child(&at, "failoverPolicy");
        match found {
            None => out.push(LinkViolation::playbook(Violation::new(
                pointer,
                format!("no failover policy beside the playbook is for service `{service}`"),
                format!(
                    "name a policy by its service ({}){}",
                    list_or_none(&services),
                    suggestion(service, &services)
                ),
            ))),
            Some((_, _, policy)) if policy.dependency != scenario.dependency => {
                out.push(LinkViolation::playbook(Violation::new(
                    pointer,
                    format!(
                        "policy `{service}` fails over dependency `{}`, not the scenario's `{}`",
                        policy.dependency, scenario.dependency
                    ),
                    "link the policy of this scenario's dependency",
                )))
            }
            Some((file, position, policy)) => {
                if let Some(dependency) = playbook.dependency(&scenario.dependency)
                    && policy.rto != dependency.rto
                {
                    out.push(LinkViolation::other(
                        file,
                        Violation::new(
                            format!("/policies/{position}/rto"),
                            format!(
                                "the RTO {} differs from the RTO {} of dependency `{}` in the playbook",
                                policy.rto, dependency.rto, dependency.name
                            ),
                            format!("write rto: {} (the playbook is the source)", dependency.rto),
                        ),
                    ));
                }
            }
        }
    }
    check_experiment_dependencies(playbook, experiments, &mut out);
    out
}

/// Every experiment of the playbook's service names one of its dependencies.
fn check_experiment_dependencies(
    playbook: &Playbook,
    experiments: &[(String, Experiment)],
    out: &mut Vec<LinkViolation>,
) {
    let names: Vec<&str> = playbook
        .dependencies
        .iter()
        .map(|d| d.name.as_str())
        .collect();
    for (file, experiment) in experiments {
        let dependency = &experiment.metadata.dependency;
        if experiment.metadata.service == playbook.metadata.service
            && playbook.dependency(dependency).is_none()
        {
            out.push(LinkViolation::other(
                file,
                Violation::new(
                    "/metadata/dependency",
                    format!("the service's playbook has no dependency `{dependency}`"),
                    format!(
                        "use one of: {}{}",
                        names.join(", "),
                        suggestion(dependency, &names)
                    ),
                ),
            ));
        }
    }
}

fn list_or_none(names: &[&str]) -> String {
    if names.is_empty() {
        "none found".to_string()
    } else {
        names.join(", ")
    }
}
