//! A group's target groups as `DescribeLoadBalancerTargetGroups` and
//! `DescribeTrafficSources` report them: `Added` until one of the group's InService
//! instances passes the target group's ELB health check (read through the `TargetGroups`
//! dependency), `InService` from then on; traffic sources are of type `elbv2` and filter
//! by type.

mod common;

use common::*;
use svc_autoscaling::deps::TargetHealth;
use svc_autoscaling::generated::*;

async fn states(w: &World) -> (Vec<String>, Vec<(String, String, String)>) {
    let c = w.ctx();
    let lb = w
        .svc
        .describe_load_balancer_target_groups(
            &c,
            DescribeLoadBalancerTargetGroupsRequest {
                auto_scaling_group_name: "web".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .load_balancer_target_groups
        .unwrap()
        .into_iter()
        .map(|t| t.state.unwrap())
        .collect();
    let ts = w
        .svc
        .describe_traffic_sources(
            &c,
            DescribeTrafficSourcesRequest {
                auto_scaling_group_name: "web".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .traffic_sources
        .unwrap()
        .into_iter()
        .map(|t| (t.identifier.unwrap(), t.r#type.unwrap(), t.state.unwrap()))
        .collect();
    (lb, ts)
}

#[tokio::test]
async fn target_groups_read_in_service_once_an_instance_passes_its_health_check() {
    let w = World::new();
    w.group("web", 1, 2, 1, |g| {
        g.target_group_ar_ns = Some(vec![TG.into()]);
    })
    .await;
    w.advance(5);
    w.pass().await;
    let id = w.instances("web").await[0].instance_id.clone();
    w.tgs
        .health
        .lock()
        .unwrap()
        .insert(id.clone(), TargetHealth::Unknown);
    assert_eq!(
        states(&w).await,
        (
            vec!["Added".to_string()],
            vec![(TG.to_string(), "elbv2".to_string(), "Added".to_string())]
        ),
        "nothing InService yet"
    );
    w.fleet.boot_all();
    w.advance(1);
    w.pass().await;
    assert_eq!(
        states(&w).await.0,
        vec!["Added".to_string()],
        "not yet healthy"
    );
    w.tgs
        .health
        .lock()
        .unwrap()
        .insert(id, TargetHealth::Healthy);
    assert_eq!(
        states(&w).await,
        (
            vec!["InService".to_string()],
            vec![(TG.to_string(), "elbv2".to_string(), "InService".to_string())]
        )
    );
    let other = w
        .svc
        .describe_traffic_sources(
            &w.ctx(),
            DescribeTrafficSourcesRequest {
                auto_scaling_group_name: "web".into(),
                traffic_source_type: Some("vpc-lattice".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(other.traffic_sources, Some(vec![]));
    let missing = w
        .svc
        .describe_traffic_sources(
            &w.ctx(),
            DescribeTrafficSourcesRequest {
                auto_scaling_group_name: "nope".into(),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(missing.unwrap_err().code.to_string(), "ValidationError");
}

fn source(id: &str, kind: Option<&str>) -> TrafficSourceIdentifier {
    TrafficSourceIdentifier {
        identifier: id.into(),
        r#type: kind.map(str::to_string),
    }
}

#[tokio::test]
async fn target_groups_attach_and_detach_as_traffic_sources() {
    let w = World::new();
    w.group("web", 0, 2, 0, |_| {}).await;
    let c = w.ctx();
    let attach = |sources: Vec<TrafficSourceIdentifier>| AttachTrafficSourcesType {
        auto_scaling_group_name: "web".into(),
        traffic_sources: sources,
        skip_zonal_shift_validation: None,
    };
    let e = w
        .svc
        .attach_traffic_sources(&c, attach(vec![source("my-clb", Some("elb"))]))
        .await
        .unwrap_err();
    assert_eq!(e.code.to_string(), "NotImplemented");
    let e = w
        .svc
        .attach_traffic_sources(&c, attach(vec![source("my-clb", None)]))
        .await
        .unwrap_err();
    assert_eq!(
        e.code.to_string(),
        "NotImplemented",
        "a name is a Classic one"
    );
    // An ARN that is no target group ELB knows: AWS's ValidationError.
    let unknown = TG.replace("/web/", "/nope/");
    let e = w
        .svc
        .attach_traffic_sources(&c, attach(vec![source(&unknown, Some("elbv2"))]))
        .await
        .unwrap_err();
    assert_eq!(e.code.to_string(), "ValidationError");
    // The type is inferred from a target group ARN.
    w.svc
        .attach_traffic_sources(&c, attach(vec![source(TG, None)]))
        .await
        .unwrap();
    assert_eq!(
        w.describe("web").await.target_group_ar_ns,
        Some(vec![TG.to_string()])
    );
    assert_eq!(
        states(&w).await.1,
        vec![(TG.to_string(), "elbv2".to_string(), "Added".to_string())]
    );
    w.svc
        .detach_traffic_sources(
            &c,
            DetachTrafficSourcesType {
                auto_scaling_group_name: "web".into(),
                traffic_sources: vec![source(TG, Some("elbv2"))],
            },
        )
        .await
        .unwrap();
    assert_eq!(states(&w).await, (vec![], vec![]));
}

#[tokio::test]
async fn groups_are_created_with_target_groups_as_traffic_sources() {
    let w = World::new();
    w.group("web", 0, 2, 0, |g| {
        g.traffic_sources = Some(vec![source(TG, Some("elbv2"))]);
    })
    .await;
    assert_eq!(
        w.describe("web").await.target_group_ar_ns,
        Some(vec![TG.to_string()])
    );
}
