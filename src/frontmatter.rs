//! Front matter: splitting a Markdown file into its YAML block and body, and the typed schema of
//! that block (the common page fields plus the explainer fields).
//!
//! Every error is reported against the line of the *file*: serde_yaml counts lines from the start
//! of the YAML block, so the block's first line is added back here.

use crate::error::Diagnostic;
use crate::text::{Day, PartialDate};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// A Markdown file cut into front matter and body, with line numbers kept.
#[derive(Debug, Clone)]
pub struct Split<'a> {
    /// The YAML between the `---` lines.
    pub yaml: &'a str,
    /// 1-based file line of the YAML's first line.
    pub yaml_line: usize,
    pub body: &'a str,
    /// 1-based file line of the body's first line.
    pub body_line: usize,
}

pub use crate::text::normalize;

fn is_fence(line: &str) -> bool {
    line.trim_end() == "---"
}

/// Splits normalised text; the file must open with a `---` line and close the block with another.
pub fn split<'a>(file: &Path, text: &'a str) -> Result<Split<'a>, Diagnostic> {
    if text.trim().is_empty() {
        return Err(
            Diagnostic::error(file, Some(1), "the file is empty").with_help(
                "a page starts with a `---` line, then `title: \"…\"`, then another `---` line",
            ),
        );
    }
    let first_end = text.find('\n').unwrap_or(text.len());
    if !is_fence(&text[..first_end]) {
        return Err(
            Diagnostic::error(file, Some(1), "the file does not start with front matter")
                .with_help(
                "begin the file with a `---` line, then `title: \"…\"`, then another `---` line",
            ),
        );
    }
    let yaml_start = (first_end + 1).min(text.len());
    let mut offset = yaml_start;
    let mut line_no = 2;
    while offset < text.len() {
        let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
        if is_fence(&text[offset..end]) {
            let body_start = (end + 1).min(text.len());
            return Ok(Split {
                yaml: &text[yaml_start..offset],
                yaml_line: 2,
                body: &text[body_start..],
                body_line: line_no + 1,
            });
        }
        offset = end + 1;
        line_no += 1;
    }
    Err(Diagnostic::error(
        file,
        Some(1),
        "the front matter opened on line 1 is never closed",
    )
    .with_help("add a line with only `---` after the last front matter field"))
}

pub use crate::yaml::{yaml_diagnostic, yaml_diagnostic_in};

/// A caveat: what the record says against a claim, with its own source.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Caveat {
    pub text: String,
    pub source: String,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Figure {
    pub label: String,
    pub value: String,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub period: Option<String>,
    #[serde(default)]
    pub as_of: Option<String>,
    pub source: String,
    #[serde(default)]
    pub caveat: Option<Caveat>,
    /// How `series` is drawn; a series without it is drawn as bars.
    #[serde(default)]
    pub chart: Option<crate::chart::ChartKind>,
    /// Values over time, oldest first, in `unit`; drawn as a chart (see [`crate::chart`]).
    #[serde(default)]
    pub series: Vec<SeriesPoint>,
    /// The party code (site.yaml) whose series this is: drawn in that party's colour.
    #[serde(default)]
    pub party: Option<String>,
    /// The most decimals the chart and its table show (values are shown as written up to this).
    #[serde(default)]
    pub decimals: Option<u8>,
}

/// One point of a figure's series. `source` is the point's own source (one id or a list);
/// without it the point stands on the figure's `source`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SeriesPoint {
    pub period: String,
    pub value: f64,
    #[serde(default, deserialize_with = "one_or_more")]
    pub source: Vec<String>,
}

/// A source id or a list of them.
fn one_or_more<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    struct V;
    impl<'de> serde::de::Visitor<'de> for V {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a source id or a list of source ids")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(vec![v.to_string()])
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut a: A,
        ) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(s) = a.next_element::<String>()? {
                out.push(s);
            }
            Ok(out)
        }
    }
    d.deserialize_any(V)
}

impl Figure {
    /// The sources a series point stands on: its own, or the figure's.
    pub fn point_sources<'a>(&'a self, p: &'a SeriesPoint) -> Vec<&'a str> {
        if p.source.is_empty() {
            vec![self.source.as_str()]
        } else {
            p.source.iter().map(String::as_str).collect()
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Quote {
    /// An id from `people.yaml`.
    pub speaker: String,
    pub text: String,
    #[serde(default)]
    pub date: Option<PartialDate>,
    pub source: String,
    #[serde(default)]
    pub context: Option<String>,
    #[serde(default)]
    pub caveat: Option<Caveat>,
    /// The language the quote was published in (BCP 47), when it is not the site's default.
    #[serde(default)]
    pub language: Option<String>,
    /// A published translation of the quote into an edition's language (given in that edition's
    /// translation file; see `crate::editions`). Never one of the site's own making.
    #[serde(default)]
    pub translation: Option<QuoteTranslation>,
}

/// A translation of a quote that someone published, with who made it and where it appeared.
#[derive(Debug, Clone, Deserialize, PartialEq, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct QuoteTranslation {
    pub text: String,
    /// Who translated it (an agency, a newspaper, a ministry).
    pub by: String,
    pub source: String,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Position {
    pub text: String,
    pub source: String,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TimelineEntry {
    pub date: PartialDate,
    pub event: String,
    pub source: String,
    #[serde(default)]
    pub caveat: Option<Caveat>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Outcome {
    pub text: String,
    pub source: String,
}

/// Something to watch: a stated plan with the date it was expected by.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NextItem {
    pub what: String,
    pub expected: PartialDate,
    pub source: String,
    /// What happened since; an item with an outcome is never overdue.
    #[serde(default)]
    pub outcome: Option<Outcome>,
}

/// The front matter of any content file. Unknown keys are errors; free-form data goes in `extra`.
#[derive(Debug, Clone, Deserialize, Default, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FrontMatter {
    pub title: String,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub date: Option<Day>,
    #[serde(default)]
    pub updated: Option<Day>,
    #[serde(default)]
    pub weight: Option<i64>,
    #[serde(default)]
    pub draft: bool,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub layout: Option<String>,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub sources: Vec<String>,
    #[serde(default)]
    pub in_brief: Vec<String>,
    #[serde(default)]
    pub figures: Vec<Figure>,
    #[serde(default)]
    pub quotes: Vec<Quote>,
    /// Keyed by party code from `site.yaml`.
    #[serde(default)]
    pub positions: BTreeMap<String, Vec<Position>>,
    #[serde(default)]
    pub timeline: Vec<TimelineEntry>,
    #[serde(default)]
    pub next: Vec<NextItem>,
    #[serde(default)]
    pub related: Vec<String>,
    /// Corrections made to the page since it was published, each dated.
    #[serde(default)]
    pub corrections: Vec<Correction>,
    #[serde(default)]
    pub extra: serde_yaml::Mapping,
}

/// A correction of the page: what was wrong and what it says now, in the editors' words.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Correction {
    pub date: Day,
    pub text: String,
}

impl FrontMatter {
    /// Every source id the front matter cites, in reading order, with what cites it.
    pub fn cited_sources(&self) -> Vec<(&str, &'static str)> {
        let mut out: Vec<(&str, &'static str)> = Vec::new();
        fn caveat<'a>(out: &mut Vec<(&'a str, &'static str)>, c: &'a Option<Caveat>) {
            if let Some(c) = c {
                out.push((&c.source, "a caveat"));
            }
        }
        for f in &self.figures {
            out.push((&f.source, "a figure"));
            caveat(&mut out, &f.caveat);
            for p in &f.series {
                out.extend(p.source.iter().map(|s| (s.as_str(), "a series point")));
            }
        }
        for q in &self.quotes {
            out.push((&q.source, "a quote"));
            caveat(&mut out, &q.caveat);
            if let Some(t) = &q.translation {
                out.push((&t.source, "a quote's translation"));
            }
        }
        for p in self.positions.values().flatten() {
            out.push((&p.source, "a position"));
        }
        for t in &self.timeline {
            out.push((&t.source, "a timeline entry"));
            caveat(&mut out, &t.caveat);
        }
        for n in &self.next {
            out.push((&n.source, "a `next` item"));
            if let Some(o) = &n.outcome {
                out.push((&o.source, "an outcome"));
            }
        }
        out.extend(self.sources.iter().map(|s| (s.as_str(), "`sources`")));
        out
    }
}

/// Parses a front matter block; `split.yaml_line` turns block lines into file lines.
pub fn parse(file: &Path, split: &Split<'_>) -> Result<FrontMatter, Diagnostic> {
    if split.yaml.trim().is_empty() {
        return Err(
            Diagnostic::error(file, Some(1), "front matter: missing field `title`")
                .with_help("every page needs `title: \"…\"` in its front matter"),
        );
    }
    let mut fm: FrontMatter = crate::yaml::parse(file, split.yaml, split.yaml_line)?;
    // A correction revises the page: `updated` is at least the newest correction's day, so the
    // feed, the sitemap and the page's own dates show it.
    if let Some(newest) = fm.corrections.iter().map(|c| c.date).max() {
        if fm.updated.is_none_or(|u| u < newest) {
            fm.updated = Some(newest);
        }
    }
    if fm.title.trim().is_empty() {
        let line = crate::text::find_key_line(split.yaml, "title").map(|l| l + split.yaml_line - 1);
        return Err(Diagnostic::error(
            file,
            line,
            "front matter: `title` is empty",
        ));
    }
    Ok(fm)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_counts_lines() {
        let text = "---\ntitle: A\n---\n# Body\n";
        let s = split(Path::new("a.md"), text).unwrap();
        assert_eq!(s.yaml, "title: A\n");
        assert_eq!(s.body_line, 4);
        assert_eq!(s.body, "# Body\n");
    }

    #[test]
    fn unclosed_is_an_error() {
        let err = split(Path::new("a.md"), "---\ntitle: A\n").unwrap_err();
        assert!(err.message.contains("never closed"));
    }

    #[test]
    fn unknown_field_gets_a_hint_and_file_line() {
        let text = "---\ntitle: A\ntitel: B\n---\n";
        let s = split(Path::new("a.md"), text).unwrap();
        let err = parse(Path::new("a.md"), &s).unwrap_err();
        assert_eq!(err.line, Some(3), "{err}");
        assert!(
            err.help.as_deref().unwrap_or("").contains("`title`"),
            "{err}"
        );
    }
}
