//! Dead links meet their archive: for a source whose URL is gone (404, 410, a host that no longer
//! exists, a redirect to the site's home page: found by `bilat check --external`), a
//! Wayback-compatible availability API is asked for the snapshot closest to the day the source was
//! cited, and `--fix-archives` writes what it found into sources.yaml.
//!
//! The API is the Wayback Machine's shape: `GET <endpoint>?url=<url>&timestamp=<YYYYMMDD>`
//! answering `{"archived_snapshots": {"closest": {"available": true, "url": …, "timestamp": …}}}`.
//! sources.yaml is edited as text, line by line, so that its comments, order and quoting stay as
//! the author wrote them; the edited text is parsed again before it is written.
//! Turning the findings into diagnostics is the check's ([`crate::check`]).

use super::fields::entry_line;
use crate::registry::{Source, SourceStatus};
use crate::text::PartialDate;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// The Wayback Machine's availability API, used unless site.yaml names another.
pub const DEFAULT_API: &str = "https://archive.org/wayback/available";

/// An archived copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub url: String,
    /// The day it was taken.
    pub date: PartialDate,
}

impl Snapshot {
    /// The lines to paste into the source's entry.
    pub fn paste(&self) -> String {
        format!(
            "archive_url: \"{}\"\narchive_date: {}\nstatus: dead",
            self.url,
            self.date.iso()
        )
    }
}

/// What asking the archive about one URL found: `Ok(None)` when it has no copy.
pub type Lookup = Result<Option<Snapshot>, String>;

/// The agent the archive is asked with.
pub fn agent(timeout: Duration) -> ureq::Agent {
    ureq::config::Config::builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .max_redirects(10)
        .user_agent(concat!("bilat-link-check/", env!("CARGO_PKG_VERSION")))
        .build()
        .new_agent()
}

/// The closest snapshot of each source, `concurrency` requests at a time, in the order given:
/// `Ok(None)` when the archive has none, `Err` when it could not be asked.
pub fn closest_all(
    sources: &[&Source],
    api: &str,
    timeout: Duration,
    concurrency: usize,
) -> Vec<Lookup> {
    let agent = agent(timeout);
    let slots: Vec<Mutex<Option<Lookup>>> = sources.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let workers = concurrency.clamp(1, 64).min(sources.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(src) = sources.get(i) else { break };
                let r = closest(&agent, api, &src.url, cited_on(src).as_deref());
                if let Ok(mut slot) = slots[i].lock() {
                    *slot = Some(r);
                }
            });
        }
    });
    slots
        .into_iter()
        .map(|m| {
            m.into_inner()
                .ok()
                .flatten()
                .unwrap_or_else(|| Err("not asked".into()))
        })
        .collect()
}

/// The day to look for a snapshot near: when the source was read, else its date.
fn cited_on(s: &Source) -> Option<String> {
    s.accessed.or(s.date).map(|d| d.iso().replace('-', ""))
}

/// Asks the availability API for the snapshot of `url` closest to `timestamp` (`YYYYMMDD`).
pub fn closest(
    agent: &ureq::Agent,
    api: &str,
    url: &str,
    timestamp: Option<&str>,
) -> Result<Option<Snapshot>, String> {
    use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
    let mut q = format!("{api}?url={}", utf8_percent_encode(url, NON_ALPHANUMERIC));
    if let Some(t) = timestamp {
        q.push_str("&timestamp=");
        q.push_str(t);
    }
    let mut resp = agent
        .get(&q)
        .call()
        .map_err(|e| format!("the archive did not answer: {e}"))?;
    let status = resp.status().as_u16();
    if status != 200 {
        return Err(format!("the archive answered HTTP {status}"));
    }
    let body = resp
        .body_mut()
        .with_config()
        .limit(1 << 20)
        .read_to_string()
        .map_err(|e| format!("reading the archive's answer: {e}"))?;
    parse_availability(&body)
}

/// Reads an availability answer; `Ok(None)` when it names no usable snapshot.
pub fn parse_availability(body: &str) -> Result<Option<Snapshot>, String> {
    let v: serde_json::Value =
        serde_json::from_str(body).map_err(|e| format!("the archive's answer is not JSON: {e}"))?;
    let Some(c) = v.pointer("/archived_snapshots/closest") else {
        return Ok(None);
    };
    // `available` is a boolean in the API, but a string in some mirrors.
    let available = match c.get("available") {
        Some(serde_json::Value::Bool(b)) => *b,
        Some(serde_json::Value::String(s)) => s == "true",
        _ => true,
    };
    let ok_status = c
        .get("status")
        .and_then(|s| s.as_str())
        .is_none_or(|s| s.starts_with('2'));
    let (Some(url), Some(ts)) = (
        c.get("url").and_then(|u| u.as_str()),
        c.get("timestamp").and_then(|t| t.as_str()),
    ) else {
        return Ok(None);
    };
    if !available || !ok_status {
        return Ok(None);
    }
    let date = ts
        .get(..8)
        .map(|d| format!("{}-{}-{}", &d[..4], &d[4..6], &d[6..8]))
        .and_then(|d| PartialDate::parse(&d).ok())
        .ok_or_else(|| format!("the archive's timestamp `{ts}` is not a date"))?;
    // The API answers http:// links; the archive serves the same copies over https.
    let url = match url.strip_prefix("http://web.archive.org/") {
        Some(rest) => format!("https://web.archive.org/{rest}"),
        None => url.to_string(),
    };
    Ok(Some(Snapshot { url, date }))
}

/// sources.yaml with `archive_url`, `archive_date` and `status: dead` set for each of `fixes`,
/// every other line as it was. `Err` names a source whose entry cannot be edited as text.
pub fn fix_archives(text: &str, fixes: &[(&str, &Snapshot)]) -> Result<String, String> {
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for (id, snap) in fixes {
        let start = entry_line(&lines.join("\n"), id)
            .ok_or_else(|| format!("no `- id: {id}` line for source `{id}`"))?
            - 1;
        if lines[start].contains('{') {
            return Err(format!(
                "source `{id}` is written on one line ({{ … }}); add its archive by hand"
            ));
        }
        // The entry runs to the next item of the list; its keys share one indentation.
        let end = (start + 1..lines.len())
            .find(|&i| lines[i].trim_start().starts_with("- ") || indent(&lines[i]) == Some(0))
            .unwrap_or(lines.len());
        let key_indent = (start + 1..end)
            .filter_map(|i| indent(&lines[i]).filter(|_| !lines[i].trim_start().starts_with('#')))
            .next()
            .unwrap_or_else(|| lines[start].find("id:").unwrap_or(2));
        let pad = " ".repeat(key_indent);
        let values = [
            (
                "archive_url",
                format!("\"{}\"", snap.url.replace('"', "%22")),
            ),
            ("archive_date", snap.date.iso()),
            ("status", "dead".to_string()),
        ];
        // After `url:` if the entry has one, else after its last key.
        let mut after = (start..end)
            .find(|&i| key_of(&lines[i]) == Some("url"))
            .unwrap_or_else(|| {
                (start..end)
                    .rev()
                    .find(|&i| key_of(&lines[i]).is_some())
                    .unwrap_or(start)
            });
        let mut end = end;
        for (key, value) in values {
            match (start..end).find(|&i| key_of(&lines[i]) == Some(key)) {
                Some(i) => {
                    // A trailing comment stays, with the spaces before it.
                    let keep_comment = lines[i]
                        .find(" #")
                        .map(|c| lines[i][lines[i][..c].trim_end().len()..].to_string())
                        .unwrap_or_default();
                    let own = indent(&lines[i]).unwrap_or(key_indent);
                    lines[i] = format!("{}{key}: {value}{keep_comment}", " ".repeat(own));
                    after = i;
                }
                None => {
                    lines.insert(after + 1, format!("{pad}{key}: {value}"));
                    after += 1;
                    end += 1;
                }
            }
        }
    }
    let mut out = lines.join(newline);
    if text.ends_with('\n') {
        out.push_str(newline);
    }
    // The edit must leave a registry that parses to the same sources plus the new fields.
    let parsed: Vec<Source> =
        serde_yaml::from_str(&out).map_err(|e| format!("the edited file does not parse: {e}"))?;
    for (id, snap) in fixes {
        let ok = parsed.iter().any(|s| {
            s.id == *id
                && s.archive_url.as_deref() == Some(snap.url.as_str())
                && s.archive_date == Some(snap.date)
                && s.status == Some(SourceStatus::Dead)
        });
        if !ok {
            return Err(format!("the edit of source `{id}` did not take"));
        }
    }
    Ok(out)
}

/// Leading spaces of a line with content; `None` for blank lines.
fn indent(line: &str) -> Option<usize> {
    let t = line.trim_start_matches(' ');
    (!t.is_empty()).then(|| line.len() - t.len())
}

/// The key of a `key: value` line inside an entry (the first entry line's key after `- `).
fn key_of(line: &str) -> Option<&str> {
    let t = line.trim_start().trim_start_matches("- ").trim_start();
    if t.starts_with('#') {
        return None;
    }
    let (k, _) = t.split_once(':')?;
    (!k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')).then_some(k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn availability_answers() {
        let s = parse_availability(r#"{"url":"example.com/a","archived_snapshots":{"closest":{"status":"200","available":true,"url":"http://web.archive.org/web/20231227103015/https://example.com/a","timestamp":"20231227103015"}}}"#).expect("parse");
        assert_eq!(
            s,
            Some(Snapshot {
                url: "https://web.archive.org/web/20231227103015/https://example.com/a".into(),
                date: PartialDate::parse("2023-12-27").expect("date"),
            })
        );
        assert_eq!(
            parse_availability(r#"{"url":"x","archived_snapshots":{}}"#),
            Ok(None)
        );
        assert!(parse_availability("<html>").is_err());
    }

    #[test]
    fn fixing_keeps_comments_order_and_quoting() {
        let text = "# Sources.\n\n- id: s1\n  publisher: 'A'   # wire\n  title: \"T\"\n  url: \"https://a.example/x\"\n  note: n\n\n# The second one.\n- id: s2\n  publisher: B\n  title: U\n  url: https://b.example/y\n  archive_url: ~  # none yet\n";
        let snap = Snapshot {
            url: "https://web.archive.org/web/2023/https://b.example/y".into(),
            date: PartialDate::parse("2023-12-01").expect("date"),
        };
        let out = fix_archives(text, &[("s2", &snap)]).expect("fix");
        assert_eq!(
            out,
            "# Sources.\n\n- id: s1\n  publisher: 'A'   # wire\n  title: \"T\"\n  url: \"https://a.example/x\"\n  note: n\n\n# The second one.\n- id: s2\n  publisher: B\n  title: U\n  url: https://b.example/y\n  archive_url: \"https://web.archive.org/web/2023/https://b.example/y\"  # none yet\n  archive_date: 2023-12-01\n  status: dead\n"
        );
        let out = fix_archives(text, &[("s1", &snap)]).expect("fix");
        assert!(out.contains("  url: \"https://a.example/x\"\n  archive_url: \"https://web.archive.org/web/2023/https://b.example/y\"\n  archive_date: 2023-12-01\n  status: dead\n  note: n\n"), "{out}");
        assert!(fix_archives(
            "- { id: s1, publisher: A, title: T, url: u }\n",
            &[("s1", &snap)]
        )
        .is_err());
    }
}
