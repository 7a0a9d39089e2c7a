//! The request's `Data` and `Metadata` objects, each value parsed the first time it is read.
//!
//! The host sends all of a trigger's metadata (a Storage queue message: eight keys, `sys` an
//! object of three) and a trigger reads two or three of them, so parsing the request into a
//! [`Value`] allocated a string for every key and value of every invocation, then dropped
//! them. [`scan`] reads the request once, checking it and noting where the members of the
//! top-level object and of its objects are; a value is parsed when a trigger reads it.
//!
//! [`scan`] takes only plainly valid JSON: ASCII or UTF-8 text, escapes other than `\u` of a
//! surrogate, numbers without an exponent of at most 100 characters, nesting up to 64. The
//! caller parses anything else into a `Value` as before ([`Objects::parsed`]), so a request
//! that is malformed (or close to it) gets the same answer and error as before.
//!
//! A lookup answers what it answered on the parsed `Map`: keys are compared decoded
//! (`"D\u0061ta"` is `Data`), a repeated key keeps its last value, and a case-insensitive match
//! is the first in the map's key order, byte order (serde_json's `Map` is a `BTreeMap`: the
//! workspace does not turn on its `preserve_order` feature).

use std::ops::Range;
use std::sync::OnceLock;

use serde_json::{Map, Value};

use super::EventError;

/// The request's `Data` and `Metadata` objects: their members, each value parsed on first use.
#[derive(Debug, Clone, Default)]
pub(super) struct Objects {
    members: Vec<Member>,
    data: Range<usize>,
    metadata: Range<usize>,
}

#[derive(Debug, Clone)]
struct Member {
    key: Key,
    /// Where the value is in the request's text (empty for a value parsed already).
    span: Range<usize>,
    value: OnceLock<Value>,
    /// Past the index of this member's last descendant noted (the members of a top-level
    /// member's object follow it).
    end: usize,
}

/// A key as written (between the quotes) when it has no escape, else decoded.
#[derive(Debug, Clone)]
enum Key {
    Span(Range<usize>),
    Decoded(Box<str>),
}

impl Member {
    fn parsed((key, value): (String, Value)) -> Self {
        Self {
            key: Key::Decoded(key.into()),
            span: 0..0,
            value: OnceLock::from(value),
            end: 0,
        }
    }

    fn key<'a>(&'a self, text: &'a [u8]) -> &'a [u8] {
        match &self.key {
            Key::Span(span) => text.get(span.clone()).unwrap_or_default(),
            Key::Decoded(key) => key.as_bytes(),
        }
    }

    fn value(&self, text: &[u8]) -> &Value {
        self.value.get_or_init(|| {
            // A value [`scan`] took parses on its own.
            text.get(self.span.clone())
                .and_then(|raw| serde_json::from_slice(raw).ok())
                .unwrap_or(Value::Null)
        })
    }
}

impl Objects {
    /// The two objects parsed already.
    pub(super) fn parsed(data: Map<String, Value>, metadata: Map<String, Value>) -> Self {
        let split = data.len();
        let members: Vec<Member> = data
            .into_iter()
            .chain(metadata)
            .map(Member::parsed)
            .collect();
        Self {
            data: 0..split,
            metadata: split..members.len(),
            members,
        }
    }

    /// `Data`, whose values are in `text`.
    pub(super) fn data<'a>(&'a self, text: &'a [u8]) -> Object<'a> {
        self.object(self.data.clone(), text)
    }

    /// `Metadata`, whose values are in `text`.
    pub(super) fn metadata<'a>(&'a self, text: &'a [u8]) -> Object<'a> {
        self.object(self.metadata.clone(), text)
    }

    fn object<'a>(&'a self, range: Range<usize>, text: &'a [u8]) -> Object<'a> {
        Object {
            members: self.members.get(range).unwrap_or_default(),
            text,
        }
    }
}

/// One object of the request.
#[derive(Clone, Copy)]
pub(super) struct Object<'a> {
    members: &'a [Member],
    text: &'a [u8],
}

impl<'a> Object<'a> {
    /// The value of `key` (the last one if it repeats).
    pub(super) fn get(self, key: &str) -> Option<&'a Value> {
        let member = self
            .members
            .iter()
            .rev()
            .find(|m| m.key(self.text) == key.as_bytes())?;
        Some(member.value(self.text))
    }

    /// The value of `key` (the last one if it repeats), else of the first key in byte order
    /// equal to it ignoring ASCII case ([`encoding::get_ci`](super::encoding::get_ci) on the
    /// parsed object).
    pub(super) fn get_ci(self, key: &str) -> Option<&'a Value> {
        self.get(key).or_else(|| {
            let (_, member) = first_ci(self.members.iter().enumerate(), self.text, key)?;
            Some(member.value(self.text))
        })
    }

    /// The only value, if the object has exactly one key (repeated or not).
    pub(super) fn only(self) -> Option<&'a Value> {
        let last = self.members.last()?;
        let key = last.key(self.text);
        self.members
            .iter()
            .all(|m| m.key(self.text) == key)
            .then(|| last.value(self.text))
    }

    /// Every member parsed: the `Map` parsing the object gives.
    pub(super) fn to_map(self) -> Map<String, Value> {
        self.members
            .iter()
            .map(|m| {
                let key = String::from_utf8_lossy(m.key(self.text)).into_owned();
                (key, m.value(self.text).clone())
            })
            .collect()
    }
}

/// The first of `members` in byte order of its key equal to `key` ignoring ASCII case, the last
/// of them if that key repeats: what a case-insensitive search of the parsed map finds.
fn first_ci<'a>(
    members: impl Iterator<Item = (usize, &'a Member)>,
    text: &[u8],
    key: &str,
) -> Option<(usize, &'a Member)> {
    let mut found: Option<(usize, &Member)> = None;
    for (index, member) in members {
        let name = member.key(text);
        if name.eq_ignore_ascii_case(key.as_bytes())
            && found.is_none_or(|(_, f)| name <= f.key(text))
        {
            found = Some((index, member));
        }
    }
    found
}

/// The bytes that end a run of plain string content: a quote, a backslash, a control
/// character.
const STOPS: [bool; 256] = {
    let mut stops = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        stops[b] = true;
        b += 1;
    }
    stops[b'"' as usize] = true;
    stops[b'\\' as usize] = true;
    stops
};

/// The index of the first quote, backslash or control character of `bytes`, eight bytes at a
/// time (the zero-byte test of "Bit Twiddling Hacks": in each word, the lowest byte flagged is
/// exact, and only bytes above it can be flagged wrongly).
fn first_stop(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let zero = |word: u64| word.wrapping_sub(ONES) & !word;
    let mut chunks = bytes.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut chunks {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        let word = u64::from_le_bytes(word);
        let quote = zero(word ^ (ONES * u64::from(b'"')));
        let backslash = zero(word ^ (ONES * u64::from(b'\\')));
        let control = word.wrapping_sub(ONES * 0x20) & !word;
        let found = (quote | backslash | control) & HIGHS;
        if found != 0 {
            return Some(offset + (found.trailing_zeros() / 8) as usize);
        }
        offset += 8;
    }
    let rest = chunks.remainder();
    rest.iter()
        .position(|&b| STOPS[usize::from(b)])
        .map(|i| offset + i)
}

/// How deep [`scan`] follows objects and arrays (serde_json's limit is 127).
const MAX_DEPTH: usize = 64;
/// The longest number [`scan`] takes: shorter ones without an exponent always fit an `f64`.
const MAX_NUMBER: usize = 100;

/// The request's `Data` and `Metadata` objects, found in one pass over it; `None` for anything
/// but plainly valid JSON (see the module documentation), which the caller parses instead.
///
/// # Errors
/// [`EventError::NoData`] when the request is not an object with a `Data` object.
pub(super) fn scan(text: &[u8]) -> Option<Result<Objects, EventError>> {
    std::str::from_utf8(text).ok()?;
    let mut scanner = Scanner {
        text,
        at: 0,
        members: Vec::with_capacity(16),
    };
    scanner.whitespace();
    let object = scanner.peek() == Some(b'{');
    scanner.value(0, Level::Root)?;
    scanner.whitespace();
    if scanner.at != text.len() {
        return None;
    }
    if !object {
        return Some(Err(EventError::NoData));
    }
    let members = scanner.members;
    // The top-level members: the first, then each past the one before's descendants.
    let roots = std::iter::successors(Some(0), |&i| members.get(i).map(|m| m.end))
        .map_while(|i| Some((i, members.get(i)?)));
    let child_object = |key: &str| {
        let (index, member) = first_ci(roots.clone(), text, key)?;
        (text.get(member.span.start) == Some(&b'{')).then_some(index + 1..member.end)
    };
    let Some(data) = child_object("Data") else {
        return Some(Err(EventError::NoData));
    };
    let metadata = child_object("Metadata").unwrap_or(0..0);
    Some(Ok(Objects {
        members,
        data,
        metadata,
    }))
}

/// Which objects' members [`scan`] notes.
#[derive(Clone, Copy)]
enum Level {
    /// The top-level object's.
    Root,
    /// An object that is the value of a top-level member.
    Child,
    /// Deeper: not noted.
    Deeper,
}

struct Scanner<'a> {
    text: &'a [u8],
    at: usize,
    members: Vec<Member>,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    fn whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\n' | b'\t' | b'\r')) {
            self.at += 1;
        }
    }

    fn value(&mut self, depth: usize, level: Level) -> Option<()> {
        match self.peek()? {
            b'{' => self.object(depth, level),
            b'[' => self.array(depth),
            b'"' => self.string().map(drop),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn object(&mut self, depth: usize, level: Level) -> Option<()> {
        if self.open(depth, b'}')? {
            return Some(());
        }
        loop {
            let key_start = self.at + 1;
            let escaped = self.string()?;
            let key = key_start..self.at - 1;
            self.whitespace();
            if self.peek()? != b':' {
                return None;
            }
            self.at += 1;
            self.whitespace();
            let start = self.at;
            let noted = match level {
                Level::Deeper => None,
                Level::Root | Level::Child => {
                    let key = if escaped {
                        let quoted = self.text.get(key.start - 1..key.end + 1)?;
                        Key::Decoded(serde_json::from_slice::<String>(quoted).ok()?.into())
                    } else {
                        Key::Span(key)
                    };
                    self.members.push(Member {
                        key,
                        span: start..start,
                        value: OnceLock::new(),
                        end: 0,
                    });
                    Some(self.members.len() - 1)
                }
            };
            let inner = match level {
                Level::Root => Level::Child,
                Level::Child | Level::Deeper => Level::Deeper,
            };
            self.value(depth + 1, inner)?;
            let (at, end) = (self.at, self.members.len());
            if let Some(member) = noted.and_then(|i| self.members.get_mut(i)) {
                member.span = start..at;
                member.end = end;
            }
            if !self.separator(b'}')? {
                return Some(());
            }
        }
    }

    fn array(&mut self, depth: usize) -> Option<()> {
        if self.open(depth, b']')? {
            return Some(());
        }
        loop {
            self.value(depth + 1, Level::Deeper)?;
            if !self.separator(b']')? {
                return Some(());
            }
        }
    }

    /// At an object's or array's opening bracket, `depth` deep: steps past it and the
    /// whitespace after it. `Some(true)` past `close` too when the container is empty,
    /// `Some(false)` when a member or element follows, `None` past the nesting limit.
    fn open(&mut self, depth: usize, close: u8) -> Option<bool> {
        if depth >= MAX_DEPTH {
            return None;
        }
        self.at += 1;
        self.whitespace();
        let empty = self.peek()? == close;
        if empty {
            self.at += 1;
        }
        Some(empty)
    }

    /// After a member or an element: `Some(true)` past a comma (and the whitespace after it),
    /// `Some(false)` past `close`, `None` for anything else.
    fn separator(&mut self, close: u8) -> Option<bool> {
        self.whitespace();
        let byte = self.peek()?;
        if byte != b',' && byte != close {
            return None;
        }
        self.at += 1;
        if byte == close {
            return Some(false);
        }
        self.whitespace();
        Some(true)
    }

    /// A string; whether it has escapes.
    fn string(&mut self) -> Option<bool> {
        if self.peek()? != b'"' {
            return None;
        }
        let mut escaped = false;
        let mut i = self.at + 1;
        loop {
            i += first_stop(self.text.get(i..)?)?;
            match *self.text.get(i)? {
                b'"' => {
                    self.at = i + 1;
                    return Some(escaped);
                }
                b'\\' => {
                    escaped = true;
                    match *self.text.get(i + 1)? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
                        b'u' => {
                            let hex = self.text.get(i + 2..i + 6)?;
                            let unit = hex.iter().try_fold(0u32, |n, d| {
                                Some(n * 16 + char::from(*d).to_digit(16)?)
                            })?;
                            if (0xD800..=0xDFFF).contains(&unit) {
                                return None;
                            }
                            i += 6;
                        }
                        _ => return None,
                    }
                }
                // A control character.
                _ => return None,
            }
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        self.text.get(self.at..)?.starts_with(word).then(|| {
            self.at += word.len();
        })
    }

    fn number(&mut self) -> Option<()> {
        let start = self.at;
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        match self.peek()? {
            b'0' => self.at += 1,
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            if !self.peek()?.is_ascii_digit() {
                return None;
            }
            self.digits();
        }
        let plain = !matches!(self.peek(), Some(b'e' | b'E'));
        (plain && self.at - start <= MAX_NUMBER).then_some(())
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.at += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use serde_json::json;

    use super::*;
    use crate::event::InvocationRequest;

    /// The request read through [`scan`], or `None` where the caller parses it instead.
    fn scanned(body: &[u8]) -> Option<Result<InvocationRequest, String>> {
        let objects = scan(body)?;
        Some(
            objects
                .map(|objects| InvocationRequest {
                    text: Bytes::copy_from_slice(body),
                    objects,
                })
                .map_err(|e| e.to_string()),
        )
    }

    fn parsed(body: &[u8]) -> Result<InvocationRequest, String> {
        InvocationRequest::parsed(body).map_err(|e| e.to_string())
    }

    const KEYS: [&str; 12] = [
        "Id",
        "ID",
        "id",
        "DequeueCount",
        "InsertionTime",
        "MessageId",
        "DeliveryCount",
        "sys",
        "Sys",
        "RetryContext",
        "name",
        "x",
    ];

    /// What a trigger can read of `request`.
    fn reads(request: &InvocationRequest) -> Vec<Option<Value>> {
        let mut out = vec![
            Some(Value::Object(request.data())),
            Some(Value::Object(request.metadata())),
            request.trigger_value().cloned(),
        ];
        out.extend(KEYS.iter().map(|key| request.meta(key).cloned()));
        out
    }

    /// `body` reads the same through [`scan`] as parsed into a `Value`; whether [`scan`] took
    /// it.
    fn reads_the_same(body: &[u8]) -> bool {
        let Some(fast) = scanned(body) else {
            return false;
        };
        let slow = parsed(body);
        match (&fast, &slow) {
            (Ok(fast), Ok(slow)) => assert_eq!(reads(fast), reads(slow), "{:?}", bytes(body)),
            (Err(fast), Err(slow)) => assert_eq!(fast, slow, "{:?}", bytes(body)),
            _ => panic!(
                "{:?}: scanned {:?}, parsed {:?}",
                bytes(body),
                fast.as_ref().map(reads),
                slow.as_ref().map(reads)
            ),
        }
        true
    }

    fn bytes(body: &[u8]) -> String {
        String::from_utf8_lossy(body).into_owned()
    }

    fn fixtures() -> Vec<Vec<u8>> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .expect("fixtures")
            .map(|entry| entry.expect("entry").path())
            .filter(|path| path.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|path| std::fs::read(path).expect("fixture"))
            .collect()
    }

    #[test]
    fn every_fixture_is_scanned_and_reads_as_parsed() {
        let fixtures = fixtures();
        assert!(fixtures.len() >= 10, "{} fixtures", fixtures.len());
        for body in fixtures {
            assert!(reads_the_same(&body), "not scanned: {}", bytes(&body));
        }
    }

    #[test]
    fn keys_are_matched_as_in_the_parsed_map() {
        let cases: [&[u8]; 12] = [
            br#"{"Data":{"trigger":1,"trigger":2}}"#,
            br#"{"data":{"a":1},"DATA":{"b":2}}"#,
            br#"{"DATA":{"b":2},"data":{"a":1},"Data":{"c":3}}"#,
            br#"{"D\u0061ta":{"trigger":"x"},"Metadata":{"\u0049d":"y"}}"#,
            br#"{"Data":{},"Metadata":{"id":"a","ID":"b","Id":"c","iD":"d"}}"#,
            br#"{"Data":{},"Metadata":{"ID":"b","id":"a"}}"#,
            br#"{"Data":{"queueItem":"x"}}"#,
            br#"{"Data":{"a":1,"a":2}}"#,
            br#"{"Data":{"a":1,"b":2}}"#,
            br#"{"Data":{},"Metadata":1,"metadata":{"x":2}}"#,
            br#" { "Data" : { "trigger" : [ 1 , { "a" : null } ] } , "Metadata" : { } } "#,
            r#"{"Data":{"trigger":"\"quoted\" \\ \/ \b\f\n\r\t \u00e9 é"},"Metadata":{"x":-0.5}}"#
                .as_bytes(),
        ];
        for body in cases {
            assert!(reads_the_same(body), "not scanned: {}", bytes(body));
        }
    }

    #[test]
    fn requests_that_are_not_an_object_with_data_are_refused_alike() {
        let cases: [&[u8]; 6] = [
            b"[1]",
            br#""Data""#,
            b"null",
            br#"{"Data":1}"#,
            br#"{"Metadata":{}}"#,
            b"{}",
        ];
        for body in cases {
            assert!(reads_the_same(body), "not scanned: {}", bytes(body));
            assert_eq!(
                parsed(body).map(|_| ()),
                Err("the invocation request has no `Data` object".to_owned())
            );
        }
    }

    #[test]
    fn what_a_value_parse_refuses_is_left_to_it() {
        let deep = format!(
            "{{\"Data\":{{\"trigger\":{}1{}}}}}",
            "[".repeat(70),
            "]".repeat(70)
        );
        let cases: [&[u8]; 12] = [
            br#"{"Data":{},"Metadata":{"x":"\ud800"}}"#,
            br#"{"Data":{},"Metadata":{"x":"\udc00\ud800"}}"#,
            br#"{"Data":{},"Metadata":{"x":1e400}}"#,
            br#"{"Data":{},"Metadata":{"x":1E2}}"#,
            br#"{"Data":{},"Metadata":{"x":"tab	here"}}"#,
            br#"{"Data":{},"Metadata":{"x":01}}"#,
            br#"{"Data":{},"Metadata":{"x":[1,]}}"#,
            br#"{"Data":{},"Metadata":{"x":1,}}"#,
            br#"{"Data":{},"Metadata":{"x":"\x"}}"#,
            b"{\"Data\":{},\"Metadata\":{\"x\":\"\xff\"}}",
            br#"{"Data":{}} x"#,
            deep.as_bytes(),
        ];
        for body in cases {
            assert!(scan(body).is_none(), "scanned: {}", bytes(body));
        }
        let long = format!("{{\"Data\":{{\"trigger\":{}}}}}", "9".repeat(400));
        assert!(scan(long.as_bytes()).is_none());
        assert!(parsed(long.as_bytes()).is_err());
        assert!(parsed(deep.as_bytes()).is_ok());
    }

    /// Every fixture, changed a byte at a time: whatever [`scan`] takes reads as parsed.
    #[test]
    fn changed_requests_read_as_parsed_or_are_left_to_the_parse() {
        const BYTES: &[u8] = b"\"\\{}[],:eE0-9. \tuDdIi\x01\xc3\xa9an";
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = move |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            usize::try_from(state % n as u64).unwrap_or(0)
        };
        let mut taken = 0;
        for fixture in fixtures() {
            for _ in 0..1500 {
                let mut body = fixture.clone();
                for _ in 0..=next(3) {
                    let at = next(body.len());
                    let byte = BYTES[next(BYTES.len())];
                    match next(3) {
                        0 => body[at] = byte,
                        1 => body.insert(at, byte),
                        _ => {
                            body.remove(at);
                        }
                    }
                }
                taken += usize::from(reads_the_same(&body));
            }
        }
        assert!(taken > 1000, "{taken} changed requests scanned");
    }

    #[test]
    fn the_first_stop_is_found_eight_bytes_at_a_time_as_byte_by_byte() {
        const BYTES: &[u8] = b"ab\"\\\x00\x1f\x20\x7f\x80\xff\xa2\xdc";
        let mut state = 0x2545_F491_4F6C_DD1D_u64;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = usize::try_from(state % 40).unwrap_or(0);
            let bytes: Vec<u8> = (0..len)
                .map(|i| {
                    let pick = usize::try_from((state >> (i % 60)) % 64).unwrap_or(0);
                    BYTES.get(pick).copied().unwrap_or(b'x')
                })
                .collect();
            let expected = bytes.iter().position(|&b| STOPS[usize::from(b)]);
            assert_eq!(first_stop(&bytes), expected, "{bytes:?}");
        }
    }

    #[test]
    fn the_parsed_map_is_in_byte_order_of_its_keys() {
        let map: Map<String, Value> =
            serde_json::from_value(json!({"b": 1, "B": 2, "a": 3})).expect("a map");
        let keys: Vec<&str> = map.keys().map(String::as_str).collect();
        assert_eq!(keys, ["B", "a", "b"]);
    }
}
