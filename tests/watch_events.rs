//! `bilat watch` reacting to real file system events: a file still being written is not built
//! until its writer closes it, and a `git checkout` of 200 files costs a rebuild or two, not 200.
//! (What is rebuilt for a given change is tests/watch.rs's; a storm of edits is tests/storm.rs's.)

mod serve_support;

use serve_support::*;
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

#[test]
fn a_file_is_not_built_until_its_writer_closes_it() {
    let (tmp, root) = site_copy("serve-basic");
    let out = tmp.path().join("out");
    let w = Bilat::watch(&root, &out, &[]);
    let path = root.join("content/topics/trade.md");
    let text = std::fs::read_to_string(&path)
        .expect("trade.md")
        .replace("MARKER-TRADE-ORIGINAL", "MARKER-TRADE-WHOLE");
    // Cut inside the front matter: built as it stands, the half is an error (an unclosed
    // string, no closing `---`).
    let (first, rest) = text.split_at(text.find("Trade\"").expect("title") + 2);
    let mut f = std::fs::File::create(&path).expect("open for writing");
    f.write_all(first.as_bytes()).expect("write the first half");
    f.flush().expect("flush");
    // Far longer than the watcher waits for a burst to settle, shorter than its grace for an
    // open file.
    std::thread::sleep(Duration::from_millis(60));
    f.write_all(rest.as_bytes()).expect("write the rest");
    drop(f);
    let page = out.join("topics/trade/index.html");
    let seen = wait_for(Duration::from_secs(5), || {
        std::fs::read_to_string(&page)
            .ok()
            .filter(|t| t.contains("MARKER-TRADE-WHOLE"))
    });
    assert!(seen.is_some(), "{}", w.output_text());
    assert!(w.wait_quiet(Duration::from_millis(500), Duration::from_secs(10)));
    assert_eq!(w.rebuild_lines().len(), 1, "{}", w.output_text());
    assert!(
        !w.stderr_text().contains("error"),
        "the half-written file was built: {}",
        w.output_text()
    );
}

fn git(root: &Path, args: &[&str]) {
    let o = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.org"])
        .args(args)
        .output()
        .expect("run git");
    assert!(
        o.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn topic(i: usize, rev: &str) -> String {
    format!(
        "---\ntitle: \"Checkout topic {i}\"\nsummary: \"Summary {i}.\"\ndate: 2024-01-01\n---\nBody of topic {i} at revision {rev} [@s1].\n"
    )
}

#[test]
fn a_git_checkout_of_200_files_is_built_once_or_twice_and_ends_at_the_checked_out_state() {
    let (tmp, root) = site_copy("serve-basic");
    let dir = root.join("content/topics");
    for i in 0..200 {
        std::fs::write(dir.join(format!("c-{i:03}.md")), topic(i, "A")).expect("write");
    }
    git(&root, &["init", "-q", "-b", "base"]);
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-q", "-m", "A"]);
    git(&root, &["checkout", "-q", "-b", "b"]);
    for i in 0..200 {
        std::fs::write(dir.join(format!("c-{i:03}.md")), topic(i, "B")).expect("write");
    }
    git(&root, &["commit", "-q", "-am", "B"]);

    let out = tmp.path().join("out");
    let w = Bilat::watch(&root, &out, &[]);
    let last = out.join("topics/c-199/index.html");
    assert!(std::fs::read_to_string(&last)
        .expect("built")
        .contains("revision B"));
    git(&root, &["checkout", "-q", "base"]);
    let done = wait_for(Duration::from_secs(20), || {
        (0..200)
            .all(|i| {
                std::fs::read_to_string(out.join(format!("topics/c-{i:03}/index.html")))
                    .is_ok_and(|t| t.contains("revision A"))
            })
            .then_some(())
    });
    assert!(done.is_some(), "{}", w.output_text());
    assert!(w.wait_quiet(Duration::from_millis(500), Duration::from_secs(20)));
    // The first event is built at once; what the checkout writes meanwhile makes one more.
    let rebuilds = w.rebuild_lines();
    assert!(
        (1..=2).contains(&rebuilds.len()),
        "{} rebuilds: {}",
        rebuilds.len(),
        w.output_text()
    );
}
