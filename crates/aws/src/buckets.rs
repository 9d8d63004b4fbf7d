//! S3 for the static-site failover: does a bucket exist, read its manifest, list what it holds.

use std::collections::BTreeMap;
use std::future::Future;

use aws_sdk_s3::error::ProvideErrorMetadata;

use crate::error::{AwsError, from_sdk};

pub trait BucketReader {
    /// Whether the bucket exists and can be reached (HeadBucket). A bucket that exists but
    /// refuses access is an error, not a missing bucket.
    fn bucket_exists(&self, bucket: &str) -> impl Future<Output = Result<bool, AwsError>> + Send;

    /// An object's body as text; `None` when the bucket or the object does not exist.
    fn object_text(
        &self,
        bucket: &str,
        key: &str,
    ) -> impl Future<Output = Result<Option<String>, AwsError>> + Send;

    /// Every object of the bucket with its size.
    fn object_sizes(
        &self,
        bucket: &str,
    ) -> impl Future<Output = Result<BTreeMap<String, i64>, AwsError>> + Send;
}

#[derive(Clone, Debug)]
pub struct S3Buckets {
    client: aws_sdk_s3::Client,
}

impl S3Buckets {
    pub fn new(client: aws_sdk_s3::Client) -> Self {
        Self { client }
    }

    /// Path-style addressing when an endpoint is set (the sandbox serves no bucket host names).
    pub fn from_config(config: &aws_config::SdkConfig) -> Self {
        let s3 = aws_sdk_s3::config::Builder::from(config)
            .force_path_style(config.endpoint_url().is_some())
            .build();
        Self::new(aws_sdk_s3::Client::from_conf(s3))
    }
}

const MISSING: [&str; 3] = ["NoSuchBucket", "NotFound", "NoSuchKey"];

fn missing<E: ProvideErrorMetadata>(error: &aws_sdk_s3::error::SdkError<E>) -> bool {
    error.code().is_some_and(|c| MISSING.contains(&c))
        || error
            .raw_response()
            .is_some_and(|r| r.status().as_u16() == 404)
}

impl BucketReader for S3Buckets {
    async fn bucket_exists(&self, bucket: &str) -> Result<bool, AwsError> {
        match self.client.head_bucket().bucket(bucket).send().await {
            Ok(_) => Ok(true),
            Err(error) if missing(&error) => Ok(false),
            Err(error) => Err(from_sdk("s3", "HeadBucket", error)),
        }
    }

    async fn object_text(&self, bucket: &str, key: &str) -> Result<Option<String>, AwsError> {
        let output = match self
            .client
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
        {
            Ok(output) => output,
            Err(error) if missing(&error) => return Ok(None),
            Err(error) => return Err(from_sdk("s3", "GetObject", error)),
        };
        let bytes = output
            .body
            .collect()
            .await
            .map_err(|e| AwsError::Transient {
                service: "s3",
                operation: "GetObject",
                code: "BodyRead".into(),
                message: e.to_string(),
            })?;
        Ok(Some(
            String::from_utf8_lossy(&bytes.into_bytes()).into_owned(),
        ))
    }

    async fn object_sizes(&self, bucket: &str) -> Result<BTreeMap<String, i64>, AwsError> {
        let pages: Vec<_> = self
            .client
            .list_objects_v2()
            .bucket(bucket)
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| from_sdk("s3", "ListObjectsV2", e))?;
        Ok(pages
            .iter()
            .flat_map(|p| p.contents())
            .filter_map(|o| Some((o.key()?.to_string(), o.size().unwrap_or(0))))
            .collect())
    }
}
