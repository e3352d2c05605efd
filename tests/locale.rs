//! The site's `language:` chooses how dates are written: the repository site built as a Russian
//! and as a Hindi site (its words stay English; only the formats change) and read back.

mod common;

use common::{build, copy_dir, stderr};
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A copy of the repository site (everything but the code, tests and build output) with
/// `language:` set to `tag`, built into a temp dir; returns the temp dir and the output dir.
fn built_in(tag: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("site");
    std::fs::create_dir_all(&root).expect("mkdir");
    let skip = [
        "target", "public", "tests", "src", "benches", "docs", ".git", ".github",
    ];
    for entry in std::fs::read_dir(repo()).expect("read repo") {
        let entry = entry.expect("entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        if skip.contains(&name.as_str()) || name.starts_with('.') {
            continue;
        }
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &root.join(&name));
        } else {
            std::fs::copy(entry.path(), root.join(&name)).expect("copy");
        }
    }
    // One language for the whole site: the repository's other editions are left out.
    for e in walkdir::WalkDir::new(root.join("content"))
        .into_iter()
        .filter_map(Result::ok)
    {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.ends_with(".md") && name.matches('.').count() > 1 {
            std::fs::remove_file(e.path()).expect("remove translation");
        }
    }
    let config = std::fs::read_to_string(root.join("site.yaml")).expect("site.yaml");
    let config: String = {
        let mut out = Vec::new();
        let mut in_languages = false;
        for line in config.lines() {
            if line.starts_with("languages:") {
                in_languages = true;
                continue;
            }
            if in_languages && line.starts_with("  ") {
                continue;
            }
            in_languages = false;
            out.push(line);
        }
        out.join("\n") + "\n"
    };
    assert!(
        config.contains("\nlanguage: en\n"),
        "site.yaml has no `language: en` line"
    );
    std::fs::write(
        root.join("site.yaml"),
        config.replace("\nlanguage: en\n", &format!("\nlanguage: {tag}\n")),
    )
    .expect("write site.yaml");
    let out = tmp.path().join("public");
    let o = build(&root, &out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    (tmp, out)
}

/// The text of every `<time datetime="…">` on a page whose datetime is `iso`.
fn times(out: &Path, page: &str, iso: &str) -> Vec<String> {
    let html = std::fs::read_to_string(out.join(page)).expect("page");
    let doc = scraper::Html::parse_document(&html);
    let sel = scraper::Selector::parse(&format!("time[datetime=\"{iso}\"]")).expect("selector");
    doc.select(&sel).map(|e| e.text().collect()).collect()
}

#[test]
fn dates_are_written_in_the_sites_language() {
    let (_t, en) = built_in("en");
    let (_t2, ru) = built_in("ru");
    let (_t3, hi) = built_in("hi");
    let page = "timeline/index.html";
    // The talks (a day) and an event known only by its month.
    assert!(times(&en, page, "2023-12-27").contains(&"27 December 2023".to_string()));
    assert!(
        times(&ru, page, "2023-12-27").contains(&"27 декабря 2023\u{202f}г.".to_string()),
        "{:?}",
        times(&ru, page, "2023-12-27")
    );
    assert!(
        times(&hi, page, "2023-12-27").contains(&"27 दिसंबर, 2023".to_string()),
        "{:?}",
        times(&hi, page, "2023-12-27")
    );
    let months = times(&en, page, "2023-12");
    assert!(
        !months.is_empty(),
        "the timeline has no month-only date any more"
    );
    assert!(months.contains(&"December 2023".to_string()), "{months:?}");
    assert!(times(&ru, page, "2023-12").contains(&"декабрь 2023\u{202f}г.".to_string()));
    assert!(times(&hi, page, "2023-12").contains(&"दिसंबर 2023".to_string()));
    // The feed's timeline summaries too.
    let feed = std::fs::read_to_string(ru.join("atom.xml")).expect("feed");
    assert!(
        feed.contains("27 декабря 2023"),
        "no Russian date in the feed"
    );
}
