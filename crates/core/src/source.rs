//! Reads a YAML or JSON document into a JSON value while remembering where each node was
//! written, so that every error can name its line and column.
//!
//! JSON is read by the same YAML 1.2 parser (JSON is YAML), so both formats get the same
//! positions and the same messages.

use std::collections::BTreeMap;

use serde_json::{Map, Number, Value};
use yaml_rust2::Yaml;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// A 1-based line and column in a source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl Position {
    fn from_marker(marker: Marker) -> Self {
        // yaml-rust2 counts lines from 1 and columns from 0.
        Self {
            line: marker.line(),
            column: marker.col() + 1,
        }
    }
}

/// A parsed document: its value, and where each value and mapping key starts, keyed by
/// JSON Pointer (RFC 6901).
#[derive(Debug, Clone)]
pub struct SourceDocument {
    pub value: Value,
    values: BTreeMap<String, Position>,
    keys: BTreeMap<String, Position>,
}

impl SourceDocument {
    /// Where the value at `pointer` starts, or failing that its nearest ancestor.
    pub fn position_of(&self, pointer: &str) -> Option<Position> {
        let mut pointer = pointer;
        loop {
            if let Some(position) = self.values.get(pointer) {
                return Some(*position);
            }
            pointer = &pointer[..pointer.rfind('/')?];
        }
    }

    /// Where the key that names `pointer` starts; falls back to the value's position.
    pub fn key_position_of(&self, pointer: &str) -> Option<Position> {
        self.keys
            .get(pointer)
            .copied()
            .or_else(|| self.position_of(pointer))
    }
}

/// A document that is not well-formed YAML or JSON.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SyntaxError {
    pub position: Position,
    pub message: String,
}

/// Parses one YAML or JSON document.
pub fn parse_document(text: &str) -> Result<SourceDocument, SyntaxError> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    // Events are pulled one at a time: `Parser::load` recurses once per nesting level, which
    // overflows the stack on deeply nested block lists (`- - - …`) before any limit applies.
    loop {
        let (event, marker) = parser.next_token().map_err(|error| SyntaxError {
            position: Position::from_marker(*error.marker()),
            message: format!("not valid YAML or JSON: {}", error.info()),
        })?;
        let end = event == Event::StreamEnd;
        builder.on_event(event, marker);
        if end || builder.error.is_some() {
            break;
        }
    }
    if let Some(error) = builder.error {
        return Err(error);
    }
    match builder.documents.len() {
        1 => Ok(builder.documents.pop().expect("one document")),
        0 => Err(SyntaxError {
            position: Position { line: 1, column: 1 },
            message: "the file is empty: expected one YAML or JSON document".to_string(),
        }),
        n => Err(SyntaxError {
            position: Position { line: 1, column: 1 },
            message: format!(
                "the file holds {n} YAML documents (separated by `---`); put each experiment in its own file"
            ),
        }),
    }
}

/// How deep lists and mappings may nest, as in serde_json. Deeper documents are refused before
/// they are built: later steps (the schema check, dropping the value) recurse per level and
/// would overflow the stack, and no gameday file needs more than a dozen levels.
pub const MAX_DEPTH: usize = 128;

/// How many values aliases may copy into one document. Each alias copies its anchor's value,
/// so a few lines of nested aliases can expand to billions of values ("billion laughs"); real
/// files reuse a mapping or two.
pub const MAX_ALIAS_VALUES: usize = 10_000;

fn count_values(value: &Value) -> usize {
    1 + match value {
        Value::Array(items) => items.iter().map(count_values).sum(),
        Value::Object(entries) => entries.values().map(count_values).sum(),
        _ => 0,
    }
}

/// A container being filled, with the pointer it lives at.
enum Frame {
    Sequence {
        pointer: String,
        items: Vec<Value>,
        anchor: usize,
    },
    Mapping {
        pointer: String,
        entries: Map<String, Value>,
        pending_key: Option<String>,
        anchor: usize,
    },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    documents: Vec<SourceDocument>,
    current: Option<SourceDocument>,
    anchors: BTreeMap<usize, Value>,
    /// Values copied in by aliases so far (see [`MAX_ALIAS_VALUES`]).
    alias_values: usize,
    error: Option<SyntaxError>,
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, event: Event, marker: Marker) {
        if self.error.is_none()
            && let Err(error) = self.handle(event, Position::from_marker(marker))
        {
            self.error = Some(error);
        }
    }
}

impl Builder {
    fn handle(&mut self, event: Event, position: Position) -> Result<(), SyntaxError> {
        match event {
            Event::DocumentStart => {
                self.current = Some(SourceDocument {
                    value: Value::Null,
                    values: BTreeMap::new(),
                    keys: BTreeMap::new(),
                });
            }
            Event::DocumentEnd => {
                if let Some(document) = self.current.take() {
                    self.documents.push(document);
                }
            }
            Event::SequenceStart(anchor, _) => {
                self.check_depth(position)?;
                let pointer = self.next_pointer(position)?;
                self.record_value(&pointer, position);
                self.stack.push(Frame::Sequence {
                    pointer,
                    items: Vec::new(),
                    anchor,
                });
            }
            Event::MappingStart(anchor, _) => {
                self.check_depth(position)?;
                let pointer = self.next_pointer(position)?;
                self.record_value(&pointer, position);
                self.stack.push(Frame::Mapping {
                    pointer,
                    entries: Map::new(),
                    pending_key: None,
                    anchor,
                });
            }
            Event::SequenceEnd => match self.stack.pop() {
                Some(Frame::Sequence { items, anchor, .. }) => {
                    self.finish(Value::Array(items), anchor, position)?
                }
                _ => return Err(internal(position)),
            },
            Event::MappingEnd => match self.stack.pop() {
                Some(Frame::Mapping {
                    entries, anchor, ..
                }) => self.finish(Value::Object(entries), anchor, position)?,
                _ => return Err(internal(position)),
            },
            Event::Scalar(text, style, anchor, tag) => {
                self.scalar(text, style, anchor, tag, position)?
            }
            Event::Alias(anchor) => {
                let value = self.anchors.get(&anchor).ok_or(SyntaxError {
                    position,
                    message: "alias refers to an unknown anchor".to_string(),
                })?;
                self.alias_values += count_values(value);
                if self.alias_values > MAX_ALIAS_VALUES {
                    return Err(SyntaxError {
                        position,
                        message: format!(
                            "aliases expand to more than {MAX_ALIAS_VALUES} values; write the repeated parts out instead of nesting aliases"
                        ),
                    });
                }
                let value = value.clone();
                let pointer = self.next_pointer(position)?;
                self.record_value(&pointer, position);
                self.insert(value, position)?;
            }
            Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
        }
        Ok(())
    }

    fn scalar(
        &mut self,
        text: String,
        style: TScalarStyle,
        anchor: usize,
        tag: Option<Tag>,
        position: Position,
    ) -> Result<(), SyntaxError> {
        if let Some(Frame::Mapping {
            pointer,
            entries,
            pending_key: pending @ None,
            ..
        }) = self.stack.last_mut()
        {
            if entries.contains_key(&text) {
                return Err(SyntaxError {
                    position,
                    message: format!(
                        "duplicate key `{text}`: each key may appear once in a mapping"
                    ),
                });
            }
            let key_pointer = format!("{pointer}/{}", escape_pointer_segment(&text));
            if let Some(document) = self.current.as_mut() {
                document.keys.insert(key_pointer, position);
                // A block mapping's start event is marked after its first key; the mapping
                // really starts at that key.
                if let Some(start) = document.values.get_mut(pointer.as_str()) {
                    *start = (*start).min(position);
                }
            }
            *pending = Some(text);
            return Ok(());
        }
        let value = scalar_value(text, style, tag.as_ref(), position)?;
        let pointer = self.next_pointer(position)?;
        self.record_value(&pointer, position);
        self.finish(value, anchor, position)
    }

    fn check_depth(&self, position: Position) -> Result<(), SyntaxError> {
        if self.stack.len() < MAX_DEPTH {
            return Ok(());
        }
        Err(SyntaxError {
            position,
            message: format!(
                "lists and mappings nest deeper than {MAX_DEPTH} levels here; flatten the document"
            ),
        })
    }

    /// The pointer of the next value inserted into the innermost container.
    fn next_pointer(&self, position: Position) -> Result<String, SyntaxError> {
        Ok(match self.stack.last() {
            None => String::new(),
            Some(Frame::Sequence { pointer, items, .. }) => format!("{pointer}/{}", items.len()),
            Some(Frame::Mapping {
                pointer,
                pending_key: Some(key),
                ..
            }) => {
                format!("{pointer}/{}", escape_pointer_segment(key))
            }
            Some(Frame::Mapping { .. }) => {
                return Err(SyntaxError {
                    position,
                    message: "mapping keys must be plain strings, not lists or mappings"
                        .to_string(),
                });
            }
        })
    }

    fn record_value(&mut self, pointer: &str, position: Position) {
        if let Some(document) = self.current.as_mut() {
            document
                .values
                .entry(pointer.to_string())
                .or_insert(position);
        }
    }

    fn finish(
        &mut self,
        value: Value,
        anchor: usize,
        position: Position,
    ) -> Result<(), SyntaxError> {
        if anchor > 0 {
            self.anchors.insert(anchor, value.clone());
        }
        self.insert(value, position)
    }

    fn insert(&mut self, value: Value, position: Position) -> Result<(), SyntaxError> {
        match self.stack.last_mut() {
            None => {
                if let Some(document) = self.current.as_mut() {
                    document.value = value;
                }
            }
            Some(Frame::Sequence { items, .. }) => items.push(value),
            Some(Frame::Mapping {
                entries,
                pending_key,
                ..
            }) => {
                let key = pending_key.take().ok_or_else(|| internal(position))?;
                entries.insert(key, value);
            }
        }
        Ok(())
    }
}

/// Resolves a scalar the way YAML 1.2's core schema does: quoted text is a string, plain text
/// may be null, a boolean or a number.
fn scalar_value(
    text: String,
    style: TScalarStyle,
    tag: Option<&Tag>,
    position: Position,
) -> Result<Value, SyntaxError> {
    if style != TScalarStyle::Plain || tag.is_some_and(|t| t.suffix == "str") {
        return Ok(Value::String(text));
    }
    Ok(match Yaml::from_str(&text) {
        Yaml::Null => Value::Null,
        Yaml::Boolean(b) => Value::Bool(b),
        Yaml::Integer(i) => Value::Number(i.into()),
        Yaml::Real(real) => {
            let number =
                real.parse::<f64>()
                    .ok()
                    .and_then(Number::from_f64)
                    .ok_or(SyntaxError {
                        position,
                        message: format!("`{real}` is not a finite number"),
                    })?;
            Value::Number(number)
        }
        _ => Value::String(text),
    })
}

fn escape_pointer_segment(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

fn internal(position: Position) -> SyntaxError {
    SyntaxError {
        position,
        message: "unbalanced YAML structure".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const YAML: &str = "metadata:\n  name: demo\n  count: 3\nfaults:\n  - name: a\n    ratio: 0.5\n  - name: 'b'\n";

    #[test]
    fn builds_json_values_with_yaml_core_types() {
        let document = parse_document(YAML).unwrap();
        assert_eq!(
            document.value,
            serde_json::json!({"metadata": {"name": "demo", "count": 3}, "faults": [{"name": "a", "ratio": 0.5}, {"name": "b"}]})
        );
    }

    #[test]
    fn remembers_value_and_key_positions() {
        let document = parse_document(YAML).unwrap();
        assert_eq!(
            document.position_of("/metadata/count"),
            Some(Position {
                line: 3,
                column: 10
            })
        );
        assert_eq!(
            document.key_position_of("/faults/1/name"),
            Some(Position { line: 7, column: 5 })
        );
        assert_eq!(
            document.position_of("/faults/1/name"),
            Some(Position {
                line: 7,
                column: 11
            })
        );
        assert_eq!(
            document.position_of("/faults/1"),
            Some(Position { line: 7, column: 5 })
        );
        // A pointer that does not exist falls back to its nearest ancestor.
        assert_eq!(
            document.position_of("/metadata/missing"),
            Some(Position { line: 2, column: 3 })
        );
    }

    #[test]
    fn reads_json_with_positions() {
        let document = parse_document("{\n  \"a\": [1, true, null, \"x\"]\n}\n").unwrap();
        assert_eq!(
            document.value,
            serde_json::json!({"a": [1, true, null, "x"]})
        );
        assert_eq!(
            document.position_of("/a/3"),
            Some(Position {
                line: 2,
                column: 24
            })
        );
    }

    #[test]
    fn quoted_numbers_stay_strings_and_aliases_resolve() {
        let document = parse_document("a: &x '10'\nb: *x\n").unwrap();
        assert_eq!(document.value, serde_json::json!({"a": "10", "b": "10"}));
    }

    #[test]
    fn refuses_duplicate_keys_empty_files_and_several_documents() {
        let duplicate = parse_document("a: 1\na: 2\n").unwrap_err();
        assert_eq!(duplicate.position, Position { line: 2, column: 1 });
        assert!(duplicate.message.contains("duplicate key `a`"));
        assert!(parse_document("").unwrap_err().message.contains("empty"));
        assert!(
            parse_document("a: 1\n---\nb: 2\n")
                .unwrap_err()
                .message
                .contains("2 YAML documents")
        );
        let deep = parse_document(&"- ".repeat(100_000)).unwrap_err();
        assert!(deep.message.contains("deeper than 128"), "{}", deep.message);
        assert_eq!(
            deep.position,
            Position {
                line: 1,
                column: 257
            }
        );
        assert!(parse_document(&"- ".repeat(MAX_DEPTH)).is_ok());
        let mut laughs = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n".to_string();
        for level in 1..9 {
            let items = vec![format!("*a{}", level - 1); 10].join(", ");
            laughs.push_str(&format!("a{level}: &a{level} [{items}]\n"));
        }
        let expanded = parse_document(&laughs).unwrap_err();
        assert!(
            expanded
                .message
                .contains("aliases expand to more than 10000 values")
        );
        assert_eq!(expanded.position.line, 4, "where the budget ran out");
        let broken = parse_document("a: [1, 2\n").unwrap_err();
        assert!(
            broken.message.starts_with("not valid YAML or JSON"),
            "{}",
            broken.message
        );
    }
}
