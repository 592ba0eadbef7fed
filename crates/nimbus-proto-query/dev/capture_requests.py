"""Dev-time helper: prints the exact form bodies botocore sends for a few query/ec2 calls.

The output was pasted into `tests/fixtures.rs` as test vectors (data produced by
botocore, not code). Re-run after a botocore upgrade to see whether anything changed:

    python3 crates/nimbus-proto-query/dev/capture_requests.py
"""
import datetime

import botocore.session
from botocore.serialize import create_serializer

from flat_model import flat_model


class Stop(Exception):
    pass


def capture(service, op, **params):
    session = botocore.session.get_session()
    client = session.create_client(
        service, region_name='us-east-1', endpoint_url='http://127.0.0.1:1',
        aws_access_key_id='x', aws_secret_access_key='y')
    seen = {}

    def hook(request, **_):
        seen['body'] = request.body
        raise Stop()

    client.meta.events.register('before-send', hook)
    try:
        getattr(client, op)(**params)
    except Stop:
        pass
    body = seen['body']
    return body.decode() if isinstance(body, bytes) else body


def serialize_with(protocol, model, op, params):
    """Serializes with a given protocol's serializer directly (bypasses protocol choice)."""
    req = create_serializer(protocol, include_validation=False).serialize_to_request(
        params, model.operation_model(op))
    from urllib.parse import urlencode
    return urlencode(req['body'])


def show(name, body):
    print(f'// {name}')
    print(f'pub const {name}: &str = "{body}";')
    print()


T = datetime.datetime(2026, 11, 25, 10, 5, 22, 123000, tzinfo=datetime.timezone.utc)

show('EC2_AUTHORIZE_INGRESS', capture(
    'ec2', 'authorize_security_group_ingress', GroupId='sg-12345678',
    IpPermissions=[{'IpProtocol': 'tcp', 'FromPort': 80, 'ToPort': 80,
                    'IpRanges': [{'CidrIp': '0.0.0.0/0', 'Description': 'web & more'}],
                    'UserIdGroupPairs': [{'GroupId': 'sg-2', 'UserId': '123456789012'}]},
                   {'IpProtocol': '-1', 'Ipv6Ranges': [{'CidrIpv6': '::/0'}]}]))
show('EC2_DESCRIBE_SGS', capture(
    'ec2', 'describe_security_groups',
    Filters=[{'Name': 'group-name', 'Values': ['a', 'b']}, {'Name': 'vpc-id', 'Values': ['vpc-1']}],
    GroupIds=['sg-1', 'sg-2'], DryRun=False, MaxResults=10))
show('EC2_DESCRIBE_INSTANCES_EMPTY', capture('ec2', 'describe_instances', InstanceIds=[]))
show('EC2_RUN_INSTANCES', capture(
    'ec2', 'run_instances', ImageId='ami-1', MinCount=1, MaxCount=2, InstanceType='t3.micro',
    SecurityGroupIds=['sg-1'], ClientToken='tok-1', UserData='#!/bin/sh\necho hi',
    BlockDeviceMappings=[{'DeviceName': '/dev/xvda', 'Ebs': {'VolumeSize': 8, 'DeleteOnTermination': True}}],
    TagSpecifications=[{'ResourceType': 'instance', 'Tags': [{'Key': 'Name', 'Value': 'web'}]}],
    NetworkInterfaces=[{'DeviceIndex': 0, 'Ipv6Addresses': [{'Ipv6Address': '::1'}],
                        'PrivateIpAddresses': [{'PrivateIpAddress': '10.0.0.5', 'Primary': True}]}]))
show('EC2_DESCRIBE_IMAGES', capture(
    'ec2', 'describe_images', ExecutableUsers=['self'], Owners=['amazon', '123'], ImageIds=['ami-1']))
show('EC2_SPOT_PRICE_HISTORY', capture(
    'ec2', 'describe_spot_price_history', StartTime=T,
    EndTime=datetime.datetime(2026, 11, 26, tzinfo=datetime.timezone.utc)))

show('STS_ASSUME_ROLE', capture(
    'sts', 'assume_role', RoleArn='arn:aws:iam::123456789012:role/r', RoleSessionName='sess',
    DurationSeconds=900, Tags=[{'Key': 'k1', 'Value': 'v1'}, {'Key': 'k2', 'Value': 'v 2'}],
    PolicyArns=[{'arn': 'arn:aws:iam::aws:policy/ReadOnlyAccess'}], TransitiveTagKeys=[]))
show('ELBV2_CREATE_TG', capture(
    'elbv2', 'create_target_group', Name='tg', Protocol='HTTP', Port=80, VpcId='vpc-1',
    HealthCheckEnabled=True, HealthCheckPath='/health?x=1', Matcher={'HttpCode': '200-299'},
    Tags=[{'Key': 'env', 'Value': 'dev'}]))
show('ASG_CREATE', capture(
    'autoscaling', 'create_auto_scaling_group', AutoScalingGroupName='asg', MinSize=1, MaxSize=3,
    AvailabilityZones=['us-east-1a', 'us-east-1b'], TargetGroupARNs=[],
    LaunchTemplate={'LaunchTemplateId': 'lt-1', 'Version': '$Latest'},
    Tags=[{'Key': 'Name', 'Value': 'w', 'PropagateAtLaunch': True,
           'ResourceId': 'asg', 'ResourceType': 'auto-scaling-group'}]))
show('SNS_CREATE_TOPIC', capture(
    'sns', 'create_topic', Name='t', Attributes={'DisplayName': 'My topic', 'Policy': '{"a":1}'},
    Tags=[{'Key': 'k', 'Value': 'v'}]))
show('SNS_PUBLISH', capture(
    'sns', 'publish', TopicArn='arn:aws:sns:us-east-1:123456789012:t', Message='hello=world&x',
    MessageAttributes={'attr1': {'DataType': 'String', 'StringValue': 'v1'},
                       'bin': {'DataType': 'Binary', 'BinaryValue': b'\x00\x01\xfe\xff'}}))

session = botocore.session.get_session()
cw = session.get_service_model('cloudwatch')
show('CW_PUT_METRIC_DATA_QUERY', serialize_with('query', cw, 'PutMetricData', {
    'Namespace': 'App', 'MetricData': [{
        'MetricName': 'Latency', 'Dimensions': [{'Name': 'Host', 'Value': 'a'}],
        'Timestamp': T, 'Value': 1.5, 'Values': [0.1, 2.0, 1e-7], 'Counts': [1.0, 3.0],
        'Unit': 'Milliseconds', 'StorageResolution': 1}]}))

flat = flat_model()
show('FLAT_GO', serialize_with('query', flat, 'Go', {
    'Flat': ['a', 'b'], 'FlatNamed': ['c'], 'FlatShape': ['d', 'e'], 'Named': ['f'],
    'FlatMap': {'k1': 'v1'}, 'Map': {'k2': 'v2', 'k3': ''},
    'Things': {'t1': {'Kind': 'big', 'Id': 'x', 'Size': 3}}, 'Nested': [['a', 'b'], []],
    'Data': b'hi!', 'When': T, 'At': T, 'Ok': True, 'Ratio': float('inf'),
    'Big': 9007199254740993, 'Count': -5}))
show('FLAT_GO_EMPTY', serialize_with('query', flat, 'Go', {
    'Flat': [], 'FlatNamed': [], 'Named': [], 'Map': {}}))
