//! Hostile content that builds: what the build writes must stay well-formed whatever the pages
//! hold. JSON (JSON-LD in every page, the search index) is read back with a strict parser.

mod common;

use common::*;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A copy of the repository's own site (its theme writes JSON-LD) in a temp dir.
fn repo_site_copy() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("site");
    // The repository site uses the built-in theme; a site's own layouts/ and assets/ are copied
    // where it has them.
    for part in ["content", "layouts", "assets"] {
        if repo().join(part).is_dir() {
            copy_dir(&repo().join(part), &root.join(part));
        }
    }
    std::fs::copy(repo().join("site.yaml"), root.join("site.yaml")).expect("copy site.yaml");
    (tmp, root)
}

/// Every `<script type="application/ld+json">` body in an HTML file.
fn json_ld_blocks(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find("application/ld+json") {
        let after = &rest[i..];
        let start = after.find('>').expect("script open ends") + 1;
        let end = after.find("</script>").expect("script closes");
        out.push(after[start..end].to_string());
        rest = &after[end..];
    }
    out
}

fn html_files(dir: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(|e| e.ok())
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|e| e == "html"))
        .collect()
}

#[test]
fn json_ld_and_search_index_parse_whatever_the_titles_hold() {
    let hostile = [
        "Ends </script><script>alert(1)</script> here",
        "Opens <!-- a comment <script> and",
        "Line\u{2028}separator and paragraph\u{2029}separator",
        "Quotes \" and \\ and & and '",
    ];
    let (_tmp, root) = repo_site_copy();
    for (i, title) in hostile.iter().enumerate() {
        let yaml_title = serde_json::to_string(title).expect("json string is a YAML string");
        std::fs::write(
            root.join(format!("content/topics/hostile-{i}.md")),
            format!(
                "---\ntitle: {yaml_title}\nsummary: {yaml_title}\ndate: 2023-12-27\n---\nBody.\n"
            ),
        )
        .expect("write");
    }
    let out = root.parent().expect("tmp").join("public");
    let o = build(&root, &out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));

    let mut headlines = Vec::new();
    let mut blocks = 0;
    for file in html_files(&out) {
        let html = std::fs::read_to_string(&file).expect("read");
        for block in json_ld_blocks(&html) {
            blocks += 1;
            let value: serde_json::Value = serde_json::from_str(&block).unwrap_or_else(|e| {
                panic!("{}: JSON-LD does not parse: {e}\n{block}", file.display())
            });
            assert!(
                !block.contains("<!--") && !block.contains("</"),
                "{}: {block}",
                file.display()
            );
            if let Some(h) = value.get("headline").and_then(|h| h.as_str()) {
                headlines.push(h.to_string());
            }
        }
    }
    assert!(blocks > hostile.len(), "JSON-LD written: {blocks} blocks");
    for title in hostile {
        assert!(
            headlines.iter().any(|h| h == title),
            "the headline {title:?} reads back as written: {headlines:?}"
        );
    }

    // Every JSON file the build writes (the search index's shards among them) parses strictly,
    // and the titles read back from it as written.
    let mut strings = Vec::new();
    fn collect(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::String(s) => out.push(s.clone()),
            serde_json::Value::Array(a) => a.iter().for_each(|x| collect(x, out)),
            serde_json::Value::Object(o) => o.values().for_each(|x| collect(x, out)),
            _ => {}
        }
    }
    let mut files = 0;
    for entry in walkdir::WalkDir::new(&out)
        .into_iter()
        .filter_map(|e| e.ok())
    {
        if entry.path().extension().is_some_and(|e| e == "json") {
            files += 1;
            let text = std::fs::read_to_string(entry.path()).expect("read json");
            let v: serde_json::Value = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{}: {e}", entry.path().display()));
            collect(&v, &mut strings);
        }
    }
    assert!(files > 0, "the search index is written as JSON");
    for title in hostile {
        assert!(
            strings.iter().any(|s| s == title),
            "{title:?} is in the search index as written"
        );
    }
}

#[test]
fn headings_may_not_take_the_built_in_theme_s_own_ids() {
    let (_tmp, root) = repo_site_copy();
    std::fs::write(
        root.join("content/topics/clash.md"),
        "---\ntitle: \"Clash\"\n---\n## Main\n\nText.\n\n## Own {#main}\n",
    )
    .expect("write");
    let out = root.parent().expect("tmp").join("public");
    let o = build(&root, &out, &[]);
    let err = stderr(&o);
    assert!(!o.status.success(), "{err}");
    assert!(
        err.contains("content/topics/clash.md:8: error: heading id `#main` is taken: the built-in layouts/base.html uses it"),
        "{err}"
    );
    assert!(
        err.contains("content/topics/clash.md:4: warning: heading `Main` gets the id `#main-1`"),
        "{err}"
    );
}
