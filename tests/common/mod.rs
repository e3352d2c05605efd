//! Helpers shared by the integration tests: copying fixture sites, running the real binary,
//! and snapshotting an output dir.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(name)
}

/// Copies a directory tree (fixtures are edited by tests, never in place).
pub fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.expect("walk fixture");
        let rel = entry.path().strip_prefix(from).expect("prefix");
        let dest = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).expect("mkdir");
        } else {
            std::fs::copy(entry.path(), &dest).expect("copy");
        }
    }
}

/// A fresh copy of a fixture site in a temp dir.
pub fn site_copy(name: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("site");
    copy_dir(&fixture(name), &root);
    (tmp, root)
}

pub fn bilat(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bilat"))
        .args(args)
        .output()
        .expect("run bilat")
}

pub fn build(root: &Path, output: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "build",
        "--root",
        root.to_str().expect("utf8"),
        "--output",
        output.to_str().expect("utf8"),
    ];
    args.extend_from_slice(extra);
    bilat(&args)
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Every file under `dir` with its bytes, by relative path.
pub fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut map = BTreeMap::new();
    if !dir.exists() {
        return map;
    }
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry.expect("walk output");
        if entry.file_type().is_file() {
            let rel = entry
                .path()
                .strip_prefix(dir)
                .expect("prefix")
                .to_string_lossy()
                .replace('\\', "/");
            map.insert(rel, std::fs::read(entry.path()).expect("read"));
        }
    }
    map
}

pub fn read(dir: &Path, rel: &str) -> String {
    std::fs::read_to_string(dir.join(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
}

/// A new site made by `bilat init` for parties `a` and `b` ("Name:code") in a temp dir (init also
/// builds it once into public/).
pub fn init_site(a: &str, b: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("site");
    let o = bilat(&[
        "init",
        root.to_str().expect("utf8"),
        "--party",
        a,
        "--party",
        b,
    ]);
    assert!(o.status.success(), "init: {}", stderr(&o));
    (tmp, root)
}

/// The chart fixture's content in a site made by `bilat init`: the built-in theme, as a new
/// site has it.
pub fn chart_site() -> (tempfile::TempDir, PathBuf) {
    let (tmp, root) = init_site("Testland:tl", "Examplestan:ex");
    std::fs::remove_dir_all(root.join("content")).expect("clear content");
    copy_dir(&fixture("sites/charts"), &root);
    (tmp, root)
}

/// The files of the search index under `dir` (a built site's `search/`), as
/// `bilat::search::plan` reads them.
pub fn search_index_files(dir: &Path) -> Vec<bilat::search::IndexFile> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "json"))
        .map(|e| bilat::search::IndexFile {
            path: e
                .path()
                .strip_prefix(dir)
                .expect("prefix")
                .to_string_lossy()
                .replace('\\', "/"),
            bytes: std::fs::read(e.path()).expect("read"),
        })
        .collect()
}

/// A static file server for `dir` on a free loopback port, for the browser tests (what GitHub
/// Pages does, minus TLS): `/x/` serves `x/index.html`; anything with `..` or missing is a 404.
pub fn serve_static(dir: PathBuf) -> u16 {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let dir = dir.clone();
            std::thread::spawn(move || {
                let mut line = String::new();
                if BufReader::new(&stream).read_line(&mut line).is_err() {
                    return;
                }
                let path = line
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or("/")
                    .split('?')
                    .next()
                    .unwrap_or("/")
                    .to_string();
                let mut file = dir.join(path.trim_start_matches('/'));
                if path.ends_with('/') {
                    file = file.join("index.html");
                }
                let (status, body) = match (path.contains(".."), std::fs::read(&file)) {
                    (false, Ok(b)) => ("200 OK", b),
                    _ => ("404 Not Found", Vec::new()),
                };
                let ctype = match file.extension().and_then(|e| e.to_str()) {
                    Some("css") => "text/css",
                    Some("js") => "text/javascript",
                    Some("json") => "application/json",
                    Some("svg") => "image/svg+xml",
                    Some("png") => "image/png",
                    Some("webp") => "image/webp",
                    Some("jpg" | "jpeg") => "image/jpeg",
                    _ => "text/html; charset=utf-8",
                };
                let mut s = &stream;
                let _ = write!(s, "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
                let _ = s.write_all(&body);
            });
        }
    });
    port
}

/// The DOM headless Chromium holds once `url` has loaded and its scripts have run (up to 15 s of
/// virtual time), with a fresh profile in `profile`; `extra` adds flags (window size, colour
/// scheme).
pub fn chromium_dom(chromium: &Path, profile: &Path, extra: &[String], url: &str) -> String {
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--virtual-time-budget=15000",
            "--dump-dom",
        ])
        .args(extra)
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(url)
        .output()
        .expect("run chromium");
    String::from_utf8_lossy(&out.stdout).into_owned()
}
