//! Releases: the archive that `.ci/package` (the release workflow's packaging step) makes for
//! Linux, and the release workflow itself.

mod common;

use common::*;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "x86_64-unknown-linux-gnu";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `.ci/package` on the test binary once for all tests of this file (packing the debug
/// binary takes a while); returns the archive's path in a folder no test changes.
fn packaged() -> &'static Path {
    static DIST: std::sync::OnceLock<(tempfile::TempDir, PathBuf)> = std::sync::OnceLock::new();
    &DIST
        .get_or_init(|| {
            let tmp = tempfile::tempdir().expect("tempdir");
            let archive = package(&tmp.path().join("dist"));
            (tmp, archive)
        })
        .1
}

/// Runs `.ci/package` on the test binary; returns the archive's path.
fn package(out: &Path) -> PathBuf {
    let o = Command::new("bash")
        .arg(repo().join(".ci/package"))
        .args([TARGET, env!("CARGO_BIN_EXE_bilat")])
        .arg(out)
        .current_dir(repo())
        .output()
        .expect("run .ci/package");
    assert!(o.status.success(), "{}", stderr(&o));
    let archive = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
    assert!(archive.is_file(), "{}", archive.display());
    archive
}

fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn the_linux_archive_holds_one_folder_with_the_binary_and_its_documents() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let archive = packaged();
    let version = env!("CARGO_PKG_VERSION");
    let name = format!("bilat-{version}-{TARGET}");
    assert_eq!(
        archive.file_name().and_then(|n| n.to_str()),
        Some(format!("{name}.tar.gz").as_str())
    );
    let listing = Command::new("tar")
        .arg("-tzf")
        .arg(archive)
        .output()
        .expect("tar");
    let mut entries: Vec<String> = String::from_utf8_lossy(&listing.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    entries.sort();
    assert_eq!(
        entries,
        ["", "CHANGELOG.md", "LICENSE", "README.md", "bilat"]
            .iter()
            .map(|f| format!("{name}/{f}"))
            .collect::<Vec<_>>()
    );
    // The sum file is what `sha256sum --check` reads, and it is right.
    let sum = std::fs::read_to_string(archive.with_extension("gz.sha256")).expect("sum");
    let bytes = std::fs::read(archive).expect("archive");
    assert_eq!(sum, format!("{}  {name}.tar.gz\n", hex_sha256(&bytes)));

    // The packed binary runs and names its version and commit.
    let unpacked = tmp.path().join("x");
    std::fs::create_dir_all(&unpacked).expect("mkdir");
    let t = Command::new("tar")
        .arg("-xzf")
        .arg(archive)
        .arg("-C")
        .arg(&unpacked)
        .status()
        .expect("tar");
    assert!(t.success());
    let v = Command::new(unpacked.join(&name).join("bilat"))
        .arg("--version")
        .output()
        .expect("run");
    let v = String::from_utf8_lossy(&v.stdout);
    let commit = v
        .trim_end()
        .strip_prefix(&format!("bilat {version} (commit "))
        .and_then(|c| c.strip_suffix(')'))
        .unwrap_or_else(|| panic!("{v}"));
    // Built in a checkout (not by the release workflow, which names the commit itself): the
    // checkout's commit.
    let head = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(repo())
        .output()
        .ok()
        .filter(|o| o.status.success());
    match head {
        Some(head) if std::env::var_os("BILAT_COMMIT").is_none() => {
            let head = String::from_utf8_lossy(&head.stdout);
            assert_eq!(commit, &head.trim()[..12], "{v}");
        }
        _ => assert!(commit.len() == 12 || commit == "unknown", "{v}"),
    }
}

#[test]
fn the_release_workflow_builds_four_targets_with_pinned_official_actions() {
    let text = std::fs::read_to_string(repo().join(".github/workflows/release.yml")).expect("read");
    let wf: serde_yaml::Value = serde_yaml::from_str(&text).expect("valid YAML");
    let mut targets: Vec<String> = wf["jobs"]["build"]["strategy"]["matrix"]["include"]
        .as_sequence()
        .expect("matrix")
        .iter()
        .map(|e| e["target"].as_str().expect("target").to_string())
        .collect();
    targets.sort();
    assert_eq!(
        targets,
        [
            "aarch64-apple-darwin",
            "aarch64-unknown-linux-gnu",
            "x86_64-pc-windows-msvc",
            "x86_64-unknown-linux-gnu"
        ]
    );
    for (job, body) in wf["jobs"].as_mapping().expect("jobs") {
        for step in body["steps"].as_sequence().expect("steps") {
            if let Some(uses) = step["uses"].as_str() {
                let (action, rev) = uses.split_once('@').expect("pinned");
                assert!(action.starts_with("actions/"), "{job:?}: {uses}");
                assert!(
                    rev.len() == 40 && rev.chars().all(|c| c.is_ascii_hexdigit()),
                    "{job:?}: {uses} is pinned to a commit"
                );
            }
        }
    }
    assert!(
        text.contains(".ci/package \"${{ matrix.target }}\""),
        "packs with the tested script"
    );
    assert!(wf["permissions"].as_mapping().is_some_and(|m| m.is_empty()));
    assert_eq!(
        wf["jobs"]["release"]["permissions"]["contents"].as_str(),
        Some("write")
    );
    assert_eq!(
        wf["jobs"]["build"]["permissions"]["contents"].as_str(),
        Some("read")
    );
}
