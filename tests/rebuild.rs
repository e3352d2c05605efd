//! `bilat build` over the output of an earlier build: a file whose bytes did not change is not
//! written again (it keeps its inode and mtime), what changed is, nothing stale survives, and
//! readers of the output during the rebuild always find each file whole, old or new.
//! (A failed or killed rebuild leaving the old output is tests/faults.rs's.)

mod common;

use common::*;
use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

/// Every file of `dir` with its inode and modification time.
fn inodes(dir: &Path) -> BTreeMap<String, (u64, i64, i64)> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let m = e.metadata().expect("metadata");
            let rel = e.path().strip_prefix(dir).expect("prefix");
            (
                rel.to_string_lossy().into_owned(),
                (m.ino(), m.mtime(), m.mtime_nsec()),
            )
        })
        .collect()
}

/// The basic fixture with `n` more topics whose body says `version`.
fn site_with(root: &Path, n: usize, version: &str) {
    let topics = root.join("content/topics");
    for i in 0..n {
        std::fs::write(
            topics.join(format!("p{i:03}.md")),
            format!("---\ntitle: \"Page {i}\"\nweight: {i}\n---\nVersion {version} of page {i} [@s1].\n"),
        )
        .expect("write");
    }
}

fn build_out(root: &Path, out: &Path) -> String {
    let o = build(root, out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn a_rebuild_of_an_unchanged_site_writes_no_file() {
    let (tmp, root) = site_copy("sites/basic");
    site_with(&root, 20, "a");
    let out = tmp.path().join("public");
    build_out(&root, &out);
    let before = inodes(&out);
    let snap = snapshot(&out);
    let said = build_out(&root, &out);
    assert_eq!(inodes(&out), before, "every file kept its inode and mtime");
    assert_eq!(snapshot(&out), snap);
    assert!(
        said.contains(&format!("; {} files unchanged", before.len())),
        "{said}"
    );
}

#[test]
fn a_rebuild_writes_what_changed_and_leaves_no_stale_file() {
    let (tmp, root) = site_copy("sites/basic");
    site_with(&root, 20, "a");
    let out = tmp.path().join("public");
    build_out(&root, &out);
    let before = inodes(&out);
    // One body edited (only its page changes: no list shows a body), one topic removed.
    std::fs::write(
        root.join("content/topics/p003.md"),
        "---\ntitle: \"Page 3\"\nweight: 3\n---\nVersion b of page 3 [@s1].\n",
    )
    .expect("write");
    std::fs::remove_file(root.join("content/topics/p007.md")).expect("rm");
    build_out(&root, &out);
    let after = inodes(&out);

    let fresh = tmp.path().join("fresh");
    build_out(&root, &fresh);
    assert_eq!(
        snapshot(&out),
        snapshot(&fresh),
        "the same as a clean build"
    );
    assert!(
        !after.contains_key("topics/p007/index.html"),
        "no stale page"
    );
    assert_ne!(
        after["topics/p003/index.html"], before["topics/p003/index.html"],
        "the edited page was written"
    );
    assert!(read(&out, "topics/p003/index.html").contains("Version b"));
    let kept: Vec<&String> = after
        .keys()
        .filter(|k| before.get(*k) == after.get(*k))
        .collect();
    assert!(
        after.contains_key("topics/p011/index.html")
            && kept.contains(&&"topics/p011/index.html".to_string()),
        "an untouched page is not written again"
    );
    // Lists show titles and the removed topic, so they change; untouched pages do not.
    let rewritten = after.len() - kept.len();
    assert!(
        rewritten > 0 && kept.len() > after.len() / 2,
        "{rewritten} of {} files written",
        after.len()
    );
}

#[test]
fn two_hundred_readers_see_every_file_whole_during_a_rebuild() {
    let (tmp, root) = site_copy("sites/basic");
    site_with(&root, 300, "old");
    let out = tmp.path().join("public");
    build_out(&root, &out);
    let old = snapshot(&out);
    site_with(&root, 300, "new");
    let fresh = tmp.path().join("fresh");
    build_out(&root, &fresh);
    let new = snapshot(&fresh);
    // The pages both builds have; each must read as the old bytes or the new ones, in full.
    let paths: Vec<String> = old
        .keys()
        .filter(|k| new.contains_key(*k) && k.ends_with(".html"))
        .cloned()
        .collect();
    assert!(paths.len() > 300, "{}", paths.len());
    let (old, new, paths) = (Arc::new(old), Arc::new(new), Arc::new(paths));
    let done = Arc::new(AtomicBool::new(false));
    let (reads, bad) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let problems = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let readers: Vec<_> = (0..200)
        .map(|t| {
            let (old, new, paths) = (old.clone(), new.clone(), paths.clone());
            let (done, reads, bad, problems) =
                (done.clone(), reads.clone(), bad.clone(), problems.clone());
            let out: PathBuf = out.clone();
            std::thread::spawn(move || {
                let mut i = t * 7;
                while !done.load(Ordering::Relaxed) {
                    let rel = &paths[i % paths.len()];
                    i += 13;
                    reads.fetch_add(1, Ordering::Relaxed);
                    match std::fs::read(out.join(rel)) {
                        Ok(b) if b == old[rel] || b == new[rel] => {}
                        other => {
                            bad.fetch_add(1, Ordering::Relaxed);
                            if let Ok(mut p) = problems.lock() {
                                p.push(format!(
                                    "{rel}: {}",
                                    match other {
                                        Ok(b) => format!("{} bytes, neither old nor new", b.len()),
                                        Err(e) => e.to_string(),
                                    }
                                ));
                            }
                        }
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(100));
    let before = reads.load(Ordering::Relaxed);
    build_out(&root, &out);
    let during = reads.load(Ordering::Relaxed) - before;
    done.store(true, Ordering::Relaxed);
    for r in readers {
        r.join().expect("reader");
    }
    assert_eq!(snapshot(&out), *new);
    assert_eq!(
        bad.load(Ordering::Relaxed),
        0,
        "{:?}",
        problems
            .lock()
            .map(|p| p.iter().take(5).cloned().collect::<Vec<_>>())
    );
    assert!(during > 1000, "the readers read during the build: {during}");
}

/// The `K` of "…, K of them not made again" in what `bilat build` said (0 when it says none).
fn not_made_again(said: &str) -> usize {
    said.split_once(" of them not made again")
        .and_then(|(before, _)| before.rsplit(' ').next()?.parse().ok())
        .unwrap_or(0)
}

/// The files of the search index (its page, `search/index.html`, is a page like any other).
fn search_index_files(out: &Path) -> usize {
    inodes(&out.join("search"))
        .keys()
        .filter(|k| *k != "index.html")
        .count()
}

#[test]
fn a_rebuild_makes_again_only_the_files_whose_inputs_changed() {
    let (tmp, root) = site_copy("sites/basic");
    site_with(&root, 20, "a");
    let out = tmp.path().join("public");
    let fresh = tmp.path().join("fresh");
    let same_as_a_clean_build = |when: &str| {
        let _ = std::fs::remove_dir_all(&fresh);
        build_out(&root, &fresh);
        assert_eq!(snapshot(&out), snapshot(&fresh), "{when}: as a clean build");
    };
    build_out(&root, &out);
    // Redirects from old URLs are not rendered from templates: they are made each time.
    let pages = inodes(&out)
        .keys()
        .filter(|k| k.ends_with(".html") && !read(&out, k).contains("http-equiv=\"refresh\""))
        .count();

    // Nothing changed: no page and no file of the search index is made again.
    let all = not_made_again(&build_out(&root, &out));
    assert_eq!(
        all,
        pages + search_index_files(&out),
        "every page and the search index kept"
    );

    // One body edited: its page and the search index are made again, the other pages are not.
    std::fs::write(
        root.join("content/topics/p003.md"),
        "---\ntitle: \"Page 3\"\nweight: 3\n---\nVersion b of page 3 [@s1].\n",
    )
    .expect("write");
    let said = build_out(&root, &out);
    assert!(read(&out, "topics/p003/index.html").contains("Version b"));
    assert_eq!(
        not_made_again(&said),
        all - 1 - search_index_files(&out),
        "{said}"
    );
    same_as_a_clean_build("after a body edit");

    // A title every list shows: the lists are made again too, with the new title.
    std::fs::write(
        root.join("content/topics/p004.md"),
        "---\ntitle: \"Page four\"\nweight: 4\n---\nVersion a of page 4 [@s1].\n",
    )
    .expect("write");
    let said = build_out(&root, &out);
    let kept = not_made_again(&said);
    assert!(kept < all - 2 && kept > pages / 2, "{said}");
    assert!(read(&out, "index.html").contains("Page four"));
    same_as_a_clean_build("after a title edit");

    // A layout changed: every page is made again (the search index does not use layouts).
    let base = root.join("layouts/base.html");
    let text = std::fs::read_to_string(&base).expect("read base.html");
    std::fs::write(&base, text.replace("</body>", "<!-- v2 --></body>")).expect("write");
    let said = build_out(&root, &out);
    assert_eq!(not_made_again(&said), search_index_files(&out), "{said}");
    same_as_a_clean_build("after a layout edit");

    // A page of the output edited by hand is made again, not kept as it is.
    std::fs::write(out.join("topics/p011/index.html"), "tampered").expect("write");
    let said = build_out(&root, &out);
    assert_eq!(not_made_again(&said), all - 1, "{said}");
    same_as_a_clean_build("after the output was edited");

    // The record lost: nothing is kept, and the output is still right.
    std::fs::remove_dir_all(root.join(bilat::render_cache::CACHE_DIR)).expect("rm the record");
    let said = build_out(&root, &out);
    assert_eq!(not_made_again(&said), 0, "{said}");
    same_as_a_clean_build("without a record");
}
