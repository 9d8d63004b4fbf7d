//! Inputs as bytes: a mutated value rendered as JSON or YAML, the valid text edited (cut at any
//! place, a line doubled so a key repeats, lines swapped or re-indented, a token inserted), deep
//! nesting, or random text and bytes.

use std::borrow::Cow;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::Union;
use serde_json::Value;
use yaml_rust2::{Yaml, YamlEmitter, yaml::Hash};

use crate::mutate::{Applied, mutated};

/// Pieces of YAML and JSON syntax, and scalars YAML reads specially.
const TOKENS: &[&str] = &[
    ": ",
    "- ",
    "{",
    "}",
    "[",
    "]",
    ",",
    "\"",
    "'",
    "#",
    "&a ",
    "*a",
    "!!str ",
    "!!int ",
    "!!binary ",
    "!custom ",
    "? ",
    "|\n",
    ">-\n",
    "---\n",
    "...\n",
    "\t",
    "\n",
    "\r\n",
    "\u{feff}",
    "%YAML 1.2\n",
    "<<: *a\n",
    "\\u0000",
    "\\ud800",
    "1e999",
    "-0",
    ".nan",
    ".inf",
    "~",
    "null",
    "0o17",
    "0x1F",
    "é",
    "𝄞",
];

/// How a mutated value is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    JsonPretty,
    Yaml,
}

/// One input, with the structured changes behind it. `changes` is empty when the text was
/// edited or generated, or written as YAML (whose emitter may quote differently): then no place
/// is known to be named.
#[derive(Clone)]
pub struct Input {
    pub bytes: Vec<u8>,
    pub changes: Vec<Applied>,
}

/// The text, so that a failing input reads as the document it is.
impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Input")
            .field("text", &self.as_text())
            .field("changes", &self.changes)
            .finish()
    }
}

impl Input {
    fn text(text: String) -> Self {
        Self {
            bytes: text.into_bytes(),
            changes: Vec::new(),
        }
    }

    /// The bytes as text, the way a file read leniently would be.
    pub fn as_text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.bytes)
    }
}

pub fn render(value: &Value, format: Format) -> String {
    match format {
        Format::Json => value.to_string(),
        Format::JsonPretty => serde_json::to_string_pretty(value).expect("a value serialises"),
        Format::Yaml => {
            let mut out = String::new();
            YamlEmitter::new(&mut out)
                .dump(&to_yaml(value))
                .expect("a value emits as YAML");
            out
        }
    }
}

fn to_yaml(value: &Value) -> Yaml {
    match value {
        Value::Null => Yaml::Null,
        Value::Bool(b) => Yaml::Boolean(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Yaml::Integer(i),
            None => Yaml::Real(n.to_string()),
        },
        Value::String(s) => Yaml::String(s.clone()),
        Value::Array(items) => Yaml::Array(items.iter().map(to_yaml).collect()),
        Value::Object(entries) => {
            let mut hash = Hash::new();
            for (key, item) in entries {
                hash.insert(Yaml::String(key.clone()), to_yaml(item));
            }
            Yaml::Hash(hash)
        }
    }
}

/// Inputs for a document parser (YAML or JSON text), from valid documents given as their text:
/// structured mutations rendered in each format, edits of the valid text, and random text.
pub fn document(seeds: &[String]) -> impl Strategy<Value = Input> + use<> {
    let per_seed = seeds.iter().map(|text| {
        let value = yaml_value(text);
        let formats = select(&[Format::Json, Format::JsonPretty, Format::Yaml][..]);
        prop_oneof![
            5 => (mutated(value.clone()), formats).prop_map(|(m, format)| Input {
                bytes: render(&m.value, format).into_bytes(),
                changes: if format == Format::Yaml { Vec::new() } else { m.changes },
            }),
            3 => edited(text.clone()).prop_map(Input::text),
            1 => mutated(value)
                .prop_flat_map(|m| edited(render(&m.value, Format::Yaml)))
                .prop_map(Input::text),
        ]
        .boxed()
    });
    prop_oneof![9 => Union::new(per_seed), 1 => random_text()]
}

/// Inputs for a Lambda payload parser (JSON bytes), from valid events.
pub fn payload(seeds: &[Value]) -> impl Strategy<Value = Input> + use<> {
    let per_seed = seeds.iter().map(|value| {
        prop_oneof![
            6 => mutated(value.clone()).prop_map(|m| Input {
                bytes: m.value.to_string().into_bytes(),
                changes: m.changes,
            }),
            3 => edited(serde_json::to_string_pretty(value).expect("a value serialises"))
                .prop_map(Input::text),
        ]
        .boxed()
    });
    prop_oneof![9 => Union::new(per_seed), 1 => random_text()]
}

#[derive(Debug, Clone)]
enum Edit {
    Truncate(usize),
    Delete(usize, usize),
    Insert(usize, String),
    DuplicateLine(usize),
    SwapLines(usize, usize),
    Indent(usize, bool),
}

/// `text` with one to three edits.
pub fn edited(text: String) -> impl Strategy<Value = String> {
    let edit = prop_oneof![
        2 => any::<usize>().prop_map(Edit::Truncate),
        1 => (any::<usize>(), 1usize..40).prop_map(|(at, n)| Edit::Delete(at, n)),
        3 => (any::<usize>(), prop_oneof![select(TOKENS).prop_map(String::from), "\\PC{1,8}"])
            .prop_map(|(at, token)| Edit::Insert(at, token)),
        2 => any::<usize>().prop_map(Edit::DuplicateLine),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::SwapLines(a, b)),
        1 => (any::<usize>(), any::<bool>()).prop_map(|(at, deeper)| Edit::Indent(at, deeper)),
    ];
    vec(edit, 1..=3).prop_map(move |edits| edits.into_iter().fold(text.clone(), apply_edit))
}

fn apply_edit(text: String, edit: Edit) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let at = |index: &usize, len: usize| index % (len + 1);
    let mut lines: Vec<String> = text.split_inclusive('\n').map(String::from).collect();
    let line = |index: &usize, lines: &[String]| index % lines.len().max(1);
    match edit {
        Edit::Truncate(index) => chars.truncate(at(&index, chars.len())),
        Edit::Delete(index, n) => {
            let start = at(&index, chars.len());
            chars.drain(start..(start + n).min(chars.len()));
        }
        Edit::Insert(index, token) => {
            let start = at(&index, chars.len());
            chars.splice(start..start, token.chars());
        }
        Edit::DuplicateLine(index) if !lines.is_empty() => {
            let i = line(&index, &lines);
            lines.insert(i, lines[i].clone());
            return lines.concat();
        }
        Edit::SwapLines(a, b) if !lines.is_empty() => {
            let (a, b) = (line(&a, &lines), line(&b, &lines));
            lines.swap(a, b);
            return lines.concat();
        }
        Edit::Indent(index, deeper) if !lines.is_empty() => {
            let i = line(&index, &lines);
            lines[i] = match deeper {
                true => format!("  {}", lines[i]),
                false => lines[i].trim_start().to_string(),
            };
            return lines.concat();
        }
        Edit::DuplicateLine(_) | Edit::SwapLines(..) | Edit::Indent(..) => {}
    }
    chars.into_iter().collect()
}

/// Random text and bytes: unicode, token soup, deep nesting, and aliases that expand.
pub fn random_text() -> impl Strategy<Value = Input> {
    let nest = select(&["[", "{\"a\":", "- ", "a:\n  ", "[{", "{a: "][..]);
    prop_oneof![
        "\\PC{0,200}".prop_map(Input::text),
        vec(select(TOKENS), 0..60).prop_map(|tokens| Input::text(tokens.concat())),
        vec(any::<u8>(), 0..200).prop_map(|bytes| Input {
            bytes,
            changes: Vec::new()
        }),
        (nest, 1usize..2_000).prop_map(|(open, depth)| Input::text(open.repeat(depth))),
        (1usize..4, 1usize..10).prop_map(|(levels, width)| Input::text(aliases(levels, width))),
    ]
}

/// `levels` anchors, each a list of `width` aliases of the one before.
fn aliases(levels: usize, width: usize) -> String {
    let mut text = "a0: &a0 [x]\n".to_string();
    for level in 1..=levels {
        let items = vec![format!("*a{}", level - 1); width].join(", ");
        text.push_str(&format!("a{level}: &a{level} [{items}]\n"));
    }
    text
}

/// A YAML or JSON text as a JSON value (the seeds are valid, so this does not fail).
fn yaml_value(text: &str) -> Value {
    let documents = yaml_rust2::YamlLoader::load_from_str(text).expect("a seed is valid YAML");
    from_yaml(&documents[0])
}

fn from_yaml(yaml: &Yaml) -> Value {
    match yaml {
        Yaml::Real(text) => text.parse::<f64>().map_or(Value::Null, Value::from),
        Yaml::Integer(i) => Value::from(*i),
        Yaml::String(s) => Value::from(s.clone()),
        Yaml::Boolean(b) => Value::Bool(*b),
        Yaml::Array(items) => Value::Array(items.iter().map(from_yaml).collect()),
        Yaml::Hash(hash) => Value::Object(
            hash.iter()
                .map(|(key, item)| {
                    (
                        key.as_str().unwrap_or_default().to_string(),
                        from_yaml(item),
                    )
                })
                .collect(),
        ),
        Yaml::Alias(_) | Yaml::Null | Yaml::BadValue => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_cut_double_and_insert_at_character_boundaries() {
        let text = "a: é\nb: 2\n".to_string();
        let cut = apply_edit(text.clone(), Edit::Truncate(0));
        assert_eq!(cut, "");
        let doubled = apply_edit(text.clone(), Edit::DuplicateLine(0));
        assert_eq!(doubled, "a: é\na: é\nb: 2\n");
        assert_eq!(aliases(1, 2), "a0: &a0 [x]\na1: &a1 [*a0, *a0]\n");
        assert_eq!(
            yaml_value("a: [1, 0.5, x]\n"),
            serde_json::json!({"a": [1, 0.5, "x"]})
        );
    }
}
