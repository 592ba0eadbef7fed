"""Dev-time helper: writes tests/all/models.rs, small static ServiceModels that mirror
subsets of botocore's real models (plus the made-up FLAT model of flat_model.py).

Only the listed structures are kept; members pointing elsewhere are dropped, lists/maps
are kept when their items are, and scalar shapes collapse to one shape per type. The
output is committed; re-run after a botocore upgrade and review the diff:

    python3 crates/nimbus-proto-query/dev/gen_test_models.py > crates/nimbus-proto-query/tests/all/models.rs
"""
import botocore.session

from flat_model import flat_model

SERVICES = [
    # (rust name, botocore name, operations, structures to keep)
    ('EC2', 'ec2',
     ['AuthorizeSecurityGroupIngress', 'DescribeSecurityGroups', 'RunInstances', 'DescribeImages',
      'DescribeSpotPriceHistory', 'DescribeInstances', 'CreateSecurityGroup', 'CreateTags'],
     ['AuthorizeSecurityGroupIngressRequest', 'IpPermission', 'IpRange', 'Ipv6Range',
      'UserIdGroupPair', 'DescribeSecurityGroupsRequest', 'Filter', 'DescribeSecurityGroupsResult',
      'SecurityGroup', 'Tag', 'RunInstancesRequest', 'BlockDeviceMapping', 'EbsBlockDevice',
      'TagSpecification', 'InstanceNetworkInterfaceSpecification', 'InstanceIpv6Address',
      'PrivateIpAddressSpecification', 'DescribeImagesRequest', 'DescribeSpotPriceHistoryRequest',
      'DescribeSpotPriceHistoryResult', 'SpotPrice', 'DescribeInstancesRequest',
      'CreateSecurityGroupRequest', 'CreateSecurityGroupResult', 'CreateTagsRequest']),
    ('STS', 'sts', ['AssumeRole', 'GetCallerIdentity'],
     ['AssumeRoleRequest', 'AssumeRoleResponse', 'Credentials', 'AssumedRoleUser', 'Tag',
      'PolicyDescriptorType', 'GetCallerIdentityRequest', 'GetCallerIdentityResponse']),
    ('ELBV2', 'elbv2', ['CreateTargetGroup'],
     ['CreateTargetGroupInput', 'CreateTargetGroupOutput', 'TargetGroup', 'Matcher', 'Tag']),
    ('AUTOSCALING', 'autoscaling', ['CreateAutoScalingGroup'],
     ['CreateAutoScalingGroupType', 'LaunchTemplateSpecification', 'Tag']),
    ('SNS', 'sns', ['CreateTopic', 'Publish', 'GetTopicAttributes'],
     ['CreateTopicInput', 'CreateTopicResponse', 'Tag', 'PublishInput', 'MessageAttributeValue',
      'PublishResponse', 'GetTopicAttributesInput', 'GetTopicAttributesResponse']),
    ('CLOUDWATCH', 'cloudwatch', ['PutMetricData', 'GetMetricStatistics'],
     ['PutMetricDataInput', 'MetricDatum', 'Dimension', 'StatisticSet', 'GetMetricStatisticsInput',
      'GetMetricStatisticsOutput', 'Datapoint']),
]

SCALARS = {'string': 'String { enum_values: &[] }', 'integer': 'Integer', 'long': 'Long',
           'float': 'Float', 'double': 'Double', 'boolean': 'Boolean'}
TS = {None: 'None', 'iso8601': 'Some(TimestampFormat::Iso8601)',
      'unixTimestamp': 'Some(TimestampFormat::UnixTimestamp)', 'rfc822': 'Some(TimestampFormat::Rfc822)'}


def lit(s):
    return 'None' if s is None else f'Some("{s}")'


def gen(rust, model, ops, keep):
    shapes = model._service_description['shapes']
    order, ids, out = [], {}, []

    def scalar_key(name):
        sh = shapes[name]
        t = sh['type']
        if t in SCALARS:
            return t
        if t == 'timestamp':
            return 'timestamp:' + str(sh.get('timestampFormat'))
        if t == 'blob':
            return 'blob'
        return None

    def ok(name, seen=()):
        """Whether a shape survives the pruning."""
        sh = shapes[name]
        if scalar_key(name):
            return True
        if sh['type'] == 'structure':
            return name in keep
        if name in seen:
            return False
        if sh['type'] == 'list':
            return ok(sh['member']['shape'], seen + (name,))
        if sh['type'] == 'map':
            return ok(sh['value']['shape'], seen + (name,))
        return False

    def sid(name):
        key = scalar_key(name) or name
        if key not in ids:
            ids[key] = len(order)
            order.append((key, name))
        return ids[key]

    for op in ops:
        o = model._service_description['operations'][op]
        for part in ('input', 'output'):
            if part in o:
                sid(o[part]['shape'])
    for name in keep:
        if name in shapes:
            sid(name)
    i = 0
    while i < len(order):
        key, name = order[i]
        sh = shapes[name]
        if sh['type'] == 'structure':
            for m in sh.get('members', {}).values():
                if ok(m['shape']):
                    sid(m['shape'])
        elif sh['type'] == 'list':
            sid(sh['member']['shape'])
        elif sh['type'] == 'map':
            sid(sh['key']['shape'])
            sid(sh['value']['shape'])
        i += 1

    def shape_src(key, name):
        sh = shapes[name]
        t = sh['type']
        if t in SCALARS:
            return f'scalar("{t}", ShapeKind::{SCALARS[t]})'
        if t == 'timestamp':
            return f'scalar("{key}", ShapeKind::Timestamp {{ format: {TS[sh.get("timestampFormat")]} }})'
        if t == 'blob':
            return 'scalar("blob", ShapeKind::Blob { streaming: false })'
        if t == 'list':
            m = sh['member']
            return (f'list("{name}", {ids[scalar_key(m["shape"]) or m["shape"]]}, '
                    f'{lit(m.get("locationName"))}, {str(bool(sh.get("flattened"))).lower()})')
        if t == 'map':
            k, v = sh['key'], sh['value']
            return (f'map("{name}", {ids[scalar_key(k["shape"]) or k["shape"]]}, '
                    f'{ids[scalar_key(v["shape"]) or v["shape"]]}, {lit(k.get("locationName"))}, '
                    f'{lit(v.get("locationName"))}, {str(bool(sh.get("flattened"))).lower()})')
        members = []
        for mname, m in sh.get('members', {}).items():
            if not ok(m['shape']):
                continue
            target = ids[scalar_key(m['shape']) or m['shape']]
            fields = []
            if 'locationName' in m:
                fields.append(f'location_name: Some("{m["locationName"]}")')
            if 'queryName' in m:
                fields.append(f'query_name: Some("{m["queryName"]}")')
            if m.get('flattened'):
                fields.append('flattened: true')
            if m.get('xmlAttribute'):
                fields.append('xml_attribute: true')
            if 'timestampFormat' in m:
                fields.append(f'timestamp_format: {TS[m["timestampFormat"]]}')
            if fields:
                members.append(f'Member {{ {", ".join(fields)}, ..mem("{mname}", {target}) }}')
            else:
                members.append(f'mem("{mname}", {target})')
        if not members:
            return f'structure("{name}", &[])'
        body = ',\n        '.join(members)
        return f'structure("{name}", &[\n        {body},\n    ])'

    md = model.metadata
    print(f'pub static {rust}_SHAPES: [Shape; {len(order)}] = [')
    for idx, (key, name) in enumerate(order):
        print(f'    // {idx}')
        print(f'    {shape_src(key, name)},')
    print('];')
    print()
    print(f'pub static {rust}: ServiceModel = service(')
    print(f'    "{model.service_name}",')
    print(f'    {lit(md.get("xmlNamespace"))},')
    print(f'    "{md["apiVersion"]}",')
    print(f'    Protocol::{"Ec2" if md["protocol"] == "ec2" else "Query"},')
    print('    &[')
    for op in sorted(ops):  # ServiceModel::operation binary-searches by name
        o = model._service_description['operations'][op]
        inp = o.get('input', {}).get('shape')
        outp = o.get('output', {}).get('shape')
        wrap = o.get('output', {}).get('resultWrapper')
        print(f'        op("{op}", {"None" if inp is None else f"Some({ids[inp]})"}, '
              f'{"None" if outp is None else f"Some({ids[outp]})"}, {lit(wrap)}),')
    print('    ],')
    print(f'    &{rust}_SHAPES,')
    print(');')
    print()
    print('#[allow(non_upper_case_globals, dead_code)]')
    print(f'pub mod {rust.lower()} {{')
    print('    use nimbus_wire::ShapeId;')
    for key, name in order:
        if not scalar_key(name):
            print(f'    pub const {name}: ShapeId = ShapeId({ids[key]});')
    print('}')
    print()


print('''//! Static service models for the tests: subsets of botocore's real `ec2`, `sts`, `elbv2`,
//! `autoscaling`, `sns` and `cloudwatch` models (names, location names, query names and
//! flattening exactly as botocore has them) and the made-up `flat` model of
//! `dev/flat_model.py`. Generated by `dev/gen_test_models.py`; do not edit by hand.

#![allow(dead_code)]

use nimbus_wire::model::*;
use nimbus_wire::{Operation, Protocol, ServiceModel, ShapeId};

pub const fn mem(name: &'static str, shape: u16) -> Member {
    Member {
        name,
        shape: ShapeId(shape),
        location: Location::Body,
        location_name: None,
        query_name: None,
        xml_namespace: None,
        xml_attribute: false,
        flattened: false,
        timestamp_format: None,
        required: false,
        idempotency_token: false,
        host_label: false,
    }
}

pub const fn structure(name: &'static str, members: &'static [Member]) -> Shape {
    Shape {
        name,
        kind: ShapeKind::Structure(Structure {
            members,
            payload: None,
            error: None,
            location_name: None,
            xml_namespace: None,
            exception: false,
        }),
    }
}

pub const fn list(name: &'static str, member: u16, loc: Option<&'static str>, flattened: bool) -> Shape {
    Shape {
        name,
        kind: ShapeKind::List(ListShape {
            member: ShapeId(member),
            member_location_name: loc,
            flattened,
        }),
    }
}

pub const fn map(
    name: &'static str,
    key: u16,
    value: u16,
    key_loc: Option<&'static str>,
    value_loc: Option<&'static str>,
    flattened: bool,
) -> Shape {
    Shape {
        name,
        kind: ShapeKind::Map(MapShape {
            key: ShapeId(key),
            value: ShapeId(value),
            key_location_name: key_loc,
            value_location_name: value_loc,
            flattened,
        }),
    }
}

pub const fn scalar(name: &'static str, kind: ShapeKind) -> Shape {
    Shape { name, kind }
}

pub const fn op(
    name: &'static str,
    input: Option<u16>,
    output: Option<u16>,
    result_wrapper: Option<&'static str>,
) -> Operation {
    Operation {
        name,
        http_method: "POST",
        request_uri: "/",
        response_code: 200,
        input: match input {
            Some(i) => Some(ShapeId(i)),
            None => None,
        },
        output: match output {
            Some(i) => Some(ShapeId(i)),
            None => None,
        },
        result_wrapper,
        errors: &[],
        implemented: true,
    }
}

pub const fn service(
    name: &'static str,
    xml_namespace: Option<&'static str>,
    api_version: &'static str,
    protocol: Protocol,
    operations: &'static [Operation],
    shapes: &'static [Shape],
) -> ServiceModel {
    ServiceModel {
        name,
        service_id: name,
        endpoint_prefix: name,
        signing_name: name,
        iam_prefix: name,
        api_version,
        protocols: match protocol {
            Protocol::Ec2 => &[Protocol::Ec2],
            _ => &[Protocol::Query],
        },
        target_prefix: None,
        json_version: None,
        xml_namespace,
        query_compatible: false,
        operations,
        shapes,
    }
}
''')

session = botocore.session.get_session()
for rust, svc, ops, keep in SERVICES:
    gen(rust, session.get_service_model(svc), ops, keep)
fm = flat_model()
gen('FLAT', fm, list(fm._service_description['operations']),
    [n for n, s in fm._service_description['shapes'].items() if s['type'] == 'structure'])
