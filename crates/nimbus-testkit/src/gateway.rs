//! [`TestGateway`]: a `nimbus_gateway::Gateway` around the services a test registers, with
//! one account root's keys ([`ROOT_ACCESS_KEY`] / [`ROOT_SECRET`] of [`ROOT_ACCOUNT`]),
//! the still clock, seeded ids, an authorizer that allows everything and no store behind
//! the admin endpoints. [`TestGateway::call`] runs a request through the pipeline in
//! process (the server's own entry once a body is collected); [`TestGateway::serve`]
//! serves it on a loopback port for what only a socket shows (body limits, the peer
//! address), and stops it when the [`Served`] handle is dropped.

use crate::request::{Req, Signer};
use bytes::Bytes;
use http_body_util::BodyExt;
use nimbus_core::{AllowAll, ManualClock, Timestamp};
use nimbus_gateway::admin::NoStore;
use nimbus_gateway::route::Registry;
use nimbus_gateway::{AuthMode, Gateway, GatewayConfig, StaticCredentials};
use nimbus_wire::Service;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub const ROOT_ACCOUNT: &str = "000000000000";
pub const ROOT_ACCESS_KEY: &str = "test";
pub const ROOT_SECRET: &str = "test";

/// An answer, read whole.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// See the module doc.
pub struct TestGateway {
    pub gateway: Arc<Gateway>,
    pub clock: Arc<ManualClock>,
}

impl TestGateway {
    /// Strict authentication (real SigV4 against the root's keys) over `services`.
    pub fn strict(services: Vec<Arc<dyn Service>>) -> Self {
        Self::with_config(services, GatewayConfig::default())
    }

    /// Permissive authentication (any key, signed or not) over `services`.
    pub fn permissive(services: Vec<Arc<dyn Service>>) -> Self {
        Self::with_config(
            services,
            GatewayConfig {
                auth: AuthMode::Permissive {
                    default_account: "123456789012".into(),
                },
                ..GatewayConfig::default()
            },
        )
    }

    /// `services` behind a gateway configured as `config` (body limits, auth mode).
    pub fn with_config(services: Vec<Arc<dyn Service>>, config: GatewayConfig) -> Self {
        let mut registry = Registry::new();
        for s in services {
            registry.register(s);
        }
        let mut credentials = StaticCredentials::new();
        credentials.add_root(ROOT_ACCOUNT, ROOT_ACCESS_KEY, ROOT_SECRET);
        let clock = crate::still_clock();
        let gateway = Arc::new(Gateway {
            config,
            registry,
            credentials: Arc::new(credentials),
            authorizer: Arc::new(AllowAll),
            clock: clock.clone(),
            ids: crate::ids(),
            key_cache: Default::default(),
            admin: Arc::new(NoStore),
        });
        TestGateway { gateway, clock }
    }

    /// A signer with the root's keys for `service`, at the gateway clock's wall time.
    pub fn root_signer(&self, service: &str) -> Signer {
        Signer::new(ROOT_ACCESS_KEY, ROOT_SECRET, service, self.wall_time())
    }

    /// What SigV4 compares request dates with.
    pub fn wall_time(&self) -> Timestamp {
        nimbus_core::Clock::real_now(&*self.clock)
    }

    /// Runs `req` through the gateway in process.
    pub async fn call(&self, req: Req) -> Reply {
        let (parts, body) = req.into_parts();
        let resp = nimbus_gateway::handle_collected(&self.gateway, parts, body, None).await;
        let (parts, body) = resp.into_parts();
        let body = match body.collect().await {
            Ok(b) => b.to_bytes(),
            Err(never) => match never {},
        };
        Reply {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
        }
    }

    /// Serves the gateway on `127.0.0.1:0` until the returned handle is dropped.
    ///
    /// # Panics
    /// If no loopback port can be bound.
    pub async fn serve(&self) -> Served {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("bind 127.0.0.1:0: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("local address: {e}"));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(nimbus_gateway::serve(
            listener,
            self.gateway.clone(),
            async {
                let _ = stopped.await;
            },
        ));
        Served {
            addr,
            stop: Some(stop),
            task,
        }
    }
}

/// A gateway served on a loopback port; dropping it stops the server.
pub struct Served {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Served {
    /// Sends `req` over a fresh connection (HTTP/1.1, `Connection: close`) and returns the
    /// raw reply: status line, headers and body as text.
    ///
    /// # Panics
    /// If the connection fails.
    pub async fn send_raw(&self, req: &Req) -> String {
        let mut conn = tokio::net::TcpStream::connect(self.addr)
            .await
            .unwrap_or_else(|e| panic!("connect {}: {e}", self.addr));
        // The server may answer (and close) before the whole body is sent: a refused upload.
        let _ = conn.write_all(&req.to_http1()).await;
        let mut reply = Vec::new();
        let _ = conn.read_to_end(&mut reply).await;
        String::from_utf8_lossy(&reply).into_owned()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task.abort();
    }
}
