//! The adapters the experiment phases act through, against the sandbox: SNS, EC2 actions, SSM
//! Run Command, FIS, CloudWatch alarm and metric writers; and the HTTP probe against local
//! listeners.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use aws_sdk_cloudwatch::primitives::DateTime as SdkDateTime;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat};
use gameday_aws::AwsError;
use gameday_aws::actions::InstanceActions;
use gameday_aws::alarms::{AlarmReader, AlarmWriter, MetricWriter, RunMetrics};
use gameday_aws::commands::{CommandInvocation, CommandRunner};
use gameday_aws::fis::FaultInjection;
use gameday_aws::http_check::{HttpChecker, ReqwestHttpChecker};
use gameday_aws::notify::Notifier;
use gameday_aws::sandbox_seed::seed_bookstore;
use gameday_e2e::{TestSandbox, receive_json, subscribe_queue};
use serde_json::json;

const TABLE: &str = "gameday-test";

/// The state of each of `ids`, as EC2 describes it.
async fn states(sandbox: &TestSandbox, ids: &[String]) -> BTreeMap<String, String> {
    let output = aws_sdk_ec2::Client::new(&sandbox.config)
        .describe_instances()
        .set_instance_ids(Some(ids.to_vec()))
        .send()
        .await
        .unwrap();
    output
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .map(|i| {
            (
                i.instance_id().unwrap().to_string(),
                i.state()
                    .and_then(|s| s.name())
                    .map(|n| n.as_str().to_string())
                    .unwrap(),
            )
        })
        .collect()
}

/// `ids` mapped to the states expected of them, for comparison with [`states`].
fn expect(pairs: &[(&String, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(id, state)| ((*id).clone(), state.to_string()))
        .collect()
}

#[tokio::test]
async fn notifications_reach_a_queue_subscribed_to_the_topic() {
    let sandbox = TestSandbox::start().await;
    let topic_arn = aws_sdk_sns::Client::new(&sandbox.config)
        .create_topic()
        .name("gameday-notifications")
        .send()
        .await
        .unwrap()
        .topic_arn()
        .unwrap()
        .to_string();
    let queue_url = subscribe_queue(&sandbox.config, &topic_arn).await;
    let notifier = sandbox.clients(TABLE).notifier;

    let verdict = json!({"runId": "r-1", "verdict": "PASSED", "recoverySeconds": 42});
    let first_id = notifier
        .publish(&topic_arn, "gameday: run r-1\nPASSED", &verdict.to_string())
        .await
        .unwrap();
    let long_subject = format!(
        "gameday: run r-2 aborted — {}",
        "stop alarm in ALARM; ".repeat(8)
    );
    let second_id = notifier
        .publish(&topic_arn, &long_subject, "plain text, not JSON")
        .await
        .unwrap();
    assert!(!first_id.is_empty());
    assert_ne!(first_id, second_id);

    // Ask for one more than was sent: the wait shows nothing else arrives.
    let received = receive_json(&sandbox.config, &queue_url, 3, Duration::from_secs(3)).await;
    assert_eq!(received.len(), 2, "{received:?}");
    let first = received.iter().find(|m| m.message_id == first_id).unwrap();
    assert_eq!(first.topic_arn, topic_arn);
    assert_eq!(first.subject.as_deref(), Some("gameday: run r-1 PASSED"));
    assert_eq!(first.message, verdict);

    let second = received.iter().find(|m| m.message_id == second_id).unwrap();
    let subject = second.subject.as_deref().unwrap();
    assert_eq!(subject.len(), 100);
    assert!(
        subject.starts_with("gameday: run r-2 aborted ? stop alarm in ALARM; stop"),
        "{subject}"
    );
    assert!(subject.ends_with("..."), "{subject}");
    assert_eq!(second.message, json!("plain text, not JSON"));
}

#[tokio::test]
async fn ec2_actions_touch_exactly_the_given_instances() {
    let sandbox = TestSandbox::start().await;
    let fleet = seed_bookstore(&sandbox.config, sandbox.endpoint_url(), TABLE)
        .await
        .unwrap();
    let actions = sandbox.clients(TABLE).actions;
    let [a, b, c, d] = <[String; 4]>::try_from(fleet.opted_in.clone()).unwrap();
    let other = fleet.not_opted_in[0].clone();
    let all = vec![a.clone(), b.clone(), c.clone(), d.clone(), other.clone()];

    // Nothing given, nothing done.
    actions.terminate(&[]).await.unwrap();
    actions.stop(&[]).await.unwrap();
    actions.start(&[]).await.unwrap();
    actions.reboot(&[]).await.unwrap();
    assert!(
        states(&sandbox, &all)
            .await
            .values()
            .all(|s| s == "running")
    );

    actions.terminate(std::slice::from_ref(&a)).await.unwrap();
    assert_eq!(
        states(&sandbox, &all).await,
        expect(&[
            (&a, "terminated"),
            (&b, "running"),
            (&c, "running"),
            (&d, "running"),
            (&other, "running"),
        ])
    );

    actions.stop(&[b.clone(), c.clone()]).await.unwrap();
    assert_eq!(
        states(&sandbox, &all).await,
        expect(&[
            (&a, "terminated"),
            (&b, "stopped"),
            (&c, "stopped"),
            (&d, "running"),
            (&other, "running"),
        ])
    );

    actions.start(std::slice::from_ref(&b)).await.unwrap();
    assert_eq!(
        states(&sandbox, &all).await,
        expect(&[
            (&a, "terminated"),
            (&b, "running"),
            (&c, "stopped"),
            (&d, "running"),
            (&other, "running"),
        ])
    );

    // moto marks a rebooted instance running whatever its state (EC2 would leave a stopped
    // one alone), which makes a reboot visible: only the rebooted one of two stopped
    // instances comes back.
    actions.stop(std::slice::from_ref(&d)).await.unwrap();
    actions.reboot(std::slice::from_ref(&c)).await.unwrap();
    assert_eq!(
        states(&sandbox, &all).await,
        expect(&[
            (&a, "terminated"),
            (&b, "running"),
            (&c, "running"),
            (&d, "stopped"),
            (&other, "running"),
        ])
    );

    let error = actions
        .reboot(&["i-0123456789abcdef0".to_string()])
        .await
        .unwrap_err();
    assert!(
        matches!(&error, AwsError::Refused { operation: "RebootInstances", code, .. } if code == "InvalidInstanceID.NotFound"),
        "{error:?}"
    );
}

#[tokio::test]
async fn shell_commands_are_sent_and_their_invocations_read() {
    let sandbox = TestSandbox::start().await;
    let fleet = seed_bookstore(&sandbox.config, sandbox.endpoint_url(), TABLE)
        .await
        .unwrap();
    let commands = sandbox.clients(TABLE).commands;
    let targets = fleet.opted_in[..2].to_vec();
    let comment = format!(
        "gameday run r-1 inject cpu-stress on {}",
        "bookstore-api ".repeat(8)
    );
    let script = vec![
        "stress-ng --cpu 2 --timeout 60s".to_string(),
        "echo done".to_string(),
    ];
    let command_id = commands
        .run_shell(&targets, &script, &comment)
        .await
        .unwrap();
    assert!(!command_id.is_empty());

    // What SSM recorded: the shell document, the script, the comment cut to 100 characters.
    let listed = aws_sdk_ssm::Client::new(&sandbox.config)
        .list_commands()
        .command_id(&command_id)
        .send()
        .await
        .unwrap();
    let command = &listed.commands()[0];
    assert_eq!(command.document_name(), Some("AWS-RunShellScript"));
    // moto 5.2.5 departs from SSM here: a command sent with InstanceIds and no Targets is
    // recorded against every instance in the region (its empty target filter matches all).
    // The request itself carries only the given ids (see `crates/aws/tests/mocked.rs`).
    assert!(
        targets.iter().all(|t| command.instance_ids().contains(t)),
        "{:?}",
        command.instance_ids()
    );
    assert_eq!(
        command.parameters().and_then(|p| p.get("commands")),
        Some(&script)
    );
    let recorded = command.comment().unwrap();
    assert_eq!(recorded.chars().count(), 100);
    assert!(comment.starts_with(recorded));

    // moto reports Success at once (and runs nothing, so there is no output).
    for instance in &targets {
        let invocation = commands.invocation(&command_id, instance).await.unwrap();
        assert_eq!(invocation.status, "Success");
    }
    // An instance SSM has no invocation for: InvocationDoesNotExist, reported as Pending.
    let unknown = commands
        .invocation(&command_id, "i-0000000000000000f")
        .await;
    assert_eq!(
        unknown,
        Ok(CommandInvocation {
            status: "Pending".into(),
            output: None,
        })
    );
}

#[tokio::test]
async fn fis_experiments_start_once_per_token_and_stop() {
    use aws_sdk_fis::types::{
        CreateExperimentTemplateActionInput, CreateExperimentTemplateStopConditionInput,
        CreateExperimentTemplateTargetInput,
    };
    let sandbox = TestSandbox::start().await;
    let fleet = seed_bookstore(&sandbox.config, sandbox.endpoint_url(), TABLE)
        .await
        .unwrap();
    let client = aws_sdk_fis::Client::new(&sandbox.config);
    let target = CreateExperimentTemplateTargetInput::builder()
        .resource_type("aws:ec2:instance")
        .resource_arns(format!(
            "arn:aws:ec2:us-west-2:123456789012:instance/{}",
            fleet.opted_in[0]
        ))
        .selection_mode("ALL")
        .build()
        .unwrap();
    let action = CreateExperimentTemplateActionInput::builder()
        .action_id("aws:ec2:stop-instances")
        .targets("Instances", "api")
        .build()
        .unwrap();
    let template_id = client
        .create_experiment_template()
        .client_token("template-1")
        .description("stop one bookstore API instance")
        .role_arn("arn:aws:iam::123456789012:role/gameday-fis")
        .stop_conditions(
            CreateExperimentTemplateStopConditionInput::builder()
                .source("none")
                .build()
                .unwrap(),
        )
        .targets("api", target)
        .actions("stop-api", action)
        .send()
        .await
        .unwrap()
        .experiment_template()
        .and_then(|t| t.id())
        .unwrap()
        .to_string();
    let status = |id: String| {
        let client = client.clone();
        async move {
            client
                .get_experiment()
                .id(id)
                .send()
                .await
                .unwrap()
                .experiment()
                .and_then(|e| e.state())
                .and_then(|s| s.status())
                .map(|s| s.as_str().to_string())
                .unwrap()
        }
    };
    let fis = sandbox.clients(TABLE).fis;

    let started = fis
        .start_experiment(&template_id, "run-1-inject")
        .await
        .unwrap();
    assert_eq!(
        fis.start_experiment(&template_id, "run-1-inject")
            .await
            .unwrap(),
        started,
        "a retried start with the same token is the same experiment"
    );
    fis.stop_experiment(&started).await.unwrap();
    assert!(
        ["stopping", "stopped"].contains(&status(started.clone()).await.as_str()),
        "stopped"
    );
    fis.stop_experiment(&started)
        .await
        .expect("stopping twice is harmless");

    // An experiment that ran to completion: moto moves it one step per GetExperiment.
    let finished = fis
        .start_experiment(&template_id, "run-2-inject")
        .await
        .unwrap();
    assert_ne!(finished, started);
    let mut last = String::new();
    for _ in 0..10 {
        last = status(finished.clone()).await;
        if last == "completed" {
            break;
        }
    }
    assert_eq!(last, "completed");
    fis.stop_experiment(&finished)
        .await
        .expect("stopping a completed experiment succeeds");
    assert_eq!(status(finished).await, "completed");

    let error = fis
        .start_experiment("EXTnosuchtemplate", "run-3-inject")
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("ResourceNotFoundException"));
    let error = fis
        .stop_experiment("EXPnosuchexperiment")
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("ResourceNotFoundException"));
}

#[tokio::test]
async fn alarm_states_are_forced_and_restored() {
    let sandbox = TestSandbox::start().await;
    seed_bookstore(&sandbox.config, sandbox.endpoint_url(), TABLE)
        .await
        .unwrap();
    let alarms = sandbox.clients(TABLE).alarms;
    let name = "bookstore-api-unhealthy".to_string();

    alarms
        .set_alarm_state(&name, "ALARM", "gameday run r-1 rehearses failover")
        .await
        .unwrap();
    let described = aws_sdk_cloudwatch::Client::new(&sandbox.config)
        .describe_alarms()
        .alarm_names(&name)
        .send()
        .await
        .unwrap();
    let alarm = &described.metric_alarms()[0];
    assert_eq!(alarm.state_value().map(|s| s.as_str()), Some("ALARM"));
    assert_eq!(
        alarm.state_reason(),
        Some("gameday run r-1 rehearses failover")
    );
    let others = alarms
        .alarm_states(&["bookstore-api-5xx-high".to_string()])
        .await
        .unwrap();
    assert_eq!(others["bookstore-api-5xx-high"].as_deref(), Some("OK"));

    alarms
        .set_alarm_state(&name, "OK", "gameday run r-1 undone")
        .await
        .unwrap();
    let states = alarms
        .alarm_states(std::slice::from_ref(&name))
        .await
        .unwrap();
    assert_eq!(states[&name].as_deref(), Some("OK"));

    let error = alarms
        .set_alarm_state(&name, "BROKEN", "x")
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("InvalidStateValue"));
}

/// One statistic of `metric` in namespace Gameday with `dimensions`, summed over the last
/// ten minutes; `None` without data.
async fn gameday_statistic(
    sandbox: &TestSandbox,
    metric: &str,
    dimensions: &[(&str, &str)],
    stat: &str,
) -> Option<f64> {
    let now = chrono::Utc::now().timestamp();
    let metric = Metric::builder()
        .namespace("Gameday")
        .metric_name(metric)
        .set_dimensions(Some(
            dimensions
                .iter()
                .map(|(name, value)| Dimension::builder().name(*name).value(*value).build())
                .collect(),
        ))
        .build();
    let output = aws_sdk_cloudwatch::Client::new(&sandbox.config)
        .get_metric_data()
        .metric_data_queries(
            MetricDataQuery::builder()
                .id("m")
                .metric_stat(
                    MetricStat::builder()
                        .metric(metric)
                        .period(600)
                        .stat(stat)
                        .build(),
                )
                .build(),
        )
        .start_time(SdkDateTime::from_secs(now - 600))
        .end_time(SdkDateTime::from_secs(now + 60))
        .send()
        .await
        .unwrap();
    let values: Vec<f64> = output
        .metric_data_results()
        .iter()
        .flat_map(|r| r.values().iter().copied())
        .collect();
    match stat {
        "Sum" | "SampleCount" if !values.is_empty() => Some(values.iter().sum()),
        _ => values.first().copied(),
    }
}

#[tokio::test]
async fn run_metrics_are_published_and_read_back() {
    let sandbox = TestSandbox::start().await;
    let alarms = sandbox.clients(TABLE).alarms;
    let passed = RunMetrics {
        experiment: "api-instance-failure".into(),
        service: "bookstore".into(),
        verdict: "PASSED".into(),
        recovery_seconds: Some(42.5),
        availability_percent: Some(99.25),
    };
    alarms.put_run_metrics(&passed).await.unwrap();
    alarms.put_run_metrics(&passed).await.unwrap();
    let aborted = RunMetrics {
        experiment: "db-failover".into(),
        verdict: "ABORTED".into(),
        recovery_seconds: None,
        availability_percent: None,
        ..passed.clone()
    };
    alarms.put_run_metrics(&aborted).await.unwrap();

    let run = [
        ("Experiment", "api-instance-failure"),
        ("Service", "bookstore"),
    ];
    let passed_runs = [
        ("Experiment", "api-instance-failure"),
        ("Service", "bookstore"),
        ("Verdict", "PASSED"),
    ];
    assert_eq!(
        gameday_statistic(&sandbox, "Runs", &passed_runs, "Sum").await,
        Some(2.0)
    );
    assert_eq!(
        gameday_statistic(&sandbox, "RecoverySeconds", &run, "Maximum").await,
        Some(42.5)
    );
    assert_eq!(
        gameday_statistic(&sandbox, "AvailabilityPercent", &run, "Minimum").await,
        Some(99.25)
    );

    let aborted_runs = [
        ("Experiment", "db-failover"),
        ("Service", "bookstore"),
        ("Verdict", "ABORTED"),
    ];
    let aborted_run = [("Experiment", "db-failover"), ("Service", "bookstore")];
    assert_eq!(
        gameday_statistic(&sandbox, "Runs", &aborted_runs, "Sum").await,
        Some(1.0)
    );
    assert_eq!(
        gameday_statistic(&sandbox, "RecoverySeconds", &aborted_run, "Maximum").await,
        None,
        "nothing measured, nothing published"
    );
}

/// Serves `response` to each of the next `connections` connections on a loopback port, after
/// reading the request head. Returns the port.
fn serve_fixed(response: &'static str, connections: usize) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(connections) {
            let Ok(mut stream) = stream else { continue };
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            let mut head = Vec::new();
            let mut buffer = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buffer) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buffer[..n]),
                }
            }
            let _ = stream.write_all(response.as_bytes());
        }
    });
    port
}

#[tokio::test]
async fn http_checker_reports_status_refusal_and_timeout() {
    let checker = ReqwestHttpChecker::new();
    let timeout = Duration::from_secs(5);

    let unavailable = serve_fixed(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 3\r\nConnection: close\r\n\r\nno\n",
        2,
    );
    let url = format!("http://127.0.0.1:{unavailable}/health");
    assert_eq!(checker.status(&url, timeout).await, Ok(503));
    assert_eq!(
        checker.status(&url, timeout).await,
        Ok(503),
        "a second probe opens a new connection"
    );

    let moved = serve_fixed(
        "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:9/elsewhere\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        1,
    );
    assert_eq!(
        checker
            .status(&format!("http://127.0.0.1:{moved}/"), timeout)
            .await,
        Ok(302),
        "redirects are not followed"
    );

    // A port nobody listens on: bound once to find it free, then released.
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let refused = checker
        .status(&format!("http://127.0.0.1:{closed}/"), timeout)
        .await
        .unwrap_err();
    assert!(refused.contains("could not connect"), "{refused}");
    assert!(refused.to_lowercase().contains("refused"), "{refused}");

    // A listener that accepts connections (the kernel does) but never answers.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let started = Instant::now();
    let timed_out = checker
        .status(
            &format!("http://127.0.0.1:{port}/"),
            Duration::from_millis(300),
        )
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    assert!(timed_out.contains("timed out after 300 ms"), "{timed_out}");
    assert!(
        elapsed >= Duration::from_millis(300) && elapsed < Duration::from_secs(5),
        "{elapsed:?}"
    );
    drop(silent);
}
