//! The build pipeline end to end: fixture sites built by the real binary into temp dirs, and
//! assertions on the files written (or, for invalid sites, on the errors and the untouched output).

mod common;

use common::*;
use scraper::{Html, Selector};

#[test]
fn pages_get_pretty_urls_and_files_are_copied() {
    let (tmp, root) = site_copy("sites/basic");
    let out = tmp.path().join("public");
    let o = build(&root, &out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let files = snapshot(&out);
    for f in [
        "index.html",
        "topics/index.html",
        "topics/trade/index.html",
        "topics/energy/index.html",
        "topics/bundle/index.html",
        "topics/bundle/photo.svg",
        "topics/chart.svg",
        "css/site.css",
        "glossary/index.html",
        "404.html",
        "old/trade/index.html",
        ".nojekyll",
    ] {
        assert!(
            files.contains_key(f),
            "missing {f}; have {:?}",
            files.keys()
        );
    }
    assert!(
        !files.contains_key("topics/draft/index.html"),
        "drafts are left out by default"
    );
    let alias = read(&out, "old/trade/index.html");
    assert!(alias.contains("url=/sub/topics/trade/"), "{alias}");
    let summary = String::from_utf8_lossy(&o.stdout);
    assert!(
        summary.contains("built") && summary.contains("pages"),
        "{summary}"
    );
}

#[test]
fn timings_name_each_stage_once_and_add_up_to_about_the_build() {
    let (tmp, root) = site_copy("sites/basic");
    let out = tmp.path().join("public");
    let o = build(&root, &out, &["--timings"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    let mut lines = text.lines();
    let summary = lines.next().unwrap_or_default();
    let total_ms: f64 = summary
        .split(" in ")
        .nth(1)
        .and_then(|t| t.split(" ms").next())
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("no build time in {summary:?}"));
    assert!(
        lines.next().is_some_and(|h| h.starts_with("stage")),
        "{text}"
    );
    let mut stages = Vec::new();
    let mut sum = 0.0;
    for line in lines {
        let cols: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(cols.len(), 5, "{line:?}");
        stages.push(cols[0].to_string());
        sum += cols[1]
            .parse::<f64>()
            .unwrap_or_else(|_| panic!("{line:?}"));
    }
    let want = [
        "config", "read", "index", "check", "markdown", "prepare", "render", "finish",
    ];
    let mut found = stages.iter().filter(|s| want.contains(&s.as_str()));
    assert!(
        want.iter().all(|w| found.any(|s| s == w)),
        "stages in order: {stages:?}"
    );
    let mut unique = stages.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), stages.len(), "a stage twice: {stages:?}");
    // The stages are the build, bar checking the output dir and handing back the report.
    assert!(
        sum <= total_ms + 1.0 && sum >= total_ms * 0.8 - 5.0,
        "{sum} of {total_ms}"
    );
}

#[test]
fn drafts_are_built_with_the_flag() {
    let (tmp, root) = site_copy("sites/basic");
    let out = tmp.path().join("public");
    let o = build(&root, &out, &["--drafts"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(out.join("topics/draft/index.html").exists());
}

#[test]
fn headings_get_unique_ids_and_links_are_rewritten() {
    let (tmp, root) = site_copy("sites/basic");
    let out = tmp.path().join("public");
    assert!(build(&root, &out, &[]).status.success());
    let html = read(&out, "topics/trade/index.html");
    let doc = Html::parse_document(&html);
    let ids: Vec<String> = doc
        .select(&Selector::parse("h2").expect("selector"))
        .filter_map(|h| h.value().attr("id").map(str::to_string))
        .collect();
    assert_eq!(ids, ["overview", "overview-1"]);
    let hrefs: Vec<String> = doc
        .select(&Selector::parse("a").expect("selector"))
        .filter_map(|a| a.value().attr("href").map(str::to_string))
        .collect();
    assert!(
        hrefs.contains(&"/sub/topics/energy/#pipelines".to_string()),
        "{hrefs:?}"
    );
    assert!(
        hrefs.contains(&"/sub/topics/bundle/".to_string()),
        "{hrefs:?}"
    );
    assert!(
        hrefs.contains(&"#src-s2".to_string()),
        "citation links to the source list: {hrefs:?}"
    );
    assert!(
        hrefs.contains(&"/sub/glossary/#fta".to_string()),
        "glossary auto-link: {hrefs:?}"
    );
    // Only the first mention of a glossary term is linked.
    assert_eq!(
        hrefs.iter().filter(|h| *h == "/sub/glossary/#fta").count(),
        1
    );
    let img = doc
        .select(&Selector::parse("img").expect("selector"))
        .next()
        .expect("img");
    assert_eq!(img.value().attr("src"), Some("/sub/topics/chart.svg"));
    assert!(
        html.contains("<div class=raw>raw html kept</div>"),
        "raw HTML is kept"
    );
    assert!(
        doc.select(&Selector::parse("table td").expect("selector"))
            .count()
            == 2,
        "tables render"
    );
    assert!(
        doc.select(&Selector::parse("#fn-1").expect("selector"))
            .next()
            .is_some(),
        "footnote ids are prefixed"
    );
}

#[test]
fn minified_output_is_valid_parseable_html() {
    let (tmp, root) = site_copy("sites/basic");
    let out = tmp.path().join("public");
    assert!(build(&root, &out, &[]).status.success());
    for (path, bytes) in snapshot(&out)
        .into_iter()
        .filter(|(p, _)| p.ends_with(".html") && !p.starts_with("old/"))
    {
        let html = String::from_utf8(bytes).expect("utf8");
        assert!(
            html.to_lowercase().starts_with("<!doctype html>"),
            "{path} keeps its doctype"
        );
        assert!(!html.contains("\n  "), "{path} is minified");
        let doc = Html::parse_document(&html);
        assert!(
            doc.errors.is_empty(),
            "{path} parses without errors: {:?}",
            doc.errors
        );
        let h1 = doc
            .select(&Selector::parse("h1").expect("selector"))
            .count();
        assert_eq!(h1, 1, "{path} has one h1");
        // Optional closing tags are left out; the tree must still be the layout's.
        let mains = doc
            .select(&Selector::parse("body > main#main").expect("selector"))
            .count();
        assert_eq!(mains, 1, "{path}: main is still a child of body");
    }
}

#[test]
fn two_builds_are_byte_identical() {
    let (tmp, root) = site_copy("sites/basic");
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    assert!(build(&root, &a, &[]).status.success());
    assert!(build(&root, &b, &[]).status.success());
    assert_eq!(snapshot(&a), snapshot(&b));
}

#[test]
fn rebuild_removes_stale_files_and_keeps_git_and_cname() {
    let (tmp, root) = site_copy("sites/basic");
    let out = tmp.path().join("public");
    assert!(build(&root, &out, &[]).status.success());
    std::fs::write(out.join("stale.html"), "old").expect("write");
    std::fs::create_dir_all(out.join(".git")).expect("mkdir");
    std::fs::write(out.join(".git/HEAD"), "ref: refs/heads/gh-pages\n").expect("write");
    std::fs::write(out.join("CNAME"), "example.org\n").expect("write");
    std::fs::remove_file(root.join("content/topics/energy.md")).expect("rm");
    std::fs::write(
        root.join("content/topics/trade.md"),
        read(&root, "content/topics/trade.md")
            .replace("related: [energy]", "")
            .replace("[energy](energy.md#pipelines)", "energy"),
    )
    .expect("write");
    let o = build(&root, &out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!out.join("stale.html").exists());
    assert!(!out.join("topics/energy/index.html").exists());
    assert_eq!(read(&out, ".git/HEAD"), "ref: refs/heads/gh-pages\n");
    assert_eq!(read(&out, "CNAME"), "example.org\n");
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
        .expect("ls")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .filter(|n| n.to_string_lossy().contains("bilat"))
        .collect();
    assert!(leftovers.is_empty(), "no staging dirs left: {leftovers:?}");
}

#[test]
fn a_failed_build_leaves_the_previous_output_byte_for_byte() {
    let (tmp, root) = site_copy("sites/basic");
    let out = tmp.path().join("public");
    assert!(build(&root, &out, &[]).status.success());
    let before = snapshot(&out);
    std::fs::write(
        root.join("content/topics/energy.md"),
        "---\ntitle: [unclosed\n---\n",
    )
    .expect("write");
    let o = build(&root, &out, &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("content/topics/energy.md:2"),
        "{}",
        stderr(&o)
    );
    assert_eq!(before, snapshot(&out));
}

#[test]
fn every_invalid_site_fails_with_file_line_and_message() {
    let dir = fixture("sites_invalid");
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .expect("ls")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() >= 15, "the invalid fixtures are all there");
    for case in cases {
        let name = case
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path().join("site");
        copy_dir(&case, &root);
        let out = tmp.path().join("public");
        std::fs::create_dir_all(&out).expect("mkdir");
        std::fs::write(out.join("previous.html"), "the last good build").expect("write");
        let before = snapshot(&out);
        let o = build(&root, &out, &[]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{name}: exit code 1\n{err}");
        assert!(!err.contains("panicked"), "{name}: no panic\n{err}");
        let expected = std::fs::read_to_string(case.join("expected.txt")).expect("expected.txt");
        for line in expected
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        {
            assert!(
                err.contains(line),
                "{name}: stderr should contain {line:?}\n--- stderr ---\n{err}"
            );
        }
        assert_eq!(before, snapshot(&out), "{name}: output untouched");
        // A large site keeps neither bodies nor YAML blocks in memory and reads them again to
        // place an error: forced onto that path, the errors must be the same, lines and all.
        let large = std::process::Command::new(env!("CARGO_BIN_EXE_bilat"))
            .args(["build", "--root", root.to_str().expect("utf8")])
            .args(["--output", out.to_str().expect("utf8")])
            .env("BILAT_KEEP_HTML_UNDER", "0")
            .output()
            .expect("run bilat");
        assert_eq!(
            large.status.code(),
            Some(1),
            "{name}: large-site path exits 1"
        );
        assert_eq!(
            stderr(&large),
            err,
            "{name}: the same errors on the large-site path"
        );
    }
}

#[test]
fn output_dirs_that_would_destroy_the_site_are_refused() {
    let (tmp, root) = site_copy("sites/basic");
    let before = snapshot(&root);
    for bad in [
        root.clone(),
        root.join("content"),
        root.join("layouts"),
        root.join("assets"),
        root.join("content/topics/x"),
        tmp.path().to_path_buf(),
    ] {
        let o = build(&root, &bad, &[]);
        assert_eq!(o.status.code(), Some(1), "{}", bad.display());
        assert!(stderr(&o).contains("refusing"), "{}", stderr(&o));
    }
    assert_eq!(before, snapshot(&root), "nothing in the site was touched");
}

#[test]
fn base_url_flag_overrides_site_yaml() {
    let (tmp, root) = site_copy("sites/basic");
    let out = tmp.path().join("public");
    let o = build(
        &root,
        &out,
        &["--base-url", "https://owner.github.io/other/"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let html = read(&out, "topics/trade/index.html");
    assert!(html.contains("/other/topics/energy/#pipelines"), "{html}");
    assert!(!html.contains("/sub/"), "{html}");
}

#[test]
fn the_repository_site_builds() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("public");
    let o = build(root, &out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(out.join("topics/trade/index.html").exists());
    // Minified, every page still parses without a single HTML parse error (the fast minifier's
    // shortcuts that the standard calls errors are undone).
    let mut pages = 0;
    for (path, bytes) in snapshot(&out) {
        if !path.ends_with(".html") {
            continue;
        }
        let html = String::from_utf8(bytes).expect("utf8");
        let doc = Html::parse_document(&html);
        assert!(
            doc.errors.is_empty(),
            "{path} parses without errors: {:?}",
            doc.errors
        );
        pages += 1;
    }
    assert!(pages > 20, "only {pages} pages checked");
}

/// Writes `content/<rel>` of a copied site.
fn page(root: &std::path::Path, rel: &str, front: &str) {
    let path = root.join("content").join(rel);
    std::fs::create_dir_all(path.parent().expect("a folder")).expect("mkdir");
    std::fs::write(&path, format!("---\n{front}\n---\nText.\n")).expect("write");
}

/// Page ids follow folders: two folders may hold files of the same name, a full id names either,
/// a short id names the one page that has it, and an ambiguous short id is an error naming every
/// candidate.
#[test]
fn page_ids_follow_folders_and_short_ids_must_be_unambiguous() {
    let (tmp, root) = site_copy("sites/basic");
    let layout = root.join("layouts/page.html");
    let text = std::fs::read_to_string(&layout).expect("read");
    std::fs::write(
        &layout,
        text.replace(
            "</article>",
            "{% for r in page.related %}<a class=\"rel\" href=\"{{ r.url }}\">{{ r.id }}</a>{% endfor %}</article>",
        ),
    )
    .expect("write");
    page(
        &root,
        "visit/2023/talks.md",
        "title: \"Talks of 2023\"\ndate: 2023-12-27",
    );
    page(
        &root,
        "visit/2024/talks.md",
        "title: \"Talks of 2024\"\ndate: 2024-07-08",
    );
    page(
        &root,
        "visit/summary.md",
        "title: \"Visits\"\nrelated: [visit/2023/talks, visit/2024/talks, energy]",
    );
    let out = tmp.path().join("public");
    let o = build(&root, &out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Same file name, two pages.
    assert!(read(&out, "visit/2023/talks/index.html").contains("Talks of 2023"));
    assert!(read(&out, "visit/2024/talks/index.html").contains("Talks of 2024"));
    let html = Html::parse_document(&read(&out, "visit/summary/index.html"));
    let rel = Selector::parse("a.rel").expect("selector");
    let related: Vec<(String, String)> = html
        .select(&rel)
        .map(|a| {
            (
                a.value().attr("href").unwrap_or_default().to_string(),
                a.text().collect(),
            )
        })
        .collect();
    assert_eq!(
        related,
        [
            ("/sub/visit/2023/talks/", "visit/2023/talks"),
            ("/sub/visit/2024/talks/", "visit/2024/talks"),
            // A short id where one page has it.
            ("/sub/topics/energy/", "topics/energy"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );

    // `talks` names two pages: an error that lists both, with the way out.
    page(
        &root,
        "visit/summary.md",
        "title: \"Visits\"\nrelated: [talks]",
    );
    let before = snapshot(&out);
    let o = build(&root, &out, &[]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("content/visit/summary.md:3: error: related page `talks` is ambiguous: it names `visit/2023/talks` and `visit/2024/talks`")
            && err.contains("help: write the full id"),
        "{err}"
    );
    assert_eq!(before, snapshot(&out), "a failed build leaves the output");
}
