//! A strict JSON scanner that re-emits values the way JavaScript's `JSON.stringify` writes them.
//!
//! Kotani signs a `JSON.stringify` of (part of) the delivery computed by its (Node.js) sender,
//! not the raw body. To check that MAC we must reproduce the sender's bytes from what arrived,
//! which is what `JSON.stringify(JSON.parse(..))` gives; the rewriting itself is
//! [`crate::jsjson`]'s (its strict mode):
//!
//! - objects and arrays compact; members in JavaScript's property order (array-index keys such
//!   as `"2"`, `"10"` first in ascending order, then the others in the order received);
//! - strings (and keys) decoded from their JSON escapes, then re-escaped as `JSON.stringify`
//!   does: `"` and `\` escaped, `\b \f \n \r \t`, other C0 controls as `\u00xx` (lowercase hex),
//!   lone surrogates as `\udxxx`, everything else (including `/`, DEL, U+2028 and all non-ASCII)
//!   written raw as UTF-8;
//! - numbers as JavaScript writes the double nearest the text (`1.50` → `1.5`, `1E21` →
//!   `1e+21`): a JavaScript sender's own text is unchanged. A number a double does not hold as
//!   written (`9007199254740993`, `1e400`) cannot come from such a sender and is an error
//!   ([`SyntaxError::is_inexact_number`]), never rounded into a message that could verify;
//! - `true`, `false`, `null`.
//!
//! The scanner is strict RFC 8259 (UTF-8 only, no BOM, no trailing commas, no comments, no
//! leading zeros), refuses nesting deeper than [`MAX_DEPTH`] and refuses **duplicate keys** in
//! any object. `JSON.parse` would keep the last value in the first key's position, but
//! `JSON.stringify` can never produce a duplicate key, so a genuine delivery never contains one;
//! refusing them removes any chance that this scanner and `serde_json` read the same bytes
//! differently. It is iterative in everything but nesting (bounded by [`MAX_DEPTH`]) and never
//! panics.
//!
//! A second rendering mode ([`Mode::Lossy`]) writes the same value with lone surrogates replaced
//! by U+FFFD, so that `serde_json` (which refuses lone surrogates) can build typed payloads from
//! exactly the structure that was verified.

use std::borrow::Cow;
use std::collections::HashSet;
use std::ops::Range;

use crate::jsjson;

/// Deepest nesting of arrays/objects accepted in a whole body (the top-level object counts).
///
/// Well below `serde_json`'s own limit (127), so that whatever passes here also parses there.
pub(crate) const MAX_DEPTH: usize = 64;

/// How strings are written.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Mode {
    /// Byte-exact `JSON.stringify`.
    Js,
    /// Like `Js`, but a lone surrogate becomes U+FFFD (for `serde_json`).
    Lossy,
}

/// Why a body is not acceptable JSON. `at` is a byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub(crate) at: usize,
    pub(crate) what: &'static str,
}

impl std::fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at byte {}", self.what, self.at)
    }
}

impl SyntaxError {
    /// The text holds a number a JavaScript double does not hold as written: valid JSON, but
    /// nothing a JavaScript sender can have written.
    pub(crate) fn is_inexact_number(&self) -> bool {
        self.what == jsjson::INEXACT_NUMBER
    }
}

impl From<jsjson::StrictError> for SyntaxError {
    fn from(e: jsjson::StrictError) -> Self {
        SyntaxError {
            at: e.at,
            what: e.what,
        }
    }
}

/// One member of the top-level object.
#[derive(Debug, Clone)]
pub(crate) struct Member<'a> {
    /// The key, decoded (lossy for lone surrogates: only used for matching well-known names).
    pub(crate) key: String,
    /// The key written as `JSON.stringify` writes it, quotes included.
    pub(crate) key_js: Vec<u8>,
    /// Where the value's text is in the body.
    pub(crate) span: Range<usize>,
    /// The value written as `JSON.stringify` writes it (borrowed from the body when the same).
    pub(crate) js: Cow<'a, [u8]>,
}

/// Scans a whole body that must be one JSON object; returns its members in order.
///
/// `Ok(None)` means the body is valid JSON but not an object.
pub(crate) fn top_level_members(body: &[u8]) -> Result<Option<Vec<Member<'_>>>, SyntaxError> {
    let mut p = Parser::new(body)?;
    p.skip_ws();
    if p.peek() != Some(b'{') {
        // Validate the rest so that "not JSON" and "JSON but not an object" stay distinct.
        let mut sink = Vec::new();
        p.value(&mut sink, Mode::Js, 0)?;
        p.end()?;
        return Ok(None);
    }
    p.pos += 1;
    let mut members = Vec::new();
    let mut seen = HashSet::new();
    p.skip_ws();
    if p.peek() == Some(b'}') {
        p.pos += 1;
        p.end()?;
        return Ok(Some(members));
    }
    loop {
        p.skip_ws();
        let key_at = p.pos;
        let mut key_js = Vec::new();
        p.string(&mut key_js, Mode::Js)?;
        if !seen.insert(key_js.clone()) {
            return Err(SyntaxError {
                at: key_at,
                what: "duplicate key",
            });
        }
        let seen_key = key_js;
        let mut key_lossy = Vec::new();
        Parser::at(body, key_at).string(&mut key_lossy, Mode::Lossy)?;
        p.skip_ws();
        p.expect(b':', "expected `:`")?;
        p.skip_ws();
        let start = p.pos;
        let (js, end) = jsjson::render_strict(body, start, 1, MAX_DEPTH)?;
        p.pos = end;
        members.push(Member {
            key: unquote(&key_lossy),
            key_js: seen_key,
            span: start..end,
            js,
        });
        p.skip_ws();
        match p.next_byte() {
            Some(b',') => continue,
            Some(b'}') => break,
            _ => return Err(p.err_before("expected `,` or `}`")),
        }
    }
    p.end()?;
    Ok(Some(members))
}

/// Re-emits one complete JSON text (a whole body, or a span found by [`top_level_members`]).
///
/// `depth` is the nesting level the text sits at in its body. [`Mode::Js`] writes what
/// `JSON.stringify(JSON.parse(text))` writes (duplicate keys and numbers a double does not hold
/// being errors); [`Mode::Lossy`] keeps the order and number text received, for `serde_json`.
pub(crate) fn render(text: &[u8], mode: Mode, depth: usize) -> Result<Vec<u8>, SyntaxError> {
    let mut p = Parser::new(text)?;
    p.skip_ws();
    let out = match mode {
        Mode::Js => {
            let (js, end) = jsjson::render_strict(text, p.pos, depth, MAX_DEPTH)?;
            p.pos = end;
            js.into_owned()
        }
        Mode::Lossy => {
            let mut out = Vec::with_capacity(text.len());
            p.value(&mut out, mode, depth)?;
            out
        }
    };
    p.end()?;
    Ok(out)
}

/// One member of a top-level object found by [`scan`]: spans in the body.
#[derive(Debug, Clone)]
pub(crate) struct TopMember {
    /// The key as received, quotes included.
    pub(crate) key: Range<usize>,
    /// The value's text as received.
    pub(crate) value: Range<usize>,
}

/// What [`scan`] found in a valid body.
#[derive(Debug)]
pub(crate) struct Scanned {
    /// The top-level members, in order; `None` when the body is JSON but not an object.
    pub(crate) members: Option<Vec<TopMember>>,
    /// Where the first number `serde_json` cannot represent (beyond `f64`) is, if any.
    pub(crate) beyond_f64: Option<usize>,
}

/// Checks a whole body in one pass, copying nothing: strict JSON as [`render`] accepts it
/// (UTF-8, RFC 8259, nesting at most [`MAX_DEPTH`], no duplicate key in any object, keys
/// compared as JavaScript compares them), without rewriting anything. Numbers are kept as
/// received (not checked against JavaScript's doubles), but one `serde_json` cannot hold is
/// reported in [`Scanned::beyond_f64`].
pub(crate) fn scan(body: &[u8]) -> Result<Scanned, SyntaxError> {
    if let Err(e) = std::str::from_utf8(body) {
        return Err(SyntaxError {
            at: e.valid_up_to(),
            what: "invalid UTF-8",
        });
    }
    let mut v = Validator {
        s: body,
        pos: 0,
        keys: Vec::with_capacity(64),
        scratch: Vec::new(),
        beyond_f64: None,
    };
    v.skip_ws();
    let members = if v.peek() == Some(b'{') {
        let mut top = Vec::new();
        v.object(1, Some(&mut top))?;
        Some(top)
    } else {
        v.value(0)?;
        None
    };
    v.skip_ws();
    if v.pos != body.len() {
        return Err(SyntaxError {
            at: v.pos,
            what: "trailing characters after the JSON value",
        });
    }
    Ok(Scanned {
        members,
        beyond_f64: v.beyond_f64,
    })
}

/// Whether a member found by [`scan`] has the key `name` (decoded, so `"\u0061"` is `a`).
pub(crate) fn key_is(body: &[u8], member: &TopMember, name: &str) -> bool {
    let raw = &body[member.key.clone()];
    let inner = &raw[1..raw.len() - 1];
    if !inner.contains(&b'\\') {
        return inner == name.as_bytes();
    }
    string_value(body, &member.key).is_some_and(|k| k == name)
}

/// The string at `span` of a body [`scan`] accepted, decoded (lone surrogates read as U+FFFD);
/// `None` when the value there is not a string.
pub(crate) fn string_value(body: &[u8], span: &Range<usize>) -> Option<String> {
    let text = body.get(span.clone())?;
    let inner = text.strip_prefix(b"\"")?.strip_suffix(b"\"")?;
    if !inner.contains(&b'\\') {
        return std::str::from_utf8(inner).ok().map(str::to_owned);
    }
    let mut lossy = Vec::with_capacity(text.len());
    Parser::at(body, span.start)
        .string(&mut lossy, Mode::Lossy)
        .ok()?;
    serde_json::from_slice(&lossy).ok()
}

/// A key of an open object, in [`Validator::keys`].
#[derive(Clone, Copy)]
struct ScanKey {
    /// Where the key is in the input (for errors).
    at: usize,
    /// The key's JavaScript text: `s[start..end]`, or `scratch[start..end]` when `escaped`.
    start: usize,
    end: usize,
    escaped: bool,
    tag: u64,
}

/// Keys of one object compared pairwise up to this many; beyond, sorted once at its `}`.
const LINEAR_KEYS: usize = 24;

struct Validator<'a> {
    s: &'a [u8],
    pos: usize,
    /// The keys of every open object, innermost last.
    keys: Vec<ScanKey>,
    /// The JavaScript text of escaped keys of open objects.
    scratch: Vec<u8>,
    beyond_f64: Option<usize>,
}

impl Validator<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn err(&self, what: &'static str) -> SyntaxError {
        SyntaxError { at: self.pos, what }
    }

    #[inline(always)]
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn key_text(&self, k: &ScanKey) -> &[u8] {
        if k.escaped {
            &self.scratch[k.start..k.end]
        } else {
            &self.s[k.start..k.end]
        }
    }

    fn value(&mut self, depth: usize) -> Result<(), SyntaxError> {
        match self.peek() {
            None => Err(self.err("unexpected end of input")),
            Some(b'{') => self.object(depth + 1, None),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => self.string().map(drop),
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.err("expected a JSON value")),
        }
    }

    fn literal(&mut self, word: &'static [u8]) -> Result<(), SyntaxError> {
        if self.s.get(self.pos..self.pos + word.len()) == Some(word) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(self.err("invalid literal"))
        }
    }

    fn array(&mut self, depth: usize) -> Result<(), SyntaxError> {
        if depth > MAX_DEPTH {
            return Err(self.err("nesting too deep"));
        }
        self.pos += 1; // `[`
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.skip_ws();
            self.value(depth)?;
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => {
                    self.pos += usize::from(self.pos < self.s.len());
                    return Err(SyntaxError {
                        at: self.pos.saturating_sub(1),
                        what: "expected `,` or `]`",
                    });
                }
            }
        }
    }

    fn object(&mut self, depth: usize, mut top: Option<&mut Vec<TopMember>>) -> Result<(), SyntaxError> {
        if depth > MAX_DEPTH {
            return Err(self.err("nesting too deep"));
        }
        self.pos += 1; // `{`
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        let first = self.keys.len();
        let scratch_mark = self.scratch.len();
        let result = self.members(depth, first, &mut top);
        self.keys.truncate(first);
        self.scratch.truncate(scratch_mark);
        result
    }

    fn members(
        &mut self,
        depth: usize,
        first: usize,
        top: &mut Option<&mut Vec<TopMember>>,
    ) -> Result<(), SyntaxError> {
        let mut seen_bits = 0u64;
        loop {
            self.skip_ws();
            let key_at = self.pos;
            if self.peek() != Some(b'"') {
                return Err(self.err("expected a string key"));
            }
            let escaped = self.string()?;
            let key_end = self.pos;
            // Keys are compared in their JavaScript text, which is one-to-one with the decoded
            // UTF-16 key (`"a"` and `"\u0061"` are one key). A key without a backslash is its own
            // text; only escaped keys are rendered.
            let (start, end, tag) = if escaped {
                self.escaped_key(key_at)?
            } else {
                (key_at, key_end, jsjson::key_tag(&self.s[key_at..key_end]))
            };
            // Written straight into place: a key built on the stack and copied stalls on the copy.
            self.keys.push(ScanKey {
                at: key_at,
                start,
                end,
                escaped,
                tag,
            });
            // One bit per tag seen in this object: a key whose bit is clear is new without
            // looking at the others (most keys); only a set bit compares tags, then keys.
            let bit = jsjson::tag_bit(tag);
            if seen_bits & bit != 0 {
                self.no_earlier_repeat(first)?;
            }
            seen_bits |= bit;
            // Compact JSON (what a Node server sends) has the `:` right after the key and the
            // value right after it; whitespace takes the longer way.
            if self.peek() == Some(b':') {
                self.pos += 1;
            } else {
                self.skip_ws();
                if self.peek() != Some(b':') {
                    return Err(self.err("expected `:`"));
                }
                self.pos += 1;
            }
            self.skip_ws();
            let value_at = self.pos;
            // Strings and numbers, most values, are read here rather than through `value`.
            match self.peek() {
                Some(b'"') => {
                    self.string()?;
                }
                Some(b'-' | b'0'..=b'9') => self.number()?,
                _ => self.value(depth)?,
            }
            if let Some(top) = top.as_deref_mut() {
                top.push(TopMember {
                    key: key_at..key_end,
                    value: value_at..self.pos,
                });
            }
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return self.no_repeat_beyond_linear(first);
                }
                _ => {
                    self.pos += usize::from(self.pos < self.s.len());
                    return Err(SyntaxError {
                        at: self.pos.saturating_sub(1),
                        what: "expected `,` or `}`",
                    });
                }
            }
        }
    }

    /// An escaped key at `key_at` (its opening quote): its JavaScript text, put in `scratch`, as
    /// `(start, end, tag)`.
    #[cold]
    #[inline(never)]
    fn escaped_key(&mut self, key_at: usize) -> Result<(usize, usize, u64), SyntaxError> {
        let start = self.scratch.len();
        Parser::at(self.s, key_at).string(&mut self.scratch, Mode::Js)?;
        Ok((start, self.scratch.len(), jsjson::key_tag(&self.scratch[start..])))
    }

    /// When the tag bit of the key just pushed was already set in its object: whether one of
    /// the object's first [`LINEAR_KEYS`] keys is the same key (the keys beyond are compared at
    /// the `}`).
    #[inline(never)]
    fn no_earlier_repeat(&self, first: usize) -> Result<(), SyntaxError> {
        let last = self.keys.len() - 1;
        let key = &self.keys[last];
        if last - first >= LINEAR_KEYS {
            return Ok(());
        }
        let text = self.key_text(key);
        let repeated = self.keys[first..last]
            .iter()
            .any(|k| k.tag == key.tag && self.key_text(k) == text);
        if repeated {
            return Err(SyntaxError {
                at: key.at,
                what: "duplicate key",
            });
        }
        Ok(())
    }

    /// At the `}` of an object with more than [`LINEAR_KEYS`] keys: finds a repeated key among
    /// those not compared pairwise.
    fn no_repeat_beyond_linear(&self, first: usize) -> Result<(), SyntaxError> {
        let keys = &self.keys[first..];
        if keys.len() <= LINEAR_KEYS {
            return Ok(());
        }
        let mut sorted: Vec<&ScanKey> = keys.iter().collect();
        sorted.sort_unstable_by(|a, b| self.key_text(a).cmp(self.key_text(b)).then(a.at.cmp(&b.at)));
        let repeated = sorted
            .windows(2)
            .filter(|w| self.key_text(w[0]) == self.key_text(w[1]))
            .map(|w| w[1].at)
            .min();
        match repeated {
            Some(at) => Err(SyntaxError {
                at,
                what: "duplicate key",
            }),
            None => Ok(()),
        }
    }

    /// A string at `pos` (its opening quote), checked. Returns whether it holds an escape.
    #[inline(always)]
    fn string(&mut self) -> Result<bool, SyntaxError> {
        let pos = jsjson::plain_run_end(self.s, self.pos + 1);
        if self.s.get(pos) == Some(&b'"') {
            self.pos = pos + 1;
            return Ok(false);
        }
        self.string_rest(pos)
    }

    /// The rest of a string from `pos`, where its first run of plain bytes ended on something
    /// other than its closing quote.
    #[cold]
    #[inline(never)]
    fn string_rest(&mut self, mut pos: usize) -> Result<bool, SyntaxError> {
        let s = self.s;
        loop {
            match s.get(pos) {
                Some(b'"') => {
                    self.pos = pos + 1;
                    return Ok(true);
                }
                Some(b'\\') => match s.get(pos + 1) {
                    Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => pos += 2,
                    Some(b'u') => {
                        pos += 2;
                        for _ in 0..4 {
                            if !s.get(pos).is_some_and(u8::is_ascii_hexdigit) {
                                self.pos = pos;
                                return Err(self.err("invalid \\u escape"));
                            }
                            pos += 1;
                        }
                    }
                    _ => {
                        self.pos = pos + 1;
                        return Err(self.err("invalid escape"));
                    }
                },
                None => {
                    self.pos = pos;
                    return Err(self.err("unterminated string"));
                }
                Some(_) => {
                    self.pos = pos;
                    return Err(self.err("control character in a string"));
                }
            }
            pos = jsjson::plain_run_end(s, pos);
        }
    }

    /// An RFC 8259 number; one `serde_json` cannot represent is noted, not refused.
    fn number(&mut self) -> Result<(), SyntaxError> {
        let start = self.pos;
        let (end, exponent) = number_end(self.s, start)?;
        self.pos = end;
        // Without an exponent, a number overflows an f64 only past 300 digits; otherwise ask
        // serde_json itself, which is what will read it.
        let token = &self.s[start..self.pos];
        if self.beyond_f64.is_none()
            && (exponent || token.len() > 300)
            && serde_json::from_slice::<f64>(token).is_err()
        {
            self.beyond_f64 = Some(start);
        }
        Ok(())
    }
}

/// The end of the RFC 8259 number at `pos`, and whether it has an exponent; an error names the
/// byte where it stops being one.
fn number_end(s: &[u8], mut pos: usize) -> Result<(usize, bool), SyntaxError> {
    let err = |at: usize, what: &'static str| SyntaxError { at, what };
    let digits = |pos: &mut usize| {
        let start = *pos;
        *pos = digit_run_end(s, start);
        *pos - start
    };
    if s.get(pos) == Some(&b'-') {
        pos += 1;
    }
    match s.get(pos) {
        Some(b'0') => {
            pos += 1;
            if let Some(b'0'..=b'9') = s.get(pos) {
                return Err(err(pos, "leading zero in a number"));
            }
        }
        Some(b'1'..=b'9') => {
            digits(&mut pos);
        }
        _ => return Err(err(pos, "invalid number")),
    }
    if s.get(pos) == Some(&b'.') {
        pos += 1;
        if digits(&mut pos) == 0 {
            return Err(err(pos, "invalid number: digits expected after `.`"));
        }
    }
    let mut exponent = false;
    if let Some(b'e' | b'E') = s.get(pos) {
        exponent = true;
        pos += 1;
        if let Some(b'+' | b'-') = s.get(pos) {
            pos += 1;
        }
        if digits(&mut pos) == 0 {
            return Err(err(pos, "invalid number: digits expected in the exponent"));
        }
    }
    Ok((pos, exponent))
}

/// Where the run of ASCII digits starting at `pos` ends.
#[inline]
fn digit_run_end(s: &[u8], pos: usize) -> usize {
    jsjson::run_end(s, pos, non_digits, |b| !b.is_ascii_digit())
}

/// The bytes of `word` (little-endian) that are not ASCII digits, marked by their high bit: a
/// byte below `0` sets it when `0` is taken from it, a byte above `9` when 0x46 is added to it,
/// and a borrow or carry only leaves a byte that is itself marked, so the lowest mark is exact.
#[inline(always)]
fn non_digits(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    (word.wrapping_sub(ONES * 0x30) | word.wrapping_add(ONES * 0x46)) & HIGH
}

/// The content of a rendered string (`"..."` → `...`), lossily as a Rust string.
fn unquote(rendered: &[u8]) -> String {
    // A rendered string is `"` + valid UTF-8 + `"`; the escapes inside do not matter for the
    // well-known keys we look for, which contain none.
    let inner = rendered
        .get(1..rendered.len().saturating_sub(1))
        .unwrap_or_default();
    String::from_utf8_lossy(inner).into_owned()
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl<'a> Parser<'a> {
    fn new(s: &'a [u8]) -> Result<Self, SyntaxError> {
        if let Err(e) = std::str::from_utf8(s) {
            return Err(SyntaxError {
                at: e.valid_up_to(),
                what: "invalid UTF-8",
            });
        }
        Ok(Parser { s, pos: 0 })
    }

    /// A parser over already-validated text.
    fn at(s: &'a [u8], pos: usize) -> Self {
        Parser { s, pos }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn next_byte(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos += 1;
        Some(b)
    }

    fn err(&self, what: &'static str) -> SyntaxError {
        SyntaxError { at: self.pos, what }
    }

    fn err_before(&self, what: &'static str) -> SyntaxError {
        SyntaxError {
            at: self.pos.saturating_sub(1),
            what,
        }
    }

    fn expect(&mut self, b: u8, what: &'static str) -> Result<(), SyntaxError> {
        if self.peek() == Some(b) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.err(what))
        }
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// Only whitespace may follow the value.
    fn end(&mut self) -> Result<(), SyntaxError> {
        self.skip_ws();
        if self.pos == self.s.len() {
            Ok(())
        } else {
            Err(self.err("trailing characters after the JSON value"))
        }
    }

    fn value(&mut self, out: &mut Vec<u8>, mode: Mode, depth: usize) -> Result<(), SyntaxError> {
        match self.peek() {
            None => Err(self.err("unexpected end of input")),
            Some(b'{') => self.object(out, mode, depth + 1),
            Some(b'[') => self.array(out, mode, depth + 1),
            Some(b'"') => self.string(out, mode),
            Some(b't') => self.literal(out, b"true"),
            Some(b'f') => self.literal(out, b"false"),
            Some(b'n') => self.literal(out, b"null"),
            Some(b'-' | b'0'..=b'9') => self.number(out),
            Some(_) => Err(self.err("expected a JSON value")),
        }
    }

    fn literal(&mut self, out: &mut Vec<u8>, word: &'static [u8]) -> Result<(), SyntaxError> {
        if self.s.get(self.pos..self.pos + word.len()) == Some(word) {
            self.pos += word.len();
            out.extend_from_slice(word);
            Ok(())
        } else {
            Err(self.err("invalid literal"))
        }
    }

    /// RFC 8259 `number`, copied as received.
    fn number(&mut self, out: &mut Vec<u8>) -> Result<(), SyntaxError> {
        let start = self.pos;
        self.pos = number_end(self.s, start)?.0;
        out.extend_from_slice(&self.s[start..self.pos]);
        Ok(())
    }

    fn array(&mut self, out: &mut Vec<u8>, mode: Mode, depth: usize) -> Result<(), SyntaxError> {
        if depth > MAX_DEPTH {
            return Err(self.err("nesting too deep"));
        }
        self.pos += 1; // `[`
        out.push(b'[');
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            out.push(b']');
            return Ok(());
        }
        loop {
            self.skip_ws();
            self.value(out, mode, depth)?;
            self.skip_ws();
            match self.next_byte() {
                Some(b',') => out.push(b','),
                Some(b']') => {
                    out.push(b']');
                    return Ok(());
                }
                _ => return Err(self.err_before("expected `,` or `]`")),
            }
        }
    }

    fn object(&mut self, out: &mut Vec<u8>, mode: Mode, depth: usize) -> Result<(), SyntaxError> {
        if depth > MAX_DEPTH {
            return Err(self.err("nesting too deep"));
        }
        self.pos += 1; // `{`
        out.push(b'{');
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            out.push(b'}');
            return Ok(());
        }
        let mut seen: HashSet<Cow<'a, [u8]>> = HashSet::new();
        loop {
            self.skip_ws();
            let key_at = self.pos;
            let key_start = out.len();
            if self.peek() != Some(b'"') {
                return Err(self.err("expected a string key"));
            }
            self.string(out, mode)?;
            // Keys are compared in their JS rendering, which is one-to-one with the decoded
            // UTF-16 key, so `"a"` and `"\u0061"` are the same key, as in JavaScript. A key
            // without a backslash is its own JS rendering (strict JSON has no raw control
            // characters), so it is borrowed; only escaped keys are rendered.
            let raw = &self.s[key_at..self.pos];
            let key_js = if raw.contains(&b'\\') {
                let mut k = Vec::new();
                Parser::at(self.s, key_at).string(&mut k, Mode::Js)?;
                Cow::Owned(k)
            } else {
                Cow::Borrowed(raw)
            };
            if !seen.insert(key_js) {
                return Err(SyntaxError {
                    at: key_at,
                    what: "duplicate key",
                });
            }
            debug_assert!(out.len() > key_start);
            self.skip_ws();
            self.expect(b':', "expected `:`")?;
            out.push(b':');
            self.skip_ws();
            self.value(out, mode, depth)?;
            self.skip_ws();
            match self.next_byte() {
                Some(b',') => out.push(b','),
                Some(b'}') => {
                    out.push(b'}');
                    return Ok(());
                }
                _ => return Err(self.err_before("expected `,` or `}`")),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, SyntaxError> {
        let mut v = 0u32;
        for _ in 0..4 {
            let d = match self.peek() {
                Some(b @ b'0'..=b'9') => b - b'0',
                Some(b @ b'a'..=b'f') => b - b'a' + 10,
                Some(b @ b'A'..=b'F') => b - b'A' + 10,
                _ => return Err(self.err("invalid \\u escape")),
            };
            self.pos += 1;
            v = v * 16 + u32::from(d);
        }
        Ok(v)
    }

    /// A string, decoded and re-escaped.
    fn string(&mut self, out: &mut Vec<u8>, mode: Mode) -> Result<(), SyntaxError> {
        self.expect(b'"', "expected a string")?;
        out.push(b'"');
        loop {
            // Copy a run of plain bytes. The input is valid UTF-8 and `"`/`\` never occur inside
            // a multi-byte sequence, so the run is whole characters.
            let run = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.extend_from_slice(&self.s[run..self.pos]);
            match self.next_byte() {
                None => return Err(self.err("unterminated string")),
                Some(b'"') => {
                    out.push(b'"');
                    return Ok(());
                }
                Some(b'\\') => {
                    let esc = self.next_byte();
                    let unit = match esc {
                        Some(b'"') => 0x22,
                        Some(b'\\') => 0x5c,
                        Some(b'/') => 0x2f,
                        Some(b'b') => 0x08,
                        Some(b'f') => 0x0c,
                        Some(b'n') => 0x0a,
                        Some(b'r') => 0x0d,
                        Some(b't') => 0x09,
                        Some(b'u') => {
                            let u = self.hex4()?;
                            if (0xD800..0xDC00).contains(&u) {
                                // A high surrogate pairs only with an escaped low surrogate
                                // right after it (raw UTF-8 cannot encode surrogates).
                                let save = self.pos;
                                if self.s.get(self.pos..self.pos + 2) == Some(b"\\u") {
                                    self.pos += 2;
                                    let lo = self.hex4()?;
                                    if (0xDC00..0xE000).contains(&lo) {
                                        0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00)
                                    } else {
                                        self.pos = save;
                                        u
                                    }
                                } else {
                                    u
                                }
                            } else {
                                u
                            }
                        }
                        _ => return Err(self.err_before("invalid escape")),
                    };
                    emit(out, unit, mode);
                }
                Some(_) => return Err(self.err_before("control character in a string")),
            }
        }
    }
}

/// Writes one code point (or lone surrogate) as `JSON.stringify` does.
fn emit(out: &mut Vec<u8>, cp: u32, mode: Mode) {
    match cp {
        0x08 => out.extend_from_slice(b"\\b"),
        0x09 => out.extend_from_slice(b"\\t"),
        0x0a => out.extend_from_slice(b"\\n"),
        0x0c => out.extend_from_slice(b"\\f"),
        0x0d => out.extend_from_slice(b"\\r"),
        0x22 => out.extend_from_slice(b"\\\""),
        0x5c => out.extend_from_slice(b"\\\\"),
        c if c < 0x20 => push_u_escape(out, c),
        c if (0xD800..0xE000).contains(&c) => match mode {
            Mode::Js => push_u_escape(out, c),
            Mode::Lossy => out.extend_from_slice("\u{FFFD}".as_bytes()),
        },
        c => {
            // Every other value reaching here is a valid scalar value (< 0x110000, not a
            // surrogate); the fallback is unreachable but keeps this total.
            let ch = char::from_u32(c).unwrap_or('\u{FFFD}');
            let mut buf = [0u8; 4];
            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
        }
    }
}

fn push_u_escape(out: &mut Vec<u8>, c: u32) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.extend_from_slice(b"\\u");
    for shift in [12u32, 8, 4, 0] {
        out.push(HEX[((c >> shift) & 0xf) as usize]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn js(s: &str) -> String {
        String::from_utf8(render(s.as_bytes(), Mode::Js, 0).unwrap()).unwrap()
    }

    #[test]
    fn compact_in_received_order() {
        assert_eq!(
            js(" { \"b\" : 1 , \"a\" : [ 1 , { } , [ ] ] } "),
            r#"{"b":1,"a":[1,{},[]]}"#
        );
    }

    #[test]
    fn numbers_as_javascript_writes_them() {
        assert_eq!(
            js("[1.50, 1e3, -0, 1E+21, 0.1, 3e-7]"),
            "[1.5,1000,0,1e+21,0.1,3e-7]"
        );
        let lossy = render(b"[1.50, 1e3, -0]", Mode::Lossy, 0).unwrap();
        assert_eq!(lossy, b"[1.50,1e3,-0]");
        for inexact in ["9007199254740993", "[1e400]", "{\"a\":1e-400}"] {
            let e = render(inexact.as_bytes(), Mode::Js, 0).unwrap_err();
            assert!(e.is_inexact_number(), "{inexact}");
        }
        assert!(!render(b"[1,]", Mode::Js, 0).unwrap_err().is_inexact_number());
    }

    #[test]
    fn keys_in_javascript_order() {
        assert_eq!(
            js(r#"{"b":1,"10":2,"2":{"z":0,"0":1}}"#),
            r#"{"2":{"0":1,"z":0},"10":2,"b":1}"#
        );
    }

    #[test]
    fn strings_escaped_like_json_stringify() {
        assert_eq!(
            js(r#""\/\u00e9\u0001\u001F\b\f\n\r\t\"\\\u2028\u007f""#),
            "\"/é\\u0001\\u001f\\b\\f\\n\\r\\t\\\"\\\\\u{2028}\u{7f}\""
        );
        assert_eq!(js(r#""\ud83d\ude00""#), "\"😀\"");
        assert_eq!(js(r#""\uD800x""#), r#""\ud800x""#);
        assert_eq!(js(r#""\udc00\ud800""#), r#""\udc00\ud800""#);
        assert_eq!(js(r#""\ud800\u0041""#), r#""\ud800A""#);
        let lossy = render(br#""\ud800""#, Mode::Lossy, 0).unwrap();
        assert_eq!(lossy, "\"\u{FFFD}\"".as_bytes());
    }

    #[test]
    fn rejects_bad_json() {
        for bad in [
            "",
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
            "{\"a\":1,\"\\u0061\":2}",
        ] {
            assert!(render(bad.as_bytes(), Mode::Js, 0).is_err(), "{bad:?}");
        }
        assert!(render(b"\"\xff\"", Mode::Js, 0).is_err());
    }

    #[test]
    fn depth_is_limited() {
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(render(ok.as_bytes(), Mode::Js, 0).is_ok());
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert_eq!(
            render(deep.as_bytes(), Mode::Js, 0).unwrap_err().what,
            "nesting too deep"
        );
    }

    #[test]
    fn top_level() {
        let m = top_level_members(br#"{"event":"x","data":{"a":[1,2]},"signature":"s"}"#)
            .unwrap()
            .unwrap();
        assert_eq!(m.len(), 3);
        assert_eq!(m[1].key, "data");
        assert_eq!(&*m[1].js, br#"{"a":[1,2]}"#);
        assert_eq!(m[2].key_js, br#""signature""#);
        let m = top_level_members(br#"{"a" : { "1" : 2.50 , "0" : 1 }}"#)
            .unwrap()
            .unwrap();
        assert_eq!(&*m[0].js, br#"{"0":1,"1":2.5}"#);
        assert!(top_level_members(br#"{"a":{"k":1,"k":2}}"#).is_err());
        assert!(
            top_level_members(br#"{"a":[12345678901234567890]}"#)
                .unwrap_err()
                .is_inexact_number()
        );
        assert!(top_level_members(b"[1]").unwrap().is_none());
        assert!(top_level_members(br#"{"a":1,"a":2}"#).is_err());
    }

    #[test]
    fn a_digit_run_ends_at_the_first_byte_that_is_not_a_digit() {
        let bytewise = |s: &[u8], from: usize| {
            (from..s.len())
                .find(|&i| !s[i].is_ascii_digit())
                .unwrap_or(s.len())
        };
        // Every non-digit (all 246 of them) at every offset of a 17-byte run of each digit,
        // after every kind of byte, so that borrows and carries between bytes are exercised.
        let non_digits: Vec<u8> = (0..=255u8).filter(|b| !b.is_ascii_digit()).collect();
        for fill in [b'0', b'5', b'9'] {
            for &end in &non_digits {
                for before in [b'0', b'9', 0x2f, 0x3a, 0xb9, 0xba, 0xff, 0x00] {
                    for at in 0..17 {
                        let mut s = vec![fill; 17];
                        if at > 0 {
                            s[at - 1] = before;
                        }
                        s[at] = end;
                        for from in [0, at.saturating_sub(3), at] {
                            assert_eq!(
                                digit_run_end(&s, from),
                                bytewise(&s, from),
                                "fill {fill:#x}, before {before:#x}, {end:#x} at {at}, from {from}"
                            );
                        }
                    }
                }
            }
        }
        for len in 0..20 {
            assert_eq!(digit_run_end(&vec![b'7'; len], 0), len);
        }
    }

    #[test]
    fn one_pass_scan_accepts_what_render_accepts() {
        for text in [
            " { \"b\" : 1 , \"a\" : [ 1 , { } , [ ] ] } ",
            r#"{"a":"\ud800","\u0062":[1.50,-0,1e3]}"#,
            "[1,]",
            "{\"a\":1,}",
            "01",
            "1.",
            "\"\\x\"",
            "\"\\u12\"",
            "{\"a\" 1}",
            "{\"a\":1,\"\\u0061\":2}",
            "\u{feff}{}",
            "",
        ] {
            assert_eq!(
                scan(text.as_bytes()).is_ok(),
                render(text.as_bytes(), Mode::Lossy, 0).is_ok(),
                "{text:?}"
            );
        }
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert_eq!(scan(deep.as_bytes()).unwrap_err().what, "nesting too deep");
        let many: Vec<String> = (0..40).map(|i| format!("\"k{i}\":{i}")).collect();
        let ok = format!("{{{}}}", many.join(","));
        assert_eq!(scan(ok.as_bytes()).unwrap().members.unwrap().len(), 40);
        let repeated = format!("{{{},\"k\\u0033\":0}}", many.join(","));
        assert_eq!(scan(repeated.as_bytes()).unwrap_err().what, "duplicate key");
        // A repeat of any earlier key, in objects up to the size compared pairwise and beyond.
        for n in 2..30 {
            let keys: Vec<String> = (0..n).map(|i| format!("\"k{i}\":{i}")).collect();
            assert!(scan(format!("{{{}}}", keys.join(",")).as_bytes()).is_ok());
            for j in 0..n {
                let text = format!("{{{},\"k{j}\":0}}", keys.join(","));
                assert_eq!(scan(text.as_bytes()).unwrap_err().what, "duplicate key", "{text}");
            }
        }
        let found = scan(br#"{"n":1e400,"m":[1]}"#).unwrap();
        assert_eq!(found.beyond_f64, Some(5));
        assert!(scan(b"[1]").unwrap().members.is_none());
        let body = br#"{"event\u005ftype":"x\ud800","n":null}"#;
        let m = scan(body).unwrap().members.unwrap();
        assert!(key_is(body, &m[0], "event_type"));
        assert_eq!(string_value(body, &m[0].value).as_deref(), Some("x\u{FFFD}"));
        assert_eq!(string_value(body, &m[1].value), None);
    }
}
