"""Dev-time check: feeds every expected body in tests/all/responses.rs to botocore's own
response parser (`QueryParser` / `EC2QueryParser`) with the real output shapes and compares
the result with what a client should see. Run after changing the XML writer or a vector:

    python3 crates/nimbus-proto-query/dev/check_responses.py

Timestamps are compared as epoch seconds; bytes as bytes.
"""
import ast
import datetime
import math
import os
import re
import sys

import botocore.session
from botocore.parsers import create_parser

from flat_model import flat_model

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, '..', 'tests', 'all', 'responses.rs')
T0 = datetime.datetime(2026, 11, 25, 10, 5, 22, 123000, tzinfo=datetime.timezone.utc).timestamp()
MD = {'ResponseMetadata': {'RequestId': 'req-1'}}

CASES = {
    'STS_ASSUME_ROLE_XML': ('sts', 'AssumeRole', 200, {
        'Credentials': {'AccessKeyId': 'ASIAEXAMPLE', 'SecretAccessKey': 'secret/+=',
                        'SessionToken': 'token', 'Expiration': T0},
        'AssumedRoleUser': {'AssumedRoleId': 'AROA1:sess',
                            'Arn': 'arn:aws:sts::123456789012:assumed-role/r/sess'},
        'PackedPolicySize': 6, **MD}),
    'STS_GET_CALLER_IDENTITY_XML': ('sts', 'GetCallerIdentity', 200, {
        'UserId': 'AIDAEXAMPLE', 'Account': '123456789012',
        'Arn': 'arn:aws:iam::123456789012:user/alice', **MD}),
    'ELBV2_CREATE_TG_XML': ('elbv2', 'CreateTargetGroup', 200, {'TargetGroups': [{
        'TargetGroupArn': 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tg/1',
        'TargetGroupName': 'tg', 'Protocol': 'HTTP', 'Port': 80, 'VpcId': 'vpc-1',
        'HealthCheckEnabled': True, 'HealthCheckPath': '/health?a=1&b=<2>',
        'Matcher': {'HttpCode': '200'}, 'LoadBalancerArns': []}], **MD}),
    'ASG_CREATE_XML': ('autoscaling', 'CreateAutoScalingGroup', 200, {**MD}),
    'SNS_GET_TOPIC_ATTRIBUTES_XML': ('sns', 'GetTopicAttributes', 200, {
        'Attributes': {'DisplayName': 'My topic', 'Policy': '{"a":"<b>"}'}, **MD}),
    'SNS_CREATE_TOPIC_EMPTY_XML': ('sns', 'CreateTopic', 200, {**MD}),
    'CW_GET_METRIC_STATISTICS_XML': ('cloudwatch', 'GetMetricStatistics', 200, {
        'Label': 'Latency', 'Datapoints': [{
            'Timestamp': T0, 'SampleCount': 3.0, 'Average': 0.1, 'Maximum': 1e-7,
            'Unit': 'Seconds', 'ExtendedStatistics': {'p99': 2.25}}], **MD}),
    'FLAT_GO_XML': ('flat', 'Go', 200, {
        'Flat': ['a', 'b'], 'FlatNamed': ['c'], 'Named': ['f', 'g'], 'Empty': [],
        'FlatMap': {'k1': 'v1', 'k2': 'v2'}, 'Map': {'k3': '', 'k&4': 'v<4>'},
        'Things': {'t1': {'Kind': 'big', 'Id': 'x', 'Size': 3}},
        'ThingList': [{'Id': 'y', 'Size': -1}, {'Kind': 'a"b', 'Id': 'z', 'Size': 0}],
        'Data': b'\x00\x01\xfe\xff', 'When': T0, 'At': T0 - 0.123, 'Ok': False,
        'Ratio': float('inf'), 'Big': 9007199254740993,
        'Text': 'line1\nline2\r\t& \'quoted\' "x" \u00fc', **MD}),
    'FLAT_BARE_XML': ('flat', 'Bare', 200, {'Text': 'hi', **MD}),
    'FLAT_GO_MISFIT_XML': ('flat', 'Go', 200, None),  # must merely parse
    'QUERY_SENDER_ERROR_XML': ('sts', None, 400, {
        'Error': {'Type': 'Sender', 'Code': 'ValidationError',
                  'Message': "1 validation error: <Name> & 'x'", 'Resource': 'arn:x'},
        'ResponseMetadata': {'RequestId': 'req-2'}}),
    'QUERY_RECEIVER_ERROR_XML': ('elbv2', None, 503, {
        'Error': {'Type': 'Receiver', 'Code': 'ServiceUnavailable', 'Message': 'try later'},
        'ResponseMetadata': {'RequestId': 'req-3'}}),
    'EC2_DESCRIBE_SGS_XML': ('ec2', 'DescribeSecurityGroups', 200, {'SecurityGroups': [{
        'GroupId': 'sg-1', 'GroupName': 'web', 'Description': 'web servers',
        'OwnerId': '123456789012', 'VpcId': 'vpc-1',
        'IpPermissions': [{'IpProtocol': 'tcp', 'FromPort': 22, 'ToPort': 22,
                           'IpRanges': [{'CidrIp': '10.0.0.0/8', 'Description': 'ssh & <admin>'}],
                           'UserIdGroupPairs': [{'GroupId': 'sg-2', 'UserId': '123456789012'}],
                           'Ipv6Ranges': []}],
        'IpPermissionsEgress': [{'IpProtocol': '-1', 'IpRanges': [{'CidrIp': '0.0.0.0/0'}]}],
        'Tags': [{'Key': 'Name', 'Value': 'web'}]}], **MD}),
    'EC2_CREATE_SG_XML': ('ec2', 'CreateSecurityGroup', 200, {
        'GroupId': 'sg-1', 'Tags': [{'Key': 'a', 'Value': '1'}, {'Key': 'b', 'Value': ''}], **MD}),
    'EC2_CREATE_TAGS_XML': ('ec2', 'CreateTags', 200, {**MD}),
    'EC2_SPOT_PRICE_XML': ('ec2', 'DescribeSpotPriceHistory', 200, {
        'NextToken': '', 'SpotPriceHistory': [{
            'AvailabilityZone': 'us-east-1a', 'InstanceType': 't3.micro',
            'ProductDescription': 'Linux/UNIX', 'SpotPrice': '0.003100', 'Timestamp': T0}], **MD}),
    'EC2_SPOT_PRICE_EMPTY_XML': ('ec2', 'DescribeSpotPriceHistory', 200, {**MD}),
    'EC2_ERROR_XML': ('ec2', None, 400, {
        'Error': {'Code': 'InvalidGroup.NotFound',
                  'Message': "The security group 'sg-<1>' does not exist"},
        'ResponseMetadata': {'RequestId': 'req-9'}}),
}


def normalize(v):
    if isinstance(v, dict):
        return {k: normalize(x) for k, x in v.items()}
    if isinstance(v, list):
        return [normalize(x) for x in v]
    if isinstance(v, datetime.datetime):
        return round(v.timestamp(), 3)
    if isinstance(v, float) and not math.isinf(v):
        return round(v, 12)
    return v


def main():
    text = open(SRC, encoding='utf-8').read()
    consts = {m.group(1): ast.literal_eval(m.group(2))
              for m in re.finditer(r'pub const (\w+): &str =\s*("(?:[^"\\]|\\.)*");', text)}
    session = botocore.session.get_session()
    models = {'flat': flat_model()}
    failures = 0
    for name, (svc, op, status, expected) in CASES.items():
        model = models.get(svc) or models.setdefault(svc, session.get_service_model(svc))
        protocol = 'ec2' if svc == 'ec2' else 'query'
        shape = model.operation_model(op).output_shape if op else None
        body = consts[name].encode('utf-8')
        parsed = create_parser(protocol).parse(
            {'body': body, 'headers': {}, 'status_code': status}, shape)
        parsed.get('ResponseMetadata', {}).pop('HTTPStatusCode', None)
        parsed.get('ResponseMetadata', {}).pop('HTTPHeaders', None)
        if expected is not None and normalize(parsed) != normalize(expected):
            failures += 1
            print(f'MISMATCH {name}\n  got:      {normalize(parsed)}\n  expected: {normalize(expected)}')
        else:
            print(f'ok {name}')
    missing = set(consts) - set(CASES)
    if missing:
        print('not checked:', sorted(missing))
        failures += 1
    sys.exit(1 if failures else 0)


if __name__ == '__main__':
    main()
