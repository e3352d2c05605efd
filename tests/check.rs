//! `bilat check`: runs the real binary on fixture sites and checks that each kind of problem is
//! reported at the right file, line and column, that annotations appear under GitHub Actions, that
//! nothing is written, and that `--external` works against a local HTTP server (never the internet).

mod common;

use common::{copy_dir, fixture};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A fresh copy of a fixture site that builds but fails `bilat check`.
fn site(name: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("site");
    copy_dir(&fixture(&format!("sites_check/{name}")), &root);
    (tmp, root)
}

fn check(root: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bilat"));
    cmd.arg("check").arg("--root").arg(root).args(args);
    // The tests may themselves run under GitHub Actions: decide explicitly.
    cmd.env_remove("GITHUB_ACTIONS");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run bilat check")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The problem lines (`file:line[:col]: severity: message`), without help lines.
fn problems(o: &Output) -> Vec<String> {
    stdout(o)
        .lines()
        .filter(|l| !l.starts_with(' ') && !l.starts_with("::") && !l.is_empty())
        .map(str::to_string)
        .collect()
}

fn has(lines: &[String], prefix: &str, needle: &str) -> bool {
    lines
        .iter()
        .any(|l| l.starts_with(prefix) && l.contains(needle))
}

#[test]
fn broken_internal_links_are_reported_where_they_were_written() {
    let (_tmp, root) = site("check-links");
    let o = check(&root, &[], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let p = problems(&o);
    let t = "content/topics/trade.md";
    let expect = [
        (format!("{t}:7:22: error:"), "`/repo/missing/`: nothing is published at /repo/missing/"),
        (format!("{t}:9:33: error:"), "`/elsewhere/` leads outside the base path /repo/"),
        (format!("{t}:11:26: error:"), "/repo/topics/energy/ has no element with id `no-such-id`"),
        (format!("{t}:15:26: error:"), "`/repo/img/nope.png`: nothing is published"),
        (format!("{t}:17:28: error:"), "`#nowhere`: this page has no element with id `nowhere`"),
        (format!("{t}:19:24: error:"), "climbs above the root of the site"),
        // A link written by a template: reported on each page, naming the template line.
        (format!("{t}:1:1: error:"), "`/repo/nowhere/`: nothing is published at /repo/nowhere/ [written by template layouts/base.html:6:49"),
        ("content/topics/energy.md:1:1: error:".to_string(), "written by template layouts/base.html:6:49"),
        // On a generated page, the template itself is the place.
        ("layouts/base.html:6:49: error:".to_string(), "[on /repo/404.html, rendered from 404.html]"),
        ("layouts/404.html:2:44: error:".to_string(), "`topics/` is relative, but 404.html is served at every missing URL"),
    ];
    for (prefix, needle) in &expect {
        assert!(
            has(&p, prefix, needle),
            "missing `{prefix} … {needle}` in:\n{}",
            p.join("\n")
        );
    }
    // Entities are decoded before resolving (`?a=1&amp;b=2#pipelines` is fine), good anchors pass,
    // and the same-page `#overview` and the template's `#src-s1` ids are found.
    assert!(
        !p.iter()
            .any(|l| l.contains("#pipelines") || l.contains("#overview") || l.contains("src-s1")),
        "{}",
        p.join("\n")
    );
    assert!(
        !p.iter()
            .any(|l| l.starts_with("content/topics/energy.md:6")),
        "{}",
        p.join("\n")
    );
    assert_eq!(p.len(), 12, "{}", p.join("\n"));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("12 errors"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        !root.join("public").exists(),
        "check must not write the site"
    );
}

#[test]
fn github_actions_gets_an_annotation_per_problem() {
    let (_tmp, root) = site("check-links");
    let o = check(&root, &[], &[("GITHUB_ACTIONS", "true")]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    let annotations: Vec<&str> = out.lines().filter(|l| l.starts_with("::")).collect();
    assert_eq!(annotations.len(), problems(&o).len(), "{out}");
    assert!(
        annotations.iter().any(|a| a.starts_with(
            "::error file=content/topics/trade.md,line=7,col=22::broken link: `/repo/missing/`"
        )),
        "{out}"
    );
    // Without the variable, no workflow commands.
    let plain = check(&root, &[], &[]);
    assert!(!stdout(&plain).lines().any(|l| l.starts_with("::")));
}

#[test]
fn duplicate_titles_are_errors_at_the_title_line() {
    let (_tmp, root) = site("check-titles");
    let o = check(&root, &[], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let p = problems(&o);
    assert!(
        has(
            &p,
            "content/topics/trade.md:2: error:",
            "title `Trade` is also the title of content/topics/commerce.md"
        ),
        "{}",
        p.join("\n")
    );
    assert_eq!(p.len(), 1, "{}", p.join("\n"));
}

#[test]
fn drafts_and_overdue_items_warn_and_fail_only_when_strict() {
    let (_tmp, root) = site("check-warnings");
    let o = check(&root, &[], &[]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "warnings alone pass: {}",
        stdout(&o)
    );
    let p = problems(&o);
    assert!(
        has(
            &p,
            "content/topics/plans.md:3: warning:",
            "draft: `Plans` is left out"
        ),
        "{}",
        p.join("\n")
    );
    assert!(
        has(
            &p,
            "content/topics/trade.md:5: warning:",
            "expected by May 2001 has passed: A summit"
        ),
        "{}",
        p.join("\n")
    );

    let strict = check(&root, &["--strict"], &[("GITHUB_ACTIONS", "true")]);
    assert_eq!(strict.status.code(), Some(1), "{}", stdout(&strict));
    let p = problems(&strict);
    assert!(
        has(&p, "content/topics/plans.md:3: error:", "draft"),
        "{}",
        p.join("\n")
    );
    assert!(
        has(&p, "content/topics/trade.md:5: error:", "has passed"),
        "{}",
        p.join("\n")
    );
    assert!(
        stdout(&strict).contains("::error file=content/topics/plans.md,line=3::draft"),
        "{}",
        stdout(&strict)
    );
}

#[test]
fn unknown_references_are_reported_like_build_does() {
    let (_tmp, root) = site("check-refs");
    let o = check(&root, &[], &[]);
    assert_eq!(o.status.code(), Some(1));
    let p = problems(&o);
    assert!(
        has(
            &p,
            "content/topics/trade.md:3: error:",
            "cites unknown source `s404`"
        ),
        "{}",
        p.join("\n")
    );
    assert!(
        has(
            &p,
            "content/topics/trade.md:4: error:",
            "related page `nonexistent` does not exist"
        ),
        "{}",
        p.join("\n")
    );
    assert!(!root.join("public").exists());
}

#[test]
fn the_project_site_passes_check() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let o = check(root, &["--base-url", "https://owner.github.io/repo/"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

/// A tiny HTTP/1.1 server on 127.0.0.1 with fixed answers per path, counting requests.
struct Server {
    port: u16,
    hits: Arc<Mutex<HashMap<String, usize>>>,
    max_in_flight: Arc<AtomicUsize>,
}

fn serve() -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let port = listener.local_addr().expect("addr").port();
    let hits: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let in_flight = Arc::new(AtomicUsize::new(0));
    let max_in_flight = Arc::new(AtomicUsize::new(0));
    let (h, f, m) = (hits.clone(), in_flight.clone(), max_in_flight.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (h, f, m) = (h.clone(), f.clone(), m.clone());
            std::thread::spawn(move || answer(stream, &h, &f, &m));
        }
    });
    Server {
        port,
        hits,
        max_in_flight,
    }
}

fn answer(
    mut s: TcpStream,
    hits: &Mutex<HashMap<String, usize>>,
    in_flight: &AtomicUsize,
    max: &AtomicUsize,
) {
    let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    max.fetch_max(now, Ordering::SeqCst);
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let head = String::from_utf8_lossy(&buf);
    let mut words = head.split_whitespace();
    let method = words.next().unwrap_or("").to_string();
    let path = words.next().unwrap_or("").to_string();
    let n = {
        let mut h = hits.lock().expect("hits");
        let n = h.entry(path.clone()).or_insert(0);
        *n += 1;
        *n
    };
    let status = match path.as_str() {
        "/ok" => 200,
        "/head-405" if method == "HEAD" => 405,
        "/head-405" => 200,
        // HEAD and GET both fail on the first try; the retry succeeds.
        "/flaky" if n <= 2 => 503,
        "/flaky" => 200,
        "/forbidden" => 403,
        p if p.starts_with("/slow") => {
            std::thread::sleep(Duration::from_millis(if p == "/slow" { 3000 } else { 150 }));
            200
        }
        _ => 404,
    };
    let body = "ok";
    let reply = format!(
        "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
        body.len(),
        if method == "HEAD" { "" } else { body }
    );
    // Leave the count before answering: once the client has its answer it may open the next
    // connection, which must not overlap this one in the count.
    in_flight.fetch_sub(1, Ordering::SeqCst);
    let _ = s.write_all(reply.as_bytes());
}

fn external_site(port: u16) -> (tempfile::TempDir, PathBuf) {
    let (tmp, root) = site("check-external");
    for file in [
        "content/_data/sources.yaml",
        "content/topics/trade.md",
        "site.yaml",
    ] {
        let p = root.join(file);
        let text = std::fs::read_to_string(&p)
            .expect("read")
            .replace("127.0.0.1:PORT", &format!("127.0.0.1:{port}"));
        std::fs::write(&p, text).expect("write");
    }
    (tmp, root)
}

#[test]
fn external_links_are_checked_against_a_local_server_and_cached() {
    let server = serve();
    let (_tmp, root) = external_site(server.port);
    let base = format!("http://127.0.0.1:{}", server.port);

    // Off by default: no request at all.
    let o = check(&root, &[], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(server.hits.lock().expect("hits").is_empty());

    let o = check(&root, &["--external"], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let p = problems(&o);
    // A source's URL is reported in sources.yaml; a link in Markdown at its line and column.
    assert!(
        has(
            &p,
            "content/_data/sources.yaml:8:9: error:",
            &format!("external link `{base}/missing` failed: HTTP 404")
        ),
        "{}",
        p.join("\n")
    );
    assert!(
        has(
            &p,
            "content/topics/trade.md:9:11: error:",
            &format!("external link `{base}/gone` failed: HTTP 404")
        ),
        "{}",
        p.join("\n")
    );
    assert!(
        has(&p, "content/topics/trade.md:11:", "HTTP 403"),
        "{}",
        p.join("\n")
    );
    assert!(
        p.iter()
            .any(|l| l.contains("HTTP 403") && l.contains(": warning:")),
        "403 only warns: {}",
        p.join("\n")
    );
    for fine in ["/ok", "/head-405", "/flaky"] {
        assert!(
            !p.iter().any(|l| l.contains(&format!("{base}{fine}`"))),
            "{fine} reported: {}",
            p.join("\n")
        );
    }
    assert_eq!(
        p.len(),
        3,
        "every failure at once, each once: {}",
        p.join("\n")
    );
    {
        let hits = server.hits.lock().expect("hits");
        assert_eq!(
            hits.get("/flaky"),
            Some(&3),
            "retried after a 503: {hits:?}"
        );
        assert_eq!(hits.get("/head-405"), Some(&2), "HEAD, then GET: {hits:?}");
    }

    // Links that worked are cached: the second run does not ask for them again.
    let cache =
        std::fs::read_to_string(root.join(".bilat-cache/links.json")).expect("cache written");
    assert!(
        cache.contains(&format!("{base}/ok")) && !cache.contains(&format!("{base}/missing")),
        "{cache}"
    );
    let o = check(&root, &["--external"], &[]);
    assert_eq!(o.status.code(), Some(1));
    let hits = server.hits.lock().expect("hits");
    assert_eq!(
        hits.get("/ok"),
        Some(&1),
        "cached link asked again: {hits:?}"
    );
    assert_eq!(
        hits.get("/missing"),
        Some(&4),
        "failures are not cached: {hits:?}"
    );
}

#[test]
fn external_checks_time_out_and_bound_their_concurrency() {
    use bilat::check::external::{check_urls, ExternalOptions, Outcome};
    let server = serve();
    let base = format!("http://127.0.0.1:{}", server.port);
    let opts = ExternalOptions {
        concurrency: 3,
        timeout: Duration::from_millis(700),
        retries: 0,
        backoff: Duration::from_millis(10),
        cache_ttl: Duration::from_secs(60),
        cache_file: None,
    };
    let slow = check_urls(&[format!("{base}/slow")], &opts);
    assert!(
        matches!(&slow[0], Outcome::Broken(why) if why.contains("timeout")),
        "{slow:?}"
    );

    // A second server, so that the request still sleeping above does not count.
    let server = serve();
    let base = format!("http://127.0.0.1:{}", server.port);
    let urls: Vec<String> = (0..12).map(|i| format!("{base}/slow-{i}")).collect();
    let outcomes = check_urls(&urls, &opts);
    assert_eq!(outcomes.len(), 12);
    assert!(
        outcomes.iter().all(|o| matches!(o, Outcome::Ok(200))),
        "{outcomes:?}"
    );
    let max = server.max_in_flight.load(Ordering::SeqCst);
    assert!(
        (2..=3).contains(&max),
        "{max} requests in flight at once; the bound is 3"
    );
}
