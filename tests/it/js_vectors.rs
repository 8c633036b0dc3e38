//! `kotanipay::jsjson` against Node's own `JSON.stringify(JSON.parse(..))`.
//!
//! The vectors in `tests/vectors/` are written by `node tests/vectors/make_js_vectors.js`
//! (Node v20.20.2): `js_stringify.json` holds inputs and Node's output, `js_inexact.json` texts
//! holding a number a double does not hold as written, with what Node would send instead.

use std::borrow::Cow;

use kotanipay::jsjson::{JsJsonErrorKind, to_js_bytes};
use serde::Deserialize;

#[derive(Deserialize)]
struct Vector {
    input: String,
    output: String,
}

#[derive(Deserialize)]
struct Inexact {
    input: String,
    path: String,
    js: String,
}

fn stringify_vectors() -> Vec<Vector> {
    serde_json::from_str(include_str!("../vectors/js_stringify.json")).unwrap()
}

fn number_vectors() -> Vec<Vector> {
    serde_json::from_str(include_str!("../vectors/js_numbers.json")).unwrap()
}

fn inexact_vectors() -> Vec<Inexact> {
    serde_json::from_str(include_str!("../vectors/js_inexact.json")).unwrap()
}

#[test]
fn every_vector_is_what_node_writes() {
    let vectors = stringify_vectors();
    assert!(vectors.len() > 100);
    for v in &vectors {
        let out = to_js_bytes(v.input.as_bytes()).unwrap_or_else(|e| panic!("{:?}: {e}", v.input));
        assert_eq!(String::from_utf8_lossy(&out), v.output, "input {:?}", v.input);
        // Already in Node's form (surrounding whitespace aside): borrowed, nothing allocated.
        if v.input.trim_matches([' ', '\t', '\n', '\r']) == v.output {
            assert!(matches!(out, Cow::Borrowed(_)), "{:?} was copied", v.input);
        }
        // Node's output is a fixed point.
        let again = to_js_bytes(v.output.as_bytes()).unwrap();
        assert!(
            matches!(again, Cow::Borrowed(_)),
            "{:?} is not a fixed point",
            v.output
        );
    }
}

#[test]
fn random_doubles_as_node_writes_them() {
    let vectors = number_vectors();
    assert!(vectors.len() >= 2000);
    for v in &vectors {
        let out = to_js_bytes(v.input.as_bytes()).unwrap_or_else(|e| panic!("{}: {e}", v.input));
        assert_eq!(String::from_utf8_lossy(&out), v.output, "input {}", v.input);
        // Node's text is a fixed point, and serde_json's text of the same double becomes it.
        assert!(matches!(
            to_js_bytes(v.output.as_bytes()).unwrap(),
            Cow::Borrowed(_)
        ));
        let value: f64 = v.output.parse().unwrap();
        let serde = serde_json::to_string(&value).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&to_js_bytes(serde.as_bytes()).unwrap()),
            v.output
        );
    }
}

#[test]
fn every_inexact_number_is_refused() {
    let vectors = inexact_vectors();
    assert!(vectors.len() >= 20);
    for v in &vectors {
        let e = to_js_bytes(v.input.as_bytes()).expect_err(&v.input);
        assert_eq!(e.kind(), JsJsonErrorKind::InexactNumber, "{}", v.input);
        assert_eq!(e.path(), v.path, "{}", v.input);
        let message = e.to_string();
        assert!(message.contains(e.number().unwrap()), "{message}");
        assert!(message.contains(&v.path), "{message}");
        if !v.input.starts_with(['{', '[']) {
            // A lone number: what Node would have sent instead, exactly.
            assert_eq!(e.number(), Some(v.input.as_str()));
            assert_eq!(e.js_number(), Some(v.js.as_str()), "{}", v.input);
        } else {
            // In a body: Node's text of the body holds what we name as JavaScript's number.
            assert!(v.js.contains(e.js_number().unwrap()), "{} vs {}", v.js, message);
        }
    }
}

fn has_input(vectors: &[Vector], text: &str) -> bool {
    vectors.iter().any(|v| v.input == text)
}

/// The number vectors hold what serde_json writes for these values (so the vectors test the
/// SDK's own output), and serde_json's integers beyond 2^53 are among the refused ones.
#[test]
fn number_vectors_are_serde_jsons_own_text() {
    let vectors = stringify_vectors();
    // serde_json 1.0.154 formats f64 with `zmij`; if an update changes its text, this fails
    // and the vectors need the new forms (`make_js_vectors.js`, `serdeNumbers`).
    let f64s: [(f64, &str); 40] = [
        (0.0, "0.0"),
        (-0.0, "-0.0"),
        (500.0, "500.0"),
        (-500.0, "-500.0"),
        (1e6, "1000000.0"),
        (25.5, "25.5"),
        (1025.5, "1025.5"),
        (0.1, "0.1"),
        (0.1 + 0.2, "0.30000000000000004"),
        (123.456, "123.456"),
        (1e-7, "1e-7"),
        (-1e-7, "-1e-7"),
        (1e-6, "1e-6"),
        (1e-5, "0.00001"),
        (1e-4, "0.0001"),
        (5e-324, "5e-324"),
        (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
        (f64::MAX, "1.7976931348623157e+308"),
        (f64::MIN, "-1.7976931348623157e+308"),
        (1e16, "1e+16"),
        (1e15, "1000000000000000.0"),
        (9007199254740992.0, "9007199254740992.0"),
        (123456789012345680000.0, "1.2345678901234568e+20"),
        (1e21, "1e+21"),
        (1e22, "1e+22"),
        (1.5e300, "1.5e+300"),
        (3e-7, "3e-7"),
        (1e100, "1e+100"),
        (0.000123, "0.000123"),
        (1.1e-6, "1.1e-6"),
        (999999999999999900000.0, "9.999999999999999e+20"),
        (1.0000000000000001e21, "1.0000000000000001e+21"),
        (4.35, "4.35"),
        (1.5e16, "1.5e+16"),
        (123456780000000.0, "123456780000000.0"),
        (0.000025, "0.000025"),
        (1e-300, "1e-300"),
        (f64::EPSILON, "2.220446049250313e-16"),
        (1.0, "1.0"),
        (-2.5, "-2.5"),
    ];
    for (value, text) in f64s {
        assert_eq!(serde_json::to_string(&value).unwrap(), text);
        assert!(has_input(&vectors, text), "{text} is not a vector input");
    }
    // serde_json before 1.0.146 (`ryu`) wrote exponents without `+`: covered too.
    for text in ["1e16", "1e21", "1.7976931348623157e308", "1.2345678901234568e20"] {
        assert!(has_input(&vectors, text), "{text} is not a vector input");
    }
    let ints: [(i128, &str); 9] = [
        (0, "0"),
        (-1, "-1"),
        (42, "42"),
        (1736, "1736"),
        (1 << 53, "9007199254740992"),
        ((1 << 53) + 2, "9007199254740994"),
        (-(1 << 53), "-9007199254740992"),
        (u32::MAX.into(), "4294967295"),
        (100_000_000_000_000_000_000, "100000000000000000000"),
    ];
    for (value, text) in ints {
        assert_eq!(serde_json::to_string(&value).unwrap(), text);
        assert!(has_input(&vectors, text), "{text} is not a vector input");
    }
    let refused = inexact_vectors();
    for text in [
        serde_json::to_string(&u64::MAX).unwrap(),
        serde_json::to_string(&i64::MAX).unwrap(),
        serde_json::to_string(&i64::MIN).unwrap(),
    ] {
        assert!(refused.iter().any(|v| v.input == text), "{text} is not refused");
    }
}

/// The string vectors hold what serde_json writes for these Rust strings, and Node writes the
/// same bytes back: serde_json's escaping is JSON.stringify's for every control character,
/// DEL, U+2028/U+2029, `/`, quotes, backslashes and characters beyond the BMP.
#[test]
fn serde_json_strings_are_already_javascript_text() {
    let vectors = stringify_vectors();
    let controls: String = (0u8..0x20).map(char::from).collect();
    let strings = [
        controls.as_str(),
        "DEL \u{7f}, LS \u{2028}, PS \u{2029}, NEL \u{85}, BOM \u{feff}, U+FFFF \u{ffff}",
        "slash / and \\/ and \"quotes\" and \\ backslash \\\\",
        "emoji \u{1f600} \u{1f469}\u{200d}\u{1f469}\u{200d}\u{1f467} G-clef \u{1d11e} max \u{10ffff}",
        "Zo\u{eb} Ng\u{169}g\u{129} \u{2014} \u{6771}\u{4eac}, e\u{301} (combining)",
        "",
        "<script>&amp;</script> ' `",
    ];
    for s in strings {
        let text = serde_json::to_string(s).unwrap();
        let v = vectors
            .iter()
            .find(|v| v.input == text)
            .unwrap_or_else(|| panic!("{text} is not a vector input"));
        assert_eq!(v.output, text, "Node escapes {s:?} differently");
        assert!(matches!(to_js_bytes(text.as_bytes()).unwrap(), Cow::Borrowed(_)));
    }
    // The same strings as keys and values of one object, as serde_json writes a map.
    let map: Vec<(String, String)> = strings
        .iter()
        .enumerate()
        .map(|(i, s)| (s.to_string(), strings[(i + 1) % strings.len()].to_string()))
        .collect();
    let mut text = String::from("{");
    for (i, (k, v)) in map.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&serde_json::to_string(k).unwrap());
        text.push(':');
        text.push_str(&serde_json::to_string(v).unwrap());
    }
    text.push('}');
    assert!(has_input(&vectors, &text));
    assert!(matches!(to_js_bytes(text.as_bytes()).unwrap(), Cow::Borrowed(_)));
}

/// A request body as the SDK's serializer writes it: whole amounts become JavaScript's text,
/// everything else is untouched.
#[test]
fn a_serialized_request_body() {
    #[derive(serde::Serialize)]
    struct Withdrawal<'a> {
        customer_key: &'a str,
        amount: f64,
        #[serde(rename = "walletId")]
        wallet_id: &'a str,
        fee: Option<f64>,
        tags: Vec<&'a str>,
    }
    let body = serde_json::to_vec(&Withdrawal {
        customer_key: "cus_1",
        amount: 500.0,
        wallet_id: "w/1",
        fee: Some(0.000001),
        tags: vec!["a\u{2028}b"],
    })
    .unwrap();
    assert_eq!(
        String::from_utf8(body.clone()).unwrap(),
        "{\"customer_key\":\"cus_1\",\"amount\":500.0,\"walletId\":\"w/1\",\"fee\":1e-6,\"tags\":[\"a\u{2028}b\"]}"
    );
    assert_eq!(
        String::from_utf8(to_js_bytes(&body).unwrap().into_owned()).unwrap(),
        "{\"customer_key\":\"cus_1\",\"amount\":500,\"walletId\":\"w/1\",\"fee\":0.000001,\"tags\":[\"a\u{2028}b\"]}"
    );
}
