//! EC2 for failover: find the primary, check it, restart it, launch a replacement from the
//! launch template with the newest backup AMI (or start a warm standby), and tag the old
//! instance for quarantine. Nothing here terminates an instance.

use std::collections::BTreeMap;
use std::future::Future;

use aws_sdk_ec2::types::{
    Filter, LaunchTemplateSpecification, ResourceType, Tag, TagSpecification,
};
use chrono::{DateTime, Utc};

use crate::error::{AwsError, from_sdk};

/// An instance as failover sees it: its state, addresses and status checks.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InstanceStatus {
    pub instance_id: String,
    /// `pending`, `running`, `stopping`, `stopped`, `shutting-down` or `terminated`.
    pub state: String,
    pub public_ip: Option<String>,
    pub private_ip: Option<String>,
    pub launch_time: Option<DateTime<Utc>>,
    pub image_id: Option<String>,
    pub tags: BTreeMap<String, String>,
    /// The instance status check: `ok`, `impaired`, `initializing`, ... (`None` when EC2
    /// reports none, e.g. for a stopped instance).
    pub instance_check: Option<String>,
    /// The system status check.
    pub system_check: Option<String>,
}

impl InstanceStatus {
    pub fn is_running(&self) -> bool {
        self.state == "running"
    }

    pub fn checks_ok(&self) -> bool {
        self.instance_check.as_deref() == Some("ok") && self.system_check.as_deref() == Some("ok")
    }

    /// Every address the instance has.
    pub fn addresses(&self) -> Vec<&str> {
        self.public_ip
            .iter()
            .chain(self.private_ip.iter())
            .map(String::as_str)
            .collect()
    }
}

/// An AMI with its creation time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageFacts {
    pub image_id: String,
    pub name: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
}

/// What the failover procedure asks of EC2.
pub trait FailoverCompute {
    /// Instances carrying every tag, in every state (terminated ones too, while EC2 lists them).
    fn find_tagged(
        &self,
        tags: &BTreeMap<String, String>,
    ) -> impl Future<Output = Result<Vec<InstanceStatus>, AwsError>> + Send;

    /// One instance with its status checks; `None` when EC2 does not know it.
    fn describe(
        &self,
        instance_id: &str,
    ) -> impl Future<Output = Result<Option<InstanceStatus>, AwsError>> + Send;

    /// The newest AMI owned by this account that carries every tag.
    fn newest_image(
        &self,
        tags: &BTreeMap<String, String>,
    ) -> impl Future<Output = Result<Option<ImageFacts>, AwsError>> + Send;

    /// Launches one instance from the template (overriding its AMI when `image_id` is given),
    /// tagged with `tags`. `client_token` makes a retried launch return the same instance.
    fn launch(
        &self,
        template: &str,
        version: &str,
        image_id: Option<&str>,
        tags: &BTreeMap<String, String>,
        client_token: &str,
    ) -> impl Future<Output = Result<String, AwsError>> + Send;

    fn start(&self, instance_id: &str) -> impl Future<Output = Result<(), AwsError>> + Send;

    fn reboot(&self, instance_id: &str) -> impl Future<Output = Result<(), AwsError>> + Send;

    fn tag(
        &self,
        instance_id: &str,
        tags: &BTreeMap<String, String>,
    ) -> impl Future<Output = Result<(), AwsError>> + Send;
}

#[derive(Clone, Debug)]
pub struct Ec2Failover {
    client: aws_sdk_ec2::Client,
}

impl Ec2Failover {
    pub fn new(client: aws_sdk_ec2::Client) -> Self {
        Self { client }
    }

    pub fn from_config(config: &aws_config::SdkConfig) -> Self {
        Self::new(aws_sdk_ec2::Client::new(config))
    }
}

fn tag_filters(tags: &BTreeMap<String, String>) -> Vec<Filter> {
    tags.iter()
        .map(|(key, value)| {
            Filter::builder()
                .name(format!("tag:{key}"))
                .values(value)
                .build()
        })
        .collect()
}

fn sdk_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

fn to_chrono(time: &aws_smithy_types::DateTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(time.secs(), time.subsec_nanos())
}

fn instance_facts(instance: &aws_sdk_ec2::types::Instance) -> InstanceStatus {
    InstanceStatus {
        instance_id: instance.instance_id().unwrap_or_default().to_string(),
        state: instance
            .state()
            .and_then(|s| s.name())
            .map(|n| n.as_str().to_string())
            .unwrap_or_default(),
        public_ip: instance.public_ip_address().map(String::from),
        private_ip: instance.private_ip_address().map(String::from),
        launch_time: instance.launch_time().and_then(to_chrono),
        image_id: instance.image_id().map(String::from),
        tags: instance
            .tags()
            .iter()
            .filter_map(|t| {
                Some((
                    t.key()?.to_string(),
                    t.value().unwrap_or_default().to_string(),
                ))
            })
            .collect(),
        instance_check: None,
        system_check: None,
    }
}

impl FailoverCompute for Ec2Failover {
    async fn find_tagged(
        &self,
        tags: &BTreeMap<String, String>,
    ) -> Result<Vec<InstanceStatus>, AwsError> {
        let pages: Vec<_> = self
            .client
            .describe_instances()
            .set_filters(Some(tag_filters(tags)))
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| from_sdk("ec2", "DescribeInstances", e))?;
        let mut found: Vec<InstanceStatus> = pages
            .iter()
            .flat_map(|p| p.reservations())
            .flat_map(|r| r.instances())
            .map(instance_facts)
            .filter(|i| tags.iter().all(|(k, v)| i.tags.get(k) == Some(v)))
            .collect();
        found.sort_by(|a, b| a.instance_id.cmp(&b.instance_id));
        Ok(found)
    }

    async fn describe(&self, instance_id: &str) -> Result<Option<InstanceStatus>, AwsError> {
        let described = self
            .client
            .describe_instances()
            .instance_ids(instance_id)
            .send()
            .await;
        let output = match described {
            Ok(output) => output,
            Err(error)
                if aws_sdk_ec2::error::ProvideErrorMetadata::code(&error)
                    == Some("InvalidInstanceID.NotFound") =>
            {
                return Ok(None);
            }
            Err(error) => return Err(from_sdk("ec2", "DescribeInstances", error)),
        };
        let Some(mut facts) = output
            .reservations()
            .iter()
            .flat_map(|r| r.instances())
            .find(|i| i.instance_id() == Some(instance_id))
            .map(instance_facts)
        else {
            return Ok(None);
        };
        if facts.is_running() {
            let status = self
                .client
                .describe_instance_status()
                .instance_ids(instance_id)
                .include_all_instances(true)
                .send()
                .await
                .map_err(|e| from_sdk("ec2", "DescribeInstanceStatus", e))?;
            if let Some(status) = status.instance_statuses().first() {
                let summary = |s: Option<&aws_sdk_ec2::types::InstanceStatusSummary>| {
                    s.and_then(|s| s.status()).map(|s| s.as_str().to_string())
                };
                facts.instance_check = summary(status.instance_status());
                facts.system_check = summary(status.system_status());
            }
        }
        Ok(Some(facts))
    }

    async fn newest_image(
        &self,
        tags: &BTreeMap<String, String>,
    ) -> Result<Option<ImageFacts>, AwsError> {
        let output = self
            .client
            .describe_images()
            .owners("self")
            .set_filters(Some(tag_filters(tags)))
            .send()
            .await
            .map_err(|e| from_sdk("ec2", "DescribeImages", e))?;
        let mut images: Vec<ImageFacts> = output
            .images()
            .iter()
            .filter(|image| {
                tags.iter().all(|(k, v)| {
                    image
                        .tags()
                        .iter()
                        .any(|t| t.key() == Some(k.as_str()) && t.value() == Some(v.as_str()))
                })
            })
            .filter_map(|image| {
                Some(ImageFacts {
                    image_id: image.image_id()?.to_string(),
                    name: image.name().map(String::from),
                    created_at: image
                        .creation_date()
                        .and_then(|d| DateTime::parse_from_rfc3339(d).ok())
                        .map(|d| d.with_timezone(&Utc)),
                })
            })
            .collect();
        // Newest first; an image without a date never wins over a dated one.
        images.sort_by(|a, b| {
            b.created_at
                .cmp(&a.created_at)
                .then(a.image_id.cmp(&b.image_id))
        });
        Ok(images.into_iter().next())
    }

    async fn launch(
        &self,
        template: &str,
        version: &str,
        image_id: Option<&str>,
        tags: &BTreeMap<String, String>,
        client_token: &str,
    ) -> Result<String, AwsError> {
        let mut request = self
            .client
            .run_instances()
            .launch_template(
                LaunchTemplateSpecification::builder()
                    .launch_template_name(template)
                    .version(version)
                    .build(),
            )
            .min_count(1)
            .max_count(1)
            .client_token(client_token)
            .set_image_id(image_id.map(String::from));
        if !tags.is_empty() {
            request = request.tag_specifications(
                TagSpecification::builder()
                    .resource_type(ResourceType::Instance)
                    .set_tags(Some(sdk_tags(tags)))
                    .build(),
            );
        }
        let output = request
            .send()
            .await
            .map_err(|e| from_sdk("ec2", "RunInstances", e))?;
        output
            .instances()
            .first()
            .and_then(|i| i.instance_id())
            .map(String::from)
            .ok_or_else(|| AwsError::Refused {
                service: "ec2",
                operation: "RunInstances",
                code: "NoInstance".into(),
                message: "RunInstances answered without an instance".into(),
            })
    }

    async fn start(&self, instance_id: &str) -> Result<(), AwsError> {
        self.client
            .start_instances()
            .instance_ids(instance_id)
            .send()
            .await
            .map_err(|e| from_sdk("ec2", "StartInstances", e))?;
        Ok(())
    }

    async fn reboot(&self, instance_id: &str) -> Result<(), AwsError> {
        self.client
            .reboot_instances()
            .instance_ids(instance_id)
            .send()
            .await
            .map_err(|e| from_sdk("ec2", "RebootInstances", e))?;
        Ok(())
    }

    async fn tag(
        &self,
        instance_id: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), AwsError> {
        self.client
            .create_tags()
            .resources(instance_id)
            .set_tags(Some(sdk_tags(tags)))
            .send()
            .await
            .map_err(|e| from_sdk("ec2", "CreateTags", e))?;
        Ok(())
    }
}
