//! Choice rules: parsed at load, evaluated against the Choice state's effective input.

use std::cmp::Ordering;

use chrono::{DateTime, FixedOffset};
use serde_json::{Map, Value};

use crate::definition::Loader;
use crate::path::Path;

/// A top-level rule and the state it leads to.
#[derive(Debug, Clone)]
pub(crate) struct Branch {
    pub(crate) rule: Rule,
    pub(crate) next: String,
}

#[derive(Debug, Clone)]
pub(crate) enum Rule {
    And(Vec<Rule>),
    Or(Vec<Rule>),
    Not(Box<Rule>),
    Test { variable: Path, test: Test },
}

#[derive(Debug, Clone)]
pub(crate) enum Test {
    Compare {
        kind: Kind,
        op: Op,
        operand: Operand,
    },
    Is {
        check: Check,
        expected: bool,
    },
    Matches(Vec<Glob>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    String,
    Numeric,
    Boolean,
    Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Equals,
    LessThan,
    GreaterThan,
    LessThanEquals,
    GreaterThanEquals,
}

#[derive(Debug, Clone)]
pub(crate) enum Operand {
    Literal(Value),
    Path(Path),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Check {
    Present,
    Null,
    Numeric,
    String,
    Boolean,
    Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Glob {
    Char(char),
    Star,
}

const KINDS: &[(&str, Kind)] = &[
    ("String", Kind::String),
    ("Numeric", Kind::Numeric),
    ("Boolean", Kind::Boolean),
    ("Timestamp", Kind::Timestamp),
];
const OPS: &[(&str, Op)] = &[
    ("Equals", Op::Equals),
    ("LessThanEquals", Op::LessThanEquals),
    ("LessThan", Op::LessThan),
    ("GreaterThanEquals", Op::GreaterThanEquals),
    ("GreaterThan", Op::GreaterThan),
];
const CHECKS: &[(&str, Check)] = &[
    ("IsPresent", Check::Present),
    ("IsNull", Check::Null),
    ("IsNumeric", Check::Numeric),
    ("IsString", Check::String),
    ("IsBoolean", Check::Boolean),
    ("IsTimestamp", Check::Timestamp),
];

/// Reads `StringEquals`, `NumericLessThanEqualsPath`, ... into its parts.
fn comparison(operator: &str) -> Option<(Kind, Op, bool)> {
    let (base, by_path) = match operator.strip_suffix("Path") {
        Some(base) => (base, true),
        None => (operator, false),
    };
    let (kind, rest) = KINDS
        .iter()
        .find_map(|(name, kind)| base.strip_prefix(name).map(|rest| (*kind, rest)))?;
    let op = OPS
        .iter()
        .find(|(name, _)| *name == rest)
        .map(|(_, op)| *op)?;
    (kind != Kind::Boolean || op == Op::Equals).then_some((kind, op, by_path))
}

/// An RFC 3339 timestamp as Step Functions accepts it: uppercase `T` and `Z`, a numeric offset
/// allowed.
pub(crate) fn timestamp(text: &str) -> Option<DateTime<FixedOffset>> {
    if text.get(10..11) != Some("T") || text.contains(['t', 'z']) {
        return None;
    }
    DateTime::parse_from_rfc3339(text).ok()
}

pub(crate) fn parse_branch(loader: &mut Loader, at: &str, value: &Value) -> Option<Branch> {
    let map = loader.object(at, value)?;
    let next = loader.required_string(at, map, "Next");
    let rule = parse_rule(loader, at, map)?;
    Some(Branch {
        rule,
        next: next?.to_string(),
    })
}

fn parse_nested(loader: &mut Loader, at: &str, value: &Value) -> Option<Rule> {
    let map = loader.object(at, value)?;
    if map.contains_key("Next") {
        loader.problem(
            &format!("{at}.Next"),
            "only top-level choice rules have Next",
        );
    }
    parse_rule(loader, at, map)
}

fn parse_rule(loader: &mut Loader, at: &str, map: &Map<String, Value>) -> Option<Rule> {
    let operators: Vec<(&String, &Value)> = map
        .iter()
        .filter(|(key, _)| !matches!(key.as_str(), "Next" | "Comment" | "Variable"))
        .collect();
    let [(operator, operand)] = operators.as_slice() else {
        let names: Vec<&str> = operators.iter().map(|(k, _)| k.as_str()).collect();
        loader.problem(
            at,
            if names.is_empty() {
                "a choice rule needs one comparison operator (or And, Or, Not)".to_string()
            } else {
                format!(
                    "a choice rule takes one comparison operator, found {}",
                    names.join(", ")
                )
            },
        );
        return None;
    };
    let op_at = format!("{at}.{operator}");
    let combined = |loader: &mut Loader| -> Option<Vec<Rule>> {
        let Value::Array(items) = operand else {
            loader.problem(&op_at, "must be an array of choice rules");
            return None;
        };
        if items.is_empty() {
            loader.problem(&op_at, "must list at least one choice rule");
        }
        let rules: Vec<Option<Rule>> = items
            .iter()
            .enumerate()
            .map(|(i, item)| parse_nested(loader, &format!("{op_at}[{i}]"), item))
            .collect();
        rules.into_iter().collect()
    };
    let logical = matches!(operator.as_str(), "And" | "Or" | "Not");
    if logical && map.contains_key("Variable") {
        loader.problem(
            &format!("{at}.Variable"),
            format!("{operator} rules take no Variable"),
        );
    }
    match operator.as_str() {
        "And" => return combined(loader).map(Rule::And),
        "Or" => return combined(loader).map(Rule::Or),
        "Not" => return parse_nested(loader, &op_at, operand).map(|r| Rule::Not(Box::new(r))),
        _ => {}
    }
    let variable = match map.get("Variable") {
        Some(Value::String(text)) => Path::parse(text)
            .map_err(|problem| loader.problem(&format!("{at}.Variable"), problem))
            .ok(),
        Some(_) => {
            loader.problem(&format!("{at}.Variable"), "must be a path string");
            None
        }
        None => {
            loader.problem(at, format!("{operator} needs a Variable"));
            None
        }
    };
    let test = parse_test(loader, &op_at, operator, operand)?;
    Some(Rule::Test {
        variable: variable?,
        test,
    })
}

fn parse_test(loader: &mut Loader, at: &str, operator: &str, operand: &Value) -> Option<Test> {
    if let Some((_, check)) = CHECKS.iter().find(|(name, _)| *name == operator) {
        let Value::Bool(expected) = operand else {
            loader.problem(at, "must be true or false");
            return None;
        };
        return Some(Test::Is {
            check: *check,
            expected: *expected,
        });
    }
    if operator == "StringMatches" {
        let Value::String(pattern) = operand else {
            loader.problem(at, "must be a string pattern");
            return None;
        };
        return Some(Test::Matches(glob(pattern)));
    }
    let Some((kind, op, by_path)) = comparison(operator) else {
        loader.problem(
            at,
            "unknown comparison operator (String*, Numeric*, Boolean*, Timestamp* with Equals, LessThan, \
             GreaterThan, LessThanEquals, GreaterThanEquals, their *Path forms, Is*, StringMatches, And, Or, Not)",
        );
        return None;
    };
    let operand = if by_path {
        match operand {
            Value::String(text) => Path::parse(text)
                .map(Operand::Path)
                .map_err(|problem| loader.problem(at, problem))
                .ok()?,
            _ => {
                loader.problem(at, "must be a path string");
                return None;
            }
        }
    } else {
        let fits = match kind {
            Kind::String => operand.is_string(),
            Kind::Numeric => operand.is_number(),
            Kind::Boolean => operand.is_boolean(),
            Kind::Timestamp => operand.as_str().and_then(timestamp).is_some(),
        };
        if !fits {
            let wanted = match kind {
                Kind::String => "a string",
                Kind::Numeric => "a number",
                Kind::Boolean => "true or false",
                Kind::Timestamp => "an RFC 3339 timestamp such as 2024-03-14T01:59:00Z",
            };
            loader.problem(at, format!("must be {wanted}, not {operand}"));
            return None;
        }
        Operand::Literal(operand.clone())
    };
    Some(Test::Compare { kind, op, operand })
}

/// `*` matches any run of characters; `\` makes the next character literal (`\*`, `\\`).
fn glob(pattern: &str) -> Vec<Glob> {
    let mut out = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next().map(Glob::Char)),
            '*' => out.push(Glob::Star),
            c => out.push(Glob::Char(c)),
        }
    }
    out
}

fn glob_matches(pattern: &[Glob], text: &[char]) -> bool {
    // Classic wildcard matching with one backtrack point per star.
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(Glob::Char(c)) if *c == text[t] => {
                p += 1;
                t += 1;
            }
            Some(Glob::Star) => {
                star = Some((p, t));
                p += 1;
            }
            _ => match star {
                Some((star_p, star_t)) => {
                    p = star_p + 1;
                    t = star_t + 1;
                    star = Some((star_p, star_t + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|g| *g == Glob::Star)
}

impl Rule {
    /// Whether the rule holds; `Err` is the cause of a States.Runtime error (a path that
    /// finds nothing).
    pub(crate) fn holds(&self, input: &Value, context: &Value) -> Result<bool, String> {
        match self {
            Rule::And(rules) => {
                for rule in rules {
                    if !rule.holds(input, context)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Rule::Or(rules) => {
                for rule in rules {
                    if rule.holds(input, context)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Rule::Not(rule) => Ok(!rule.holds(input, context)?),
            Rule::Test { variable, test } => {
                let value = variable.get(input, context);
                if let Test::Is {
                    check: Check::Present,
                    expected,
                } = test
                {
                    return Ok(value.is_some() == *expected);
                }
                let value = value.ok_or_else(|| {
                    format!(
                        "Invalid path '{}': the choice state's condition path references an invalid value",
                        variable.text()
                    )
                })?;
                test.holds(value, input, context)
            }
        }
    }
}

impl Test {
    fn holds(&self, value: &Value, input: &Value, context: &Value) -> Result<bool, String> {
        Ok(match self {
            Test::Is { check, expected } => {
                let is = match check {
                    Check::Present => true,
                    Check::Null => value.is_null(),
                    Check::Numeric => value.is_number(),
                    Check::String => value.is_string(),
                    Check::Boolean => value.is_boolean(),
                    Check::Timestamp => value.as_str().and_then(timestamp).is_some(),
                };
                is == *expected
            }
            Test::Matches(pattern) => value
                .as_str()
                .is_some_and(|text| glob_matches(pattern, &text.chars().collect::<Vec<_>>())),
            Test::Compare { kind, op, operand } => {
                let other = match operand {
                    Operand::Literal(literal) => literal,
                    Operand::Path(path) => path.get(input, context).ok_or_else(|| {
                        format!(
                            "Invalid path '{}': the choice state's comparison path references an invalid value",
                            path.text()
                        )
                    })?,
                };
                compare(*kind, value, other).is_some_and(|ordering| op.accepts(ordering))
            }
        })
    }
}

/// How `value` compares with `other` as `kind`; `None` when either is not of that kind.
fn compare(kind: Kind, value: &Value, other: &Value) -> Option<Ordering> {
    match kind {
        Kind::String => Some(value.as_str()?.cmp(other.as_str()?)),
        Kind::Numeric => value.as_f64()?.partial_cmp(&other.as_f64()?),
        Kind::Boolean => Some(value.as_bool()?.cmp(&other.as_bool()?)),
        Kind::Timestamp => Some(timestamp(value.as_str()?)?.cmp(&timestamp(other.as_str()?)?)),
    }
}

impl Op {
    fn accepts(self, ordering: Ordering) -> bool {
        match self {
            Op::Equals => ordering == Ordering::Equal,
            Op::LessThan => ordering == Ordering::Less,
            Op::GreaterThan => ordering == Ordering::Greater,
            Op::LessThanEquals => ordering != Ordering::Greater,
            Op::GreaterThanEquals => ordering != Ordering::Less,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rule(value: Value) -> Rule {
        let mut loader = Loader::default();
        let rule = parse_nested(&mut loader, "Choices[0]", &value);
        assert_eq!(loader.problems(), &[] as &[String]);
        rule.unwrap()
    }

    fn holds(value: Value, input: Value) -> Result<bool, String> {
        rule(value).holds(&input, &json!({"State": {"Name": "Decide"}}))
    }

    #[test]
    fn operator_names_are_read_into_parts() {
        assert_eq!(
            comparison("StringEquals"),
            Some((Kind::String, Op::Equals, false))
        );
        assert_eq!(
            comparison("NumericLessThanEqualsPath"),
            Some((Kind::Numeric, Op::LessThanEquals, true))
        );
        assert_eq!(
            comparison("TimestampGreaterThan"),
            Some((Kind::Timestamp, Op::GreaterThan, false))
        );
        assert_eq!(comparison("BooleanLessThan"), None);
        assert_eq!(comparison("StringIs"), None);
    }

    #[test]
    fn comparisons_and_type_mismatches() {
        let input =
            json!({"n": 5, "s": "b", "t": "2024-01-01T00:00:00Z", "limit": 5, "flag": true});
        assert_eq!(
            holds(
                json!({"Variable": "$.n", "NumericEquals": 5.0}),
                input.clone()
            ),
            Ok(true)
        );
        assert_eq!(
            holds(
                json!({"Variable": "$.n", "NumericLessThanPath": "$.limit"}),
                input.clone()
            ),
            Ok(false)
        );
        assert_eq!(
            holds(
                json!({"Variable": "$.n", "NumericGreaterThanEqualsPath": "$.limit"}),
                input.clone()
            ),
            Ok(true)
        );
        assert_eq!(
            holds(
                json!({"Variable": "$.s", "StringGreaterThan": "a"}),
                input.clone()
            ),
            Ok(true)
        );
        assert_eq!(
            holds(
                json!({"Variable": "$.s", "NumericEquals": 1}),
                input.clone()
            ),
            Ok(false)
        );
        assert_eq!(
            holds(
                json!({"Variable": "$.flag", "BooleanEquals": true}),
                input.clone()
            ),
            Ok(true)
        );
        assert_eq!(
            holds(
                json!({"Variable": "$.t", "TimestampLessThan": "2024-01-01T01:00:00+02:00"}),
                input.clone()
            ),
            Ok(false)
        );
        assert_eq!(
            holds(
                json!({"Variable": "$$.State.Name", "StringEquals": "Decide"}),
                input.clone()
            ),
            Ok(true)
        );
        assert!(
            holds(
                json!({"Variable": "$.missing", "StringEquals": "x"}),
                input.clone()
            )
            .is_err()
        );
        assert!(
            holds(
                json!({"Variable": "$.n", "NumericEqualsPath": "$.missing"}),
                input
            )
            .is_err()
        );
    }

    #[test]
    fn type_checks_and_presence() {
        let input = json!({"nothing": null, "when": "2024-03-14T01:59:00+01:00", "lower": "2024-03-14t01:59:00z"});
        assert_eq!(
            holds(
                json!({"Variable": "$.missing", "IsPresent": false}),
                input.clone()
            ),
            Ok(true)
        );
        assert_eq!(
            holds(
                json!({"Variable": "$.nothing", "IsNull": true}),
                input.clone()
            ),
            Ok(true)
        );
        assert_eq!(
            holds(
                json!({"Variable": "$.when", "IsTimestamp": true}),
                input.clone()
            ),
            Ok(true)
        );
        assert_eq!(
            holds(
                json!({"Variable": "$.lower", "IsTimestamp": true}),
                input.clone()
            ),
            Ok(false)
        );
        assert_eq!(
            holds(
                json!({"Variable": "$.when", "IsString": true}),
                input.clone()
            ),
            Ok(true)
        );
        assert_eq!(
            holds(json!({"Variable": "$.nothing", "IsNumeric": false}), input),
            Ok(true)
        );
    }

    #[test]
    fn string_matches_with_escapes() {
        let matches = |pattern: &str, text: &str| {
            glob_matches(&glob(pattern), &text.chars().collect::<Vec<_>>())
        };
        assert!(matches("log-*.txt", "log-2024.txt"));
        assert!(matches("*", ""));
        assert!(matches("a*b*c", "aXbYbZc"));
        assert!(!matches("a*b", "aXc"));
        assert!(matches(r"price\*", "price*"));
        assert!(!matches(r"price\*", "prices"));
        assert!(matches(r"back\\slash", r"back\slash"));
    }

    #[test]
    fn logic_combines_rules() {
        let input = json!({"a": 1, "b": "x"});
        assert_eq!(
            holds(
                json!({"And": [
                    {"Variable": "$.a", "NumericEquals": 1},
                    {"Not": {"Variable": "$.b", "StringEquals": "y"}},
                    {"Or": [{"Variable": "$.c", "IsPresent": true}, {"Variable": "$.b", "StringMatches": "x*"}]}
                ]}),
                input
            ),
            Ok(true)
        );
    }

    #[test]
    fn load_problems_name_the_field() {
        for (value, expected) in [
            (
                json!({"Variable": "$.a", "NumericEquals": "1"}),
                "Choices[0].NumericEquals: must be a number",
            ),
            (
                json!({"Variable": "$.a", "StringEquals": "x", "IsNull": true}),
                "one comparison operator",
            ),
            (
                json!({"Variable": "$.a", "BooleanLessThan": true}),
                "Choices[0].BooleanLessThan: unknown comparison",
            ),
            (
                json!({"Variable": "$.a", "TimestampEquals": "yesterday"}),
                "RFC 3339",
            ),
            (json!({"And": []}), "Choices[0].And: must list at least one"),
            (
                json!({"Not": {"Variable": "$.a", "IsNull": true, "Next": "X"}}),
                "Choices[0].Not.Next: only top-level",
            ),
            (json!({"StringEquals": "x"}), "needs a Variable"),
        ] {
            let mut loader = Loader::default();
            parse_nested(&mut loader, "Choices[0]", &value);
            let problems = loader.problems().join("\n");
            assert!(problems.contains(expected), "{value}: {problems}");
        }
    }
}
