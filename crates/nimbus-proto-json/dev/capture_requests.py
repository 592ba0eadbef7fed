"""Dev-time helper: prints what botocore actually sends for a few json / rpc-v2-cbor calls.

The output was pasted into `tests/fixtures.rs` as test vectors (data produced by botocore,
not code). Re-run after a botocore upgrade to see whether anything changed:

    python3 crates/nimbus-proto-json/dev/capture_requests.py

CloudWatch's model lists `["smithy-rpc-v2-cbor", "json", "query"]`, but botocore resolves
the protocol by *its own* priority order (`PRIORITY_ORDERED_SUPPORTED_PROTOCOLS`, where
`json` comes first), so a stock client speaks awsJson1_0 to CloudWatch. To see the CBOR
wire form through the whole client path we copy the model into a temporary data dir
whose `protocols` lists only `smithy-rpc-v2-cbor` and point `AWS_DATA_PATH` at it.
"""
import datetime
import gzip
import json
import os
import tempfile

import botocore
import botocore.session


class Stop(Exception):
    pass


def make_cbor_data_path():
    src = os.path.join(os.path.dirname(botocore.__file__), 'data', 'cloudwatch',
                       '2010-08-01', 'service-2.json.gz')
    model = json.load(gzip.open(src))
    model['metadata']['protocols'] = ['smithy-rpc-v2-cbor']
    model['metadata']['protocol'] = 'smithy-rpc-v2-cbor'
    root = tempfile.mkdtemp()
    dst = os.path.join(root, 'cloudwatch', '2010-08-01')
    os.makedirs(dst)
    with open(os.path.join(dst, 'service-2.json'), 'w') as f:
        json.dump(model, f)
    return root


def capture(service, op, data_path=None, **params):
    session = botocore.session.get_session()
    if data_path:
        session.set_config_variable('data_path', data_path)
    client = session.create_client(
        service, region_name='us-east-1', endpoint_url='http://127.0.0.1:1',
        aws_access_key_id='x', aws_secret_access_key='y')
    seen = {}

    def hook(request, **_):
        seen['req'] = request
        raise Stop()

    client.meta.events.register('before-send', hook)
    try:
        getattr(client, op)(**params)
    except Stop:
        pass
    req = seen['req']
    body = req.body if isinstance(req.body, bytes) else (req.body or '').encode()
    keep = ('x-amz-target', 'content-type', 'smithy-protocol', 'x-amzn-query-mode',
            'accept', 'content-encoding')
    headers = {k: v for k, v in req.headers.items() if k.lower() in keep}
    return req.url, headers, body


def show(name, captured, binary):
    url, headers, body = captured
    print(f'// {name}: POST {url}')
    for k, v in headers.items():
        v = v.decode() if isinstance(v, bytes) else v
        print(f'//   {k}: {v}')
    if binary:
        print(f'pub const {name}: &str = "{body.hex()}";')
    else:
        text = body.decode().replace('\\', '\\\\').replace('"', '\\"')
        print(f'pub const {name}: &str = "{text}";')
    print()


T = datetime.datetime(2026, 11, 25, 10, 5, 22, tzinfo=datetime.timezone.utc)
PUT = dict(Namespace='Nimbus/Test', MetricData=[
    {'MetricName': 'Latency', 'Dimensions': [{'Name': 'Host', 'Value': 'web-1'},
                                             {'Name': 'Env', 'Value': 'prod'}],
     'Timestamp': T, 'Values': [1.5, 2.0, 300.25], 'Counts': [1.0, 2.0, 1.0],
     'Unit': 'Milliseconds', 'StorageResolution': 60},
    {'MetricName': 'Requests', 'Timestamp': T,
     'StatisticValues': {'SampleCount': 4.0, 'Sum': 10.0, 'Minimum': 1.0, 'Maximum': 4.0},
     'Unit': 'Count'},
    {'MetricName': 'Temp', 'Value': -12.5},
])
GET = dict(Namespace='AWS/EC2', MetricName='CPUUtilization',
           Dimensions=[{'Name': 'InstanceId', 'Value': 'i-0123456789abcdef0'}],
           StartTime=T, EndTime=T + datetime.timedelta(hours=1), Period=300,
           Statistics=['Average', 'Maximum'], Unit='Percent')

cbor_path = make_cbor_data_path()
show('CW_PUT_METRIC_DATA_JSON', capture('cloudwatch', 'put_metric_data', **PUT), False)
show('CW_GET_METRIC_STATISTICS_JSON',
     capture('cloudwatch', 'get_metric_statistics', **GET), False)
show('CW_PUT_METRIC_DATA_CBOR',
     capture('cloudwatch', 'put_metric_data', data_path=cbor_path, **PUT), True)
show('CW_GET_METRIC_STATISTICS_CBOR',
     capture('cloudwatch', 'get_metric_statistics', data_path=cbor_path, **GET), True)
show('CW_LIST_METRICS_EMPTY_CBOR',
     capture('cloudwatch', 'list_metrics', data_path=cbor_path), True)
show('ACM_LIST_CERTIFICATES_JSON', capture(
    'acm', 'list_certificates', CertificateStatuses=['ISSUED', 'PENDING_VALIDATION'],
    Includes={'keyTypes': ['RSA_2048', 'EC_prime256v1']}, MaxItems=10), False)
show('ACM_LIST_CERTIFICATES_EMPTY_JSON', capture('acm', 'list_certificates'), False)
