//! Shared by the bench programs (`tests/bench/`, run by `benches/*/run.sh`): the median and
//! nearest-rank percentiles of samples, and their command-line flags.

/// The spread of a set of samples, in their own unit.
#[derive(Debug, Clone, Copy)]
pub struct Summary {
    pub count: usize,
    pub median: f64,
    pub p95: f64,
    pub min: f64,
    pub max: f64,
}

/// Panics on no samples: a bench that measured nothing has a bug, not a result.
pub fn summarize(samples: &[f64]) -> Summary {
    assert!(!samples.is_empty(), "no samples to summarize");
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let median = if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    };
    let rank = ((0.95 * n as f64).ceil() as usize).clamp(1, n);
    Summary {
        count: n,
        median,
        p95: sorted[rank - 1],
        min: sorted[0],
        max: sorted[n - 1],
    }
}

/// The value after `flag` on the command line, parsed, or `default`; a bad value stops the
/// program with the flag named.
pub fn arg<T: std::str::FromStr>(flag: &str, default: T) -> T {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|a| a == flag) {
        None => default,
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{flag} needs a value (e.g. {flag} 10)")),
    }
}
