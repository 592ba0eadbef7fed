//! A minimal, allocation-light XML writer shared by the XML protocols (query, ec2,
//! rest-xml). It only writes: elements, attributes, escaped text. Parsing XML input is done
//! with `quick-xml` in the protocol modules that need it.

use std::fmt::Write;

/// Appends `s` to `out` with XML's five special characters escaped, plus the carriage
/// return / newline AWS escapes in text (`&#xD;` `&#xA;`) so that values round-trip.
pub fn escape_into(out: &mut String, s: &str) {
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
                let _ = write!(out, "&#x{:X};", c as u32);
            }
            c => out.push(c),
        }
    }
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

    pub fn open(&mut self, name: &str) {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
    }

    pub fn close(&mut self, name: &str) {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }

    pub fn text(&mut self, s: &str) {
        escape_into(&mut self.out, s);
    }

    /// `<name>text</name>`
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
}
