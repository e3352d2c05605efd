//! Releases: the archive that `.ci/package` (the release workflow's packaging step) makes for
//! Linux, the release workflow itself, and the install step of the Pages workflow that `bilat
//! init` writes, run here against the packed archive served from 127.0.0.1.

mod common;

use common::*;
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "x86_64-unknown-linux-gnu";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `.ci/package` once for all tests of this file on the test binary, without its debug
/// info where `strip` is installed (the debug binary is some 350 MB, and the tests unpack it
/// twice); returns the archive's path in a folder no test changes.
fn packaged() -> &'static Path {
    static DIST: std::sync::OnceLock<(tempfile::TempDir, PathBuf)> = std::sync::OnceLock::new();
    &DIST
        .get_or_init(|| {
            let tmp = tempfile::tempdir().expect("tempdir");
            let binary = test_binary(tmp.path());
            let archive = package(&binary, &tmp.path().join("dist"));
            (tmp, archive)
        })
        .1
}

/// The test binary without its debug info, in `dir`, where `strip` is installed; else the test
/// binary itself.
fn test_binary(dir: &Path) -> PathBuf {
    let stripped = dir.join("bilat");
    match Command::new("strip")
        .arg("--strip-debug")
        .arg("-o")
        .arg(&stripped)
        .arg(env!("CARGO_BIN_EXE_bilat"))
        .status()
    {
        Ok(s) if s.success() => stripped,
        _ => PathBuf::from(env!("CARGO_BIN_EXE_bilat")),
    }
}

/// Runs `.ci/package` on `binary`; returns the archive's path.
fn package(binary: &Path, out: &Path) -> PathBuf {
    let o = Command::new("bash")
        .arg(repo().join(".ci/package"))
        .arg(TARGET)
        .arg(binary)
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

/// Serves the files of `dir` at `/v<version>/<file>` (the layout of GitHub's release downloads)
/// on 127.0.0.1 until the process ends; anything else is a 404.
fn serve_releases(dir: PathBuf, version: &'static str) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let n = stream.read(&mut buf).unwrap_or(0);
            let req = String::from_utf8_lossy(&buf[..n]);
            let path = req.split_whitespace().nth(1).unwrap_or("/").to_string();
            let file = path
                .strip_prefix(&format!("/v{version}/"))
                .filter(|f| !f.is_empty() && !f.contains('/'));
            let reply = match file.and_then(|f| std::fs::read(dir.join(f)).ok()) {
                Some(body) => {
                    let mut r = format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    )
                    .into_bytes();
                    r.extend(body);
                    r
                }
                None => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    .to_vec(),
            };
            let _ = stream.write_all(&reply);
        }
    });
    format!("http://{addr}")
}

/// The `run` script of the step named `name` in a workflow.
fn step_script(workflow: &str, job: &str, name: &str) -> String {
    let wf: serde_yaml::Value = serde_yaml::from_str(workflow).expect("yaml");
    wf["jobs"][job]["steps"]
        .as_sequence()
        .expect("steps")
        .iter()
        .find(|s| s["name"].as_str() == Some(name))
        .and_then(|s| s["run"].as_str())
        .unwrap_or_else(|| panic!("no step {name}"))
        .to_string()
}

/// The outcome of one run of the install step: whether it succeeded, what it wrote to
/// `$GITHUB_PATH`, and its stderr.
struct Install {
    ok: bool,
    path: String,
    stderr: String,
}

/// Runs the install step of a new site's workflow, as the runner would (bash, the workflow's env,
/// a fresh `$RUNNER_TEMP` and `$GITHUB_PATH`), against the release server at `releases`.
fn run_install(
    script: &str,
    runner: &Path,
    releases: &str,
    version: &str,
    pinned: &str,
) -> Install {
    std::fs::create_dir_all(runner).expect("mkdir");
    let path_file = runner.join("github_path");
    let o = Command::new("bash")
        .arg("-e")
        .arg("-c")
        .arg(script)
        .env("BILAT_VERSION", version)
        .env("BILAT_SHA256", pinned)
        .env("BILAT_RELEASES", releases)
        .env("RUNNER_TEMP", runner)
        .env("GITHUB_PATH", &path_file)
        .output()
        .expect("bash");
    Install {
        ok: o.status.success(),
        path: std::fs::read_to_string(&path_file).unwrap_or_default(),
        stderr: stderr(&o),
    }
}

#[test]
fn the_install_step_of_an_init_site_installs_the_release_and_refuses_a_wrong_sum() {
    let version = env!("CARGO_PKG_VERSION");
    let tmp = tempfile::tempdir().expect("tempdir");
    // A copy of the release folder, as this test corrupts the archive in the end.
    let dist = tmp.path().join("dist");
    std::fs::create_dir_all(&dist).expect("mkdir");
    let packed = packaged();
    let archive = dist.join(packed.file_name().expect("name"));
    std::fs::copy(packed, &archive).expect("copy");
    let sum_name = format!(
        "{}.sha256",
        archive.file_name().and_then(|n| n.to_str()).expect("name")
    );
    std::fs::copy(packed.with_file_name(&sum_name), dist.join(&sum_name)).expect("copy");
    let good_sum = hex_sha256(&std::fs::read(&archive).expect("read"));

    // The step as `bilat init` writes it, with the release URL pointed at a local server.
    let site = tmp.path().join("site");
    let o = bilat(&[
        "init",
        site.to_str().expect("utf8"),
        "--party",
        "Japan:jp",
        "--party",
        "Australia:au",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let workflow = read(&site, ".github/workflows/pages.yml");
    let wf: serde_yaml::Value = serde_yaml::from_str(&workflow).expect("yaml");
    assert_eq!(wf["env"]["BILAT_VERSION"].as_str(), Some(version));
    assert_eq!(wf["env"]["BILAT_SHA256"].as_str(), Some(""));
    assert_eq!(
        wf["env"]["BILAT_RELEASES"].as_str(),
        Some(bilat::scaffold::releases_url().as_str())
    );
    let script = step_script(&workflow, "build", "Install bilat");
    let releases = serve_releases(dist.clone(), version);

    // Checked against the release's .sha256: installed, on the PATH, and it runs.
    let run = run_install(&script, &tmp.path().join("r1"), &releases, version, "");
    assert!(run.ok, "{}", run.stderr);
    let bin = PathBuf::from(run.path.trim()).join("bilat");
    let v = Command::new(&bin).arg("--version").output().expect("run");
    assert_eq!(
        String::from_utf8_lossy(&v.stdout).split(" (").next(),
        Some(format!("bilat {version}").as_str()),
        "{}",
        bin.display()
    );

    // A sum pinned in the workflow: the right one installs, a wrong one is refused although the
    // release's own .sha256 matches.
    let run = run_install(
        &script,
        &tmp.path().join("r2"),
        &releases,
        version,
        &good_sum,
    );
    assert!(run.ok, "{}", run.stderr);
    let wrong = format!("{}0", &good_sum[..63]);
    let wrong = if wrong == good_sum {
        format!("{}1", &good_sum[..63])
    } else {
        wrong
    };
    let run = run_install(&script, &tmp.path().join("r3"), &releases, version, &wrong);
    assert!(!run.ok, "a wrong pinned sum fails the step");
    assert!(run.stderr.contains("did NOT match"), "{}", run.stderr);
    assert!(run.path.is_empty(), "nothing is added to the PATH");
    assert!(
        !tmp.path()
            .join("r3")
            .join(format!("bilat-{version}-{TARGET}"))
            .exists(),
        "not unpacked"
    );

    // A version that has no release: the download fails, nothing is installed.
    let run = run_install(&script, &tmp.path().join("r4"), &releases, "9.9.9", "");
    assert!(!run.ok && run.path.is_empty(), "{}", run.stderr);

    // A corrupted archive is refused before it is unpacked or put on the PATH.
    let mut bytes = std::fs::read(&archive).expect("read");
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&archive, bytes).expect("write");
    let run = run_install(&script, &tmp.path().join("r5"), &releases, version, "");
    assert!(!run.ok, "a wrong sum fails the step");
    assert!(run.stderr.contains("did NOT match"), "{}", run.stderr);
    assert!(run.path.is_empty(), "nothing is added to the PATH");
    assert!(
        !tmp.path()
            .join("r5")
            .join(format!("bilat-{version}-{TARGET}"))
            .exists(),
        "not unpacked"
    );
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

/// The Windows archive is a zip of the same folder with `bilat.exe`. The release workflow packs it
/// on a Windows runner with 7-Zip; here `zip` stands in where it is installed (the layout is the
/// script's, whichever tool writes it). The bytes inside are the Linux test binary: only the
/// layout and the sum are checked.
#[test]
fn the_windows_archive_is_a_zip_of_the_same_folder_with_bilat_exe() {
    let has = |tool: &str| {
        Command::new(tool)
            .arg("-h")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !has("zip") || !has("unzip") {
        eprintln!("skipped: zip and unzip are not installed");
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let binary = test_binary(tmp.path());
    let target = "x86_64-pc-windows-msvc";
    let o = Command::new("bash")
        .arg(repo().join(".ci/package"))
        .arg(target)
        .arg(&binary)
        .arg(tmp.path().join("dist"))
        .current_dir(repo())
        .output()
        .expect("run .ci/package");
    assert!(o.status.success(), "{}", stderr(&o));
    let archive = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
    let name = format!("bilat-{}-{target}", env!("CARGO_PKG_VERSION"));
    assert_eq!(
        archive.file_name().and_then(|n| n.to_str()),
        Some(format!("{name}.zip").as_str())
    );
    let listing = Command::new("unzip")
        .arg("-Z1")
        .arg(&archive)
        .output()
        .expect("unzip");
    let mut entries: Vec<String> = String::from_utf8_lossy(&listing.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    entries.sort();
    assert_eq!(
        entries,
        ["", "CHANGELOG.md", "LICENSE", "README.md", "bilat.exe"]
            .iter()
            .map(|f| format!("{name}/{f}"))
            .collect::<Vec<_>>()
    );
    let sum = std::fs::read_to_string(archive.with_extension("zip.sha256")).expect("sum");
    let bytes = std::fs::read(&archive).expect("archive");
    assert_eq!(sum, format!("{}  {name}.zip\n", hex_sha256(&bytes)));
}
