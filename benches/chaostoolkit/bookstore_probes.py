"""Probes the Chaos Toolkit experiment needs that chaostoolkit-aws does not have, written as a
Chaos Toolkit user would (a Python provider module), with chaostoolkit-aws's client factory.

- `record_points_at_running_instances`: gameday's `route53-record` probe. chaostoolkit-aws's
  Route 53 probes read a zone, a health check or TestDNSAnswer, none of which says whether
  the record's addresses belong to running instances.
- `parameter_value`: reads gameday's kill switch (an SSM parameter); chaostoolkit-aws has no
  SSM probe.
"""

from chaosaws import aws_client


def record_points_at_running_instances(
    zone_name, record_name, record_type, configuration=None, secrets=None
):
    """True when the record exists and every address in it is a running instance's."""
    route53 = aws_client("route53", configuration, secrets)
    zones = route53.list_hosted_zones_by_name(DNSName=zone_name, MaxItems="10")
    zone = next(
        (z for z in zones["HostedZones"] if z["Name"].rstrip(".") == zone_name.rstrip(".")),
        None,
    )
    if zone is None:
        return False
    found = route53.list_resource_record_sets(
        HostedZoneId=zone["Id"],
        StartRecordName=record_name,
        StartRecordType=record_type,
        MaxItems="1",
    )["ResourceRecordSets"]
    values = [
        r["Value"]
        for s in found
        if s["Name"].rstrip(".") == record_name.rstrip(".") and s["Type"] == record_type
        for r in s.get("ResourceRecords", [])
    ]
    if not values:
        return False
    ec2 = aws_client("ec2", configuration, secrets)
    running = set()
    for filter_name in ("private-ip-address", "ip-address"):
        reservations = ec2.describe_instances(
            Filters=[
                {"Name": filter_name, "Values": values},
                {"Name": "instance-state-name", "Values": ["running"]},
            ]
        )["Reservations"]
        for instance in (i for r in reservations for i in r["Instances"]):
            running.update(
                a for a in (instance.get("PrivateIpAddress"), instance.get("PublicIpAddress")) if a
            )
    return all(v in running for v in values)


def parameter_value(name, configuration=None, secrets=None):
    """The SSM parameter's value, or None when it does not exist."""
    ssm = aws_client("ssm", configuration, secrets)
    try:
        return ssm.get_parameter(Name=name)["Parameter"]["Value"]
    except ssm.exceptions.ParameterNotFound:
        return None
