//! The guest multi-call binary used by the runtime's own tests: the same dispatch the `nimbus`
//! binary does when started as a guest tool (`yum`, `systemctl`, `httpd`, ... or the sandbox's
//! init stages).

fn main() {
    match nimbus_runtime::guest::dispatch() {
        Some(code) => std::process::exit(code),
        None => {
            eprintln!(
                "nimbus-guest: start me as a guest tool (yum, systemctl, httpd, stress, ...)"
            );
            std::process::exit(2);
        }
    }
}
