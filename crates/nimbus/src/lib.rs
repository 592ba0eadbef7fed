//! The `nimbus` library: how Nimbus's crates are put together into one gateway ([`app`]),
//! who may call it and what they may do there ([`access`]: keys and IAM enforcement over
//! IAM's and STS's state), and the admin hooks that gateway's reset and clock endpoints use ([`hooks`]). The
//! binary (`main.rs`), the hot-path example, the fuzz harness and the in-process HTTP tests
//! all build their gateway here, so the list of services and how they share one store,
//! clock and id generator exist once. Command-line parsing, the banner, listening and
//! signals are not here: they belong to the binary.

pub mod access;
pub mod acm_wiring;
pub mod alarm_actions;
pub mod app;
pub mod autoscaling_wiring;
pub mod eic_wiring;
pub mod elb_metrics;
pub mod elb_wiring;
pub mod hooks;
pub mod instance_metrics;
pub mod instances_wiring;
