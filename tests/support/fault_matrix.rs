//! The fault matrix's bookkeeping: which calls to fail and how (all of them, or CI's
//! subset), one row per case, and the table and summary the test prints.
//!
//! `GAMEDAY_FAULT_MATRIX=full` fails every call of every scenario in both fault kinds
//! (`benches/fault-matrix/run.sh` sets it). Without it (CI) each scenario runs its
//! [`CiSubset`].

use std::collections::BTreeMap;

use crate::faults::{Call, FaultKind};

/// Both ways a call can fail.
pub const KINDS: [FaultKind; 2] = [FaultKind::Unavailable, FaultKind::LostResponse];

/// What a scenario runs in CI, where each case costs a sandbox reset and seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CiSubset {
    /// Every call, in both kinds: for short scenarios.
    Every,
    /// Every call of the first invocation of each phase, in one kind, alternating between the
    /// kinds: every call a phase makes fails once. Later invocations (the second to tenth
    /// observe sample, which repeat the first) are left to the full matrix.
    FirstInvocationOfEachPhase,
}

/// How much of the matrix runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coverage {
    Full,
    Ci(CiSubset),
}

impl Coverage {
    /// `GAMEDAY_FAULT_MATRIX=full` for every call; `subset` otherwise.
    pub fn from_env(subset: CiSubset) -> Self {
        match std::env::var("GAMEDAY_FAULT_MATRIX").as_deref() {
            Ok("full") => Coverage::Full,
            Ok("" | "ci") | Err(_) => Coverage::Ci(subset),
            Ok(other) => panic!(
                "GAMEDAY_FAULT_MATRIX={other}: use `full` (every call) or leave it unset (CI's subset)"
            ),
        }
    }

    /// The call numbers to fail, in order.
    pub fn chosen(self, calls: &[Call]) -> Vec<usize> {
        let first_only = self == Coverage::Ci(CiSubset::FirstInvocationOfEachPhase);
        calls
            .iter()
            .filter(|c| !first_only || c.invocation == 1)
            .map(|c| c.number)
            .collect()
    }

    /// The kinds the `index`-th chosen call fails in.
    pub fn kinds(self, index: usize) -> Vec<FaultKind> {
        match self {
            Coverage::Ci(CiSubset::FirstInvocationOfEachPhase) => vec![KINDS[index % KINDS.len()]],
            _ => KINDS.to_vec(),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Coverage::Full => "full: every call, both kinds",
            Coverage::Ci(CiSubset::Every) => "CI: every call, both kinds",
            Coverage::Ci(CiSubset::FirstInvocationOfEachPhase) => {
                "CI: every call of each phase's first invocation, kinds alternating"
            }
        }
    }
}

/// One case: the call that failed, how it failed, and what the run ended as.
#[derive(Debug, Clone)]
pub struct Case {
    pub call: Call,
    pub kind: FaultKind,
    /// The run's final status (or the failover's outcome) as read back from the table.
    pub outcome: String,
    /// Invariants that did not hold; empty when the case is fine.
    pub violations: Vec<String>,
}

/// Every case of one scenario.
#[derive(Debug)]
pub struct Matrix {
    pub scenario: String,
    /// Calls the clean run made.
    pub clean_calls: usize,
    pub coverage: Coverage,
    pub cases: Vec<Case>,
}

impl Matrix {
    pub fn new(scenario: &str, clean_calls: usize, coverage: Coverage) -> Self {
        Self {
            scenario: scenario.to_string(),
            clean_calls,
            coverage,
            cases: Vec::new(),
        }
    }

    /// The table, then one `fault-matrix-summary` line (read by `benches/fault-matrix/run.sh`).
    pub fn print(&self) {
        println!(
            "\n### Fault matrix: {} ({} AWS calls in a clean run; {})\n",
            self.scenario,
            self.clean_calls,
            self.coverage.label()
        );
        println!("| call | during | service.operation | fault | outcome | invariants |");
        println!("|---:|---|---|---|---|---|");
        for case in &self.cases {
            let invariants = if case.violations.is_empty() {
                "OK".to_string()
            } else {
                format!("FAILED: {}", case.violations.join("; "))
            };
            println!(
                "| {} | {} | {} | {} | {} | {invariants} |",
                case.call.number,
                case.call.during(),
                case.call.operation,
                case.kind.label(),
                case.outcome
            );
        }
        let mut outcomes: BTreeMap<&str, usize> = BTreeMap::new();
        for case in &self.cases {
            *outcomes.entry(case.outcome.as_str()).or_default() += 1;
        }
        let outcomes: Vec<String> = outcomes.iter().map(|(o, n)| format!("{o} {n}")).collect();
        println!(
            "\nfault-matrix-summary|{}|{}|{}|{}|{}",
            self.scenario,
            self.clean_calls,
            self.cases.len(),
            outcomes.join(", "),
            self.failures()
        );
    }

    pub fn failures(&self) -> usize {
        self.cases
            .iter()
            .filter(|c| !c.violations.is_empty())
            .count()
    }

    /// Fails the test with every case whose invariants did not hold.
    pub fn assert_invariants(&self) {
        let failed: Vec<String> = self
            .cases
            .iter()
            .filter(|c| !c.violations.is_empty())
            .map(|c| {
                format!(
                    "call {} ({} during {}, {}): {}",
                    c.call.number,
                    c.call.operation,
                    c.call.during(),
                    c.kind.label(),
                    c.violations.join("; ")
                )
            })
            .collect();
        assert!(
            failed.is_empty(),
            "{}: {} of {} cases broke an invariant:\n{}",
            self.scenario,
            failed.len(),
            self.cases.len(),
            failed.join("\n")
        );
    }
}
