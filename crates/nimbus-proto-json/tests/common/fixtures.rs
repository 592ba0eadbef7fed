//! Request bodies captured from botocore 1.43.11 with `dev/capture_requests.py` (data, not
//! code). CBOR bodies are hex. The request line and headers botocore sent are recorded in
//! the comments. A stock botocore client speaks `json` to CloudWatch; the CBOR bodies were
//! captured by forcing `smithy-rpc-v2-cbor` through a model copy under `AWS_DATA_PATH`.

// CW_PUT_METRIC_DATA_JSON: POST http://127.0.0.1:1/
//   X-Amz-Target: GraniteServiceVersion20100801.PutMetricData
//   Content-Type: application/x-amz-json-1.0
//   x-amzn-query-mode: true
pub const CW_PUT_METRIC_DATA_JSON: &str = "{\"Namespace\": \"Nimbus/Test\", \"MetricData\": [{\"MetricName\": \"Latency\", \"Dimensions\": [{\"Name\": \"Host\", \"Value\": \"web-1\"}, {\"Name\": \"Env\", \"Value\": \"prod\"}], \"Timestamp\": 1795601122, \"Values\": [1.5, 2.0, 300.25], \"Counts\": [1.0, 2.0, 1.0], \"Unit\": \"Milliseconds\", \"StorageResolution\": 60}, {\"MetricName\": \"Requests\", \"Timestamp\": 1795601122, \"StatisticValues\": {\"SampleCount\": 4.0, \"Sum\": 10.0, \"Minimum\": 1.0, \"Maximum\": 4.0}, \"Unit\": \"Count\"}, {\"MetricName\": \"Temp\", \"Value\": -12.5}]}";

// CW_GET_METRIC_STATISTICS_JSON: POST http://127.0.0.1:1/
//   X-Amz-Target: GraniteServiceVersion20100801.GetMetricStatistics
//   Content-Type: application/x-amz-json-1.0
//   x-amzn-query-mode: true
pub const CW_GET_METRIC_STATISTICS_JSON: &str = "{\"Namespace\": \"AWS/EC2\", \"MetricName\": \"CPUUtilization\", \"Dimensions\": [{\"Name\": \"InstanceId\", \"Value\": \"i-0123456789abcdef0\"}], \"StartTime\": 1795601122, \"EndTime\": 1795604722, \"Period\": 300, \"Statistics\": [\"Average\", \"Maximum\"], \"Unit\": \"Percent\"}";

// CW_PUT_METRIC_DATA_CBOR: POST http://127.0.0.1:1/service/GraniteServiceVersion20100801/operation/PutMetricData
//   smithy-protocol: rpc-v2-cbor
//   x-amzn-query-mode: true
//   Accept: application/cbor
//   Content-Type: application/cbor
pub const CW_PUT_METRIC_DATA_CBOR: &str = "a2694e616d6573706163656b4e696d6275732f546573746a4d65747269634461746183a76a4d65747269634e616d65674c6174656e63796a44696d656e73696f6e7382a2644e616d6564486f73746556616c7565657765622d31a2644e616d6563456e766556616c75656470726f646954696d657374616d70c11a6b06b2e26656616c75657383fb3ff8000000000000fb4000000000000000fb4072c4000000000066436f756e747383fb3ff0000000000000fb4000000000000000fb3ff000000000000064556e69746c4d696c6c697365636f6e64737153746f726167655265736f6c7574696f6e183ca46a4d65747269634e616d656852657175657374736954696d657374616d70c11a6b06b2e26f53746174697374696356616c756573a46b53616d706c65436f756e74fb40100000000000006353756dfb4024000000000000674d696e696d756dfb3ff0000000000000674d6178696d756dfb401000000000000064556e697465436f756e74a26a4d65747269634e616d656454656d706556616c7565fbc029000000000000";

// CW_GET_METRIC_STATISTICS_CBOR: POST http://127.0.0.1:1/service/GraniteServiceVersion20100801/operation/GetMetricStatistics
//   smithy-protocol: rpc-v2-cbor
//   x-amzn-query-mode: true
//   Accept: application/cbor
//   Content-Type: application/cbor
pub const CW_GET_METRIC_STATISTICS_CBOR: &str = "a8694e616d657370616365674157532f4543326a4d65747269634e616d656e4350555574696c697a6174696f6e6a44696d656e73696f6e7381a2644e616d656a496e7374616e636549646556616c756573692d303132333435363738396162636465663069537461727454696d65c11a6b06b2e267456e6454696d65c11a6b06c0f266506572696f6419012c6a53746174697374696373826741766572616765674d6178696d756d64556e69746750657263656e74";

// CW_LIST_METRICS_EMPTY_CBOR: POST http://127.0.0.1:1/service/GraniteServiceVersion20100801/operation/ListMetrics
//   smithy-protocol: rpc-v2-cbor
//   x-amzn-query-mode: true
//   Accept: application/cbor
//   Content-Type: application/cbor
pub const CW_LIST_METRICS_EMPTY_CBOR: &str = "a0";

// ACM_LIST_CERTIFICATES_JSON: POST http://127.0.0.1:1/
//   X-Amz-Target: CertificateManager.ListCertificates
//   Content-Type: application/x-amz-json-1.1
pub const ACM_LIST_CERTIFICATES_JSON: &str = "{\"CertificateStatuses\": [\"ISSUED\", \"PENDING_VALIDATION\"], \"Includes\": {\"keyTypes\": [\"RSA_2048\", \"EC_prime256v1\"]}, \"MaxItems\": 10}";

// ACM_LIST_CERTIFICATES_EMPTY_JSON: POST http://127.0.0.1:1/
//   X-Amz-Target: CertificateManager.ListCertificates
//   Content-Type: application/x-amz-json-1.1
pub const ACM_LIST_CERTIFICATES_EMPTY_JSON: &str = "{}";
