//! The citation fields of a source beyond publisher, title and URL, read the way Wikipedia's
//! citation templates read them (`access-date`, `archive-url`, `archive-date`, `url-status`,
//! `language`, `trans-title`): checked once the registry is loaded, and the two derived values
//! the templates show filled in (which URL a reader is sent to first, the language's name).
//!
//! Parsing the registry is [`crate::registry`]'s; showing the entry is the layouts'.

use crate::error::{Diagnostic, Diagnostics};
use crate::registry::{Registry, Source, SourceStatus};

/// Checks every source's citation fields and fills in `link` and `language_name`.
/// `site_language` is site.yaml's `language` (a source in it needs no "in …" note).
pub fn complete(sources: &mut Registry<Source>, site_language: &str, diags: &mut Diagnostics) {
    let site_primary = primary(site_language).to_ascii_lowercase();
    let mut found = Vec::new();
    for s in &mut sources.items {
        let dead = matches!(s.status, Some(SourceStatus::Dead | SourceStatus::Unfit));
        s.link = match (&s.archive_url, dead) {
            (Some(a), true) => a.clone(),
            _ => s.url.clone(),
        };
        s.language_name = None;
        if let Some(tag) = &s.language {
            match language_tags::LanguageTag::parse(tag) {
                Ok(t) if t.is_valid() => {
                    let p = t.primary_language().to_ascii_lowercase();
                    if p != site_primary {
                        s.language_name = Some(language_name(&p).unwrap_or_else(|| tag.clone()));
                    }
                }
                _ => found.push((
                    s.id.clone(),
                    "language",
                    format!("`{tag}` is not a BCP 47 language tag"),
                    "write a tag such as `ru`, `hi`, `gu` or `pt-BR`".to_string(),
                    true,
                )),
            }
        }
        if let Some(a) = &s.archive_url {
            if !(a.starts_with("https://") || a.starts_with("http://")) {
                found.push((
                    s.id.clone(),
                    "archive_url",
                    format!("archive_url `{a}` is not an http(s) URL"),
                    "paste the archived copy's full address".into(),
                    true,
                ));
            }
        }
        if s.archive_date.is_some() && s.archive_url.is_none() {
            found.push((
                s.id.clone(),
                "archive_date",
                "archive_date without archive_url".into(),
                "add the archived copy's address, or remove the date".into(),
                true,
            ));
        }
        if dead && s.archive_url.is_none() {
            found.push((
                s.id.clone(),
                "status",
                format!(
                    "source `{}` is marked {} but has no archived copy",
                    s.id,
                    status_name(s.status)
                ),
                "add `archive_url:` (`bilat check --external` looks one up) so readers can still read it".into(),
                false,
            ));
        }
    }
    for (id, key, message, help, error) in found {
        let line = field_line(sources, &id, key);
        let d = if error {
            Diagnostic::error(&sources.file, line, message)
        } else {
            Diagnostic::warning(&sources.file, line, message)
        };
        diags.push(d.with_help(help));
    }
}

fn status_name(s: Option<SourceStatus>) -> &'static str {
    match s {
        None | Some(SourceStatus::Live) => "live",
        Some(SourceStatus::Dead) => "dead",
        Some(SourceStatus::Paywalled) => "paywalled",
        Some(SourceStatus::Unfit) => "unfit",
    }
}

fn primary(tag: &str) -> &str {
    tag.split(['-', '_']).next().unwrap_or(tag)
}

/// English name of an ISO 639 language code ("ru" → "Russian").
fn language_name(code: &str) -> Option<String> {
    let lang = match code.len() {
        2 => isolang::Language::from_639_1(code),
        3 => isolang::Language::from_639_3(code),
        _ => None,
    }?;
    // ISO 639-3 names some languages with a qualifier ("Modern Greek (1453-)"): keep the name.
    let name = lang.to_name();
    Some(name.split(" (").next().unwrap_or(name).to_string())
}

/// The line of `key:` inside the entry of source `id`, or the entry's first line.
pub fn field_line(sources: &Registry<Source>, id: &str, key: &str) -> Option<usize> {
    let start = entry_line(&sources.text, id)?;
    let prefix = format!("{key}:");
    for (i, line) in sources.text.lines().enumerate().skip(start) {
        let t = line.trim_start();
        if t.starts_with("- ") {
            break;
        }
        if t.starts_with(&prefix) {
            return Some(i + 1);
        }
    }
    Some(start)
}

/// The 1-based line of `- id: <id>` (or of an `id: <id>` line inside an entry).
pub fn entry_line(text: &str, id: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            let t = l.trim_start().trim_start_matches("- ").trim_start();
            t.strip_prefix("id:")
                .map(|v| v.trim().trim_matches(['"', '\'']))
                .is_some_and(|v| v == id)
        })
        .map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    #[test]
    fn language_names() {
        assert_eq!(super::language_name("ru").as_deref(), Some("Russian"));
        assert_eq!(super::language_name("gu").as_deref(), Some("Gujarati"));
        assert_eq!(super::language_name("el").as_deref(), Some("Modern Greek"));
        assert_eq!(super::language_name("zz"), None);
    }
}
