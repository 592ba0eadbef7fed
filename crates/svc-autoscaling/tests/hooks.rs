//! Lifecycle hooks with the fake fleet and a manual clock: Pending:Wait until completed,
//! heartbeats, timeouts with the default result, an abandoned launch, Terminating:Wait, and
//! the hooks' validation.

mod common;

use common::*;
use svc_autoscaling::generated::*;

async fn hook(w: &World, name: &str, transition: &str, timeout: i32, default: &str) {
    w.svc
        .put_lifecycle_hook(
            &w.ctx(),
            PutLifecycleHookType {
                lifecycle_hook_name: name.into(),
                auto_scaling_group_name: "web".into(),
                lifecycle_transition: Some(transition.into()),
                heartbeat_timeout: Some(timeout),
                default_result: Some(default.into()),
                ..Default::default()
            },
        )
        .await
        .expect("put hook");
}

fn state(list: &[Instance], id: &str) -> String {
    list.iter()
        .find(|i| i.instance_id == id)
        .map(|i| i.lifecycle_state.clone())
        .unwrap_or_else(|| "gone".into())
}

#[tokio::test]
async fn launch_waits_for_complete_and_heartbeats_extend_it() {
    let w = World::new();
    w.group("web", 0, 3, 0, |_| {}).await;
    hook(
        &w,
        "boot",
        "autoscaling:EC2_INSTANCE_LAUNCHING",
        60,
        "ABANDON",
    )
    .await;
    let hooks = w
        .svc
        .describe_lifecycle_hooks(
            &w.ctx(),
            DescribeLifecycleHooksType {
                auto_scaling_group_name: "web".into(),
                lifecycle_hook_names: None,
            },
        )
        .await
        .expect("describe")
        .lifecycle_hooks
        .unwrap();
    assert_eq!(hooks[0].heartbeat_timeout, Some(60));
    assert_eq!(hooks[0].global_timeout, Some(6000));
    assert_eq!(hooks[0].default_result.as_deref(), Some("ABANDON"));
    w.set_desired("web", 1).await;
    w.pass().await;
    w.fleet.boot_all();
    w.pass().await;
    let id = w.instances("web").await[0].instance_id.clone();
    assert_eq!(state(&w.instances("web").await, &id), "Pending:Wait");
    assert!(w.tgs.registered.lock().unwrap().is_empty());
    // A heartbeat at 50 s moves the timeout to 110 s.
    w.advance(50);
    w.svc
        .record_lifecycle_action_heartbeat(
            &w.ctx(),
            RecordLifecycleActionHeartbeatType {
                lifecycle_hook_name: "boot".into(),
                auto_scaling_group_name: "web".into(),
                instance_id: Some(id.clone()),
                lifecycle_action_token: None,
            },
        )
        .await
        .expect("heartbeat");
    w.advance(50);
    w.pass().await;
    assert_eq!(state(&w.instances("web").await, &id), "Pending:Wait");
    w.svc
        .complete_lifecycle_action(
            &w.ctx(),
            CompleteLifecycleActionType {
                lifecycle_hook_name: "boot".into(),
                auto_scaling_group_name: "web".into(),
                lifecycle_action_result: "CONTINUE".into(),
                instance_id: Some(id.clone()),
                lifecycle_action_token: None,
            },
        )
        .await
        .expect("complete");
    w.pass().await;
    assert_eq!(state(&w.instances("web").await, &id), "InService");
    let acts = w.activities("web").await;
    assert_eq!(acts[0].status_code, "Successful");
    let e = w
        .svc
        .complete_lifecycle_action(
            &w.ctx(),
            CompleteLifecycleActionType {
                lifecycle_hook_name: "boot".into(),
                auto_scaling_group_name: "web".into(),
                lifecycle_action_result: "CONTINUE".into(),
                instance_id: Some(id.clone()),
                lifecycle_action_token: None,
            },
        )
        .await
        .expect_err("nothing waits");
    assert_eq!(
        e.message,
        format!("No active Lifecycle Action found with instance ID {id}")
    );
}

#[tokio::test]
async fn a_timed_out_launch_is_abandoned_and_replaced() {
    let w = World::new();
    w.group("web", 0, 3, 0, |_| {}).await;
    hook(
        &w,
        "boot",
        "autoscaling:EC2_INSTANCE_LAUNCHING",
        30,
        "ABANDON",
    )
    .await;
    w.set_desired("web", 1).await;
    w.pass().await;
    w.fleet.boot_all();
    w.pass().await;
    let id = w.instances("web").await[0].instance_id.clone();
    w.advance(30);
    w.pass().await;
    assert!(w.fleet.terminated.lock().unwrap().contains(&id));
    let list = w.instances("web").await;
    assert_eq!(list.len(), 1, "a replacement is launched");
    assert_ne!(list[0].instance_id, id);
    let acts = w.activities("web").await;
    let launch = acts
        .iter()
        .find(|a| a.description.as_deref() == Some(&format!("Launching a new EC2 instance: {id}")))
        .unwrap();
    assert_eq!(launch.status_code, "Cancelled");
    assert!(acts.iter().any(|a| a.description.as_deref()
        == Some(&format!("Terminating EC2 instance: {id}"))
        && a.status_code == "Successful"));
}

#[tokio::test]
async fn termination_waits_in_terminating_wait() {
    let w = World::new();
    w.group("web", 0, 3, 1, |_| {}).await;
    w.pass().await;
    w.fleet.boot_all();
    w.pass().await;
    hook(
        &w,
        "drain",
        "autoscaling:EC2_INSTANCE_TERMINATING",
        300,
        "CONTINUE",
    )
    .await;
    let id = w.instances("web").await[0].instance_id.clone();
    w.set_desired("web", 0).await;
    w.pass().await;
    assert_eq!(state(&w.instances("web").await, &id), "Terminating:Wait");
    assert!(w.fleet.terminated.lock().unwrap().is_empty());
    // Timed out with CONTINUE: terminated.
    w.advance(300);
    w.pass().await;
    assert_eq!(state(&w.instances("web").await, &id), "gone");
    assert!(w.fleet.terminated.lock().unwrap().contains(&id));
}

#[tokio::test]
async fn hook_validation_and_delete() {
    let w = World::new();
    w.group("web", 0, 3, 0, |_| {}).await;
    let put = |t: &str, hb: i32, r: &str| PutLifecycleHookType {
        lifecycle_hook_name: "h".into(),
        auto_scaling_group_name: "web".into(),
        lifecycle_transition: Some(t.into()),
        heartbeat_timeout: Some(hb),
        default_result: Some(r.into()),
        ..Default::default()
    };
    for bad in [
        put("autoscaling:EC2_INSTANCE_BOOTING", 60, "CONTINUE"),
        put("autoscaling:EC2_INSTANCE_LAUNCHING", 10, "CONTINUE"),
        put("autoscaling:EC2_INSTANCE_LAUNCHING", 60, "MAYBE"),
    ] {
        assert_eq!(
            w.svc
                .put_lifecycle_hook(&w.ctx(), bad)
                .await
                .expect_err("bad")
                .code,
            "ValidationError"
        );
    }
    w.svc
        .put_lifecycle_hook(
            &w.ctx(),
            put("autoscaling:EC2_INSTANCE_LAUNCHING", 60, "CONTINUE"),
        )
        .await
        .expect("ok");
    w.svc
        .delete_lifecycle_hook(
            &w.ctx(),
            DeleteLifecycleHookType {
                lifecycle_hook_name: "h".into(),
                auto_scaling_group_name: "web".into(),
            },
        )
        .await
        .expect("delete");
    let e = w
        .svc
        .delete_lifecycle_hook(
            &w.ctx(),
            DeleteLifecycleHookType {
                lifecycle_hook_name: "h".into(),
                auto_scaling_group_name: "web".into(),
            },
        )
        .await
        .expect_err("gone");
    assert_eq!(e.code, "ValidationError");
}
