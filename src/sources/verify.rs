//! Quotes checked against their sources' texts: every quote in a page's `quotes:` whose source has
//! a text in the cache ([`super::text`]) must appear in it verbatim, after both are normalised
//! ([`super::text::normalise`]). A quote that does not is a build error naming the page, the line,
//! the source and the passage of the text nearest to it.
//!
//! Two allowances follow how quotes are printed: the closing punctuation of a quote may differ
//! (a reporter's `cooperation," he said` is the speaker's `cooperation.`), and an ellipsis (`…`,
//! `...`, `[…]`) marks words left out, so the pieces around it must appear in that order.
//! Which quotes exist and where they were written is the content model's; this module only reads it.

use super::text::{cached_ids, normalise, text_path};
use crate::content::Page;
use crate::error::{Diagnostic, Diagnostics};
use crate::frontmatter::Quote;
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// How many quotes could be checked against a text, and how many were found in it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QuoteTally {
    /// Every quote of every page.
    pub total: usize,
    /// Quotes found verbatim in their source's text.
    pub verified: usize,
    /// Quotes whose source has a text that does not hold them (each one is an error).
    pub missing: usize,
}

impl QuoteTally {
    /// Quotes whose source has no text in the cache: not checked.
    pub fn unchecked(&self) -> usize {
        self.total - self.verified - self.missing
    }

    /// "12 of 36 quotes verified against their sources".
    pub fn summary(&self) -> String {
        format!(
            "{} of {} quote{} verified against their sources",
            self.verified,
            self.total,
            if self.total == 1 { "" } else { "s" }
        )
    }
}

/// Checks every quote of `pages` whose source has a text under `root`'s cache.
pub fn check_pages<'a>(
    root: &Path,
    pages: impl IntoIterator<Item = &'a Page>,
    diags: &mut Diagnostics,
) -> QuoteTally {
    let quotes: Vec<(&Page, &Quote)> = pages
        .into_iter()
        .flat_map(|p| p.meta.quotes.iter().map(move |q| (p, q)))
        .collect();
    let mut tally = QuoteTally {
        total: quotes.len(),
        ..Default::default()
    };
    if quotes.is_empty() {
        return tally;
    }
    let cached = cached_ids(root);
    if cached.is_empty() {
        return tally;
    }
    let needed: HashSet<&str> = quotes
        .iter()
        .map(|(_, q)| q.source.as_str())
        .filter(|s| cached.contains(*s))
        .collect();
    // Each text is read and normalised once, however many quotes it holds.
    let texts: HashMap<&str, Result<String, String>> = needed
        .into_par_iter()
        .map(|id| {
            let t = std::fs::read(text_path(root, id))
                .map_err(|e| e.to_string())
                .map(|b| {
                    let file = String::from_utf8_lossy(&b);
                    normalise(&super::text::SourceText::parse(&file).body)
                });
            (id, t)
        })
        .collect();
    let shown_text = |id: &str| Path::new(super::text::TEXTS_DIR).join(format!("{id}.txt"));
    for (id, t) in &texts {
        if let Err(e) = t {
            diags.push(
                Diagnostic::error(
                    shown_text(id),
                    None,
                    format!("cannot read source text: {e}"),
                )
                .with_help("delete the file or fetch it again with `bilat sources fetch`"),
            );
        }
    }
    let results: Vec<(usize, Option<Diagnostic>)> = quotes
        .par_iter()
        .filter_map(|(page, q)| {
            let text = texts.get(q.source.as_str())?.as_ref().ok()?;
            if contains_quote(text, &q.text) {
                return Some((1, None));
            }
            let nearest = nearest_passage(text, &q.text);
            let help = match nearest {
                Some(p) => format!(
                    "quote the source verbatim (only white space, quotation marks, apostrophes and dashes may differ) or cite the source that has these words; the nearest passage in {} is: {p}",
                    shown_text(&q.source).display()
                ),
                None => format!("{} holds no words", shown_text(&q.source).display()),
            };
            let d = Diagnostic::error(
                &page.shown,
                quote_line(page, q),
                format!(
                    "the quote of `{}` is not in the text of source `{}`",
                    q.speaker, q.source
                ),
            )
            .with_help(help);
            Some((0, Some(d)))
        })
        .collect();
    for (ok, d) in results {
        tally.verified += ok;
        if let Some(d) = d {
            tally.missing += 1;
            diags.push(d);
        }
    }
    tally
}

/// The front-matter line of the quote's text: the first line holding its opening words.
fn quote_line(page: &Page, q: &Quote) -> Option<usize> {
    // YAML may escape what follows a quotation mark or a backslash: match the words before it.
    let opening: String = q
        .text
        .chars()
        .take_while(|c| !matches!(c, '"' | '\'' | '\\' | '\n'))
        .take(40)
        .collect();
    let opening = opening.trim();
    if !opening.is_empty() {
        if let Some(i) = page.yaml().lines().position(|l| l.contains(opening)) {
            return Some(i + page.yaml_line);
        }
    }
    page.line_of_key("quotes")
}

/// The pieces a quote must show, in order: its text split at ellipses, each piece without the
/// punctuation and quotation marks at its edges.
fn pieces(quote: &str) -> Vec<String> {
    let n = normalise(quote);
    let n = n
        .replace("[\u{2026}]", "\u{2026}")
        .replace("[...]", "\u{2026}")
        .replace("...", "\u{2026}");
    let edge = |c: char| matches!(c, '.' | ',' | ';' | ':' | '!' | '?' | '"' | '\'' | ' ');
    n.split('\u{2026}')
        .map(|p| p.trim_matches(edge).to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

/// Whether the normalised `text` holds `quote`.
pub fn contains_quote(text: &str, quote: &str) -> bool {
    let pieces = pieces(quote);
    if pieces.is_empty() {
        return false;
    }
    let mut from = 0;
    for p in &pieces {
        match memchr::memmem::find(&text.as_bytes()[from..], p.as_bytes()) {
            Some(i) => from += i + p.len(),
            None => return false,
        }
    }
    true
}

/// A word as compared when looking for the nearest passage: letters and digits, lower case.
fn key(w: &str) -> String {
    w.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The run of the text's words, as long as the quote, that shares most words with it.
pub fn nearest_passage(text: &str, quote: &str) -> Option<String> {
    let words: Vec<&str> = text.split(' ').filter(|w| !w.is_empty()).collect();
    let wanted: Vec<String> = normalise(quote)
        .split(' ')
        .map(key)
        .filter(|k| !k.is_empty())
        .collect();
    if words.is_empty() || wanted.is_empty() {
        return None;
    }
    let w = wanted.len().min(words.len());
    let mut need: HashMap<&str, i32> = HashMap::new();
    for k in &wanted {
        *need.entry(k.as_str()).or_default() += 1;
    }
    let keys: Vec<String> = words.iter().map(|w| key(w)).collect();
    // Sliding window: `left[k]` is how many more of word k the quote still has room for.
    let mut left = need.clone();
    let mut score = 0i32;
    let take = |k: &str, left: &mut HashMap<&str, i32>, score: &mut i32| {
        if let Some(n) = left.get_mut(k) {
            if *n > 0 {
                *score += 1;
            }
            *n -= 1;
        }
    };
    let give = |k: &str, left: &mut HashMap<&str, i32>, score: &mut i32| {
        if let Some(n) = left.get_mut(k) {
            *n += 1;
            if *n > 0 {
                *score -= 1;
            }
        }
    };
    for k in &keys[..w] {
        take(k, &mut left, &mut score);
    }
    let (mut best, mut best_at) = (score, 0);
    for start in 1..=words.len() - w {
        give(&keys[start - 1], &mut left, &mut score);
        take(&keys[start + w - 1], &mut left, &mut score);
        if score > best {
            best = score;
            best_at = start;
        }
    }
    if best == 0 {
        return None;
    }
    let mut passage = words[best_at..best_at + w].join(" ");
    const MAX: usize = 300;
    if passage.len() > MAX {
        let cut = (0..=MAX)
            .rev()
            .find(|&i| passage.is_char_boundary(i))
            .unwrap_or(0);
        passage.truncate(cut);
        passage.push('\u{2026}');
    }
    Some(passage)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_match_across_typography_and_closing_punctuation() {
        let text = normalise(
            "He said: \u{201c}We have reaffirmed our aspiration to strengthen energy cooperation,\u{201d} he said further. \u{201c}We\u{2019}ve 52\u{2013}64 flights.\u{201d}",
        );
        assert!(contains_quote(
            &text,
            "We have reaffirmed our aspiration to strengthen energy cooperation."
        ));
        assert!(contains_quote(&text, "We've 52-64 flights."));
        assert!(contains_quote(
            &text,
            "We have reaffirmed … energy cooperation"
        ));
        assert!(!contains_quote(
            &text,
            "energy cooperation … We have reaffirmed"
        ));
        assert!(!contains_quote(
            &text,
            "We have reaffirmed our wish to strengthen energy cooperation."
        ));
        assert!(!contains_quote(&text, "..."));
    }

    #[test]
    fn nearest_passage_is_the_closest_run_of_words() {
        let text = normalise(
            "One two three. We are ready to launch production of weapons. Four five six seven.",
        );
        assert_eq!(
            nearest_passage(&text, "We are ready to start production of weapons").as_deref(),
            Some("We are ready to launch production of weapons.")
        );
        assert_eq!(nearest_passage(&text, "zzz"), None);
    }
}
