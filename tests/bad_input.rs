//! Hostile input: every site in tests/bad-input/ is built by the real binary, with a time limit
//! and its peak memory measured, and must end the way its `expected.txt` says.
//!
//! `expected.txt`: the first line is a comment (what the case is). Then, one per line:
//! - `exit 0` or `exit 1` (default `exit 1`): the exit status the build must have;
//! - `env: KEY=VALUE`: set for the build;
//! - `output: PATH`: after a successful build, this file exists in the output dir;
//! - `html: PATH TEXT`: after a successful build, output file PATH contains TEXT;
//! - `not: TEXT`: stderr must not contain TEXT (a follow-on error, say);
//! - anything else: a substring stderr must contain.
//!
//! Every case, whatever it expects: no panic, no signal, finished within the time limit, peak RSS
//! under 2 GiB, no staging dir left behind, and after a failure the previous output byte for byte.
//! Inputs too large to commit, and what git cannot hold (FIFOs, mode 000, links made to loop),
//! are made by `setup` in a temp copy of the case.

mod common;
#[path = "bad-input/runner.rs"]
mod runner;

use common::*;
use runner::*;
use std::path::{Path, PathBuf};
use std::time::Duration;

const MAX_RSS_MIB: u64 = 2048;

#[derive(Debug, Default)]
struct Expected {
    exit: i32,
    env: Vec<(String, String)>,
    outputs: Vec<String>,
    html: Vec<(String, String)>,
    stderr: Vec<String>,
    not: Vec<String>,
}

fn expected(dir: &Path) -> Expected {
    let text = std::fs::read_to_string(dir.join("expected.txt")).expect("expected.txt");
    let mut lines = text.lines();
    let first = lines.next().unwrap_or_default();
    assert!(
        first.starts_with('#'),
        "{}: expected.txt starts with a # comment",
        dir.display()
    );
    let mut e = Expected {
        exit: 1,
        ..Default::default()
    };
    for line in lines.filter(|l| !l.trim().is_empty() && !l.starts_with('#')) {
        if let Some(code) = line.strip_prefix("exit ") {
            e.exit = code.trim().parse().expect("exit code");
        } else if let Some(kv) = line.strip_prefix("env: ") {
            let (k, v) = kv.split_once('=').expect("env: KEY=VALUE");
            e.env.push((k.to_string(), v.to_string()));
        } else if let Some(p) = line.strip_prefix("output: ") {
            e.outputs.push(p.to_string());
        } else if let Some(t) = line.strip_prefix("not: ") {
            e.not.push(t.to_string());
        } else if let Some(rest) = line.strip_prefix("html: ") {
            let (p, t) = rest.split_once(' ').expect("html: PATH TEXT");
            e.html.push((p.to_string(), t.to_string()));
        } else {
            e.stderr.push(line.to_string());
        }
    }
    e
}

/// Prose with the furniture of a real explainer: paragraphs, a heading now and then, links,
/// citations and glossary terms, `target` bytes long.
fn prose(target: usize) -> String {
    let words = [
        "the",
        "ministers",
        "agreed",
        "on",
        "trade",
        "in",
        "national",
        "currencies",
        "while",
        "energy",
        "imports",
        "rose",
        "sharply",
        "after",
        "talks",
    ];
    let mut s = String::with_capacity(target + 1024);
    let mut n = 0usize;
    while s.len() < target {
        if n.is_multiple_of(40) {
            s.push_str(&format!("## Part {n}\n\n"));
        }
        for i in 0..60 {
            s.push_str(words[(n * 7 + i * 3) % words.len()]);
            s.push(' ');
        }
        s.push_str("an FTA was discussed [@s1], see [the section](#part-0) and *emphasis*.\n\n");
        n += 1;
    }
    s
}

/// What a case needs made at run time. Returns whether the build must run as an unprivileged user.
fn setup(name: &str, root: &Path) -> Setup {
    let topics = root.join("content/topics");
    match name {
        "huge-front-matter-value" => {
            let value = "lorem ipsum dolor sit amet ".repeat(50_000_000 / 27 + 1);
            std::fs::write(
                topics.join("big.md"),
                format!("---\ntitle: Big\nsummary: \"{value}\"\n---\nBody.\n"),
            )
            .expect("write");
        }
        "huge-body" => {
            std::fs::write(
                topics.join("big.md"),
                format!("---\ntitle: Big\n---\n{}", prose(20_000_000)),
            )
            .expect("write");
        }
        "yaml-alias-bytes" => {
            let big = "x".repeat(1_000_000);
            let a100 = vec!["*a"; 100].join(", ");
            let b100 = vec!["*b"; 100].join(", ");
            std::fs::write(
                topics.join("a.md"),
                format!("---\ntitle: A\nextra:\n  a: &a \"{big}\"\n  b: &b [{a100}]\n  c: [{b100}]\n---\nBody.\n"),
            )
            .expect("write");
        }
        "yaml-alias-bytes-registry" => {
            let big = "x".repeat(1_000_000);
            let mut text = format!("- id: s1\n  publisher: \"Fixture Wire\"\n  title: \"Ministers meet\"\n  date: 2023-12-27\n  url: \"https://example.org/s1\"\n  note: &n \"{big}\"\n- id: s2\n  publisher: \"Fixture Times\"\n  title: \"Trade figures\"\n  date: 2023-04\n  url: \"https://example.org/s2\"\n");
            for i in 0..10_000 {
                text.push_str(&format!("- {{ id: g{i}, publisher: P, title: T, url: \"https://example.org/{i}\", note: *n }}\n"));
            }
            std::fs::write(root.join("content/_data/sources.yaml"), text).expect("write");
        }
        "yaml-deep-flow-front-matter" => {
            let n = 100_000;
            std::fs::write(
                topics.join("a.md"),
                format!(
                    "---\ntitle: A\nextra:\n  x: {}1{}\n---\nBody.\n",
                    "{a: ".repeat(n),
                    "}".repeat(n)
                ),
            )
            .expect("write");
        }
        "yaml-deep-flow-registry" => {
            let n = 100_000;
            let data = root.join("content/_data");
            std::fs::write(
                data.join("sources.yaml"),
                format!("- id: s1\n  publisher: \"Fixture Wire\"\n  title: \"Ministers meet\"\n  date: 2023-12-27\n  url: \"https://example.org/s1\"\n- {{ id: deep, publisher: {}1{} }}\n", "{a: ".repeat(n), "}".repeat(n)),
            )
            .expect("write");
            std::fs::write(data.join("people.yaml"), format!("- {}\n", "[".repeat(n)))
                .expect("write");
        }
        "yaml-deep-flow-site-yaml" => {
            let n = 100_000;
            let mut site = std::fs::read_to_string(root.join("site.yaml")).expect("read");
            site.push_str(&format!(
                "extra:\n  x: {}1{}\n",
                "{a: ".repeat(n),
                "}".repeat(n)
            ));
            std::fs::write(root.join("site.yaml"), site).expect("write");
        }
        "markdown-quadratic-lines" => {
            for (name, pattern) in [
                ("link-open", "[a]("),
                ("bracket", "["),
                ("lt-a", "<a"),
                ("cite-open", "[@"),
                ("cite-bad", "[@a, "),
                ("ref", "[a]["),
            ] {
                let line = pattern.repeat(1_200_000 / pattern.len());
                std::fs::write(
                    topics.join(format!("{name}.md")),
                    format!("---\ntitle: {name}\n---\n{line}]\n"),
                )
                .expect("write");
            }
        }
        "markdown-long-lines" => {
            let n = 1_000_000;
            let mut pages: Vec<(&str, String)> = [
                ("star-a", "*a"),
                ("emph-run", "**a*"),
                ("backtick", "`"),
                ("code-a", "`a"),
                ("bang-bracket", "!["),
                ("img-link", "![a]("),
                ("gloss", "FTA "),
                ("word", "a"),
                ("strike", "~~a"),
                ("under", "_a"),
                ("lt", "<"),
                ("footnote", "[^a]"),
            ]
            .iter()
            .map(|(name, p)| (*name, p.repeat(n / p.len())))
            .collect();
            pages.push((
                "nested",
                format!("{}a{}", "[".repeat(n / 2), "]".repeat(n / 2)),
            ));
            pages.push(("heading", format!("# {}", "a ".repeat(n / 2))));
            for (name, line) in pages {
                std::fs::write(
                    topics.join(format!("{name}.md")),
                    format!("---\ntitle: {name}\n---\n{line}\n"),
                )
                .expect("write");
            }
        }
        "forged-workflow-commands" => {
            std::fs::write(
                topics.join("x\n::warning file=README.md,line=1::forged.md"),
                "no front matter\n",
            )
            .expect("write");
            std::fs::write(
                topics.join("\u{1b}[2J\u{1b}]0;pwned\u{7}.md"),
                "---\ntitel: A\n---\nBody.\n",
            )
            .expect("write");
            std::fs::write(
                topics.join("a.md"),
                "---\ntitle: A\nsources: [\"s\\n::error file=a.md::forged\"]\n---\nBody.\n",
            )
            .expect("write");
        }
        "symlink-loop" => std::os::unix::fs::symlink("..", topics.join("loop")).expect("symlink"),
        "broken-symlink" => {
            std::os::unix::fs::symlink("nowhere.md", topics.join("gone.md")).expect("symlink")
        }
        "fifo-registry" => mkfifo(&root.join("content/_data/people.yaml")),
        "asset-replaces-kept" => {
            std::fs::create_dir_all(root.join("assets/.git")).expect("mkdir");
            std::fs::write(root.join("assets/.git/config"), "[core]\n").expect("write");
        }
        "unreachable-output-names" => {
            let page = "---\ntitle: Lpt\n---\nBody.\n";
            for (rel, text) in [
                ("content/topics/con.txt", "x"),
                ("content/topics/lpt1.md", page),
                ("content/topics/chart #1.svg", "<svg/>"),
                ("content/topics/what?.svg", "<svg/>"),
                ("assets/AUX.css", "x"),
                ("assets/a:b.txt", "x"),
                ("assets/trailing.", "x"),
                ("assets/space ", "x"),
            ] {
                std::fs::write(root.join(rel), text).expect("write");
            }
        }
        "unicode-normalisation-clash" => {
            let page = |t: &str| format!("---\ntitle: {t}\n---\nBody.\n");
            // Composed (NFC) and decomposed (NFD) spellings of the same names.
            for (rel, text) in [
                ("content/topics/caf\u{e9}.md", page("NFC")),
                ("content/topics/cafe\u{301}.md", page("NFD")),
                ("content/r\u{e9}sum\u{e9}/x.md", page("X")),
                ("content/re\u{301}sume\u{301}/y.md", page("Y")),
                ("assets/na\u{ef}ve.css", "a{}".into()),
                ("assets/nai\u{308}ve.css", "b{}".into()),
            ] {
                let path = root.join(rel);
                std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
                std::fs::write(path, text).expect("write");
            }
        }
        "unreadable-file" => {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(
                topics.join("secret.md"),
                std::fs::Permissions::from_mode(0o000),
            )
            .expect("chmod");
            if is_root() {
                // Root reads mode 000 files: run the build as `nobody`, which cannot.
                return Setup::AsNobody;
            }
        }
        _ => {}
    }
    Setup::Plain
}

#[derive(PartialEq)]
enum Setup {
    Plain,
    AsNobody,
}

fn time_limit(name: &str) -> Duration {
    // Debug builds (what `cargo test` runs) parse and minify 20-50 MB pages slowly; on a shared
    // 2-core machine give those two more room. Everything else must finish within a minute.
    match name {
        "huge-body"
        | "huge-front-matter-value"
        | "markdown-quadratic-lines"
        | "markdown-long-lines" => Duration::from_secs(240),
        _ => Duration::from_secs(60),
    }
}

fn run_case(name: &str) {
    let dir = fixture("bad-input").join(name);
    assert!(dir.join("expected.txt").exists(), "no case {name}");
    let exp = expected(&dir);
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("site");
    copy_dir(&dir, &root);
    std::fs::remove_file(root.join("expected.txt")).expect("rm expected.txt");
    let how = setup(name, &root);
    let out = tmp.path().join("public");
    std::fs::create_dir_all(&out).expect("mkdir");
    std::fs::write(out.join("previous.html"), "the last good build").expect("write");
    let before = snapshot(&out);

    let mut cmd = build_cmd(&root, &out);
    for (k, v) in &exp.env {
        cmd.env(k, v);
    }
    if how == Setup::AsNobody {
        use std::os::unix::fs::PermissionsExt;
        use std::os::unix::process::CommandExt;
        // nobody must reach the site and create the staging dir beside the output.
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o777))
            .expect("chmod");
        cmd.uid(65534).gid(65534);
        println!(
            "{name}: running as root, so the build runs as uid 65534 for mode 000 to mean anything"
        );
    }
    let run = run_limited(cmd, time_limit(name));
    println!(
        "{name}: exit {:?} signal {:?} in {:.2} s, peak RSS {} MiB (rusage bound {} MiB)",
        run.code,
        run.signal,
        run.elapsed.as_secs_f64(),
        run.hwm_mib(),
        run.max_rss_mib()
    );
    let err = &run.stderr;
    assert!(
        !run.timed_out,
        "{name}: still running after {:?}; killed\n{err}",
        time_limit(name)
    );
    assert_eq!(
        run.signal, None,
        "{name}: killed by signal {:?} (stack overflow? OOM?)\n{err}",
        run.signal
    );
    assert!(!err.contains("panicked"), "{name}: panicked\n{err}");
    assert_eq!(
        run.code,
        Some(exp.exit),
        "{name}: exit code\n--- stderr ---\n{err}\n--- stdout ---\n{}",
        run.stdout
    );
    assert!(
        run.max_rss_mib() < MAX_RSS_MIB,
        "{name}: peak RSS {} MiB",
        run.max_rss_mib()
    );
    for line in &exp.stderr {
        assert!(
            err.contains(line.as_str()),
            "{name}: stderr should contain {line:?}\n--- stderr ---\n{err}"
        );
    }
    // Whatever a case holds, nothing it prints reaches the terminal as a control sequence or
    // reads as a GitHub workflow command.
    for (stream, text) in [("stderr", err), ("stdout", &run.stdout)] {
        assert!(
            !text
                .chars()
                .any(|c| c.is_control() && !matches!(c, '\n' | '\t')),
            "{name}: {stream} holds a control character\n{text:?}"
        );
        for line in text.lines() {
            assert!(
                !line.trim_start().starts_with("::"),
                "{name}: {stream} prints a workflow command: {line:?}"
            );
        }
    }
    for text in &exp.not {
        assert!(
            !err.contains(text.as_str()),
            "{name}: stderr should not contain {text:?}\n--- stderr ---\n{err}"
        );
    }
    if exp.exit == 0 {
        for p in &exp.outputs {
            assert!(
                out.join(p).is_file(),
                "{name}: {p} missing from the output: {:?}",
                snapshot(&out).keys().collect::<Vec<_>>()
            );
        }
        for (p, text) in &exp.html {
            let html = read(&out, p);
            assert!(
                html.contains(text.as_str()),
                "{name}: {p} should contain {text:?}\n{}",
                &html[..html.len().min(4000)]
            );
        }
        assert!(
            !out.join("previous.html").exists(),
            "{name}: the new build replaced the old output"
        );
    } else {
        assert_eq!(
            before,
            snapshot(&out),
            "{name}: a failed build left the output as it was"
        );
    }
    let leftovers: Vec<PathBuf> = std::fs::read_dir(tmp.path())
        .expect("ls")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().contains("bilat"))
        })
        .collect();
    assert!(
        leftovers.is_empty(),
        "{name}: staging dirs left behind: {leftovers:?}"
    );
}

macro_rules! cases {
    ($($test:ident => $dir:literal,)*) => {
        $(
            #[test]
            fn $test() {
                run_case($dir);
            }
        )*

        /// Every folder in tests/bad-input/ has a test above, and every test a folder.
        #[test]
        fn every_case_folder_has_a_test() {
            let listed = [$($dir),*];
            let mut dirs: Vec<String> = std::fs::read_dir(fixture("bad-input"))
                .expect("ls")
                .filter_map(|e| e.ok())
                .filter(|e| e.path().is_dir())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            dirs.sort();
            for d in &dirs {
                assert!(listed.contains(&d.as_str()), "tests/bad-input/{d} has no test in tests/bad_input.rs");
            }
            assert_eq!(dirs.len(), listed.len(), "every listed case has a folder");
            assert!(dirs.len() >= 25, "at least 25 hostile sites");
        }
    };
}

cases! {
    yaml_tabs => "yaml-tabs",
    yaml_duplicate_keys => "yaml-duplicate-keys",
    yaml_duplicate_keys_extra => "yaml-duplicate-keys-extra",
    yaml_billion_laughs => "yaml-billion-laughs",
    yaml_deep_nesting => "yaml-deep-nesting",
    huge_front_matter_value => "huge-front-matter-value",
    huge_body => "huge-body",
    deep_nested_lists => "deep-nested-lists",
    deep_nested_blockquotes => "deep-nested-blockquotes",
    deep_nested_inline => "deep-nested-inline",
    deep_raw_html => "deep-raw-html",
    bom => "bom",
    bom_error_line => "bom-error-line",
    crlf => "crlf",
    lone_cr => "lone-cr",
    empty_file => "empty-file",
    front_matter_only => "front-matter-only",
    missing_closing_fence => "missing-closing-fence",
    dashes_in_body => "dashes-in-body",
    non_utf8 => "non-utf8",
    non_utf8_registry => "non-utf8-registry",
    nul_byte => "nul-byte",
    nul_byte_registry => "nul-byte-registry",
    odd_file_names => "odd-file-names",
    punctuation_only_name => "punctuation-only-name",
    case_collision => "case-collision",
    slug_collision => "slug-collision",
    symlink_loop => "symlink-loop",
    broken_symlink => "broken-symlink",
    unreadable_file => "unreadable-file",
    fifo_registry => "fifo-registry",
    layout_includes_itself => "layout-includes-itself",
    layout_extends_itself => "layout-extends-itself",
    template_nested_loops => "template-nested-loops",
    template_component_bomb => "template-component-bomb",
    template_component_recursion => "template-component-recursion",
    impossible_date => "impossible-date",
    impossible_date_registry => "impossible-date-registry",
    link_outside_content => "link-outside-content",
    alias_escapes_output => "alias-escapes-output",
    alias_replaces_kept => "alias-replaces-kept",
    asset_replaces_kept => "asset-replaces-kept",
    unreachable_output_names => "unreachable-output-names",
    unicode_normalisation_clash => "unicode-normalisation-clash",
    static_file_page_collision => "static-file-page-collision",
    site_yaml_bom => "site-yaml-bom",
    site_yaml_non_utf8 => "site-yaml-non-utf8",
    yaml_alias_bytes => "yaml-alias-bytes",
    yaml_alias_bytes_registry => "yaml-alias-bytes-registry",
    yaml_deep_flow_front_matter => "yaml-deep-flow-front-matter",
    yaml_deep_flow_registry => "yaml-deep-flow-registry",
    yaml_deep_flow_site_yaml => "yaml-deep-flow-site-yaml",
    yaml_control_escapes => "yaml-control-escapes",
    yaml_control_escapes_registry => "yaml-control-escapes-registry",
    markdown_quadratic_lines => "markdown-quadratic-lines",
    markdown_long_lines => "markdown-long-lines",
    script_urls => "script-urls",
    script_urls_allowed => "script-urls-allowed",
    yaml_first_error_only => "yaml-first-error-only",
    forged_workflow_commands => "forged-workflow-commands",
    registry_duplicates_and_empty_terms => "registry-duplicates-and-empty-terms",
    heading_id_clashes => "heading-id-clashes",
    layout_include_missing => "layout-include-missing",
    layout_include_loop_deeper => "layout-include-loop-deeper",
}
