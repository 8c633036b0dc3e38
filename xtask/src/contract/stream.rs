//! Reading big JSON documents as streams: the elements of one array (HAR's `log.entries`, a
//! Postman collection's `item`) are handed over one by one as they are parsed, and everything
//! else is skipped without being kept, so memory holds one element at a time whatever the size
//! of the file.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::io::Read;
use std::rc::Rc;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

/// Why a stream stopped.
#[derive(Debug)]
pub enum StreamError {
    /// The document is not JSON (a syntax error or an early end); the message has the line and
    /// column.
    NotJson(serde_json::Error),
    /// JSON, but not the expected shape (serde's message).
    Shape(serde_json::Error),
    /// A callback refused an element.
    Callback(anyhow::Error),
    /// The file could not be read.
    Io(serde_json::Error),
    /// An element of the streamed array is not JSON: its index, the array's path, serde's error
    /// (line and column within the element).
    Element(usize, String, serde_json::Error),
}

/// An element that is not JSON, kept aside while serde unwinds (see [`classify`]).
#[derive(Debug)]
struct ElementNotJson(usize, serde_json::Error);

impl fmt::Display for ElementNotJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "element {} is not JSON: {}", self.0, self.1)
    }
}

impl std::error::Error for ElementNotJson {}

impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StreamError::NotJson(e) => write!(f, "not JSON: {e}"),
            StreamError::Shape(e) => write!(f, "{e}"),
            StreamError::Callback(e) => write!(f, "{e:#}"),
            StreamError::Io(e) => write!(f, "cannot read: {e}"),
            StreamError::Element(i, path, e) => write!(f, "not JSON: element {i} of {path}: {e}"),
        }
    }
}

/// The callback's error, kept aside while serde unwinds with a placeholder of its own.
pub type Slot = RefCell<Option<anyhow::Error>>;

/// What stopped a stream: the callback's error kept in `slot`, else serde's, by category.
pub fn classify(e: serde_json::Error, slot: &Slot) -> StreamError {
    if let Some(callback) = slot.borrow_mut().take() {
        return match callback.downcast::<ElementNotJson>() {
            Ok(ElementNotJson(index, e)) => StreamError::Element(index, String::new(), e),
            Err(callback) => StreamError::Callback(callback),
        };
    }
    match e.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => StreamError::NotJson(e),
        serde_json::error::Category::Io => StreamError::Io(e),
        serde_json::error::Category::Data => StreamError::Shape(e),
    }
}

/// What [`array_at`] found at its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// An array: its elements were handed over.
    Array(usize),
    /// Something else: skipped.
    NotArray,
    /// Nothing at the path (or the document is not an object on the way).
    Missing,
}

/// Streams the elements of the array at `path` (object keys from the top) of the JSON document
/// `reader` holds, calling `each(index, element)` for each as soon as it is parsed; the rest of
/// the document is parsed and skipped. The whole document must be valid JSON.
///
/// How: a [`Skeleton`] reader lifts each element of that array out of the byte stream (a small
/// scanner that knows strings and brackets) and puts `0` in its place; serde_json parses the
/// skeleton from the stream (validating everything but the elements, with the file's line
/// numbers), and each element is parsed from its own bytes by the much faster slice parser.
pub fn array_at<R: Read>(
    reader: R,
    path: &[&str],
    each: &mut dyn FnMut(usize, Value) -> anyhow::Result<()>,
) -> Result<Found, StreamError> {
    let slot: Slot = RefCell::new(None);
    let lifted: Lifted = Rc::new(RefCell::new(VecDeque::new()));
    let skeleton = Skeleton::new(reader, path, Rc::clone(&lifted));
    let mut de = serde_json::Deserializer::from_reader(skeleton);
    let found = PathSeed {
        path,
        each: RefCell::new(each),
        slot: &slot,
        lifted: &lifted,
    }
    .deserialize(&mut de)
    .and_then(|found| de.end().map(|()| found))
    .map_err(|e| match classify(e, &slot) {
        StreamError::Element(i, _, e) => StreamError::Element(i, path.join("."), e),
        other => other,
    })?;
    Ok(found)
}

/// Elements lifted out of the stream, waiting to be parsed (at most one or two at a time).
type Lifted = Rc<RefCell<VecDeque<Vec<u8>>>>;

/// One open container of the skeleton.
#[derive(Debug)]
enum Frame {
    Object {
        /// Its keys are compared with `path[depth]`.
        on_path: bool,
        /// The next string is a key.
        want_key: bool,
        /// The last key read.
        key: Vec<u8>,
    },
    Array {
        /// The array at the path: its elements are lifted out.
        target: bool,
    },
}

/// A reader that passes a JSON document through, except the elements of the array at `path`:
/// each is lifted out whole into `lifted` and replaced by `0` (and as many newlines as it had, so
/// serde's line numbers stay the file's). Only the first array at the path is lifted.
pub struct Skeleton<R> {
    inner: R,
    path: Vec<Vec<u8>>,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    eof: bool,
    stack: Vec<Frame>,
    in_string: bool,
    escape: bool,
    /// The string being read is a key of an object on the path (its bytes go to `key`).
    key_string: bool,
    key: Vec<u8>,
    /// The target array was closed: nothing more is lifted.
    done: bool,
    /// Output waiting to be handed out (the `0` and newlines of a lifted element).
    pending: Vec<u8>,
    pending_at: usize,
    lifted: Lifted,
}

impl<R: Read> Skeleton<R> {
    fn new(inner: R, path: &[&str], lifted: Lifted) -> Self {
        Self {
            inner,
            path: path.iter().map(|p| p.as_bytes().to_vec()).collect(),
            buf: vec![0; 1 << 16],
            pos: 0,
            end: 0,
            eof: false,
            stack: Vec::new(),
            in_string: false,
            escape: false,
            key_string: false,
            key: Vec::new(),
            done: false,
            pending: Vec::new(),
            pending_at: 0,
            lifted,
        }
    }

    /// More input; false at the end.
    fn refill(&mut self) -> std::io::Result<bool> {
        if self.pos < self.end {
            return Ok(true);
        }
        if self.eof {
            return Ok(false);
        }
        loop {
            match self.inner.read(&mut self.buf) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.pos = 0;
                    self.end = n;
                    return Ok(true);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Whether a container opened now is on the path (the root is; a child of an object on the
    /// path is when the object's last key is the path's next key).
    fn child_on_path(&self) -> bool {
        match self.stack.last() {
            None => true,
            Some(Frame::Object { on_path, key, .. }) => {
                *on_path
                    && self
                        .path
                        .get(self.stack.len() - 1)
                        .is_some_and(|want| want == key)
            }
            Some(Frame::Array { .. }) => false,
        }
    }

    /// Updates the structure with one byte of the skeleton.
    fn step(&mut self, b: u8) {
        if self.in_string {
            if self.escape {
                self.escape = false;
                if self.key_string {
                    self.key.push(b);
                }
            } else if b == b'\\' {
                self.escape = true;
                if self.key_string {
                    self.key.push(b);
                }
            } else if b == b'"' {
                self.in_string = false;
                if self.key_string {
                    self.key_string = false;
                    if let Some(Frame::Object { key, .. }) = self.stack.last_mut() {
                        std::mem::swap(key, &mut self.key);
                    }
                }
            } else if self.key_string {
                self.key.push(b);
            }
            return;
        }
        match b {
            b'"' => {
                self.in_string = true;
                if let Some(Frame::Object { want_key: true, .. }) = self.stack.last() {
                    self.key_string = true;
                    self.key.clear();
                }
            }
            b'{' => {
                let on_path = self.child_on_path();
                self.stack.push(Frame::Object {
                    on_path,
                    want_key: true,
                    key: Vec::new(),
                });
            }
            b'[' => {
                let target = !self.done && self.child_on_path() && self.stack.len() == self.path.len();
                self.stack.push(Frame::Array { target });
            }
            b'}' | b']' => {
                if let Some(Frame::Array { target: true }) = self.stack.pop() {
                    self.done = true;
                }
            }
            b':' => {
                if let Some(Frame::Object { want_key, .. }) = self.stack.last_mut() {
                    *want_key = false;
                }
            }
            b',' => {
                if let Some(Frame::Object { want_key, .. }) = self.stack.last_mut() {
                    *want_key = true;
                }
            }
            _ => {}
        }
    }

    /// Lifts the element that starts at `self.pos` out of the stream.
    fn lift(&mut self) -> std::io::Result<()> {
        let mut element = Vec::new();
        let first = self.buf[self.pos];
        let container = matches!(first, b'{' | b'[');
        let string = first == b'"';
        let (mut depth, mut in_string, mut escape) = (0usize, false, false);
        let mut started = false;
        'outer: loop {
            if !self.refill()? {
                break;
            }
            let bytes = &self.buf[self.pos..self.end];
            let mut i = 0;
            while i < bytes.len() {
                let b = bytes[i];
                if !started {
                    started = true;
                    if container {
                        depth = 1;
                    } else if string {
                        in_string = true;
                    }
                    i += 1;
                    continue;
                }
                if in_string {
                    if escape {
                        escape = false;
                        i += 1;
                        continue;
                    }
                    // The bulk of the work: skip to the next quote or backslash.
                    match bytes[i..].iter().position(|&c| c == b'"' || c == b'\\') {
                        None => {
                            i = bytes.len();
                            continue;
                        }
                        Some(j) => i += j,
                    }
                    i += 1;
                    if bytes[i - 1] == b'\\' {
                        escape = true;
                        continue;
                    }
                    in_string = false;
                    if string {
                        element.extend_from_slice(&bytes[..i]);
                        self.pos += i;
                        break 'outer;
                    }
                    continue;
                }
                if !container {
                    // A number or a literal: up to the next delimiter.
                    if matches!(b, b',' | b']' | b'}' | b' ' | b'\n' | b'\r' | b'\t') {
                        element.extend_from_slice(&bytes[..i]);
                        self.pos += i;
                        break 'outer;
                    }
                    i += 1;
                    continue;
                }
                match b {
                    b'"' => in_string = true,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            i += 1;
                            element.extend_from_slice(&bytes[..i]);
                            self.pos += i;
                            break 'outer;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            element.extend_from_slice(bytes);
            self.pos = self.end;
        }
        let newlines = element.iter().filter(|&&c| c == b'\n').count();
        self.pending.clear();
        self.pending.push(b'0');
        self.pending.resize(1 + newlines, b'\n');
        self.pending_at = 0;
        self.lifted.borrow_mut().push_back(element);
        Ok(())
    }
}

impl<R: Read> Read for Skeleton<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        if self.pending_at < self.pending.len() {
            let n = out.len().min(self.pending.len() - self.pending_at);
            out[..n].copy_from_slice(&self.pending[self.pending_at..self.pending_at + n]);
            self.pending_at += n;
            return Ok(n);
        }
        let mut n = 0;
        while n < out.len() {
            if !self.refill()? {
                break;
            }
            let b = self.buf[self.pos];
            let element_starts = !self.in_string
                && matches!(self.stack.last(), Some(Frame::Array { target: true }))
                && !matches!(b, b',' | b']' | b' ' | b'\n' | b'\r' | b'\t');
            if element_starts {
                if n > 0 {
                    // Hand out what is before it first.
                    break;
                }
                self.lift()?;
                return self.read(out);
            }
            self.pos += 1;
            self.step(b);
            out[n] = b;
            n += 1;
        }
        Ok(n)
    }
}

/// Turns a callback's result into serde's: a callback error is kept in the slot and serde
/// unwinds with a placeholder (the caller reports the kept error, see [`classify`]).
pub fn keep<E: de::Error>(result: anyhow::Result<()>, slot: &Slot) -> Result<(), E> {
    result.map_err(|e| {
        let mut s = slot.borrow_mut();
        if s.is_none() {
            *s = Some(e);
        }
        E::custom("stopped")
    })
}

/// Visitor methods for the values that are not containers: they are accepted and give `$v`.
macro_rules! other_values {
    (with $this:ident: $v:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            let $this = self;
            Ok($v)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            let $this = self;
            Ok($v)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            let $this = self;
            Ok($v)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            let $this = self;
            Ok($v)
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            let $this = self;
            Ok($v)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            let $this = self;
            Ok($v)
        }
    };
    ($v:expr) => {
        other_values!(with _this: $v);
    };
}
pub(crate) use other_values;

/// Follows `path` down objects to an array and hands over its elements (lifted out of the
/// stream by the [`Skeleton`]: in the skeleton each is a `0`).
struct PathSeed<'p, 'f, 'g> {
    path: &'p [&'p str],
    each: RefCell<&'f mut (dyn FnMut(usize, Value) -> anyhow::Result<()> + 'g)>,
    slot: &'f Slot,
    lifted: &'f Lifted,
}

impl<'de> DeserializeSeed<'de> for PathSeed<'_, '_, '_> {
    type Value = Found;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Found, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for PathSeed<'_, '_, '_> {
    type Value = Found;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON document")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Found, M::Error> {
        let Some((want, rest)) = self.path.split_first() else {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            return Ok(Found::NotArray);
        };
        let mut found = Found::Missing;
        while let Some(key) = map.next_key::<String>()? {
            if key == *want && found == Found::Missing {
                found = map.next_value_seed(PathSeed {
                    path: rest,
                    each: RefCell::new(&mut **self.each.borrow_mut()),
                    slot: self.slot,
                    lifted: self.lifted,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }

    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<Found, S::Error> {
        if !self.path.is_empty() {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            return Ok(Found::Missing);
        }
        let mut index = 0;
        while seq.next_element::<IgnoredAny>()?.is_some() {
            let bytes = self.lifted.borrow_mut().pop_front().unwrap_or_default();
            let result = serde_json::from_slice::<Value>(&bytes)
                .map_err(|e| anyhow::Error::new(ElementNotJson(index, e)))
                .and_then(|element| (self.each.borrow_mut())(index, element));
            keep::<S::Error>(result, self.slot)?;
            index += 1;
        }
        Ok(Found::Array(index))
    }

    other_values!(with this: if this.path.is_empty() {
        Found::NotArray
    } else {
        Found::Missing
    });
}

/// Streams `text` (a test helper): what [`array_at`] found and the elements handed over.
#[cfg(test)]
fn from_value_str(text: &str, path: &[&str]) -> (Result<Found, String>, Vec<(usize, Value)>) {
    let mut seen = Vec::new();
    let result = array_at(text.as_bytes(), path, &mut |i, v| {
        seen.push((i, v));
        Ok(())
    })
    .map_err(|e| e.to_string());
    (result, seen)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hands_over_the_elements_at_the_path_and_skips_the_rest() {
        let doc = json!({"before": {"entries": [9]}, "log": {"version": "1.2", "entries": [{"a": 1}, {"b": [2, 3]}], "after": [1]}, "x": null});
        let (found, seen) = from_value_str(&doc.to_string(), &["log", "entries"]);
        assert_eq!(found, Ok(Found::Array(2)));
        assert_eq!(seen, vec![(0, json!({"a": 1})), (1, json!({"b": [2, 3]}))]);
        assert_eq!(
            from_value_str(r#"{"log": {}}"#, &["log", "entries"]).0,
            Ok(Found::Missing)
        );
        assert_eq!(
            from_value_str(r#"[1, 2]"#, &["log", "entries"]).0,
            Ok(Found::Missing)
        );
        assert_eq!(
            from_value_str(r#""text""#, &["log", "entries"]).0,
            Ok(Found::Missing)
        );
        assert_eq!(
            from_value_str(r#"{"log": {"entries": {}}}"#, &["log", "entries"]).0,
            Ok(Found::NotArray)
        );
        let (bad, _) = from_value_str(r#"{"log": {"entries": [1, "#, &["log", "entries"]);
        assert!(bad.unwrap_err().starts_with("not JSON"));
        let (trailing, _) = from_value_str(r#"{"log": {}} x"#, &["log", "entries"]);
        assert!(trailing.unwrap_err().starts_with("not JSON"));
    }

    #[test]
    fn elements_with_tricky_strings_and_scalars() {
        let doc = r#"{"x": "\\\"[{", "log": {"pages": [[1], {"entries": [5]}], "entries": [
            {"text": "a \"quoted\" ]} and \\ backslash \\", "n": [1, [2, {"k": "}"}]]},
            "a string with \"escapes\"",
            12.5e3, true, null, [],
            {"last": "\u00e9\\"}
        ], "entries": [99]}, "after": {"entries": [1]}}"#;
        let (found, seen) = from_value_str(doc, &["log", "entries"]);
        assert_eq!(found, Ok(Found::Array(7)));
        let values: Vec<Value> = seen.into_iter().map(|(_, v)| v).collect();
        assert_eq!(
            values,
            vec![
                json!({"text": "a \"quoted\" ]} and \\ backslash \\", "n": [1, [2, {"k": "}"}]]}),
                json!("a string with \"escapes\""),
                json!(12.5e3),
                json!(true),
                json!(null),
                json!([]),
                json!({"last": "é\\"}),
            ]
        );
        // A broken element is reported with its index; an error outside the elements with
        // the file's line.
        let (bad, _) = from_value_str(
            "{\"log\": {\"entries\": [{\"a\": 1},\n{\"a\": tru}]}}",
            &["log", "entries"],
        );
        assert!(
            bad.as_ref()
                .unwrap_err()
                .starts_with("not JSON: element 1 of log.entries: "),
            "{bad:?}"
        );
        let (bad, _) = from_value_str(
            "{\"log\": {\"entries\": [{\"a\":\n\n 1}],\n\n\"x\": nope}}",
            &["log", "entries"],
        );
        let bad = bad.unwrap_err();
        assert!(bad.contains("line 5"), "{bad}");
    }

    #[test]
    fn a_callback_error_stops_the_stream_and_is_returned() {
        let mut seen = 0;
        let err = array_at(
            r#"{"log": {"entries": [1, 2, 3]}}"#.as_bytes(),
            &["log", "entries"],
            &mut |i, _| {
                seen += 1;
                if i == 1 {
                    Err(anyhow::anyhow!("entry {i}: refused"))
                } else {
                    Ok(())
                }
            },
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "entry 1: refused");
        assert_eq!(seen, 2);
    }

    /// A reader that hands out a generated document in small pieces and counts what it read:
    /// the elements are handed over while the document is still being read.
    struct Generated {
        entries: usize,
        next: usize,
        pending: Vec<u8>,
        read: usize,
        done: bool,
        /// Where each element ends in the document.
        ends: Vec<usize>,
        written: usize,
    }

    impl Read for Generated {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.pending.is_empty() && !self.done {
                self.pending = if self.next == 0 {
                    br#"{"log": {"entries": ["#.to_vec()
                } else if self.next <= self.entries {
                    let sep = if self.next > 1 { "," } else { "" };
                    let e = format!(
                        r#"{sep}{{"i": {}, "pad": "{}"}}"#,
                        self.next - 1,
                        "x".repeat(1000)
                    )
                    .into_bytes();
                    self.ends.push(self.written + e.len());
                    e
                } else {
                    self.done = true;
                    b"]}}".to_vec()
                };
                self.written += self.pending.len();
                self.next += 1;
            }
            let n = buf.len().min(self.pending.len()).min(512);
            buf[..n].copy_from_slice(&self.pending[..n]);
            self.pending.drain(..n);
            self.read += n;
            Ok(n)
        }
    }

    #[test]
    fn elements_are_handed_over_while_the_document_is_read() {
        let reader = RefCell::new(Generated {
            entries: 5_000,
            next: 0,
            pending: Vec::new(),
            read: 0,
            done: false,
            ends: Vec::new(),
            written: 0,
        });
        struct Shared<'a>(&'a RefCell<Generated>);
        impl Read for Shared<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                self.0.borrow_mut().read(buf)
            }
        }
        let mut max_gap = 0;
        let found = array_at(Shared(&reader), &["log", "entries"], &mut |i, v| {
            assert_eq!(v["i"], i);
            // When element i is handed over, the document has been read little further than
            // its end.
            let r = reader.borrow();
            max_gap = max_gap.max(r.read.saturating_sub(r.ends[i]));
            Ok(())
        })
        .unwrap();
        assert_eq!(found, Found::Array(5_000));
        // The reader is at most a couple of elements ahead (5 MB in all).
        assert!(max_gap < 2_048, "read {max_gap} bytes ahead");
    }
}
