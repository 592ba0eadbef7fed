//! A minimal, allocation-light XML writer shared by the XML protocols (query, ec2,
//! rest-xml). It only writes: elements, attributes, escaped text. Parsing XML input is done
//! with `quick-xml` in the protocol modules that need it.

use std::fmt::Write;

/// Bytes [`escape_into`] replaces: controls except tab, `"`, `&`, `'`, `<`, `>` (all ASCII).
static NEEDS_ESCAPE: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = b != 0x09;
        b += 1;
    }
    t[b'"' as usize] = true;
    t[b'&' as usize] = true;
    t[b'\'' as usize] = true;
    t[b'<' as usize] = true;
    t[b'>' as usize] = true;
    t
};

/// Appends `s` to `out` with XML's five special characters escaped, plus the carriage
/// return / newline AWS escapes in text (`&#xD;` `&#xA;`) so that values round-trip.
pub fn escape_into(out: &mut String, s: &str) {
    // Text rarely needs escaping: check that first, eight bytes at a time, and copy it
    // whole when it does not.
    if !may_need_escape(s.as_bytes()) {
        out.push_str(s);
        return;
    }
    // Every character that needs escaping is ASCII, so scan bytes and copy the runs between
    // them whole (slicing at an ASCII byte is always on a char boundary).
    let bytes = s.as_bytes();
    let mut start = 0;
    while let Some(off) = bytes[start..]
        .iter()
        .position(|&b| NEEDS_ESCAPE[usize::from(b)])
    {
        let i = start + off;
        let b = bytes[i];
        out.push_str(&s[start..i]);
        match b {
            b'&' => out.push_str("&amp;"),
            b'<' => out.push_str("&lt;"),
            b'>' => out.push_str("&gt;"),
            b'"' => out.push_str("&quot;"),
            b'\'' => out.push_str("&apos;"),
            b'\r' => out.push_str("&#xD;"),
            b'\n' => out.push_str("&#xA;"),
            _ => {
                let _ = write!(out, "&#x{b:X};");
            }
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
}

const ONES: u64 = u64::from_le_bytes([0x01; 8]);
const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);

/// Non-zero when some byte of `word` is zero (exact for the word as a whole).
const fn zero_bytes(word: u64) -> u64 {
    word.wrapping_sub(ONES) & !word & HIGHS
}

/// Non-zero when some byte of the eight in `word` may need escaping: bytes below 0x20;
/// `"` `&` `'` (and `#`), which are 0x27 once bits 0 and 2 are set; `<` `>`, which are 0x3E
/// once bit 1 is set. No false negatives; the false positives (tab, `#`) only send the text
/// to the byte-by-byte path.
const fn escape_candidates(word: u64) -> u64 {
    let below_space = word.wrapping_sub(ONES * 0x20) & !word & HIGHS;
    below_space
        | zero_bytes((word | (ONES * 0x05)) ^ (ONES * 0x27))
        | zero_bytes((word | (ONES * 0x02)) ^ (ONES * 0x3E))
}

/// Whether [`escape_into`] may have to change `bytes` (true for every text it changes).
fn may_need_escape(bytes: &[u8]) -> bool {
    let mut chunks = bytes.chunks_exact(8);
    let mut found = 0;
    for c in &mut chunks {
        found |= escape_candidates(u64::from_le_bytes([
            c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7],
        ]));
    }
    found != 0
        || chunks
            .remainder()
            .iter()
            .any(|&b| NEEDS_ESCAPE[usize::from(b)])
}

/// Streaming XML writer into a `String`.
#[derive(Default)]
pub struct XmlWriter {
    pub out: String,
}

impl XmlWriter {
    pub fn new() -> Self {
        XmlWriter {
            out: String::with_capacity(512),
        }
    }

    pub fn declaration(&mut self) {
        self.out
            .push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    }

    /// `<name attr="v" ...>`
    pub fn open_with_attrs(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.out.push('<');
        self.out.push_str(name);
        for (k, v) in attrs {
            self.out.push(' ');
            self.out.push_str(k);
            self.out.push_str("=\"");
            escape_into(&mut self.out, v);
            self.out.push('"');
        }
        self.out.push('>');
    }

    #[inline]
    pub fn open(&mut self, name: &str) {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
    }

    #[inline]
    pub fn close(&mut self, name: &str) {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }

    #[inline]
    pub fn text(&mut self, s: &str) {
        escape_into(&mut self.out, s);
    }

    /// `<name>text</name>`
    #[inline]
    pub fn leaf(&mut self, name: &str, text: &str) {
        self.open(name);
        self.text(text);
        self.close(name);
    }

    pub fn finish(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        let mut w = XmlWriter::new();
        w.open_with_attrs("a", &[("x", "1\"2")]);
        w.leaf("b", "<&>\n");
        w.close("a");
        assert_eq!(
            w.finish(),
            "<a x=\"1&quot;2\"><b>&lt;&amp;&gt;&#xA;</b></a>"
        );
    }

    #[test]
    fn escape_runs_and_controls() {
        let cases = [
            ("", ""),
            ("plain", "plain"),
            ("é<ü>'\"", "é&lt;ü&gt;&apos;&quot;"),
            ("a\r\nb\tc\u{1}d\u{1f}", "a&#xD;&#xA;b\tc&#x1;d&#x1F;"),
            ("&&", "&amp;&amp;"),
            ("x&", "x&amp;"),
        ];
        for (input, want) in cases {
            let mut s = String::new();
            escape_into(&mut s, input);
            assert_eq!(s, want, "{input:?}");
        }
        // Every ASCII character, alone and between others, against a per-char reference.
        fn reference(s: &str) -> String {
            let mut out = String::new();
            for c in s.chars() {
                match c {
                    '&' => out.push_str("&amp;"),
                    '<' => out.push_str("&lt;"),
                    '>' => out.push_str("&gt;"),
                    '"' => out.push_str("&quot;"),
                    '\'' => out.push_str("&apos;"),
                    '\r' => out.push_str("&#xD;"),
                    '\n' => out.push_str("&#xA;"),
                    c if (c as u32) < 0x20 && c != '\t' => {
                        out.push_str(&format!("&#x{:X};", c as u32));
                    }
                    c => out.push(c),
                }
            }
            out
        }
        for b in 0u8..128 {
            let c = char::from(b);
            for input in [
                c.to_string(),
                format!("a{c}é{c}z"),
                format!("0123456{c}89abcdef{c}"),
                format!("{c}123456789abcdefgh"),
                format!("éééé{c}éééé"),
            ] {
                let mut s = String::new();
                escape_into(&mut s, &input);
                assert_eq!(s, reference(&input), "{b:#x}");
            }
        }
    }

    /// The word test never misses a byte that needs escaping, wherever it sits in the word
    /// and whatever surrounds it (bytes around it can borrow into it).
    #[test]
    fn word_test_has_no_false_negatives() {
        let fillers = [
            0x00u8, 0x01, 0x1f, 0x20, 0x21, 0x7f, 0x80, 0xc3, 0xff, b'a', b'&',
        ];
        for b in 0..=255u8 {
            for pos in 0..8 {
                for &fill in &fillers {
                    let mut w = [fill; 8];
                    w[pos] = b;
                    let needs = w.iter().any(|&x| NEEDS_ESCAPE[usize::from(x)]);
                    if needs {
                        assert!(escape_candidates(u64::from_le_bytes(w)) != 0, "{w:?}");
                        assert!(may_need_escape(&w), "{w:?}");
                    }
                }
            }
        }
        // Plain text passes without a second look.
        assert!(!may_need_escape(b"sg-0123a"));
        assert!(!may_need_escape(
            b"arn:aws:ec2:us-east-1:000000000000:security-group/sg-1"
        ));
        assert!(!may_need_escape("default VPC security group é".as_bytes()));
        assert!(may_need_escape(b"default VPC security group &"));
    }
}
