//! SNS: run started, aborted, verdict, failover done.

use std::future::Future;

use crate::error::{AwsError, from_sdk};

pub trait Notifier {
    /// Publishes `message` (JSON text) with `subject` (at most 100 characters; longer subjects
    /// are cut) to `topic_arn`; returns the message id.
    fn publish(
        &self,
        topic_arn: &str,
        subject: &str,
        message: &str,
    ) -> impl Future<Output = Result<String, AwsError>> + Send;
}

/// SNS refuses subjects longer than this.
pub const MAX_SUBJECT_CHARS: usize = 100;

/// What a cut subject ends with.
const CUT_MARK: &str = "...";

/// A subject SNS accepts: printable ASCII on one line, starting with a letter, digit or
/// punctuation mark, at most [`MAX_SUBJECT_CHARS`] long.
///
/// Line breaks, tabs and other whitespace become single spaces, other control characters
/// are dropped, characters outside ASCII become `?`, and a subject that is still too long is
/// cut and ends with `...`. `None` when nothing printable is left (the message is then sent
/// without a subject).
pub fn sanitize_subject(subject: &str) -> Option<String> {
    let mut clean = String::with_capacity(subject.len().min(4 * MAX_SUBJECT_CHARS));
    for c in subject.chars() {
        let c = match c {
            c if c.is_whitespace() => ' ',
            c if c.is_control() => continue,
            c if c.is_ascii() => c,
            _ => '?',
        };
        if c == ' ' && (clean.is_empty() || clean.ends_with(' ')) {
            continue;
        }
        clean.push(c);
    }
    let clean = clean.trim_end();
    if clean.is_empty() {
        return None;
    }
    // Every character is ASCII now, so byte lengths are character counts.
    if clean.len() <= MAX_SUBJECT_CHARS {
        return Some(clean.to_string());
    }
    let kept = clean[..MAX_SUBJECT_CHARS - CUT_MARK.len()].trim_end();
    Some(format!("{kept}{CUT_MARK}"))
}

#[derive(Clone, Debug)]
pub struct SnsNotifier {
    client: aws_sdk_sns::Client,
}

impl SnsNotifier {
    pub fn new(client: aws_sdk_sns::Client) -> Self {
        Self { client }
    }
}

impl Notifier for SnsNotifier {
    async fn publish(
        &self,
        topic_arn: &str,
        subject: &str,
        message: &str,
    ) -> Result<String, AwsError> {
        let output = self
            .client
            .publish()
            .topic_arn(topic_arn)
            .set_subject(sanitize_subject(subject))
            .message(message)
            .send()
            .await
            .map_err(|e| from_sdk("sns", "Publish", e))?;
        output
            .message_id()
            .map(String::from)
            .ok_or_else(|| AwsError::Refused {
                service: "sns",
                operation: "Publish",
                code: "NoMessageId".into(),
                message: format!(
                    "SNS accepted the message to {topic_arn} but returned no message id"
                ),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_printable_subjects_pass_unchanged() {
        assert_eq!(
            sanitize_subject("[gameday] run r-1 PASSED").as_deref(),
            Some("[gameday] run r-1 PASSED")
        );
    }

    #[test]
    fn line_breaks_and_control_characters_are_removed() {
        assert_eq!(
            sanitize_subject("  run\r\naborted:\tkill\u{7} switch\n").as_deref(),
            Some("run aborted: kill switch")
        );
        assert_eq!(
            sanitize_subject("API — café ✓").as_deref(),
            Some("API ? caf? ?")
        );
        assert_eq!(sanitize_subject(" \n\t\u{1b}"), None);
    }

    #[test]
    fn long_subjects_are_cut_to_one_hundred_characters() {
        let exact = "x".repeat(100);
        assert_eq!(sanitize_subject(&exact).as_deref(), Some(exact.as_str()));
        let long = format!("{} tail", "y".repeat(120));
        let cut = sanitize_subject(&long).unwrap();
        assert_eq!(cut.len(), 100);
        assert_eq!(cut, format!("{}...", "y".repeat(97)));
        // Multi-byte input is counted after it became ASCII, so the cut never splits a character.
        let wide = "é".repeat(150);
        assert_eq!(sanitize_subject(&wide).unwrap().len(), 100);
    }
}
