//! Money as exact decimals: how amounts, fees, rates and balances (`rust_decimal::Decimal`) are
//! read from and written to the APIs' JSON.
//!
//! Both servers read JSON numbers as JavaScript doubles and write them with `JSON.stringify`,
//! which writes the shortest text that reads back to the same double. So a number a server
//! sends is decoded from that shortest text, which is exactly the decimal it meant (`0.29`,
//! never `0.28999999999999998`); a numeric string (`"500.00"`) is read as written. Writing goes
//! the other way: a whole amount is written as an integer (`500`), any other as the double whose
//! shortest text is the amount, and the pipeline then lays the body out as `JSON.stringify`
//! would (`crate::jsjson`). An amount with more significant digits than a double holds
//! (about 15) is refused rather than sent as another amount.
//!
//! This is done by hand, field by field (the generated types carry
//! `#[serde(with = "crate::money::decimal")]`), because the alternatives change serde for the
//! whole program of a user: serde_json's `arbitrary_precision` and rust_decimal's `serde-float`
//! are features, and features are shared by every crate in a build.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::de::{self, Visitor};
use serde::{Deserializer, Serializer};

/// Why an amount cannot be sent exactly.
fn inexact(d: &Decimal) -> String {
    format!(
        "amount {d} has more significant digits than a JSON number read by JavaScript holds; \
         round it (the APIs take amounts in major units, to the currency's decimals)"
    )
}

/// The number a JSON writer should be given for `d`: an integer when whole, else the double
/// whose shortest text is `d`.
pub(crate) enum Wire {
    /// A whole amount that fits an `i64`.
    Int(i64),
    /// A whole amount beyond `i64` that fits a `u64`.
    UInt(u64),
    /// Any other amount a double holds exactly as written.
    Float(f64),
}

/// How `d` goes on the wire, or why it cannot.
pub(crate) fn wire(d: &Decimal) -> Result<Wire, String> {
    let n = d.normalize();
    if n.scale() == 0 {
        if let Ok(i) = i64::try_from(n) {
            return Ok(Wire::Int(i));
        }
        if let Ok(u) = u64::try_from(n) {
            return Ok(Wire::UInt(u));
        }
    }
    let text = n.to_string();
    let f: f64 = text.parse().map_err(|_| inexact(d))?;
    // The double's shortest text (Rust writes it without exponent) must be the same amount.
    match Decimal::from_str(&f.to_string()) {
        Ok(back) if back == n && f.is_finite() => Ok(Wire::Float(f)),
        _ => Err(inexact(d)),
    }
}

fn write<S: Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    match wire(d).map_err(serde::ser::Error::custom)? {
        Wire::Int(i) => s.serialize_i64(i),
        Wire::UInt(u) => s.serialize_u64(u),
        Wire::Float(f) => s.serialize_f64(f),
    }
}

/// The amount a JSON number means: the shortest text that reads back as the same double, which
/// is what a JavaScript sender wrote (`JSON.stringify`), read as a decimal, without formatting
/// it in the common case (a list of 100 deposits has 300 amounts). `None` for a magnitude a
/// decimal cannot hold.
///
/// Most amounts have a few decimal places. For the fewest places `k` (up to 8) such that an
/// integer `n` of at most 15 digits gives `n / 10^k == v`, `n·10^-k` is that shortest text: `n`
/// and `10^k` are exact doubles, so the one division is correctly rounded, as a parser's reading
/// of the text would be; and no two decimals of 15 significant digits read as one double, so no
/// other text of as few places reads as `v`. Anything else goes through the shortest text itself.
fn from_double(v: f64) -> Option<Decimal> {
    const POW10: [f64; 9] = [1.0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8];
    const DIGITS_15: f64 = 1e15;
    if v != 0.0 && v.abs() < DIGITS_15 {
        for (k, p) in (0u32..).zip(POW10) {
            let scaled = v * p;
            if scaled.abs() >= DIGITS_15 {
                break;
            }
            // `v * p` is within a rounding error of the whole number sought: truncated toward
            // zero, that number or the next one away from zero (no call to `round`).
            #[allow(clippy::cast_possible_truncation)]
            let t = scaled as i64;
            for n in [t, t + v.signum() as i64] {
                #[allow(clippy::cast_precision_loss)]
                if n as f64 / p == v {
                    return Some(Decimal::new(n, k));
                }
            }
        }
    }
    from_shortest_text(v)
}

/// `v` read through its shortest round-trip text, as JavaScript writes it (ryu: the closest of
/// the shortest, an even last digit on a tie, as ECMAScript's `Number::toString` specifies).
fn from_shortest_text(v: f64) -> Option<Decimal> {
    let mut buf = ryu::Buffer::new();
    let text = buf.format_finite(v);
    // ryu writes `1.0` where `Display` writes `1`: the same number, but a decimal keeps the scale.
    let text = text.strip_suffix(".0").unwrap_or(text);
    let fast = if text.contains('e') {
        Decimal::from_scientific(text)
    } else {
        Decimal::from_str(text)
    };
    // Beyond 28 decimal places or ±7.9e28 (never an amount): as `Display` reads it, rounded to
    // 28 places, or refused.
    fast.ok().or_else(|| {
        Decimal::from_str(&v.to_string())
            .or_else(|_| Decimal::from_scientific(&format!("{v:e}")))
            .ok()
    })
}

struct DecimalVisitor;

impl<'de> Visitor<'de> for DecimalVisitor {
    type Value = Decimal;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an amount: a JSON number, or a string holding one")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Decimal, E> {
        if !v.is_finite() {
            return Err(E::invalid_value(de::Unexpected::Float(v), &self));
        }
        from_double(v).ok_or_else(|| E::invalid_value(de::Unexpected::Float(v), &"an amount within ±7.9e28"))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Decimal, E> {
        let t = v.trim();
        Decimal::from_str(t)
            .or_else(|_| Decimal::from_scientific(t))
            .map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
    }
}

/// `#[serde(with)]` for a `Decimal` field.
pub mod decimal {
    use super::*;

    /// Writes the amount as the JSON number JavaScript would read back unchanged.
    pub fn serialize<S: Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        write(d, s)
    }

    /// Reads a JSON number (exactly, from its shortest text) or a numeric string.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        d.deserialize_any(DecimalVisitor)
    }
}

/// `#[serde(with)]` for an `Option<Decimal>` field (`null` is `None`).
pub mod decimal_opt {
    use super::*;

    /// Writes `Some` as [`decimal::serialize`](super::decimal::serialize), `None` as `null`.
    pub fn serialize<S: Serializer>(d: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => write(d, s),
            None => s.serialize_none(),
        }
    }

    /// Reads `null` as `None`, anything else as [`decimal::deserialize`](super::decimal::deserialize).
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
        struct Opt;
        impl<'de> Visitor<'de> for Opt {
            type Value = Option<Decimal>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an amount or null")
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_any(DecimalVisitor).map(Some)
            }
        }
        d.deserialize_option(Opt)
    }
}

/// `#[serde(with)]` for a `Vec<Decimal>` field.
pub mod decimal_vec {
    use serde::de::SeqAccess;
    use serde::ser::SerializeSeq;

    use super::*;

    /// Writes each amount as [`decimal::serialize`](super::decimal::serialize).
    pub fn serialize<S: Serializer>(v: &[Decimal], s: S) -> Result<S::Ok, S::Error> {
        struct One<'a>(&'a Decimal);
        impl serde::Serialize for One<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                write(self.0, s)
            }
        }
        let mut seq = s.serialize_seq(Some(v.len()))?;
        for d in v {
            seq.serialize_element(&One(d))?;
        }
        seq.end()
    }

    /// Reads a list of amounts.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Decimal>, D::Error> {
        struct One(Decimal);
        impl<'de> serde::Deserialize<'de> for One {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_any(DecimalVisitor).map(One)
            }
        }
        struct List;
        impl<'de> Visitor<'de> for List {
            type Value = Vec<Decimal>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of amounts")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(One(d)) = a.next_element()? {
                    out.push(d);
                }
                Ok(out)
            }
        }
        d.deserialize_seq(List)
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;
    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct T {
        #[serde(with = "super::decimal")]
        a: Decimal,
        #[serde(default, with = "super::decimal_opt", skip_serializing_if = "Option::is_none")]
        b: Option<Decimal>,
    }

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    #[allow(clippy::excessive_precision)] // a text with more digits than a double holds, on purpose
    fn a_double_reads_as_its_shortest_text_would() {
        let mut doubles = vec![
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.1,
            0.29,
            1025.5,
            1e-7,
            1.5e-7,
            1e-6,
            1e15,
            1e16,
            1e17,
            1e20,
            1e21,
            1.2345678901234568e20,
            7.9e28,
            7.93e28,
            8e28,
            1e29,
            1e-28,
            1e-29,
            1e-30,
            5e-324,
            f64::MAX,
            f64::MIN_POSITIVE,
            123456789.123456789,
            0.30000000000000004,
            9007199254740993.0,
        ];
        // Amounts as senders write them (cents and mills), and doubles with every exponent.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..25_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            doubles.push((x % 100_000_000) as f64 / 100.0);
            doubles.push((x % 1_000_000) as f64 / 1000.0);
            let bits = (x >> 2) & 0x7FEF_FFFF_FFFF_FFFF;
            doubles.push(f64::from_bits(bits));
            // Up to 16 digits with up to 10 places, and the doubles either side of each (which
            // need more digits than the places tried first).
            let places = (x >> 59) as i32 % 11;
            let v = (x % 10_000_000_000_000_000) as f64 / 10f64.powi(places);
            doubles.extend([
                v,
                f64::from_bits(v.to_bits() + 1),
                f64::from_bits(v.to_bits().saturating_sub(1)),
            ]);
        }
        for v in doubles.into_iter().filter(|v| v.is_finite()) {
            for v in [v, -v] {
                let (old, new) = (super::from_shortest_text(v), super::from_double(v));
                assert_eq!(old, new, "{v:e}");
                if let (Some(a), Some(b)) = (old, new) {
                    assert_eq!((a.to_string(), a.scale()), (b.to_string(), b.scale()), "{v:e}");
                }
            }
        }
    }

    #[test]
    fn a_tie_between_two_shortest_texts_reads_as_javascript_writes_it() {
        // 747597829026937.25 is a double; `.2` and `.3` both read back as it, equally close.
        // ECMAScript's Number::toString takes the even digit (`String(x)` is "747597829026937.2");
        // Rust's `Display` writes `.3`.
        let v = 747_597_829_026_937.0_f64 + 0.25;
        assert_eq!(v.to_string(), "747597829026937.3");
        assert_eq!(super::from_double(v), Some(d("747597829026937.2")));
        assert_eq!(
            super::from_double(1025.5).map(|x| x.to_string()),
            Some("1025.5".into())
        );
        assert_eq!(
            super::from_double(500.0).map(|x| x.to_string()),
            Some("500".into())
        );
        assert_eq!(
            super::from_double(1e-7).map(|x| x.to_string()),
            Some("0.0000001".into())
        );
        assert_eq!(super::from_double(8e28), None);
    }

    #[test]
    fn reads_what_a_javascript_sender_meant() {
        for (json, want) in [
            ("0.29", "0.29"),
            ("0.1", "0.1"),
            ("500", "500"),
            ("500.0", "500"),
            ("1500.5", "1500.5"),
            ("1e-7", "0.0000001"),
            ("1e+21", "1000000000000000000000"),
            ("-12.75", "-12.75"),
            ("\"500.00\"", "500.00"),
            ("\" 7.5 \"", "7.5"),
            ("123456789.12345678", "123456789.12345678"),
        ] {
            let t: T = serde_json::from_str(&format!(r#"{{"a":{json}}}"#)).unwrap();
            assert_eq!(t.a, d(want), "{json}");
            assert_eq!(t.b, None);
        }
        let t: T = serde_json::from_str(r#"{"a":1,"b":null}"#).unwrap();
        assert_eq!(t.b, None);
        let t: T = serde_json::from_str(r#"{"a":1,"b":0.3}"#).unwrap();
        assert_eq!(t.b, Some(d("0.3")));
        for bad in [r#"{"a":"ten"}"#, r#"{"a":true}"#, r#"{"a":1e300}"#, r#"{}"#] {
            assert!(serde_json::from_str::<T>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn writes_what_javascript_reads_back_unchanged() {
        for (amount, text) in [
            ("500", "500"),
            ("500.00", "500"),
            ("0.1", "0.1"),
            ("1500.5", "1500.5"),
            ("-0.25", "-0.25"),
            ("9007199254740993", "9007199254740993"),
        ] {
            let t = T {
                a: d(amount),
                b: None,
            };
            assert_eq!(
                serde_json::to_string(&t).unwrap(),
                format!(r#"{{"a":{text}}}"#),
                "{amount}"
            );
        }
        // Too many digits for a double: refused, not rounded.
        let err = serde_json::to_string(&T {
            a: d("0.1234567890123456789"),
            b: None,
        })
        .unwrap_err();
        assert!(err.to_string().contains("0.1234567890123456789"), "{err}");
    }

    #[test]
    fn every_double_a_sender_writes_round_trips() {
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..20_000 {
            let cents = rng.i64(-10_000_000_000..10_000_000_000);
            let amount = Decimal::new(cents, 2);
            let json = serde_json::to_string(&T { a: amount, b: None }).unwrap();
            let back: T = serde_json::from_str(&json).unwrap();
            assert_eq!(back.a, amount, "{json}");
        }
    }
}
