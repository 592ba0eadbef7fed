//! Codec tests: RFC 8949 Appendix A vectors both ways, the decode-only vectors (indefinite
//! lengths, non-preferred floats), and hostile input (truncation, lying lengths, deep
//! nesting, junk) that must fail cleanly without panicking or allocating.

use super::*;
use CborValue::*;

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn t(s: &str) -> CborValue {
    Text(s.to_string())
}

fn arr(v: Vec<CborValue>) -> CborValue {
    Array(v)
}

fn map(v: Vec<(CborValue, CborValue)>) -> CborValue {
    Map(v)
}

/// Compares allowing NaN == NaN.
fn same(a: &CborValue, b: &CborValue) -> bool {
    match (a, b) {
        (Float(x), Float(y)) => (x.is_nan() && y.is_nan()) || x.to_bits() == y.to_bits(),
        _ => a == b,
    }
}

/// RFC 8949 Appendix A, every example with a preferred encoding (round trip both ways).
fn rfc_vectors() -> Vec<(CborValue, &'static str)> {
    vec![
        (Unsigned(0), "00"),
        (Unsigned(1), "01"),
        (Unsigned(10), "0a"),
        (Unsigned(23), "17"),
        (Unsigned(24), "1818"),
        (Unsigned(25), "1819"),
        (Unsigned(100), "1864"),
        (Unsigned(1000), "1903e8"),
        (Unsigned(1000000), "1a000f4240"),
        (Unsigned(1000000000000), "1b000000e8d4a51000"),
        (Unsigned(18446744073709551615), "1bffffffffffffffff"),
        (
            Tag(2, Box::new(Bytes(hex("010000000000000000")))),
            "c249010000000000000000",
        ),
        (Negative(18446744073709551615), "3bffffffffffffffff"),
        (
            Tag(3, Box::new(Bytes(hex("010000000000000000")))),
            "c349010000000000000000",
        ),
        (CborValue::int(-1), "20"),
        (CborValue::int(-10), "29"),
        (CborValue::int(-100), "3863"),
        (CborValue::int(-1000), "3903e7"),
        (Float(0.0), "f90000"),
        (Float(-0.0), "f98000"),
        (Float(1.0), "f93c00"),
        (Float(1.1), "fb3ff199999999999a"),
        (Float(1.5), "f93e00"),
        (Float(65504.0), "f97bff"),
        (Float(100000.0), "fa47c35000"),
        (Float(3.4028234663852886e+38), "fa7f7fffff"),
        (Float(1.0e+300), "fb7e37e43c8800759c"),
        (Float(5.960464477539063e-8), "f90001"),
        (Float(0.00006103515625), "f90400"),
        (Float(-4.0), "f9c400"),
        (Float(-4.1), "fbc010666666666666"),
        (Float(f64::INFINITY), "f97c00"),
        (Float(f64::NAN), "f97e00"),
        (Float(f64::NEG_INFINITY), "f9fc00"),
        (Bool(false), "f4"),
        (Bool(true), "f5"),
        (Null, "f6"),
        (Undefined, "f7"),
        (Simple(16), "f0"),
        (Simple(255), "f8ff"),
        (
            Tag(0, Box::new(t("2013-03-21T20:04:00Z"))),
            "c074323031332d30332d32315432303a30343a30305a",
        ),
        (Tag(1, Box::new(Unsigned(1363896240))), "c11a514b67b0"),
        (
            Tag(1, Box::new(Float(1363896240.5))),
            "c1fb41d452d9ec200000",
        ),
        (Tag(23, Box::new(Bytes(hex("01020304")))), "d74401020304"),
        (
            Tag(24, Box::new(Bytes(hex("6449455446")))),
            "d818456449455446",
        ),
        (
            Tag(32, Box::new(t("http://www.example.com"))),
            "d82076687474703a2f2f7777772e6578616d706c652e636f6d",
        ),
        (Bytes(vec![]), "40"),
        (Bytes(hex("01020304")), "4401020304"),
        (t(""), "60"),
        (t("a"), "6161"),
        (t("IETF"), "6449455446"),
        (t("\"\\"), "62225c"),
        (t("\u{00fc}"), "62c3bc"),
        (t("\u{6c34}"), "63e6b0b4"),
        (t("\u{10151}"), "64f0908591"),
        (arr(vec![]), "80"),
        (arr(vec![Unsigned(1), Unsigned(2), Unsigned(3)]), "83010203"),
        (
            arr(vec![
                Unsigned(1),
                arr(vec![Unsigned(2), Unsigned(3)]),
                arr(vec![Unsigned(4), Unsigned(5)]),
            ]),
            "8301820203820405",
        ),
        (
            arr((1..=25).map(Unsigned).collect()),
            "98190102030405060708090a0b0c0d0e0f101112131415161718181819",
        ),
        (map(vec![]), "a0"),
        (
            map(vec![(Unsigned(1), Unsigned(2)), (Unsigned(3), Unsigned(4))]),
            "a201020304",
        ),
        (
            map(vec![
                (t("a"), Unsigned(1)),
                (t("b"), arr(vec![Unsigned(2), Unsigned(3)])),
            ]),
            "a26161016162820203",
        ),
        (
            arr(vec![t("a"), map(vec![(t("b"), t("c"))])]),
            "826161a161626163",
        ),
        (
            map(vec![
                (t("a"), t("A")),
                (t("b"), t("B")),
                (t("c"), t("C")),
                (t("d"), t("D")),
                (t("e"), t("E")),
            ]),
            "a56161614161626142616361436164614461656145",
        ),
    ]
}

#[test]
fn rfc8949_appendix_a_round_trips() {
    for (value, h) in rfc_vectors() {
        assert_eq!(encode(&value), hex(h), "encoding {value:?}");
        let back = decode(&hex(h), 16).unwrap_or_else(|e| panic!("decoding {h}: {e}"));
        assert!(
            same(&back, &value),
            "decoding {h}: got {back:?}, want {value:?}"
        );
    }
}

#[test]
fn rfc8949_non_preferred_and_indefinite_forms_decode() {
    let cases: Vec<(&str, CborValue)> = vec![
        // Floats in longer encodings than necessary.
        ("fa7f800000", Float(f64::INFINITY)),
        ("fa7fc00000", Float(f64::NAN)),
        ("faff800000", Float(f64::NEG_INFINITY)),
        ("fb7ff0000000000000", Float(f64::INFINITY)),
        ("fb7ff8000000000000", Float(f64::NAN)),
        ("fbfff0000000000000", Float(f64::NEG_INFINITY)),
        ("fb3ff8000000000000", Float(1.5)),
        // Indefinite-length strings, arrays and maps.
        ("5f42010243030405ff", Bytes(hex("0102030405"))),
        ("7f657374726561646d696e67ff", t("streaming")),
        ("9fff", arr(vec![])),
        (
            "9f018202039f0405ffff",
            arr(vec![
                Unsigned(1),
                arr(vec![Unsigned(2), Unsigned(3)]),
                arr(vec![Unsigned(4), Unsigned(5)]),
            ]),
        ),
        (
            "9f01820203820405ff",
            arr(vec![
                Unsigned(1),
                arr(vec![Unsigned(2), Unsigned(3)]),
                arr(vec![Unsigned(4), Unsigned(5)]),
            ]),
        ),
        (
            "83018202039f0405ff",
            arr(vec![
                Unsigned(1),
                arr(vec![Unsigned(2), Unsigned(3)]),
                arr(vec![Unsigned(4), Unsigned(5)]),
            ]),
        ),
        (
            "83019f0203ff820405",
            arr(vec![
                Unsigned(1),
                arr(vec![Unsigned(2), Unsigned(3)]),
                arr(vec![Unsigned(4), Unsigned(5)]),
            ]),
        ),
        (
            "9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff",
            arr((1..=25).map(Unsigned).collect()),
        ),
        (
            "bf61610161629f0203ffff",
            map(vec![
                (t("a"), Unsigned(1)),
                (t("b"), arr(vec![Unsigned(2), Unsigned(3)])),
            ]),
        ),
        (
            "826161bf61626163ff",
            arr(vec![t("a"), map(vec![(t("b"), t("c"))])]),
        ),
        (
            "bf6346756ef563416d7421ff",
            map(vec![(t("Fun"), Bool(true)), (t("Amt"), CborValue::int(-2))]),
        ),
        // Non-shortest integer heads are well-formed too.
        ("1b0000000000000001", Unsigned(1)),
        ("5f40ff", Bytes(vec![])),
    ];
    for (h, want) in cases {
        let got = decode(&hex(h), 16).unwrap_or_else(|e| panic!("decoding {h}: {e}"));
        assert!(
            same(&got, &want),
            "decoding {h}: got {got:?}, want {want:?}"
        );
    }
}

#[test]
fn malformed_input_is_rejected() {
    let bad = [
        "",            // nothing
        "18",          // missing 1-byte argument
        "1a0000",      // truncated 4-byte argument
        "62c3",        // string shorter than declared
        "62c328",      // invalid UTF-8
        "83 01 02",    // array missing an item
        "a2 01 02 03", // map missing a value
        "1c",
        "1d",
        "1e", // reserved additional info
        "1f",
        "3f",
        "df",                // indefinite where not allowed
        "ff",                // lone break
        "81 ff",             // break inside definite array
        "5f 61 61 ff",       // text chunk inside a byte string
        "5f 5f 40 ff ff",    // nested indefinite chunk
        "7f 61 c3 61 bc ff", // chunk boundary splits a UTF-8 character
        "9f 01",             // unterminated indefinite array
        "bf 61 61",          // unterminated indefinite map
        "f8 18",             // two-byte simple value below 32
        "fc",
        "fd",
        "fe",          // reserved major 7 values
        "f9 00",       // truncated half float
        "fb 00 00 00", // truncated double
        "01 01",       // trailing bytes
        "c1",          // tag without content
    ];
    for h in bad {
        assert!(decode(&hex(h), 16).is_err(), "{h:?} should be rejected");
    }
}

#[test]
fn lying_lengths_do_not_allocate() {
    // Byte/text strings claiming 2^64-1 bytes, arrays and maps claiming 2^64-1 items:
    // each must fail on the length check or on truncation, never on an allocation.
    for h in [
        "5bffffffffffffffff",
        "7bffffffffffffffff00",
        "9bffffffffffffffff",
        "9bffffffffffffffff01",
        "bbffffffffffffffff0102",
        "5affffffff",
        "9affffffff",
    ] {
        assert!(decode(&hex(h), 16).is_err(), "{h}");
    }
    // Many nested containers each claiming 4 billion entries stay cheap.
    let mut nested = Vec::new();
    for _ in 0..200 {
        nested.extend_from_slice(&hex("9affffffff"));
    }
    assert!(decode(&nested, 500).is_err());
}

#[test]
fn nesting_is_bounded() {
    let deep = vec![0x81u8; 100_000];
    assert_eq!(decode(&deep, 64).unwrap_err().reason, "nesting too deep");
    let deep_indef = vec![0x9fu8; 100_000];
    assert!(decode(&deep_indef, usize::MAX).is_err());
    let deep_tags = vec![0xc1u8; 100_000];
    assert!(decode(&deep_tags, usize::MAX).is_err());
    let deep_maps: Vec<u8> = std::iter::repeat_n([0xa1u8, 0x00], 50_000)
        .flatten()
        .collect();
    assert!(decode(&deep_maps, 1000).is_err());
    // Exactly at the limit is fine.
    let mut ok = vec![0x81u8; 3];
    ok.push(0x00);
    assert!(decode(&ok, 3).is_ok());
    assert!(decode(&ok, 2).is_err());
    assert!(decode(&hex("00"), 0).is_ok());
}

#[test]
fn junk_never_panics() {
    // A deterministic pseudo-random sweep plus every truncation of a realistic document.
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..20_000 {
        let len = (next() % 48) as usize;
        let bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        let _ = decode(&bytes, 32);
    }
    let doc = hex("bf61610161629f0203ff63666f6fc1fb41d452d9ec20000064626c6f625f420102ffff");
    assert!(decode(&doc, 8).is_ok());
    for cut in 0..doc.len() {
        assert!(decode(&doc[..cut], 8).is_err(), "prefix of {cut} bytes");
    }
    for i in 0..doc.len() {
        for b in [0x00u8, 0x1f, 0x5f, 0x7f, 0x9f, 0xbf, 0xff, 0xfb] {
            let mut m = doc.clone();
            m[i] = b;
            let _ = decode(&m, 8);
        }
    }
}

#[test]
fn helpers() {
    assert_eq!(CborValue::int(i64::MIN), Negative(i64::MAX as u64));
    assert_eq!(CborValue::int(i64::MIN).as_i64(), Some(i64::MIN));
    assert_eq!(Unsigned(u64::MAX).as_i64(), None);
    let m = decode(&hex("a26161016162820203"), 4).unwrap();
    assert_eq!(m.get("a"), Some(&Unsigned(1)));
    assert_eq!(m.get("z"), None);
    let mut out = Vec::new();
    write_int(&mut out, -1000);
    assert_eq!(out, hex("3903e7"));
}
