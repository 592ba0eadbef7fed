//! A crashed run's leftovers: a runtime that vanished without stopping its instances leaves
//! processes, cgroups and namespace mounts; a new runtime over the same data directory removes
//! them with `cleanup_orphans` (keeping the root volumes), and can boot the instance again
//! from its volume without rerunning its user data.

mod common;
use common::*;
use nimbus_runtime::{Runtime, RuntimeConfig};
use std::time::Duration;

const ID: &str = "i-0orphan000000001";

#[test]
fn a_new_runtime_removes_a_crashed_runs_leftovers() {
    let Some(e) = env() else { return };
    let before = footprint(&e);
    let ud = "#!/bin/bash\necho ran >> /var/lib/runs.txt\n";
    e.rt.launch(spec(ID, [10, 0, 1, 70], Some(ud)))
        .expect("launch");
    assert!(
        wait_user_data(&e, ID, Duration::from_secs(5)),
        "{}",
        diag(&e, ID)
    );
    let namespaces = instance_namespaces(&e, ID);
    let during = footprint(&e);
    assert!(
        during.processes >= 2 && during.cgroups == 1 && during.mounts == 2,
        "{during:?}"
    );

    // "Crash": a second runtime over the same directory knows nothing of the first's state.
    let second = Runtime::new(RuntimeConfig {
        data_dir: e.dir.path().into(),
        guest_binary: env!("CARGO_BIN_EXE_nimbus-guest").into(),
    })
    .unwrap();
    assert_eq!(
        second.cgroup_prefix(),
        e.rt.cgroup_prefix(),
        "the tag follows the data directory"
    );
    let removed = second.cleanup_orphans().expect("cleanup");
    assert_eq!(removed, 3, "one cgroup and two namespace mounts");
    // The first runtime's stage 1 was its child: reap it as its (crashed) parent cannot.
    let _ = e.rt.stop(ID);
    assert_clean(&e, &before, &footprint(&e), &namespaces);
    assert!(
        second.root_volume(ID).join("var/lib/runs.txt").exists(),
        "the root volume stays"
    );
    assert_eq!(second.cleanup_orphans().unwrap(), 0, "idempotent");

    // The EC2 side boots it again from its volume: user data does not run twice.
    second
        .launch(spec(ID, [10, 0, 1, 70], Some(ud)))
        .expect("boot again");
    let console = wait_for(Duration::from_secs(5), || {
        let c = second.console_output(ID).unwrap();
        (c.matches("finished at").count() == 2).then_some(c)
    });
    assert!(console.is_some(), "{}", second.console_output(ID).unwrap());
    assert_eq!(
        second.instances(),
        vec![(ID.to_string(), nimbus_runtime::InstanceState::Running)]
    );
    assert_eq!(
        std::fs::read_to_string(second.root_volume(ID).join("var/lib/runs.txt")).unwrap(),
        "ran\n"
    );
    second.terminate(ID).unwrap();
    assert!(!second.root().join("instances").join(ID).exists());
}
