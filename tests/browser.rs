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
        Browser::start_with(chromium, chromedriver, profile, &[], json!({}))
    }

    /// A session with more Chromium arguments and `goog:chromeOptions` fields (mobile emulation).
    /// A 1280 × 900 window with no other settings.
    fn desktop(chromium: &PathBuf, chromedriver: &PathBuf, profile: &std::path::Path) -> Browser {
        Browser::start_with(
            chromium,
            chromedriver,
            profile,
            &["--window-size=1280,900"],
            json!({}),
        )
    }

    fn start_with(
        chromium: &PathBuf,
        chromedriver: &PathBuf,
        profile: &std::path::Path,
        args: &[&str],
        options: Value,
    ) -> Browser {
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
        let mut chrome_args: Vec<String> = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-dev-shm-usage",
            "--no-first-run",
        ]
        .iter()
        .chain(args)
        .map(|a| a.to_string())
        .collect();
        chrome_args.push(format!("--user-data-dir={}", profile.display()));
        let mut chrome = json!({ "binary": chromium, "args": chrome_args });
        if let (Some(c), Some(extra)) = (chrome.as_object_mut(), options.as_object()) {
            c.extend(extra.clone());
        }
        let caps = json!({
            "capabilities": { "alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": chrome
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

    /// Runs a script in the page with arguments and returns its value.
    fn eval_with(&self, script: &str, args: Value) -> Value {
        let r = self.call(
            "POST",
            &format!("/session/{}/execute/sync", self.session),
            Some(json!({ "script": script, "args": args })),
        );
        r["value"].clone()
    }

    /// Runs a script that calls its last argument with its result.
    fn eval_async(&self, script: &str) -> Value {
        let r = self.call(
            "POST",
            &format!("/session/{}/execute/async", self.session),
            Some(json!({ "script": script, "args": [] })),
        );
        r["value"].clone()
    }

    /// Presses and releases each key in turn, as a keyboard does (WebDriver key codes).
    fn press(&self, keys: &[&str]) {
        let actions: Vec<Value> = keys
            .iter()
            .flat_map(|k| {
                [
                    json!({ "type": "keyDown", "value": k }),
                    json!({ "type": "keyUp", "value": k }),
                ]
            })
            .collect();
        self.perform(json!([{ "type": "key", "id": "keyboard", "actions": actions }]));
    }

    /// A finger's tap at viewport point (x, y).
    fn tap(&self, x: f64, y: f64) {
        self.perform(json!([{
            "type": "pointer", "id": "finger", "parameters": { "pointerType": "touch" },
            "actions": [
                { "type": "pointerMove", "x": x.round() as i64, "y": y.round() as i64 },
                { "type": "pointerDown", "button": 0 },
                { "type": "pause", "duration": 60 },
                { "type": "pointerUp", "button": 0 }
            ]
        }]));
    }

    fn perform(&self, actions: Value) {
        let r = self.call(
            "POST",
            &format!("/session/{}/actions", self.session),
            Some(json!({ "actions": actions })),
        );
        assert!(r["value"].is_null(), "actions: {r}");
    }

    /// Clicks the first element matching a CSS selector, as WebDriver's element click does.
    fn click(&self, css: &str) {
        let found = self.call(
            "POST",
            &format!("/session/{}/element", self.session),
            Some(json!({ "using": "css selector", "value": css })),
        );
        let id = found["value"]
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(|v| v.as_str())
            .unwrap_or_else(|| panic!("no element {css}: {found}"))
            .to_string();
        let r = self.call(
            "POST",
            &format!("/session/{}/element/{id}/click", self.session),
            Some(json!({})),
        );
        assert!(r["value"].is_null(), "click {css}: {r}");
    }

    fn current_url(&self) -> String {
        let r = self.call("GET", &format!("/session/{}/url", self.session), None);
        r["value"].as_str().unwrap_or_default().to_string()
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
    let files = search_index_files(&built.join("search"));
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
    // The status is in the page's language, with Russian plural forms (layouts/i18n/ru.yaml).
    assert!(found.is_some_and(|v| v[0]
        .as_str()
        .is_some_and(|t| t == "По запросу «ТОРГОВЛИ» найдено 2 результата.")));
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
        v[0].as_str()
            .is_some_and(|t| t == "По запросу «zzzz» ничего не найдено.")
    });
    assert!(none.is_some_and(|v| v[1] == json!([])), "no empty result");
}

// Citations checked in place (theme/assets/js/cite.js) on the `citations` fixture: its topic cites
// three sources in the body ([1]–[3]), one in a quote's caption, and has a footnote.

const TAB: &str = "\u{E004}";
const ENTER: &str = "\u{E007}";
const ESCAPE: &str = "\u{E00C}";
const SPACE: &str = " ";

/// What a reader has in front of them: the popover (if open), where focus is, whether the page
/// jumped.
const POP: &str = r#"var p=document.getElementById('cite-pop'),a=document.activeElement;
var at=!a?null:a===p?'popover':p&&p.contains(a)?'in-popover:'+a.textContent:a.closest('sup.cite,sup.footnote-ref,a.ref')?'marker:'+a.getAttribute('href'):a.tagName;
return {open:!!p,count:document.querySelectorAll('.cite-pop').length,text:p?p.textContent.trim():null,
role:p&&p.getAttribute('role'),label:p&&p.getAttribute('aria-label'),first_link:p&&p.querySelector('a')?p.querySelector('a').href:null,
expanded:Array.from(document.querySelectorAll('[aria-expanded=true]')).map(function(e){return e.getAttribute('href')}),
at:at,hash:location.hash,scroll:Math.round(scrollY)};"#;

fn axe_source(what: &str) -> Option<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/.axe/node_modules/axe-core/axe.min.js");
    match std::fs::read_to_string(&path) {
        Ok(s) => Some(s),
        Err(_) if std::env::var("BILAT_REQUIRE_BROWSER").as_deref() == Ok("1") => {
            panic!("{what}: axe-core is required in CI (BILAT_REQUIRE_BROWSER=1); see .ci/run")
        }
        Err(_) => {
            eprintln!("SKIPPED {what}: needs axe-core in tests/.axe (see .ci/run)");
            None
        }
    }
}

/// Opens the fixture's topic and waits until the page (and its deferred scripts) have run.
fn open_topic(b: &Browser, s: &Server) {
    b.goto(&format!("{}topics/grain/", s.url));
    let ready = b.wait(
        "return document.readyState;",
        Duration::from_secs(10),
        |v| v == "complete",
    );
    assert!(ready.is_some(), "the topic did not load");
}

/// Tabs forward until focus is on the marker linking to `href`; panics after 60 presses.
fn tab_to(b: &Browser, href: &str) -> Value {
    for _ in 0..60 {
        b.press(&[TAB]);
        let state = b.eval(POP);
        if state["at"] == format!("marker:{href}") {
            return state;
        }
    }
    panic!("Tab never reached the marker {href}: {}", b.eval(POP));
}

/// axe-core's violations on the page as it is now, as [{id, nodes}].
fn axe_violations(b: &Browser, axe: &str) -> Value {
    let loaded = b.eval_with(
        "var s=document.createElement('script');s.textContent=arguments[0];document.head.appendChild(s);return typeof axe;",
        json!([axe]),
    );
    assert_eq!(loaded, json!("object"), "axe-core loaded");
    b.eval_async(
        "var done=arguments[arguments.length-1];axe.run(document,{resultTypes:['violations']}).then(function(r){done(r.violations.map(function(v){return {id:v.id,nodes:v.nodes.map(function(n){return n.target.join(' ')})}}))},function(e){done('axe failed: '+e)});",
    )
}

#[test]
fn citation_popovers_open_and_close_from_the_keyboard_in_chromium() {
    let Some((chromium, chromedriver)) = browser_or_skip("citation popovers in Chromium") else {
        return;
    };
    let Some(axe) = axe_source("citation popovers in Chromium") else {
        return;
    };
    let s = Server::start("citations", &[]);
    let b = Browser::desktop(
        &chromium,
        &chromedriver,
        &s.tmp.path().join("chrome-profile"),
    );
    open_topic(&b, &s);

    // Tab to the first citation: keyboard focus opens its source's entry beside it.
    let on_focus = tab_to(&b, "#src-s1");
    assert_eq!(on_focus["open"], json!(true), "focus opens: {on_focus}");
    assert_eq!(on_focus["role"], json!("dialog"));
    assert_eq!(on_focus["label"], json!("Source 1"));
    assert_eq!(on_focus["expanded"], json!(["#src-s1"]));
    let text = on_focus["text"].as_str().unwrap_or_default();
    for part in [
        "Fixture Wire",
        "Ministers meet on grain",
        "27 December 2023",
        "Retrieved 2 January 2024",
        "We have agreed to double the trade in grain.",
    ] {
        assert!(text.contains(part), "{part:?} missing from {text:?}");
    }

    // Enter moves focus into it without the jump the link makes without script; Tab reaches its
    // link; Escape closes it and focus returns to the marker.
    b.press(&[ENTER]);
    let entered = b.eval(POP);
    assert_eq!(entered["at"], json!("popover"), "{entered}");
    assert_eq!(entered["hash"], json!(""), "the reader stays in place");
    assert_eq!(
        entered["scroll"], on_focus["scroll"],
        "the reader stays in place"
    );
    b.press(&[TAB]);
    assert_eq!(
        b.eval(POP)["at"],
        json!("in-popover:Ministers meet on grain")
    );
    b.press(&[ESCAPE]);
    let closed = b.eval(POP);
    assert_eq!(closed["open"], json!(false), "{closed}");
    assert_eq!(closed["at"], json!("marker:#src-s1"), "focus returns");
    assert_eq!(closed["expanded"], json!([]));

    // The dead source links to its archived copy first; Space opens as Enter does.
    let dead = tab_to(&b, "#src-s2");
    assert_eq!(dead["count"], json!(1), "one popover at a time: {dead}");
    assert_eq!(
        dead["first_link"],
        json!("https://archive.example.org/web/20230501000000/https://example.org/s2")
    );
    assert!(dead["text"]
        .as_str()
        .is_some_and(|t| t.contains("Archived from the original on 1 May 2023")));
    b.press(&[SPACE]);
    let spaced = b.eval(POP);
    assert_eq!(spaced["at"], json!("popover"), "{spaced}");
    assert_eq!(
        spaced["scroll"], dead["scroll"],
        "Space does not scroll the page"
    );
    b.press(&[ESCAPE]);
    assert_eq!(b.eval(POP)["at"], json!("marker:#src-s2"));

    // A footnote opens its text, without its back-link number.
    let note = tab_to(&b, "#fn-press");
    assert_eq!(note["label"], json!("Footnote 1"));
    assert_eq!(
        note["text"],
        json!("The report in Russian named no figures; its title is translated by the site.")
    );
    // Focus moving on closes it.
    let next = tab_to(&b, "#src-s2");
    assert_eq!(next["count"], json!(1), "{next}");
    assert_eq!(next["label"], json!("Source 2"));
    b.press(&[ESCAPE]);
    assert_eq!(b.eval(POP)["open"], json!(false));

    // axe-core finds nothing wrong with a popover open (focus inside it), light and dark.
    let quote_ref = tab_to(&b, "#src-s1");
    assert_eq!(quote_ref["open"], json!(true));
    b.press(&[ENTER]);
    assert_eq!(b.eval(POP)["at"], json!("popover"));
    assert_eq!(axe_violations(&b, &axe), json!([]), "light");
    assert_eq!(b.eval(POP)["open"], json!(true), "still open after axe ran");
    drop(b);

    let dark = Browser::start_with(
        &chromium,
        &chromedriver,
        &s.tmp.path().join("chrome-profile-dark"),
        &[
            "--window-size=1280,900",
            "--blink-settings=preferredColorScheme=0",
        ],
        json!({}),
    );
    open_topic(&dark, &s);
    assert_eq!(
        dark.eval("return matchMedia('(prefers-color-scheme: dark)').matches;"),
        json!(true)
    );
    tab_to(&dark, "#fn-press");
    dark.press(&[ENTER]);
    assert_eq!(dark.eval(POP)["at"], json!("popover"));
    assert_eq!(axe_violations(&dark, &axe), json!([]), "dark");
}

#[test]
fn a_tap_on_a_360_px_screen_opens_a_citation_inside_the_viewport_in_chromium() {
    let Some((chromium, chromedriver)) = browser_or_skip("citation taps in Chromium") else {
        return;
    };
    let s = Server::start("citations", &[]);
    let b = Browser::start_with(
        &chromium,
        &chromedriver,
        &s.tmp.path().join("chrome-profile"),
        &[],
        json!({ "mobileEmulation": { "deviceMetrics": {
            "width": 360, "height": 740, "pixelRatio": 2, "touch": true
        }}}),
    );
    open_topic(&b, &s);
    assert_eq!(b.eval("return innerWidth;"), json!(360));
    let markers = b.eval(
        "return document.querySelectorAll('sup.cite a,sup.footnote-ref a,a.ref[href^=\"#\"]').length;",
    );
    let markers = markers.as_u64().expect("marker count");
    assert_eq!(markers, 9, "the fixture's markers");
    for i in 0..markers {
        let at = b.eval(&format!(
            "var a=document.querySelectorAll('sup.cite a,sup.footnote-ref a,a.ref[href^=\"#\"]')[{i}];\
             a.scrollIntoView({{block:'center'}});var r=a.getBoundingClientRect();\
             return [r.left+r.width/2,r.top+r.height/2,a.getAttribute('href')];"
        ));
        let before = b.eval(POP);
        b.tap(at[0].as_f64().expect("x"), at[1].as_f64().expect("y"));
        let opened = b.wait(
            "var p=document.getElementById('cite-pop');if(!p)return null;var r=p.getBoundingClientRect();\
             return {left:r.left,right:r.right,top:r.top,bottom:r.bottom,width:innerWidth,height:innerHeight,\
             scale:visualViewport.scale,page_width:document.documentElement.scrollWidth,\
             owner:document.querySelector('[aria-expanded=true]').getAttribute('href')};",
            Duration::from_secs(5),
            |v| !v.is_null(),
        );
        let Some(p) = opened else {
            panic!(
                "tap on marker {i} ({}) opened nothing: {}",
                at[2],
                b.eval(POP)
            );
        };
        let f = |k: &str| p[k].as_f64().unwrap_or(f64::NAN);
        assert_eq!(p["owner"], at[2], "marker {i}: {p}");
        assert!(
            f("left") >= 0.0 && f("right") <= f("width"),
            "marker {i}: inside the width: {p}"
        );
        assert!(
            f("top") >= 0.0 && f("bottom") <= f("height"),
            "marker {i}: inside the height: {p}"
        );
        assert_eq!(f("scale"), 1.0, "marker {i}: no zoom: {p}");
        assert!(f("page_width") <= f("width"), "no sideways scrolling: {p}");
        let after = b.eval(POP);
        assert_eq!(after["hash"], json!(""), "marker {i}: no jump");
        assert_eq!(after["scroll"], before["scroll"], "marker {i}: no jump");
        assert_eq!(after["count"], json!(1));
        // A second tap on the marker closes it (it may cover the next marker).
        b.tap(at[0].as_f64().expect("x"), at[1].as_f64().expect("y"));
        let closed = b.wait(POP, Duration::from_secs(5), |v| v["open"] == json!(false));
        assert!(closed.is_some(), "marker {i}: a second tap closes");
    }
    // A tap elsewhere closes it too.
    let first = b.eval(
        "var a=document.querySelector('sup.cite a');window.scrollTo(0,0);var r=a.getBoundingClientRect();return [r.left+r.width/2,r.top+r.height/2];",
    );
    b.tap(first[0].as_f64().expect("x"), first[1].as_f64().expect("y"));
    let reopened = b.wait(POP, Duration::from_secs(5), |v| v["open"] == json!(true));
    assert!(reopened.is_some(), "the first marker opens again");
    let lede = b.eval(
        "var r=document.querySelector('.lede').getBoundingClientRect();return [r.left+8,r.top+r.height/2];",
    );
    b.tap(lede[0].as_f64().expect("x"), lede[1].as_f64().expect("y"));
    let gone = b.wait(POP, Duration::from_secs(5), |v| v["open"] == json!(false));
    assert!(gone.is_some(), "a tap outside closes: {}", b.eval(POP));
}

#[test]
fn without_javascript_a_citation_jumps_to_its_entry_in_chromium() {
    let Some((chromium, chromedriver)) = browser_or_skip("citations without script") else {
        return;
    };
    let s = Server::start("citations", &[]);
    let b = Browser::start_with(
        &chromium,
        &chromedriver,
        &s.tmp.path().join("chrome-profile"),
        &["--window-size=1280,900"],
        json!({ "prefs": { "profile.managed_default_content_settings.javascript": 2 } }),
    );
    b.goto(&format!("{}topics/grain/", s.url));
    b.click("sup.cite a[href='#src-s2']");
    assert!(
        b.current_url().ends_with("/topics/grain/#src-s2"),
        "{}",
        b.current_url()
    );
    b.click("sup.footnote-ref a");
    assert!(
        b.current_url().ends_with("/topics/grain/#fn-press"),
        "{}",
        b.current_url()
    );
}

/// A copy of the repository's own site (three editions: en, ru, hi) in a temp dir, to serve.
fn repository_site() -> (tempfile::TempDir, PathBuf) {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("site");
    for part in ["content", "layouts", "assets"] {
        if repo.join(part).is_dir() {
            copy_dir(&repo.join(part), &root.join(part));
        }
    }
    std::fs::copy(repo.join("site.yaml"), root.join("site.yaml")).expect("copy site.yaml");
    (tmp, root)
}

/// Where the browser is and what it shows: [path, <html lang>, h1, the switcher's current edition].
const WHERE: &str = "var h=document.querySelector('h1'),c=document.querySelector('nav.editions [aria-current]');\
return [location.pathname, document.documentElement.lang, h?h.textContent.trim():null, c?c.getAttribute('lang'):null];";

/// Clicks the switcher's link to edition `code` and waits until the page that loads has a
/// different address; returns [`WHERE`] there.
fn switch_to(b: &Browser, code: &str) -> Value {
    let before = b.eval("return location.href;");
    b.click(&format!("nav.editions a[lang={code}]"));
    let after = b.wait(
        "return document.readyState==='complete'?location.href:null;",
        Duration::from_secs(10),
        |v| !v.is_null() && v != &before,
    );
    assert!(
        after.is_some(),
        "the {code} link went nowhere from {before}"
    );
    b.eval(WHERE)
}

#[test]
fn the_language_switcher_lands_on_the_same_topic_in_chromium() {
    let Some((chromium, chromedriver)) = browser_or_skip("language switcher in Chromium") else {
        return;
    };
    let (tmp, root) = repository_site();
    let s = Server::start_in(tmp, root, &[]);
    let base = s.base();
    let b = Browser::desktop(
        &chromium,
        &chromedriver,
        &s.tmp.path().join("chrome-profile"),
    );
    // Every address a switcher link promises on these pages is a page, never the 404.
    let promised = |rel: &str| {
        let page = s.page(rel).text();
        let doc = scraper::Html::parse_document(&page);
        let sel = scraper::Selector::parse("nav.editions a").expect("selector");
        let hrefs: Vec<String> = doc
            .select(&sel)
            .filter_map(|a| a.value().attr("href").map(str::to_string))
            .collect();
        assert_eq!(hrefs.len(), 2, "{rel}: a link to each other edition");
        for href in hrefs {
            let r = s.get(&href);
            assert_eq!(
                r.status, 200,
                "{rel}: its switcher link {href} is not a page"
            );
        }
    };
    for rel in ["topics/trade/", "ru/topics/trade/", "hi/", "ru/"] {
        promised(rel);
    }

    b.goto(&format!("{}topics/trade/", s.url));
    let english = b.wait(WHERE, Duration::from_secs(10), |v| v[1] == "en");
    assert_eq!(
        english,
        Some(json!([
            format!("{base}topics/trade/"),
            "en",
            "Trade: a record year, and a lopsided one",
            "en"
        ]))
    );

    // The current edition's name sits on the line of the links beside it (same box top).
    let tops = b.eval(
        "return Array.from(document.querySelectorAll('nav.editions li>*')).map(function(e){return Math.round(e.getBoundingClientRect().top);});",
    );
    let tops = tops.as_array().expect("tops");
    assert!(
        tops.len() == 3 && tops.iter().all(|t| t == &tops[0]),
        "{tops:?}"
    );

    // Русский: the Russian translation of the same topic (content/topics/trade.ru.md).
    assert_eq!(
        switch_to(&b, "ru"),
        json!([
            format!("{base}ru/topics/trade/"),
            "ru",
            "Торговля: рекордный и однобокий год",
            "ru"
        ])
    );
    assert_eq!(
        b.eval("return document.title;"),
        json!("Торговля: рекордный и однобокий год — Отношения Индии и России")
    );

    // हिन्दी: the topic has no Hindi translation, so the link leads to where it is read, its
    // English original, not to a Hindi page that does not exist.
    assert_eq!(
        switch_to(&b, "hi"),
        json!([
            format!("{base}topics/trade/"),
            "en",
            "Trade: a record year, and a lopsided one",
            "en"
        ])
    );

    // A page every edition has: the Hindi home, and from there the Russian one.
    b.goto(&format!("{}hi/", s.url));
    let hindi = b.wait(WHERE, Duration::from_secs(10), |v| v[1] == "hi");
    assert_eq!(
        hindi.map(|v| [v[0].clone(), v[3].clone()]),
        Some([json!(format!("{base}hi/")), json!("hi")])
    );
    let russian = switch_to(&b, "ru");
    assert_eq!(
        [russian[0].clone(), russian[1].clone(), russian[3].clone()],
        [json!(format!("{base}ru/")), json!("ru"), json!("ru")]
    );
}
