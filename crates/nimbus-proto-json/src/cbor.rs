//! A small, self-contained CBOR codec (RFC 8949): the generic [`CborValue`] tree, an
//! encoder that uses preferred (shortest) serialization, and a decoder built to face
//! untrusted bytes. It knows nothing about AWS shapes; [`crate::rpcv2`] maps between
//! [`CborValue`] and the model-driven [`nimbus_wire::Value`].
//!
//! Safety properties of [`decode`], relied on by the gateway:
//! * it never panics, whatever the input;
//! * nesting (arrays, maps, tags) is bounded by the caller's `max_depth`, itself clamped to
//!   [`MAX_DEPTH_LIMIT`], so recursion cannot exhaust the stack;
//! * declared lengths are never trusted for allocation: a string's length must fit in the
//!   remaining input before anything is copied, and array/map pre-allocation is capped, so
//!   the memory used is proportional to the bytes actually received.
//!
//! Indefinite-length strings are returned joined (one [`CborValue::Bytes`] or
//! [`CborValue::Text`]) and indefinite arrays/maps as ordinary ones; the encoder only
//! writes definite lengths.

use std::fmt;

/// The hard ceiling on nesting depth, whatever a caller asks for.
pub const MAX_DEPTH_LIMIT: usize = 512;

/// Never pre-allocate more than this many slots for a container on the word of a length
/// prefix; real items grow the vector past it.
const MAX_PREALLOC: usize = 256;

/// One CBOR data item.
#[derive(Clone, Debug, PartialEq)]
pub enum CborValue {
    /// Major type 0.
    Unsigned(u64),
    /// Major type 1: the integer `-1 - n` (so `Negative(0)` is -1).
    Negative(u64),
    /// Major type 2.
    Bytes(Vec<u8>),
    /// Major type 3.
    Text(String),
    /// Major type 4.
    Array(Vec<CborValue>),
    /// Major type 5, entries in wire order (duplicates are kept).
    Map(Vec<(CborValue, CborValue)>),
    /// Major type 6: tag number and the tagged item.
    Tag(u64, Box<CborValue>),
    Bool(bool),
    Null,
    Undefined,
    /// Any other simple value (0..=19, 32..=255).
    Simple(u8),
    /// Half, single or double precision float.
    Float(f64),
}

impl CborValue {
    /// An integer, as major type 0 or 1.
    pub fn int(i: i64) -> CborValue {
        if i >= 0 {
            CborValue::Unsigned(i as u64)
        } else {
            // -1 - i for i < 0 never overflows (i = i64::MIN gives i64::MAX).
            CborValue::Negative((-1 - i) as u64)
        }
    }

    pub fn text(s: impl Into<String>) -> CborValue {
        CborValue::Text(s.into())
    }

    /// The value as an `i64`, when it is an integer in range.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            CborValue::Unsigned(u) => i64::try_from(u).ok(),
            CborValue::Negative(n) => i64::try_from(n).ok().map(|n| -1 - n),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            CborValue::Text(s) => Some(s),
            _ => None,
        }
    }

    /// The value of the first entry under text key `key`, for a map.
    pub fn get(&self, key: &str) -> Option<&CborValue> {
        match self {
            CborValue::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }
}

/// Why bytes are not one well-formed CBOR item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CborError {
    /// Byte offset where the problem was found.
    pub offset: usize,
    pub reason: &'static str,
}

impl fmt::Display for CborError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid CBOR at byte {}: {}", self.offset, self.reason)
    }
}

impl std::error::Error for CborError {}

// ---------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------

/// Encodes one item with definite lengths and preferred serialization.
pub fn encode(v: &CborValue) -> Vec<u8> {
    let mut out = Vec::new();
    encode_into(v, &mut out);
    out
}

/// Appends the encoding of `v` to `out`.
pub fn encode_into(v: &CborValue, out: &mut Vec<u8>) {
    match v {
        CborValue::Unsigned(n) => write_head(out, 0, *n),
        CborValue::Negative(n) => write_head(out, 1, *n),
        CborValue::Bytes(b) => {
            write_head(out, 2, b.len() as u64);
            out.extend_from_slice(b);
        }
        CborValue::Text(s) => write_text(out, s),
        CborValue::Array(items) => {
            write_head(out, 4, items.len() as u64);
            for i in items {
                encode_into(i, out);
            }
        }
        CborValue::Map(entries) => {
            write_head(out, 5, entries.len() as u64);
            for (k, v) in entries {
                encode_into(k, out);
                encode_into(v, out);
            }
        }
        CborValue::Tag(t, inner) => {
            write_head(out, 6, *t);
            encode_into(inner, out);
        }
        CborValue::Bool(b) => out.push(if *b { 0xf5 } else { 0xf4 }),
        CborValue::Null => out.push(0xf6),
        CborValue::Undefined => out.push(0xf7),
        CborValue::Simple(s) if *s < 24 => out.push(0xe0 | s),
        CborValue::Simple(s) => out.extend_from_slice(&[0xf8, *s]),
        CborValue::Float(f) => write_float(out, *f),
    }
}

/// Writes a major type and its argument in the shortest form.
pub(crate) fn write_head(out: &mut Vec<u8>, major: u8, n: u64) {
    let m = major << 5;
    if n < 24 {
        out.push(m | n as u8);
    } else if n <= 0xff {
        out.extend_from_slice(&[m | 24, n as u8]);
    } else if n <= 0xffff {
        out.push(m | 25);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else if n <= 0xffff_ffff {
        out.push(m | 26);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    } else {
        out.push(m | 27);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

pub(crate) fn write_text(out: &mut Vec<u8>, s: &str) {
    write_head(out, 3, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

pub(crate) fn write_int(out: &mut Vec<u8>, i: i64) {
    if i >= 0 {
        write_head(out, 0, i as u64);
    } else {
        write_head(out, 1, (-1 - i) as u64);
    }
}

/// Writes a float in the shortest of half/single/double that represents it exactly
/// (NaN as the canonical half `0x7e00`).
pub(crate) fn write_float(out: &mut Vec<u8>, f: f64) {
    if f.is_nan() {
        out.extend_from_slice(&[0xf9, 0x7e, 0x00]);
        return;
    }
    let single = f as f32;
    if f64::from(single) != f {
        out.push(0xfb);
        out.extend_from_slice(&f.to_bits().to_be_bytes());
    } else if let Some(half) = f32_to_f16_exact(single) {
        out.push(0xf9);
        out.extend_from_slice(&half.to_be_bytes());
    } else {
        out.push(0xfa);
        out.extend_from_slice(&single.to_bits().to_be_bytes());
    }
}

/// The IEEE 754 half-precision bits of `x` when the conversion is exact.
fn f32_to_f16_exact(x: f32) -> Option<u16> {
    let bits = x.to_bits();
    let sign = ((bits >> 16) & 0x8000) as u16;
    let exp = ((bits >> 23) & 0xff) as i32;
    let mant = bits & 0x7f_ffff;
    if exp == 0xff {
        // Infinity (NaN is handled by the caller).
        return (mant == 0).then_some(sign | 0x7c00);
    }
    if exp == 0 {
        // Zero; single-precision subnormals are far below half's range.
        return (mant == 0).then_some(sign);
    }
    let e = exp - 127;
    if (-14..=15).contains(&e) {
        // Normal half: 10 mantissa bits, the 13 dropped bits must be zero.
        if mant & 0x1fff != 0 {
            return None;
        }
        return Some(sign | (((e + 15) as u16) << 10) | (mant >> 13) as u16);
    }
    if (-24..=-15).contains(&e) {
        // Subnormal half: value = m * 2^-24 with the full 24-bit significand shifted.
        let sig = 0x80_0000 | mant;
        let shift = (-(e + 1)) as u32; // 14..=23
        if sig & ((1 << shift) - 1) != 0 {
            return None;
        }
        return Some(sign | (sig >> shift) as u16);
    }
    None
}

fn f16_to_f64(h: u16) -> f64 {
    let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = i32::from((h >> 10) & 0x1f);
    let mant = f64::from(h & 0x3ff);
    let magnitude = match exp {
        0 => mant * 2f64.powi(-24),
        31 if mant == 0.0 => f64::INFINITY,
        31 => f64::NAN,
        _ => (1.0 + mant / 1024.0) * 2f64.powi(exp - 15),
    };
    sign * magnitude
}

// ---------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------

/// Decodes exactly one item spanning all of `bytes`. Containers (arrays, maps, tags) may
/// nest at most `max_depth` deep (clamped to [`MAX_DEPTH_LIMIT`]); `[]` has depth 1.
pub fn decode(bytes: &[u8], max_depth: usize) -> Result<CborValue, CborError> {
    let mut d = Decoder {
        buf: bytes,
        pos: 0,
        max_depth: max_depth.min(MAX_DEPTH_LIMIT),
    };
    let v = d.item(0)?;
    if d.pos != bytes.len() {
        return Err(d.err("trailing bytes after the data item"));
    }
    Ok(v)
}

struct Decoder<'a> {
    buf: &'a [u8],
    pos: usize,
    max_depth: usize,
}

impl<'a> Decoder<'a> {
    fn err(&self, reason: &'static str) -> CborError {
        CborError {
            offset: self.pos,
            reason,
        }
    }

    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn byte(&mut self) -> Result<u8, CborError> {
        let b = *self
            .buf
            .get(self.pos)
            .ok_or_else(|| self.err("unexpected end of input"))?;
        self.pos += 1;
        Ok(b)
    }

    /// Takes `n` bytes, refusing (before any allocation) lengths the input cannot hold.
    fn take(&mut self, n: u64) -> Result<&'a [u8], CborError> {
        if n > self.remaining() as u64 {
            return Err(self.err("declared length exceeds the remaining input"));
        }
        let n = n as usize;
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn fixed<const N: usize>(&mut self) -> Result<[u8; N], CborError> {
        let s = self.take(N as u64)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    /// The argument of a head whose additional information is `ai` (not 31).
    fn arg(&mut self, ai: u8) -> Result<u64, CborError> {
        Ok(match ai {
            0..=23 => u64::from(ai),
            24 => u64::from(self.byte()?),
            25 => u64::from(u16::from_be_bytes(self.fixed()?)),
            26 => u64::from(u32::from_be_bytes(self.fixed()?)),
            27 => u64::from_be_bytes(self.fixed()?),
            31 => return Err(self.err("indefinite length not allowed here")),
            _ => return Err(self.err("reserved additional information value")),
        })
    }

    fn enter(&self, depth: usize) -> Result<usize, CborError> {
        if depth >= self.max_depth {
            return Err(self.err("nesting too deep"));
        }
        Ok(depth + 1)
    }

    /// Consumes a break code if one is next.
    fn at_break(&mut self) -> Result<bool, CborError> {
        match self.buf.get(self.pos) {
            Some(0xff) => {
                self.pos += 1;
                Ok(true)
            }
            Some(_) => Ok(false),
            None => Err(self.err("unexpected end of input in indefinite-length item")),
        }
    }

    fn prealloc(&self, declared: u64, min_item_bytes: usize) -> usize {
        let fits = self.remaining() / min_item_bytes;
        (declared.min(fits as u64) as usize).min(MAX_PREALLOC)
    }

    fn item(&mut self, depth: usize) -> Result<CborValue, CborError> {
        let ib = self.byte()?;
        let (major, ai) = (ib >> 5, ib & 0x1f);
        Ok(match major {
            0 => CborValue::Unsigned(self.arg(ai)?),
            1 => CborValue::Negative(self.arg(ai)?),
            2 => CborValue::Bytes(self.string_bytes(2, ai)?),
            3 => {
                let bytes = self.string_bytes(3, ai)?;
                CborValue::Text(
                    String::from_utf8(bytes).map_err(|_| self.err("text string is not UTF-8"))?,
                )
            }
            4 => {
                let inner = self.enter(depth)?;
                let mut items;
                if ai == 31 {
                    items = Vec::new();
                    while !self.at_break()? {
                        items.push(self.item(inner)?);
                    }
                } else {
                    let n = self.arg(ai)?;
                    items = Vec::with_capacity(self.prealloc(n, 1));
                    for _ in 0..n {
                        items.push(self.item(inner)?);
                    }
                }
                CborValue::Array(items)
            }
            5 => {
                let inner = self.enter(depth)?;
                let mut entries;
                if ai == 31 {
                    entries = Vec::new();
                    while !self.at_break()? {
                        let k = self.item(inner)?;
                        entries.push((k, self.item(inner)?));
                    }
                } else {
                    let n = self.arg(ai)?;
                    entries = Vec::with_capacity(self.prealloc(n, 2));
                    for _ in 0..n {
                        let k = self.item(inner)?;
                        entries.push((k, self.item(inner)?));
                    }
                }
                CborValue::Map(entries)
            }
            6 => {
                let tag = self.arg(ai)?;
                let inner = self.enter(depth)?;
                CborValue::Tag(tag, Box::new(self.item(inner)?))
            }
            _ => match ai {
                0..=19 => CborValue::Simple(ai),
                20 => CborValue::Bool(false),
                21 => CborValue::Bool(true),
                22 => CborValue::Null,
                23 => CborValue::Undefined,
                24 => {
                    let s = self.byte()?;
                    if s < 32 {
                        return Err(self.err("two-byte simple value below 32"));
                    }
                    CborValue::Simple(s)
                }
                25 => CborValue::Float(f16_to_f64(u16::from_be_bytes(self.fixed()?))),
                26 => CborValue::Float(f64::from(f32::from_be_bytes(self.fixed()?))),
                27 => CborValue::Float(f64::from_be_bytes(self.fixed()?)),
                31 => return Err(self.err("break code outside an indefinite-length item")),
                _ => return Err(self.err("reserved additional information value")),
            },
        })
    }

    /// The content of a byte or text string (major 2 or 3), joining indefinite chunks.
    fn string_bytes(&mut self, major: u8, ai: u8) -> Result<Vec<u8>, CborError> {
        if ai != 31 {
            let n = self.arg(ai)?;
            return Ok(self.take(n)?.to_vec());
        }
        let mut out = Vec::new();
        while !self.at_break()? {
            let ib = self.byte()?;
            if ib >> 5 != major || ib & 0x1f == 31 {
                return Err(self.err("bad chunk in indefinite-length string"));
            }
            let n = self.arg(ib & 0x1f)?;
            let chunk = self.take(n)?;
            if major == 3 && std::str::from_utf8(chunk).is_err() {
                return Err(self.err("text string chunk is not UTF-8"));
            }
            out.extend_from_slice(chunk);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests;
