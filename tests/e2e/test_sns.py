"""SNS with the real aws CLI and boto3: topics (attributes, default policy, FIFO rules,
idempotent creation, tags), http subscriptions that really receive a SubscriptionConfirmation
POST and Notification POSTs from a local HTTP server in the test, confirmation by token and
by SubscribeURL, retries when the endpoint fails, email/email-json into the outbox
(GET /_nimbus/sns/outbox), egress refused off loopback, publish-batch, and a CloudWatch alarm
whose ALARM and OK actions deliver AWS's alarm notification to the http subscriber."""

import json
import queue
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from conftest import AwsCliError, unique


class Receiver:
    """A local HTTP endpoint recording every POST; answers `status` (a list consumed first)."""

    def __init__(self):
        self.posts = queue.Queue()
        self.statuses = []
        outer = self

        class H(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = outer.statuses.pop(0) if outer.statuses else 200
                outer.posts.put((dict(self.headers), body.decode(), status))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def next(self, timeout=15):
        return self.posts.get(timeout=timeout)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def subscribe_http(n, topic, receiver):
    out = n.aws("sns", "subscribe", "--topic-arn", topic, "--protocol", "http",
                "--notification-endpoint", receiver.url)
    assert out["SubscriptionArn"] == "pending confirmation"
    headers, body, _ = receiver.next()
    assert headers["x-amz-sns-message-type"] == "SubscriptionConfirmation"
    assert headers["x-amz-sns-topic-arn"] == topic
    msg = json.loads(body)
    assert msg["Type"] == "SubscriptionConfirmation" and msg["TopicArn"] == topic
    assert msg["Message"].startswith(f"You have chosen to subscribe to the topic {topic}.")
    arn = n.aws("sns", "confirm-subscription", "--topic-arn", topic, "--token", msg["Token"])["SubscriptionArn"]
    assert arn.startswith(topic + ":")
    return arn, msg


def test_topics(nimbus):
    name = unique("orders")
    arn = nimbus.aws("sns", "create-topic", "--name", name, "--attributes", "DisplayName=Orders",
                     "--tags", "Key=team,Value=shop")["TopicArn"]
    assert arn == f"arn:aws:sns:us-east-1:000000000000:{name}"
    # Idempotent by name; different attributes are refused.
    assert nimbus.aws("sns", "create-topic", "--name", name)["TopicArn"] == arn
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("sns", "create-topic", "--name", name, "--attributes", "DisplayName=Other")
    assert "InvalidParameter" in e.value.stderr
    attrs = nimbus.aws("sns", "get-topic-attributes", "--topic-arn", arn)["Attributes"]
    assert attrs["DisplayName"] == "Orders" and attrs["Owner"] == "000000000000"
    assert attrs["SubscriptionsConfirmed"] == "0" and attrs["SubscriptionsPending"] == "0"
    policy = json.loads(attrs["Policy"])
    assert policy["Id"] == "__default_policy_ID" and policy["Statement"][0]["Resource"] == arn
    assert json.loads(attrs["EffectiveDeliveryPolicy"])["http"]["defaultHealthyRetryPolicy"]["numRetries"] == 3
    nimbus.aws("sns", "set-topic-attributes", "--topic-arn", arn, "--attribute-name", "DisplayName",
               "--attribute-value", "Shop orders")
    assert nimbus.aws("sns", "get-topic-attributes", "--topic-arn", arn)["Attributes"]["DisplayName"] == "Shop orders"
    assert {"TopicArn": arn} in nimbus.aws("sns", "list-topics")["Topics"]
    nimbus.aws("sns", "tag-resource", "--resource-arn", arn, "--tags", "Key=env,Value=dev")
    nimbus.aws("sns", "untag-resource", "--resource-arn", arn, "--tag-keys", "team")
    assert nimbus.aws("sns", "list-tags-for-resource", "--resource-arn", arn)["Tags"] == [{"Key": "env", "Value": "dev"}]

    # FIFO rules.
    sns = nimbus.client("sns")
    with pytest.raises(sns.exceptions.InvalidParameterException):
        sns.create_topic(Name=unique("plain") + ".fifo")
    fifo = sns.create_topic(Name=unique("f") + ".fifo",
                            Attributes={"FifoTopic": "true", "ContentBasedDeduplication": "true"})["TopicArn"]
    with pytest.raises(sns.exceptions.InvalidParameterException):
        sns.publish(TopicArn=fifo, Message="no group")
    first = sns.publish(TopicArn=fifo, Message="m", MessageGroupId="g")
    again = sns.publish(TopicArn=fifo, Message="m", MessageGroupId="g")
    assert first["MessageId"] == again["MessageId"] and "SequenceNumber" in first

    nimbus.aws("sns", "delete-topic", "--topic-arn", arn)
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("sns", "get-topic-attributes", "--topic-arn", arn)
    assert "NotFound" in e.value.stderr


def test_http_delivery(nimbus, receiver):
    topic = nimbus.aws("sns", "create-topic", "--name", unique("http"))["TopicArn"]
    sub_arn, _ = subscribe_http(nimbus, topic, receiver)
    subs = nimbus.aws("sns", "list-subscriptions-by-topic", "--topic-arn", topic)["Subscriptions"]
    assert subs == [{"SubscriptionArn": sub_arn, "Owner": "000000000000", "Protocol": "http",
                     "Endpoint": receiver.url, "TopicArn": topic}]
    attrs = nimbus.aws("sns", "get-topic-attributes", "--topic-arn", topic)["Attributes"]
    assert attrs["SubscriptionsConfirmed"] == "1"

    mid = nimbus.aws("sns", "publish", "--topic-arn", topic, "--subject", "Hello", "--message", "first",
                     "--message-attributes", '{"kind":{"DataType":"String","StringValue":"greeting"}}')["MessageId"]
    headers, body, _ = receiver.next()
    assert headers["x-amz-sns-message-type"] == "Notification"
    assert headers["x-amz-sns-message-id"] == mid
    assert headers["x-amz-sns-subscription-arn"] == sub_arn
    doc = json.loads(body)
    assert doc["Type"] == "Notification" and doc["MessageId"] == mid and doc["Subject"] == "Hello"
    assert doc["Message"] == "first" and doc["TopicArn"] == topic
    assert doc["MessageAttributes"] == {"kind": {"Type": "String", "Value": "greeting"}}

    # MessageStructure=json picks the http entry; raw delivery sends the bare message.
    nimbus.aws("sns", "publish", "--topic-arn", topic, "--message-structure", "json",
               "--message", json.dumps({"default": "d", "http": "for http"}))
    assert json.loads(receiver.next()[1])["Message"] == "for http"
    nimbus.aws("sns", "set-subscription-attributes", "--subscription-arn", sub_arn,
               "--attribute-name", "RawMessageDelivery", "--attribute-value", "true")
    nimbus.aws("sns", "publish", "--topic-arn", topic, "--message", "raw body")
    headers, body, _ = receiver.next()
    assert body == "raw body" and headers["x-amz-sns-rawdelivery"] == "true"

    # A failing endpoint is retried (20 s apart in Nimbus time).
    receiver.statuses = [500]
    nimbus.aws("sns", "publish", "--topic-arn", topic, "--message", "retry me")
    assert receiver.next()[2] == 500
    nimbus.admin("POST", "/_nimbus/clock/advance", {"seconds": 21})
    headers, body, status = receiver.next()
    assert (body, status) == ("retry me", 200)

    # publish-batch.
    out = nimbus.client("sns").publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
        {"Id": "a", "Message": "one"}, {"Id": "b", "Message": "two"}])
    assert sorted(s["Id"] for s in out["Successful"]) == ["a", "b"] and out["Failed"] == []
    assert sorted(receiver.next()[1] for _ in range(2)) == ["one", "two"]

    nimbus.aws("sns", "unsubscribe", "--subscription-arn", sub_arn)
    assert nimbus.aws("sns", "list-subscriptions-by-topic", "--topic-arn", topic)["Subscriptions"] == []
    assert nimbus.aws("sns", "get-topic-attributes", "--topic-arn", topic)["Attributes"]["SubscriptionsDeleted"] == "1"


def test_confirm_by_subscribe_url_and_egress(nimbus, receiver):
    topic = nimbus.aws("sns", "create-topic", "--name", unique("url"))["TopicArn"]
    nimbus.aws("sns", "subscribe", "--topic-arn", topic, "--protocol", "http",
               "--notification-endpoint", receiver.url)
    msg = json.loads(receiver.next()[1])
    assert msg["SubscribeURL"].startswith(nimbus.endpoint + "/_nimbus/sns/confirm?")
    with urllib.request.urlopen(msg["SubscribeURL"], timeout=10) as r:
        arn = json.loads(r.read())["ConfirmSubscriptionResult"]["SubscriptionArn"]
    [sub] = nimbus.aws("sns", "list-subscriptions-by-topic", "--topic-arn", topic)["Subscriptions"]
    assert sub["SubscriptionArn"] == arn
    for url in ("http://192.0.2.10/hook", "http://example.com/hook"):
        with pytest.raises(AwsCliError) as e:
            nimbus.aws("sns", "subscribe", "--topic-arn", topic, "--protocol", "http",
                       "--notification-endpoint", url)
        assert "InvalidParameter" in e.value.stderr


def test_email_outbox(nimbus):
    topic = nimbus.aws("sns", "create-topic", "--name", unique("mail"))["TopicArn"]
    to = unique("ops") + "@example.com"
    nimbus.aws("sns", "subscribe", "--topic-arn", topic, "--protocol", "email", "--notification-endpoint", to)
    nimbus.aws("sns", "subscribe", "--topic-arn", topic, "--protocol", "email-json",
               "--notification-endpoint", "json-" + to)
    mail = nimbus.admin("GET", f"/_nimbus/sns/outbox?to={to}")["messages"]
    assert len(mail) == 1 and mail[0]["subject"] == "AWS Notification - Subscription Confirmation"
    url = next(w for w in mail[0]["body"].split() if w.startswith("http"))
    urllib.request.urlopen(url, timeout=10).read()
    jmail = nimbus.admin("GET", f"/_nimbus/sns/outbox?to=json-{to}")["messages"]
    token = json.loads(jmail[0]["body"])["Token"]
    nimbus.aws("sns", "confirm-subscription", "--topic-arn", topic, "--token", token)
    nimbus.aws("sns", "publish", "--topic-arn", topic, "--subject", "Disk full", "--message", "90% used")
    mail = nimbus.admin("GET", f"/_nimbus/sns/outbox?to={to}")["messages"]
    assert mail[-1]["subject"] == "Disk full" and mail[-1]["body"].startswith("90% used\n")
    doc = json.loads(nimbus.admin("GET", f"/_nimbus/sns/outbox?to=json-{to}")["messages"][-1]["body"])
    assert doc["Type"] == "Notification" and doc["Message"] == "90% used"
    with pytest.raises(AwsCliError):
        nimbus.aws("sns", "subscribe", "--topic-arn", topic, "--protocol", "email",
                   "--notification-endpoint", "not-an-address")


def test_alarm_notifies_an_http_subscriber(make_nimbus, receiver):
    n = make_nimbus()
    topic = n.aws("sns", "create-topic", "--name", "alarms")["TopicArn"]
    subscribe_http(n, topic, receiver)
    ns = unique("Custom")
    n.aws("cloudwatch", "put-metric-alarm", "--alarm-name", "queue-deep", "--alarm-description", "too deep",
          "--namespace", ns, "--metric-name", "Depth", "--statistic", "Maximum", "--period", "60",
          "--evaluation-periods", "1", "--threshold", "100", "--comparison-operator",
          "GreaterThanOrEqualToThreshold", "--alarm-actions", topic, "--ok-actions", topic)
    n.aws("cloudwatch", "put-metric-data", "--namespace", ns, "--metric-name", "Depth", "--value", "250")
    n.admin("POST", "/_nimbus/clock/advance", {"seconds": 60})
    headers, body, _ = receiver.next(timeout=20)
    doc = json.loads(body)
    assert doc["Subject"] == 'ALARM: "queue-deep" in US East (N. Virginia)'
    alarm = json.loads(doc["Message"])
    assert alarm["AlarmName"] == "queue-deep" and alarm["NewStateValue"] == "ALARM"
    assert alarm["OldStateValue"] == "INSUFFICIENT_DATA" and alarm["AlarmDescription"] == "too deep"
    assert alarm["NewStateReason"].startswith("Threshold Crossed: 1 datapoint [250.0 (")
    assert alarm["Trigger"]["MetricName"] == "Depth" and alarm["Trigger"]["Threshold"] == 100.0
    assert alarm["Trigger"]["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["AWSAccountId"] == "000000000000" and alarm["Region"] == "US East (N. Virginia)"

    n.aws("cloudwatch", "put-metric-data", "--namespace", ns, "--metric-name", "Depth", "--value", "3")
    n.admin("POST", "/_nimbus/clock/advance", {"seconds": 60})
    doc = json.loads(receiver.next(timeout=20)[1])
    assert doc["Subject"] == 'OK: "queue-deep" in US East (N. Virginia)'
    assert json.loads(doc["Message"])["NewStateValue"] == "OK"

    history = n.aws("cloudwatch", "describe-alarm-history", "--alarm-name", "queue-deep",
                    "--history-item-type", "Action")["AlarmHistoryItems"]
    assert [h["HistorySummary"] for h in history] == [f"Successfully executed action {topic}"] * 2
