//! `bilat sources fetch`: downloads each source's page, extracts the article's text and keeps it
//! in the cache of source texts ([`super::text`]) for the quote check ([`super::verify`]).
//!
//! Pages are fetched `concurrency` at a time with a timeout per request and retries with backoff
//! for failures that may pass on a second try, under bilat's own user agent. The article is found
//! by `dom_smoothie`, a port of Mozilla's Readability (the extractor behind Firefox's reader view):
//! news pages carry menus, related-story lists and comment threads whose words would otherwise let
//! a misquote "match". Which sources to fetch and from which URL is decided by the caller.

use super::text::{save, text_path, SourceText};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// The user agent of every request: servers can tell what asked and why.
pub const USER_AGENT: &str = concat!("bilat-sources/", env!("CARGO_PKG_VERSION"));

/// A larger page is not an article; reading it whole would only cost memory.
const MAX_PAGE_BYTES: u64 = 20 << 20;

/// How hard to try.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Requests in flight at once.
    pub concurrency: usize,
    /// The whole of one request, redirects included.
    pub timeout: Duration,
    /// Further tries after a network error, a timeout, HTTP 429 or a 5xx.
    pub retries: u32,
    /// Wait before the first retry; doubled for each further one.
    pub backoff: Duration,
    /// Fetch again sources that already have a text (otherwise they are kept as they are).
    pub refetch: bool,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            concurrency: 8,
            timeout: Duration::from_secs(30),
            retries: 2,
            backoff: Duration::from_millis(500),
            refetch: false,
        }
    }
}

/// One source to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub id: String,
    /// The page to download (the source's URL, or its archived copy when the original is dead).
    pub url: String,
}

/// What fetching one source did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchOutcome {
    /// The article text was written to `path`.
    Saved { path: PathBuf, chars: usize },
    /// A text was already there and `refetch` was off.
    Kept(PathBuf),
    /// Nothing was written; the reason.
    Failed(String),
}

/// Fetches every target, `concurrency` at a time; outcomes in the order given.
pub fn fetch_all(root: &Path, targets: &[Target], opts: &FetchOptions) -> Vec<FetchOutcome> {
    let agent: ureq::Agent = ureq::config::Config::builder()
        .timeout_global(Some(opts.timeout))
        .http_status_as_error(false)
        .max_redirects(10)
        .user_agent(USER_AGENT)
        .build()
        .new_agent();
    let results: Vec<Mutex<Option<FetchOutcome>>> =
        targets.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let workers = opts.concurrency.clamp(1, 64).min(targets.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(t) = targets.get(i) else { break };
                let outcome = fetch_one(&agent, root, t, opts);
                if let Ok(mut slot) = results[i].lock() {
                    *slot = Some(outcome);
                }
            });
        }
    });
    results
        .into_iter()
        .map(|m| {
            m.into_inner()
                .ok()
                .flatten()
                .unwrap_or_else(|| FetchOutcome::Failed("not fetched".into()))
        })
        .collect()
}

fn fetch_one(agent: &ureq::Agent, root: &Path, t: &Target, opts: &FetchOptions) -> FetchOutcome {
    let path = text_path(root, &t.id);
    if !opts.refetch && path.is_file() {
        return FetchOutcome::Kept(path);
    }
    let mut attempt = 0;
    let page = loop {
        let r = download(agent, &t.url);
        let again = matches!(&r, Err(Download::Retry(_)));
        if !again || attempt >= opts.retries {
            break r;
        }
        std::thread::sleep(opts.backoff.saturating_mul(1 << attempt.min(8)));
        attempt += 1;
    };
    let (body, content_type) = match page {
        Ok(p) => p,
        Err(Download::Retry(why) | Download::Final(why)) => return FetchOutcome::Failed(why),
    };
    let text = if content_type.starts_with("text/plain") {
        body
    } else if content_type.is_empty() || content_type.contains("html") {
        match extract_text(&body, &t.url) {
            Ok(t) => t,
            Err(e) => return FetchOutcome::Failed(e),
        }
    } else {
        return FetchOutcome::Failed(format!(
            "the page is {content_type}, not HTML or plain text; save its text by hand as {}",
            path.display()
        ));
    };
    if text.trim().is_empty() {
        return FetchOutcome::Failed("no article text found on the page".into());
    }
    let chars = text.chars().count();
    let file = SourceText {
        url: Some(t.url.clone()),
        taken: Some(jiff::ZonedDateTime::now().date().to_string()),
        body: text,
    };
    match save(root, &t.id, &file) {
        Ok(path) => FetchOutcome::Saved { path, chars },
        Err(e) => FetchOutcome::Failed(format!("cannot write {}: {e}", path.display())),
    }
}

enum Download {
    /// May pass on another try (no answer, 429, 5xx).
    Retry(String),
    Final(String),
}

/// The page's body and content type (lower case, parameters dropped).
fn download(agent: &ureq::Agent, url: &str) -> Result<(String, String), Download> {
    let mut resp = match agent
        .get(url)
        .header("Accept", "text/html,application/xhtml+xml,text/plain;q=0.9")
        .call()
    {
        Ok(r) => r,
        Err(ureq::Error::Timeout(_)) => {
            return Err(Download::Retry("no answer within the timeout".into()))
        }
        Err(ureq::Error::HostNotFound) => return Err(Download::Final("host not found".into())),
        Err(e) => return Err(Download::Retry(e.to_string())),
    };
    let status = resp.status().as_u16();
    if status == 429 || status >= 500 {
        return Err(Download::Retry(format!("HTTP {status}")));
    }
    if !(200..300).contains(&status) {
        return Err(Download::Final(format!("HTTP {status}")));
    }
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let bytes = resp
        .body_mut()
        .with_config()
        .limit(MAX_PAGE_BYTES)
        .read_to_vec()
        .map_err(|e| Download::Retry(format!("reading the page: {e}")))?;
    // Pages that are not UTF-8 are rare among news sites; a lossy decoding keeps their
    // ASCII words comparable rather than failing the source.
    Ok((String::from_utf8_lossy(&bytes).into_owned(), content_type))
}

/// The article's headline and text, one paragraph a line.
pub fn extract_text(html: &str, url: &str) -> Result<String, String> {
    let cfg = dom_smoothie::Config {
        text_mode: dom_smoothie::TextMode::Formatted,
        ..Default::default()
    };
    let mut r = dom_smoothie::Readability::new(html, Some(url), Some(cfg))
        .map_err(|e| format!("cannot read the page: {e}"))?;
    let article = r
        .parse()
        .map_err(|e| format!("no article found on the page: {e}"))?;
    let mut out = String::new();
    let title = article.title.trim();
    if !title.is_empty() {
        out.push_str(title);
        out.push_str("\n\n");
    }
    let mut blank = false;
    for line in article.text_content.lines() {
        let line = line.trim();
        if line.is_empty() {
            blank = !out.is_empty();
            continue;
        }
        if blank {
            out.push('\n');
            blank = false;
        }
        out.push_str(line);
        out.push('\n');
    }
    Ok(out)
}
