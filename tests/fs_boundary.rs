//! The file-system boundary, end to end through the real binary: output dirs that would replace
//! the site's own files, however the path is spelled (`..`, `.`, links, a root given through a
//! link), for build, watch and serve; symlinks that lead out of the site (made at run time, to
//! /proc/self/environ, /etc/passwd and folders outside) in every place a build or watch reads;
//! and sources that would replace the user's `.git` and `CNAME` in the output dir.
//! (Output names no URL or Windows checkout holds, and names equal after Unicode normalisation,
//! are fixture sites in tests/bad-input/.)
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

/// A fresh site made by `bilat init` in a temp dir (which also builds it once into public/), with
/// the built-in theme ejected into it.
fn ejected_site() -> (tempfile::TempDir, PathBuf) {
    let (tmp, root) = common::init_site("India:in", "Russia:ru");
    // init writes no layouts/ or assets/ (the built-in theme): these tests link inside both.
    let o = bilat(&["theme", "eject", "--root", root.to_str().expect("utf8")]);
    assert!(o.status.success(), "eject: {}", stderr(&o));
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
    let (tmp, root) = ejected_site();
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
    let (tmp, root) = ejected_site();
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
    let (tmp, root) = ejected_site();
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
    let (tmp, root) = ejected_site();
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
    let (tmp, root) = ejected_site();
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
    let (tmp, root) = ejected_site();
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

/// A secret put in the build's environment, to look for in what it wrote.
const SECRET: &str = "BILAT_TEST_SECRET_7f3a9c";

/// Builds `root` into a fresh `out` holding an earlier build; returns exit code and stderr, and
/// checks the output is as it was and no file in it holds the secret.
fn build_refused(tmp: &Path, root: &Path) -> String {
    let out = tmp.join("out");
    std::fs::create_dir_all(&out).expect("mkdir");
    std::fs::write(out.join("index.html"), "the last good build").expect("write");
    let before = tree(&out);
    let o = Command::new(env!("CARGO_BIN_EXE_bilat"))
        .args(["build", "--root"])
        .arg(root)
        .arg("--output")
        .arg(&out)
        .env(SECRET, SECRET)
        .output()
        .expect("run bilat");
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "exit 1\n{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(before, tree(&out), "the output is untouched");
    let _ = std::fs::remove_dir_all(&out);
    err
}

/// Links out of the site, each made in a fresh `bilat init` site: (link, target, what the
/// message must name).
fn escaping_links(outside: &Path) -> Vec<(&'static str, PathBuf)> {
    vec![
        ("assets/env.txt", PathBuf::from("/proc/self/environ")),
        ("assets/passwd", PathBuf::from("/etc/passwd")),
        ("assets/css/theme.css", outside.join("secret.txt")),
        ("assets/vendor", outside.to_path_buf()),
        ("content/topics/outside.md", outside.join("page.md")),
        ("content/topics/notes", outside.to_path_buf()),
        ("content/env.txt", PathBuf::from("/proc/self/environ")),
        ("layouts/partials", outside.to_path_buf()),
        ("layouts/extra.html", PathBuf::from("/etc/passwd")),
        ("content/_data/glossary.yaml", outside.join("glossary.yaml")),
    ]
}

fn outside_dir(tmp: &Path) -> PathBuf {
    let outside = tmp.join("outside");
    std::fs::create_dir_all(&outside).expect("mkdir");
    std::fs::write(outside.join("secret.txt"), SECRET).expect("write");
    std::fs::write(
        outside.join("page.md"),
        format!("---\ntitle: \"Outside\"\nsummary: \"{SECRET}\"\n---\n{SECRET}\n"),
    )
    .expect("write");
    std::fs::write(
        outside.join("glossary.yaml"),
        format!("- term: {SECRET}\n  definition: x\n"),
    )
    .expect("write");
    std::fs::write(outside.join("x.html"), SECRET).expect("write");
    outside
}

#[test]
fn links_out_of_the_site_are_errors_naming_link_and_target() {
    for i in 0..escaping_links(Path::new("/")).len() {
        let (tmp, root) = ejected_site();
        let outside = outside_dir(tmp.path());
        let (link, target) = escaping_links(&outside).swap_remove(i);
        let path = root.join(link);
        if path.exists() {
            std::fs::remove_file(&path).expect("rm");
        }
        symlink(&target, &path);
        let err = build_refused(tmp.path(), &root);
        assert!(
            err.contains(link) && err.contains(&target.display().to_string()),
            "{link} -> {}: the message names both\n{err}",
            target.display()
        );
        assert!(err.contains("is not followed"), "{err}");
    }
}

#[test]
fn a_linked_site_yaml_content_or_data_folder_out_of_the_site_is_refused() {
    for (name, make) in [
        ("site.yaml", true),
        ("content", false),
        ("content/_data", false),
        ("assets", false),
        ("layouts", false),
    ] {
        let (tmp, root) = ejected_site();
        let moved = tmp.path().join("moved");
        std::fs::rename(root.join(name), &moved).expect("move");
        symlink(&moved, root.join(name));
        let err = build_refused(tmp.path(), &root);
        assert!(
            err.contains(name) && err.contains(&moved.display().to_string()),
            "{name} (file: {make}): names link and target\n{err}"
        );
    }
}

#[test]
fn links_into_the_sites_hidden_folders_are_refused() {
    let (tmp, root) = ejected_site();
    std::fs::create_dir_all(root.join(".git")).expect("mkdir");
    std::fs::write(
        root.join(".git/config"),
        format!("[http]\n\textraheader = AUTHORIZATION: basic {SECRET}\n"),
    )
    .expect("write");
    symlink("../.git/config", root.join("assets/config.txt"));
    let err = build_refused(tmp.path(), &root);
    assert!(err.contains("assets/config.txt"), "{err}");
    assert!(err.contains("hidden"), "{err}");
}

#[test]
fn links_that_stay_inside_the_site_are_followed() {
    let (tmp, root) = ejected_site();
    // A file and a folder kept beside the sources, linked into them.
    std::fs::create_dir_all(root.join("shared/img")).expect("mkdir");
    std::fs::write(root.join("shared/img/logo.svg"), "<svg/>").expect("write");
    std::fs::write(
        root.join("shared/trade.md"),
        "---\ntitle: \"Shared\"\nsummary: \"A page kept outside content/.\"\n---\nSHARED-BODY\n",
    )
    .expect("write");
    symlink(
        "../../shared/trade.md",
        root.join("content/topics/trade.md"),
    );
    symlink("../shared/img", root.join("assets/img"));
    symlink("css/site.css", root.join("assets/copy.css"));
    // Special files are skipped, not read.
    let fifo = root.join("assets/pipe");
    let c = std::ffi::CString::new(fifo.to_str().expect("utf8")).expect("cstr");
    // SAFETY: c is a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    let out = tmp.path().join("out");
    let o = build(&root, &out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(std::fs::read_to_string(out.join("topics/trade/index.html"))
        .expect("linked page")
        .contains("SHARED-BODY"));
    assert_eq!(
        std::fs::read(out.join("img/logo.svg")).expect("linked folder"),
        b"<svg/>"
    );
    assert!(out.join("copy.css").is_file());
    assert!(!out.join("pipe").exists(), "a FIFO is skipped");
}

#[test]
fn watch_refuses_a_link_out_of_the_site_made_while_it_runs() {
    use bilat::watch::Watcher;
    let (tmp, root) = ejected_site();
    let out = tmp.path().join("out");
    let mut watcher = Watcher::new(bilat::BuildOptions {
        root: root.clone(),
        output: Some(out.clone()),
        ..Default::default()
    })
    .expect("watcher");
    watcher.build_all().expect("first build");
    std::env::set_var(SECRET, SECRET);

    // A new link, and a known asset and a known page replaced by links.
    for (rel, target) in [
        ("assets/env.txt", PathBuf::from("/proc/self/environ")),
        ("assets/css/site.css", PathBuf::from("/etc/passwd")),
        (
            "content/topics/example.md",
            PathBuf::from("/proc/self/environ"),
        ),
        (
            "content/_data/people.yaml",
            PathBuf::from("/proc/self/environ"),
        ),
        ("layouts/page.html", PathBuf::from("/etc/passwd")),
        ("site.yaml", PathBuf::from("/proc/self/environ")),
    ] {
        let path = root.join(rel);
        let saved = std::fs::read(&path).ok();
        let before = tree(&out);
        let _ = std::fs::remove_file(&path);
        symlink(&target, &path);
        let err = watcher
            .apply_changes(std::slice::from_ref(&path))
            .expect_err("a link out of the site fails the rebuild");
        let text = err.to_string();
        assert!(
            text.contains(rel) && text.contains("is not followed"),
            "{rel}: {text}"
        );
        assert_eq!(
            before,
            tree(&out),
            "{rel}: the output keeps the last good build"
        );
        std::fs::remove_file(&path).expect("rm link");
        if let Some(bytes) = saved {
            std::fs::write(&path, bytes).expect("restore");
        }
        watcher
            .apply_changes(std::slice::from_ref(&path))
            .expect("the fix rebuilds");
    }
}

#[test]
fn the_users_git_and_cname_in_the_output_survive_sources_that_would_replace_them() {
    let (tmp, root) = ejected_site();
    let out = tmp.path().join("out");
    std::fs::create_dir_all(out.join(".git")).expect("mkdir");
    std::fs::write(out.join(".git/HEAD"), "ref: refs/heads/gh-pages\n").expect("write");
    std::fs::write(out.join("CNAME"), "example.org\n").expect("write");
    let before = tree(&out);
    let page = root.join("content/topics/example.md");
    let original = std::fs::read_to_string(&page).expect("read");
    for (what, make, undo) in [
        (
            "alias /.git/",
            Box::new(|| {
                let text = original.replacen("---\n", "---\naliases: [\"/.git/\"]\n", 1);
                std::fs::write(&page, text).expect("write");
            }) as Box<dyn Fn()>,
            Box::new(|| std::fs::write(&page, &original).expect("restore")) as Box<dyn Fn()>,
        ),
        (
            "asset CNAME",
            Box::new(|| std::fs::write(root.join("assets/CNAME"), "evil.example\n").expect("w")),
            Box::new(|| std::fs::remove_file(root.join("assets/CNAME")).expect("rm")),
        ),
        (
            "asset .git/HEAD",
            Box::new(|| {
                std::fs::create_dir_all(root.join("assets/.git")).expect("mkdir");
                std::fs::write(root.join("assets/.git/HEAD"), "evil").expect("w");
            }),
            Box::new(|| std::fs::remove_dir_all(root.join("assets/.git")).expect("rm")),
        ),
        (
            "static content/cname",
            Box::new(|| std::fs::write(root.join("content/cname"), "x").expect("w")),
            Box::new(|| std::fs::remove_file(root.join("content/cname")).expect("rm")),
        ),
    ] {
        make();
        let o = build(&root, &out, &[]);
        assert_eq!(o.status.code(), Some(1), "{what}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("the output dir keeps"),
            "{what}: {}",
            stderr(&o)
        );
        assert_eq!(
            before,
            tree(&out),
            "{what}: the output, .git and CNAME untouched"
        );
        undo();
    }
    // The CNAME that site.yaml's `cname` writes is the one name allowed, and the build succeeds
    // keeping the user's .git.
    let yaml = std::fs::read_to_string(root.join("site.yaml")).expect("read");
    std::fs::write(
        root.join("site.yaml"),
        format!("{yaml}\ncname: docs.example.org\n"),
    )
    .expect("write");
    let o = build(&root, &out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(out.join("CNAME")).expect("CNAME"),
        "docs.example.org\n"
    );
    assert_eq!(
        std::fs::read_to_string(out.join(".git/HEAD")).expect(".git kept"),
        "ref: refs/heads/gh-pages\n"
    );
}
