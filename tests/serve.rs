//! `bilat serve`, end to end: the real binary on a copy of tests/sites/serve-basic, talked to over
//! HTTP and Server-Sent Events.

mod serve_support;

use serve_support::*;
use std::time::Duration;

const RELOAD_WITHIN: Duration = Duration::from_secs(2);

fn reload_pages(e: &SseEvent) -> Vec<String> {
    e.json()["pages"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Waits for a reload event that names `page`, skipping other reloads.
fn wait_reload_of(events: &mut EventStream, page: &str, timeout: Duration) -> Option<SseEvent> {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        let left = deadline.checked_duration_since(std::time::Instant::now())?;
        let e = events.next_named("reload", left)?;
        if reload_pages(&e).iter().any(|p| p == page) {
            return Some(e);
        }
    }
}

#[test]
fn pages_are_served_under_the_base_path() {
    let s = Server::start("serve-basic", &[]);
    assert!(
        s.url.starts_with("http://127.0.0.1:"),
        "printed URL {}",
        s.url
    );
    assert!(
        s.url.ends_with("/repo/"),
        "printed URL includes the base path: {}",
        s.url
    );

    let home = s.get("/repo/");
    assert_eq!(home.status, 200);
    assert_eq!(
        home.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(home.text().contains("Serveland"), "{}", home.text());
    assert!(
        home.text().contains("data-bilat-live"),
        "served HTML carries the live-reload script"
    );
    assert!(
        home.text().contains("var base=\"/repo/\"") && home.text().contains("__bilat/events"),
        "script listens under the base path"
    );

    let trade = s.get("/repo/topics/trade/");
    assert_eq!(trade.status, 200);
    assert!(trade.text().contains("MARKER-TRADE-ORIGINAL"));
    assert!(
        trade.text().contains("href=/repo/topics/energy/")
            || trade.text().contains("href=\"/repo/topics/energy/\"")
    );
    assert_eq!(s.get("/repo/topics/trade/index.html").status, 200);

    for (target, to) in [
        ("/", "/repo/"),
        ("/repo", "/repo/"),
        ("/repo/topics/trade", "/repo/topics/trade/"),
    ] {
        let r = s.get(target);
        assert!(
            matches!(r.status, 301 | 302 | 307 | 308),
            "{target} redirects, got {}",
            r.status
        );
        assert_eq!(r.header("location"), Some(to), "{target}");
    }

    let miss = s.get("/repo/no/such/page/");
    assert_eq!(miss.status, 404);
    assert!(
        miss.text().contains("SERVE-BASIC-404"),
        "the site's own 404 page"
    );
    assert!(
        miss.text().contains("data-bilat-live"),
        "a 404 reloads once the page exists"
    );
    assert_eq!(
        s.get("/elsewhere/").status,
        404,
        "nothing outside the base path"
    );

    // The output on disk is the plain build: the script exists only in responses.
    let live_in_search = s.get("/repo/search/manifest.json");
    assert_eq!(live_in_search.status, 200);
    assert!(!live_in_search.text().contains("bilat-live"));

    let head = http(&s.addr, "HEAD", "/repo/", None);
    assert_eq!(head.status, 200);
    assert_eq!(http(&s.addr, "POST", "/repo/", Some("{}")).status, 405);
}

#[test]
fn base_path_can_be_overridden() {
    let s = Server::start("serve-basic", &["--base-path", "/preview/"]);
    assert!(s.url.ends_with("/preview/"), "{}", s.url);
    let page = s.get("/preview/topics/trade/");
    assert_eq!(page.status, 200);
    assert!(
        page.text().contains("/preview/topics/energy/"),
        "links use the overridden base path"
    );
    assert_eq!(s.get("/repo/topics/trade/").status, 404);
}

#[test]
fn content_types_are_right() {
    let s = Server::start("serve-basic", &[]);
    for (path, ctype) in [
        ("", "text/html; charset=utf-8"),
        ("css/site.css", "text/css; charset=utf-8"),
        ("js/site.js", "text/javascript; charset=utf-8"),
        ("img/dot.svg", "image/svg+xml"),
        ("search/manifest.json", "application/json"),
        ("data/extra.xml", "application/xml"),
        ("img/dot.png", "image/png"),
        ("img/dot.jpg", "image/jpeg"),
        ("img/dot.webp", "image/webp"),
        ("fonts/f.woff2", "font/woff2"),
    ] {
        let r = s.page(path);
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.header("content-type"), Some(ctype), "{path}");
    }
    let css = s.page("css/site.css");
    assert!(
        !css.text().contains("bilat-live"),
        "only HTML gets the script"
    );
}

#[test]
fn traversal_and_odd_targets_are_refused() {
    let (tmp, root) = site_copy("serve-basic");
    let out = tmp.path().join("out");
    std::fs::write(tmp.path().join("secret.txt"), "TOP-SECRET").expect("secret");
    let s = Server::start_in(tmp, root, &["--output", out.to_str().expect("utf8")]);
    // Symlinks inside the output that lead outside it.
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(s.tmp.path().join("secret.txt"), out.join("leak.txt"))
            .expect("symlink");
        std::os::unix::fs::symlink(s.tmp.path(), out.join("leakdir")).expect("symlink");
    }
    let port = s.addr.clone();
    let targets = [
        "/repo/../secret.txt".to_string(),
        "/repo/../../secret.txt".to_string(),
        "/../secret.txt".to_string(),
        "/repo/topics/../../secret.txt".to_string(),
        "/repo/%2e%2e/secret.txt".to_string(),
        "/repo/%2E%2E/secret.txt".to_string(),
        "/repo/.%2e/secret.txt".to_string(),
        "/repo/..%2fsecret.txt".to_string(),
        "/repo/..%2Fsecret.txt".to_string(),
        "/repo/%2e%2e%2fsecret.txt".to_string(),
        "/repo/%252e%252e/secret.txt".to_string(),
        "/repo/%252e%252e%252fsecret.txt".to_string(),
        "/repo/..%5csecret.txt".to_string(),
        "/repo/..\\secret.txt".to_string(),
        "/repo/%00".to_string(),
        "/repo/index.html%00.txt".to_string(),
        "/repo/leak.txt".to_string(),
        "/repo/leakdir/secret.txt".to_string(),
        "/repo//../secret.txt".to_string(),
        "//secret.txt".to_string(),
        "/repo/.nojekyll".to_string(),
        "/etc/passwd".to_string(),
        "/repo/../../../../../../etc/passwd".to_string(),
        format!("http://{port}/repo/../secret.txt"),
        "http://example.com/etc/passwd".to_string(),
        "http://example.com/repo/".to_string(),
    ];
    for t in &targets {
        let r = s.get(t);
        assert!(
            matches!(r.status, 400 | 404),
            "{t}: refused with 400 or 404, got {}",
            r.status
        );
        assert!(!r.text().contains("TOP-SECRET"), "{t} leaked the file");
        assert!(!r.text().contains("root:x:0:0"), "{t} leaked /etc/passwd");
    }
    // No directory listings: a folder without index.html is a miss, not a list of its files.
    let img_dir = s.get("/repo/img/");
    assert_eq!(img_dir.status, 404);
    assert!(!img_dir.text().contains("dot.png"));
    // The served tree is still fine.
    assert_eq!(s.get("/repo/topics/trade/").status, 200);
}

#[test]
fn edit_in_place_reloads_within_two_seconds() {
    let s = Server::start("serve-basic", &[]);
    let mut events = s.events();
    edit(
        &s.file("content/topics/trade.md"),
        "MARKER-TRADE-ORIGINAL",
        "MARKER-TRADE-IN-PLACE",
    );
    let e = wait_reload_of(&mut events, "/repo/topics/trade/", RELOAD_WITHIN);
    assert!(
        e.is_some(),
        "no reload event for the page within 2 s\n{}",
        s.bilat.output_text()
    );
    let page = s.page("topics/trade/");
    assert!(
        page.text().contains("MARKER-TRADE-IN-PLACE"),
        "new content served"
    );
    // The server prints the line before it sends the event, but the pipe may not be read yet.
    let _ = wait_for(Duration::from_secs(2), || {
        s.bilat
            .rebuild_lines()
            .iter()
            .any(|l| l.contains("trade.md changed"))
            .then_some(())
    });
    let line = s.bilat.rebuild_lines().join("\n");
    assert!(
        line.contains("content/topics/trade.md changed"),
        "rebuild line names the file: {line}"
    );
    assert!(
        line.contains(" ms"),
        "rebuild line says how long it took: {line}"
    );
}

#[test]
fn edit_by_temp_file_rename_reloads_within_two_seconds() {
    let s = Server::start("serve-basic", &[]);
    let mut events = s.events();
    let file = s.file("content/topics/trade.md");
    let text = std::fs::read_to_string(&file).expect("read");
    write_by_rename(
        &file,
        &text.replace("MARKER-TRADE-ORIGINAL", "MARKER-TRADE-RENAMED"),
    );
    let e = wait_reload_of(&mut events, "/repo/topics/trade/", RELOAD_WITHIN);
    assert!(
        e.is_some(),
        "no reload event within 2 s\n{}",
        s.bilat.output_text()
    );
    assert!(s
        .page("topics/trade/")
        .text()
        .contains("MARKER-TRADE-RENAMED"));

    // A second save the same way: the watch survives the replaced inode.
    let text = std::fs::read_to_string(&file).expect("read");
    write_by_rename(
        &file,
        &text.replace("MARKER-TRADE-RENAMED", "MARKER-TRADE-RENAMED-AGAIN"),
    );
    assert!(wait_reload_of(&mut events, "/repo/topics/trade/", RELOAD_WITHIN).is_some());
    assert!(s
        .page("topics/trade/")
        .text()
        .contains("MARKER-TRADE-RENAMED-AGAIN"));

    // Delete, then create: the final state wins.
    std::fs::remove_file(&file).expect("delete");
    write(
        &file,
        &text.replace("MARKER-TRADE-RENAMED", "MARKER-TRADE-RECREATED"),
    );
    let ok = wait_for(Duration::from_secs(5), || {
        s.page("topics/trade/")
            .text()
            .contains("MARKER-TRADE-RECREATED")
            .then_some(())
    });
    assert!(ok.is_some(), "{}", s.bilat.output_text());
}

#[test]
fn editor_temp_files_do_not_rebuild() {
    let s = Server::start("serve-basic", &[]);
    let mut events = s.events();
    let dir = s.file("content/topics");
    for name in [
        ".trade.md.swp",
        ".trade.md.swx",
        "trade.md~",
        "#trade.md#",
        ".#trade.md",
        "trade.md.bck",
        "__jb_tmp_trade.md",
        "4913",
        ".DS_Store",
    ] {
        write(&dir.join(name), "---\ntitle: [not valid\n---\n");
    }
    let got = events.drain(Duration::from_millis(1200));
    assert!(got.is_empty(), "temp files caused events: {got:?}");
    assert!(
        s.bilat.rebuild_lines().is_empty(),
        "{}",
        s.bilat.output_text()
    );

    // Saving a file with the same bytes is no change either.
    let file = s.file("content/topics/trade.md");
    let text = std::fs::read_to_string(&file).expect("read");
    write(&file, &text);
    let got = events.drain(Duration::from_millis(1200));
    assert!(got.is_empty(), "an unchanged save caused events: {got:?}");
}

#[test]
fn a_burst_of_200_writes_is_one_or_a_few_rebuilds() {
    let s = Server::start("serve-basic", &[]);
    let mut events = s.events();
    let trade = s.file("content/topics/trade.md");
    let energy = s.file("content/topics/energy.md");
    let trade_text = std::fs::read_to_string(&trade).expect("read");
    let energy_text = std::fs::read_to_string(&energy).expect("read");
    // As a git checkout does: rewrite existing files many times and add new ones, all at once.
    for i in 0..100 {
        write(
            &trade,
            &trade_text.replace("MARKER-TRADE-ORIGINAL", &format!("BURST-TRADE-{i}")),
        );
        write(
            &energy,
            &energy_text.replace("MARKER-ENERGY-ORIGINAL", &format!("BURST-ENERGY-{i}")),
        );
    }
    for i in 0..100 {
        write(
            &s.file(&format!("content/topics/burst-{i}.md")),
            &format!("---\ntitle: \"Burst {i}\"\nsummary: \"Page {i} of a burst.\"\n---\nBURST-PAGE-{i}\n"),
        );
    }
    let done = wait_for(Duration::from_secs(15), || {
        (s.page("topics/trade/").text().contains("BURST-TRADE-99")
            && s.page("topics/energy/").text().contains("BURST-ENERGY-99")
            && s.page("topics/burst-99/").text().contains("BURST-PAGE-99"))
        .then_some(())
    });
    assert!(
        done.is_some(),
        "final state not served\n{}",
        s.bilat.output_text()
    );
    // Let any straggling rebuild finish before counting.
    let later = events.drain(Duration::from_millis(1500));
    let rebuilds = s.bilat.rebuild_lines();
    assert!(
        (1..=4).contains(&rebuilds.len()),
        "200 writes made {} rebuilds:\n{}",
        rebuilds.len(),
        rebuilds.join("\n")
    );
    assert!(later.len() <= 4, "{later:?}");
    assert!(
        s.page("topics/").text().contains("Burst 42"),
        "the section lists the new pages"
    );
    assert!(s.page("topics/burst-0/").text().contains("BURST-PAGE-0"));
}

#[test]
fn broken_yaml_reports_errors_keeps_the_last_good_page_and_recovers() {
    let s = Server::start("serve-basic", &[]);
    let mut events = s.events();
    let file = s.file("content/topics/trade.md");
    let good = std::fs::read_to_string(&file).expect("read");
    write(
        &file,
        &good
            .replace("title: \"Trade\"", "title: [unclosed")
            .replace("MARKER-TRADE-ORIGINAL", "MARKER-TRADE-BROKEN"),
    );
    let err = events.next_named("build-error", RELOAD_WITHIN);
    let Some(err) = err else {
        panic!("no build-error event\n{}", s.bilat.output_text());
    };
    let errors = err.json()["errors"].as_array().cloned().unwrap_or_default();
    assert!(!errors.is_empty(), "{}", err.data);
    assert_eq!(errors[0]["file"], "content/topics/trade.md", "{}", err.data);
    assert_eq!(errors[0]["line"], 2, "{}", err.data);
    assert!(errors[0]["message"].as_str().is_some_and(|m| !m.is_empty()));

    // The last good build is still served, in full.
    let page = s.page("topics/trade/");
    assert_eq!(page.status, 200);
    assert!(page.text().contains("MARKER-TRADE-ORIGINAL"));
    assert!(
        s.bilat
            .stderr_within("content/topics/trade.md:2", Duration::from_secs(10)),
        "{}",
        s.bilat.output_text()
    );

    // A page opened now learns about the failure at once.
    let mut late = s.events();
    assert!(late
        .next_named("build-error", Duration::from_secs(2))
        .is_some());

    // Another edit while broken: still an error, still the old page.
    edit(&file, "MARKER-TRADE-BROKEN", "MARKER-TRADE-STILL-BROKEN");
    assert!(events.next_named("build-error", RELOAD_WITHIN).is_some());
    assert!(s
        .page("topics/trade/")
        .text()
        .contains("MARKER-TRADE-ORIGINAL"));

    // Fixing it recovers.
    write(
        &file,
        &good.replace("MARKER-TRADE-ORIGINAL", "MARKER-TRADE-FIXED"),
    );
    assert!(
        wait_reload_of(&mut events, "/repo/topics/trade/", RELOAD_WITHIN).is_some(),
        "{}",
        s.bilat.output_text()
    );
    assert!(s
        .page("topics/trade/")
        .text()
        .contains("MARKER-TRADE-FIXED"));
    let mut fresh = s.events();
    let after = fresh.drain(Duration::from_millis(500));
    assert!(after.iter().all(|e| e.name != "build-error"), "{after:?}");

    // A bad template is reported the same way, and undone the same way.
    let layout = s.file("layouts/page.html");
    let good_layout = std::fs::read_to_string(&layout).expect("read");
    write(
        &layout,
        &good_layout.replace("{{ page.title }}</h1>", "{{ page.title </h1>"),
    );
    let err = events
        .next_named("build-error", RELOAD_WITHIN)
        .expect("template error event");
    assert!(err.data.contains("layouts/page.html"), "{}", err.data);
    write(&layout, &good_layout);
    assert!(events.next_named("reload", RELOAD_WITHIN).is_some());
}

/// A layout that never finishes rendering (two nested `range()` loops, 10 billion turns) is an
/// error like any other: reported in the terminal and the overlay with its file and line, while
/// the server goes on serving the last good pages; fixing the layout brings the pages back.
#[test]
fn a_runaway_template_is_reported_and_the_last_good_pages_stay_served() {
    let (tmp, root) = site_copy("serve-basic");
    let s = Server::start_in_env(tmp, root, &[], &[("BILAT_RENDER_TIMEOUT", "2")]);
    let mut events = s.events();
    let layout = s.file("layouts/page.html");
    let good_layout = std::fs::read_to_string(&layout).expect("read");
    let nested =
        "{% for i in range(end=99999) %}{% for j in range(end=99999) %}{% endfor %}{% endfor %}";
    write(
        &layout,
        &good_layout.replacen(
            "{% block title %}",
            &format!("{{% block title %}}{nested}"),
            1,
        ),
    );
    let Some(err) = events.next_named("build-error", Duration::from_secs(30)) else {
        panic!("no build-error event\n{}", s.bilat.output_text());
    };
    let errors = err.json()["errors"].as_array().cloned().unwrap_or_default();
    assert!(
        errors.iter().any(|e| e["file"] == "layouts/page.html"
            && e["line"] == 2
            && e["message"]
                .as_str()
                .is_some_and(|m| m.contains("did not finish within 2 s"))),
        "{}",
        err.data
    );
    assert!(
        s.bilat
            .stderr_within("layouts/page.html:2", Duration::from_secs(10)),
        "{}",
        s.bilat.output_text()
    );
    // Still serving, the last good build.
    let page = s.page("topics/trade/");
    assert_eq!(page.status, 200, "{}", s.bilat.output_text());
    assert!(page.text().contains("MARKER-TRADE-ORIGINAL"));

    // Fixing the layout (and editing a page) rebuilds and reloads.
    write(&layout, &good_layout);
    let trade = s.file("content/topics/trade.md");
    edit(
        &trade,
        "MARKER-TRADE-ORIGINAL",
        "MARKER-TRADE-AFTER-RUNAWAY",
    );
    assert!(
        wait_reload_of(&mut events, "/repo/topics/trade/", Duration::from_secs(30)).is_some(),
        "{}",
        s.bilat.output_text()
    );
    assert!(s
        .page("topics/trade/")
        .text()
        .contains("MARKER-TRADE-AFTER-RUNAWAY"));
}

#[test]
fn a_css_change_swaps_stylesheets_without_a_reload() {
    let s = Server::start("serve-basic", &[]);
    let mut events = s.events();
    let css = s.file("assets/css/site.css");
    write(&css, "body { color: rebeccapurple; }\n");
    let e = events.next(RELOAD_WITHIN).expect("an event");
    assert_eq!(e.name, "css", "{e:?}");
    let files = e.json()["files"].as_array().cloned().unwrap_or_default();
    assert_eq!(files[0]["path"], "/repo/css/site.css");
    let href = files[0]["href"].as_str().expect("href").to_string();
    assert!(href.starts_with("/repo/css/site.css?h="), "{href}");
    assert!(s.get(&href).text().contains("rebeccapurple"));
    // The stylesheet is written first, for the open page to swap; the pages that link it by its
    // new hash follow, with another `css` event (never a reload).
    let e = events
        .next(RELOAD_WITHIN)
        .expect("the event after the pages");
    assert_eq!(e.name, "css", "{e:?}");
    assert!(
        s.page("topics/trade/").text().contains(&href),
        "pages link the new hash"
    );
}

#[test]
fn layout_changes_and_added_and_deleted_pages_are_served() {
    let s = Server::start("serve-basic", &[]);
    let mut events = s.events();
    edit(
        &s.file("layouts/page.html"),
        "<article>",
        "<article class=\"LAYOUT-EDITED\">",
    );
    assert!(wait_reload_of(&mut events, "/repo/topics/energy/", RELOAD_WITHIN).is_some());
    assert!(s.page("topics/energy/").text().contains("LAYOUT-EDITED"));

    let new = s.file("content/topics/visa.md");
    write(
        &new,
        "---\ntitle: \"Visas\"\nsummary: \"Visa rules.\"\n---\nNEW-PAGE-BODY\n",
    );
    assert!(wait_reload_of(&mut events, "/repo/topics/visa/", RELOAD_WITHIN).is_some());
    assert!(s.page("topics/visa/").text().contains("NEW-PAGE-BODY"));
    assert!(s.page("topics/").text().contains("Visas"));

    std::fs::remove_file(&new).expect("delete");
    assert!(wait_reload_of(&mut events, "/repo/topics/visa/", RELOAD_WITHIN).is_some());
    assert_eq!(s.page("topics/visa/").status, 404);
    assert!(!s.page("topics/").text().contains("Visas"));

    // A whole folder renamed.
    std::fs::rename(s.file("content/topics"), s.file("content/subjects")).expect("rename folder");
    // The rebuild writes the new files before it removes the old ones: wait for both.
    let moved = wait_for(Duration::from_secs(5), || {
        (s.page("subjects/trade/").status == 200 && s.page("topics/trade/").status == 404)
            .then_some(())
    });
    assert!(moved.is_some(), "{}", s.bilat.output_text());
}

#[test]
fn a_busy_port_is_a_clear_error() {
    let s = Server::start("serve-basic", &[]);
    let port = s.addr.rsplit(':').next().expect("port").to_string();
    let mut second = Bilat::spawn(&[
        "serve",
        "--root",
        s.root.to_str().expect("utf8"),
        "--port",
        &port,
    ]);
    let status = second
        .wait_exit(Duration::from_secs(30))
        .expect("second server exits");
    assert!(!status.success());
    let err = second.stderr_text();
    assert!(
        err.contains("already in use") && err.contains(&port),
        "{err}"
    );
    assert!(err.contains("--port"), "says what to do: {err}");
}

#[test]
fn binding_beyond_loopback_warns_and_prints_a_working_url() {
    let s = Server::start("serve-basic", &["--bind", "0.0.0.0"]);
    assert!(s.url.starts_with("http://127.0.0.1:"), "{}", s.url);
    assert!(
        s.bilat.stderr_within("warning", Duration::from_secs(10)),
        "{}",
        s.bilat.output_text()
    );
    assert_eq!(s.get("/repo/").status, 200);
}

#[test]
fn ctrl_c_stops_cleanly_and_removes_the_temp_output() {
    let mut s = Server::start("serve-basic", &[]);
    let _events = s.events();
    let tmp_out = std::env::temp_dir().join(format!("bilat-serve-{}", s.bilat.pid()));
    assert!(
        tmp_out.join("index.html").is_file(),
        "serves from a temp dir: {}",
        tmp_out.display()
    );
    let status = s
        .bilat
        .interrupt(Duration::from_secs(10))
        .expect("exits after SIGINT");
    assert!(status.success(), "{status:?}\n{}", s.bilat.output_text());
    assert!(!tmp_out.exists(), "temp output removed");
    assert!(
        !s.root.join("public").exists(),
        "serve never writes into the site by default"
    );
}

#[test]
fn an_override_of_the_built_in_theme_is_picked_up_and_dropped_while_serving() {
    // theme-basic has no layouts/ folder at all: creating one is an edit like any other.
    let s = Server::start("theme-basic", &[]);
    assert!(!s.file("layouts").exists());
    let mut events = s.events();
    let page = bilat::theme::builtin(bilat::theme::Folder::Layouts, "page.html")
        .map(|b| String::from_utf8_lossy(b.bytes).into_owned())
        .expect("built-in page.html")
        .replacen(
            "<article class=\"topic\">",
            "<article class=\"topic\" data-override=serve>",
            1,
        );
    std::fs::create_dir_all(s.file("layouts")).expect("mkdir");
    write(&s.file("layouts/page.html"), &page);
    let shown = wait_for(Duration::from_secs(5), || {
        s.page("topics/trade/")
            .text()
            .contains("data-override=serve")
            .then_some(())
    });
    assert!(shown.is_some(), "{}", s.bilat.output_text());
    assert!(wait_reload_of(&mut events, "/repo/topics/trade/", RELOAD_WITHIN).is_some());
    std::fs::remove_file(s.file("layouts/page.html")).expect("rm");
    assert!(wait_reload_of(&mut events, "/repo/topics/trade/", RELOAD_WITHIN).is_some());
    let gone = wait_for(Duration::from_secs(5), || {
        (!s.page("topics/trade/").text().contains("data-override")).then_some(())
    });
    assert!(gone.is_some(), "{}", s.bilat.output_text());
}

#[test]
fn editing_an_original_reloads_its_translation_with_the_outdated_notice() {
    let s = Server::start("editions", &[]);
    let mut events = s.events();
    assert!(!s
        .page("ru/topics/trade/")
        .text()
        .contains("edition-notice outdated"));
    edit(
        &s.file("content/topics/trade.md"),
        "Trade grew",
        "Trade grew sharply",
    );
    let e = wait_reload_of(&mut events, "/sub/ru/topics/trade/", RELOAD_WITHIN);
    assert!(
        e.is_some(),
        "no reload event for the translation within 2 s\n{}",
        s.bilat.output_text()
    );
    let page = s.page("ru/topics/trade/").text();
    assert!(page.contains("edition-notice outdated"), "{page}");
    let line = s.bilat.rebuild_lines().join("\n");
    assert!(
        line.contains("in editions en, ru") && !line.contains("full rebuild"),
        "{line}"
    );
}
