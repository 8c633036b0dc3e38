//! JSON text exactly as JavaScript writes it: `JSON.stringify(JSON.parse(text))`.
//!
//! Kotani's servers run on Node.js. Where a signature covers JSON (secure-mode request signing,
//! v3 webhooks), the other side most likely checks it over the text Node's own serializer
//! writes for the parsed value, not over the bytes that were sent. `serde_json` and
//! `JSON.stringify` agree on most of it, but not on numbers (`serde_json` writes `500.0`,
//! `-0.0`, `1e-6`, `1e+16` and `1.2345678901234568e+20` where JavaScript writes `500`, `0`,
//! `0.000001`, `10000000000000000` and `123456789012345680000`; before 1.0.146 it also wrote
//! `1e21` for `1e+21`) nor on the order of keys that look like array indices (JavaScript puts
//! `"2"` before `"10"` before `"a"`, whatever the order in the text). [`to_js_bytes`] rewrites a JSON text into Node's form:
//!
//! - whitespace between tokens removed;
//! - strings copied; an escape `JSON.stringify` would not write is rewritten as it would
//!   (`\/` → `/`, `\u0041` → `A`, an escaped surrogate pair → the character in UTF-8,
//!   `\u001F` → `\u001f`, `\u000a` → `\n`). The escapes `serde_json` writes are already the
//!   ones `JSON.stringify` writes (`\"`, `\\`, `\b \f \n \r \t`, other C0 controls as `\u00xx`
//!   in lower case, everything else raw UTF-8, U+2028/U+2029 included), so a string written by
//!   `serde_json` is copied unchanged (checked against Node in `tests/vectors/`). A lone
//!   surrogate escape stays escaped, in lower case, as `JSON.stringify` writes it;
//! - numbers written as ECMAScript's `Number::toString` writes the double nearest the token:
//!   the shortest digits that round-trip, in fixed notation for `1e-6 <= |x| < 1e21`
//!   (`0.000001`, `123456789012345680000`) and as `d.ddde+N` / `de-N` otherwise (`1e-7`,
//!   `1.5e+300`); `-0` is `0`;
//! - object keys in JavaScript's property order: array-index keys (`"0"` … `"4294967294"`, in
//!   canonical decimal form: not `"01"`, `"-1"`, `"1.5"` nor `"4294967295"`) first, in ascending
//!   numeric order, then every other key in the order received;
//! - a repeated key keeps its last value, at the position of its first occurrence (as
//!   `JSON.parse` does).
//!
//! # Numbers a JavaScript double cannot hold
//!
//! A number whose JavaScript text is not numerically equal to the token is **refused**
//! ([`JsJsonErrorKind::InexactNumber`], naming the JSON path and the number): an integer beyond
//! 2^53 that a double rounds (`9007199254740993`, `u64::MAX`, `i64::MIN`), a decimal with more
//! significant digits than a double keeps (`1.00000000000000001`), a magnitude beyond `f64`
//! (`1e400`, which `JSON.stringify` would send as `null`) or below it (`1e-400`, sent as `0`).
//! Sending the rewritten text would mean sending a different amount from the one the caller set.
//! Texts are compared as numbers (digits and exponent, leading and trailing zeros ignored), so
//! `1.50`, `1.5e0` and `150e-2` are all accepted and all become `1.5`. Every `f64` `serde_json`
//! writes is accepted (its text is a round-trip text of the double). Integers (`i64`, `u64`)
//! are accepted up to 2^53 in magnitude; beyond that only when JavaScript's shortest text of the
//! double is the same number (`9007199254740994` and `10^20` are; `9007199254740993` is not, nor
//! is `2^60`, which JavaScript writes `1152921504606847000`). Send such identifiers as strings.
//!
//! # Cost
//!
//! One pass over the bytes, with no `serde_json::Value` tree. When the text is already in
//! Node's form (compact, in property order, every number already JavaScript's text) the result
//! borrows the input and nothing is allocated. A number's text is checked by a fast path (an
//! integer of up to 15 digits, or a decimal of up to 15 significant digits without trailing
//! zeros, is always its own JavaScript text); other numbers are parsed (correctly rounded) and
//! written with the shortest round-trip digits (`ryu`).
//!
//! ```
//! use kotanipay::jsjson::to_js_bytes;
//!
//! let body = br#"{"amount":500.0,"fee":1e-6,"10":"x","2":"y"}"#;
//! assert_eq!(&*to_js_bytes(body)?, br#"{"2":"y","10":"x","amount":500,"fee":0.000001}"#);
//! // Already in JavaScript's form: borrowed, nothing allocated.
//! assert!(matches!(to_js_bytes(br#"{"amount":500}"#)?, std::borrow::Cow::Borrowed(_)));
//! // A double cannot hold this amount: refused, never rounded.
//! let err = to_js_bytes(br#"{"amount":9007199254740993}"#).unwrap_err();
//! assert_eq!(err.path(), "$.amount");
//! # Ok::<(), kotanipay::jsjson::JsJsonError>(())
//! ```

use std::borrow::Cow;
use std::fmt;

/// Deepest nesting [`to_js_bytes`] accepts (the outermost array or object is level 1), the
/// same limit `serde_json` parses to.
pub const MAX_DEPTH: usize = 128;

/// Rewrites one JSON text into exactly what Node's `JSON.stringify(JSON.parse(text))` returns
/// (see the [module documentation](self) for the rules).
///
/// The text must be UTF-8 and one JSON value (RFC 8259), optionally surrounded by whitespace.
/// The result borrows `body` when it is already in that form (leading and trailing whitespace
/// aside), and is a new buffer otherwise.
///
/// # Errors
///
/// [`JsJsonErrorKind::InexactNumber`] for a number a JavaScript double does not hold as written,
/// [`JsJsonErrorKind::Syntax`] for text that is not JSON, [`JsJsonErrorKind::TooDeep`] for
/// nesting deeper than [`MAX_DEPTH`]. The error names the JSON path of the value at fault.
pub fn to_js_bytes(body: &[u8]) -> Result<Cow<'_, [u8]>, JsJsonError> {
    if let Err(e) = std::str::from_utf8(body) {
        let fail = Fail::syntax(e.valid_up_to(), "invalid UTF-8");
        return Err(fail.public(body));
    }
    let start = skip_ws(body, 0);
    let mut w = Writer::new(body, start, Duplicates::KeepLast, MAX_DEPTH);
    w.value(0).map_err(|f| f.public(body))?;
    let end = w.pos;
    if skip_ws(body, end) != body.len() {
        return Err(Fail::syntax(end, "trailing characters after the JSON value").public(body));
    }
    Ok(w.finish(end))
}

/// Why [`to_js_bytes`] refused a text.
///
/// `Display` is one line naming the JSON path; for a refused number it shows the number as
/// written and what JavaScript would have made of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsJsonError {
    kind: JsJsonErrorKind,
    path: String,
    offset: usize,
    what: &'static str,
    number: Option<String>,
    js: Option<String>,
}

/// What was wrong, for `match`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JsJsonErrorKind {
    /// A number whose JavaScript text is not numerically equal to it: a double does not hold
    /// it as written.
    InexactNumber,
    /// Not one JSON value in UTF-8.
    Syntax,
    /// Nested deeper than [`MAX_DEPTH`].
    TooDeep,
}

impl JsJsonError {
    /// What was wrong.
    pub fn kind(&self) -> JsJsonErrorKind {
        self.kind
    }

    /// The JSON path of the value at fault: `$`, `$.amount`, `$.items[2]`, `$["10"].x`.
    /// For a syntax error, the container the error is in.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The byte offset in the input where the fault is.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// For [`JsJsonErrorKind::InexactNumber`]: the number as written.
    pub fn number(&self) -> Option<&str> {
        self.number.as_deref()
    }

    /// For [`JsJsonErrorKind::InexactNumber`]: what `JSON.stringify(JSON.parse(..))` would
    /// have written instead (`null` for a magnitude beyond `f64`).
    pub fn js_number(&self) -> Option<&str> {
        self.js.as_deref()
    }
}

impl fmt::Display for JsJsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            JsJsonErrorKind::InexactNumber => write!(
                f,
                "the number {} at {} cannot be sent as written: a JavaScript double reads it as {}",
                self.number.as_deref().unwrap_or_default(),
                self.path,
                self.js.as_deref().unwrap_or_default(),
            ),
            JsJsonErrorKind::Syntax | JsJsonErrorKind::TooDeep => write!(
                f,
                "not JSON this SDK can send: {} at byte {} ({})",
                self.what, self.offset, self.path
            ),
        }
    }
}

impl std::error::Error for JsJsonError {}

// ---------------------------------------------------------------------------------------------
// crate-internal entry points (the webhook verifier's strict mode)

/// Why [`render_strict`] refused a value. `at` is a byte offset in the whole text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StrictError {
    pub(crate) at: usize,
    pub(crate) what: &'static str,
    /// The value holds a number a JavaScript double does not hold as written.
    pub(crate) inexact: bool,
}

/// `what` of a [`StrictError`] for a number a JavaScript double does not hold as written.
pub(crate) const INEXACT_NUMBER: &str = "a number a JavaScript double does not hold as written";

/// The value starting at `text[start]` (no whitespace before it), written as `JSON.stringify`
/// writes it, and the offset just past it. Strict: a repeated key (compared as JavaScript
/// compares them, `"a"` and `"\u0061"` alike) is an error rather than last-wins, and so is
/// nesting beyond `max_depth` levels, counting from `depth` (the level the value sits at).
///
/// `text` must already be known to be UTF-8. Borrows `text[start..end]` when unchanged.
pub(crate) fn render_strict(
    text: &[u8],
    start: usize,
    depth: usize,
    max_depth: usize,
) -> Result<(Cow<'_, [u8]>, usize), StrictError> {
    let mut w = Writer::new(text, start, Duplicates::Refuse, max_depth);
    match w.value(depth) {
        Ok(()) => {
            let end = w.pos;
            Ok((w.finish(end), end))
        }
        Err(f) => Err(StrictError {
            at: f.at,
            what: f.what,
            inexact: f.kind == JsJsonErrorKind::InexactNumber,
        }),
    }
}

/// The array index a key stands for, when it is one: `key` is the key as `JSON.stringify`
/// writes it, quotes included (`"12"`).
pub(crate) fn array_index(key: &[u8]) -> Option<u32> {
    let digits = key.strip_prefix(b"\"")?.strip_suffix(b"\"")?;
    match index_of(digits) {
        NOT_INDEX => None,
        i => Some(i),
    }
}

// ---------------------------------------------------------------------------------------------
// the writer

/// Not an array index: 2^32 - 1 is the one `u32` that is not.
const NOT_INDEX: u32 = u32::MAX;

/// The array index of a key's content (between the quotes), or [`NOT_INDEX`].
fn index_of(digits: &[u8]) -> u32 {
    match digits {
        [b'0'] => 0,
        [b'1'..=b'9', rest @ ..] if rest.len() < 10 && rest.iter().all(u8::is_ascii_digit) => {
            let v = digits.iter().fold(0u64, |v, d| v * 10 + u64::from(d - b'0'));
            // 2^32 - 1 itself is not an index, which is exactly NOT_INDEX.
            u32::try_from(v).unwrap_or(NOT_INDEX)
        }
        _ => NOT_INDEX,
    }
}

fn skip_ws(s: &[u8], mut at: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = s.get(at) {
        at += 1;
    }
    at
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Duplicates {
    /// `JSON.parse`: the last value, at the first key's position.
    KeepLast,
    /// An error.
    Refuse,
}

/// One member of an open object. Offsets are in the output (see [`Writer`]).
#[derive(Clone, Copy, Default)]
struct Member {
    /// Where the key's opening quote is in the input (for errors).
    key_in: usize,
    /// The key as written out, quotes included.
    key_start: usize,
    key_end: usize,
    /// Just past the value.
    end: usize,
    index: u32,
    /// A cheap digest of the key (length and end bytes): different tags, different keys.
    tag: u64,
}

/// One of 64 bits for a tag (its top bits after a multiplicative mix), for a per-object set of
/// the tags seen so far.
pub(crate) fn tag_bit(tag: u64) -> u64 {
    1u64 << (tag.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58)
}

/// The tag of a key as written out (quotes included).
pub(crate) fn key_tag(key: &[u8]) -> u64 {
    let (head, tail) = match (key.first_chunk::<8>(), key.last_chunk::<8>()) {
        (Some(head), Some(tail)) => (u64::from_le_bytes(*head), u64::from_le_bytes(*tail)),
        // Up to 7 bytes: all of them.
        _ => (key.iter().fold(0, |v, &b| (v << 8) | u64::from(b)), 0),
    };
    (head ^ tail.rotate_left(29)).wrapping_add(key.len() as u64)
}

/// The members of every open object, innermost last; the first few in place, so that common
/// bodies allocate nothing.
struct Members {
    inline: [Member; INLINE],
    len: usize,
    spill: Vec<Member>,
}

const INLINE: usize = 32;

impl Members {
    fn new() -> Self {
        Members {
            inline: [Member::default(); INLINE],
            len: 0,
            spill: Vec::new(),
        }
    }

    fn push(&mut self, m: Member) {
        match self.inline.get_mut(self.len) {
            Some(slot) => *slot = m,
            None => self.spill.push(m),
        }
        self.len += 1;
    }

    fn get(&self, i: usize) -> Member {
        match self.inline.get(i) {
            Some(m) => *m,
            None => self.spill.get(i - INLINE).copied().unwrap_or_default(),
        }
    }

    fn truncate(&mut self, len: usize) {
        if len < self.len {
            self.len = len;
            self.spill.truncate(len.saturating_sub(INLINE));
        }
    }
}

/// A recursive-descent rewriter that copies lazily.
///
/// The output is a virtual byte stream: `out` followed by `s[flushed..pos]`. As long as nothing
/// differs from the input, `out` stays empty (unallocated) and the output is `s[base..pos]`;
/// the first difference copies the input read so far into `out`, and from then on each change
/// appends the unchanged run before it. An output offset is therefore
/// `out.len() + (input offset - flushed)` at every moment.
struct Writer<'a> {
    s: &'a [u8],
    pos: usize,
    base: usize,
    out: Vec<u8>,
    flushed: usize,
    changed: bool,
    members: Members,
    duplicates: Duplicates,
    max_depth: usize,
}

impl<'a> Writer<'a> {
    fn new(s: &'a [u8], start: usize, duplicates: Duplicates, max_depth: usize) -> Self {
        Writer {
            s,
            pos: start,
            base: start,
            out: Vec::new(),
            flushed: start,
            changed: false,
            members: Members::new(),
            duplicates,
            max_depth,
        }
    }

    fn finish(&mut self, end: usize) -> Cow<'a, [u8]> {
        if !self.changed {
            return Cow::Borrowed(&self.s[self.base..end]);
        }
        let mut out = std::mem::take(&mut self.out);
        out.extend_from_slice(&self.s[self.flushed..end]);
        Cow::Owned(out)
    }

    /// The output offset of input offset `at` (`at >= flushed`).
    fn out_pos(&self, at: usize) -> usize {
        self.out.len() + (at - self.flushed)
    }

    /// The output so far, up to `pos`: after [`flush`](Self::flush) when changed.
    fn written(&self) -> &[u8] {
        if self.changed {
            &self.out
        } else {
            &self.s[self.base..self.pos]
        }
    }

    fn start_copy(&mut self) {
        if !self.changed {
            self.changed = true;
            self.out.reserve(self.s.len() - self.flushed + 16);
        }
    }

    /// Writes `with` in place of the input `from..to` (`flushed <= from <= to`).
    fn replace(&mut self, from: usize, to: usize, with: &[u8]) {
        self.start_copy();
        self.out.extend_from_slice(&self.s[self.flushed..from]);
        self.out.extend_from_slice(with);
        self.flushed = to;
    }

    /// Copies the pending run so that `out` holds the whole output up to `pos`.
    fn flush(&mut self) {
        self.start_copy();
        self.out.extend_from_slice(&self.s[self.flushed..self.pos]);
        self.flushed = self.pos;
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    /// Drops whitespace at `pos` (none, in compact text: checked inline).
    #[inline(always)]
    fn ws(&mut self) {
        if let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.drop_ws();
        }
    }

    #[cold]
    fn drop_ws(&mut self) {
        let start = self.pos;
        self.pos = skip_ws(self.s, start);
        self.replace(start, self.pos, b"");
    }

    fn value(&mut self, depth: usize) -> Result<(), Fail> {
        match self.peek() {
            None => Err(Fail::syntax(self.pos, "unexpected end of input")),
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => self.string().map(drop),
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(Fail::syntax(self.pos, "expected a JSON value")),
        }
    }

    fn literal(&mut self, word: &'static [u8]) -> Result<(), Fail> {
        if self.s.get(self.pos..self.pos + word.len()) == Some(word) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(Fail::syntax(self.pos, "invalid literal"))
        }
    }

    fn array(&mut self, depth: usize) -> Result<(), Fail> {
        if depth > self.max_depth {
            return Err(Fail::deep(self.pos));
        }
        self.pos += 1; // `[`
        self.ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(());
        }
        let mut i = 0;
        loop {
            self.ws();
            self.value(depth).map_err(|f| f.within(Seg::Index(i)))?;
            self.ws();
            match self.peek() {
                Some(b',') => i += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(Fail::syntax(self.pos, "expected `,` or `]`")),
            }
            self.pos += 1;
        }
    }

    fn object(&mut self, depth: usize) -> Result<(), Fail> {
        if depth > self.max_depth {
            return Err(Fail::deep(self.pos));
        }
        let open = self.out_pos(self.pos);
        self.pos += 1; // `{`
        self.ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        let first = self.members.len;
        // In JavaScript's order so far: indices ascending, all before the other keys.
        let mut in_order = true;
        let mut last_index = None;
        let mut named = false;
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return Err(Fail::syntax(self.pos, "expected a string key"));
            }
            let key_in = self.pos;
            let key_start = self.out_pos(self.pos);
            let rewritten = self.string()?;
            let key_end = self.out_pos(self.pos);
            let key = if rewritten {
                self.flush();
                &self.out[key_start..key_end]
            } else {
                &self.s[key_in..self.pos]
            };
            let index = index_of(&key[1..key.len() - 1]);
            let tag = key_tag(key);
            if index == NOT_INDEX {
                named = true;
            } else {
                in_order &= !named && last_index.is_none_or(|l| l < index);
                last_index = Some(index);
            }
            self.ws();
            if self.peek() != Some(b':') {
                return Err(Fail::syntax(self.pos, "expected `:`"));
            }
            self.pos += 1;
            self.ws();
            self.value(depth).map_err(|f| f.within(Seg::Key(key_in)))?;
            let end = self.out_pos(self.pos);
            self.members.push(Member {
                key_in,
                key_start,
                key_end,
                end,
                index,
                tag,
            });
            self.ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    let closed = self.close(open, first, in_order);
                    self.members.truncate(first);
                    closed?;
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(Fail::syntax(self.pos, "expected `,` or `}`")),
            }
        }
    }

    /// At the `}` of an object whose members are `members[first..]`: refuses or merges
    /// repeated keys, and puts the members in JavaScript's order.
    fn close(&mut self, open: usize, first: usize, in_order: bool) -> Result<(), Fail> {
        let n = self.members.len - first;
        if n < 2 {
            return Ok(());
        }
        if self.changed {
            self.flush();
        }
        let repeated = self.repeated_key(first, n);
        if let (Some(j), Duplicates::Refuse) = (repeated, self.duplicates) {
            return Err(Fail::syntax(self.members.get(first + j).key_in, "duplicate key"));
        }
        if in_order && repeated.is_none() {
            return Ok(());
        }
        self.flush();
        self.reorder(open, first, n);
        Ok(())
    }

    /// The first member (relative to `first`) whose key an earlier member already has.
    fn repeated_key(&self, first: usize, n: usize) -> Option<usize> {
        let written = self.written();
        let key = |i: usize| {
            let m = self.members.get(first + i);
            &written[m.key_start..m.key_end]
        };
        if n <= 24 {
            let tag = |i: usize| self.members.get(first + i).tag;
            // One bit per tag seen: a member whose bit is clear repeats no earlier key, without
            // comparing it to each (most members); a set bit compares tags, then keys.
            let mut seen_bits = 0u64;
            return (0..n).find(|&j| {
                let bit = tag_bit(tag(j));
                let maybe = seen_bits & bit != 0;
                seen_bits |= bit;
                maybe && (0..j).any(|i| tag(i) == tag(j) && key(i) == key(j))
            });
        }
        let mut sorted: Vec<usize> = (0..n).collect();
        sorted.sort_by(|&a, &b| key(a).cmp(key(b)).then(a.cmp(&b)));
        sorted
            .windows(2)
            .filter(|w| key(w[0]) == key(w[1]))
            .map(|w| w[1])
            .min()
    }

    /// Rewrites the object opened at output offset `open` (all of it now in `out`): one member
    /// per distinct key (the last value, at the first position), array indices first in
    /// ascending order, then the other keys in order.
    fn reorder(&mut self, open: usize, first: usize, n: usize) {
        let members: Vec<Member> = (0..n).map(|i| self.members.get(first + i)).collect();
        let key = |m: &Member| &self.out[m.key_start..m.key_end];
        // Group equal keys: (index, first position, last position).
        let mut by_key: Vec<usize> = (0..n).collect();
        by_key.sort_by(|&a, &b| key(&members[a]).cmp(key(&members[b])).then(a.cmp(&b)));
        let mut groups: Vec<(u32, usize, usize)> = Vec::with_capacity(n);
        for &i in &by_key {
            match groups.last_mut() {
                Some(g) if key(&members[g.2]) == key(&members[i]) => g.2 = i,
                _ => groups.push((members[i].index, i, i)),
            }
        }
        groups.sort_unstable_by_key(|&(index, first_at, _)| (index, first_at));
        let mut inner = Vec::with_capacity(self.out.len() - open);
        for (k, &(_, _, last)) in groups.iter().enumerate() {
            if k > 0 {
                inner.push(b',');
            }
            let m = &members[last];
            inner.extend_from_slice(&self.out[m.key_start..m.end]);
        }
        self.out.truncate(open + 1);
        self.out.extend_from_slice(&inner);
    }

    /// A string at `pos` (its opening quote). Returns whether an escape was rewritten.
    fn string(&mut self) -> Result<bool, Fail> {
        self.pos += 1;
        let mut rewritten = false;
        loop {
            self.pos = plain_run_end(self.s, self.pos);
            match self.peek() {
                None => return Err(Fail::syntax(self.pos, "unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(rewritten);
                }
                Some(b'\\') => rewritten |= self.escape()?,
                Some(_) => return Err(Fail::syntax(self.pos, "control character in a string")),
            }
        }
    }

    /// The escape at `pos` (its backslash). Returns whether it was rewritten.
    fn escape(&mut self) -> Result<bool, Fail> {
        let start = self.pos;
        match self.s.get(start + 1) {
            Some(b'"' | b'\\' | b'b' | b'f' | b'n' | b'r' | b't') => {
                self.pos += 2;
                Ok(false)
            }
            Some(b'/') => {
                self.pos += 2;
                self.replace(start, self.pos, b"/");
                Ok(true)
            }
            Some(b'u') => {
                self.pos += 2;
                let unit = self.hex4()?;
                let mut cp = unit;
                if (0xD800..0xDC00).contains(&unit) && self.s.get(self.pos..self.pos + 2) == Some(b"\\u") {
                    // A high surrogate pairs with an escaped low surrogate right after it (raw
                    // UTF-8 cannot encode a surrogate).
                    let back = self.pos;
                    self.pos += 2;
                    let low = self.hex4()?;
                    if (0xDC00..0xE000).contains(&low) {
                        cp = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                    } else {
                        self.pos = back;
                    }
                }
                let mut buf = [0u8; 6];
                let js = js_escape(cp, &mut buf);
                if js == &self.s[start..self.pos] {
                    Ok(false)
                } else {
                    self.replace(start, self.pos, js);
                    Ok(true)
                }
            }
            _ => Err(Fail::syntax(start + 1, "invalid escape")),
        }
    }

    fn hex4(&mut self) -> Result<u32, Fail> {
        let mut v = 0u32;
        for _ in 0..4 {
            let d = match self.peek() {
                Some(b @ b'0'..=b'9') => b - b'0',
                Some(b @ b'a'..=b'f') => b - b'a' + 10,
                Some(b @ b'A'..=b'F') => b - b'A' + 10,
                _ => return Err(Fail::syntax(self.pos, "invalid \\u escape")),
            };
            self.pos += 1;
            v = v * 16 + u32::from(d);
        }
        Ok(v)
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    /// An RFC 8259 number, rewritten as JavaScript writes it.
    fn number(&mut self) -> Result<(), Fail> {
        let start = self.pos;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.pos += 1;
        }
        let int_start = self.pos;
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                if let Some(b'0'..=b'9') = self.peek() {
                    return Err(Fail::syntax(self.pos, "leading zero in a number"));
                }
            }
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(Fail::syntax(self.pos, "invalid number")),
        }
        let int = &self.s[int_start..self.pos];
        let mut frac: &[u8] = &[];
        if self.peek() == Some(b'.') {
            self.pos += 1;
            let frac_start = self.pos;
            if self.digits() == 0 {
                return Err(Fail::syntax(
                    self.pos,
                    "invalid number: digits expected after `.`",
                ));
            }
            frac = &self.s[frac_start..self.pos];
        }
        let mut exponent = false;
        if let Some(b'e' | b'E') = self.peek() {
            exponent = true;
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(Fail::syntax(
                    self.pos,
                    "invalid number: digits expected in the exponent",
                ));
            }
        }
        let token = &self.s[start..self.pos];
        if !exponent {
            // `500.0`, `2.50`: JavaScript drops the trailing zeros (and `-0.0` is `0`).
            let zeros = frac.iter().rev().take_while(|&&d| d == b'0').count();
            let kept = &frac[..frac.len() - zeros];
            if is_js_text(negative, int, kept) {
                if zeros > 0 {
                    // Nothing left after the `.`: it goes too.
                    let from = self.pos - zeros - usize::from(kept.is_empty());
                    self.replace(from, self.pos, b"");
                }
                return Ok(());
            }
        }
        match js_number(token) {
            Ok(js) if js.as_bytes() == token => Ok(()),
            Ok(js) => {
                self.replace(start, self.pos, js.as_bytes());
                Ok(())
            }
            Err(js) => Err(Fail::inexact(start, self.pos, js)),
        }
    }
}

/// Where the run of plain string bytes starting at `pos` ends: at the first `"`, `\` or byte
/// below 0x20, or at the end of `s`. The input is UTF-8 and those bytes never occur inside a
/// multi-byte character, so the run is whole characters.
#[inline]
pub(crate) fn plain_run_end(s: &[u8], pos: usize) -> usize {
    run_end(s, pos, run_enders, |b| b == b'"' || b == b'\\' || b < 0x20)
}

/// Where a run starting at `pos` ends: at the first byte `ends` says ends it, or at the end of
/// `s`. Eight bytes at a time: `marks` sets the high bit of the bytes of a little-endian word
/// that end the run, exactly for the lowest one (later ones may be marked wrongly), so the first
/// byte that ends it is found from the word's bits; `ends` decides the last few bytes of `s`.
#[inline(always)]
pub(crate) fn run_end(s: &[u8], mut pos: usize, marks: fn(u64) -> u64, ends: fn(u8) -> bool) -> usize {
    while let Some(chunk) = s.get(pos..pos + 8).and_then(|c| c.first_chunk::<8>()) {
        let marked = marks(u64::from_le_bytes(*chunk));
        if marked != 0 {
            return pos + (marked.trailing_zeros() / 8) as usize;
        }
        pos += 8;
    }
    while s.get(pos).is_some_and(|&b| !ends(b)) {
        pos += 1;
    }
    pos
}

/// The bytes of `word` (little-endian) that are `"`, `\` or below 0x20, marked by their high
/// bit. The lowest mark is exact: a borrow only runs upward from a byte that is itself marked,
/// so only bytes after the first one found can be marked wrongly, and they are never looked at.
#[inline(always)]
fn run_enders(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero = |v: u64| v.wrapping_sub(ONES) & !v;
    let below_space = word.wrapping_sub(ONES * 0x20) & !word;
    (below_space | zero(word ^ (ONES * u64::from(b'"'))) | zero(word ^ (ONES * u64::from(b'\\')))) & HIGH
}

/// Whether a number without an exponent is certainly its own JavaScript text: an integer of at
/// most 15 digits, or a decimal of at most 15 significant digits, not ending in `0`, not below
/// 1e-6, and not `-0`. (A decimal of at most 15 significant digits is the shortest text of its
/// double: two such decimals never round to the same double, `f64` keeping 15.95 digits.)
fn is_js_text(negative: bool, int: &[u8], frac: &[u8]) -> bool {
    let int_zero = int == b"0";
    if frac.is_empty() {
        return int.len() <= 15 && !(negative && int_zero);
    }
    if frac.last() == Some(&b'0') {
        return false;
    }
    if int_zero {
        let zeros = frac.iter().take_while(|&&d| d == b'0').count();
        zeros <= 5 && frac.len() - zeros <= 15
    } else {
        int.len() + frac.len() <= 15
    }
}

/// The text `Number::toString` writes for the double nearest `token` (a valid JSON number), or,
/// when that text is not numerically equal to the token, `Err` with that text (`null` for a
/// magnitude beyond `f64`, as `JSON.stringify` writes it).
fn js_number(token: &[u8]) -> Result<NumText, NumText> {
    let parsed = std::str::from_utf8(token)
        .ok()
        .and_then(|t| t.parse::<f64>().ok());
    let value = match parsed {
        Some(v) if v.is_finite() => v,
        _ => return Err(NumText::from_bytes(b"null")),
    };
    let mut buf = ryu::Buffer::new();
    let shortest = Decimal::of(buf.format_finite(value).as_bytes());
    let js = shortest.to_js();
    if Decimal::of(token).same_value(&shortest) {
        Ok(js)
    } else {
        Err(js)
    }
}

/// A number's text, on the stack (at most 25 bytes: `-0.00000` and 17 digits).
#[derive(Clone, Copy)]
struct NumText {
    buf: [u8; 32],
    len: usize,
}

impl NumText {
    fn new() -> Self {
        NumText { buf: [0; 32], len: 0 }
    }

    fn from_bytes(b: &[u8]) -> Self {
        let mut t = NumText::new();
        b.iter().for_each(|&c| t.push(c));
        t
    }

    fn push(&mut self, b: u8) {
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = b;
            self.len += 1;
        }
    }

    fn push_zeros(&mut self, n: i64) {
        for _ in 0..n {
            self.push(b'0');
        }
    }

    fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    fn to_text(self) -> String {
        String::from_utf8_lossy(self.as_bytes()).into_owned()
    }
}

/// A decimal number's text, read as digits and an exponent: the JSON grammar, and `ryu`'s
/// output (which fits it).
struct Decimal<'t> {
    negative: bool,
    int: &'t [u8],
    frac: &'t [u8],
    exp: i64,
}

impl<'t> Decimal<'t> {
    fn of(t: &'t [u8]) -> Self {
        let (negative, t) = match t.strip_prefix(b"-") {
            Some(rest) => (true, rest),
            None => (false, t),
        };
        let (mantissa, exp) = match t.iter().position(|&b| b == b'e' || b == b'E') {
            Some(e) => (&t[..e], &t[e + 1..]),
            None => (t, &b""[..]),
        };
        let (int, frac) = match mantissa.iter().position(|&b| b == b'.') {
            Some(p) => (&mantissa[..p], &mantissa[p + 1..]),
            None => (mantissa, &b""[..]),
        };
        let (exp_negative, exp_digits) = match exp {
            [b'-', rest @ ..] => (true, rest),
            [b'+', rest @ ..] => (false, rest),
            _ => (false, exp),
        };
        // Saturates far beyond any double's range; such a token only compares unequal.
        let magnitude = exp_digits.iter().fold(0i64, |e, d| {
            e.saturating_mul(10)
                .saturating_add(i64::from(d - b'0'))
                .min(1 << 40)
        });
        Decimal {
            negative,
            int,
            frac,
            exp: if exp_negative { -magnitude } else { magnitude },
        }
    }

    fn len(&self) -> usize {
        self.int.len() + self.frac.len()
    }

    fn digit(&self, i: usize) -> u8 {
        match self.int.get(i) {
            Some(&d) => d,
            None => self.frac.get(i - self.int.len()).copied().unwrap_or(b'0'),
        }
    }

    /// The significant digits `first..last` (both inclusive, none when zero) and `n`, such that
    /// the value is `0.d[first]..d[last] × 10^n`.
    fn significant(&self) -> Option<(usize, usize, i64)> {
        let first = (0..self.len()).find(|&i| self.digit(i) != b'0')?;
        let last = (first..self.len())
            .rev()
            .find(|&i| self.digit(i) != b'0')
            .unwrap_or(first);
        let int_len = i64::try_from(self.int.len()).unwrap_or(i64::MAX);
        let first_at = i64::try_from(first).unwrap_or(i64::MAX);
        Some((
            first,
            last,
            self.exp.saturating_add(int_len).saturating_sub(first_at),
        ))
    }

    /// Whether two texts are the same number (`-0` equals `0`).
    fn same_value(&self, other: &Decimal<'_>) -> bool {
        match (self.significant(), other.significant()) {
            (None, None) => true,
            (Some((f1, l1, n1)), Some((f2, l2, n2))) => {
                self.negative == other.negative
                    && n1 == n2
                    && l1 - f1 == l2 - f2
                    && (0..=l1 - f1).all(|i| self.digit(f1 + i) == other.digit(f2 + i))
            }
            _ => false,
        }
    }

    /// ECMAScript `Number::toString` (radix 10) of this value, which must be the shortest
    /// round-trip digits of a double (at most 17).
    fn to_js(&self) -> NumText {
        let mut t = NumText::new();
        let Some((first, last, n)) = self.significant() else {
            t.push(b'0');
            return t;
        };
        if self.negative {
            t.push(b'-');
        }
        let k = i64::try_from(last - first + 1).unwrap_or(i64::MAX);
        let digit = |i: i64| self.digit(first + usize::try_from(i).unwrap_or(usize::MAX));
        if k <= n && n <= 21 {
            (0..k).for_each(|i| t.push(digit(i)));
            t.push_zeros(n - k);
        } else if 0 < n && n <= 21 {
            (0..n).for_each(|i| t.push(digit(i)));
            t.push(b'.');
            (n..k).for_each(|i| t.push(digit(i)));
        } else if -6 < n && n <= 0 {
            t.push(b'0');
            t.push(b'.');
            t.push_zeros(-n);
            (0..k).for_each(|i| t.push(digit(i)));
        } else {
            t.push(digit(0));
            if k > 1 {
                t.push(b'.');
                (1..k).for_each(|i| t.push(digit(i)));
            }
            t.push(b'e');
            let e = n - 1;
            t.push(if e < 0 { b'-' } else { b'+' });
            let mut digits = [0u8; 20];
            let mut at = digits.len();
            let mut rest = e.unsigned_abs();
            loop {
                at -= 1;
                digits[at] = b'0' + (rest % 10) as u8;
                rest /= 10;
                if rest == 0 {
                    break;
                }
            }
            digits[at..].iter().for_each(|&d| t.push(d));
        }
        t
    }
}

/// How `JSON.stringify` writes one code point (or lone surrogate) of a string.
fn js_escape(cp: u32, buf: &mut [u8; 6]) -> &[u8] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let short = |c: u8, buf: &mut [u8; 6]| {
        buf[0] = b'\\';
        buf[1] = c;
        2
    };
    let len = match cp {
        0x08 => short(b'b', buf),
        0x09 => short(b't', buf),
        0x0a => short(b'n', buf),
        0x0c => short(b'f', buf),
        0x0d => short(b'r', buf),
        0x22 => short(b'"', buf),
        0x5c => short(b'\\', buf),
        c if c < 0x20 || (0xD800..0xE000).contains(&c) => {
            buf[0] = b'\\';
            buf[1] = b'u';
            for (slot, shift) in buf[2..].iter_mut().zip([12u32, 8, 4, 0]) {
                *slot = HEX[((c >> shift) & 0xf) as usize];
            }
            6
        }
        c => {
            // Every other value here is a scalar value (below 0x110000, not a surrogate).
            let ch = char::from_u32(c).unwrap_or('\u{FFFD}');
            ch.encode_utf8(&mut buf[..4]).len()
        }
    };
    &buf[..len]
}

// ---------------------------------------------------------------------------------------------
// errors

/// A path segment, innermost first while an error unwinds.
enum Seg {
    /// The key whose string starts at this input offset.
    Key(usize),
    Index(usize),
}

struct Fail {
    kind: JsJsonErrorKind,
    at: usize,
    what: &'static str,
    number: Option<(usize, usize, NumText)>,
    path: Vec<Seg>,
}

impl Fail {
    fn syntax(at: usize, what: &'static str) -> Self {
        Fail {
            kind: JsJsonErrorKind::Syntax,
            at,
            what,
            number: None,
            path: Vec::new(),
        }
    }

    fn deep(at: usize) -> Self {
        Fail {
            kind: JsJsonErrorKind::TooDeep,
            ..Fail::syntax(at, "nesting too deep")
        }
    }

    fn inexact(from: usize, to: usize, js: NumText) -> Self {
        Fail {
            kind: JsJsonErrorKind::InexactNumber,
            number: Some((from, to, js)),
            ..Fail::syntax(from, INEXACT_NUMBER)
        }
    }

    fn within(mut self, seg: Seg) -> Self {
        self.path.push(seg);
        self
    }

    fn public(self, s: &[u8]) -> JsJsonError {
        let mut path = String::from("$");
        for seg in self.path.iter().rev() {
            match *seg {
                Seg::Index(i) => path.push_str(&format!("[{i}]")),
                Seg::Key(at) => push_key(&mut path, &key_at(s, at)),
            }
        }
        let (number, js) = match self.number {
            Some((from, to, js)) => (
                Some(String::from_utf8_lossy(&s[from..to]).into_owned()),
                Some(js.to_text()),
            ),
            None => (None, None),
        };
        JsJsonError {
            kind: self.kind,
            path,
            offset: self.at,
            what: self.what,
            number,
            js,
        }
    }
}

/// The key whose string literal starts at `at` (already scanned, so well formed), decoded.
fn key_at(s: &[u8], at: usize) -> String {
    let mut end = at + 1;
    while let Some(&b) = s.get(end) {
        match b {
            b'"' => break,
            b'\\' => end += 2,
            _ => end += 1,
        }
    }
    let literal = s.get(at..=end).unwrap_or_default();
    serde_json::from_slice::<String>(literal).unwrap_or_else(|_| {
        // A lone surrogate escape: shown as written.
        String::from_utf8_lossy(
            literal
                .get(1..literal.len().saturating_sub(1))
                .unwrap_or_default(),
        )
        .into_owned()
    })
}

fn push_key(path: &mut String, key: &str) {
    let identifier = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    if identifier {
        path.push('.');
        path.push_str(key);
    } else {
        path.push('[');
        path.push_str(&serde_json::Value::String(key.to_string()).to_string());
        path.push(']');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn js(s: &str) -> String {
        String::from_utf8(to_js_bytes(s.as_bytes()).unwrap().into_owned()).unwrap()
    }

    fn borrowed(s: &str) -> bool {
        matches!(to_js_bytes(s.as_bytes()).unwrap(), Cow::Borrowed(_))
    }

    #[test]
    fn a_plain_run_ends_at_the_first_quote_backslash_or_control_byte() {
        let bytewise = |s: &[u8], from: usize| {
            (from..s.len())
                .find(|&i| matches!(s[i], b'"' | b'\\' | 0..=0x1f))
                .unwrap_or(s.len())
        };
        // Every ender at every offset of a 17-byte run, after every kind of byte (high bytes,
        // bytes just above and below the enders, the enders themselves) so that borrows and
        // carries between the eight-byte words are exercised.
        let fillers = [
            b'a', 0x20, 0x21, 0x23, 0x5b, 0x5d, 0x7f, 0x80, 0xa2, 0xdc, 0xff, 0x01,
        ];
        let enders = [b'"', b'\\', 0x00, 0x01, 0x1f, b'\n'];
        for &fill in &fillers {
            for &before in &fillers {
                for &end in &enders {
                    for at in 0..17 {
                        let mut s = vec![fill; 17];
                        if at > 0 {
                            s[at - 1] = before;
                        }
                        s[at] = end;
                        for from in 0..=at {
                            assert_eq!(
                                plain_run_end(&s, from),
                                bytewise(&s, from),
                                "fill {fill:#x}, before {before:#x}, ender {end:#x} at {at}, from {from}"
                            );
                        }
                    }
                }
            }
        }
        // No ender: the run reaches the end, whatever the length.
        for len in 0..20 {
            let s = vec![0xe2; len];
            assert_eq!(plain_run_end(&s, 0), len);
        }
    }

    #[test]
    fn numbers_as_javascript_writes_them() {
        for (input, want) in [
            ("500.0", "500"),
            ("-0.0", "0"),
            ("-0", "0"),
            ("0", "0"),
            ("1e-7", "1e-7"),
            ("1e-6", "0.000001"),
            ("0.0000001", "1e-7"),
            ("1.2e-7", "1.2e-7"),
            ("1e16", "10000000000000000"),
            ("1e21", "1e+21"),
            ("1.2345678901234568e20", "123456789012345680000"),
            ("9007199254740992", "9007199254740992"),
            ("5e-324", "5e-324"),
            ("1.7976931348623157e308", "1.7976931348623157e+308"),
            ("1.50", "1.5"),
            ("150e-2", "1.5"),
            ("0.1", "0.1"),
            ("0.30000000000000004", "0.30000000000000004"),
            ("-123.456", "-123.456"),
            ("1E+2", "100"),
            ("0e400", "0"),
            ("2.50", "2.5"),
            ("-5.000", "-5"),
            ("0.0000010", "0.000001"),
            ("0.00000010", "1e-7"),
            ("123456789012345.0", "123456789012345"),
            ("1234567890123456.0", "1234567890123456"),
            ("9007199254740994", "9007199254740994"),
            ("100000000000000000000", "100000000000000000000"),
            ("1152921504606847000", "1152921504606847000"),
        ] {
            assert_eq!(js(input), want, "{input}");
        }
    }

    #[test]
    fn inexact_numbers_are_refused_with_their_path() {
        for (input, path, number, js_text) in [
            ("9007199254740993", "$", "9007199254740993", "9007199254740992"),
            (
                r#"{"a":[1,{"amount":18446744073709551615}]}"#,
                "$.a[1].amount",
                "18446744073709551615",
                "18446744073709552000",
            ),
            ("[1e400]", "$[0]", "1e400", "null"),
            (r#"{"10":{"x y":1e-400}}"#, r#"$["10"]["x y"]"#, "1e-400", "0"),
            ("1.00000000000000001", "$", "1.00000000000000001", "1"),
            (
                "1152921504606846976",
                "$",
                "1152921504606846976",
                "1152921504606847000",
            ),
            (
                "12345678901234567.0",
                "$",
                "12345678901234567.0",
                "12345678901234568",
            ),
        ] {
            let e = to_js_bytes(input.as_bytes()).unwrap_err();
            assert_eq!(e.kind(), JsJsonErrorKind::InexactNumber, "{input}");
            assert_eq!(e.path(), path);
            assert_eq!(e.number(), Some(number));
            assert_eq!(e.js_number(), Some(js_text));
            assert!(e.to_string().contains(number) && e.to_string().contains(path));
        }
    }

    #[test]
    fn already_javascript_text_is_borrowed() {
        assert!(borrowed(
            r#"{"0":1,"7":2,"customer_key":"c\n\"\\\u0001","amount":500,"fee":25.5,"list":[1,-2,0.000001,1e-7,1e+21]}"#
        ));
        assert!(borrowed("  [1,2]  "));
        assert_eq!(js("  [1,2]  "), "[1,2]");
        assert!(!borrowed("[1, 2]"));
        assert!(!borrowed(r#"{"1":1,"0":0}"#));
        assert!(!borrowed(r#"{"a":1,"a":1}"#));
    }

    #[test]
    fn property_order_and_repeated_keys() {
        assert_eq!(
            js(r#"{"b":1,"10":2,"2":3,"a":4,"01":5,"4294967295":6,"4294967294":7}"#),
            r#"{"2":3,"10":2,"4294967294":7,"b":1,"a":4,"01":5,"4294967295":6}"#
        );
        assert_eq!(js(r#"{"a":1,"b":2,"a":{"c":3,"c":4}}"#), r#"{"a":{"c":4},"b":2}"#);
        assert_eq!(js(r#"{"k":1,"\u006b":2}"#), r#"{"k":2}"#);
        // Rewritten parts before, inside and after a reordered object.
        assert_eq!(
            js(r#"[1.0, {"z" : 1.0, "1":"\/", "0": [2.0]}, 3.0]"#),
            r#"[1,{"0":[2],"1":"/","z":1},3]"#
        );
        // Large objects take the sorting path.
        let keys: Vec<String> = (0..40).rev().map(|i| format!("\"k{i}\":{i}")).collect();
        let body = format!("{{{},\"k7\":0.5,\"3\":1}}", keys.join(","));
        let out = js(&body);
        assert!(out.starts_with(r#"{"3":1,"k39":39,"#), "{out}");
        assert!(out.contains(r#""k7":0.5,"k6":6"#), "{out}");
        assert_eq!(out.matches("\"k7\"").count(), 1);
    }

    #[test]
    fn escapes_as_json_stringify_writes_them() {
        assert_eq!(js(r#""\/\u0041\u00e9\u001F\u000a""#), "\"/Aé\\u001f\\n\"");
        assert_eq!(js(r#""\uD83D\uDE00""#), "\"😀\"");
        assert_eq!(js(r#""\uD800x\udc00""#), r#""\ud800x\udc00""#);
        assert!(borrowed(r#""\ud800""#));
    }

    #[test]
    fn not_json_is_refused() {
        for bad in [
            "",
            " ",
            "{",
            "[1,]",
            "{\"a\":1,}",
            "01",
            "1.",
            "1e",
            "+1",
            "\"\u{1}\"",
            "tru",
            "nul",
            "\"\\x\"",
            "\"\\u12\"",
            "{\"a\" 1}",
            "[1 2]",
            "1 2",
            "\u{feff}{}",
            "{'a':1}",
            "NaN",
            "-",
            "[",
            "\"abc",
        ] {
            let e = to_js_bytes(bad.as_bytes()).unwrap_err();
            assert_eq!(e.kind(), JsJsonErrorKind::Syntax, "{bad:?}");
        }
        assert_eq!(
            to_js_bytes(b"\"\xff\"").unwrap_err().kind(),
            JsJsonErrorKind::Syntax
        );
        let e = to_js_bytes(br#"{"a":[1,}"#).unwrap_err();
        assert_eq!(e.path(), "$.a[1]");
    }

    #[test]
    fn depth_is_limited() {
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(to_js_bytes(ok.as_bytes()).is_ok());
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert_eq!(
            to_js_bytes(deep.as_bytes()).unwrap_err().kind(),
            JsJsonErrorKind::TooDeep
        );
        assert!(to_js_bytes("[".repeat(100_000).as_bytes()).is_err());
    }

    #[test]
    fn strict_mode_refuses_repeated_keys() {
        let text = br#"{"x":{"k":1,"\u006b":2}}"#;
        let e = render_strict(text, 0, 0, 64).unwrap_err();
        assert_eq!(e.what, "duplicate key");
        assert!(!e.inexact);
        let (out, end) = render_strict(b"[1.0] tail", 0, 0, 64).unwrap();
        assert_eq!((&*out, end), (&b"[1]"[..], 5));
        assert!(render_strict(b"9007199254740993", 0, 0, 64).unwrap_err().inexact);
        assert_eq!(array_index(br#""7""#), Some(7));
        assert_eq!(array_index(br#""07""#), None);
        // A repeat of any earlier key, in objects up to the size compared pairwise and beyond.
        for n in 2..30 {
            let keys: Vec<String> = (0..n).map(|i| format!("\"k{i}\":{i}")).collect();
            let whole = format!("{{{}}}", keys.join(","));
            assert!(render_strict(whole.as_bytes(), 0, 0, 64).is_ok(), "{whole}");
            for j in 0..n {
                let text = format!("{{{},\"k{j}\":0}}", keys.join(","));
                let e = render_strict(text.as_bytes(), 0, 0, 64).unwrap_err();
                assert_eq!(e.what, "duplicate key", "{text}");
            }
        }
    }

    #[test]
    fn every_serde_f64_is_accepted_and_equal() {
        // A spread of doubles, including subnormals and the extremes.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for i in 0..20_000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let v = match i % 4 {
                0 => f64::from_bits(x),
                1 => (x % 10_000_000) as f64 / 100.0,
                2 => f64::from_bits(x >> (x % 12)),
                _ => (x >> 11) as f64,
            };
            if !v.is_finite() {
                continue;
            }
            let text = serde_json::to_string(&v).unwrap();
            let out = to_js_bytes(text.as_bytes()).unwrap_or_else(|e| panic!("{text}: {e}"));
            let back: f64 = std::str::from_utf8(&out).unwrap().parse().unwrap();
            assert_eq!(back, v, "{text} -> {}", String::from_utf8_lossy(&out));
        }
    }
}
