//! Structured mutations of a valid JSON value: a field removed or added, a value replaced by
//! one of another type, an edge-case number, a tricky string, a deep nest, a value moved from
//! elsewhere in the same document, or a small nudge of the value that was there. Starting from
//! valid documents keeps most inputs past the syntax check, so they reach the deep checks.

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Value};

/// Strings that parsers of this project treat specially: durations, selections, clock times,
/// timestamps, schedule expressions, JSONPath, intrinsics, ARNs, YAML's special scalars, and
/// unicode that breaks byte-offset slicing.
const TRICKY_STRINGS: &[&str] = &[
    "",
    " ",
    "\t",
    "\n",
    "null",
    "~",
    "true",
    "no",
    "0",
    "-1",
    "1e999",
    "NaN",
    ".nan",
    "-.inf",
    "0x1F",
    "PT0S",
    "P0D",
    "PT",
    "P",
    "P99999999999999999999D",
    "PT99999999999999999999H",
    "PT1.5M",
    "PT0.0001S",
    "P1Y",
    "ALL",
    "COUNT(0)",
    "COUNT(99999999999999999999)",
    "PERCENT(0)",
    "PERCENT(101)",
    "00:00",
    "24:00",
    "24:01",
    "99:99",
    "2026-02-30T10:00:00Z",
    "2026-03-03T10:00:00.000+0000",
    "9999-12-31T23:59:59Z",
    "+275760-09-13T00:00:00Z",
    "cron(0 10 ? * MON-FRI *)",
    "cron(* * * * * *)",
    "rate(0 minutes)",
    "rate(99999999999999999999 days)",
    "at(2026-01-01T00:00:00)",
    "Europe/Berlin",
    "Not/AZone",
    "$",
    "$.",
    "$..a",
    "$[",
    "$.a[99999999999999999999]",
    "$.a['b']",
    "$$.Execution.Id",
    "States.Format('{}', $.a)",
    "States.Array(",
    "States.StringToJson('{')",
    "States.MathAdd($.a, 99999999999999999999)",
    "States.ArrayRange(1, 99999999, 1)",
    "arn:aws:sns:us-east-1:123456789012:topic",
    "arn:aws:lambda:::function:",
    "${Fn}",
    "é",
    "ǅ",
    "\u{0}",
    "\u{feff}",
    "\u{202e}abc",
    "𝄞𝄞",
    "a\u{301}",
    "🙂-🙂",
    "-",
    "a-",
    "{",
    "[",
    "*",
    "&a",
    "!!binary",
    "'",
    "\"",
    "\\",
    "http://",
    "https://example.com/health",
    "https://example.com:99999/",
    "http://[::1",
    "198.51.100.7",
    "i-0123456789abcdef0",
    "gameday:allowed",
];

const EDGE_INTEGERS: &[i64] = &[
    0,
    1,
    -1,
    2,
    59,
    60,
    86_400,
    i32::MAX as i64,
    i64::MIN,
    i64::MAX,
];
const EDGE_FLOATS: &[f64] = &[
    0.5,
    -0.0,
    -0.5,
    1e-300,
    1e300,
    -1e300,
    f64::MAX,
    f64::MIN,
    f64::EPSILON,
    9_007_199_254_740_993.0,
];

/// A value that is likely wrong wherever it lands.
pub fn hostile_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => select(EDGE_INTEGERS).prop_map(Value::from),
        1 => Just(Value::from(u64::MAX)),
        1 => any::<i64>().prop_map(Value::from),
        1 => select(EDGE_FLOATS).prop_map(Value::from),
        // Not-a-number and infinities become null, as JSON has no such numbers.
        1 => any::<f64>().prop_map(Value::from),
        4 => select(TRICKY_STRINGS).prop_map(Value::from),
        2 => "\\PC{0,24}".prop_map(Value::from),
        1 => (1000usize..20_000).prop_map(|n| Value::from("a".repeat(n))),
        // Deeper than the parsers' limits comes from `text::random_text`.
        1 => (1usize..100).prop_map(nested),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            btree_map("[a-zA-Z]{1,8}", inner, 0..4)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

/// Lists in lists, `depth` deep, alternating with single-key mappings.
fn nested(depth: usize) -> Value {
    (0..depth).fold(Value::Null, |inner, level| match level % 2 {
        0 => Value::Array(vec![inner]),
        _ => Value::Object(Map::from_iter([("a".to_string(), inner)])),
    })
}

/// One planned change; where it applies is chosen separately.
#[derive(Debug, Clone)]
enum Plan {
    Remove,
    Replace(Value),
    /// Add this key (to a mapping; ignored elsewhere).
    Insert(String, Value),
    /// A same-type nudge of the value found there; the number picks which.
    Nudge(u64),
}

/// A change made to the document, at a JSON Pointer.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    pub pointer: String,
    /// The value here now has another shape: a value (not null) of another JSON type, a
    /// mapping with keys added, or a key that was not there. When this is the only change and
    /// the loader refuses the document, it must name this place (or a place inside it, or its
    /// mapping with the key's name). Removals and nulls are not: an optional field may go, and
    /// what then fails can be elsewhere (a reference to it).
    pub reshaped: bool,
}

/// A valid value with one to three changes.
#[derive(Debug, Clone)]
pub struct Mutated {
    pub value: Value,
    pub changes: Vec<Applied>,
}

/// Mutations of `seed`.
pub fn mutated(seed: Value) -> impl Strategy<Value = Mutated> {
    let pointers = pointers(&seed);
    let mut keys = Vec::new();
    let mut donors = Vec::new();
    collect(&seed, &mut keys, &mut donors);
    keys.sort();
    keys.dedup();
    let plan = prop_oneof![
        2 => Just(Plan::Remove),
        6 => hostile_value().prop_map(Plan::Replace),
        2 => select(donors).prop_map(Plan::Replace),
        2 => (prop_oneof![select(keys), "[a-zA-Z]{1,12}"], hostile_value())
            .prop_map(|(key, value)| Plan::Insert(key, value)),
        3 => any::<u64>().prop_map(Plan::Nudge),
    ];
    vec((select(pointers), plan), 1..=3).prop_map(move |plans| {
        let mut value = seed.clone();
        let mut changes: Vec<Applied> = Vec::new();
        for (pointer, plan) in plans {
            if let Some(change) = apply(&mut value, &pointer, plan) {
                // A change at or above an earlier one overwrites it, or moves it (list items).
                changes.retain(|earlier| !inside(&earlier.pointer, &change.pointer));
                changes.push(change);
            }
        }
        // Judged against the seed, not the step before: a key removed and then put back with
        // a value of its old type has not changed shape.
        for change in &mut changes {
            if let (Some(before), Some(now)) = (
                seed.pointer(&change.pointer),
                value.pointer(&change.pointer),
            ) {
                change.reshaped &= reshapes(before, now);
            }
        }
        Mutated { value, changes }
    })
}

/// Every node's pointer, the root included.
fn pointers(value: &Value) -> Vec<String> {
    fn walk(value: &Value, at: String, out: &mut Vec<String>) {
        match value {
            Value::Object(entries) => {
                for (key, child) in entries {
                    walk(child, format!("{at}/{}", escape(key)), out);
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    walk(child, format!("{at}/{i}"), out);
                }
            }
            _ => {}
        }
        out.push(at);
    }
    let mut out = Vec::new();
    walk(value, String::new(), &mut out);
    out
}

/// Every mapping key, and every value below the root (to move elsewhere).
fn collect(value: &Value, keys: &mut Vec<String>, donors: &mut Vec<Value>) {
    let children: Vec<&Value> = match value {
        Value::Object(entries) => {
            keys.extend(entries.keys().cloned());
            entries.values().collect()
        }
        Value::Array(items) => items.iter().collect(),
        _ => Vec::new(),
    };
    for child in children {
        donors.push(child.clone());
        collect(child, keys, donors);
    }
}

/// `pointer` is `outer` or below it.
fn inside(pointer: &str, outer: &str) -> bool {
    pointer
        .strip_prefix(outer)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Whether `new` has another shape than `old`: another JSON type (not null), or a mapping with
/// every key of the old one and more. (A mapping that lacks a key may be accepted: an optional
/// field went, or an entry of a map of names that something elsewhere refers to.)
fn reshapes(old: &Value, new: &Value) -> bool {
    match (old, new) {
        (_, Value::Null) => false,
        (Value::Object(a), Value::Object(b)) => {
            b.len() > a.len() && a.keys().all(|key| b.contains_key(key))
        }
        _ => type_of(old) != type_of(new),
    }
}

fn type_of(value: &Value) -> u8 {
    match value {
        Value::Null => 0,
        Value::Bool(_) => 1,
        Value::Number(_) => 2,
        Value::String(_) => 3,
        Value::Array(_) => 4,
        Value::Object(_) => 5,
    }
}

/// Applies `plan` at `pointer`, if that place still exists after the earlier changes.
fn apply(document: &mut Value, pointer: &str, plan: Plan) -> Option<Applied> {
    let applied = |pointer: &str, reshaped| {
        Some(Applied {
            pointer: pointer.to_string(),
            reshaped,
        })
    };
    match plan {
        Plan::Remove => {
            let (parent, last) = pointer.rsplit_once('/')?;
            let key = last.replace("~1", "/").replace("~0", "~");
            match document.pointer_mut(parent)? {
                Value::Object(entries) => {
                    entries.remove(&key)?;
                    applied(pointer, false)
                }
                Value::Array(items) => {
                    let index: usize = key.parse().ok()?;
                    (index < items.len()).then(|| items.remove(index))?;
                    // The items after it move up: a list that is still well-formed.
                    applied(parent, false)
                }
                _ => None,
            }
        }
        Plan::Replace(value) => {
            let target = document.pointer_mut(pointer)?;
            let reshaped = reshapes(target, &value);
            *target = value;
            applied(pointer, reshaped)
        }
        Plan::Insert(key, value) => {
            let Value::Object(entries) = document.pointer_mut(pointer)? else {
                return None;
            };
            let reshaped = entries
                .get(&key)
                .map_or(!value.is_null(), |old| reshapes(old, &value));
            entries.insert(key.clone(), value);
            applied(&format!("{pointer}/{}", escape(&key)), reshaped)
        }
        Plan::Nudge(pick) => {
            let target = document.pointer_mut(pointer)?;
            *target = nudge(target, pick)?;
            applied(pointer, false)
        }
    }
}

/// A value of the same type near `value`: a number scaled, negated or off by one; a string cut,
/// doubled, upper-cased or given a suffix; a boolean flipped; a list emptied or doubled.
fn nudge(value: &Value, pick: u64) -> Option<Value> {
    Some(match value {
        Value::Bool(b) => Value::Bool(!b),
        Value::Number(n) => {
            let x = n.as_f64()?;
            let nudged = match pick % 6 {
                0 => -x,
                1 => x + 1.0,
                2 => x - 1.0,
                3 => x * 1e12,
                4 => x / 1e6,
                _ => 0.0,
            };
            match (n.is_f64(), nudged.fract() == 0.0 && nudged.abs() < 9e15) {
                (false, true) => Value::from(nudged as i64),
                _ => Value::from(nudged),
            }
        }
        Value::String(s) => {
            let cut = s.chars().count() * ((pick >> 8) % 100) as usize / 100;
            Value::from(match pick % 6 {
                0 => s.chars().take(cut).collect::<String>(),
                1 => s.repeat(2),
                2 => s.to_uppercase(),
                3 => format!("{s}x"),
                4 => format!("{s}0"),
                _ => format!(" {s} "),
            })
        }
        Value::Array(_) if pick.is_multiple_of(2) => Value::Array(Vec::new()),
        Value::Array(items) => Value::Array(items.iter().chain(items).cloned().collect()),
        Value::Object(_) | Value::Null => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn insertion_reshapes_the_named_place_and_removal_does_not() {
        let mut document = json!({"a": {"b": 1}, "list": [1, 2]});
        assert_eq!(
            apply(&mut document, "/a/b", Plan::Remove),
            Some(Applied {
                pointer: "/a/b".into(),
                reshaped: false
            })
        );
        assert_eq!(
            apply(&mut document, "/list/0", Plan::Remove),
            Some(Applied {
                pointer: "/list".into(),
                reshaped: false
            })
        );
        assert_eq!(
            apply(&mut document, "/a", Plan::Insert("c/d".into(), json!(1))),
            Some(Applied {
                pointer: "/a/c~1d".into(),
                reshaped: true
            })
        );
        assert_eq!(document, json!({"a": {"c/d": 1}, "list": [2]}));
        assert_eq!(apply(&mut document, "/a/b", Plan::Replace(json!(1))), None);
    }

    #[test]
    fn replacing_with_the_same_type_keeps_the_shape() {
        let mut document = json!({"n": 3});
        let same = apply(&mut document, "/n", Plan::Replace(json!(4.5))).unwrap();
        assert!(!same.reshaped);
        let other = apply(&mut document, "/n", Plan::Replace(json!("4"))).unwrap();
        assert!(other.reshaped);
        assert!(!reshapes(&json!("4"), &json!(null)));
        assert!(reshapes(&json!({"a": 1}), &json!({"a": 1, "b": 2})));
        assert!(!reshapes(&json!({"a": 1}), &json!({"b": 2})));
        assert_eq!(pointers(&json!({"a": [1]})), vec!["/a/0", "/a", ""]);
    }
}
