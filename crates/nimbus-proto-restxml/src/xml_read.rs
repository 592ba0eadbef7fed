//! Reading XML request bodies into [`Value`]s. Two steps: `quick-xml` events become a small
//! element tree ([`Node`], depth-bounded, namespaces reduced to local names as botocore's
//! parser does), then the tree is walked against a shape. Element names follow botocore's
//! `RestXMLSerializer`: a member's `locationName` or its name; non-flattened lists wrap
//! their items (`<Name><member>..</member></Name>`, item names not checked), flattened lists
//! repeat the member element; maps use `<entry><key/><value/></entry>`. Unknown elements are
//! ignored, the root element's name is not checked.

use crate::scalar::{self, Place};
use nimbus_wire::model::{Location, Member, ServiceModel, ShapeId, ShapeKind, Structure};
use nimbus_wire::{Value, WireError};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

/// Deepest element nesting accepted. S3's deepest documents (replication, inventory
/// configurations) nest under 10 levels; the bound keeps recursion and memory in check.
pub(crate) const MAX_DEPTH: usize = 64;

/// One XML element.
#[derive(Debug, Default)]
pub(crate) struct Node {
    /// Local name (prefix stripped).
    pub name: String,
    /// Attributes as written (`xsi:type`), namespace declarations left out.
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Node>,
    /// Concatenated text and CDATA content.
    pub text: String,
}

impl Node {
    fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }
}

fn malformed(detail: impl std::fmt::Display) -> WireError {
    WireError::Malformed(format!(
        "The XML you provided was not well-formed or did not validate against our published schema: {detail}"
    ))
}

fn local(name: &[u8]) -> Result<String, WireError> {
    std::str::from_utf8(name)
        .map(str::to_string)
        .map_err(|_| malformed("element name is not UTF-8"))
}

fn start_node(e: &BytesStart<'_>) -> Result<Node, WireError> {
    let mut node = Node {
        name: local(e.local_name().as_ref())?,
        ..Node::default()
    };
    for a in e.attributes() {
        let a = a.map_err(malformed)?;
        let key = local(a.key.as_ref())?;
        if key == "xmlns" || key.starts_with("xmlns:") {
            continue;
        }
        let value = a.unescape_value().map_err(malformed)?.into_owned();
        node.attrs.push((key, value));
    }
    Ok(node)
}

/// Parses a whole document into its root element.
pub(crate) fn parse_document(body: &[u8]) -> Result<Node, WireError> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    if std::str::from_utf8(body).is_err() {
        return Err(malformed("the document is not UTF-8"));
    }
    let mut reader = Reader::from_reader(body);
    let mut stack: Vec<Node> = Vec::new();
    let mut root: Option<Node> = None;
    loop {
        let ev = reader.read_event().map_err(malformed)?;
        match ev {
            Event::Start(e) => {
                if root.is_some() {
                    return Err(malformed("content after the root element"));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(malformed("elements nested too deeply"));
                }
                stack.push(start_node(&e)?);
            }
            Event::Empty(e) => {
                let node = start_node(&e)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None if root.is_none() => root = Some(node),
                    None => return Err(malformed("content after the root element")),
                }
            }
            Event::End(_) => {
                // quick-xml checks that end names match their start.
                let node = stack.pop().ok_or_else(|| malformed("unexpected end tag"))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => root = Some(node),
                }
            }
            Event::Text(t) => {
                let text = t.unescape().map_err(malformed)?;
                match stack.last_mut() {
                    Some(top) => top.text.push_str(&text),
                    None if text.trim().is_empty() => {}
                    None => return Err(malformed("text outside the root element")),
                }
            }
            Event::CData(c) => {
                let text = std::str::from_utf8(&c).map_err(|_| malformed("CDATA is not UTF-8"))?;
                match stack.last_mut() {
                    Some(top) => top.text.push_str(text),
                    None => return Err(malformed("CDATA outside the root element")),
                }
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(malformed("unclosed element"));
    }
    root.ok_or_else(|| malformed("no root element"))
}

/// A member path for error messages, built only when an error happens.
#[derive(Clone, Copy)]
pub(crate) struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    name: &'a str,
}

impl<'a> Path<'a> {
    pub(crate) fn root(name: &'a str) -> Self {
        Path { parent: None, name }
    }
    fn push(&'a self, name: &'a str) -> Path<'a> {
        Path {
            parent: Some(self),
            name,
        }
    }
    fn render(&self) -> String {
        match self.parent {
            Some(p) => format!("{}.{}", p.render(), self.name),
            None => self.name.to_string(),
        }
    }
}

/// The element name of a member inside its parent.
fn xml_name(m: &Member) -> &'static str {
    m.location_name.unwrap_or(m.name)
}

/// Reads the members of `st` from the children of `node`. With `body_only`, members bound
/// to the URI, headers or status code are skipped (they are not in the body).
pub(crate) fn read_struct(
    model: &ServiceModel,
    st: &Structure,
    node: &Node,
    path: &Path<'_>,
    depth: usize,
) -> Result<Value, WireError> {
    if depth > MAX_DEPTH {
        return Err(malformed("elements nested too deeply"));
    }
    let mut slots = vec![None; st.members.len()];
    for (slot, m) in slots.iter_mut().zip(st.members) {
        if m.location != Location::Body {
            continue;
        }
        let mpath = path.push(m.name);
        let Some(shape) = model.shapes.get(m.shape.0 as usize) else {
            continue;
        };
        if m.xml_attribute {
            let want = xml_name(m);
            let want_local = want.rsplit(':').next().unwrap_or(want);
            let found = node
                .attrs
                .iter()
                .find(|(k, _)| k == want || k.rsplit(':').next().unwrap_or(k) == want_local);
            if let Some((_, v)) = found {
                *slot = Some(scalar::parse(
                    &shape.kind,
                    m.timestamp_format,
                    v,
                    Place::Xml,
                    &mpath.render(),
                )?);
            }
            continue;
        }
        *slot = match &shape.kind {
            ShapeKind::List(l) if l.flattened || m.flattened => {
                // botocore serializes flattened items under the member's name, its parser
                // under the list member's locationName; accept both.
                let a = xml_name(m);
                let b = l.member_location_name.unwrap_or(a);
                let items: Vec<&Node> = node
                    .children
                    .iter()
                    .filter(|c| c.name == a || c.name == b)
                    .collect();
                if items.is_empty() {
                    None
                } else {
                    let mut out = Vec::with_capacity(items.len());
                    for item in items {
                        out.push(read_value(model, l.member, None, item, &mpath, depth + 1)?);
                    }
                    Some(Value::List(out))
                }
            }
            ShapeKind::Map(mp) if mp.flattened || m.flattened => {
                let name = xml_name(m);
                let entries: Vec<&Node> = node.children.iter().filter(|c| c.name == name).collect();
                if entries.is_empty() {
                    None
                } else {
                    Some(read_map_entries(model, mp, &entries, &mpath, depth + 1)?)
                }
            }
            _ => match node.child(xml_name(m)) {
                Some(child) => Some(read_value(
                    model,
                    m.shape,
                    m.timestamp_format,
                    child,
                    &mpath,
                    depth + 1,
                )?),
                None => None,
            },
        };
    }
    Ok(Value::Struct(slots))
}

/// Reads `node` as a value of shape `id` (non-flattened lists and maps: `node` is the
/// wrapper element).
pub(crate) fn read_value(
    model: &ServiceModel,
    id: ShapeId,
    member_format: Option<nimbus_wire::model::TimestampFormat>,
    node: &Node,
    path: &Path<'_>,
    depth: usize,
) -> Result<Value, WireError> {
    if depth > MAX_DEPTH {
        return Err(malformed("elements nested too deeply"));
    }
    let Some(shape) = model.shapes.get(id.0 as usize) else {
        return Err(malformed(format!("unknown shape for {}", path.render())));
    };
    match &shape.kind {
        ShapeKind::Structure(st) => read_struct(model, st, node, path, depth),
        ShapeKind::List(l) => {
            let mut out = Vec::with_capacity(node.children.len());
            for item in &node.children {
                out.push(read_value(model, l.member, None, item, path, depth + 1)?);
            }
            Ok(Value::List(out))
        }
        ShapeKind::Map(mp) => {
            let entries: Vec<&Node> = node.children.iter().collect();
            read_map_entries(model, mp, &entries, path, depth + 1)
        }
        kind => scalar::parse(kind, member_format, &node.text, Place::Xml, &path.render()),
    }
}

fn read_map_entries(
    model: &ServiceModel,
    mp: &nimbus_wire::model::MapShape,
    entries: &[&Node],
    path: &Path<'_>,
    depth: usize,
) -> Result<Value, WireError> {
    let key_name = mp.key_location_name.unwrap_or("key");
    let value_name = mp.value_location_name.unwrap_or("value");
    let mut out = Vec::with_capacity(entries.len());
    for e in entries {
        let Some(k) = e.child(key_name) else {
            continue;
        };
        let v = match e.child(value_name) {
            Some(v) => read_value(model, mp.value, None, v, path, depth + 1)?,
            None => continue,
        };
        out.push((k.text.clone(), v));
    }
    Ok(Value::Map(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree() {
        let n = parse_document(
            b"<?xml version=\"1.0\"?>\n<a:Root xmlns:a=\"urn:x\" xmlns=\"urn:y\"><B x=\"1\" xsi:type=\"T\">t&amp;<![CDATA[<c>]]></B><C/></a:Root>",
        )
        .unwrap();
        assert_eq!(n.name, "Root");
        assert_eq!(n.children.len(), 2);
        assert_eq!(n.children[0].text, "t&<c>");
        assert_eq!(
            n.children[0].attrs,
            vec![("x".into(), "1".into()), ("xsi:type".into(), "T".into())]
        );
        assert_eq!(n.children[1].name, "C");
    }

    #[test]
    fn malformed_documents() {
        for bad in [
            &b"<a><b></a>"[..],
            b"<a>",
            b"",
            b"   ",
            b"<a></a><b></b>",
            b"text",
            b"<a>&bogus;</a>",
            b"<a \xff=\"1\"></a>",
            b"</a>",
            b"<a x=1></a>",
        ] {
            assert!(
                matches!(parse_document(bad), Err(WireError::Malformed(_))),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn depth_is_bounded() {
        let deep = "<a>".repeat(10_000) + &"</a>".repeat(10_000);
        assert!(matches!(
            parse_document(deep.as_bytes()),
            Err(WireError::Malformed(_))
        ));
        let ok = "<a>".repeat(MAX_DEPTH) + &"</a>".repeat(MAX_DEPTH);
        assert!(parse_document(ok.as_bytes()).is_ok());
    }
}
