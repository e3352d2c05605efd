//! The `bilat` command line: parses arguments and calls the library. Everything the user reads is
//! printed here — errors (once), warnings, progress, what `watch` and `serve` report after each
//! rebuild — and here live the exit codes and the Ctrl-C and SIGTERM handling; the library returns
//! results and events.

use clap::{Parser, Subcommand};

// The build allocates many short-lived strings in parallel; glibc malloc spent a quarter of the
// profile's self time on them.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use bilat::error::{Error, Result};
use bilat::serve::ServeEvent;
use bilat::site::BuildOptions;
use bilat::watch::{describe_changes, EventLoop, Outcome, Watcher};
use bilat::Diagnostic;
use std::collections::HashSet;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "bilat",
    // The commit comes from build.rs: the one a release was built from, or the checkout's.
    version = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("BILAT_COMMIT"), ")"),
    about = "Build sourced explainers of the relations between two countries"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build the site into the output dir (default: <root>/public)
    Build {
        /// The site's root folder (holding site.yaml)
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Where to write the site
        #[arg(long)]
        output: Option<PathBuf>,
        /// Override base_url from site.yaml (e.g. https://owner.github.io/repo/)
        #[arg(long)]
        base_url: Option<String>,
        /// Include pages marked `draft: true`
        #[arg(long)]
        drafts: bool,
        /// Print how long each stage of the build took
        #[arg(long)]
        timings: bool,
    },
    /// Check the site without writing it: everything `build` checks, plus internal links, anchors,
    /// titles, drafts and overdue items. Exits 1 on any error.
    Check {
        /// The site's root folder (holding site.yaml)
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Override base_url from site.yaml, as for `build`
        #[arg(long)]
        base_url: Option<String>,
        /// Treat warnings (drafts, overdue `next` items) as errors
        #[arg(long)]
        strict: bool,
        /// Also check http(s) links on their servers (cached in .bilat-cache/), and look up
        /// archived copies of dead sources
        #[arg(long)]
        external: bool,
        /// With --external: write the archived copies found for dead sources into sources.yaml
        #[arg(long, requires = "external")]
        fix_archives: bool,
    },
    /// Build, then rebuild on every change to content/, layouts/, assets/ and site.yaml
    Watch {
        /// The site's root folder (holding site.yaml)
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Where to write the site (default: <root>/public)
        #[arg(long)]
        output: Option<PathBuf>,
        /// Include pages marked `draft: true`
        #[arg(long)]
        drafts: bool,
        /// Poll for changes and compare contents (network mounts, VMs) instead of OS notifications
        #[arg(long)]
        poll: bool,
    },
    /// Preview the site: build, serve it under its base path, rebuild and reload pages on every change
    Serve {
        /// The site's root folder (holding site.yaml)
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Where to write the site (default: a temporary folder, removed on exit)
        #[arg(long)]
        output: Option<PathBuf>,
        /// The address to listen on; anything but 127.0.0.1 or ::1 exposes the preview to other machines
        #[arg(long, default_value = "127.0.0.1")]
        bind: std::net::IpAddr,
        /// The port to listen on; 0 picks a free one
        #[arg(long, default_value_t = 1111)]
        port: u16,
        /// Serve under this path instead of base_url's path (e.g. /repo/)
        #[arg(long)]
        base_path: Option<String>,
        /// Open the site in a browser
        #[arg(long)]
        open: bool,
        /// Include pages marked `draft: true`
        #[arg(long)]
        drafts: bool,
        /// Poll for changes and compare contents (network mounts, VMs) instead of OS notifications
        #[arg(long)]
        poll: bool,
        /// Also answer requests for this host name (repeatable); others than localhost,
        /// 127.0.0.1, [::1] and the --bind address get 403, against DNS rebinding
        #[arg(long = "allowed-host", value_name = "NAME")]
        allowed_hosts: Vec<String>,
    },
    /// Work with the texts of the sources (kept in .bilat-cache/sources/, outside git)
    Sources {
        #[command(subcommand)]
        what: SourcesKind,
    },
    /// Translations: record which revision of its original a translation translates, or list
    /// every page's translations and whether they are up to date
    Translate {
        #[command(subcommand)]
        what: TranslateKind,
    },
    /// Create new content
    New {
        #[command(subcommand)]
        what: NewKind,
    },
    /// The built-in theme: copy its files into the site, or compare the site's copies with it
    Theme {
        #[command(subcommand)]
        what: ThemeCommand,
    },
    /// Start a new explainer for another pair of countries
    Init {
        /// The folder to create the site in
        dir: PathBuf,
        /// A party as Name:code, given twice (e.g. --party "Country A:aa" --party "Country B:bb")
        #[arg(long = "party", required = true, value_parser = bilat::scaffold::parse_party)]
        parties: Vec<(String, String)>,
        /// Write into a folder that is not empty (its files are kept, never overwritten)
        #[arg(long)]
        force: bool,
        /// The site's language, that of its default edition: a BCP 47 tag (en, ru, pt-BR)
        #[arg(long, default_value = "en", value_parser = bilat::scaffold::parse_language)]
        language: String,
        /// Another edition's language, published under /<tag>/; repeat for each (--edition ja)
        #[arg(long = "edition", value_parser = bilat::scaffold::parse_language)]
        editions: Vec<String>,
    },
}

#[derive(Subcommand)]
enum TranslateKind {
    /// Record in each translation file the revision of its original it now translates
    Mark {
        /// The site's root folder
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Translation files (`content/topics/trade.ru.md`)
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// A table of every page in every edition: up to date, outdated or missing
    Status {
        /// The site's root folder
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Exit non-zero when any translation is outdated
        #[arg(long)]
        strict: bool,
    },
}

#[derive(Subcommand)]
enum SourcesKind {
    /// Download each source's page and keep its article text, against which quotes are checked
    Fetch {
        /// The site's root folder
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Only these source ids (repeat, or separate with commas)
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
        /// Fetch again sources that already have a text
        #[arg(long)]
        refetch: bool,
    },
}

#[derive(Subcommand)]
enum ThemeCommand {
    /// Copy built-in layouts or assets into the site to edit them (all of them without FILE);
    /// never overwrites a file the site has
    Eject {
        /// Files to copy, e.g. `layouts/page.html`, `page.html` or `assets/css/site.css`
        files: Vec<String>,
        /// The site's root folder (holding site.yaml)
        #[arg(long, default_value = ".")]
        root: PathBuf,
    },
    /// Show how the site's layouts/ and assets/ differ from this release's built-in files
    Diff {
        /// The site's root folder (holding site.yaml)
        #[arg(long, default_value = ".")]
        root: PathBuf,
    },
}

#[derive(Subcommand)]
enum NewKind {
    /// Write content/topics/SLUG.md with valid front matter
    Topic {
        /// File name of the topic, e.g. `trade` (lowercase letters, digits, dashes)
        slug: String,
        /// The site's root folder
        #[arg(long, default_value = ".")]
        root: PathBuf,
    },
}

/// Shows a spinner on a terminal, only once a build has taken longer than a moment.
fn progress() -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    let bar = indicatif::ProgressBar::hidden();
    if std::io::stderr().is_terminal() {
        let shown = bar.clone();
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(300));
            if !shown.is_finished() {
                shown.set_draw_target(indicatif::ProgressDrawTarget::stderr());
                shown.set_message("building…");
                shown.enable_steady_tick(std::time::Duration::from_millis(100));
            }
        });
    }
    bar
}

/// `bilat sources fetch`: one line per source, then a count; exits 1 if any fetch failed.
/// Prints the pages × editions table of `bilat translate status`.
fn translate_status(root: &std::path::Path, strict: bool) -> bilat::Result<()> {
    use bilat::editions::Freshness;
    let status = bilat::translate::status(root)?;
    if status.editions.is_empty() {
        println!(
            "the site has one edition: nothing to translate (see `languages:` in docs/FORMAT.md)"
        );
        return Ok(());
    }
    let width = status
        .rows
        .iter()
        .map(|r| r.page.display().to_string().chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    let mut head = format!("{:width$}", "page");
    for e in &status.editions {
        head.push_str(&format!("  {e:<10}"));
    }
    println!("{}", head.trim_end());
    for r in &status.rows {
        let mut line = format!(
            "{:width$}",
            bilat::error::printable_line(&r.page.display().to_string())
        );
        for s in &r.states {
            line.push_str(&format!("  {:<10}", s.label()));
        }
        println!("{}", line.trim_end());
    }
    println!(
        "{} up to date, {} outdated, {} missing",
        status.count(Freshness::UpToDate),
        status.outdated(),
        status.count(Freshness::Missing)
    );
    if strict && status.outdated() > 0 {
        return Err(bilat::Error::Build(vec![bilat::Diagnostic::error(
            "content",
            None,
            format!("{} translation(s) outdated (--strict)", status.outdated()),
        )
        .with_help("update each, then run `bilat translate mark FILE`")]));
    }
    Ok(())
}

fn fetch_sources(root: &std::path::Path, only: &[String], refetch: bool) -> bilat::Result<()> {
    use bilat::sources::fetch::{fetch_all, FetchOptions, FetchOutcome};
    let sources = bilat::sources::load_sources(root)?;
    let targets = bilat::sources::fetch_targets(&sources, only)?;
    let opts = FetchOptions {
        refetch,
        ..FetchOptions::default()
    };
    let outcomes = fetch_all(root, &targets, &opts);
    let (mut saved, mut kept, mut failed) = (0, 0, 0);
    for (t, o) in targets.iter().zip(&outcomes) {
        match o {
            FetchOutcome::Saved { path, chars } => {
                saved += 1;
                println!("{}: saved {chars} characters to {}", t.id, path.display());
            }
            FetchOutcome::Kept(_) => kept += 1,
            FetchOutcome::Failed(why) => {
                failed += 1;
                eprintln!("{}: {} — {why}", t.id, t.url);
            }
        }
    }
    eprintln!("{saved} fetched, {kept} kept (use --refetch to fetch them again), {failed} failed");
    if failed > 0 {
        use std::io::Write;
        let _ = std::io::stdout().flush();
        std::process::exit(1);
    }
    Ok(())
}

/// The stages of a build as a table: milliseconds, share of the build, microseconds per page and
/// resident memory at the stage's end.
fn print_timings(t: &bilat::timings::Timings, pages: usize) {
    let total = t.total().as_secs_f64().max(f64::EPSILON);
    println!(
        "{:<12}{:>10}{:>8}{:>14}{:>12}",
        "stage", "ms", "share", "µs per page", "RSS MiB"
    );
    for lap in &t.stages {
        let s = lap.took.as_secs_f64();
        let rss = lap
            .resident
            .map_or("-".to_string(), |b| format!("{:.1}", b as f64 / 1048576.0));
        println!(
            "{:<12}{:>10.1}{:>7.1}%{:>14.1}{rss:>12}",
            lap.stage.name(),
            s * 1e3,
            100.0 * s / total,
            s * 1e6 / pages.max(1) as f64
        );
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Build {
            root,
            output,
            base_url,
            drafts,
            timings,
        } => {
            let opts = bilat::BuildOptions {
                root,
                output,
                base_url,
                drafts,
                base_path: None,
            };
            let bar = progress();
            let result = bilat::build(&opts);
            bar.finish_and_clear();
            result.map(|report| {
                for w in &report.warnings {
                    eprintln!("{w}");
                }
                let cards = report.cards;
                let cards = if cards.drawn + cards.cached > 0 {
                    format!(
                        "; social cards: {} drawn, {} from the cache",
                        cards.drawn, cards.cached
                    )
                } else {
                    String::new()
                };
                let images = match report.images {
                    i if i.encoded + i.cached > 0 => format!(
                        "; image variants: {} encoded, {} from the cache",
                        i.encoded, i.cached
                    ),
                    _ => String::new(),
                };
                let unchanged = match (report.unchanged, report.kept) {
                    (0, _) => String::new(),
                    (n, 0) => format!("; {n} files unchanged"),
                    (n, k) => format!("; {n} files unchanged, {k} of them not made again"),
                };
                println!(
                    "built {} pages ({} files) in {} ms{unchanged}{cards}{images}",
                    report.pages,
                    report.files,
                    report.elapsed.as_millis()
                );
                if timings {
                    print_timings(&report.timings, report.pages);
                }
            })
        }
        Command::Check {
            root,
            base_url,
            strict,
            external,
            fix_archives,
        } => {
            let opts = bilat::check::CheckOptions {
                base_url,
                strict,
                external,
                fix_archives,
                ..bilat::check::CheckOptions::new(root)
            };
            bilat::check::check(&opts).map(|report| {
                // Under GitHub Actions, workflow commands turn each problem into an annotation.
                let github = std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true");
                print!("{}", report.render(github));
                eprintln!("{}", report.summary());
                if !report.passed() {
                    use std::io::Write;
                    let _ = std::io::stdout().flush();
                    std::process::exit(1);
                }
            })
        }
        Command::Watch {
            root,
            output,
            drafts,
            poll,
        } => watch(
            bilat::BuildOptions {
                root,
                output,
                base_url: None,
                drafts,
                base_path: None,
            },
            poll,
        ),
        Command::Serve {
            root,
            output,
            bind,
            port,
            base_path,
            open,
            drafts,
            poll,
            allowed_hosts,
        } => {
            let build = bilat::BuildOptions {
                root,
                output,
                base_url: None,
                drafts,
                base_path,
            };
            let seen = std::sync::Mutex::new(HashSet::new());
            let on: bilat::serve::OnEvent = std::sync::Arc::new(move |e| {
                if let Ok(mut seen) = seen.lock() {
                    print_serve_event(e, &mut seen);
                }
            });
            bilat::serve::run(
                bilat::serve::ServeOptions {
                    build,
                    bind,
                    port,
                    open,
                    poll,
                    allowed_hosts,
                },
                on,
                interrupted(),
            )
        }
        Command::Sources {
            what:
                SourcesKind::Fetch {
                    root,
                    only,
                    refetch,
                },
        } => fetch_sources(&root, &only, refetch),
        Command::Translate {
            what: TranslateKind::Mark { root, files },
        } => files.iter().try_for_each(|f| {
            bilat::translate::mark(&root, f).map(|revision| {
                println!(
                    "{}: translates revision {revision}",
                    bilat::error::printable_line(&f.display().to_string())
                );
            })
        }),
        Command::Translate {
            what: TranslateKind::Status { root, strict },
        } => translate_status(&root, strict),
        Command::New {
            what: NewKind::Topic { slug, root },
        } => bilat::scaffold::new_topic(&root, &slug).map(|path| {
            println!(
                "wrote {}",
                bilat::error::printable_line(&path.display().to_string())
            );
        }),
        Command::Theme {
            what: ThemeCommand::Eject { files, root },
        } => bilat::theme::eject(&root, &files).map(|report| {
            for path in &report.written {
                println!("wrote {}", path.display());
            }
            if !report.kept.is_empty() {
                println!(
                    "kept the site's own {} (see `bilat theme diff`)",
                    report.kept.join(", ")
                );
            }
        }),
        Command::Theme {
            what: ThemeCommand::Diff { root },
        } => bilat::theme::diff(&root).map(|files| {
            use bilat::theme::Comparison;
            if files.is_empty() {
                println!("the site overrides nothing: it uses the built-in theme as it is");
            }
            for f in &files {
                match &f.comparison {
                    Comparison::Same => println!(
                        "{}: the same as the built-in file (delete it to follow future releases)",
                        f.path
                    ),
                    Comparison::SiteOnly => {
                        println!("{}: the site's own (no built-in file of that name)", f.path)
                    }
                    Comparison::Changed(None) => {
                        println!("{}: differs from the built-in file (not text)", f.path)
                    }
                    Comparison::Changed(Some(diff)) => print!("{diff}"),
                }
            }
        }),
        Command::Init {
            dir,
            parties,
            force,
            language,
            editions,
        } => bilat::scaffold::init(&bilat::scaffold::InitOptions {
            dir: dir.clone(),
            parties,
            force,
            language,
            editions,
        })
        .and_then(|done| {
            println!("wrote {} files into {}", done.written.len(), dir.display());
            for kept in &done.kept {
                println!("kept {} as it was", kept.display());
            }
            let opts = bilat::BuildOptions {
                root: dir.clone(),
                ..Default::default()
            };
            let report = bilat::build(&opts)?;
            println!(
                "built {} pages into {}",
                report.pages,
                opts.output_dir().display()
            );
            println!("next:");
            let width = done.next.iter().map(|(c, _)| c.len()).max().unwrap_or(0);
            for (command, what) in &done.next {
                println!("  {command:width$}  # {what}");
            }
            Ok(())
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// Prints what the dev server reports.
fn print_serve_event(e: ServeEvent<'_>, seen: &mut HashSet<String>) {
    match e {
        ServeEvent::Exposed(bind) => eprintln!(
            "warning: serving on {bind}, which other machines can reach; the preview server is meant for this machine only"
        ),
        ServeEvent::Built(report) => {
            print_new_warnings(&report.warnings, seen);
            println!(
                "built {} files in {} ms",
                report.written.len(),
                report.elapsed.as_millis()
            );
        }
        ServeEvent::BuildFailed(e) => {
            eprintln!("{e}\nthe build failed; fix the errors and save, bilat keeps watching")
        }
        ServeEvent::Serving(url) => println!("serving {url} (Ctrl-C to stop)"),
        ServeEvent::Rebuild(outcome) => print_outcome(outcome, seen),
        ServeEvent::NoBrowser { url, error } => {
            eprintln!("warning: could not open a browser ({error}); open {url} yourself")
        }
        ServeEvent::Stopped => println!("stopped serving"),
    }
}

fn timestamp() -> String {
    jiff::ZonedDateTime::now().strftime("%H:%M:%S").to_string()
}

/// Prints what a rebuild did; shared by `watch` and `serve`. Warnings are printed once, when
/// they first appear.
fn print_outcome(outcome: &Outcome<'_>, seen_warnings: &mut HashSet<String>) {
    match outcome {
        Outcome::Rebuilt(report) => {
            println!("[{}] {}", timestamp(), report.summary());
            print_new_warnings(&report.warnings, seen_warnings);
        }
        Outcome::Failed { changed, error } => {
            eprintln!(
                "[{}] {}: rebuild failed; the output keeps the last good build\n{error}",
                timestamp(),
                describe_changes(changed)
            );
        }
        Outcome::WatchError(e) => eprintln!("[{}] warning: {e}", timestamp()),
    }
}

/// Prints the warnings not printed before.
fn print_new_warnings(warnings: &[Diagnostic], seen: &mut HashSet<String>) {
    let now: HashSet<String> = warnings.iter().map(|w| w.to_string()).collect();
    for w in warnings {
        let s = w.to_string();
        if !seen.contains(&s) {
            eprintln!("{s}");
        }
    }
    *seen = now;
}

/// Waits for Ctrl-C (or SIGTERM) on a thread of its own, then calls `then`.
fn on_interrupt(then: impl FnOnce() + Send + 'static) -> Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Watch(format!("cannot listen for Ctrl-C: {e}")))?;
    std::thread::Builder::new()
        .name("bilat-signals".into())
        .spawn(move || {
            rt.block_on(interrupted());
            then();
        })
        .map_err(|e| Error::Watch(format!("cannot listen for Ctrl-C: {e}")))?;
    Ok(())
}

/// Resolves on Ctrl-C or, on Unix, SIGTERM.
async fn interrupted() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// `bilat watch`: builds, then rebuilds on every change until Ctrl-C.
fn watch(opts: BuildOptions, poll: bool) -> Result<()> {
    // Watch before the first build, so an edit made while it runs is not missed.
    let events = EventLoop::start(&opts.root, poll)?;
    let mut watcher = Watcher::new(opts)?;
    let mut seen = HashSet::new();
    match watcher.build_all() {
        Ok(report) => {
            print_new_warnings(&report.warnings, &mut seen);
            println!(
                "built {} files into {} in {} ms",
                report.written.len(),
                watcher.output_dir().display(),
                report.elapsed.as_millis()
            );
        }
        Err(e) => eprintln!("{e}\nthe build failed; fix the errors and save, bilat keeps watching"),
    }
    println!(
        "watching content/, layouts/, assets/ and site.yaml{} (Ctrl-C to stop)",
        if poll { " by polling" } else { "" }
    );
    let stopper = events.stopper();
    on_interrupt(move || stopper.stop())?;
    events.run(&mut watcher, |_, outcome| {
        print_outcome(&outcome, &mut seen)
    });
    println!("stopped watching");
    Ok(())
}
