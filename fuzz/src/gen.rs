//! Arbitrary [`Value`] trees for a shape, read from fuzz bytes with `arbitrary`'s
//! [`Unstructured`]: what a handler could hand an encoder. Values follow the shape
//! (structures with any subset of members, lists and maps of a few entries, enum strings
//! or any string, integers in the shape's range, any float including NaN and infinities,
//! timestamps anywhere in `i64` milliseconds). Now and then (one byte in 32 says so) a
//! value of the wrong type is put in, since the encoders promise never to panic even on a
//! service bug; [`Gen::conformant`] tells whether that happened.

use arbitrary::Unstructured;
use bytes::Bytes;
use nimbus_core::Timestamp;
use nimbus_wire::model::ShapeKind;
use nimbus_wire::{ServiceModel, ShapeId, Value};

/// Deepest nesting generated (recursive shapes stop here with absent members).
const MAX_DEPTH: usize = 8;
/// Most items of one list or map.
const MAX_ITEMS: usize = 4;

/// Earliest/latest timestamps the JSON/CBOR decoders accept (years 1..=9999).
pub const MIN_TS_MS: i64 = -62_135_596_800_000;
pub const MAX_TS_MS: i64 = 253_402_300_799_999;

pub struct Gen<'m, 'u, 'd> {
    pub model: &'m ServiceModel,
    pub u: &'u mut Unstructured<'d>,
    /// Cleared when a value of the wrong type was generated.
    pub conformant: bool,
    /// Cleared when a timestamp outside years 1..=9999 was generated.
    pub timestamps_in_range: bool,
}

impl<'m, 'u, 'd> Gen<'m, 'u, 'd> {
    pub fn new(model: &'m ServiceModel, u: &'u mut Unstructured<'d>) -> Self {
        Gen {
            model,
            u,
            conformant: true,
            timestamps_in_range: true,
        }
    }

    fn byte(&mut self) -> u8 {
        self.u.arbitrary().unwrap_or(0)
    }

    /// A value for `shape`.
    pub fn value(&mut self, shape: ShapeId, depth: usize) -> Value {
        if self.byte() == 0xA5 {
            self.conformant = false;
            return self.any_value(depth);
        }
        let Some(sh) = self.model.shapes.get(shape.0 as usize) else {
            return Value::Struct(vec![]);
        };
        match &sh.kind {
            ShapeKind::Structure(st) => {
                let mut slots = Vec::with_capacity(st.members.len());
                for m in st.members {
                    let present = depth < MAX_DEPTH && self.byte() & 1 == 1;
                    slots.push(present.then(|| self.value(m.shape, depth + 1)));
                }
                Value::Struct(slots)
            }
            ShapeKind::List(l) => {
                let n = if depth < MAX_DEPTH { self.count() } else { 0 };
                Value::List((0..n).map(|_| self.value(l.member, depth + 1)).collect())
            }
            ShapeKind::Map(m) => {
                let n = if depth < MAX_DEPTH { self.count() } else { 0 };
                Value::Map(
                    (0..n)
                        .map(|_| (self.string(m.key), self.value(m.value, depth + 1)))
                        .collect(),
                )
            }
            ShapeKind::String { .. } => Value::Str(self.string(shape)),
            ShapeKind::Integer => Value::Int(i64::from(self.u.arbitrary::<i32>().unwrap_or(0))),
            ShapeKind::Long => Value::Int(self.u.arbitrary().unwrap_or(0)),
            ShapeKind::Float => Value::Float(f64::from(self.u.arbitrary::<f32>().unwrap_or(0.0))),
            ShapeKind::Double => Value::Float(self.u.arbitrary().unwrap_or(0.0)),
            ShapeKind::Boolean => Value::Bool(self.u.arbitrary().unwrap_or(false)),
            ShapeKind::Timestamp { .. } => Value::Timestamp(self.timestamp()),
            ShapeKind::Blob { .. } => Value::Blob(Bytes::from(
                self.u.arbitrary::<Vec<u8>>().unwrap_or_default(),
            )),
        }
    }

    fn count(&mut self) -> usize {
        self.u.int_in_range(0..=MAX_ITEMS).unwrap_or(0)
    }

    /// Mostly realistic (recent years), sometimes anywhere in `i64`.
    fn timestamp(&mut self) -> Timestamp {
        let t = if self.byte() & 7 == 0 {
            self.u.arbitrary::<i64>().unwrap_or(0)
        } else {
            self.u.int_in_range(MIN_TS_MS..=MAX_TS_MS).unwrap_or(0)
        };
        if !(MIN_TS_MS..=MAX_TS_MS).contains(&t) {
            self.timestamps_in_range = false;
        }
        Timestamp(t)
    }

    /// A string for string shape `shape`: one of its enum values or any string.
    fn string(&mut self, shape: ShapeId) -> String {
        let enums = match self.model.shapes.get(shape.0 as usize).map(|s| &s.kind) {
            Some(ShapeKind::String { enum_values }) => *enum_values,
            _ => &[],
        };
        if !enums.is_empty() && self.byte() & 3 != 0 {
            let i = usize::from(self.byte()) % enums.len();
            return enums[i].to_string();
        }
        self.u.arbitrary::<String>().unwrap_or_default()
    }

    /// A value of any type, ignoring shapes.
    fn any_value(&mut self, depth: usize) -> Value {
        let deeper = depth < MAX_DEPTH;
        match self.byte() % 9 {
            0 => Value::Bool(self.u.arbitrary().unwrap_or(false)),
            1 => Value::Int(self.u.arbitrary().unwrap_or(0)),
            2 => Value::Float(self.u.arbitrary().unwrap_or(0.0)),
            3 => Value::Str(self.u.arbitrary().unwrap_or_default()),
            4 => Value::Blob(Bytes::from(
                self.u.arbitrary::<Vec<u8>>().unwrap_or_default(),
            )),
            5 => Value::Timestamp(Timestamp(self.u.arbitrary().unwrap_or(0))),
            6 if deeper => {
                let n = self.count();
                Value::List((0..n).map(|_| self.any_value(depth + 1)).collect())
            }
            7 if deeper => {
                let n = self.count();
                Value::Map(
                    (0..n)
                        .map(|_| {
                            let k = self.u.arbitrary().unwrap_or_default();
                            (k, self.any_value(depth + 1))
                        })
                        .collect(),
                )
            }
            8 if deeper => {
                let n = self.count();
                Value::Struct(
                    (0..n)
                        .map(|_| (self.byte() & 1 == 1).then(|| self.any_value(depth + 1)))
                        .collect(),
                )
            }
            _ => Value::Str(String::new()),
        }
    }
}

/// Whether this build's `serde_json` reads floats correctly rounded (its `float_roundtrip`
/// feature). Without it, `1.2764546202360125e222` (Rust's own shortest text for that double)
/// reads back one ULP off (others several), so a JSON round trip can only be checked to
/// within a few ULPs.
pub fn serde_json_floats_exact() -> bool {
    static EXACT: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *EXACT.get_or_init(|| {
        let text = "1.2764546202360125e222";
        let exact: f64 = text.parse().expect("a float");
        serde_json::from_str::<f64>(text).is_ok_and(|f| f.to_bits() == exact.to_bits())
    })
}

/// Structural equality for a round trip through a wire format: floats equal bit for bit,
/// or within `float_ulps` units in the last place (any NaN equals any NaN), timestamps equal
/// to the second (HTTP-dates carry no milliseconds).
pub fn same_value(a: &Value, b: &Value, float_ulps: u64) -> bool {
    let same = |a, b| same_value(a, b, float_ulps);
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => {
            (x.is_nan() && y.is_nan())
                || x.to_bits() == y.to_bits()
                || (x.is_sign_negative() == y.is_sign_negative()
                    && x.to_bits().abs_diff(y.to_bits()) <= float_ulps)
        }
        (Value::Timestamp(x), Value::Timestamp(y)) => x.secs() == y.secs(),
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((xk, xv), (yk, yv))| xk == yk && same(xv, yv))
        }
        (Value::Struct(x), Value::Struct(y)) => {
            x.len() == y.len()
                && x.iter().zip(y).all(|(x, y)| match (x, y) {
                    (None, None) => true,
                    (Some(x), Some(y)) => same(x, y),
                    _ => false,
                })
        }
        _ => a == b,
    }
}
