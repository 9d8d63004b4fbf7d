//! What the demo checks before it says "passed": each expectation with what was observed.

use gameday_aws::launch::{Ec2Failover, FailoverCompute};
use gameday_aws::sandbox_seed::SnsEnvelope;
use gameday_core::failover::{LedgerEntry, Outcome, Step, StepStatus};
use serde::Serialize;

/// The ledger of an `ec2` failover that relaunched from the template, step by step.
const RELAUNCH_STEPS: [Step; 11] = [
    Step::EventReceived,
    Step::LockTaken,
    Step::PrimaryRechecked,
    Step::RestartTried,
    Step::ReplacementLaunched,
    Step::Running,
    Step::Healthy,
    Step::DnsUpserted,
    Step::ChangeInsync,
    Step::Quarantined,
    Step::Notified,
];

#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub name: String,
    pub passed: bool,
    /// What was observed.
    pub detail: String,
}

#[derive(Debug, Default)]
pub struct Checks(Vec<Check>);

impl Checks {
    /// Records one expectation and shows it on stderr at once.
    pub fn expect(&mut self, name: &str, passed: bool, detail: impl Into<String>) {
        let detail = detail.into();
        eprintln!(
            "demo:   [{}] {name}: {detail}",
            if passed { "ok" } else { "!!" }
        );
        self.0.push(Check {
            name: name.to_string(),
            passed,
            detail,
        });
    }

    pub fn all_passed(&self) -> bool {
        !self.0.is_empty() && self.0.iter().all(|c| c.passed)
    }

    pub fn into_list(self) -> Vec<Check> {
        self.0
    }

    /// The A record changed, and now holds exactly the replacement's address.
    pub fn expect_record_moved(
        &mut self,
        before: &[String],
        after: &[String],
        replacement_address: Option<&str>,
    ) {
        let moved =
            replacement_address.is_some_and(|address| after == [address] && before != after);
        self.expect(
            "the A record moved to the replacement",
            moved,
            format!(
                "{} -> {} (replacement's address: {})",
                before.join(", "),
                after.join(", "),
                replacement_address.unwrap_or("none")
            ),
        );
    }

    /// The stored ledger entry is the one reported, has every step of a relaunch in order and
    /// time order, none failed, an outcome, a finish time and a measured RTO.
    pub fn expect_complete_ledger(&mut self, stored: Option<&LedgerEntry>, reported: &LedgerEntry) {
        let problem = match stored {
            None => Some(format!(
                "failover {} is not in the ledger table",
                reported.failover_id
            )),
            Some(stored) => ledger_problem(stored, reported),
        };
        let detail = match (&problem, stored) {
            (Some(problem), _) => problem.clone(),
            (None, Some(stored)) => format!(
                "{} steps in time order, outcome {}, measured RTO {}",
                stored.steps.len(),
                stored.outcome.as_str(),
                stored.rto.as_ref().map_or("-".to_string(), |r| r.verdict())
            ),
            (None, None) => String::new(),
        };
        self.expect("the failover ledger is complete", problem.is_none(), detail);
    }

    /// At least one notification about the run and one about the failover arrived.
    pub fn expect_notifications(
        &mut self,
        received: &[SnsEnvelope],
        run_id: &str,
        failover_id: &str,
    ) {
        let about = |id: &str| {
            received
                .iter()
                .filter(|n| n.message.to_string().contains(id))
                .count()
        };
        let (run, failover) = (about(run_id), about(failover_id));
        self.expect(
            "the subscriber received the notifications",
            run > 0 && failover > 0,
            format!(
                "{} received: {run} about the run, {failover} about the failover",
                received.len()
            ),
        );
    }

    /// Every evidence file was written and reads back as JSON.
    pub fn expect_files(&mut self, written: &[(String, Result<(), String>)]) {
        let failed: Vec<String> = written
            .iter()
            .filter_map(|(path, result)| result.as_ref().err().map(|e| format!("{path}: {e}")))
            .collect();
        self.expect(
            "the evidence files are written and parse",
            failed.is_empty() && !written.is_empty(),
            if failed.is_empty() {
                format!("{} file(s)", written.len())
            } else {
                failed.join("; ")
            },
        );
    }
}

fn ledger_problem(stored: &LedgerEntry, reported: &LedgerEntry) -> Option<String> {
    if stored != reported {
        return Some("the stored entry differs from the one the handler reported".into());
    }
    if !stored.is_in_time_order() {
        return Some("the steps are not in time order".into());
    }
    let steps: Vec<Step> = stored.steps.iter().map(|s| s.step).collect();
    if steps != RELAUNCH_STEPS {
        let names: Vec<&str> = steps.iter().map(|s| s.as_str()).collect();
        return Some(format!("steps recorded: {}", names.join(", ")));
    }
    if let Some(failed) = stored.steps.iter().find(|s| s.status == StepStatus::Failed) {
        return Some(format!(
            "{} failed: {}",
            failed.step.as_str(),
            failed.detail
        ));
    }
    if stored.outcome != Outcome::FailedOver {
        return Some(format!("outcome {}", stored.outcome.as_str()));
    }
    if stored.finished_at.is_none() {
        return Some("no finish time".into());
    }
    match &stored.rto {
        None => Some("no measured RTO".into()),
        Some(rto) if rto.measured_seconds < 0.0 => {
            Some(format!("a negative RTO: {}", rto.measured_seconds))
        }
        Some(_) => None,
    }
}

/// The replacement's public address, as EC2 reports it.
pub async fn replacement_address(
    compute: &Ec2Failover,
    replacement: Option<&str>,
) -> Result<Option<String>, String> {
    let Some(id) = replacement else {
        return Ok(None);
    };
    compute
        .describe(id)
        .await
        .map(|found| found.and_then(|i| i.public_ip))
        .map_err(|e| format!("describing the replacement {id}: {e}"))
}
