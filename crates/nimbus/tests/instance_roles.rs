//! Instance-role credentials end to end, in process: IAM state made through the gateway
//! with signed requests (a role trusting EC2, an instance profile holding it), credentials
//! from `App::instance_roles` (what the instance metadata service hands out), and those
//! credentials then used to sign requests: `GetCallerIdentity` names the instance's role
//! session, and the role's policies decide what it may do.

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Request};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use nimbus::app::{self, Config, Time};
use nimbus_core::{Ids, ManualClock, Timestamp};
use nimbus_sigv4::{format_amz_date, sign_request_for_tests, SigningParams};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::{TcpListener, TcpStream};

const ACCOUNT: &str = "123456789012";
const ACCESS_KEY: &str = "AKIDROOTTEST";
const SECRET: &str = "root-secret";
const NOW: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z
const EC2_TRUST: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}"#;
const LAMBDA_TRUST: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}}"#;
const LIST_ROLES: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*"}}"#;

struct Signer<'a> {
    key: &'a str,
    secret: &'a str,
    token: Option<&'a str>,
}

const ROOT: Signer<'static> = Signer {
    key: ACCESS_KEY,
    secret: SECRET,
    token: None,
};

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Sends one signed query-protocol POST and returns its status and body.
async fn call(
    addr: SocketAddr,
    who: &Signer<'_>,
    service: &str,
    params: &[(&str, &str)],
) -> (u16, String) {
    let body: String = params
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let amz_date = format_amz_date(NOW);
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_str(&addr.to_string()).unwrap());
    headers.insert(
        "content-type",
        HeaderValue::from_static("application/x-www-form-urlencoded; charset=utf-8"),
    );
    let signing = SigningParams {
        access_key: who.key,
        secret_access_key: who.secret,
        region: "us-east-1",
        service,
        amz_date: &amz_date,
        session_token: who.token,
    };
    sign_request_for_tests("POST", "/", "", &mut headers, body.as_bytes(), &signing);
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(conn);
    let mut req = Request::builder()
        .method("POST")
        .uri("/")
        .body(Full::new(Bytes::from(body)))
        .unwrap();
    *req.headers_mut() = headers;
    let resp = sender.send_request(req).await.expect("request");
    let status = resp.status().as_u16();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

async fn iam(addr: SocketAddr, who: &Signer<'_>, params: &[(&str, &str)]) -> (u16, String) {
    let mut all = params.to_vec();
    all.push(("Version", "2010-05-08"));
    call(addr, who, "iam", &all).await
}

async fn ok_iam(addr: SocketAddr, params: &[(&str, &str)]) {
    let (status, body) = iam(addr, &ROOT, params).await;
    assert_eq!(status, 200, "{params:?}: {body}");
}

#[tokio::test]
async fn instance_credentials_act_as_the_role_session_of_the_instance() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = app::build(Config {
        account: ACCOUNT.to_string(),
        access_key: ACCESS_KEY.to_string(),
        secret_key: SECRET.to_string(),
        time: Time::Injected(Arc::new(ManualClock::new(Timestamp::from_secs(NOW)))),
        ids: Arc::new(Ids::from_seed(11)),
        ..Config::default()
    })
    .expect("wiring an in-memory Nimbus");
    let roles = app.instance_roles.clone();
    let (_stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(nimbus_gateway::serve(listener, app.gateway, async {
        let _ = stopped.await;
    }));

    ok_iam(
        addr,
        &[
            ("Action", "CreateRole"),
            ("RoleName", "web-role"),
            ("Path", "/apps/"),
            ("AssumeRolePolicyDocument", EC2_TRUST),
        ],
    )
    .await;
    ok_iam(
        addr,
        &[
            ("Action", "PutRolePolicy"),
            ("RoleName", "web-role"),
            ("PolicyName", "list-roles"),
            ("PolicyDocument", LIST_ROLES),
        ],
    )
    .await;
    ok_iam(
        addr,
        &[
            ("Action", "CreateInstanceProfile"),
            ("InstanceProfileName", "web-profile"),
        ],
    )
    .await;
    let c = roles
        .instance_credentials(ACCOUNT, "web-profile", "i-0abc")
        .await
        .expect_err("no role in the profile yet");
    assert_eq!(c.code(), "InstanceProfileHasNoRole");
    ok_iam(
        addr,
        &[
            ("Action", "AddRoleToInstanceProfile"),
            ("InstanceProfileName", "web-profile"),
            ("RoleName", "web-role"),
        ],
    )
    .await;

    let c = roles
        .instance_credentials(
            ACCOUNT,
            &format!("arn:aws:iam::{ACCOUNT}:instance-profile/web-profile"),
            "i-0abc",
        )
        .await
        .expect("credentials");
    assert_eq!(c.role_name, "web-role");
    assert_eq!(
        c.role_arn,
        format!("arn:aws:iam::{ACCOUNT}:role/apps/web-role")
    );
    assert_eq!(c.expiration, Timestamp::from_secs(NOW + 6 * 3600));
    let instance = Signer {
        key: &c.access_key_id,
        secret: &c.secret_access_key,
        token: Some(&c.token),
    };
    let (status, body) = call(
        addr,
        &instance,
        "sts",
        &[("Action", "GetCallerIdentity"), ("Version", "2011-06-15")],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains(&format!(
            "<Arn>arn:aws:sts::{ACCOUNT}:assumed-role/web-role/i-0abc</Arn>"
        )),
        "{body}"
    );
    assert!(body.contains(":i-0abc</UserId>"), "{body}");

    // The role's policy decides: ListRoles allowed, ListUsers not.
    let (status, body) = iam(addr, &instance, &[("Action", "ListRoles")]).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = iam(addr, &instance, &[("Action", "ListUsers")]).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("<Code>AccessDenied</Code>"), "{body}");
    assert!(
        body.contains("assumed-role/web-role/i-0abc is not authorized to perform: iam:ListUsers"),
        "{body}"
    );
    // Without the token the key is not accepted.
    let tokenless = Signer {
        token: None,
        ..instance
    };
    let (status, body) = call(
        addr,
        &tokenless,
        "sts",
        &[("Action", "GetCallerIdentity"), ("Version", "2011-06-15")],
    )
    .await;
    assert_eq!(status, 403, "{body}");

    // The role records its use (RoleLastUsed).
    let (status, body) = iam(
        addr,
        &ROOT,
        &[("Action", "GetRole"), ("RoleName", "web-role")],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("<RoleLastUsed>"), "{body}");

    // A role that does not trust EC2 gets no credentials.
    ok_iam(
        addr,
        &[
            ("Action", "CreateRole"),
            ("RoleName", "fn-role"),
            ("AssumeRolePolicyDocument", LAMBDA_TRUST),
        ],
    )
    .await;
    ok_iam(
        addr,
        &[
            ("Action", "CreateInstanceProfile"),
            ("InstanceProfileName", "fn-profile"),
        ],
    )
    .await;
    ok_iam(
        addr,
        &[
            ("Action", "AddRoleToInstanceProfile"),
            ("InstanceProfileName", "fn-profile"),
            ("RoleName", "fn-role"),
        ],
    )
    .await;
    let e = roles
        .instance_credentials(ACCOUNT, "fn-profile", "i-0def")
        .await
        .expect_err("the role does not trust EC2");
    assert_eq!(e.code(), "AssumeRoleUnauthorizedAccess");
}
