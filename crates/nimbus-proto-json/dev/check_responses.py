"""Dev-time check: parses the responses this crate renders with botocore's own parsers
(the ones the real CLI uses) and prints what botocore makes of them, including the error
code/class a client would raise. Usage (from the workspace root):

    cargo run -q -p nimbus-proto-json --example dump_responses \
        | python3 crates/nimbus-proto-json/dev/check_responses.py

Exits non-zero if botocore fails to parse any response.
"""
import ast
import sys

import botocore.session
from botocore.parsers import create_parser

session = botocore.session.get_session()
failed = False
for line in sys.stdin:
    protocol, service, op, status, headers, body = line.rstrip('\n').split('\t')
    model = session.get_service_model(service)
    op_model = model.operation_model(op)
    hdrs = {}
    for k, v in ast.literal_eval(headers).items():
        hdrs[k] = v
    from botocore.awsrequest import HeadersDict
    response = {'status_code': int(status), 'headers': HeadersDict(hdrs),
                'body': bytes.fromhex(body)}
    try:
        parsed = create_parser(protocol).parse(response, op_model.output_shape)
    except Exception as e:  # noqa: BLE001 - report every failure
        failed = True
        print(f'FAIL {protocol} {service} {op} {status}: {type(e).__name__}: {e}')
        continue
    if 'Error' in parsed:
        client = session.create_client(service, region_name='us-east-1',
                                       aws_access_key_id='x', aws_secret_access_key='y')
        code = parsed['Error'].get('Code')
        cls = client.exceptions.from_code(code).__name__
        print(f'ok  {protocol:18} {service} {op} {status} Error={parsed["Error"]} -> {cls}')
    else:
        parsed.pop('ResponseMetadata', None)
        print(f'ok  {protocol:18} {service} {op} {status} {parsed}')
sys.exit(1 if failed else 0)
