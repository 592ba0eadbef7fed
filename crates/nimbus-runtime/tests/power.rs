//! Shutdown from inside: `shutdown -h now` powers the instance off (PID 1 stops everything
//! and exits; the host sees `PoweredOff` and cleans up with `stop`), `reboot` asks the host for
//! a reboot (`RebootRequested`, answered with `Runtime::reboot`, which boots the same volume
//! without rerunning the user data).

mod common;
use common::*;
use nimbus_runtime::InstanceState;
use std::time::Duration;

#[test]
fn shutdown_and_reboot_from_inside() {
    let Some(e) = env() else { return };
    let off = "i-0poweroff0000001";
    let re = "i-0reboot000000001";
    e.rt.launch(spec(
        off,
        [10, 0, 1, 100],
        Some("#!/bin/bash\necho bye\nshutdown -h now\nsleep 30\n"),
    ))
    .unwrap();
    e.rt.launch(spec(
        re,
        [10, 0, 1, 101],
        Some("#!/bin/bash\necho once >> /var/lib/runs.txt\nreboot\nsleep 30\n"),
    ))
    .unwrap();
    let s = wait_for(Duration::from_secs(6), || {
        (e.rt.state(off) == Some(InstanceState::PoweredOff)).then_some(())
    });
    assert!(s.is_some(), "{:?} {}", e.rt.state(off), diag(&e, off));
    let console = e.rt.console_output(off).unwrap();
    assert!(console.contains("bye\nPowering off.\n"), "{console}");
    e.rt.stop(off).unwrap();
    assert_eq!(e.rt.state(off), Some(InstanceState::Stopped));

    let s = wait_for(Duration::from_secs(6), || {
        (e.rt.state(re) == Some(InstanceState::RebootRequested)).then_some(())
    });
    assert!(s.is_some(), "{:?} {}", e.rt.state(re), diag(&e, re));
    e.rt.reboot(re).unwrap();
    assert_eq!(e.rt.state(re), Some(InstanceState::Running));
    // Two boots; only the second prints cloud-init's "finished" (the reboot cut the first).
    let console = wait_for(Duration::from_secs(5), || {
        let c = e.rt.console_output(re).unwrap();
        (c.matches("booting as").count() == 2
            && c.contains("Rebooting.")
            && c.matches("finished at").count() == 1)
            .then_some(c)
    });
    assert!(console.is_some(), "{}", diag(&e, re));
    assert_eq!(
        std::fs::read_to_string(e.rt.root_volume(re).join("var/lib/runs.txt")).unwrap(),
        "once\n"
    );
    e.rt.terminate(off).unwrap();
    e.rt.terminate(re).unwrap();
    assert_eq!(footprint(&e).processes, 0);
}
