//! Choosing the instances a fault may touch. The rules, in order of precedence:
//! an instance without the opt-in tag `gameday:allowed=true` is never chosen; at most
//! `maxBlastRadiusPercent` of the matching fleet is chosen; one matching instance is always
//! spared unless `allowFullBlast` is set. When the selection cannot be met within these rules
//! the target is refused as a whole; it is never silently shrunk.

use std::collections::BTreeMap;
use std::str::FromStr;

use serde::Serialize;

use crate::spec::{InstanceSelector, OPT_IN_TAG_KEY, OPT_IN_TAG_VALUE, Target};

/// `ALL`, `COUNT(n)` or `PERCENT(p)`; written out (JSON included) as it is in experiment files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelectionMode {
    All,
    Count(u32),
    Percent(u8),
}

impl FromStr for SelectionMode {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let inner = |prefix: &str| text.strip_prefix(prefix).and_then(|r| r.strip_suffix(')'));
        let refuse = || format!("`{text}` is not ALL, COUNT(n) or PERCENT(p)");
        if text == "ALL" {
            Ok(SelectionMode::All)
        } else if let Some(n) = inner("COUNT(") {
            match n.parse::<u32>() {
                Ok(0) => Err(refuse()),
                Ok(n) => Ok(SelectionMode::Count(n)),
                // Digits only, but too many of them: say so rather than "not a selection".
                Err(_) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => Err(format!(
                    "`{text}` is more instances than gameday counts (at most {})",
                    u32::MAX
                )),
                Err(_) => Err(refuse()),
            }
        } else if let Some(p) = inner("PERCENT(") {
            p.parse()
                .ok()
                .filter(|p| (1..=100).contains(p))
                .map(SelectionMode::Percent)
                .ok_or_else(refuse)
        } else {
            Err(refuse())
        }
    }
}

impl Serialize for SelectionMode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// `percent` of `fleet`, rounded down. The one rounding rule of selection: what `PERCENT(p)`
/// asks for and what `maxBlastRadiusPercent` allows are counted alike, so a selection equal to
/// the blast radius always fits it, and neither ever exceeds its percentage.
pub fn percent_of(fleet: usize, percent: u8) -> usize {
    fleet * percent as usize / 100
}

impl std::fmt::Display for SelectionMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SelectionMode::All => f.write_str("ALL"),
            SelectionMode::Count(n) => write!(f, "COUNT({n})"),
            SelectionMode::Percent(p) => write!(f, "PERCENT({p})"),
        }
    }
}

/// What gameday knows of an instance when it selects targets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceFacts {
    pub instance_id: String,
    pub state: String,
    pub availability_zone: String,
    pub tags: BTreeMap<String, String>,
    /// Private and public IPv4 addresses, to tell whether a DNS record points at it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<String>,
}

impl InstanceFacts {
    pub fn is_opted_in(&self) -> bool {
        self.tags.get(OPT_IN_TAG_KEY).map(String::as_str) == Some(OPT_IN_TAG_VALUE)
    }

    /// Whether the instance matches the selector's tags, ids and zones (state aside).
    pub fn matches(&self, selector: &InstanceSelector) -> bool {
        selector
            .tags
            .iter()
            .all(|(k, v)| self.tags.get(k) == Some(v))
            && (selector.instance_ids.is_empty()
                || selector.instance_ids.contains(&self.instance_id))
            && (selector.availability_zones.is_empty()
                || selector
                    .availability_zones
                    .contains(&self.availability_zone))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    pub instance_id: String,
    pub reason: String,
}

/// The outcome for one target: who is chosen, who is spared and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetSelection {
    pub target: String,
    /// The selection as parsed; none when the target's selection is not one (then `refusal`
    /// says why).
    pub mode: Option<SelectionMode>,
    /// Running instances that match the selector, opted in or not: the base of percentages.
    pub fleet_size: usize,
    /// The most instances the blast radius allows.
    pub blast_radius_limit: usize,
    pub chosen: Vec<Decision>,
    pub spared: Vec<Decision>,
    /// Why the target cannot be run as written; nothing is chosen when this is set.
    pub refusal: Option<String>,
}

/// Applies the selection rules of `target` to the instances EC2 returned for its selector.
/// Instances are considered in id order, so the same fleet always gives the same choice.
pub fn select_targets(target: &Target, instances: &[InstanceFacts]) -> TargetSelection {
    let mode = target.selection.parse::<SelectionMode>();
    let mut matching: Vec<&InstanceFacts> = instances
        .iter()
        .filter(|i| i.matches(&target.selector))
        .collect();
    matching.sort_by(|a, b| a.instance_id.cmp(&b.instance_id));
    let (running, not_running): (Vec<&InstanceFacts>, Vec<&InstanceFacts>) =
        matching.into_iter().partition(|i| i.state == "running");

    let fleet_size = running.len();
    let blast_radius_limit = blast_radius_limit(target, fleet_size);
    let eligible: Vec<&&InstanceFacts> = running.iter().filter(|i| i.is_opted_in()).collect();
    // A selection that does not parse (only an unvalidated experiment has one) chooses nothing.
    let (wanted, refusal) = match &mode {
        Ok(mode) => {
            let mode = *mode;
            let wanted = match mode {
                SelectionMode::All => eligible.len(),
                SelectionMode::Count(n) => n as usize,
                SelectionMode::Percent(p) => percent_of(fleet_size, p),
            };
            let counts = Counts {
                wanted,
                eligible: eligible.len(),
                fleet: fleet_size,
                limit: blast_radius_limit,
            };
            (wanted, refusal(target, mode, counts))
        }
        Err(reason) => (0, Some(reason.clone())),
    };
    let take = if refusal.is_some() { 0 } else { wanted };

    let mut selection = TargetSelection {
        target: target.name.clone(),
        mode: mode.ok(),
        fleet_size,
        blast_radius_limit,
        chosen: Vec::new(),
        spared: Vec::new(),
        refusal,
    };
    let mut taken = 0;
    for instance in &running {
        let id = instance.instance_id.clone();
        if !instance.is_opted_in() {
            let reason = format!("missing the opt-in tag {OPT_IN_TAG_KEY}={OPT_IN_TAG_VALUE}");
            selection.spared.push(Decision {
                instance_id: id,
                reason,
            });
        } else if taken < take {
            taken += 1;
            let reason = format!("opted in; {taken} of {take} for {}", target.selection);
            selection.chosen.push(Decision {
                instance_id: id,
                reason,
            });
        } else {
            let reason = match &selection.refusal {
                Some(_) => "not selected: the target is refused".to_string(),
                None if take == blast_radius_limit => format!(
                    "outside the blast radius ({})",
                    radius_text(target, fleet_size, blast_radius_limit)
                ),
                None => format!("not needed: {} is already met", target.selection),
            };
            selection.spared.push(Decision {
                instance_id: id,
                reason,
            });
        }
    }
    for instance in not_running {
        let reason = format!("not running (state {})", instance.state);
        selection.spared.push(Decision {
            instance_id: instance.instance_id.clone(),
            reason,
        });
    }
    selection
}

/// The most instances the target may hit: its share of the fleet, minus one spared instance
/// unless full blast is allowed.
fn blast_radius_limit(target: &Target, fleet_size: usize) -> usize {
    let by_percent = percent_of(fleet_size, target.max_blast_radius_percent);
    if target.allow_full_blast {
        by_percent
    } else {
        by_percent.min(fleet_size.saturating_sub(1))
    }
}

/// How many instances a target asks for, may have, and could have.
struct Counts {
    wanted: usize,
    eligible: usize,
    fleet: usize,
    limit: usize,
}

fn refusal(target: &Target, mode: SelectionMode, counts: Counts) -> Option<String> {
    let Counts {
        wanted,
        eligible,
        fleet,
        limit,
    } = counts;
    if fleet == 0 {
        return Some("no running instance matches the selector".to_string());
    }
    if eligible == 0 {
        return Some(format!(
            "none of the {fleet} matching instances carries the opt-in tag {OPT_IN_TAG_KEY}={OPT_IN_TAG_VALUE}"
        ));
    }
    if wanted == 0 {
        return Some(format!(
            "{} selects no instance: {fleet} running, rounded down; use COUNT(1) or a higher percentage",
            target.selection
        ));
    }
    if wanted > limit {
        return Some(format!(
            "{} needs {wanted} instance(s) but the blast radius allows {limit} ({}); lower the selection or raise maxBlastRadiusPercent",
            target.selection,
            radius_text(target, fleet, limit)
        ));
    }
    if wanted > eligible && mode != SelectionMode::All {
        return Some(format!(
            "{} needs {wanted} instance(s) but only {eligible} of {fleet} carry the opt-in tag",
            target.selection
        ));
    }
    None
}

fn radius_text(target: &Target, fleet: usize, limit: usize) -> String {
    let spare = if target.allow_full_blast {
        ""
    } else {
        ", one always spared"
    };
    format!(
        "{}% of {fleet} running = {limit}{spare}",
        target.max_blast_radius_percent
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instance(id: &str, opted_in: bool, state: &str) -> InstanceFacts {
        let mut tags = BTreeMap::from([("service".to_string(), "api".to_string())]);
        if opted_in {
            tags.insert(OPT_IN_TAG_KEY.to_string(), OPT_IN_TAG_VALUE.to_string());
        }
        InstanceFacts {
            instance_id: id.into(),
            state: state.into(),
            availability_zone: "us-east-1a".into(),
            tags,
            addresses: vec![],
        }
    }

    fn target(selection: &str, radius: u8, full: bool) -> Target {
        Target {
            name: "api".into(),
            selector: InstanceSelector {
                tags: BTreeMap::from([("service".to_string(), "api".to_string())]),
                instance_ids: vec![],
                availability_zones: vec![],
            },
            selection: selection.into(),
            max_blast_radius_percent: radius,
            allow_full_blast: full,
        }
    }

    fn fleet() -> Vec<InstanceFacts> {
        vec![
            instance("i-4", true, "running"),
            instance("i-1", true, "running"),
            instance("i-3", true, "running"),
            instance("i-2", true, "running"),
            instance("i-5", false, "running"),
        ]
    }

    fn chosen(selection: &TargetSelection) -> Vec<&str> {
        selection
            .chosen
            .iter()
            .map(|d| d.instance_id.as_str())
            .collect()
    }

    #[test]
    fn parses_selection_modes() {
        assert_eq!("ALL".parse(), Ok(SelectionMode::All));
        assert_eq!("COUNT(3)".parse(), Ok(SelectionMode::Count(3)));
        assert_eq!("PERCENT(25)".parse(), Ok(SelectionMode::Percent(25)));
        assert_eq!(SelectionMode::Count(3).to_string(), "COUNT(3)");
        for bad in ["all", "COUNT(0)", "PERCENT(101)", "COUNT()", "COUNT(1"] {
            assert!(bad.parse::<SelectionMode>().is_err(), "{bad}");
        }
    }

    #[test]
    fn picks_within_blast_radius_and_never_the_untagged() {
        let selection = select_targets(&target("COUNT(1)", 25, false), &fleet());
        assert_eq!(selection.fleet_size, 5);
        assert_eq!(selection.blast_radius_limit, 1);
        assert_eq!(chosen(&selection), ["i-1"]);
        assert_eq!(selection.spared.len(), 4);
        let untagged = selection
            .spared
            .iter()
            .find(|d| d.instance_id == "i-5")
            .unwrap();
        assert!(untagged.reason.contains("opt-in tag"));
        assert!(
            selection
                .spared
                .iter()
                .any(|d| d.reason.contains("blast radius"))
        );
    }

    #[test]
    fn refuses_rather_than_shrinking_an_oversized_selection() {
        let selection = select_targets(&target("COUNT(2)", 25, false), &fleet());
        assert!(chosen(&selection).is_empty());
        assert!(selection.refusal.unwrap().contains("blast radius allows 1"));
    }

    #[test]
    fn default_radius_on_a_small_fleet_selects_nothing_and_says_so() {
        let selection = select_targets(&target("COUNT(1)", 10, false), &fleet());
        assert_eq!(selection.blast_radius_limit, 0);
        assert!(
            selection
                .refusal
                .unwrap()
                .contains("raise maxBlastRadiusPercent")
        );
    }

    #[test]
    fn always_spares_one_unless_full_blast() {
        let only_opted_in: Vec<InstanceFacts> =
            fleet().into_iter().filter(|i| i.is_opted_in()).collect();
        let spared = select_targets(&target("PERCENT(100)", 100, false), &only_opted_in);
        assert_eq!(spared.blast_radius_limit, 3);
        assert!(spared.refusal.is_some());
        let full = select_targets(&target("ALL", 100, true), &only_opted_in);
        assert_eq!(chosen(&full), ["i-1", "i-2", "i-3", "i-4"]);
    }

    #[test]
    fn all_never_includes_instances_without_the_tag() {
        let selection = select_targets(&target("ALL", 100, true), &fleet());
        assert_eq!(chosen(&selection), ["i-1", "i-2", "i-3", "i-4"]);
        assert_eq!(selection.spared[0].instance_id, "i-5");
    }

    #[test]
    fn percent_rounds_down_and_stopped_instances_do_not_count() {
        let mut instances = fleet();
        instances.push(instance("i-6", true, "stopped"));
        let selection = select_targets(&target("PERCENT(40)", 50, false), &instances);
        assert_eq!(selection.fleet_size, 5);
        assert_eq!(chosen(&selection), ["i-1", "i-2"]);
        assert!(
            selection
                .spared
                .iter()
                .any(|d| d.instance_id == "i-6" && d.reason.contains("stopped"))
        );
    }

    /// Selection and blast-radius limit round alike: PERCENT(p) under maxBlastRadiusPercent p
    /// is never refused by the limit, and never takes more than p percent of the fleet.
    #[test]
    fn percent_selection_and_limit_share_one_rounding_rule() {
        // (running fleet, p, instances PERCENT(p) takes, limit of maxBlastRadiusPercent p)
        let table = [
            (5, 50, Some(2), 2),
            (4, 50, Some(2), 2),
            (3, 50, Some(1), 1),
            (10, 25, Some(2), 2),
            (7, 30, Some(2), 2),
            (9, 10, None, 0),
        ];
        for (size, p, takes, limit) in table {
            let instances: Vec<InstanceFacts> = (1..=size)
                .map(|n| instance(&format!("i-{n:02}"), true, "running"))
                .collect();
            let selection = select_targets(&target(&format!("PERCENT({p})"), p, false), &instances);
            assert_eq!(selection.blast_radius_limit, limit, "{size} × {p}%");
            match takes {
                Some(n) => {
                    assert_eq!(selection.refusal, None, "{size} × {p}%");
                    assert_eq!(selection.chosen.len(), n, "{size} × {p}%");
                    assert!(n * 100 <= size * p as usize, "{size} × {p}%");
                }
                None => assert!(
                    selection
                        .refusal
                        .as_deref()
                        .unwrap()
                        .contains("selects no instance"),
                    "{size} × {p}%: {selection:?}"
                ),
            }
        }
    }

    #[test]
    fn an_overflowing_count_is_refused_never_shrunk() {
        let huge = "COUNT(18446744073709551617)";
        let error = huge.parse::<SelectionMode>().unwrap_err();
        assert!(error.contains("at most 4294967295"), "{error}");
        let selection = select_targets(&target(huge, 100, true), &fleet());
        assert_eq!(selection.mode, None);
        assert!(selection.chosen.is_empty());
        assert!(selection.refusal.unwrap().contains("at most 4294967295"));
    }

    #[test]
    fn a_selection_is_written_as_in_the_file() {
        let json = serde_json::to_value(SelectionMode::Count(2)).unwrap();
        assert_eq!(json, serde_json::json!("COUNT(2)"));
    }

    #[test]
    fn refuses_when_nothing_is_opted_in() {
        let instances = vec![
            instance("i-1", false, "running"),
            instance("i-2", false, "running"),
        ];
        let selection = select_targets(&target("COUNT(1)", 50, false), &instances);
        assert!(selection.refusal.unwrap().contains("opt-in tag"));
        assert!(selection.chosen.is_empty());
    }
}
