//! EC2 instances: the port that resolves selectors, and its EC2 adapter.

use std::collections::BTreeMap;
use std::future::Future;

use aws_sdk_ec2::types::Filter;
use gameday_core::selection::InstanceFacts;
use gameday_core::spec::InstanceSelector;

use crate::error::{AwsError, from_sdk};

/// Finds instances by selector. Every state is returned; selection decides what counts.
pub trait InstanceDirectory {
    /// Which of `addresses` (private or public IPv4) belong to running instances.
    fn running_addresses(
        &self,
        addresses: &[String],
    ) -> impl Future<Output = Result<Vec<String>, AwsError>> + Send;
    fn find_instances(
        &self,
        selector: &InstanceSelector,
    ) -> impl Future<Output = Result<Vec<InstanceFacts>, AwsError>> + Send;
}

#[derive(Clone, Debug)]
pub struct Ec2Instances {
    client: aws_sdk_ec2::Client,
}

impl Ec2Instances {
    pub fn new(client: aws_sdk_ec2::Client) -> Self {
        Self { client }
    }
}

/// EC2 filters for a selector: one `tag:` filter per tag, ids and zones when given, and never
/// terminated instances.
pub fn selector_filters(selector: &InstanceSelector) -> Vec<Filter> {
    let mut filters: Vec<Filter> = selector
        .tags
        .iter()
        .map(|(key, value)| {
            Filter::builder()
                .name(format!("tag:{key}"))
                .values(value)
                .build()
        })
        .collect();
    if !selector.instance_ids.is_empty() {
        filters.push(
            Filter::builder()
                .name("instance-id")
                .set_values(Some(selector.instance_ids.clone()))
                .build(),
        );
    }
    if !selector.availability_zones.is_empty() {
        filters.push(
            Filter::builder()
                .name("availability-zone")
                .set_values(Some(selector.availability_zones.clone()))
                .build(),
        );
    }
    let live_states = ["pending", "running", "stopping", "stopped", "shutting-down"];
    filters.push(
        Filter::builder()
            .name("instance-state-name")
            .set_values(Some(live_states.map(String::from).to_vec()))
            .build(),
    );
    filters
}

impl InstanceDirectory for Ec2Instances {
    async fn running_addresses(&self, addresses: &[String]) -> Result<Vec<String>, AwsError> {
        if addresses.is_empty() {
            return Ok(Vec::new());
        }
        let mut running = Vec::new();
        for filter_name in ["private-ip-address", "ip-address"] {
            let filters = vec![
                Filter::builder()
                    .name(filter_name)
                    .set_values(Some(addresses.to_vec()))
                    .build(),
                Filter::builder()
                    .name("instance-state-name")
                    .values("running")
                    .build(),
            ];
            let pages: Vec<_> = self
                .client
                .describe_instances()
                .set_filters(Some(filters))
                .into_paginator()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
                .map_err(|e| from_sdk("ec2", "DescribeInstances", e))?;
            let found = pages
                .iter()
                .flat_map(|p| p.reservations())
                .flat_map(|r| r.instances());
            for instance in found {
                let own = instance
                    .private_ip_address()
                    .into_iter()
                    .chain(instance.public_ip_address());
                running.extend(
                    own.filter(|a| addresses.iter().any(|x| x == a))
                        .map(String::from),
                );
            }
        }
        running.sort();
        running.dedup();
        Ok(running)
    }

    async fn find_instances(
        &self,
        selector: &InstanceSelector,
    ) -> Result<Vec<InstanceFacts>, AwsError> {
        let pages: Vec<_> = self
            .client
            .describe_instances()
            .set_filters(Some(selector_filters(selector)))
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| from_sdk("ec2", "DescribeInstances", e))?;
        let mut found: Vec<InstanceFacts> = pages
            .iter()
            .flat_map(|page| page.reservations())
            .flat_map(|reservation| reservation.instances())
            .map(|instance| InstanceFacts {
                instance_id: instance.instance_id().unwrap_or_default().to_string(),
                state: instance
                    .state()
                    .and_then(|s| s.name())
                    .map(|n| n.as_str().to_string())
                    .unwrap_or_default(),
                availability_zone: instance
                    .placement()
                    .and_then(|p| p.availability_zone())
                    .unwrap_or_default()
                    .to_string(),
                tags: instance
                    .tags()
                    .iter()
                    .filter_map(|t| {
                        Some((
                            t.key()?.to_string(),
                            t.value().unwrap_or_default().to_string(),
                        ))
                    })
                    .collect::<BTreeMap<_, _>>(),
                addresses: instance
                    .private_ip_address()
                    .into_iter()
                    .chain(instance.public_ip_address())
                    .map(String::from)
                    .collect(),
            })
            // The filters are applied by EC2; matching again keeps the result honest if an
            // endpoint ignores one.
            .filter(|i| i.matches(selector))
            .collect();
        found.sort_by(|a, b| a.instance_id.cmp(&b.instance_id));
        Ok(found)
    }
}
