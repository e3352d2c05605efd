//! The search index of a large generated site: what one query downloads, counted in bytes from
//! the files the search page fetches for it (`bilat::search::plan`, which the browser test checks
//! against what Chromium really fetches), and that the results are the right ones.

mod common;

use common::{build, copy_dir, stderr};
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// A deterministic generator (xorshift), so the fixture is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A rank in 0..n, Zipf-like (rank r about as likely as 1/(r+1)), as words are in prose.
    fn zipf(&mut self, n: usize) -> usize {
        let u = (self.next() % 1_000_000) as f64 / 1_000_000.0;
        (((n as f64 + 1.0).powf(u) - 1.0) as usize).min(n - 1)
    }
}

/// Made-up words from syllables: a vocabulary without meaning, so no text here claims a fact.
fn vocabulary(n: usize) -> Vec<String> {
    const SYLLABLES: [&str; 24] = [
        "ka", "lo", "mi", "ne", "ru", "sa", "te", "vo", "da", "fi", "go", "hu", "ja", "ke", "li",
        "ma", "no", "pe", "qua", "ri", "so", "tu", "ve", "zo",
    ];
    (0..n)
        .map(|i| {
            let mut w = String::new();
            let mut k = i + 24;
            while k > 0 {
                w.push_str(SYLLABLES[k % 24]);
                k /= 24;
            }
            w
        })
        .collect()
}

/// A site of `topics` topics with the repository's layouts; each topic has a title, a summary,
/// two headings and a body of about 150 words.
fn large_site(dir: &Path, topics: usize) -> PathBuf {
    let root = dir.join("site");
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    for d in ["layouts", "assets"] {
        if repo.join(d).is_dir() {
            copy_dir(&repo.join(d), &root.join(d));
        }
    }
    let data = root.join("content/_data");
    std::fs::create_dir_all(root.join("content/topics")).expect("mkdir");
    std::fs::create_dir_all(&data).expect("mkdir");
    std::fs::write(
        root.join("site.yaml"),
        "title: \"Large\"\nbase_url: \"https://example.org/\"\nlanguage: en\nparties:\n  - { name: Aland, code: al, colour: \"#aa3300\" }\n  - { name: Beland, code: be, colour: \"#0033aa\" }\nmenu:\n  - { title: Search, path: \"search/\" }\n",
    )
    .expect("site.yaml");
    for f in ["sources", "people", "glossary"] {
        std::fs::write(data.join(format!("{f}.yaml")), "[]\n").expect("data");
    }
    std::fs::write(
        root.join("content/_index.md"),
        "---\ntitle: \"Large\"\n---\nHome.\n",
    )
    .expect("home");
    std::fs::write(
        root.join("content/topics/_index.md"),
        "---\ntitle: \"Topics\"\n---\nAll.\n",
    )
    .expect("section");
    let words = vocabulary(4000);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for i in 0..topics {
        let mut pick = |n: usize| words[rng.zipf(n)].clone();
        let title = format!("{} {} {i}", pick(4000), pick(4000));
        let summary: Vec<String> = (0..12).map(|_| pick(4000)).collect();
        let mut body = String::new();
        for h in 0..2 {
            let _ = writeln!(body, "## {} {}\n", pick(4000), pick(4000));
            let para: Vec<String> = (0..75).map(|_| pick(4000)).collect();
            let _ = writeln!(
                body,
                "{}{}.\n",
                para.join(" "),
                if h == 0 { "" } else { " end" }
            );
        }
        std::fs::write(
            root.join(format!("content/topics/t{i:05}.md")),
            format!(
                "---\ntitle: \"{title}\"\nsummary: \"{}.\"\ndate: 2024-01-01\n---\n{body}",
                summary.join(" ")
            ),
        )
        .expect("topic");
    }
    root
}

#[test]
fn a_query_on_a_large_site_downloads_a_small_part_of_the_index() {
    const TOPICS: usize = 3000;
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = large_site(tmp.path(), TOPICS);
    let out = tmp.path().join("public");
    let o = build(&root, &out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        !out.join("search.json").exists(),
        "the whole-site index is gone"
    );
    let files = common::search_index_files(&out.join("search"));
    let total: usize = files.iter().map(|f| f.bytes.len()).sum();
    let words = vocabulary(4000);
    // The most common word, two common ones, a rare one, a title number, and a word being typed.
    let queries = [
        words[0].clone(),
        format!("{} {}", words[1], words[3]),
        format!("{} ", words[2500]),
        "1234".to_string(),
        words[7][..3].to_string(),
    ];
    let mut worst = 0;
    for q in &queries {
        let (fetched, hits) = bilat::search::plan(&files, q);
        let bytes = bilat::search::bytes_fetched(&files, &fetched);
        eprintln!(
            "query {q:?}: {} files, {bytes} bytes, {} results",
            fetched.len(),
            hits.len()
        );
        assert!(!hits.is_empty(), "no result for {q:?}");
        worst = worst.max(bytes);
    }
    eprintln!(
        "index of {TOPICS} topics: {total} bytes in {} files; worst query {worst} bytes",
        files.len()
    );
    assert!(worst <= 300 * 1024, "a query downloads {worst} bytes");
    assert!(
        worst * 10 < total,
        "a query downloads {worst} of the index's {total} bytes"
    );
    // The title number finds its own topic first.
    let (_, hits) = bilat::search::plan(&files, "1234");
    let rows = files
        .iter()
        .find(|f| {
            f.path
                == format!(
                    "d/{}.json",
                    hits[0].0 as usize / bilat::search::DOCS_PER_CHUNK
                )
        })
        .expect("chunk");
    let rows: serde_json::Value = serde_json::from_slice(&rows.bytes).expect("json");
    let row = &rows[hits[0].0 as usize % bilat::search::DOCS_PER_CHUNK];
    assert!(
        row[1].as_str().is_some_and(|t| t.ends_with(" 1234")),
        "{row}"
    );
}
