//! `bilat new topic` and `bilat init`: what they write builds at once, and they never overwrite.

mod common;

use common::*;

#[test]
fn new_topic_writes_valid_front_matter_and_refuses_to_overwrite() {
    let (tmp, root) = site_copy("sites/basic");
    let r = root.to_str().expect("utf8");
    let o = bilat(&["new", "topic", "fresh-idea", "--root", r]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = read(&root, "content/topics/fresh-idea.md");
    assert!(text.starts_with("---\ntitle: \"Fresh Idea\""), "{text}");
    // The new file must build as it is: no unknown source, no broken front matter.
    let text = text.replace("[@source-id]", "[@s1]");
    std::fs::write(root.join("content/topics/fresh-idea.md"), text).expect("write");
    let out = tmp.path().join("public");
    let b = build(&root, &out, &[]);
    assert!(b.status.success(), "{}", stderr(&b));
    assert!(out.join("topics/fresh-idea/index.html").exists());

    let again = bilat(&["new", "topic", "fresh-idea", "--root", r]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );
    let bad = bilat(&["new", "topic", "Not A Slug", "--root", r]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).contains("not-a-slug"), "{}", stderr(&bad));
}

#[test]
fn init_writes_a_site_for_another_pair_that_builds() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("jp-au");
    let d = dir.to_str().expect("utf8");
    let o = bilat(&["init", d, "--party", "Japan:jp", "--party", "Australia:au"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let yaml = read(&dir, "site.yaml");
    assert!(
        yaml.contains("name: \"Japan\", code: jp")
            && yaml.contains("name: \"Australia\", code: au"),
        "{yaml}"
    );
    let home = read(&dir, "public/index.html");
    assert!(
        home.contains("Japan–Australia"),
        "the new site shows its own parties"
    );
    assert!(dir.join("public/topics/example/index.html").exists());
    let check = bilat(&["check", "--root", d]);
    assert!(
        check.status.success(),
        "a new site passes check:\n{}{}",
        String::from_utf8_lossy(&check.stdout),
        stderr(&check)
    );
    let again = bilat(&["init", d, "--party", "Japan:jp", "--party", "Australia:au"]);
    assert_eq!(
        again.status.code(),
        Some(1),
        "init refuses an existing site"
    );
    let one = bilat(&[
        "init",
        tmp.path().join("x").to_str().expect("utf8"),
        "--party",
        "Japan:jp",
    ]);
    assert!(!one.status.success(), "two parties are required");
}

#[test]
fn the_built_in_theme_is_the_theme_folder() {
    let dir = fixture("../theme");
    let mut on_disk: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(&dir)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e
                .path()
                .strip_prefix(&dir)
                .expect("prefix")
                .to_string_lossy()
                .replace('\\', "/");
            (rel, std::fs::read(e.path()).expect("read"))
        })
        .collect();
    on_disk.sort();
    let mut embedded: Vec<(String, Vec<u8>)> = bilat::theme::files()
        .into_iter()
        .map(|f| (f.site_path(), f.bytes.to_vec()))
        .collect();
    embedded.sort();
    assert_eq!(
        on_disk.iter().map(|f| &f.0).collect::<Vec<_>>(),
        embedded.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    assert!(
        on_disk == embedded,
        "the embedded bytes are those of theme/"
    );
}

/// A party name with characters YAML and Markdown treat specially gives a site that builds and
/// shows the name as written; a name with a line break is refused before anything is written.
#[test]
fn init_escapes_or_refuses_every_party_name() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("quoted");
    let d = dir.to_str().expect("utf8");
    let o = bilat(&[
        "init",
        d,
        "--party",
        "The \"Free\" State: of #1 [a]:fs",
        "--party",
        "Côte d'Ivoire:ci",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let check = bilat(&["check", "--root", d]);
    assert!(
        check.status.success(),
        "the new site passes check:\n{}{}",
        String::from_utf8_lossy(&check.stdout),
        stderr(&check)
    );
    let page = read(&dir, "public/topics/example/index.html");
    assert!(
        page.contains("The &quot;Free&quot; State: of #1 [a]")
            || page.contains("The \"Free\" State: of #1 [a]"),
        "the name is shown as written"
    );

    let broken = tmp.path().join("broken");
    let o = bilat(&[
        "init",
        broken.to_str().expect("utf8"),
        "--party",
        "A\ntitle: x:aa",
        "--party",
        "B:bb",
    ]);
    assert!(!o.status.success(), "a name with a line break is refused");
    assert!(stderr(&o).contains("control characters"), "{}", stderr(&o));
    assert!(!broken.exists(), "nothing is written for a refused name");
}
