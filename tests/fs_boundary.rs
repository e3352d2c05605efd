//! The file-system boundary, end to end through the real binary: output dirs that would replace
//! the site's own files, however the path is spelled (`..`, `.`, links, a root given through a
//! link), for build, watch and serve.
//!
//! Every refusal is checked twice: the exit status and message, and that nothing on disk changed
//! (the whole temp dir, site and output alike, byte for byte, and no folder created).

mod common;

use common::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Every entry under `dir` (files with their bytes, folders and links as markers), so that a
/// created folder or a replaced link counts as a change too.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut map = BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir).follow_links(false) {
        let entry = entry.expect("walk");
        let rel = entry
            .path()
            .strip_prefix(dir)
            .expect("prefix")
            .to_string_lossy()
            .into_owned();
        let ft = entry.file_type();
        let value = if ft.is_symlink() {
            let target = std::fs::read_link(entry.path()).expect("read_link");
            format!("link -> {}", target.display()).into_bytes()
        } else if ft.is_dir() {
            b"dir".to_vec()
        } else if ft.is_file() {
            std::fs::read(entry.path()).expect("read")
        } else {
            b"special".to_vec()
        };
        map.insert(rel, value);
    }
    map
}

/// A fresh site made by `bilat init` in a temp dir (which also builds it once into public/).
fn init_site() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("site");
    let o = bilat(&[
        "init",
        root.to_str().expect("utf8"),
        "--party",
        "India:in",
        "--party",
        "Russia:ru",
    ]);
    assert!(o.status.success(), "init: {}", stderr(&o));
    (tmp, root)
}

/// Runs `bilat ARGS` in `cwd`; kills it after `limit` (watch and serve run until stopped).
fn run_in(cwd: &Path, args: &[&str], limit: Duration) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bilat"))
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn bilat");
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            let mut err = String::new();
            use std::io::Read;
            if let Some(mut e) = child.stderr.take() {
                let _ = e.read_to_string(&mut err);
            }
            return (status.code(), err);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return (None, "still running: it did not refuse".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn symlink(target: impl AsRef<Path>, link: impl AsRef<Path>) {
    std::os::unix::fs::symlink(target, link).expect("symlink");
}

/// Output paths, as typed in the site root, that are or hold or lie inside the site's sources
/// or the root. Some are links, made before the run.
const BAD_OUTPUTS: &[&str] = &[
    "nope/../content",
    "nope/../layouts",
    "nope/../assets",
    "nope/../site.yaml",
    "nope/../content/_data",
    "nope/../content/topics/x",
    "./content/.",
    "content/../content",
    "nope/more/../../content",
    "nope/..",
    "nope/../..",
    "nope/../../..",
    "nope/../../../..",
    ".",
    "..",
    "../site",
    "../site/content",
    "nope/../.git",
    ".git/pages",
    "to-content",
    "to-content/sub",
    "to-root",
    "to-parent",
    "to-parent/site/layouts",
    "to-content-dir/../content",
    "/",
];

/// Makes the links BAD_OUTPUTS names, and a `.git` as a checkout would have.
fn add_links(root: &Path) {
    symlink("content", root.join("to-content"));
    symlink(".", root.join("to-root"));
    symlink("..", root.join("to-parent"));
    // A link to a folder inside content/: `..` after it is content/ itself.
    symlink("content/topics", root.join("to-content-dir"));
    std::fs::create_dir_all(root.join(".git")).expect("mkdir .git");
    std::fs::write(root.join(".git/HEAD"), "ref: refs/heads/main\n").expect("write");
}

#[test]
fn build_refuses_every_spelling_of_an_output_over_the_sources() {
    let (tmp, root) = init_site();
    add_links(&root);
    let before = tree(tmp.path());
    for bad in BAD_OUTPUTS {
        let (code, err) = run_in(&root, &["build", "--output", bad], Duration::from_secs(60));
        assert_eq!(code, Some(1), "build --output {bad}: exit 1\n{err}");
        assert!(
            err.contains("refusing to use") && err.contains("as the output dir"),
            "build --output {bad}: says why\n{err}"
        );
        assert_eq!(
            before,
            tree(tmp.path()),
            "build --output {bad}: nothing touched or created"
        );
    }
}

#[test]
fn watch_and_serve_refuse_the_same_outputs_before_writing() {
    let (tmp, root) = init_site();
    add_links(&root);
    let before = tree(tmp.path());
    for bad in BAD_OUTPUTS {
        for cmd in [
            vec!["watch", "--output", bad],
            vec!["serve", "--port", "0", "--output", bad],
        ] {
            let (code, err) = run_in(&root, &cmd, Duration::from_secs(20));
            assert_eq!(code, Some(1), "{cmd:?}: exit 1\n{err}");
            assert!(err.contains("refusing to use"), "{cmd:?}: says why\n{err}");
            assert_eq!(
                before,
                tree(tmp.path()),
                "{cmd:?}: nothing touched or created"
            );
        }
    }
}

#[test]
fn the_root_given_through_dots_and_links_is_guarded_too() {
    let (tmp, root) = init_site();
    symlink(&root, tmp.path().join("site-link"));
    let before = tree(tmp.path());
    for (root_arg, out) in [
        ("site-link", "site/content"),
        ("site", "site-link/content"),
        ("nope/../site", "site/layouts"),
        ("site/.", "site-link/../site-link"),
        ("site-link/", "."),
    ] {
        let (code, err) = run_in(
            tmp.path(),
            &["build", "--root", root_arg, "--output", out],
            Duration::from_secs(60),
        );
        assert_eq!(code, Some(1), "--root {root_arg} --output {out}\n{err}");
        assert!(err.contains("refusing to use"), "{err}");
        assert_eq!(before, tree(tmp.path()), "--root {root_arg} --output {out}");
    }
}

#[test]
fn a_content_folder_that_is_a_link_is_guarded_where_it_leads() {
    let (tmp, root) = init_site();
    // The site's texts live elsewhere; content/ is a link to them.
    let texts = tmp.path().join("texts");
    std::fs::rename(root.join("content"), &texts).expect("move content");
    symlink(&texts, root.join("content"));
    let before = tree(tmp.path());
    for out in [
        texts.clone(),
        texts.join("topics"),
        tmp.path().to_path_buf(),
    ] {
        let o = build(&root, &out, &[]);
        assert_eq!(
            o.status.code(),
            Some(1),
            "{}: {}",
            out.display(),
            stderr(&o)
        );
        assert!(stderr(&o).contains("refusing to use"), "{}", stderr(&o));
        assert_eq!(before, tree(tmp.path()), "{}", out.display());
    }
}

#[test]
fn good_outputs_spelled_with_dots_and_links_build_where_they_lead() {
    let (tmp, root) = init_site();
    // `..` after a name that does not exist: the build writes ./public2, and never makes `nope`.
    let (code, err) = run_in(
        &root,
        &["build", "--output", "nope/../public2"],
        Duration::from_secs(60),
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(root.join("public2/index.html").is_file());
    assert!(
        !root.join("nope").exists(),
        "no folder made for a name `..` took back"
    );

    // An output that is a link to a folder outside the site: the site is written there and the
    // link stays a link.
    let elsewhere = tmp.path().join("www");
    std::fs::create_dir_all(&elsewhere).expect("mkdir");
    std::fs::write(elsewhere.join("CNAME"), "example.org\n").expect("write");
    symlink(&elsewhere, root.join("out-link"));
    let (code, err) = run_in(
        &root,
        &["build", "--output", "out-link"],
        Duration::from_secs(60),
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(
        elsewhere.join("index.html").is_file(),
        "written where the link leads"
    );
    assert_eq!(
        std::fs::read_to_string(elsewhere.join("CNAME")).expect("CNAME kept"),
        "example.org\n"
    );
    assert!(
        std::fs::symlink_metadata(root.join("out-link"))
            .expect("link")
            .file_type()
            .is_symlink(),
        "the link is still a link"
    );
}

#[test]
fn an_output_through_a_broken_link_is_refused() {
    let (tmp, root) = init_site();
    symlink("gone", root.join("dangling"));
    let before = tree(tmp.path());
    let (code, err) = run_in(
        &root,
        &["build", "--output", "dangling/public"],
        Duration::from_secs(60),
    );
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("cannot be resolved"), "{err}");
    assert_eq!(before, tree(tmp.path()));
}
