//! `bilat watch`: the incremental engine (driven directly, without file system events) must
//! always leave the same output as a fresh full build; the command itself rebuilds on real edits.

mod serve_support;

use bilat::watch::{RebuildKind, Watcher};
use bilat::BuildOptions;
use serve_support::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e
                .path()
                .strip_prefix(dir)
                .expect("prefix")
                .to_string_lossy()
                .replace('\\', "/");
            (rel, std::fs::read(e.path()).expect("read"))
        })
        .collect()
}

struct Fixture {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    out: PathBuf,
    watcher: Watcher,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture::with(|_| {})
    }

    /// The fixture after `setup` has changed its sources, before the first build.
    fn with(setup: impl FnOnce(&Path)) -> Fixture {
        Fixture::of("serve-basic", setup)
    }

    /// Fixture site `name` after `setup` has changed its sources, before the first build.
    fn of(name: &str, setup: impl FnOnce(&Path)) -> Fixture {
        let (tmp, root) = site_copy(name);
        setup(&root);
        let out = tmp.path().join("out");
        let opts = BuildOptions {
            root: root.clone(),
            output: Some(out.clone()),
            ..Default::default()
        };
        let mut watcher = Watcher::new(opts).expect("watcher");
        watcher.build_all().expect("first build");
        Fixture {
            _tmp: tmp,
            root,
            out,
            watcher,
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// Applies the change and checks the output equals a fresh full build of the sources.
    fn apply(&mut self, rels: &[&str]) -> bilat::watch::RebuildReport {
        let paths: Vec<PathBuf> = rels.iter().map(|r| self.path(r)).collect();
        let report = self.watcher.apply_changes(&paths).expect("rebuild");
        // What the event loop does next: the rest of a change that wrote its stylesheets ahead.
        if let Some(rest) = self.watcher.finish_deferred() {
            rest.expect("the pages after the stylesheets");
        }
        self.assert_matches_full_build();
        report
    }

    fn assert_matches_full_build(&self) {
        let fresh = self._tmp.path().join("fresh");
        let _ = std::fs::remove_dir_all(&fresh);
        let opts = BuildOptions {
            root: self.root.clone(),
            output: Some(fresh.clone()),
            ..Default::default()
        };
        bilat::build(&opts).expect("full build");
        let (a, b) = (snapshot(&self.out), snapshot(&fresh));
        let only_a: Vec<&String> = a.keys().filter(|k| !b.contains_key(*k)).collect();
        let only_b: Vec<&String> = b.keys().filter(|k| !a.contains_key(*k)).collect();
        assert!(
            only_a.is_empty() && only_b.is_empty(),
            "stale files {only_a:?}, missing files {only_b:?}"
        );
        for (k, v) in &a {
            assert!(
                v == &b[k],
                "{k} differs from a full build:\n{}\n---\n{}",
                String::from_utf8_lossy(v),
                String::from_utf8_lossy(&b[k])
            );
        }
    }
}

#[test]
fn a_body_edit_rewrites_only_that_page_and_the_search_index() {
    let mut f = Fixture::new();
    edit(
        &f.path("content/topics/trade.md"),
        "MARKER-TRADE-ORIGINAL",
        "MARKER-TRADE-BODY",
    );
    let r = f.apply(&["content/topics/trade.md"]);
    assert_eq!(r.kind, RebuildKind::Incremental);
    assert_eq!(r.changed, vec![PathBuf::from("content/topics/trade.md")]);
    assert_eq!(
        not_search(&r.written),
        vec!["topics/trade/index.html"],
        "{}",
        r.summary()
    );
    // The search index holds the page's opening words: its manifest and a term shard change.
    assert!(
        r.written.iter().any(|w| w == "search/manifest.json")
            && r.written.iter().any(|w| w.starts_with("search/t/")),
        "{}",
        r.summary()
    );
}

/// The written files outside the search index, sorted.
fn not_search(written: &[String]) -> Vec<String> {
    let mut out: Vec<String> = written
        .iter()
        .filter(|w| !w.starts_with("search/") || w.ends_with(".html"))
        .cloned()
        .collect();
    out.sort();
    out
}

#[test]
fn list_fields_re_render_the_lists_that_show_them() {
    let mut f = Fixture::new();
    edit(
        &f.path("content/topics/energy.md"),
        "title: \"Energy\"",
        "title: \"Energy and oil\"",
    );
    let r = f.apply(&["content/topics/energy.md"]);
    assert_eq!(r.kind, RebuildKind::Incremental);
    for expected in [
        "topics/energy/index.html",
        "topics/index.html",
        "index.html",
        "topics/trade/index.html",
        "tags/energy/index.html",
    ] {
        assert!(
            r.written.iter().any(|w| w == expected),
            "{expected} not rewritten: {:?}",
            r.written
        );
    }
    edit(
        &f.path("content/topics/trade.md"),
        "date: 2023-12-27\n    event: \"Ministers meet\"",
        "date: 2021-01-02\n    event: \"Ministers met earlier\"",
    );
    let r = f.apply(&["content/topics/trade.md"]);
    assert!(
        r.written.iter().any(|w| w == "timeline/index.html"),
        "{:?}",
        r.written
    );
}

#[test]
fn a_list_edit_re_renders_only_the_templates_that_read_that_list() {
    let mut f = Fixture::new();
    // A timeline event changes `explainer.timeline`: the timeline page reads it, the home page
    // (which reads only `explainer.topics`) and the other topic pages do not.
    edit(
        &f.path("content/topics/trade.md"),
        "event: \"Ministers meet\"",
        "event: \"Ministers meet in Moscow\"",
    );
    let r = f.apply(&["content/topics/trade.md"]);
    assert_eq!(r.kind, RebuildKind::Incremental);
    let mut written = r.written.clone();
    written.sort();
    assert_eq!(
        written,
        vec!["atom.xml", "timeline/index.html"],
        "{}",
        r.summary()
    );
    // The edited page (its layout shows no timeline), the timeline page and the publishing files
    // (sitemap, feed, robots.txt, .nojekyll): not the home page, the section or the other topics.
    assert_eq!(r.rendered, 6, "{}", r.summary());
}

#[test]
fn a_paginated_list_gains_and_loses_pages_as_it_grows_and_shrinks() {
    // One event per page: adding a second event adds `timeline/page/2/`, removing it deletes it.
    let mut f = Fixture::with(|root| {
        let yaml = root.join("site.yaml");
        let text = std::fs::read_to_string(&yaml).expect("read site.yaml");
        write(&yaml, &format!("{text}paginate_by: 1\n"));
        write(
            &root.join("layouts/timeline.html"),
            "<ol>{% for t in paginator.items %}<li>{{ t.event }}</li>{% endfor %}</ol>\
             <p>{{ paginator.current_index }}/{{ paginator.number_pagers }}</p>\
             {% if paginator.next %}<a rel=next href=\"{{ paginator.next }}\">next</a>{% endif %}",
        );
    });
    let pages = |f: &Fixture| {
        let mut p: Vec<String> = snapshot(&f.out)
            .into_keys()
            .filter(|k| k.starts_with("timeline/"))
            .collect();
        p.sort();
        p
    };
    assert_eq!(pages(&f), ["timeline/index.html"], "one event, one page");
    let trade = f.path("content/topics/trade.md");
    edit(
        &trade,
        "    source: s1\nrelated",
        "    source: s1\n  - date: 2024-01-05\n    event: \"Talks resume\"\n    source: s1\nrelated",
    );
    let r = f.apply(&["content/topics/trade.md"]);
    assert_eq!(r.kind, RebuildKind::Incremental);
    assert_eq!(pages(&f).len(), 2, "{}", r.summary());
    let last = std::fs::read_to_string(f.out.join("timeline/page/2/index.html")).expect("page 2");
    assert!(
        last.contains("Talks resume") && last.contains("2/2"),
        "{last}"
    );
    let first = std::fs::read_to_string(f.out.join("timeline/index.html")).expect("page 1");
    assert!(
        first.contains("timeline/page/2/"),
        "links to page 2: {first}"
    );
    edit(
        &trade,
        "  - date: 2024-01-05\n    event: \"Talks resume\"\n    source: s1\n",
        "",
    );
    let r = f.apply(&["content/topics/trade.md"]);
    assert_eq!(
        r.deleted,
        vec!["timeline/page/2/index.html"],
        "{}",
        r.summary()
    );
    assert_eq!(pages(&f).len(), 1);
}

#[test]
fn a_new_citation_re_renders_only_the_bibliography_page_holding_that_source() {
    // One source per page: s1 on sources/, s2 on sources/page/2/. Sources keep their places
    // (sources.yaml order), so citing s2 from one more page changes page 2 alone.
    let mut f = Fixture::with(|root| {
        let yaml = root.join("site.yaml");
        let text = std::fs::read_to_string(&yaml).expect("read site.yaml");
        write(&yaml, &format!("{text}paginate_by: 1\n"));
        write(
            &root.join("layouts/sources.html"),
            "<ol>{% for s in paginator.items %}<li id=\"{{ s.id }}\">{{ s.publisher }}: \
             {% for p in s.pages %}{{ p.title }} {% endfor %}</li>{% endfor %}</ol>",
        );
    });
    edit(
        &f.path("content/topics/energy.md"),
        "Oil flows [@s1].",
        "Oil flows [@s1], and trade with it [@s2].",
    );
    let r = f.apply(&["content/topics/energy.md"]);
    assert_eq!(
        not_search(&r.written),
        ["sources/page/2/index.html", "topics/energy/index.html"],
        "{}",
        r.summary()
    );
    // The search index holds the page's opening words, which the edit changed.
    assert!(
        r.written.iter().any(|w| w == "search/manifest.json"),
        "{}",
        r.summary()
    );
    // The two pages and the search index's files (manifest, term shard, result chunk).
    let index_files = walkdir::WalkDir::new(f.out.join("search"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .count();
    assert_eq!(
        r.rendered,
        2 + index_files,
        "not sources/ nor the feed: {}",
        r.summary()
    );
    let page_2 = std::fs::read_to_string(f.out.join("sources/page/2/index.html")).expect("read");
    assert!(page_2.contains("Energy"), "{page_2}");
}

#[test]
fn page_only_fields_and_long_bodies() {
    let mut f = Fixture::new();
    let trade = f.path("content/topics/trade.md");
    // Fields only the page itself shows.
    edit(&trade, "related: [energy]", "related: [energy]\nin_brief:\n  - \"One point.\"\n  - \"Another point.\"\n  - \"A third.\"");
    let r = f.apply(&["content/topics/trade.md"]);
    assert_eq!(
        r.rendered,
        1,
        "only the page is re-rendered: {}",
        r.summary()
    );
    // A long body, edited after the words the search index and feed quote, then at the start.
    let long: String = (0..400).map(|i| format!("word{i} ")).collect();
    edit(
        &trade,
        "MARKER-TRADE-ORIGINAL",
        &format!("{long}\n\nTAIL-ONE"),
    );
    f.apply(&["content/topics/trade.md"]);
    edit(&trade, "TAIL-ONE", "TAIL-TWO");
    let r = f.apply(&["content/topics/trade.md"]);
    assert_eq!(
        r.written,
        vec!["topics/trade/index.html"],
        "{}",
        r.summary()
    );
    edit(&trade, "Trade grew", "Commerce grew");
    let r = f.apply(&["content/topics/trade.md"]);
    assert!(
        r.written.iter().any(|w| w == "search/manifest.json"),
        "{}",
        r.summary()
    );
    // A citation added in the body reaches the bibliography.
    edit(&trade, "TAIL-TWO", "TAIL-TWO [@s1]");
    f.apply(&["content/topics/trade.md"]);
    // The opening words of a topic without a summary, which the feed quotes.
    edit(&trade, "summary: \"Trade between the two.\"\n", "");
    f.apply(&["content/topics/trade.md"]);
    edit(&trade, "Commerce grew", "Commerce shrank");
    let r = f.apply(&["content/topics/trade.md"]);
    assert!(
        r.written.iter().any(|w| w == "atom.xml") || !f.out.join("atom.xml").exists(),
        "{}",
        r.summary()
    );
    // Two pages at once.
    edit(&trade, "TAIL-TWO", "TAIL-THREE");
    edit(
        &f.path("content/topics/energy.md"),
        "summary: \"Oil and gas.\"",
        "summary: \"Oil, gas and coal.\"",
    );
    f.apply(&["content/topics/trade.md", "content/topics/energy.md"]);
}

#[test]
fn tags_added_and_removed_create_and_delete_their_pages() {
    let mut f = Fixture::new();
    edit(
        &f.path("content/topics/trade.md"),
        "tags: [economy]",
        "tags: [economy, shipping]",
    );
    let r = f.apply(&["content/topics/trade.md"]);
    assert!(r.written.iter().any(|w| w == "tags/shipping/index.html"));
    edit(
        &f.path("content/topics/trade.md"),
        "tags: [economy, shipping]",
        "tags: [economy]",
    );
    let r = f.apply(&["content/topics/trade.md"]);
    assert_eq!(r.deleted, vec!["tags/shipping/index.html"]);
    assert!(
        !f.out.join("tags/shipping").exists(),
        "the empty folder goes too"
    );
}

#[test]
fn layouts_assets_and_site_yaml() {
    let mut f = Fixture::new();
    edit(
        &f.path("layouts/page.html"),
        "<article>",
        "<article class=edited>",
    );
    let r = f.apply(&["layouts/page.html"]);
    assert_eq!(r.kind, RebuildKind::Incremental);

    write(&f.path("assets/css/site.css"), "body { color: teal; }\n");
    let r = f.apply(&["assets/css/site.css"]);
    assert_eq!(r.css_only, vec!["css/site.css"]);
    assert!(r.written.iter().any(|w| w == "css/site.css"));

    // A stylesheet alone is written before any page: the pages that link it by its new hash
    // follow in a second step.
    write(&f.path("assets/css/site.css"), "body { color: olive; }\n");
    let paths = [f.path("assets/css/site.css")];
    let first = f.watcher.apply_changes(&paths).expect("rebuild");
    assert_eq!(first.written, vec!["css/site.css"], "only the stylesheet");
    assert_eq!(first.rendered, 0);
    let hash = f
        .watcher
        .asset_hash("css/site.css")
        .expect("the new hash")
        .to_string();
    let trade = f.out.join("topics/trade/index.html");
    let page = || std::fs::read_to_string(&trade).expect("read");
    assert!(!page().contains(&hash), "no page links it yet");
    let rest = f
        .watcher
        .finish_deferred()
        .expect("the pages follow")
        .expect("rebuild the pages");
    assert!(rest.rendered > 0 && rest.css_only == vec!["css/site.css"]);
    assert!(page().contains(&hash), "the pages link the new hash");
    assert!(f.watcher.finish_deferred().is_none(), "nothing else waits");
    f.assert_matches_full_build();

    write(&f.path("assets/js/site.js"), "window.changed = 1;\n");
    let r = f.apply(&["assets/js/site.js"]);
    assert!(r.css_only.is_empty());

    edit(
        &f.path("site.yaml"),
        "base_url: \"https://example.github.io/repo/\"",
        "base_url: \"https://example.github.io/other/\"",
    );
    let r = f.apply(&["site.yaml"]);
    assert_eq!(r.kind, RebuildKind::Full);
    assert_eq!(f.watcher.base_path(), Some("/other/"));

    edit(
        &f.path("content/_data/sources.yaml"),
        "title: \"Ministers meet\"",
        "title: \"Ministers met\"",
    );
    let r = f.apply(&["content/_data/sources.yaml"]);
    assert_eq!(r.kind, RebuildKind::Full);
}

#[test]
fn adding_deleting_and_renaming_files_and_folders() {
    let mut f = Fixture::new();
    write(
        &f.path("content/topics/visa.md"),
        "---\ntitle: \"Visas\"\ntags: [travel]\n---\nVisa rules.\n",
    );
    f.apply(&["content/topics/visa.md"]);
    assert!(f.out.join("topics/visa/index.html").is_file());

    std::fs::rename(
        f.path("content/topics/visa.md"),
        f.path("content/topics/visas.md"),
    )
    .expect("rename");
    let r = f.apply(&["content/topics/visa.md", "content/topics/visas.md"]);
    assert!(
        r.deleted.iter().any(|d| d == "topics/visa/index.html"),
        "{:?}",
        r.deleted
    );

    std::fs::remove_file(f.path("content/topics/visas.md")).expect("delete");
    f.apply(&["content/topics/visas.md"]);
    assert!(!f.out.join("tags/travel").exists());

    // Only the folder is named, as inotify reports a folder rename.
    std::fs::rename(f.path("content/topics"), f.path("content/subjects")).expect("rename folder");
    f.apply(&["content/topics", "content/subjects"]);
    assert!(f.out.join("subjects/trade/index.html").is_file());
    assert!(!f.out.join("topics").exists());

    std::fs::write(f.path("content/subjects/notes.txt"), "a static file").expect("static");
    f.apply(&["content/subjects/notes.txt"]);
    assert_eq!(
        std::fs::read_to_string(f.out.join("subjects/notes.txt")).expect("copied"),
        "a static file"
    );
}

#[test]
fn unchanged_content_and_editor_files_are_skipped() {
    let mut f = Fixture::new();
    let before = snapshot(&f.out);
    let trade = f.path("content/topics/trade.md");
    let text = std::fs::read_to_string(&trade).expect("read");
    write(&trade, &text);
    let r = f
        .watcher
        .apply_changes(std::slice::from_ref(&trade))
        .expect("rebuild");
    assert_eq!(r.kind, RebuildKind::Skipped);
    for name in [
        ".trade.md.swp",
        "trade.md~",
        "#trade.md#",
        ".#trade.md",
        "trade.md.bck",
        "__jb_tmp__",
        "4913",
        ".DS_Store",
    ] {
        let p = f.path("content/topics").join(name);
        write(&p, "---\ntitle: [broken\n---\n");
        let r = f.watcher.apply_changes(&[p]).expect("ignored");
        assert_eq!(r.kind, RebuildKind::Skipped, "{name}");
    }
    // The output dir and anything outside the sources are never sources.
    let r = f
        .watcher
        .apply_changes(&[f.out.join("index.html"), f.root.join("README.md")])
        .expect("ignored");
    assert_eq!(r.kind, RebuildKind::Skipped);
    assert_eq!(snapshot(&f.out), before);
}

#[test]
fn a_bad_edit_keeps_the_last_good_output_until_fixed() {
    let mut f = Fixture::new();
    let before = snapshot(&f.out);
    let trade = f.path("content/topics/trade.md");
    let good = std::fs::read_to_string(&trade).expect("read");
    for bad in [
        good.replace("title: \"Trade\"", "title: [unclosed"),
        good.replace("related: [energy]", "related: [nowhere]"),
        good.replace("[@s2]", "[@s404]"),
    ] {
        write(&trade, &bad);
        let err = f
            .watcher
            .apply_changes(std::slice::from_ref(&trade))
            .expect_err("must fail");
        assert!(
            err.diagnostics()
                .iter()
                .any(|d| d.file == Path::new("content/topics/trade.md")),
            "{err}"
        );
        assert!(f.watcher.failed());
        assert_eq!(
            snapshot(&f.out),
            before,
            "output untouched by a failed rebuild"
        );
    }
    // An unrelated good edit while trade.md is broken still fails: the site is not whole.
    edit(
        &f.path("content/topics/energy.md"),
        "MARKER-ENERGY-ORIGINAL",
        "MARKER-ENERGY-WHILE-BROKEN",
    );
    assert!(f
        .watcher
        .apply_changes(&[f.path("content/topics/energy.md")])
        .is_err());
    // Restoring the good text ends the failure and applies the other edit.
    write(&trade, &good);
    let r = f
        .watcher
        .apply_changes(std::slice::from_ref(&trade))
        .expect("recovered");
    assert!(!f.watcher.failed());
    assert!(
        r.written.iter().any(|w| w == "topics/energy/index.html"),
        "{:?}",
        r.written
    );
    f.assert_matches_full_build();

    // A broken layout, then fixed.
    let layout = f.path("layouts/page.html");
    let good_layout = std::fs::read_to_string(&layout).expect("read");
    write(
        &layout,
        "{% extends \"base.html\" %}{% block main %}{{ page.title {% endblock %}",
    );
    assert!(f
        .watcher
        .apply_changes(std::slice::from_ref(&layout))
        .is_err());
    write(&layout, &good_layout);
    f.apply(&["layouts/page.html"]);
}

#[test]
fn a_site_that_starts_broken_builds_once_fixed() {
    let (tmp, root) = site_copy("serve-basic");
    let trade = root.join("content/topics/trade.md");
    let good = std::fs::read_to_string(&trade).expect("read");
    write(
        &trade,
        &good.replace("title: \"Trade\"", "title: [unclosed"),
    );
    let out = tmp.path().join("out");
    let opts = BuildOptions {
        root: root.clone(),
        output: Some(out.clone()),
        ..Default::default()
    };
    let mut w = Watcher::new(opts).expect("watcher");
    assert!(w.build_all().is_err());
    write(&trade, &good);
    let r = w
        .apply_changes(std::slice::from_ref(&trade))
        .expect("builds");
    assert_eq!(r.kind, RebuildKind::Full);
    assert!(out.join("topics/trade/index.html").is_file());
}

#[test]
fn watch_command_rebuilds_on_edits_and_stops_on_ctrl_c() {
    let (tmp, root) = site_copy("serve-basic");
    let out = tmp.path().join("out");
    let mut w = Bilat::watch(&root, &out, &[]);
    assert!(out.join("topics/trade/index.html").is_file());

    let trade = root.join("content/topics/trade.md");
    edit(&trade, "MARKER-TRADE-ORIGINAL", "MARKER-TRADE-WATCHED");
    let page = out.join("topics/trade/index.html");
    let seen = wait_for(Duration::from_secs(2), || {
        std::fs::read_to_string(&page)
            .ok()
            .filter(|t| t.contains("MARKER-TRADE-WATCHED"))
    });
    assert!(seen.is_some(), "{}", w.output_text());
    assert!(
        !seen.unwrap_or_default().contains("bilat-live"),
        "watch output has no live-reload script"
    );
    let line = w
        .wait_line("changed", Duration::from_secs(2))
        .expect("a rebuild line");
    assert!(
        line.contains("content/topics/trade.md changed")
            && line.contains("re-rendered")
            && line.ends_with(" ms"),
        "{line}"
    );

    // A bad edit: errors printed, the process keeps watching.
    edit(&trade, "title: \"Trade\"", "title: [unclosed");
    let failed = wait_for(Duration::from_secs(3), || {
        w.stderr_text()
            .contains("content/topics/trade.md:2")
            .then_some(())
    });
    assert!(failed.is_some(), "{}", w.output_text());
    edit(&trade, "title: [unclosed", "title: \"Trade again\"");
    let back = wait_for(Duration::from_secs(3), || {
        std::fs::read_to_string(&page)
            .ok()
            .filter(|t| t.contains("Trade again"))
    });
    assert!(back.is_some(), "{}", w.output_text());

    let status = w
        .interrupt(Duration::from_secs(10))
        .expect("stops on SIGINT");
    assert!(status.success(), "{status:?}");
    assert!(w
        .stdout_lines()
        .iter()
        .any(|l| l.contains("stopped watching")));
}

#[test]
fn watch_never_reacts_to_its_own_output_in_the_site() {
    let (_tmp, root) = site_copy("serve-basic");
    // The default output, public/, sits inside the site root.
    let w = Bilat::spawn(&["watch", "--root", root.to_str().expect("utf8")]);
    assert!(
        w.wait_line("watching", Duration::from_secs(60)).is_some(),
        "{}",
        w.output_text()
    );
    std::fs::write(root.join("public/extra.html"), "x").expect("write into output");
    std::thread::sleep(Duration::from_millis(1200));
    assert!(w.rebuild_lines().is_empty(), "{}", w.output_text());
}

#[test]
fn watch_with_poll_sees_edits() {
    let (tmp, root) = site_copy("serve-basic");
    let out = tmp.path().join("out");
    let w = Bilat::watch(&root, &out, &["--poll"]);
    edit(
        &root.join("content/topics/energy.md"),
        "MARKER-ENERGY-ORIGINAL",
        "MARKER-ENERGY-POLLED",
    );
    let page = out.join("topics/energy/index.html");
    let seen = wait_for(Duration::from_secs(5), || {
        std::fs::read_to_string(&page)
            .ok()
            .filter(|t| t.contains("MARKER-ENERGY-POLLED"))
    });
    assert!(seen.is_some(), "{}", w.output_text());
}

#[test]
fn a_new_or_removed_override_of_the_built_in_theme_rebuilds_like_a_layout_edit() {
    // theme-basic has no layouts/ or assets/: everything comes from the built-in theme.
    let mut f = Fixture::of("theme-basic", |_| {});
    let builtin = |rel: &str| {
        bilat::theme::builtin(bilat::theme::Folder::Layouts, rel)
            .map(|b| String::from_utf8_lossy(b.bytes).into_owned())
            .expect("built-in layout")
    };
    let page = builtin("page.html").replacen(
        "<article class=\"topic\">",
        "<article class=\"topic\" data-override=watch>",
        1,
    );
    std::fs::create_dir_all(f.path("layouts")).expect("mkdir");
    write(&f.path("layouts/page.html"), &page);
    f.apply(&["layouts/page.html"]);
    let trade = std::fs::read_to_string(f.out.join("topics/trade/index.html")).expect("read");
    assert!(
        trade.contains("data-override=watch"),
        "the new override is used"
    );

    std::fs::remove_file(f.path("layouts/page.html")).expect("rm");
    f.apply(&["layouts/page.html"]);
    let trade = std::fs::read_to_string(f.out.join("topics/trade/index.html")).expect("read");
    assert!(
        !trade.contains("data-override"),
        "the built-in layout is back"
    );

    // An asset: a new override, an edit of it, its removal.
    std::fs::create_dir_all(f.path("assets/css")).expect("mkdir");
    write(&f.path("assets/css/site.css"), "body { color: teal; }\n");
    f.apply(&["assets/css/site.css"]);
    assert_eq!(
        std::fs::read(f.out.join("css/site.css")).expect("css"),
        b"body { color: teal; }\n"
    );
    write(&f.path("assets/css/site.css"), "body { color: navy; }\n");
    let r = f.apply(&["assets/css/site.css"]);
    assert_eq!(
        r.css_only,
        vec!["css/site.css"],
        "an edit of an override is CSS-only"
    );
    std::fs::remove_file(f.path("assets/css/site.css")).expect("rm");
    f.apply(&["assets/css/site.css"]);
    let builtin_css =
        bilat::theme::builtin(bilat::theme::Folder::Assets, "css/site.css").expect("built-in css");
    assert_eq!(
        std::fs::read(f.out.join("css/site.css")).expect("css"),
        builtin_css.bytes
    );
}

/// Every output file with its bytes and modification time: what a rebuild touched.
fn stamps(dir: &Path) -> BTreeMap<String, (Vec<u8>, std::time::SystemTime)> {
    snapshot(dir)
        .into_iter()
        .map(|(rel, bytes)| {
            let mtime = std::fs::metadata(dir.join(&rel))
                .and_then(|m| m.modified())
                .expect("mtime");
            (rel, (bytes, mtime))
        })
        .collect()
}

/// The output files whose bytes or modification time differ between two [`stamps`].
fn touched(
    before: &BTreeMap<String, (Vec<u8>, std::time::SystemTime)>,
    after: &BTreeMap<String, (Vec<u8>, std::time::SystemTime)>,
) -> Vec<String> {
    after
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(*v))
        .map(|(k, _)| k.clone())
        .chain(before.keys().filter(|k| !after.contains_key(*k)).cloned())
        .collect()
}

/// The warnings a rebuild reports are those a fresh load of the site finds.
fn assert_warnings_match_a_fresh_load(f: &Fixture, r: &bilat::watch::RebuildReport) {
    let opts = BuildOptions {
        root: f.root.clone(),
        ..Default::default()
    };
    let fresh = bilat::Site::load(&opts).expect("load");
    let key = |d: &bilat::Diagnostic| (d.file.clone(), d.line, d.message.clone());
    let mut a: Vec<_> = r.warnings.iter().map(key).collect();
    let mut b: Vec<_> = fresh.warnings.iter().map(key).collect();
    a.sort();
    a.dedup();
    b.sort();
    b.dedup();
    assert_eq!(a, b, "{}", r.summary());
}

const OUTDATED: &str = "edition-notice outdated";

#[test]
fn editing_an_original_re_renders_its_translation_with_the_outdated_notice() {
    let mut f = Fixture::of("editions", |_| {});
    let ru_trade = f.out.join("ru/topics/trade/index.html");
    let before = std::fs::read_to_string(&ru_trade).expect("ru trade page");
    assert!(!before.contains(OUTDATED), "fresh before the edit");
    edit(
        &f.path("content/topics/trade.md"),
        "Trade grew",
        "Trade grew sharply",
    );
    let r = f.apply(&["content/topics/trade.md"]);
    assert_eq!(r.kind, RebuildKind::Incremental, "{}", r.summary());
    assert_eq!(r.editions, vec!["en", "ru"], "{}", r.summary());
    let after = std::fs::read_to_string(&ru_trade).expect("ru trade page");
    assert!(after.contains(OUTDATED), "{after}");
    assert!(
        r.written.iter().any(|w| w == "topics/trade/index.html")
            && r.written.iter().any(|w| w == "ru/topics/trade/index.html"),
        "{}",
        r.summary()
    );
    // A summary and a tag of an original change the lists of every edition; an untranslated
    // page's summary is shown as it is in the other editions' lists.
    edit(
        &f.path("content/topics/energy.md"),
        "Oil and gas.",
        "Oil, gas and power.",
    );
    let r = f.apply(&["content/topics/energy.md"]);
    assert_eq!(r.kind, RebuildKind::Incremental, "{}", r.summary());
    assert!(
        r.written.iter().any(|w| w.starts_with("ru/")),
        "{}",
        r.summary()
    );
    edit(
        &f.path("content/topics/trade.md"),
        "tags: [economy]",
        "tags: [economy, ports]",
    );
    let r = f.apply(&["content/topics/trade.md"]);
    assert!(
        f.out.join("ru/tags/ports/index.html").is_file(),
        "{}",
        r.summary()
    );
    edit(
        &f.path("content/topics/trade.md"),
        "tags: [economy, ports]",
        "tags: [economy]",
    );
    let r = f.apply(&["content/topics/trade.md"]);
    assert!(
        r.deleted.iter().any(|d| d == "ru/tags/ports/index.html"),
        "{}",
        r.summary()
    );
    // The notice is a warning too.
    assert_warnings_match_a_fresh_load(&f, &r);
    assert!(
        r.warnings
            .iter()
            .any(|w| w.message.contains("this translation is outdated")),
        "{:?}",
        r.warnings
    );
}

#[test]
fn editing_a_translation_rewrites_only_its_edition() {
    let mut f = Fixture::of("editions", |_| {});
    let before = stamps(&f.out);
    // The mtime of a file rewritten at once may not move on a coarse clock.
    std::thread::sleep(Duration::from_millis(20));
    edit(
        &f.path("content/topics/trade.ru.md"),
        "Торговля выросла",
        "Торговля заметно выросла",
    );
    let r = f.apply(&["content/topics/trade.ru.md"]);
    assert_eq!(r.kind, RebuildKind::Incremental, "{}", r.summary());
    assert_eq!(r.editions, vec!["ru"], "{}", r.summary());
    let changed = touched(&before, &stamps(&f.out));
    assert!(
        changed.iter().any(|w| w == "ru/topics/trade/index.html"),
        "{changed:?}"
    );
    assert!(changed.iter().all(|w| w.starts_with("ru/")), "{changed:?}");
    assert!(
        r.written.iter().all(|w| w.starts_with("ru/")),
        "{}",
        r.summary()
    );
    let page = std::fs::read_to_string(f.out.join("ru/topics/trade/index.html")).expect("page");
    assert!(page.contains("заметно"), "{page}");
    assert_warnings_match_a_fresh_load(&f, &r);
}

#[test]
fn a_translation_whose_facts_contradict_its_original_fails_and_recovers() {
    let mut f = Fixture::of("editions", |_| {});
    let trade_ru = f.path("content/topics/trade.ru.md");
    let good = std::fs::read_to_string(&trade_ru).expect("read");
    write(&trade_ru, &good.replacen("title:", "weight: 7\ntitle:", 1));
    let err = f
        .watcher
        .apply_changes(std::slice::from_ref(&trade_ru))
        .expect_err("a contradicted fact fails");
    assert!(err.to_string().contains("trade.ru.md"), "{err}");
    write(
        &trade_ru,
        &good.replacen("Торговля выросла", "Торговля росла", 1),
    );
    let r = f.apply(&["content/topics/trade.ru.md"]);
    assert_ne!(r.kind, RebuildKind::Skipped, "{}", r.summary());
}

#[test]
fn adding_and_deleting_a_translation_and_editing_site_yaml_match_a_full_build() {
    let mut f = Fixture::of("editions", |_| {});
    let energy_ru = f.path("content/topics/energy.ru.md");
    write(
        &energy_ru,
        "---\ntitle: \"Энергетика\"\n---\nЭнергетика страны.\n",
    );
    let r = f.apply(&["content/topics/energy.ru.md"]);
    assert_eq!(r.kind, RebuildKind::Full, "{}", r.summary());
    assert!(f.out.join("ru/topics/energy/index.html").is_file());
    // Once there, it is edited like any translation.
    edit(&energy_ru, "Энергетика страны", "Энергетика обеих стран");
    let r = f.apply(&["content/topics/energy.ru.md"]);
    assert_eq!(r.kind, RebuildKind::Incremental, "{}", r.summary());
    std::fs::remove_file(&energy_ru).expect("remove");
    let r = f.apply(&["content/topics/energy.ru.md"]);
    assert_eq!(r.kind, RebuildKind::Full, "{}", r.summary());
    assert!(!f.out.join("ru/topics/energy/index.html").exists());
    edit(
        &f.path("site.yaml"),
        "title: \"Testland–Examplestan relations\"",
        "title: \"Testland and Examplestan\"",
    );
    let r = f.apply(&["site.yaml"]);
    assert_eq!(r.kind, RebuildKind::Full, "{}", r.summary());
    // And an original's edit after all that is still incremental and right.
    edit(
        &f.path("content/about.md"),
        "title: \"About\"",
        "title: \"About us\"",
    );
    let r = f.apply(&["content/about.md"]);
    assert_eq!(r.kind, RebuildKind::Incremental, "{}", r.summary());
}

#[test]
fn an_edit_keeps_reporting_the_other_pages_warnings_and_checks_its_own_references() {
    let mut f = Fixture::with(|root| {
        let energy = root.join("content/topics/energy.md");
        let md = std::fs::read_to_string(&energy).expect("energy.md");
        let md = md.replacen(
            "---\n",
            "---\nnext:\n  - what: \"A visit long expected\"\n    expected: 2020-01\n    source: s1\nin_brief: [\"one\", \"two\", \"three\", \"four\", \"five\", \"six\"]\n",
            1,
        );
        std::fs::write(&energy, md).expect("write");
    });
    let passed = |r: &bilat::watch::RebuildReport| {
        r.warnings
            .iter()
            .filter(|d| d.message.contains("A visit long expected"))
            .count()
    };
    let trade = f.path("content/topics/trade.md");
    edit(&trade, "MARKER-TRADE-ORIGINAL", "MARKER-TRADE-EDITED");
    let report = f.apply(&["content/topics/trade.md"]);
    assert_eq!(report.kind, RebuildKind::Incremental);
    assert_eq!(passed(&report), 1, "{:?}", report.warnings);
    assert!(
        report
            .warnings
            .iter()
            .any(|d| d.message.contains("`in_brief` has 6 bullets")),
        "{:?}",
        report.warnings
    );
    // The edited page's own references are checked: an unknown source fails the edit.
    edit(&trade, "[@s2]", "[@s404]");
    let paths = vec![trade.clone()];
    let err = f
        .watcher
        .apply_changes(&paths)
        .expect_err("an unknown source");
    assert!(err.to_string().contains("s404"), "{err}");
}
