//! Faults while writing the output: an output dir that cannot be written (its parent is a file,
//! a read-only mount, an immutable dir), a full disk (a 1 MiB tmpfs), and builds killed with
//! SIGKILL part-way. Each must end with a clear error, the old output intact and no staging dir
//! left behind; after a kill, the output is the old site or the new one, never a mix.
//!
//! Mounting and `chattr` need root: where they are refused, the test says so and passes.

mod common;
#[path = "bad-input/runner.rs"]
mod runner;

use common::*;
use runner::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// A site like tests/sites/basic with `pages` generated topics whose text carries `version`.
fn gen_site(root: &Path, pages: usize, version: &str, body_bytes: usize) {
    let basic = fixture("sites/basic");
    if root.exists() {
        std::fs::remove_dir_all(root).expect("rm");
    }
    for dir in ["layouts", "assets", "content/_data"] {
        copy_dir(&basic.join(dir), &root.join(dir));
    }
    std::fs::copy(basic.join("site.yaml"), root.join("site.yaml")).expect("copy");
    std::fs::write(
        root.join("content/_index.md"),
        format!("---\ntitle: \"Home {version}\"\n---\nWelcome ({version}).\n"),
    )
    .expect("write");
    let topics = root.join("content/topics");
    std::fs::create_dir_all(&topics).expect("mkdir");
    std::fs::write(
        topics.join("_index.md"),
        format!("---\ntitle: \"Topics {version}\"\n---\nAll topics.\n"),
    )
    .expect("write");
    let filler = "Trade in national currencies grew while the FTA talks went on. "
        .repeat(body_bytes / 64 + 1);
    for i in 0..pages {
        std::fs::write(
            topics.join(format!("{version}-p{i}.md")),
            format!("---\ntitle: \"Page {i} ({version})\"\nweight: {i}\n---\n## Part one\n\nVersion {version}, page {i} [@s1].\n\n{filler}\n"),
        )
        .expect("write");
    }
}

fn leftovers(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.to_string_lossy().contains(".bilat-"))
                .collect()
        })
        .unwrap_or_default()
}

fn sh(cmd: &str, args: &[&str]) -> Result<(), String> {
    let o = Command::new(cmd)
        .args(args)
        .output()
        .map_err(|e| format!("{cmd}: {e}"))?;
    if o.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{cmd} {args:?}: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        ))
    }
}

/// Runs a command when dropped (unmount, chattr -i), so a failing assertion cleans up too.
struct Undo(&'static str, Vec<String>);

impl Drop for Undo {
    fn drop(&mut self) {
        let args: Vec<&str> = self.1.iter().map(String::as_str).collect();
        if let Err(e) = sh(self.0, &args) {
            eprintln!("cleanup failed: {e}");
        }
    }
}

fn build_ok(root: &Path, out: &Path) {
    let run = run_limited(build_cmd(root, out), Duration::from_secs(120));
    assert_eq!(
        run.code,
        Some(0),
        "build of {} failed\n{}",
        root.display(),
        run.stderr
    );
}

/// A failed write: exit 1, no panic, the old output byte for byte, no staging dir beside it.
fn assert_clean_failure(
    run: &Run,
    out: &Path,
    before: &BTreeMap<String, Vec<u8>>,
    must_say: &[&str],
) {
    assert!(!run.timed_out, "timed out\n{}", run.stderr);
    assert_eq!(run.code, Some(1), "exit 1\n{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    for s in must_say {
        assert!(
            run.stderr.contains(s),
            "stderr should contain {s:?}\n{}",
            run.stderr
        );
    }
    assert_eq!(before, &snapshot(out), "the old output is intact");
    let parent = out.parent().expect("parent");
    assert!(
        leftovers(parent).is_empty(),
        "staging dirs left: {:?}",
        leftovers(parent)
    );
}

#[test]
fn output_parent_is_a_regular_file() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("site");
    gen_site(&root, 3, "a", 100);
    let blocker = tmp.path().join("blocker");
    std::fs::write(&blocker, "a file where a folder is expected").expect("write");
    let out = blocker.join("public");
    let run = run_limited(build_cmd(&root, &out), Duration::from_secs(60));
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr.contains("blocker") && run.stderr.contains("Not a directory"),
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read_to_string(&blocker).expect("read"),
        "a file where a folder is expected"
    );
    assert!(
        leftovers(tmp.path()).is_empty(),
        "{:?}",
        leftovers(tmp.path())
    );
}

#[test]
fn output_that_is_a_file_is_refused_not_replaced() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("site");
    gen_site(&root, 3, "a", 100);
    let out = tmp.path().join("public");
    std::fs::write(&out, "my notes").expect("write");
    let run = run_limited(build_cmd(&root, &out), Duration::from_secs(60));
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(run.stderr.contains("it is a file"), "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(&out).expect("read"),
        "my notes",
        "the file is untouched"
    );
    assert!(
        leftovers(tmp.path()).is_empty(),
        "{:?}",
        leftovers(tmp.path())
    );
}

#[test]
fn read_only_output_parent() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("site");
    gen_site(&root, 5, "a", 100);
    let parent = tmp.path().join("ro");
    std::fs::create_dir_all(&parent).expect("mkdir");
    let out = parent.join("public");
    build_ok(&root, &out);
    let before = snapshot(&out);
    let p = parent.to_string_lossy().into_owned();
    if let Err(e) = sh("mount", &["--bind", &p, &p]) {
        println!("SKIPPED read_only_output_parent: cannot bind-mount ({e})");
        return;
    }
    let _unmount = Undo("umount", vec![p.clone()]);
    if let Err(e) = sh("mount", &["-o", "remount,bind,ro", &p]) {
        println!("SKIPPED read_only_output_parent: cannot remount read-only ({e})");
        return;
    }
    gen_site(&root, 5, "b", 100);
    let run = run_limited(build_cmd(&root, &out), Duration::from_secs(60));
    assert_clean_failure(
        &run,
        &out,
        &before,
        &["Read-only file system", ".public.bilat-staging"],
    );
}

#[test]
fn immutable_output_dir_cannot_be_swapped() {
    // The staging dir is written in full, then the swap is refused: the staging dir must go.
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("site");
    gen_site(&root, 5, "a", 100);
    let out = tmp.path().join("public");
    build_ok(&root, &out);
    let before = snapshot(&out);
    let o = out.to_string_lossy().into_owned();
    if let Err(e) = sh("chattr", &["+i", &o]) {
        println!("SKIPPED immutable_output_dir_cannot_be_swapped: chattr +i refused ({e})");
        return;
    }
    let _undo = Undo("chattr", vec!["-i".into(), o.clone()]);
    gen_site(&root, 5, "b", 100);
    let run = run_limited(build_cmd(&root, &out), Duration::from_secs(60));
    assert_clean_failure(&run, &out, &before, &[&o, "Operation not permitted"]);
}

#[test]
fn disk_full_leaves_the_old_output() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mnt = tmp.path().join("small");
    std::fs::create_dir_all(&mnt).expect("mkdir");
    let m = mnt.to_string_lossy().into_owned();
    if let Err(e) = sh("mount", &["-t", "tmpfs", "-o", "size=1M", "tmpfs", &m]) {
        println!("SKIPPED disk_full_leaves_the_old_output: cannot mount a tmpfs ({e})");
        return;
    }
    let _unmount = Undo("umount", vec![m.clone()]);
    let root = tmp.path().join("site");
    let out = mnt.join("public");

    // A first build that cannot fit: nothing is left behind.
    gen_site(&root, 400, "big", 4000);
    let run = run_limited(build_cmd(&root, &out), Duration::from_secs(120));
    assert_clean_failure(&run, &out, &BTreeMap::new(), &["No space left on device"]);
    assert!(!out.exists());

    // A small site fits; a large one then fails and leaves the small one as it was.
    gen_site(&root, 5, "small", 100);
    build_ok(&root, &out);
    let before = snapshot(&out);
    gen_site(&root, 400, "big", 4000);
    let run = run_limited(build_cmd(&root, &out), Duration::from_secs(120));
    assert_clean_failure(&run, &out, &before, &["No space left on device"]);
    println!(
        "disk full: {}",
        run.stderr.lines().next().unwrap_or_default()
    );

    // And the space is free again: the small site still builds.
    gen_site(&root, 5, "small2", 100);
    build_ok(&root, &out);
}

/// A tiny deterministic generator for kill times (no rand dependency); the seed is printed.
struct Lcg(u64);

impl Lcg {
    fn next_f64(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[test]
fn killed_mid_build_leaves_the_old_or_the_new_site() {
    let pages = 2000;
    let rounds: usize = std::env::var("BILAT_KILL_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8);
    let tmp = tempfile::tempdir().expect("tempdir");
    let (site_a, site_b) = (tmp.path().join("a"), tmp.path().join("b"));
    gen_site(&site_a, pages, "a", 1500);
    gen_site(&site_b, pages, "b", 1500);
    // References: each site built alone, and how long a build takes here.
    let (ref_a, ref_b) = (tmp.path().join("ref-a"), tmp.path().join("ref-b"));
    build_ok(&site_a, &ref_a);
    let start = Instant::now();
    build_ok(&site_b, &ref_b);
    let full = start.elapsed();
    let (snap_a, snap_b) = (snapshot(&ref_a), snapshot(&ref_b));
    assert_ne!(
        snap_a.keys().collect::<Vec<_>>(),
        snap_b.keys().collect::<Vec<_>>(),
        "the two sites have different file sets"
    );

    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(7);
    let mut rng = Lcg(seed);
    println!(
        "kill test: {pages} pages, a full build takes {:.2} s; seed {seed}",
        full.as_secs_f64()
    );
    let out = tmp.path().join("public");
    let (mut saw_old, mut saw_new) = (0, 0);
    for round in 0..rounds {
        // Start each round from the old site.
        if snapshot(&out) != snap_a {
            build_ok(&site_a, &out);
        }
        // Kill somewhere in the first 110% of a build's time: loading, rendering, writing, swapping.
        let at = full.mul_f64(rng.next_f64() * 1.1);
        let mut killed = false;
        let run = run_with(
            &mut build_cmd(&site_b, &out),
            Duration::from_secs(120),
            |pid, elapsed| {
                if !killed && elapsed >= at {
                    // SAFETY: kill(2) of our own, not yet reaped, child.
                    unsafe { libc::kill(pid, libc::SIGKILL) };
                    killed = true;
                }
            },
        );
        let now = snapshot(&out);
        let state = if now == snap_a {
            saw_old += 1;
            "old"
        } else if now == snap_b {
            saw_new += 1;
            "new"
        } else {
            let only_a = now.keys().filter(|k| snap_a.contains_key(*k)).count();
            let only_b = now.keys().filter(|k| snap_b.contains_key(*k)).count();
            panic!("round {round}: killed at {at:?}, the output is neither the old nor the new site ({} files, {only_a} of A, {only_b} of B)", now.len());
        };
        println!(
            "round {round}: SIGKILL at {:.3} s -> {} (exit {:?}, signal {:?}); output is the {state} site; leftovers {:?}",
            at.as_secs_f64(),
            if run.signal.is_some() { "killed" } else { "finished first" },
            run.code,
            run.signal,
            leftovers(tmp.path()).iter().map(|p| p.file_name().unwrap_or_default().to_owned()).collect::<Vec<_>>()
        );
    }
    // The next build cleans up whatever a killed one left and succeeds.
    build_ok(&site_b, &out);
    assert_eq!(
        snapshot(&out),
        snap_b,
        "after the kills a build gives the new site"
    );
    assert!(
        leftovers(tmp.path()).is_empty(),
        "no staging dir left: {:?}",
        leftovers(tmp.path())
    );
    println!("kill test: {rounds} kills, {saw_old} left the old site, {saw_new} the new one");
}
