//! The cache of source texts: `.bilat-cache/sources/<id>.txt`, one plain-text article per source,
//! outside the published output and outside git (a third party's article is never committed).
//!
//! A text may open with one header line naming where and when it was taken,
//! `Source: https://… (taken 2026-12-01)`; a bare article with no header is used as it is.
//! [`normalise`] is the comparison form quotes and texts are matched in.

use std::path::{Path, PathBuf};

/// The cache folder, relative to the site root.
pub const TEXTS_DIR: &str = ".bilat-cache/sources";

/// The word that opens a header line.
const HEADER: &str = "Source: ";

/// Where the text of source `id` is kept under the site root `root`.
pub fn text_path(root: &Path, id: &str) -> PathBuf {
    root.join(TEXTS_DIR).join(format!("{id}.txt"))
}

/// One source's text as read from the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceText {
    /// The URL the header names, when there is a header.
    pub url: Option<String>,
    /// The day the header says the text was taken (`YYYY-MM-DD`), when it says.
    pub taken: Option<String>,
    /// The article text, header removed.
    pub body: String,
}

impl SourceText {
    /// Splits off the optional header line.
    pub fn parse(file: &str) -> SourceText {
        let file = file.strip_prefix('\u{feff}').unwrap_or(file);
        let (first, rest) = file.split_once('\n').unwrap_or((file, ""));
        let Some(header) = first.trim_end_matches('\r').strip_prefix(HEADER) else {
            return SourceText {
                url: None,
                taken: None,
                body: file.to_string(),
            };
        };
        // Only a line that names a URL is a header: an article may begin with "Source: PTI".
        let mut words = header.split_whitespace();
        let Some(url) = words.next().filter(|u| u.starts_with("http")) else {
            return SourceText {
                url: None,
                taken: None,
                body: file.to_string(),
            };
        };
        let taken = header
            .split_once("(taken ")
            .and_then(|(_, d)| d.split(')').next())
            .map(|d| d.trim().to_string())
            .filter(|d| !d.is_empty());
        SourceText {
            url: Some(url.to_string()),
            taken,
            body: rest.to_string(),
        }
    }

    /// The file's text: header line, then the article.
    pub fn to_file(&self) -> String {
        let mut s = String::with_capacity(self.body.len() + 100);
        if let Some(url) = &self.url {
            s.push_str(HEADER);
            s.push_str(url);
            if let Some(t) = &self.taken {
                s.push_str(" (taken ");
                s.push_str(t);
                s.push(')');
            }
            s.push('\n');
        }
        s.push_str(&self.body);
        if !s.ends_with('\n') {
            s.push('\n');
        }
        s
    }
}

/// The ids of the sources with a text in the cache (one directory listing, whatever the number
/// of sources: a site without a cache pays a single failed `read_dir`).
pub fn cached_ids(root: &Path) -> std::collections::HashSet<String> {
    let Ok(dir) = std::fs::read_dir(root.join(TEXTS_DIR)) else {
        return Default::default();
    };
    dir.flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let id = name.strip_suffix(".txt")?;
            (!id.is_empty() && !id.starts_with('.')).then(|| id.to_string())
        })
        .collect()
}

/// Writes a text into the cache, replacing any earlier one whole (write, then rename).
pub fn save(root: &Path, id: &str, text: &SourceText) -> std::io::Result<PathBuf> {
    let path = text_path(root, id);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension(format!("txt.tmp{}", std::process::id()));
    std::fs::write(&tmp, text.to_file())?;
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}

/// The comparison form: runs of white space become one space; curly and straight quotation
/// marks, apostrophes and primes become `"` and `'`; hyphens, dashes and minus signs become `-`;
/// soft hyphens and zero-width characters go. Letters, case and other punctuation are kept: a
/// quote must be the speaker's words as published.
pub fn normalise(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        let c = match c {
            '\u{201c}' | '\u{201d}' | '\u{201e}' | '\u{201f}' | '\u{2033}' | '\u{00ab}'
            | '\u{00bb}' | '\u{301d}' | '\u{301e}' | '\u{ff02}' => '"',
            '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{201b}' | '\u{2032}' | '\u{2039}'
            | '\u{203a}' | '`' | '\u{00b4}' | '\u{ff07}' => '\'',
            '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}'
            | '\u{2212}' | '\u{fe58}' | '\u{fe63}' | '\u{ff0d}' => '-',
            '\u{00ad}' | '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{2060}' | '\u{feff}' => continue,
            c => c,
        };
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_optional() {
        let t = SourceText::parse("Source: https://a.example/x (taken 2026-12-01)\nBody text.\n");
        assert_eq!(t.url.as_deref(), Some("https://a.example/x"));
        assert_eq!(t.taken.as_deref(), Some("2026-12-01"));
        assert_eq!(t.body, "Body text.\n");
        assert_eq!(SourceText::parse(&t.to_file()), t);

        let bare = SourceText::parse("Source: PTI\nLavrov said.");
        assert_eq!(bare.url, None);
        assert_eq!(bare.body, "Source: PTI\nLavrov said.");
        let bare = SourceText::parse("Follow us on Image Source : PTI");
        assert_eq!(bare.body, "Follow us on Image Source : PTI");
    }

    #[test]
    fn normalising_folds_typography_only() {
        assert_eq!(
            normalise(
                "  \u{201c}We\u{2019}re   ready\u{201d}\n\u{2014} 52\u{2013}64\u{00a0}flights "
            ),
            "\"We're ready\" - 52-64 flights"
        );
        assert_eq!(normalise("Made\u{00ad}in"), "Madein");
        assert_ne!(normalise("India"), normalise("india"));
    }
}
