//! Small text helpers shared by the stages: slugs, line numbers, "did you mean" hints and dates.

use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

/// A URL-safe slug: lowercase ASCII letters, digits and single dashes.
///
/// Non-ASCII letters are kept (browsers and GitHub Pages serve UTF-8 paths), but anything that
/// would need escaping in a URL path (`#`, `?`, `%`, spaces, slashes) becomes a dash.
pub fn slugify(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut dash = false;
    for c in input.chars() {
        if c.is_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.extend(c.to_lowercase());
        } else {
            dash = true;
        }
    }
    out
}

/// Turns the bytes of a text input file (Markdown, YAML, a template) into normalised text: UTF-8
/// checked, no NUL bytes, BOM dropped, CRLF and lone CR turned into LF. Errors name the file line
/// (and column) of the first bad byte, counting lines the way the rest of bilat does.
pub fn decode_text(
    shown: &std::path::Path,
    bytes: Vec<u8>,
) -> Result<String, crate::error::Diagnostic> {
    use crate::error::Diagnostic;
    // Line and column of a byte offset, where CRLF and lone CR each end one line.
    fn locate(bytes: &[u8], upto: usize) -> (usize, usize) {
        let head = &bytes[..upto];
        let mut line = 1;
        let mut line_start = 0;
        for (i, &b) in head.iter().enumerate() {
            if b == b'\n' || (b == b'\r' && head.get(i + 1) != Some(&b'\n')) {
                line += 1;
                line_start = i + 1;
            }
        }
        let col = String::from_utf8_lossy(&head[line_start..]).chars().count() + 1;
        (line, col)
    }
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let (line, col) = locate(e.as_bytes(), e.utf8_error().valid_up_to());
            return Err(
                Diagnostic::error(shown, Some(line), "the file is not valid UTF-8 text")
                    .with_col(Some(col))
                    .with_help("re-save the file with UTF-8 encoding"),
            );
        }
    };
    if let Some(nul) = text.find('\0') {
        let (line, col) = locate(text.as_bytes(), nul);
        return Err(
            Diagnostic::error(shown, Some(line), "the file contains a NUL byte")
                .with_col(Some(col))
                .with_help("this looks like a binary file; bilat reads plain text only"),
        );
    }
    Ok(normalize(&text).into_owned())
}

/// Normalises line endings so that CRLF and lone CR files count lines the same way, and drops a BOM.
pub fn normalize(text: &str) -> std::borrow::Cow<'_, str> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.contains('\r') {
        std::borrow::Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// `a`, `a and b`, `a, b and c`: a list in a message.
pub fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// Makes JSON text safe to embed in an HTML `<script>` element and still valid JSON: `<`, `>`
/// and `&` (which can only occur inside strings) become `\u003c`, `\u003e` and `\u0026`, so no
/// value can close the element or open a comment (`</script>`, `<!--`), and U+2028 and U+2029
/// become `\u2028` and `\u2029`, which older JavaScript parsers refuse inside string literals.
/// (`<\/` and `<\!--` are not JSON: a strict parser rejects `\!`.)
pub fn json_for_script(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// Decodes `%XX` escapes in a URL path or fragment; invalid UTF-8 becomes U+FFFD.
pub fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// Byte offsets where each line starts, for turning an offset into a 1-based line number.
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    /// 1-based line and column of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let line = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        (line + 1, offset - self.starts[line] + 1)
    }
}

/// The 1-based line of the first line in `text` that holds `needle` as a whole word.
///
/// serde_yaml does not report where a successfully parsed value came from, so reference errors
/// (an unknown source id, say) are located by finding the id in the front matter's text.
pub fn find_word_line(text: &str, needle: &str) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    let is_word = |c: char| c.is_alphanumeric() || c == '_' || c == '-';
    for (i, line) in text.lines().enumerate() {
        let mut from = 0;
        while let Some(pos) = line[from..].find(needle) {
            let start = from + pos;
            let end = start + needle.len();
            let before = line[..start].chars().next_back();
            let after = line[end..].chars().next();
            if !before.is_some_and(is_word) && !after.is_some_and(is_word) {
                return Some(i + 1);
            }
            from = end;
        }
    }
    None
}

/// The line of `key:` in YAML text (first match), for errors about a whole field.
pub fn find_key_line(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            let t = l.trim_start().trim_start_matches("- ");
            t.strip_prefix(key)
                .is_some_and(|rest| rest.starts_with(':'))
        })
        .map(|i| i + 1)
}

/// The closest candidate to `word`, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// The closest path to `path`, comparing file names, so a shared folder prefix is no match.
pub fn did_you_mean_path<'a>(
    path: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let name = |p: &str| p.rsplit('/').next().unwrap_or(p).to_string();
    let target = name(path);
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&target, &name(c)), c))
        .filter(|(score, _)| *score > 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// How precise a date is: explainers often know only the month or year of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    Year,
    Month,
    Day,
}

/// A calendar date written as `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, validated (no 30 February).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PartialDate {
    pub year: i16,
    pub month: Option<i8>,
    pub day: Option<i8>,
}

impl PartialDate {
    pub fn parse(s: &str) -> Result<PartialDate, String> {
        let s = s.trim();
        let bad = || format!("`{s}` is not a date; write YYYY-MM-DD, YYYY-MM or YYYY");
        let parts: Vec<&str> = s.split('-').collect();
        let num = |p: &str, len: usize| -> Result<i64, String> {
            if p.len() != len || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            p.parse::<i64>().map_err(|_| bad())
        };
        match parts.as_slice() {
            [y] => Ok(PartialDate {
                year: num(y, 4)? as i16,
                month: None,
                day: None,
            }),
            [y, m] => {
                let (year, month) = (num(y, 4)? as i16, num(m, 2)?);
                if !(1..=12).contains(&month) {
                    return Err(format!("`{s}` has no month {month}"));
                }
                Ok(PartialDate {
                    year,
                    month: Some(month as i8),
                    day: None,
                })
            }
            [y, m, d] => {
                let (year, month, day) = (num(y, 4)? as i16, num(m, 2)? as i8, num(d, 2)? as i8);
                jiff::civil::Date::new(year, month, day)
                    .map_err(|_| format!("`{s}` is not a real date"))?;
                Ok(PartialDate {
                    year,
                    month: Some(month),
                    day: Some(day),
                })
            }
            _ => Err(bad()),
        }
    }

    pub fn precision(&self) -> Precision {
        match (self.month, self.day) {
            (Some(_), Some(_)) => Precision::Day,
            (Some(_), None) => Precision::Month,
            _ => Precision::Year,
        }
    }

    /// The last day the date could mean, so "January 2024" is overdue only after 31 January.
    pub fn last_day(&self) -> jiff::civil::Date {
        let month = self.month.unwrap_or(12);
        let first = jiff::civil::Date::new(self.year, month, 1).unwrap_or_default();
        match self.day {
            Some(d) => jiff::civil::Date::new(self.year, month, d).unwrap_or(first),
            None => first.last_of_month(),
        }
    }

    /// Sort key: earlier first, and a less precise date before a more precise one in the same period.
    pub fn sort_key(&self) -> (i16, i8, i8) {
        (self.year, self.month.unwrap_or(0), self.day.unwrap_or(0))
    }

    pub fn iso(&self) -> String {
        match (self.month, self.day) {
            (Some(m), Some(d)) => format!("{:04}-{:02}-{:02}", self.year, m, d),
            (Some(m), None) => format!("{:04}-{:02}", self.year, m),
            _ => format!("{:04}", self.year),
        }
    }

    /// English form: "27 December 2023", "December 2023" or "2023" (see `crate::locale`).
    pub fn display(&self) -> String {
        self.display_in(&crate::locale::Locale::english())
            .unwrap_or_else(|_| self.iso())
    }

    /// The date as `locale` writes a day, a month or a year.
    pub fn display_in(&self, locale: &crate::locale::Locale) -> Result<String, String> {
        locale.date(
            i32::from(self.year),
            self.month.and_then(|m| u8::try_from(m).ok()),
            self.day.and_then(|d| u8::try_from(d).ok()),
        )
    }
}

impl fmt::Display for PartialDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.iso())
    }
}

impl<'de> Deserialize<'de> for PartialDate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // YAML reads `2023` as a number and `2023-12-27` as a string; accept both.
        let v = serde_yaml::Value::deserialize(d)?;
        let s = match &v {
            serde_yaml::Value::String(s) => s.clone(),
            serde_yaml::Value::Number(n) => n.to_string(),
            _ => {
                return Err(serde::de::Error::custom(
                    "expected a date such as 2023-12-27",
                ))
            }
        };
        PartialDate::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// The view of a date that templates get.
#[derive(Serialize)]
pub struct DateView {
    pub iso: String,
    pub display: String,
    pub precision: Precision,
}

impl From<&PartialDate> for DateView {
    fn from(d: &PartialDate) -> Self {
        DateView {
            iso: d.iso(),
            display: d.display(),
            precision: d.precision(),
        }
    }
}

impl Serialize for PartialDate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        DateView::from(self).serialize(s)
    }
}

/// A full `YYYY-MM-DD` date, as front matter's `date` and `updated` require.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(pub jiff::civil::Date);

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let p = PartialDate::deserialize(d)?;
        match (p.month, p.day) {
            (Some(m), Some(day)) => jiff::civil::Date::new(p.year, m, day)
                .map(Day)
                .map_err(serde::de::Error::custom),
            _ => Err(serde::de::Error::custom(format!(
                "`{}` needs a day: write YYYY-MM-DD",
                p.iso()
            ))),
        }
    }
}

impl Day {
    pub fn partial(&self) -> PartialDate {
        PartialDate {
            year: self.0.year(),
            month: Some(self.0.month()),
            day: Some(self.0.day()),
        }
    }
}

impl Serialize for Day {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.partial().serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(slugify("India–EAEU FTA talks"), "india-eaeu-fta-talks");
        assert_eq!(slugify("What's #1? 100%"), "what-s-1-100");
        assert_eq!(slugify("  Trade  "), "trade");
    }

    #[test]
    fn partial_dates() {
        assert_eq!(
            PartialDate::parse("2023-12").unwrap().display(),
            "December 2023"
        );
        assert!(PartialDate::parse("2023-02-30").is_err());
        assert!(PartialDate::parse("2023-13").is_err());
        assert!(PartialDate::parse("23-1-1").is_err());
        assert_eq!(
            PartialDate::parse("2024-01")
                .unwrap()
                .last_day()
                .to_string(),
            "2024-01-31"
        );
    }

    #[test]
    fn word_lines() {
        let t = "a: s1\nsource: s10\nsource: s1";
        assert_eq!(find_word_line(t, "s10"), Some(2));
        assert_eq!(find_word_line(t, "s1"), Some(1));
        assert_eq!(find_key_line(t, "source"), Some(2));
    }
}
