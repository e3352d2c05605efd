//! `bilat watch` under a storm of edits: 1,000 edits in 10 s across 100 files, in place and by
//! write-temp-then-rename, against the real binary. Afterwards the output must equal a fresh
//! `bilat build` of the final sources byte for byte, the process must still be running, and its
//! memory must stay flat over a further round of edits.

mod serve_support;

use serve_support::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const FILES: usize = 100;

fn topic_path(root: &Path, i: usize) -> PathBuf {
    root.join(format!("content/topics/storm-{i:03}.md"))
}

/// One topic's source at revision `rev`. Every seventh revision also changes the title, so list
/// pages, feeds and the search index (which depend on it) are rebuilt too, not only the page.
fn topic(i: usize, rev: usize) -> String {
    let title_rev = rev - rev % 7;
    let tag = if rev.is_multiple_of(2) {
        "economy"
    } else {
        "security"
    };
    format!(
        "---\ntitle: \"Storm topic {i} (t{title_rev})\"\nsummary: \"Summary {i}.\"\n\
         date: 2024-01-{day:02}\nweight: {weight}\ntags: [{tag}]\n---\n\
         ## Section {i}\n\nRevision {rev} of topic {i}. Trade grew [@s2].\n\n\
         STORM-{i}-REV-{rev}\n",
        day = i % 28 + 1,
        weight = 10 + i,
    )
}

fn build_fresh(root: &Path, out: &Path) -> BTreeMap<String, Vec<u8>> {
    let _ = std::fs::remove_dir_all(out);
    let status = Command::new(env!("CARGO_BIN_EXE_bilat"))
        .args(["build", "--root"])
        .arg(root)
        .arg("--output")
        .arg(out)
        .output()
        .expect("run bilat build");
    assert!(
        status.status.success(),
        "fresh build failed: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    snapshot(out)
}

fn differences(a: &BTreeMap<String, Vec<u8>>, b: &BTreeMap<String, Vec<u8>>) -> Vec<String> {
    let mut diffs = Vec::new();
    for (k, v) in a {
        match b.get(k) {
            None => diffs.push(format!("only in watch output: {k}")),
            Some(w) if w != v => diffs.push(format!("differs: {k}")),
            _ => {}
        }
    }
    for k in b.keys() {
        if !a.contains_key(k) {
            diffs.push(format!("only in fresh build: {k}"));
        }
    }
    diffs
}

/// Waits for the watcher to settle, then checks its output equals a fresh build. A rebuild can
/// still be running when no line has been printed for a while, so equality is polled for a bit.
fn assert_output_is_fresh_build(w: &Bilat, root: &Path, out: &Path, fresh: &Path) {
    assert!(
        w.wait_quiet(Duration::from_secs(3), Duration::from_secs(40)),
        "the watcher kept rebuilding\n{}",
        w.output_text()
    );
    let expected = build_fresh(root, fresh);
    let mut diffs = Vec::new();
    let ok = wait_for(Duration::from_secs(10), || {
        diffs = differences(&snapshot(out), &expected);
        diffs.is_empty().then_some(())
    });
    assert!(
        ok.is_some(),
        "watch output differs from a fresh build ({} files):\n{}\n{}",
        diffs.len(),
        diffs
            .iter()
            .take(30)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n"),
        w.output_text()
    );
}

/// Applies `count` edits spread evenly over `over`, cycling through the topics in a scrambled
/// order; even edits write in place, odd ones write a temp file and rename it over the page.
fn edits(root: &Path, revs: &mut [usize], first: usize, count: usize, over: Duration) {
    let start = Instant::now();
    for n in 0..count {
        let k = first + n;
        // 37 is coprime to 100: every file gets the same number of edits, in a scattered order.
        let i = (k * 37) % FILES;
        revs[i] = k + 1;
        let path = topic_path(root, i);
        let text = topic(i, revs[i]);
        if k.is_multiple_of(2) {
            write(&path, &text);
        } else {
            write_by_rename(&path, &text);
        }
        let due = over.mul_f64((n + 1) as f64 / count as f64);
        if let Some(left) = due.checked_sub(start.elapsed()) {
            std::thread::sleep(left);
        }
    }
}

#[test]
fn watch_survives_a_storm_of_1000_edits_and_ends_in_the_right_state() {
    let (tmp, root) = site_copy("serve-basic");
    let out = tmp.path().join("out");
    let fresh = tmp.path().join("fresh");
    let mut revs = vec![0usize; FILES];
    for (i, rev) in revs.iter().enumerate() {
        write(&topic_path(&root, i), &topic(i, *rev));
    }
    let mut w = Bilat::watch(&root, &out, &[]);
    let rss_start = w.rss_kib().expect("VmRSS of bilat watch");

    // The storm: 1,000 edits in 10 s across the 100 topics.
    let storm_start = Instant::now();
    edits(&root, &mut revs, 0, 1000, Duration::from_secs(10));
    let storm_took = storm_start.elapsed();
    assert!(
        storm_took < Duration::from_secs(12),
        "the storm took {storm_took:?}"
    );
    assert!(w.is_running(), "bilat watch died\n{}", w.output_text());
    assert_output_is_fresh_build(&w, &root, &out, &fresh);
    let out_text = snapshot(&out);
    for (i, rev) in revs.iter().enumerate() {
        let page = format!("topics/storm-{i:03}/index.html");
        let html = String::from_utf8_lossy(out_text.get(&page).expect("page built"));
        assert!(
            html.contains(&format!("STORM-{i}-REV-{rev}<")),
            "{page} is not at its last revision {rev}"
        );
    }
    let rebuilds_storm = w.rebuild_lines().len();
    let rss_after_storm = w.rss_kib().expect("VmRSS");

    // Another round of 200 edits: memory must not keep growing.
    edits(&root, &mut revs, 1000, 200, Duration::from_secs(2));
    assert!(w.is_running(), "bilat watch died\n{}", w.output_text());
    assert_output_is_fresh_build(&w, &root, &out, &fresh);
    let rss_after_round = w.rss_kib().expect("VmRSS");
    eprintln!(
        "storm: 1200 edits ({storm_took:?} for the first 1000), {} rebuilds ({rebuilds_storm} in the storm); \
         VmRSS {rss_start} KiB at start, {rss_after_storm} KiB after the storm, \
         {rss_after_round} KiB after 200 more edits",
        w.rebuild_lines().len()
    );
    assert!(
        rss_after_round * 100 <= rss_after_storm * 120,
        "memory grew from {rss_after_storm} KiB to {rss_after_round} KiB over 200 edits"
    );
    let errors = w.stderr_text();
    assert!(
        !errors.contains("panicked"),
        "bilat watch panicked\n{errors}"
    );
    // A rebuild that reads a page while it is being saved in place (truncated, then written) can
    // see it empty and fail; the write's own event then brings a rebuild that succeeds, which the
    // fresh-build equality above proves. Any other error is a bug.
    let failed = errors.matches("rebuild failed").count();
    for line in errors.lines().filter(|l| l.contains(": error: ")) {
        assert!(
            line.starts_with("content/topics/storm-") && line.ends_with("error: the file is empty"),
            "a rebuild failed on something other than a half-saved page: {line}\n{errors}"
        );
    }
    eprintln!("storm: {failed} rebuilds failed on a page read mid-save and recovered");
    let status = w.interrupt(Duration::from_secs(10));
    assert!(
        status.is_some_and(|s| s.success()),
        "bilat watch did not stop cleanly: {status:?}\n{}",
        w.output_text()
    );
}
