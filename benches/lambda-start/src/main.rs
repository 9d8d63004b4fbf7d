//! Benchmark, not a test: how long a Lambda function binary takes from process start until it
//! asks the Runtime API for its first event, and how much memory it has used by then.
//!
//! For every run it binds a local Lambda Runtime API on a free 127.0.0.1 port, spawns the
//! binary with the environment Lambda gives a function (every AWS endpoint pointed at a closed
//! loopback port, so nothing leaves the machine), and waits for the first request. The first
//! `GET /2018-06-01/runtime/invocation/next` is the moment the function is ready: its init
//! (tokio, tracing, SDK configuration, clients) is done. At that moment it reads the child's
//! peak resident set (`VmHWM` in `/proc/<pid>/status`), then kills it. No event is served.
//!
//! ```text
//! lambda-start-bench [--runs 20] [--warmup 1] [--timeout 30] [--compare BASE,PEER]
//!                    [--build LABEL] NAME=PATH... [--build LABEL NAME=PATH...]
//! ```
//!
//! `--build` labels the binaries named after it (default `debug`). The runs are interleaved:
//! run 1 of every binary, then run 2 of every binary, and so on, so a change in the machine's
//! load falls on all of them alike. Prints a Markdown table on stdout, one row a binary; with
//! `--compare BASE,PEER`, a second table sets each function's PEER build beside its BASE build,
//! with PEER ÷ BASE ratios. Progress and per-run figures go to stderr.

use std::io::{BufRead, BufReader, Read};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const NEXT_PATH: &str = "/2018-06-01/runtime/invocation/next";

struct Options {
    runs: usize,
    warmup: usize,
    timeout: Duration,
    functions: Vec<Function>,
    /// The builds to set side by side: (base, peer).
    compare: Option<(String, String)>,
}

/// A binary to bench: its function name, its path, and the build it came from.
struct Function {
    name: String,
    path: String,
    build: String,
}

/// One start of the binary.
struct Start {
    ready: Duration,
    peak_rss_kib: u64,
}

struct Summary {
    name: String,
    build: String,
    /// The binary's size; `None` for a script (a peer's launcher), whose size says nothing.
    size_bytes: Option<u64>,
    ready_ms: Vec<f64>,
    peak_rss_kib: Vec<u64>,
}

fn main() {
    let options = match parse_args(std::env::args().skip(1).collect()) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("lambda-start-bench: {message}");
            eprintln!(
                "usage: lambda-start-bench [--runs N] [--warmup N] [--timeout SECS] [--compare BASE,PEER] [--build LABEL] NAME=PATH..."
            );
            std::process::exit(2);
        }
    };
    match bench_all(&options) {
        Ok(summaries) => {
            print_table(&summaries);
            if let Some((base, peer)) = &options.compare {
                println!();
                print_comparison(&summaries, base, peer);
            }
        }
        Err(message) => {
            eprintln!("lambda-start-bench: {message}");
            std::process::exit(1);
        }
    }
}

fn parse_args(args: Vec<String>) -> Result<Options, String> {
    let mut build = "debug".to_string();
    let mut options = Options {
        runs: 20,
        warmup: 1,
        timeout: Duration::from_secs(30),
        functions: Vec::new(),
        compare: None,
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let mut value = |flag: &str| args.next().ok_or_else(|| format!("{flag} needs a value"));
        match arg.as_str() {
            "--runs" => options.runs = number(&value("--runs")?)?,
            "--warmup" => options.warmup = number(&value("--warmup")?)?,
            "--build" => build = value("--build")?,
            "--compare" => {
                let pair = value("--compare")?;
                let (base, peer) = pair
                    .split_once(',')
                    .ok_or_else(|| format!("--compare takes BASE,PEER, not `{pair}`"))?;
                options.compare = Some((base.to_string(), peer.to_string()));
            }
            "--timeout" => {
                options.timeout = Duration::from_secs(number(&value("--timeout")?)? as u64)
            }
            "-h" | "--help" => return Err("help".to_string()),
            other => match other.split_once('=') {
                Some((name, path)) if !name.is_empty() && !path.is_empty() => {
                    options.functions.push(Function {
                        name: name.to_string(),
                        path: path.to_string(),
                        build: build.clone(),
                    })
                }
                _ => return Err(format!("`{other}` is neither an option nor NAME=PATH")),
            },
        }
    }
    if options.runs == 0 {
        return Err("--runs must be at least 1".to_string());
    }
    if options.functions.is_empty() {
        return Err("name at least one function binary as NAME=PATH".to_string());
    }
    if let Some((base, peer)) = &options.compare {
        for label in [base, peer] {
            if !options.functions.iter().any(|f| &f.build == label) {
                return Err(format!(
                    "--compare names the build `{label}`, but no binary has that --build label"
                ));
            }
        }
    }
    Ok(options)
}

fn number(text: &str) -> Result<usize, String> {
    text.parse()
        .map_err(|_| format!("`{text}` is not a whole number"))
}

/// Every binary's warm-up starts, then the measured starts, one of each binary per round.
fn bench_all(options: &Options) -> Result<Vec<Summary>, String> {
    let failed = |f: &Function, message: String| format!("{} ({}): {message}", f.name, f.path);
    let mut summaries = Vec::with_capacity(options.functions.len());
    for function in &options.functions {
        let bytes = std::fs::read(&function.path).map_err(|e| {
            failed(
                function,
                format!("cannot read the binary: {e}; build it first"),
            )
        })?;
        let size_bytes = (!bytes.starts_with(b"#!")).then_some(bytes.len() as u64);
        for _ in 0..options.warmup {
            start_once(options, function).map_err(|m| failed(function, m))?;
        }
        summaries.push(Summary {
            name: function.name.clone(),
            build: function.build.clone(),
            size_bytes,
            ready_ms: Vec::with_capacity(options.runs),
            peak_rss_kib: Vec::with_capacity(options.runs),
        });
    }
    for run in 1..=options.runs {
        for (function, summary) in options.functions.iter().zip(&mut summaries) {
            let start = start_once(options, function).map_err(|m| failed(function, m))?;
            let ms = start.ready.as_secs_f64() * 1000.0;
            eprintln!(
                "{} [{}] run {run:>2}/{}: ready after {ms:8.2} ms, peak RSS {:7.2} MiB",
                function.name,
                function.build,
                options.runs,
                start.peak_rss_kib as f64 / 1024.0
            );
            summary.ready_ms.push(ms);
            summary.peak_rss_kib.push(start.peak_rss_kib);
        }
    }
    Ok(summaries)
}

/// What the Runtime API thread saw: when the first request's line arrived, the line, and the
/// connection (held open until the child is killed, so it cannot react to a closed socket).
type FirstRequest = (Instant, String, TcpStream);

fn start_once(options: &Options, function: &Function) -> Result<Start, String> {
    let (name, path) = (function.name.as_str(), function.path.as_str());
    let listener =
        TcpListener::bind("127.0.0.1:0").map_err(|e| format!("binding 127.0.0.1: {e}"))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let (tx, rx) = mpsc::channel::<FirstRequest>();
    let server = std::thread::spawn(move || {
        let Ok((stream, _)) = listener.accept() else {
            return;
        };
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        if reader.read_line(&mut line).is_err() {
            return;
        }
        let at = Instant::now();
        let _ = tx.send((at, line.trim_end().to_string(), reader.into_inner()));
    });

    let mut command = Command::new(path);
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWS_LAMBDA_RUNTIME_API", format!("127.0.0.1:{port}"))
        .env("AWS_LAMBDA_FUNCTION_NAME", name)
        // The template sets it on every function: it picks the handler of gameday's one
        // bootstrap; the Python peers ignore it.
        .env("GAMEDAY_HANDLER", name)
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}"))
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "2026/01/01/[$LATEST]bench")
        .env("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand")
        .env("AWS_REGION", "us-west-2")
        .env("AWS_DEFAULT_REGION", "us-west-2")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        // A closed loopback port: nothing the function might call leaves this machine.
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("TABLE_NAME", "gameday")
        .env("TOPIC_ARN", "arn:aws:sns:us-west-2:123456789012:gameday")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());

    let started = Instant::now();
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot start the binary: {e}"))?;
    let outcome = wait_ready(options, &mut child, &rx, started);
    let result = match outcome {
        Ok((at, line, stream)) => {
            // Read the high-water mark before anything else happens to the child.
            let peak = peak_rss_kib(child.id());
            let _ = child.kill();
            let _ = child.wait();
            drop(stream);
            if !line.starts_with(&format!("GET {NEXT_PATH} ")) {
                Err(format!(
                    "the first request was `{line}`, not GET {NEXT_PATH}"
                ))
            } else {
                peak.map(|peak_rss_kib| Start {
                    ready: at.duration_since(started),
                    peak_rss_kib,
                })
            }
        }
        Err(message) => {
            let _ = child.kill();
            let _ = child.wait();
            let output = child_output(&mut child);
            // Unblock the server thread, which may still wait in accept.
            let _ = TcpStream::connect(("127.0.0.1", port));
            Err(format!(
                "{message}\n--- output of the function ---\n{output}"
            ))
        }
    };
    let _ = server.join();
    result
}

fn wait_ready(
    options: &Options,
    child: &mut Child,
    rx: &mpsc::Receiver<FirstRequest>,
    started: Instant,
) -> Result<FirstRequest, String> {
    loop {
        match rx.recv_timeout(Duration::from_millis(5)) {
            Ok(first) => return Ok(first),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err("the Runtime API connection closed before a request".to_string());
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!(
                "the function exited ({status}) before asking for an event"
            ));
        }
        if started.elapsed() > options.timeout {
            return Err(format!(
                "no Runtime API request within {} s",
                options.timeout.as_secs()
            ));
        }
    }
}

/// `VmHWM` of `/proc/<pid>/status`, in KiB.
fn peak_rss_kib(pid: u32) -> Result<u64, String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| format!("reading /proc/{pid}/status: {e}"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| format!("no VmHWM line in /proc/{pid}/status"))
}

fn child_output(child: &mut Child) -> String {
    let mut text = String::new();
    if let Some(mut out) = child.stdout.take() {
        let _ = out.read_to_string(&mut text);
    }
    if let Some(mut err) = child.stderr.take() {
        let _ = err.read_to_string(&mut text);
    }
    text
}

fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

/// Sorted copies of a binary's start times (ms) and peak RSS (MiB).
fn sorted_figures(s: &Summary) -> (Vec<f64>, Vec<f64>) {
    let mut ready = s.ready_ms.clone();
    ready.sort_by(f64::total_cmp);
    let mut rss: Vec<f64> = s.peak_rss_kib.iter().map(|k| *k as f64 / 1024.0).collect();
    rss.sort_by(f64::total_cmp);
    (ready, rss)
}

fn print_table(summaries: &[Summary]) {
    println!(
        "| function | build | runs | median ms | p95 ms | min ms | max ms | peak RSS MiB (median) | binary MiB |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for s in summaries {
        let (ready, rss) = sorted_figures(s);
        println!(
            "| {} | {} | {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {} |",
            s.name,
            s.build,
            ready.len(),
            median(&ready),
            percentile(&ready, 95.0),
            ready[0],
            ready[ready.len() - 1],
            median(&rss),
            s.size_bytes.map_or("—".to_string(), |b| format!(
                "{:.1}",
                b as f64 / (1024.0 * 1024.0)
            )),
        );
    }
}

/// Each function's `peer` build beside its `base` build: medians and p95s, and peer ÷ base
/// of the medians. Functions without both builds are left out.
fn print_comparison(summaries: &[Summary], base: &str, peer: &str) {
    println!(
        "| function | {base} ms (median / p95) | {peer} ms (median / p95) | {peer} ÷ {base} | {base} peak RSS MiB (median / p95) | {peer} peak RSS MiB (median / p95) | {peer} ÷ {base} |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let find = |name: &str, build: &str| {
        summaries
            .iter()
            .find(|s| s.name == name && s.build == build)
    };
    for b in summaries.iter().filter(|s| s.build == base) {
        let Some(p) = find(&b.name, peer) else {
            continue;
        };
        let ((b_ready, b_rss), (p_ready, p_rss)) = (sorted_figures(b), sorted_figures(p));
        println!(
            "| {} | {:.1} / {:.1} | {:.1} / {:.1} | {:.1}× | {:.1} / {:.1} | {:.1} / {:.1} | {:.1}× |",
            b.name,
            median(&b_ready),
            percentile(&b_ready, 95.0),
            median(&p_ready),
            percentile(&p_ready, 95.0),
            median(&p_ready) / median(&b_ready),
            median(&b_rss),
            percentile(&b_rss, 95.0),
            median(&p_rss),
            percentile(&p_rss, 95.0),
            median(&p_rss) / median(&b_rss),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics() {
        let v: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(median(&v), 10.5);
        assert_eq!(percentile(&v, 95.0), 19.0);
        assert_eq!(median(&[3.0]), 3.0);
        assert_eq!(percentile(&[3.0], 95.0), 3.0);
    }

    #[test]
    fn compare_names_builds_that_were_given() {
        let args = |list: &[&str]| list.iter().map(|a| a.to_string()).collect();
        let options = parse_args(args(&[
            "--compare",
            "release,python",
            "--build",
            "release",
            "f=/a",
            "--build",
            "python",
            "f=/b",
        ]))
        .unwrap();
        assert_eq!(
            options.compare,
            Some(("release".to_string(), "python".to_string()))
        );
        assert_eq!(options.functions[1].build, "python");
        let error = parse_args(args(&["--compare", "release,python", "f=/a"])).err();
        assert!(error.unwrap().contains("`release`"));
    }
}
