//! `bilat check --external`: checks http(s) links with bounded concurrency, a timeout per request,
//! retries with backoff for failures that may pass on a second try, and an on-disk cache of links
//! that worked, so that a CI run does not hit every source's server on every push.
//!
//! Only successes are cached: a broken link is checked again on every run until it is fixed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Where the cache lives, relative to the site root (gitignored).
pub const CACHE_FILE: &str = ".bilat-cache/links.json";

/// How hard to try.
#[derive(Debug, Clone)]
pub struct ExternalOptions {
    /// Requests in flight at once.
    pub concurrency: usize,
    /// The whole of one request, redirects included.
    pub timeout: Duration,
    /// Further tries after a network error, a timeout, HTTP 429 or a 5xx.
    pub retries: u32,
    /// Wait before the first retry; doubled for each further one.
    pub backoff: Duration,
    /// How long a link that worked is trusted without asking again.
    pub cache_ttl: Duration,
    /// `None` disables the cache.
    pub cache_file: Option<PathBuf>,
}

impl ExternalOptions {
    /// Defaults for a site root: a polite crawl that still finishes in CI.
    pub fn for_root(root: &Path) -> Self {
        ExternalOptions {
            concurrency: 8,
            timeout: Duration::from_secs(20),
            retries: 2,
            backoff: Duration::from_millis(500),
            cache_ttl: Duration::from_secs(7 * 24 * 3600),
            cache_file: Some(root.join(CACHE_FILE)),
        }
    }
}

/// What checking one URL found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The server answered with this success status (after redirects), or the cache said so.
    Ok(u16),
    /// The server refuses robots (401, 403, 429 after retries): the link may well work in a browser.
    Unverified(String),
    /// A server error, or no answer: it may work another time.
    Broken(String),
    /// Gone for good: HTTP 404 or 410, a host that no longer exists, or a redirect from an
    /// article to the site's home page (how news sites answer for a story they removed).
    Gone(String),
}

#[derive(serde::Serialize, serde::Deserialize, Default)]
struct Cache {
    version: u32,
    /// URL → when it last worked.
    links: BTreeMap<String, CacheEntry>,
}

#[derive(serde::Serialize, serde::Deserialize, Clone, Copy)]
struct CacheEntry {
    status: u16,
    /// Seconds since the Unix epoch.
    checked: u64,
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn load_cache(path: &Path) -> Cache {
    // A missing or corrupt cache only costs time: start afresh rather than fail the check.
    std::fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice::<Cache>(&b).ok())
        .filter(|c| c.version == 1)
        .unwrap_or_default()
}

fn save_cache(path: &Path, cache: &Cache) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let bytes = serde_json::to_vec_pretty(cache).map_err(std::io::Error::other)?;
    // Write then rename, so that two checks running at once never leave half a file.
    let tmp = path.with_extension(format!("json.tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

/// Checks every URL (each once), `concurrency` at a time. Returns outcomes in the order given.
pub fn check_urls(urls: &[String], opts: &ExternalOptions) -> Vec<Outcome> {
    let mut cache = opts
        .cache_file
        .as_deref()
        .map(load_cache)
        .unwrap_or_default();
    cache.version = 1;
    let now = now_secs();
    let fresh = |url: &str| {
        cache
            .links
            .get(url)
            .filter(|e| now.saturating_sub(e.checked) < opts.cache_ttl.as_secs())
            .map(|e| e.status)
    };
    let results: Vec<Mutex<Option<Outcome>>> = urls
        .iter()
        .map(|u| Mutex::new(fresh(u).map(Outcome::Ok)))
        .collect();
    let todo: Vec<usize> = (0..urls.len())
        .filter(|&i| results[i].lock().map(|r| r.is_none()).unwrap_or(true))
        .collect();

    let agent: ureq::Agent = ureq::config::Config::builder()
        .timeout_global(Some(opts.timeout))
        .http_status_as_error(false)
        .max_redirects(10)
        .user_agent(concat!("bilat-link-check/", env!("CARGO_PKG_VERSION")))
        .build()
        .new_agent();
    let next = AtomicUsize::new(0);
    let workers = opts.concurrency.clamp(1, 64).min(todo.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let Some(&i) = todo.get(k) else { break };
                let outcome = check_one(&agent, &urls[i], opts);
                if let Ok(mut slot) = results[i].lock() {
                    *slot = Some(outcome);
                }
            });
        }
    });

    let outcomes: Vec<Outcome> = results
        .into_iter()
        .map(|m| {
            m.into_inner()
                .ok()
                .flatten()
                .unwrap_or_else(|| Outcome::Broken("not checked".into()))
        })
        .collect();
    if let Some(path) = &opts.cache_file {
        for &i in &todo {
            if let Outcome::Ok(status) = outcomes[i] {
                cache.links.insert(
                    urls[i].clone(),
                    CacheEntry {
                        status,
                        checked: now,
                    },
                );
            }
        }
        // Failing to save the cache makes the next run slower, not wrong.
        let _ = save_cache(path, &cache);
    }
    outcomes
}

/// One request's result before classification.
enum Answer {
    Status(u16),
    /// A success that landed on the site's home page instead of the page asked for.
    Home(String),
    Failed(String),
    NoHost,
}

fn request(agent: &ureq::Agent, url: &str, head: bool) -> Answer {
    let r = if head {
        agent.head(url).call()
    } else {
        agent.get(url).call()
    };
    match r {
        // The body is dropped unread: only the status and where it ended matter.
        Ok(resp) => {
            use ureq::ResponseExt;
            let status = resp.status().as_u16();
            let landed = resp.get_uri().to_string();
            if (200..400).contains(&status) && redirected_home(url, &landed) {
                Answer::Home(landed)
            } else {
                Answer::Status(status)
            }
        }
        Err(ureq::Error::Timeout(_)) => Answer::Failed("no answer within the timeout".into()),
        Err(ureq::Error::HostNotFound) => Answer::NoHost,
        Err(ureq::Error::TooManyRedirects) => Answer::Failed("too many redirects".into()),
        Err(e) => Answer::Failed(e.to_string()),
    }
}

fn retryable(a: &Answer) -> bool {
    match a {
        Answer::Status(s) => *s == 429 || *s >= 500,
        Answer::Home(_) | Answer::NoHost => false,
        Answer::Failed(_) => true,
    }
}

/// Whether a request for a page below a site's root ended on the bare root.
pub fn redirected_home(asked: &str, landed: &str) -> bool {
    let path = |u: &str| -> String {
        let rest = u.split_once("://").map_or(u, |(_, r)| r);
        let p = rest.find('/').map_or("", |i| &rest[i..]);
        p.split(['?', '#'])
            .next()
            .unwrap_or("")
            .trim_end_matches('/')
            .to_string()
    };
    !path(asked).is_empty() && path(landed).is_empty()
}

fn check_one(agent: &ureq::Agent, url: &str, opts: &ExternalOptions) -> Outcome {
    let mut attempt = 0;
    let answer = loop {
        // HEAD is cheap, but many servers answer it wrongly (405, 404, 403): confirm with GET.
        let mut a = request(agent, url, true);
        if !matches!(a, Answer::Status(200..=399)) {
            a = request(agent, url, false);
        }
        if attempt >= opts.retries || !retryable(&a) {
            break a;
        }
        std::thread::sleep(opts.backoff.saturating_mul(1 << attempt.min(8)));
        attempt += 1;
    };
    match answer {
        Answer::Status(s @ 200..=399) => Outcome::Ok(s),
        Answer::Status(s @ (401 | 403 | 429 | 999)) => Outcome::Unverified(format!(
            "HTTP {s}: the server refuses automated requests; check it in a browser"
        )),
        Answer::Status(s @ (404 | 410)) => Outcome::Gone(format!("HTTP {s}")),
        Answer::Status(s) => Outcome::Broken(format!("HTTP {s}")),
        Answer::Home(to) => Outcome::Gone(format!("redirects to the site's home page {to}")),
        Answer::NoHost => Outcome::Gone("host not found".into()),
        Answer::Failed(why) => Outcome::Broken(why),
    }
}
