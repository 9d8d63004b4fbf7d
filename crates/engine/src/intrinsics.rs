//! Intrinsic functions (`States.Format(...)` and friends) in `.$` fields: parsed at load,
//! evaluated against the state's input and the context object.

use serde_json::Value;

use crate::failure::{INTRINSIC_FAILURE, TaskFailure};
use crate::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Function {
    Format,
    StringToJson,
    JsonToString,
    Array,
    ArrayLength,
    ArrayContains,
    MathAdd,
    Uuid,
}

const FUNCTIONS: &[(&str, Function)] = &[
    ("States.Format", Function::Format),
    ("States.StringToJson", Function::StringToJson),
    ("States.JsonToString", Function::JsonToString),
    ("States.Array", Function::Array),
    ("States.ArrayLength", Function::ArrayLength),
    ("States.ArrayContains", Function::ArrayContains),
    ("States.MathAdd", Function::MathAdd),
    ("States.UUID", Function::Uuid),
];

impl Function {
    fn name(self) -> &'static str {
        FUNCTIONS
            .iter()
            .find(|(_, f)| *f == self)
            .map_or("States.?", |(name, _)| name)
    }

    /// The fewest and most arguments the function takes.
    fn arity(self) -> (usize, usize) {
        match self {
            Function::Format => (1, usize::MAX),
            Function::Array => (0, usize::MAX),
            Function::StringToJson | Function::JsonToString | Function::ArrayLength => (1, 1),
            Function::ArrayContains | Function::MathAdd => (2, 2),
            Function::Uuid => (0, 0),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Call {
    function: Function,
    args: Vec<Arg>,
}

#[derive(Debug, Clone, PartialEq)]
enum Arg {
    Literal(Value),
    Path(Path),
    Call(Call),
    /// The first argument of `States.Format` when written as a literal: `{}` are slots, and
    /// `\{`, `\}` stay literal braces.
    Template(Vec<Piece>),
}

#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Text(String),
    Slot,
}

/// Nesting deeper than this is refused, as Step Functions does.
const MAX_DEPTH: usize = 10;

impl Call {
    pub(crate) fn parse(text: &str) -> Result<Call, String> {
        let mut parser = Parser { text, pos: 0 };
        let call = parser.call(1)?;
        parser.skip_spaces();
        if parser.pos < text.len() {
            return Err(format!(
                "unexpected '{}' after the closing ')'",
                &text[parser.pos..]
            ));
        }
        Ok(call)
    }

    pub(crate) fn evaluate(&self, input: &Value, context: &Value) -> Result<Value, TaskFailure> {
        let fail = |why: String| {
            TaskFailure::new(
                INTRINSIC_FAILURE,
                format!("{}: {why}", self.function.name()),
            )
        };
        if let (Function::Format, Some(Arg::Template(pieces))) = (self.function, self.args.first())
        {
            let values = self.values(&self.args[1..], input, context)?;
            return format(pieces, &values).map(Value::String).map_err(fail);
        }
        let values = self.values(&self.args, input, context)?;
        match (self.function, values.as_slice()) {
            (Function::Format, [Value::String(template), rest @ ..]) => {
                format(&split_slots(template), rest)
                    .map(Value::String)
                    .map_err(fail)
            }
            (Function::StringToJson, [Value::String(text)]) => {
                serde_json::from_str(text).map_err(|e| fail(format!("'{text}' is not JSON: {e}")))
            }
            (Function::JsonToString, [value]) => Ok(Value::String(value.to_string())),
            (Function::Array, values) => Ok(Value::Array(values.to_vec())),
            (Function::ArrayLength, [Value::Array(items)]) => Ok(Value::from(items.len())),
            (Function::ArrayContains, [Value::Array(items), wanted]) => {
                Ok(Value::Bool(items.contains(wanted)))
            }
            (Function::MathAdd, [a, b]) => Ok(Value::from(
                integer(a).map_err(&fail)? + integer(b).map_err(&fail)?,
            )),
            (Function::Uuid, []) => Ok(Value::String(uuid::Uuid::new_v4().to_string())),
            (_, values) => Err(fail(format!(
                "wrong argument types: {}",
                Value::Array(values.to_vec())
            ))),
        }
    }

    fn values(
        &self,
        args: &[Arg],
        input: &Value,
        context: &Value,
    ) -> Result<Vec<Value>, TaskFailure> {
        args.iter()
            .map(|arg| match arg {
                Arg::Literal(value) => Ok(value.clone()),
                Arg::Path(path) => path.get(input, context).cloned().ok_or_else(|| {
                    TaskFailure::new(
                        INTRINSIC_FAILURE,
                        format!(
                            "{}: the path '{}' found nothing in the input",
                            self.function.name(),
                            path.text()
                        ),
                    )
                }),
                Arg::Call(call) => call.evaluate(input, context),
                Arg::Template(pieces) => Ok(Value::String(
                    pieces
                        .iter()
                        .map(|p| match p {
                            Piece::Text(text) => text.as_str(),
                            Piece::Slot => "{}",
                        })
                        .collect(),
                )),
            })
            .collect()
    }
}

/// `States.MathAdd` operands: numbers rounded to the nearest integer (halves up, as Java's
/// `Math.round`), within the 32-bit range Step Functions accepts.
fn integer(value: &Value) -> Result<i64, String> {
    let number = value
        .as_f64()
        .ok_or_else(|| format!("{value} is not a number"))?;
    let rounded = (number + 0.5).floor();
    if !(f64::from(i32::MIN)..=f64::from(i32::MAX)).contains(&rounded) {
        return Err(format!("{value} is outside -2147483648..2147483647"));
    }
    Ok(rounded as i64)
}

fn split_slots(template: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    for (i, text) in template.split("{}").enumerate() {
        if i > 0 {
            pieces.push(Piece::Slot);
        }
        pieces.push(Piece::Text(text.to_string()));
    }
    pieces
}

fn slots(pieces: &[Piece]) -> usize {
    pieces.iter().filter(|p| **p == Piece::Slot).count()
}

fn format(pieces: &[Piece], values: &[Value]) -> Result<String, String> {
    if slots(pieces) != values.len() {
        return Err(format!(
            "the template has {} {{}} but {} values were given",
            slots(pieces),
            values.len()
        ));
    }
    let mut values = values.iter();
    let mut out = String::new();
    for piece in pieces {
        match piece {
            Piece::Text(text) => out.push_str(text),
            Piece::Slot => {
                if let Some(value) = values.next() {
                    render(value, &mut out);
                }
            }
        }
    }
    Ok(out)
}

/// How `States.Format` prints a value: strings as they are, arrays as `[a, b]` and objects as
/// `{key=value}` (the Java rendering Step Functions uses), other values as JSON.
fn render(value: &Value, out: &mut String) {
    match value {
        Value::String(text) => out.push_str(text),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                render(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(key);
                out.push('=');
                render(item, out);
            }
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

struct Parser<'t> {
    text: &'t str,
    pos: usize,
}

impl<'t> Parser<'t> {
    fn rest(&self) -> &'t str {
        &self.text[self.pos..]
    }

    fn skip_spaces(&mut self) {
        let rest = self.rest();
        self.pos += rest.len() - rest.trim_start().len();
    }

    fn eat(&mut self, c: char) -> bool {
        let found = self.rest().starts_with(c);
        if found {
            self.pos += c.len_utf8();
        }
        found
    }

    fn call(&mut self, depth: usize) -> Result<Call, String> {
        if depth > MAX_DEPTH {
            return Err(format!("intrinsic functions nest at most {MAX_DEPTH} deep"));
        }
        let rest = self.rest();
        let open = rest
            .find('(')
            .ok_or_else(|| format!("'{rest}' is not a function call (no '(')"))?;
        let name = rest[..open].trim();
        let function = FUNCTIONS
            .iter()
            .find(|(known, _)| *known == name)
            .map(|(_, f)| *f)
            .ok_or_else(|| {
                let known: Vec<&str> = FUNCTIONS.iter().map(|(n, _)| *n).collect();
                format!(
                    "intrinsic function '{name}' is not supported by the local engine (supported: {})",
                    known.join(", ")
                )
            })?;
        self.pos += open + 1;
        // Each argument with the raw text of a quoted string, for a Format template.
        let mut parsed: Vec<(Arg, Option<String>)> = Vec::new();
        self.skip_spaces();
        if !self.eat(')') {
            loop {
                self.skip_spaces();
                parsed.push(self.arg(depth)?);
                self.skip_spaces();
                if self.eat(')') {
                    break;
                }
                if !self.eat(',') {
                    return Err(format!(
                        "expected ',' or ')' in {name}(...) at '{}'",
                        self.rest()
                    ));
                }
            }
        }
        let (fewest, most) = function.arity();
        if parsed.len() < fewest || parsed.len() > most {
            let expected = if fewest == most {
                format!("{fewest}")
            } else {
                format!("at least {fewest}")
            };
            return Err(format!(
                "{name} takes {expected} argument(s), not {}",
                parsed.len()
            ));
        }
        if function == Function::Format {
            let values = parsed.len() - 1;
            match parsed.first_mut() {
                Some((arg, Some(raw))) => {
                    let pieces = template_pieces(raw);
                    if slots(&pieces) != values {
                        return Err(format!(
                            "States.Format template has {} {{}} but {values} values follow it",
                            slots(&pieces)
                        ));
                    }
                    *arg = Arg::Template(pieces);
                }
                Some((Arg::Path(_) | Arg::Call(_), None)) => {}
                _ => return Err("States.Format needs a string template first".to_string()),
            }
        }
        let args = parsed.into_iter().map(|(arg, _)| arg).collect();
        Ok(Call { function, args })
    }

    /// One argument, and for a quoted string its raw text.
    fn arg(&mut self, depth: usize) -> Result<(Arg, Option<String>), String> {
        let rest = self.rest();
        if rest.starts_with('\'') {
            let (raw, value, used) = quoted(rest)?;
            self.pos += used;
            return Ok((Arg::Literal(Value::String(value)), Some(raw)));
        }
        if rest.starts_with("States.") {
            return Ok((Arg::Call(self.call(depth + 1)?), None));
        }
        let end = argument_end(rest);
        let token = rest[..end].trim();
        self.pos += end;
        if token.starts_with('$') {
            return Ok((Arg::Path(Path::parse(token)?), None));
        }
        let literal = match token {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            "null" => Value::Null,
            _ => match serde_json::from_str::<Value>(token) {
                Ok(number @ Value::Number(_)) => number,
                _ => {
                    return Err(format!(
                        "argument '{token}' is not a quoted string, number, boolean, null, path or intrinsic function"
                    ));
                }
            },
        };
        Ok((Arg::Literal(literal), None))
    }
}

/// Where an unquoted argument ends: at a ',' or ')' outside brackets and quotes.
fn argument_end(rest: &str) -> usize {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    for (i, c) in rest.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '[') => depth += 1,
            (None, ']') => depth = depth.saturating_sub(1),
            (None, ',' | ')') if depth == 0 => return i,
            _ => {}
        }
    }
    rest.len()
}

/// A single-quoted string at the start of `text`: its raw inside, its value with `\x` read as
/// `x`, and how many bytes it used.
fn quoted(text: &str) -> Result<(String, String, usize), String> {
    let mut raw = String::new();
    let mut value = String::new();
    let mut chars = text.char_indices().skip(1);
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                let (_, escaped) = chars
                    .next()
                    .ok_or_else(|| format!("{text}: a '\\' ends the string"))?;
                raw.push('\\');
                raw.push(escaped);
                value.push(escaped);
            }
            '\'' => return Ok((raw, value, i + 1)),
            c => {
                raw.push(c);
                value.push(c);
            }
        }
    }
    Err(format!("unterminated string in {text}"))
}

fn template_pieces(raw: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => text.extend(chars.next()),
            '{' if chars.peek() == Some(&'}') => {
                chars.next();
                pieces.push(Piece::Text(std::mem::take(&mut text)));
                pieces.push(Piece::Slot);
            }
            c => text.push(c),
        }
    }
    pieces.push(Piece::Text(text));
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn eval(text: &str, input: Value) -> Result<Value, TaskFailure> {
        Call::parse(text)
            .unwrap_or_else(|e| panic!("{text}: {e}"))
            .evaluate(&input, &json!({"Execution": {"Name": "run-7"}}))
    }

    #[test]
    fn format_fills_slots_and_keeps_escaped_braces() {
        assert_eq!(
            eval(
                r"States.Format('Hi {}, \{literal\} it\'s {}', $.name, $$.Execution.Name)",
                json!({"name": "Ana"})
            ),
            Ok(json!("Hi Ana, {literal} it's run-7"))
        );
        assert_eq!(
            eval(
                "States.Format('{} {} {}', $.list, $.obj, 1.5)",
                json!({"list": [1, "a"], "obj": {"k": true}})
            ),
            Ok(json!("[1, a] {k=true} 1.5"))
        );
        assert_eq!(
            eval("States.Format($.t, 'x')", json!({"t": "<{}>"})),
            Ok(json!("<x>"))
        );
        assert_eq!(
            eval("States.Format($.t, 'x')", json!({"t": "none"}))
                .unwrap_err()
                .error,
            INTRINSIC_FAILURE
        );
    }

    #[test]
    fn json_array_math_and_uuid() {
        let input = json!({"text": "{\"a\":[1,2]}", "n": 41, "list": [1, 2, 3]});
        assert_eq!(
            eval("States.StringToJson($.text)", input.clone()),
            Ok(json!({"a": [1, 2]}))
        );
        assert_eq!(
            eval("States.JsonToString($.list)", input.clone()),
            Ok(json!("[1,2,3]"))
        );
        assert_eq!(
            eval("States.Array($.n, 'two', true, null)", input.clone()),
            Ok(json!([41, "two", true, null]))
        );
        assert_eq!(
            eval("States.ArrayLength($.list)", input.clone()),
            Ok(json!(3))
        );
        assert_eq!(
            eval("States.ArrayContains($.list, 2)", input.clone()),
            Ok(json!(true))
        );
        assert_eq!(eval("States.MathAdd($.n, 1)", input.clone()), Ok(json!(42)));
        assert_eq!(
            eval("States.MathAdd(1.5, -2.5)", input.clone()),
            Ok(json!(0))
        );
        assert_eq!(
            eval(
                "States.ArrayLength(States.Array(States.MathAdd($.n, -1), 'b'))",
                input.clone()
            ),
            Ok(json!(2))
        );
        let uuid = eval("States.UUID()", input.clone()).unwrap();
        assert_eq!(uuid.as_str().map(str::len), Some(36));
        assert_eq!(
            eval("States.MathAdd($.text, 1)", input.clone())
                .unwrap_err()
                .error,
            INTRINSIC_FAILURE
        );
        assert_eq!(
            eval("States.StringToJson('{')", input.clone())
                .unwrap_err()
                .error,
            INTRINSIC_FAILURE
        );
        assert_eq!(
            eval("States.ArrayLength($.missing)", input)
                .unwrap_err()
                .error,
            INTRINSIC_FAILURE
        );
    }

    #[test]
    fn parse_errors_are_clear() {
        for (text, expected) in [
            ("States.Hash($.a, 'SHA-1')", "not supported"),
            ("States.MathAdd(1)", "takes 2"),
            ("States.UUID(1)", "takes 0"),
            ("States.Format('{} {}', 1)", "2 {} but 1"),
            ("States.Format(1)", "string template"),
            ("States.Array('a' 'b')", "expected ','"),
            ("States.Array('a')x", "after the closing"),
            ("States.Array(foo)", "not a quoted string"),
            ("States.Array('a)", "unterminated"),
            ("States.Array($.a[*])", "wildcards"),
        ] {
            let error = Call::parse(text).unwrap_err();
            assert!(error.contains(expected), "{text}: {error}");
        }
    }
}
