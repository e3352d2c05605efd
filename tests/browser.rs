//! Live reload in a real browser: headless Chromium, driven over WebDriver (chromedriver), keeps a
//! page of `bilat serve` open while the test edits the sources, and sees the page follow with no
//! action by the test. Skips with a message where Chromium or chromedriver is missing, unless
//! BILAT_REQUIRE_BROWSER=1 (CI), where that is a failure.

mod serve_support;

use serde_json::{json, Value};
use serve_support::*;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn find(candidates: &[&str]) -> Option<PathBuf> {
    candidates.iter().map(PathBuf::from).find(|p| p.is_file())
}

/// (chromium, chromedriver), or None after printing why the test is skipped.
fn browser_or_skip(what: &str) -> Option<(PathBuf, PathBuf)> {
    let chromium = find(&[
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]);
    let driver = find(&[
        "/usr/bin/chromedriver",
        "/usr/lib/chromium/chromedriver",
        "/usr/local/bin/chromedriver",
    ]);
    match (chromium, driver) {
        (Some(c), Some(d)) => Some((c, d)),
        _ if std::env::var("BILAT_REQUIRE_BROWSER").as_deref() == Ok("1") => {
            panic!("{what}: chromium and chromedriver are required (BILAT_REQUIRE_BROWSER=1); apt-get install chromium chromium-driver")
        }
        _ => {
            eprintln!("SKIPPED {what}: needs chromium and chromedriver (apt-get install chromium chromium-driver)");
            None
        }
    }
}

/// A chromedriver process and one browser session, both ended on drop.
struct Browser {
    driver: Child,
    addr: String,
    session: String,
}

impl Browser {
    fn start(chromium: &PathBuf, chromedriver: &PathBuf, profile: &std::path::Path) -> Browser {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let addr = format!("127.0.0.1:{port}");
        let mut browser = Browser {
            driver,
            addr,
            session: String::new(),
        };
        let ready = wait_for(Duration::from_secs(30), || {
            std::net::TcpStream::connect(&browser.addr).ok()?;
            let status = browser.call("GET", "/status", None);
            status["value"]["ready"].as_bool().filter(|r| *r)
        });
        assert!(ready.is_some(), "chromedriver did not become ready");
        let caps = json!({
            "capabilities": { "alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {
                    "binary": chromium,
                    "args": [
                        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                        "--disable-dev-shm-usage", "--no-first-run",
                        format!("--user-data-dir={}", profile.display()),
                    ]
                }
            }}
        });
        let created = browser.call("POST", "/session", Some(caps));
        browser.session = created["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {created}"))
            .to_string();
        browser
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let body = body.map(|b| b.to_string());
        let r = http(&self.addr, method, path, body.as_deref());
        serde_json::from_slice(&r.body).unwrap_or(Value::Null)
    }

    fn goto(&self, url: &str) {
        let r = self.call(
            "POST",
            &format!("/session/{}/url", self.session),
            Some(json!({ "url": url })),
        );
        assert!(r["value"].is_null(), "navigate: {r}");
    }

    /// Runs a script in the page and returns its value.
    fn eval(&self, script: &str) -> Value {
        let r = self.call(
            "POST",
            &format!("/session/{}/execute/sync", self.session),
            Some(json!({ "script": script, "args": [] })),
        );
        r["value"].clone()
    }

    /// Polls a script until `ok` accepts its value; only reads the page, never acts on it.
    fn wait(&self, script: &str, timeout: Duration, ok: impl Fn(&Value) -> bool) -> Option<Value> {
        wait_for(timeout, || {
            let v = self.eval(script);
            ok(&v).then_some(v)
        })
    }
}

/// Waits until the open page's live-reload script listens for rebuilds; an edit before that
/// could be missed by the page, not by the server.
fn wait_connected(b: &Browser, why: &str) {
    let connected = b.wait(
        "return window.__bilatConnected === true;",
        Duration::from_secs(10),
        |v| v == &json!(true),
    );
    assert!(connected.is_some(), "{why}");
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self.call("DELETE", &format!("/session/{}", self.session), None);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

const CONTENT: &str = "var c=document.getElementById('content');return c?c.textContent:null;";
const OVERLAY: &str = "var o=document.getElementById('bilat-errors');return o?o.textContent:null;";

#[test]
fn an_open_page_follows_edits_in_chromium() {
    let Some((chromium, chromedriver)) = browser_or_skip("live reload in Chromium") else {
        return;
    };
    let s = Server::start("serve-basic", &[]);
    let profile = s.tmp.path().join("chrome-profile");
    let b = Browser::start(&chromium, &chromedriver, &profile);
    b.goto(&format!("{}topics/trade/", s.url));
    let first = b.wait(CONTENT, Duration::from_secs(10), |v| {
        v.as_str()
            .is_some_and(|t| t.contains("MARKER-TRADE-ORIGINAL"))
    });
    assert!(
        first.is_some(),
        "page did not load: {}",
        b.eval("return document.documentElement.outerHTML")
    );
    // Wait until the page listens for rebuilds before editing.
    wait_connected(&b, "the live-reload script did not connect");

    // An edit: the open page reloads by itself.
    edit(
        &s.file("content/topics/trade.md"),
        "MARKER-TRADE-ORIGINAL",
        "MARKER-TRADE-LIVE",
    );
    let changed = b.wait(CONTENT, Duration::from_secs(5), |v| {
        v.as_str().is_some_and(|t| t.contains("MARKER-TRADE-LIVE"))
    });
    assert!(
        changed.is_some(),
        "the page text did not change\n{}",
        s.bilat.output_text()
    );

    // A broken edit: an overlay with the file and line appears over the last good page.
    wait_connected(&b, "the reloaded page did not reconnect");
    edit(
        &s.file("content/topics/trade.md"),
        "title: \"Trade\"",
        "title: [unclosed",
    );
    let overlay = b.wait(OVERLAY, Duration::from_secs(5), |v| {
        v.as_str()
            .is_some_and(|t| t.contains("content/topics/trade.md:2"))
    });
    assert!(
        overlay.is_some(),
        "no error overlay\n{}",
        s.bilat.output_text()
    );
    assert!(
        b.eval(CONTENT)
            .as_str()
            .is_some_and(|t| t.contains("MARKER-TRADE-LIVE")),
        "the last good page stays"
    );

    // Fixed: the overlay goes and the page shows the fix.
    edit(
        &s.file("content/topics/trade.md"),
        "title: [unclosed",
        "title: \"Trade fixed\"",
    );
    let fixed = b.wait("var h=document.getElementById('title');return [document.getElementById('bilat-errors')===null, h?h.textContent:null];", Duration::from_secs(5), |v| v == &json!([true, "Trade fixed"]));
    assert!(
        fixed.is_some(),
        "overlay did not clear\n{}",
        s.bilat.output_text()
    );

    // A CSS-only change restyles the page without reloading it.
    wait_connected(&b, "the reloaded page did not reconnect");
    b.eval("window.__bilatNoReload = 1; return null;");
    write(
        &s.file("assets/css/site.css"),
        "body { color: rgb(1, 2, 3); }\n",
    );
    let styled = b.wait(
        "return [getComputedStyle(document.body).color, window.__bilatNoReload || 0];",
        Duration::from_secs(5),
        |v| v == &json!(["rgb(1, 2, 3)", 1]),
    );
    assert!(
        styled.is_some(),
        "stylesheet not swapped in place: {}",
        b.eval("return [getComputedStyle(document.body).color, window.__bilatNoReload || 0]")
    );
}

/// A copy of fixture `name` with the repository's layouts and assets beside its content (the
/// fixture holds only site.yaml and content/), for tests of what the default layouts do.
fn with_repository_layouts(name: &str) -> (tempfile::TempDir, PathBuf) {
    let (tmp, root) = site_copy(name);
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    for dir in ["layouts", "assets"] {
        if repo.join(dir).is_dir() && !root.join(dir).exists() {
            copy_tree(&repo.join(dir), &root.join(dir));
        }
    }
    (tmp, root)
}

fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.expect("walk");
        let dest = to.join(entry.path().strip_prefix(from).expect("prefix"));
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).expect("mkdir");
        } else {
            std::fs::copy(entry.path(), &dest).expect("copy");
        }
    }
}

/// The index files of a built site's search directory, as `bilat::search::plan` reads them.
fn index_files(out: &std::path::Path) -> Vec<bilat::search::IndexFile> {
    let dir = out.join("search");
    walkdir::WalkDir::new(&dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "json"))
        .map(|e| bilat::search::IndexFile {
            path: e
                .path()
                .strip_prefix(&dir)
                .expect("prefix")
                .to_string_lossy()
                .replace('\\', "/"),
            bytes: std::fs::read(e.path()).expect("read"),
        })
        .collect()
}

/// Types into the search box as a reader does, one WebDriver key event per character.
fn type_query(b: &Browser, text: &str) {
    let found = b.call(
        "POST",
        &format!("/session/{}/element", b.session),
        Some(json!({ "using": "css selector", "value": "#q" })),
    );
    let id = found["value"]
        .as_object()
        .and_then(|o| o.values().next())
        .and_then(|v| v.as_str())
        .unwrap_or_else(|| panic!("no search box: {found}"))
        .to_string();
    let r = b.call(
        "POST",
        &format!("/session/{}/element/{id}/value", b.session),
        Some(json!({ "text": text })),
    );
    assert!(r["value"].is_null(), "typing: {r}");
}

/// [status text, [result titles…]] of the search page.
const RESULTS: &str = "var s=document.getElementById('search-status');return [s?s.textContent:null, Array.from(document.querySelectorAll('#results li a')).map(function(a){return a.textContent;})];";
/// The index files the page fetched, relative to the index directory, with their sizes.
const FETCHED: &str = "return performance.getEntriesByType('resource').filter(function(e){return e.name.indexOf('/search/')>=0 && /\\.json(\\?|$)/.test(e.name);}).map(function(e){var p=new URL(e.name).pathname;return [p.slice(p.indexOf('/search/')+8), e.encodedBodySize];});";

#[test]
fn search_finds_russian_words_ranked_in_chromium() {
    let Some((chromium, chromedriver)) = browser_or_skip("search in Chromium") else {
        return;
    };
    let (tmp, root) = with_repository_layouts("search-ru");
    let built = tmp.path().join("built");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_bilat"))
        .args(["build", "--root", root.to_str().expect("utf8"), "--output"])
        .arg(&built)
        .output()
        .expect("run bilat");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let files = index_files(&built);
    // Without JavaScript the page lists every topic (server-rendered).
    let page = std::fs::read_to_string(built.join("search/index.html")).expect("search page");
    for title in ["Торговля", "Энергетика", "Оборона", "दिल्ली"]
    {
        assert!(
            page.contains(title),
            "{title} missing from the no-script list"
        );
    }

    let s = Server::start_in(tmp, root, &[]);
    let profile = s.tmp.path().join("chrome-profile");
    let b = Browser::start(&chromium, &chromedriver, &profile);
    b.goto(&format!("{}search/", s.url));
    // The genitive «торговли» finds the topic titled «Торговля» first (stem and title weight),
    // then the one that speaks of «торговле» in its body; upper case is folded.
    type_query(&b, "ТОРГОВЛИ");
    let found = b.wait(RESULTS, Duration::from_secs(10), |v| {
        v[0].as_str().is_some_and(|t| t.contains("ТОРГОВЛИ"))
    });
    assert_eq!(
        found.as_ref().map(|v| v[1].clone()),
        Some(json!(["Торговля", "Энергетика"])),
        "{found:?}"
    );
    assert!(found.is_some_and(|v| v[0].as_str().is_some_and(|t| t.starts_with("2 "))));
    // The browser fetched exactly the files the Rust model of the page plans for the query.
    let fetched = b.eval(FETCHED);
    let mut paths: Vec<String> = fetched
        .as_array()
        .expect("resources")
        .iter()
        .map(|e| e[0].as_str().expect("path").to_string())
        .collect();
    paths.sort();
    let (mut planned, _) = bilat::search::plan(&files, "ТОРГОВЛИ");
    planned.sort();
    assert_eq!(paths, planned);

    // A second word narrows the results (both must match); the last word is a prefix while typed.
    type_query(&b, " нефт");
    let narrowed = b.wait(RESULTS, Duration::from_secs(10), |v| {
        v[0].as_str().is_some_and(|t| t.contains("нефт"))
    });
    assert_eq!(narrowed.map(|v| v[1].clone()), Some(json!(["Энергетика"])));

    // Devanagari, and a word found nowhere.
    b.goto(&format!(
        "{}search/?q=%E0%A4%B5%E0%A5%8D%E0%A4%AF%E0%A4%BE%E0%A4%AA%E0%A4%BE%E0%A4%B0",
        s.url
    ));
    let hindi = b.wait(RESULTS, Duration::from_secs(10), |v| {
        v[1].as_array().is_some_and(|a| a.len() == 1)
    });
    assert_eq!(hindi.map(|v| v[1].clone()), Some(json!(["दिल्ली"])));
    b.goto(&format!("{}search/?q=zzzz", s.url));
    let none = b.wait(RESULTS, Duration::from_secs(10), |v| {
        v[0].as_str().is_some_and(|t| t.starts_with("No results"))
    });
    assert!(none.is_some_and(|v| v[1] == json!([])), "no empty result");
}
