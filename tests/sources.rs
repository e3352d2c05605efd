//! Sources that hold up: quotes checked against the texts of their sources, and
//! `bilat sources fetch` downloading those texts from a local HTTP server (never the internet).

mod common;

use common::{bilat, copy_dir, fixture, stderr};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn site(name: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("site");
    copy_dir(&fixture(&format!("sites_sources/{name}")), &root);
    (tmp, root)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn run(args: &[&str], root: &Path) -> Output {
    let mut a: Vec<&str> = args.to_vec();
    a.extend(["--root", root.to_str().expect("utf8")]);
    bilat(&a)
}

fn write_text(root: &Path, id: &str, text: &str) {
    let dir = root.join(".bilat-cache/sources");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join(format!("{id}.txt")), text).expect("write text");
}

/// An invented article (a third party's article is never committed), laid out as news sites
/// are: navigation, the story, a related-stories box and a footer.
const ARTICLE: &str = r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Minister on grain | Local Wire</title></head>
<body>
<header><nav><a href="/">Home</a> <a href="/world">World</a> <a href="/sport">Sport</a>
<span>Trending: Our ports are closed to every ship, says rival</span></nav></header>
<main><article>
<h1>Minister on grain</h1>
<p class="byline">By A. Reporter, Local Wire</p>
<p>The minister of trade said on Monday that the two countries would expand their exchanges
of farm goods over the rest of the decade, after talks that ran late into the evening.</p>
<p>&ldquo;We have agreed to double the trade in grain &ndash; and to do it by 2030,&rdquo; she
told reporters at the port, adding that officials would meet again in the spring to settle the
details of the first shipments and of the inspections they require.</p>
<p>Asked about shipping, she said: &ldquo;Our ports are open to every ship that flies a
friendly flag.&rdquo; She did not say which flags she had in mind, and her office declined to
comment further on the question when asked the next day.</p>
<p>Traders welcomed the news. Prices of grain futures rose by a small margin in the afternoon,
and analysts said the plan would need new storage at both ends of the route.</p>
</article></main>
<aside><h2>Related stories</h2><ul><li><a href="/a">Ports reopen</a></li><li><a href="/b">Grain prices</a></li></ul></aside>
<footer>&copy; Local Wire. All rights reserved. <a href="/privacy">Privacy</a></footer>
</body></html>"#;

/// A tiny HTTP/1.1 server on 127.0.0.1 counting requests per path and the most in flight at once.
struct Server {
    port: u16,
    hits: Arc<Mutex<HashMap<String, usize>>>,
    agents: Arc<Mutex<Vec<String>>>,
    max_in_flight: Arc<AtomicUsize>,
}

fn serve() -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let port = listener.local_addr().expect("addr").port();
    let server = Server {
        port,
        hits: Arc::default(),
        agents: Arc::default(),
        max_in_flight: Arc::default(),
    };
    let (h, a, m) = (
        server.hits.clone(),
        server.agents.clone(),
        server.max_in_flight.clone(),
    );
    let in_flight = Arc::new(AtomicUsize::new(0));
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (h, a, m, f) = (h.clone(), a.clone(), m.clone(), in_flight.clone());
            std::thread::spawn(move || answer(stream, &h, &a, &f, &m));
        }
    });
    server
}

fn answer(
    mut s: TcpStream,
    hits: &Mutex<HashMap<String, usize>>,
    agents: &Mutex<Vec<String>>,
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
    let head = String::from_utf8_lossy(&buf).into_owned();
    let path = head.split_whitespace().nth(1).unwrap_or("").to_string();
    if let Some(ua) = head.lines().find_map(|l| {
        l.strip_prefix("user-agent: ")
            .or(l.strip_prefix("User-Agent: "))
    }) {
        agents.lock().expect("agents").push(ua.to_string());
    }
    let n = {
        let mut h = hits.lock().expect("hits");
        let n = h.entry(path.clone()).or_insert(0);
        *n += 1;
        *n
    };
    let (status, body) = match path.as_str() {
        "/article" => (200, ARTICLE),
        "/flaky" if n == 1 => (503, "busy"),
        "/flaky" => (200, ARTICLE),
        p if p.starts_with("/slow") => {
            std::thread::sleep(Duration::from_millis(200));
            (200, ARTICLE)
        }
        _ => (404, "not here"),
    };
    let reply = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    in_flight.fetch_sub(1, Ordering::SeqCst);
    let _ = s.write_all(reply.as_bytes());
}

fn with_port(root: &Path, port: u16) {
    let p = root.join("content/_data/sources.yaml");
    let text = std::fs::read_to_string(&p)
        .expect("read")
        .replace("127.0.0.1:PORT", &format!("127.0.0.1:{port}"));
    std::fs::write(&p, text).expect("write");
}

#[test]
fn a_quote_missing_from_its_source_text_fails_the_build_with_the_nearest_passage() {
    let (tmp, root) = site("quotes");
    // A bare text (no header line), with curly quotation marks and an en dash where the page
    // has straight ones and an em dash, and a reporter's comma closing the first quote.
    write_text(
        &root,
        "s1",
        "Minister on grain\n\n\u{201c}We have agreed to double the trade in grain \u{2013} and to do it\n by 2030,\u{201d} she said.\nAsked about shipping, she said: \u{201c}Our ports are open to every ship that flies a neutral flag.\u{201d}\n",
    );
    let out = tmp.path().join("public");
    let o = common::build(&root, &out, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("content/topics/trade.md:9: error: the quote of `minister` is not in the text of source `s1`"),
        "{err}"
    );
    assert!(
        err.contains("nearest passage in .bilat-cache/sources/s1.txt is: \"Our ports are open to every ship that flies a neutral flag.\"\n"),
        "{err}"
    );
    // Only the changed quote fails: the first one matched across the typography.
    assert_eq!(err.matches("is not in the text").count(), 1, "{err}");
    assert!(!out.exists(), "a failed build writes nothing");

    // The same problem from `bilat check`, which also counts.
    let o = run(&["check"], &root);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("trade.md:9: error: the quote of `minister`"),
        "{}",
        stdout(&o)
    );

    // With the text right, both quotes of s1 are verified; s2's has no text and is only counted.
    write_text(
        &root,
        "s1",
        "Source: http://127.0.0.1:1/article (taken 2026-11-03)\n\u{201c}We have agreed to double the trade in grain \u{2013} and to do it by 2030,\u{201d} she said. \u{201c}Our ports are open to every ship that flies a friendly flag.\u{201d}\n",
    );
    let o = run(&["check"], &root);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("2 of 3 quotes verified against their sources"),
        "{}",
        stderr(&o)
    );
    let o = common::build(&root, &out, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn fetch_downloads_article_texts_from_a_local_server() {
    let server = serve();
    let (_tmp, root) = site("quotes");
    with_port(&root, server.port);

    let o = run(&["sources", "fetch"], &root);
    // s2 answers 404: reported, and the command fails, but s1's text is kept.
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("s2: http://127.0.0.1:"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("HTTP 404"), "{}", stderr(&o));
    assert!(stderr(&o).contains("1 fetched, 0 kept"), "{}", stderr(&o));
    assert!(!root.join(".bilat-cache/sources/s2.txt").exists());

    let text = std::fs::read_to_string(root.join(".bilat-cache/sources/s1.txt")).expect("s1 text");
    let first = text.lines().next().unwrap_or("");
    assert!(
        first.starts_with(&format!(
            "Source: http://127.0.0.1:{}/article (taken 20",
            server.port
        )),
        "{first}"
    );
    assert!(
        text.contains("We have agreed to double the trade in grain"),
        "{text}"
    );
    assert!(text.contains("friendly flag"), "{text}");
    // The extractor kept the story and dropped the page's furniture.
    for furniture in [
        "Trending",
        "Related stories",
        "All rights reserved",
        "Privacy",
    ] {
        assert!(!text.contains(furniture), "{furniture} in {text}");
    }
    assert!(server
        .agents
        .lock()
        .expect("agents")
        .iter()
        .all(|a| a.starts_with("bilat-sources/")));

    // The fetched text verifies both quotes of s1.
    let o = run(&["check"], &root);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("2 of 3 quotes verified"),
        "{}",
        stderr(&o)
    );

    // A text already there is kept unless asked to fetch again.
    let hits = server.hits.lock().expect("hits")["/article"];
    let o = run(&["sources", "fetch", "--only", "s1"], &root);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("0 fetched, 1 kept"), "{}", stderr(&o));
    assert_eq!(server.hits.lock().expect("hits")["/article"], hits);
    let o = run(&["sources", "fetch", "--only", "s1", "--refetch"], &root);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(server.hits.lock().expect("hits")["/article"], hits + 1);

    let o = run(&["sources", "fetch", "--only", "s9"], &root);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("no source `s9` to fetch"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn fetch_retries_and_keeps_eight_requests_in_flight() {
    let server = serve();
    let (_tmp, root) = site("quotes");
    let mut reg = String::from(
        "- id: s1\n  publisher: \"P\"\n  title: \"T\"\n  url: \"http://127.0.0.1:PORT/flaky\"\n- id: s2\n  publisher: \"P\"\n  title: \"T\"\n  url: \"http://127.0.0.1:PORT/slow/0\"\n",
    );
    for k in 3..=20 {
        reg.push_str(&format!(
            "- id: s{k}\n  publisher: \"P\"\n  title: \"T\"\n  url: \"http://127.0.0.1:PORT/slow/{k}\"\n"
        ));
    }
    std::fs::write(root.join("content/_data/sources.yaml"), reg).expect("write");
    with_port(&root, server.port);
    let o = run(&["sources", "fetch"], &root);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("20 fetched"), "{}", stderr(&o));
    assert_eq!(
        server.hits.lock().expect("hits")["/flaky"],
        2,
        "one retry after the 503"
    );
    let max = server.max_in_flight.load(Ordering::SeqCst);
    assert!((2..=8).contains(&max), "{max} requests in flight at once");
}

/// The repository site's quotes of s1 are checked against the seed article's text: CI copies it
/// into the cache before the tests; elsewhere the test copies it from beside the repository.
#[test]
fn the_repository_site_quotes_are_verified_against_the_seed_article() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cached = root.join(".bilat-cache/sources/s1.txt");
    if !cached.is_file() {
        let seed = root.join("../shared/seed");
        let text = std::fs::read_dir(&seed).ok().and_then(|d| {
            d.flatten()
                .map(|e| e.path())
                .find(|p| p.extension().is_some_and(|e| e == "txt"))
        });
        match text {
            Some(t) => {
                std::fs::create_dir_all(cached.parent().expect("parent")).expect("mkdir");
                // Copy under another name first: tests running at once never see half a file.
                let tmp = cached.with_extension(format!("tmp{}", std::process::id()));
                std::fs::copy(&t, &tmp).expect("copy seed");
                std::fs::rename(&tmp, &cached).expect("rename");
            }
            None => {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "in CI, .ci/run puts the seed article at {}",
                    cached.display()
                );
                eprintln!("no seed article beside the repository: s1's quotes not checked");
                return;
            }
        }
    }
    // How many of the site's quotes cite s1, read from the pages themselves.
    let mut s1 = 0;
    let mut all = 0;
    for e in walkdir::WalkDir::new(root.join("content"))
        .into_iter()
        .flatten()
    {
        // Translations (`trade.ru.md`) inherit their originals' quotes: counted once.
        let name = e.file_name().to_string_lossy();
        if e.path().extension().is_none_or(|x| x != "md") || name.matches('.').count() > 1 {
            continue;
        }
        let text = std::fs::read_to_string(e.path()).expect("read page");
        let Some(fm) = text
            .strip_prefix("---\n")
            .and_then(|t| t.split_once("\n---").map(|(y, _)| y))
        else {
            continue;
        };
        let v: serde_yaml::Value = serde_yaml::from_str(fm).expect("front matter");
        for q in v
            .get("quotes")
            .and_then(|q| q.as_sequence())
            .into_iter()
            .flatten()
        {
            all += 1;
            s1 += usize::from(q.get("source").and_then(|s| s.as_str()) == Some("s1"));
        }
    }
    assert!(s1 >= 10, "the repository site quotes s1 {s1} times");
    let o = bilat(&[
        "check",
        "--root",
        root.to_str().expect("utf8"),
        "--base-url",
        "https://owner.github.io/repo/",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    // "N of M quotes verified": every quote of s1 at least (a developer may have fetched more).
    let err = stderr(&o);
    let counted = err
        .split_once(" quotes verified against their sources")
        .and_then(|(before, _)| before.rsplit_once("; ").map(|(_, n)| n.to_string()))
        .expect("a quote count in the summary");
    let (verified, total) = counted.split_once(" of ").expect("N of M");
    assert_eq!(total.parse::<usize>().ok(), Some(all), "{err}");
    assert!(
        verified.parse::<usize>().is_ok_and(|v| v >= s1),
        "{s1} of s1 in {err}"
    );
}

/// The quotes fixture with the repository's own layouts, so that the default templates show.
fn site_with_default_layouts() -> (tempfile::TempDir, PathBuf) {
    let (tmp, root) = site("quotes");
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::remove_dir_all(root.join("layouts")).expect("rm layouts");
    // The built-in theme, with the repository's own overrides on top.
    let yaml = std::fs::read_to_string(root.join("site.yaml")).expect("site.yaml");
    std::fs::write(root.join("site.yaml"), yaml.replace("theme: none\n", "")).expect("write");
    for dir in ["layouts", "assets"] {
        if repo.join(dir).is_dir() {
            copy_dir(&repo.join(dir), &root.join(dir));
        }
    }
    (tmp, root)
}

const FIELDS: &str = r#"# Sources with every citation field.
- id: s1
  publisher: "Local Wire"
  title: "Minister on grain"
  date: 2026-11-02
  url: "https://wire.example/grain"
  accessed: 2026-11-20
  archive_url: "https://web.archive.example/web/20261103000000/https://wire.example/grain"
  archive_date: 2026-11-03
- id: s2
  publisher: "Vestnik"
  title: "Ministr o portakh"
  translated_title: "The minister on ports"
  language: ru
  url: "https://vestnik.example/porty"
  status: dead
  archive_url: "https://web.archive.example/web/20261104000000/https://vestnik.example/porty"
  archive_date: 2026-11-04
  note: "state media"
"#;

#[test]
fn sources_show_their_archive_language_and_status_as_wikipedia_does() {
    let (tmp, root) = site_with_default_layouts();
    std::fs::write(root.join("content/_data/sources.yaml"), FIELDS).expect("write");
    let out = tmp.path().join("public");
    let o = common::build(&root, &out, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let page = std::fs::read_to_string(out.join("topics/trade/index.html")).expect("page");
    let doc = scraper::Html::parse_document(&page);
    let entry = |id: &str| {
        let sel = scraper::Selector::parse(&format!("#src-{id}")).expect("selector");
        let el = doc
            .select(&sel)
            .next()
            .unwrap_or_else(|| panic!("no #src-{id}"));
        let text = el.text().collect::<String>();
        let a = scraper::Selector::parse("a").expect("a");
        let links: Vec<String> = el
            .select(&a)
            .filter_map(|a| a.value().attr("href").map(str::to_string))
            .collect();
        (text.split_whitespace().collect::<Vec<_>>().join(" "), links)
    };
    // A live source: the title links to the original, the archive is offered after it.
    let (text, links) = entry("s1");
    assert!(
        text.contains("Archived from the original on 3 November 2026."),
        "{text}"
    );
    assert!(text.contains("Retrieved 20 November 2026."), "{text}");
    assert_eq!(links[0], "https://wire.example/grain");
    assert!(
        links[1].starts_with("https://web.archive.example/"),
        "{links:?}"
    );
    // A dead one links to its archive first; the original is still named.
    let (text, links) = entry("s2");
    assert!(
        text.contains("Ministr o portakh [The minister on ports] (in Russian)"),
        "{text}"
    );
    assert!(
        text.contains("Archived from the original on 4 November 2026."),
        "{text}"
    );
    assert!(
        links[0].starts_with("https://web.archive.example/"),
        "{links:?}"
    );
    assert_eq!(links[1], "https://vestnik.example/porty");
    // The bibliography shows the same entry.
    let bib = std::fs::read_to_string(out.join("sources/index.html")).expect("sources page");
    assert!(bib.contains("(in Russian)"), "{bib}");
    assert!(bib.contains("Archived from"), "{bib}");
}

#[test]
fn unknown_status_and_bad_language_are_errors_with_the_allowed_values() {
    let (tmp, root) = site("quotes");
    let bad = FIELDS
        .replace("status: dead", "status: gone")
        .replace("language: ru", "language: russian_lang");
    std::fs::write(root.join("content/_data/sources.yaml"), &bad).expect("write");
    let o = common::build(&root, &tmp.path().join("public"), &[]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("content/_data/sources.yaml:16:11: error: .[1].status: unknown variant `gone`, expected one of `live`, `dead`, `paywalled`, `unfit`"), "{err}");

    let bad = FIELDS.replace("language: ru", "language: russian_lang");
    std::fs::write(root.join("content/_data/sources.yaml"), &bad).expect("write");
    let o = common::build(&root, &tmp.path().join("public"), &[]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains(
            "content/_data/sources.yaml:14: error: `russian_lang` is not a BCP 47 language tag"
        ),
        "{err}"
    );

    // A dead source with no archived copy builds, with a warning.
    let bad = FIELDS.replace(
        "  archive_url: \"https://web.archive.example/web/20261104000000/https://vestnik.example/porty\"\n  archive_date: 2026-11-04\n",
        "",
    );
    std::fs::write(root.join("content/_data/sources.yaml"), &bad).expect("write");
    let o = common::build(&root, &tmp.path().join("public"), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(
            "sources.yaml:16: warning: source `s2` is marked dead but has no archived copy"
        ),
        "{}",
        stderr(&o)
    );
}

/// A source server and a Wayback-compatible availability API on one local port.
fn serve_archive() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let port = listener.local_addr().expect("addr").port();
    let asked: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = asked.clone();
    std::thread::spawn(move || {
        for mut s in listener.incoming().flatten() {
            let log = log.clone();
            std::thread::spawn(move || {
                let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
                let mut buf = Vec::new();
                let mut chunk = [0u8; 1024];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut chunk) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&buf).into_owned();
                let path = head.split_whitespace().nth(1).unwrap_or("").to_string();
                log.lock().expect("log").push(path.clone());
                let base = format!("http://127.0.0.1:{port}");
                let (status, extra, body) = if let Some(q) =
                    path.strip_prefix("/wayback/available?")
                {
                    let snap = |name: &str, ts: &str| {
                        format!(
                            r#"{{"url":"x","archived_snapshots":{{"closest":{{"status":"200","available":true,"url":"{base}/web/{ts}/{base}/{name}","timestamp":"{ts}"}}}}}}"#
                        )
                    };
                    let body = if q.contains("%2Fgone") {
                        snap("gone", "20261104093000")
                    } else if q.contains("%2Fremoved") {
                        snap("removed", "20250301000000")
                    } else {
                        r#"{"url":"x","archived_snapshots":{}}"#.to_string()
                    };
                    (200, String::new(), body)
                } else {
                    match path.as_str() {
                        "/article" | "/" => (200, String::new(), "page".to_string()),
                        p if p.starts_with("/web/") => (200, String::new(), "copy".to_string()),
                        "/removed" => (302, format!("Location: {base}/\r\n"), String::new()),
                        _ => (404, String::new(), "no".to_string()),
                    }
                };
                let reply = format!(
                    "HTTP/1.1 {status} X\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.write_all(reply.as_bytes());
            });
        }
    });
    (port, asked)
}

const DEAD_SOURCES: &str = r#"# Sources of the fixture; comments and order must survive --fix-archives.
- id: s1
  publisher: "Local Wire"
  title: "Minister on grain"
  date: 2026-11-02
  url: "http://127.0.0.1:PORT/article"

# This one's page was deleted.
- id: s2
  publisher: 'Local Times'   # a weekly
  title: "Minister on ports"
  date: 2026-11-02
  url: "http://127.0.0.1:PORT/gone"
  note: "print edition"
- id: s3
  publisher: "Local Post"
  title: "A story moved to the home page"
  accessed: 2025-02-28
  url: "http://127.0.0.1:PORT/removed"
- id: s4
  publisher: "Local Echo"
  title: "Never archived"
  url: "http://127.0.0.1:PORT/never"
"#;

#[test]
fn dead_sources_meet_their_archive_and_fix_archives_writes_it() {
    let (port, asked) = serve_archive();
    let (_tmp, root) = site("quotes");
    let reg = root.join("content/_data/sources.yaml");
    std::fs::write(&reg, DEAD_SOURCES.replace("PORT", &port.to_string())).expect("write");
    let cfg = root.join("site.yaml");
    let mut site_yaml = std::fs::read_to_string(&cfg).expect("site.yaml");
    site_yaml.push_str(&format!(
        "archive_api: \"http://127.0.0.1:{port}/wayback/available\"\n"
    ));
    std::fs::write(&cfg, site_yaml).expect("write");
    let page = root.join("content/topics/trade.md");
    let text = std::fs::read_to_string(&page).expect("page");
    std::fs::write(&page, text.replace("[@s2].", "[@s2] [@s3] [@s4].")).expect("write");
    let base = format!("http://127.0.0.1:{port}");

    let o = run(&["check", "--external"], &root);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains(&format!("content/_data/sources.yaml:13:9: error: external link `{base}/gone` failed: HTTP 404 (on /repo/topics/trade/)\n  help: source `s2`: the archive's closest copy; paste into its entry")),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "    archive_url: \"{base}/web/20261104093000/{base}/gone\"\n    archive_date: 2026-11-04\n    status: dead"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "external link `{base}/removed` failed: redirects to the site's home page {base}/"
        )),
        "{out}"
    );
    assert!(out.contains("archive_date: 2025-03-01"), "{out}");
    assert!(
        out.contains("sources.yaml:23:9: error: external link")
            && out.contains("help: source `s4`: the archive (http://127.0.0.1:"),
        "{out}"
    );
    assert!(!out.contains("/article`"), "a live source is fine: {out}");
    // The archive was asked near the day each source was cited (its date, or when it was read).
    let log = asked.lock().expect("log").clone();
    assert!(
        log.iter().any(|p| p.contains("%2Fgone&timestamp=20261102")),
        "{log:?}"
    );
    assert!(
        log.iter()
            .any(|p| p.contains("%2Fremoved&timestamp=20250228")),
        "{log:?}"
    );
    assert_eq!(
        std::fs::read_to_string(&reg).expect("read"),
        DEAD_SOURCES.replace("PORT", &port.to_string()),
        "check alone writes nothing"
    );

    // --strict also asks for an archived copy of the live source.
    let o = run(&["check", "--external", "--strict"], &root);
    assert!(
        stdout(&o).contains("sources.yaml:6: error: source `s1` has no archived copy"),
        "{}",
        stdout(&o)
    );

    let o = run(&["check", "--external", "--fix-archives"], &root);
    assert_eq!(o.status.code(), Some(1), "s4 is still dead: {}", stdout(&o));
    assert!(
        stderr(&o).contains("wrote the archived copies of s2, s3 into sources.yaml"),
        "{}",
        stderr(&o)
    );
    let fixed = std::fs::read_to_string(&reg).expect("read");
    let expected = DEAD_SOURCES
        .replace(
            "  url: \"http://127.0.0.1:PORT/gone\"\n",
            "  url: \"http://127.0.0.1:PORT/gone\"\n  archive_url: \"http://127.0.0.1:PORT/web/20261104093000/http://127.0.0.1:PORT/gone\"\n  archive_date: 2026-11-04\n  status: dead\n",
        )
        .replace(
            "  url: \"http://127.0.0.1:PORT/removed\"\n",
            "  url: \"http://127.0.0.1:PORT/removed\"\n  archive_url: \"http://127.0.0.1:PORT/web/20250301000000/http://127.0.0.1:PORT/removed\"\n  archive_date: 2025-03-01\n  status: dead\n",
        )
        .replace("PORT", &port.to_string());
    assert_eq!(fixed, expected);

    // Now only s4 fails, and the site builds with readers sent to the archived copies.
    let o = run(&["check", "--external"], &root);
    let out = stdout(&o);
    assert!(
        !out.contains("/gone`") && !out.contains("/removed`"),
        "{out}"
    );
    assert!(out.contains("/never`"), "{out}");
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn corrections_are_shown_and_move_the_page_updated_date() {
    let (tmp, root) = site_with_default_layouts();
    let page = root.join("content/topics/trade.md");
    let text = std::fs::read_to_string(&page).expect("page");
    let text = text.replacen(
        "title: \"Trade\"\n",
        "title: \"Trade\"\ndate: 2026-11-01\nupdated: 2026-11-05\ncorrections:\n  - date: 2026-11-04\n    text: \"An earlier version gave the year of the target as 2031.\"\n  - date: 2026-11-09\n    text: \"The minister's title was corrected.\"\n",
        1,
    );
    std::fs::write(&page, text).expect("write");
    let out = tmp.path().join("public");
    let o = common::build(&root, &out, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let html = std::fs::read_to_string(out.join("topics/trade/index.html")).expect("page");
    let doc = scraper::Html::parse_document(&html);
    let sel = scraper::Selector::parse("section.corrections li").expect("selector");
    let items: Vec<String> = doc
        .select(&sel)
        .map(|li| li.text().collect::<String>())
        .collect();
    assert_eq!(
        items,
        [
            "9 November 2026: The minister's title was corrected.",
            "4 November 2026: An earlier version gave the year of the target as 2031."
        ]
    );
    // The newest correction is later than `updated`: the page counts as updated then.
    assert!(
        html.contains("Updated <time datetime=2026-11-09>")
            || html.contains("Updated <time datetime=\"2026-11-09\">"),
        "{html}"
    );
    let sitemap = std::fs::read_to_string(out.join("sitemap.xml")).expect("sitemap");
    assert!(sitemap.contains("<lastmod>2026-11-09"), "{sitemap}");

    // A correction without a text is an error at its line.
    let text = std::fs::read_to_string(&page).expect("page");
    std::fs::write(
        &page,
        text.replace("    text: \"The minister's title was corrected.\"\n", ""),
    )
    .expect("write");
    let o = common::build(&root, &out, &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("missing field `text`"),
        "{}",
        stderr(&o)
    );
}
