//! Bounded YAML: every YAML document bilat reads (front matter, the registries, `site.yaml`) is
//! checked here before serde_yaml turns it into types.
//!
//! serde_yaml's own limits do not bound the cost of a document: its repetition limit counts alias
//! uses, not what they expand to (one 1 MB string aliased 100 × 100 times is 10 GB), and its parser
//! (libyaml) spends time quadratic in the depth of flow collections before its recursion limit
//! is reached (100,000 nested `{a:` took minutes). So a linear pre-pass over the event stream
//! (saphyr-parser, a pure-Rust YAML 1.2 parser) measures what each anchor stands for, refuses a
//! document whose aliases would add more than [`MAX_ALIAS_VALUES`] values or more than the
//! document's own size plus [`ALIAS_BYTES_FLOOR`] bytes, refuses nesting deeper than
//! [`MAX_DEPTH`], and refuses control characters written as escapes (`"a\0b"`, `"\e[31m"`),
//! which would otherwise reach the HTML and the terminal. Syntax errors are left to serde_yaml,
//! whose messages the rest of the crate knows how to place.
//!
//! It also turns serde_yaml's errors into diagnostics at the right file line ([`yaml_diagnostic`]),
//! for every caller. Typed deserialisation stays in the callers ([`crate::frontmatter`],
//! [`crate::registry`], [`crate::config`]).

use crate::error::Diagnostic;
use crate::text::did_you_mean;
use saphyr_parser::{Event, Parser};
use serde::de::DeserializeOwned;
use std::path::Path;

/// How deeply sequences and mappings may nest (serde_yaml's own recursion limit).
pub const MAX_DEPTH: usize = 128;
/// How many values aliases may add to a document, over all their uses.
pub const MAX_ALIAS_VALUES: u64 = 100_000;
/// How many bytes of scalars aliases may add beyond the document's own length.
pub const ALIAS_BYTES_FLOOR: u64 = 1 << 20;

/// Why a document was refused, at a 1-based line and column of the YAML text.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub line: usize,
    pub col: usize,
    pub message: String,
    pub help: String,
}

/// What a node stands for once its aliases are expanded.
#[derive(Clone, Copy, Default)]
struct Size {
    bytes: u64,
    values: u64,
}

impl Size {
    fn add(&mut self, other: Size) {
        self.bytes = self.bytes.saturating_add(other.bytes);
        self.values = self.values.saturating_add(other.values);
    }
}

/// A control character that must not come out of a YAML value (tab, newline and carriage return
/// may).
pub fn forbidden_control(s: &str) -> Option<char> {
    s.chars()
        .find(|&c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

/// Checks `text` (one YAML stream) against the limits above. `Ok` also when the text has a syntax
/// error: serde_yaml reports those.
pub fn precheck(text: &str) -> Result<(), Refusal> {
    let byte_budget = ALIAS_BYTES_FLOOR.saturating_add(text.len() as u64);
    // One frame per open collection: its anchor (0: none) and what it holds so far.
    let mut stack: Vec<(usize, Size)> = Vec::new();
    let mut anchors: Vec<Size> = Vec::new();
    let mut added = Size::default();
    let at = |line: usize, col: usize, message: String, help: &str| Refusal {
        line,
        col: col + 1,
        message,
        help: help.to_string(),
    };
    for item in Parser::new_from_str(text) {
        let (event, span) = match item {
            Ok(x) => x,
            Err(e) if e.info().contains("recursion limit") => {
                return Err(at(
                    e.marker().line(),
                    e.marker().col(),
                    format!("values are nested more than {MAX_DEPTH} levels deep (recursion limit exceeded)"),
                    "flatten the nesting; no page needs it",
                ));
            }
            // A syntax error: serde_yaml reports it with the wording the callers place.
            Err(_) => return Ok(()),
        };
        let (line, col) = (span.start.line(), span.start.col());
        let mut record = |anchor: usize, size: Size, stack: &mut Vec<(usize, Size)>| {
            if anchor > 0 {
                if anchors.len() <= anchor {
                    anchors.resize(anchor + 1, Size::default());
                }
                anchors[anchor] = size;
            }
            if let Some((_, parent)) = stack.last_mut() {
                parent.add(size);
            }
        };
        match event {
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(at(
                        line,
                        col,
                        format!("values are nested more than {MAX_DEPTH} levels deep (recursion limit exceeded)"),
                        "flatten the nesting; no page needs it",
                    ));
                }
                stack.push((anchor, Size::default()));
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some((anchor, mut size)) = stack.pop() {
                    size.values = size.values.saturating_add(1);
                    record(anchor, size, &mut stack);
                }
            }
            Event::Scalar(value, _, anchor, _) => {
                if let Some(c) = forbidden_control(&value) {
                    return Err(at(
                        line,
                        col,
                        format!("a value holds the control character U+{:04X}", c as u32),
                        "control characters (NUL, ESC and the like) have no place in a page; remove the escape",
                    ));
                }
                let size = Size {
                    bytes: value.len() as u64,
                    values: 1,
                };
                record(anchor, size, &mut stack);
            }
            Event::Alias(id) => {
                // An unknown anchor is serde_yaml's error to report.
                let size = anchors.get(id).copied().unwrap_or_default();
                added.add(size);
                if added.values > MAX_ALIAS_VALUES || added.bytes > byte_budget {
                    return Err(at(
                        line,
                        col,
                        format!(
                            "YAML aliases expand this document past its limit ({} values, {} bytes added by aliases so far; repetition limit exceeded)",
                            added.values, added.bytes
                        ),
                        "YAML aliases (`*name`) here expand to too much data; write the values out instead",
                    ));
                }
                if let Some((_, parent)) = stack.last_mut() {
                    parent.add(size);
                }
            }
            Event::DocumentStart(_) => anchors.clear(),
            _ => {}
        }
    }
    Ok(())
}

/// Checks `text` with [`precheck`], then deserialises it; every error is a diagnostic at a line of
/// `file` (`first_line` is the file line of the text's first line).
pub fn parse<T: DeserializeOwned>(
    file: &Path,
    text: &str,
    first_line: usize,
) -> Result<T, Diagnostic> {
    if let Err(r) = precheck(text) {
        let is_markdown = file.extension().is_some_and(|e| e == "md");
        let message = if is_markdown {
            format!("front matter: {}", r.message)
        } else {
            r.message
        };
        return Err(
            Diagnostic::error(file, Some(r.line + first_line - 1), message)
                .with_col(Some(r.col))
                .with_help(r.help),
        );
    }
    serde_yaml::from_str(text).map_err(|e| yaml_diagnostic_in(file, &e, first_line, text))
}

/// The 1-based line where each entry of the top-level sequence starts (a registry's entries), in
/// any style (`- id: a`, `- { id: a }`, `[ {id: a} ]`). Empty if the text is no such sequence.
pub fn entry_lines(text: &str) -> Vec<usize> {
    let mut lines = Vec::new();
    let mut depth = 0usize;
    for item in Parser::new_from_str(text) {
        let Ok((event, span)) = item else {
            break;
        };
        let starts_entry = depth == 1;
        match event {
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                if depth == 0 && matches!(event, Event::MappingStart(..)) {
                    return Vec::new();
                }
                if starts_entry {
                    lines.push(span.start.line());
                }
                depth += 1;
            }
            Event::SequenceEnd | Event::MappingEnd => depth = depth.saturating_sub(1),
            Event::Scalar(..) | Event::Alias(_) if starts_entry => lines.push(span.start.line()),
            _ => {}
        }
    }
    lines
}

/// Turns a serde_yaml error into a diagnostic at the right file line, with a hint where one helps.
pub fn yaml_diagnostic(
    file: impl AsRef<Path>,
    err: &serde_yaml::Error,
    first_line: usize,
) -> Diagnostic {
    yaml_diagnostic_in(file, err, first_line, "")
}

/// Like [`yaml_diagnostic`], with the YAML text so errors without a precise location (a bad value
/// rejected after parsing, such as 30 February) can be placed on the line that holds the value.
pub fn yaml_diagnostic_in(
    file: impl AsRef<Path>,
    err: &serde_yaml::Error,
    first_line: usize,
    yaml: &str,
) -> Diagnostic {
    let file = file.as_ref();
    let full = err.to_string();
    // serde_yaml appends " at line L column C" (of the YAML block); we report file lines instead.
    // A scanner error also says where the unfinished token started ("while scanning a quoted
    // scalar at line 1 column 8"): that start is where the mistake is.
    let (mut message, mut line, mut col) = match full.find(" at line ") {
        Some(i) => (full[..i].to_string(), None, None),
        None => (full.clone(), None, None),
    };
    if let Some((what, l, c)) = scanning_start(&full) {
        message = format!("{message} {what}");
        line = Some(l + first_line - 1);
        col = Some(c);
    }
    if line.is_none() {
        if let Some(loc) = err.location() {
            line = Some(loc.line() + first_line - 1);
            col = Some(loc.column());
        }
    }
    // Values rejected by our own types (a bad date) come back located at the start of the block or
    // of the mapping that holds them: the value itself is on that line or a later one.
    let about_a_key = [
        "missing field",
        "unknown field",
        "duplicate field",
        "unknown variant",
    ]
    .iter()
    .any(|k| message.contains(k));
    if !about_a_key {
        if let Some(value) = message.split('`').nth(1) {
            // The reported line as a 1-based line of the YAML block.
            let block_line = line.map_or(1, |l| (l + 1).saturating_sub(first_line).max(1));
            let rest = yaml
                .lines()
                .skip(block_line - 1)
                .collect::<Vec<_>>()
                .join("\n");
            if let Some(l) = crate::text::find_word_line(&rest, value) {
                line = Some(block_line - 1 + l + first_line - 1);
                col = None;
            }
        }
    }
    // serde reports a repeated key at the mapping that holds it (or at its first use): point at
    // the repetition instead.
    let repeated = message
        .split_once("duplicate field `")
        .and_then(|(_, r)| r.split('`').next())
        .or_else(|| {
            message
                .split_once("duplicate entry with key \"")
                .and_then(|(_, r)| r.split('"').next())
        });
    if let Some(key) = repeated {
        let from = line.map_or(1, |l| (l + 1).saturating_sub(first_line).max(1));
        let is_key = |l: &str| {
            let t = l.trim_start().trim_start_matches("- ");
            [key.to_string(), format!("\"{key}\""), format!("'{key}'")]
                .iter()
                .any(|k| {
                    t.strip_prefix(k.as_str())
                        .is_some_and(|r| r.trim_start().starts_with(':'))
                })
        };
        let second = yaml
            .lines()
            .enumerate()
            .skip(from - 1)
            .filter(|(_, l)| is_key(l))
            .nth(1);
        if let Some((i, l)) = second {
            line = Some(i + 1 + first_line - 1);
            col = Some(l.len() - l.trim_start().len() + 1);
        }
    }
    let line = line.or(Some(first_line.saturating_sub(1).max(1)));
    // Only Markdown files have front matter; site.yaml and the registries are YAML files.
    let is_markdown = file.extension().is_some_and(|e| e == "md");
    let shown_message = if is_markdown {
        format!("front matter: {message}")
    } else {
        message.clone()
    };
    let mut d = Diagnostic::error(file, line, shown_message).with_col(col);
    if let Some(help) = hint_for(&message) {
        d = d.with_help(help);
    }
    d
}

/// Finds ", while scanning X at line L column C" in a serde_yaml message.
fn scanning_start(msg: &str) -> Option<(String, usize, usize)> {
    let i = msg.find(", while ")?;
    let rest = &msg[i + 2..];
    let at = rest.find(" at line ")?;
    let what = rest[..at].to_string();
    let mut nums = rest[at + 9..]
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty());
    let line = nums.next()?.parse().ok()?;
    let col = nums.next()?.parse().ok()?;
    Some((what, line, col))
}

fn hint_for(message: &str) -> Option<String> {
    let ticked: Vec<&str> = message.split('`').skip(1).step_by(2).collect();
    if message.contains("unknown field") {
        let unknown = ticked.first()?;
        let expected = ticked.iter().skip(1).copied();
        return Some(match did_you_mean(unknown, expected) {
            Some(best) => format!("did you mean `{best}`? (free-form data goes under `extra:`)"),
            None => {
                "this key is not part of the schema; put free-form data under `extra:`".to_string()
            }
        });
    }
    if message.contains("unknown variant") {
        let unknown = ticked.first()?;
        if let Some(best) = did_you_mean(unknown, ticked.iter().skip(1).copied()) {
            return Some(format!("did you mean `{best}`?"));
        }
    }
    if message.contains("repetition limit exceeded") {
        return Some(
            "YAML aliases (`*name`) here expand to too much data; write the values out instead"
                .to_string(),
        );
    }
    if message.contains("recursion limit exceeded") {
        return Some("values are nested too deeply (YAML allows bilat 128 levels)".to_string());
    }
    if message.contains("missing field `title`") {
        return Some("every page needs `title: \"…\"` in its front matter".to_string());
    }
    if message.contains("found character that cannot start any token") || message.contains("tab") {
        return Some("YAML indentation must use spaces, not tabs; quote values that contain `:` or start with `@`, `` ` ``, `%` or `&`".to_string());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_lines_in_every_style() {
        assert_eq!(entry_lines("- id: a\n  x: 1\n- id: b\n"), vec![1, 3]);
        assert_eq!(entry_lines("# c\n- { id: a }\n\n- {id: b}\n"), vec![2, 4]);
        assert_eq!(entry_lines("[\n {id: a},\n {id: b}\n]\n"), vec![2, 3]);
        assert_eq!(entry_lines("a: 1\n"), Vec::<usize>::new());
    }

    #[test]
    fn plain_documents_pass() {
        assert_eq!(precheck("title: A\ntags: [a, b]\nx: &x 1\ny: *x\n"), Ok(()));
        // Syntax errors are serde_yaml's to report.
        assert_eq!(precheck("title: \"A\n"), Ok(()));
    }

    #[test]
    fn aliases_that_multiply_bytes_are_refused() {
        let big = "x".repeat(300_000);
        let hundred = vec!["*a"; 100].join(", ");
        let text = format!("a: &a \"{big}\"\nb: &b [{hundred}]\nc: [{}]\n", {
            vec!["*b"; 100].join(", ")
        });
        let r = precheck(&text).unwrap_err();
        // The 1 MiB floor plus the document's own length is passed on line 2.
        assert_eq!(r.line, 2, "{r:?}");
        assert!(r.message.contains("aliases"), "{r:?}");
    }

    #[test]
    fn aliases_that_multiply_values_are_refused() {
        let mut text = String::from("a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n");
        for (i, prev) in ["a", "b", "c", "d", "e"].iter().enumerate() {
            let next = ["b", "c", "d", "e", "f"][i];
            text.push_str(&format!(
                "{next}: &{next} [{}]\n",
                vec![format!("*{prev}"); 10].join(", ")
            ));
        }
        let r = precheck(&text).unwrap_err();
        assert!(r.message.contains("repetition limit"), "{r:?}");
    }

    #[test]
    fn deep_nesting_is_refused_quickly() {
        for text in [
            format!("x: {}1{}\n", "{a: ".repeat(100_000), "}".repeat(100_000)),
            format!("x: {}\n", "[".repeat(100_000)),
            format!("{}x\n", "- ".repeat(100_000)),
        ] {
            let r = precheck(&text).unwrap_err();
            assert!(r.message.contains("nested more than"), "{r:?}");
            assert_eq!(r.line, 1);
        }
        assert_eq!(
            precheck(&format!("x: {}1{}\n", "[".repeat(100), "]".repeat(100))),
            Ok(())
        );
    }

    #[test]
    fn escaped_control_characters_are_refused() {
        for (text, c) in [
            ("title: \"a\\0b\"\n", "U+0000"),
            ("x: 1\ntitle: \"\\e[31mred\"\n", "U+001B"),
            ("title: \"\\x7f\"\n", "U+007F"),
        ] {
            let r = precheck(text).unwrap_err();
            assert!(r.message.contains(c), "{text}: {r:?}");
        }
        assert_eq!(precheck("title: \"a\\tb\\n\"\n"), Ok(()));
        assert_eq!(precheck("title: \"a\\0b\"\n").unwrap_err().line, 1);
        assert_eq!(precheck("x: 1\ntitle: \"\\e\"\n").unwrap_err().line, 2);
    }
}
