//! Replays every seed and regression input under `seeds/<target>/` through the target's
//! code (no libFuzzer, no sanitizer), so `cargo test --manifest-path fuzz/Cargo.toml` on the
//! stable toolchain catches a decoder that panics on an input the fuzzer once found.

use std::path::Path;

type Target = fn(&[u8]);

const TARGETS: [(&str, Target); 10] = [
    ("query_decode", nimbus_fuzz::query_decode),
    ("ec2_decode", nimbus_fuzz::ec2_decode),
    ("json_decode", nimbus_fuzz::json_decode),
    ("cbor_decode", nimbus_fuzz::cbor_decode),
    ("restxml_decode", nimbus_fuzz::restxml_decode),
    ("sigv4_parse", nimbus_fuzz::sigv4_parse),
    ("typed_convert", nimbus_fuzz::typed_convert),
    ("gateway_request", nimbus_fuzz::gateway_request),
    ("gateway_conn", nimbus_fuzz::gateway_conn),
    ("encode_output", nimbus_fuzz::encode_output),
];

#[test]
fn every_seed_runs_clean() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
    for (name, run) in TARGETS {
        let dir = root.join(name);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.expect("dir entry").path())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "no seeds for {name}");
        for f in files {
            let data = std::fs::read(&f).expect("read seed");
            let outcome = std::panic::catch_unwind(|| run(&data));
            assert!(outcome.is_ok(), "{name} panicked on {}", f.display());
        }
    }
}

#[test]
fn empty_and_tiny_inputs_run_clean() {
    for (_, run) in TARGETS {
        for data in [&b""[..], b"\0", b"\xff", b"\n", b"\n\n", b" ", b"GET"] {
            run(data);
        }
    }
}
