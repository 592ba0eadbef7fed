//! Form bodies botocore 1.43.11 actually sent, captured with `dev/capture_requests.py`
//! (data produced by botocore, pasted verbatim).

#![allow(dead_code)]

/// Captured `EC2_AUTHORIZE_INGRESS` request body.
pub const EC2_AUTHORIZE_INGRESS: &str = "Action=AuthorizeSecurityGroupIngress&Version=2016-11-15&GroupId=sg-12345678&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=80&IpPermissions.1.ToPort=80&IpPermissions.1.IpRanges.1.CidrIp=0.0.0.0%2F0&IpPermissions.1.IpRanges.1.Description=web+%26+more&IpPermissions.1.Groups.1.GroupId=sg-2&IpPermissions.1.Groups.1.UserId=123456789012&IpPermissions.2.IpProtocol=-1&IpPermissions.2.Ipv6Ranges.1.CidrIpv6=%3A%3A%2F0";

/// Captured `EC2_DESCRIBE_SGS` request body.
pub const EC2_DESCRIBE_SGS: &str = "Action=DescribeSecurityGroups&Version=2016-11-15&Filter.1.Name=group-name&Filter.1.Value.1=a&Filter.1.Value.2=b&Filter.2.Name=vpc-id&Filter.2.Value.1=vpc-1&GroupId.1=sg-1&GroupId.2=sg-2&DryRun=false&MaxResults=10";

/// Captured `EC2_DESCRIBE_INSTANCES_EMPTY` request body.
pub const EC2_DESCRIBE_INSTANCES_EMPTY: &str = "Action=DescribeInstances&Version=2016-11-15";

/// Captured `EC2_RUN_INSTANCES` request body.
pub const EC2_RUN_INSTANCES: &str = "Action=RunInstances&Version=2016-11-15&ImageId=ami-1&MinCount=1&MaxCount=2&InstanceType=t3.micro&SecurityGroupId.1=sg-1&ClientToken=tok-1&UserData=IyEvYmluL3NoCmVjaG8gaGk%3D&BlockDeviceMapping.1.DeviceName=%2Fdev%2Fxvda&BlockDeviceMapping.1.Ebs.VolumeSize=8&BlockDeviceMapping.1.Ebs.DeleteOnTermination=true&TagSpecification.1.ResourceType=instance&TagSpecification.1.Tag.1.Key=Name&TagSpecification.1.Tag.1.Value=web&NetworkInterface.1.DeviceIndex=0&NetworkInterface.1.Ipv6Addresses.1.Ipv6Address=%3A%3A1&NetworkInterface.1.PrivateIpAddresses.1.PrivateIpAddress=10.0.0.5&NetworkInterface.1.PrivateIpAddresses.1.Primary=true";

/// Captured `EC2_DESCRIBE_IMAGES` request body.
pub const EC2_DESCRIBE_IMAGES: &str = "Action=DescribeImages&Version=2016-11-15&ExecutableBy.1=self&Owner.1=amazon&Owner.2=123&ImageId.1=ami-1";

/// Captured `EC2_SPOT_PRICE_HISTORY` request body.
pub const EC2_SPOT_PRICE_HISTORY: &str = "Action=DescribeSpotPriceHistory&Version=2016-11-15&StartTime=2026-11-25T10%3A05%3A22.123000Z&EndTime=2026-11-26T00%3A00%3A00Z";

/// Captured `STS_ASSUME_ROLE` request body.
pub const STS_ASSUME_ROLE: &str = "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fr&RoleSessionName=sess&DurationSeconds=900&Tags.member.1.Key=k1&Tags.member.1.Value=v1&Tags.member.2.Key=k2&Tags.member.2.Value=v+2&PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnlyAccess&TransitiveTagKeys=";

/// Captured `ELBV2_CREATE_TG` request body.
pub const ELBV2_CREATE_TG: &str = "Action=CreateTargetGroup&Version=2015-12-01&Name=tg&Protocol=HTTP&Port=80&VpcId=vpc-1&HealthCheckEnabled=true&HealthCheckPath=%2Fhealth%3Fx%3D1&Matcher.HttpCode=200-299&Tags.member.1.Key=env&Tags.member.1.Value=dev";

/// Captured `ASG_CREATE` request body.
pub const ASG_CREATE: &str = "Action=CreateAutoScalingGroup&Version=2011-01-01&AutoScalingGroupName=asg&MinSize=1&MaxSize=3&AvailabilityZones.member.1=us-east-1a&AvailabilityZones.member.2=us-east-1b&TargetGroupARNs=&LaunchTemplate.LaunchTemplateId=lt-1&LaunchTemplate.Version=%24Latest&Tags.member.1.Key=Name&Tags.member.1.Value=w&Tags.member.1.PropagateAtLaunch=true&Tags.member.1.ResourceId=asg&Tags.member.1.ResourceType=auto-scaling-group";

/// Captured `SNS_CREATE_TOPIC` request body.
pub const SNS_CREATE_TOPIC: &str = "Action=CreateTopic&Version=2010-03-31&Name=t&Attributes.entry.1.key=DisplayName&Attributes.entry.1.value=My+topic&Attributes.entry.2.key=Policy&Attributes.entry.2.value=%7B%22a%22%3A1%7D&Tags.member.1.Key=k&Tags.member.1.Value=v";

/// Captured `SNS_PUBLISH` request body.
pub const SNS_PUBLISH: &str = "Action=Publish&Version=2010-03-31&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A123456789012%3At&Message=hello%3Dworld%26x&MessageAttributes.entry.1.Name=attr1&MessageAttributes.entry.1.Value.DataType=String&MessageAttributes.entry.1.Value.StringValue=v1&MessageAttributes.entry.2.Name=bin&MessageAttributes.entry.2.Value.DataType=Binary&MessageAttributes.entry.2.Value.BinaryValue=AAH%2B%2Fw%3D%3D";

/// Captured `CW_PUT_METRIC_DATA_QUERY` request body.
pub const CW_PUT_METRIC_DATA_QUERY: &str = "Action=PutMetricData&Version=2010-08-01&Namespace=App&MetricData.member.1.MetricName=Latency&MetricData.member.1.Dimensions.member.1.Name=Host&MetricData.member.1.Dimensions.member.1.Value=a&MetricData.member.1.Timestamp=2026-11-25T10%3A05%3A22.123000Z&MetricData.member.1.Value=1.5&MetricData.member.1.Values.member.1=0.1&MetricData.member.1.Values.member.2=2.0&MetricData.member.1.Values.member.3=1e-07&MetricData.member.1.Counts.member.1=1.0&MetricData.member.1.Counts.member.2=3.0&MetricData.member.1.Unit=Milliseconds&MetricData.member.1.StorageResolution=1";

/// Captured `FLAT_GO` request body.
pub const FLAT_GO: &str = "Action=Go&Version=2020-01-01&Flat.1=a&Flat.2=b&Item.1=c&FlatShape.1=d&FlatShape.2=e&Renamed.Item.1=f&FlatMap.1.K=k1&FlatMap.1.V=v1&Map.entry.1.K=k2&Map.entry.1.V=v2&Map.entry.2.K=k3&Map.entry.2.V=&Things.entry.1.key=t1&Things.entry.1.value.kind=big&Things.entry.1.value.Id=x&Things.entry.1.value.Size=3&Nested.member.1.member.1=a&Nested.member.1.member.2=b&Nested.member.2=&Data=aGkh&When=1795601122&At=2026-11-25T10%3A05%3A22.123000Z&Ok=true&Ratio=Infinity&Big=9007199254740993&Count=-5";

/// Captured `FLAT_GO_EMPTY` request body.
pub const FLAT_GO_EMPTY: &str = "Action=Go&Version=2020-01-01&Flat=&FlatNamed=&Renamed=";
