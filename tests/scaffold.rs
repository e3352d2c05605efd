//! `bilat new topic` and `bilat init`: what they write builds at once, and they never overwrite.

mod common;

use common::*;

#[test]
fn new_topic_writes_valid_front_matter_and_refuses_to_overwrite() {
    let (tmp, root) = site_copy("sites/basic");
    let r = root.to_str().expect("utf8");
    let o = bilat(&["new", "topic", "fresh-idea", "--root", r]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = read(&root, "content/topics/fresh-idea.md");
    assert!(text.starts_with("---\ntitle: \"Fresh Idea\""), "{text}");
    // The new file must build as it is: no unknown source, no broken front matter.
    let text = text.replace("[@source-id]", "[@s1]");
    std::fs::write(root.join("content/topics/fresh-idea.md"), text).expect("write");
    let out = tmp.path().join("public");
    let b = build(&root, &out, &[]);
    assert!(b.status.success(), "{}", stderr(&b));
    assert!(out.join("topics/fresh-idea/index.html").exists());

    let again = bilat(&["new", "topic", "fresh-idea", "--root", r]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );
    let bad = bilat(&["new", "topic", "Not A Slug", "--root", r]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).contains("not-a-slug"), "{}", stderr(&bad));
}

#[test]
fn init_writes_a_site_for_another_pair_that_builds() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("jp-au");
    let d = dir.to_str().expect("utf8");
    let o = bilat(&["init", d, "--party", "Japan:jp", "--party", "Australia:au"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let yaml = read(&dir, "site.yaml");
    assert!(
        yaml.contains("name: \"Japan\", code: jp")
            && yaml.contains("name: \"Australia\", code: au"),
        "{yaml}"
    );
    let home = read(&dir, "public/index.html");
    assert!(
        home.contains("Japan–Australia"),
        "the new site shows its own parties"
    );
    assert!(dir.join("public/topics/example/index.html").exists());
    let check = bilat(&["check", "--root", d]);
    assert!(
        check.status.success(),
        "a new site passes check:\n{}{}",
        String::from_utf8_lossy(&check.stdout),
        stderr(&check)
    );
    let again = bilat(&["init", d, "--party", "Japan:jp", "--party", "Australia:au"]);
    assert_eq!(
        again.status.code(),
        Some(1),
        "init refuses an existing site"
    );
    let one = bilat(&[
        "init",
        tmp.path().join("x").to_str().expect("utf8"),
        "--party",
        "Japan:jp",
    ]);
    assert!(!one.status.success(), "two parties are required");
}

#[test]
fn the_built_in_theme_is_the_theme_folder() {
    let dir = fixture("../theme");
    let mut on_disk: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(&dir)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e
                .path()
                .strip_prefix(&dir)
                .expect("prefix")
                .to_string_lossy()
                .replace('\\', "/");
            (rel, std::fs::read(e.path()).expect("read"))
        })
        .collect();
    on_disk.sort();
    let mut embedded: Vec<(String, Vec<u8>)> = bilat::theme::files()
        .into_iter()
        .map(|f| (f.site_path(), f.bytes.to_vec()))
        .collect();
    embedded.sort();
    assert_eq!(
        on_disk.iter().map(|f| &f.0).collect::<Vec<_>>(),
        embedded.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    assert!(
        on_disk == embedded,
        "the embedded bytes are those of theme/"
    );
}

/// A party name with characters YAML and Markdown treat specially gives a site that builds and
/// shows the name as written; a name with a line break is refused before anything is written.
#[test]
fn init_escapes_or_refuses_every_party_name() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("quoted");
    let d = dir.to_str().expect("utf8");
    let o = bilat(&[
        "init",
        d,
        "--party",
        "The \"Free\" State: of #1 [a]:fs",
        "--party",
        "Côte d'Ivoire:ci",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let check = bilat(&["check", "--root", d]);
    assert!(
        check.status.success(),
        "the new site passes check:\n{}{}",
        String::from_utf8_lossy(&check.stdout),
        stderr(&check)
    );
    let page = read(&dir, "public/topics/example/index.html");
    assert!(
        page.contains("The &quot;Free&quot; State: of #1 [a]")
            || page.contains("The \"Free\" State: of #1 [a]"),
        "the name is shown as written"
    );

    let broken = tmp.path().join("broken");
    let o = bilat(&[
        "init",
        broken.to_str().expect("utf8"),
        "--party",
        "A\ntitle: x:aa",
        "--party",
        "B:bb",
    ]);
    assert!(!o.status.success(), "a name with a line break is refused");
    assert!(stderr(&o).contains("control characters"), "{}", stderr(&o));
    assert!(!broken.exists(), "nothing is written for a refused name");
}

fn init_in(dir: &std::path::Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "init",
        dir.to_str().expect("utf8"),
        "--party",
        "Japan:jp",
        "--party",
        "Australia:au",
    ];
    args.extend_from_slice(extra);
    bilat(&args)
}

#[test]
fn init_writes_a_complete_publishable_site_that_needs_no_layouts() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("new");
    let o = init_in(&dir, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    for f in [
        "site.yaml",
        "content/_index.md",
        "content/about.md",
        "content/topics/_index.md",
        "content/topics/example.md",
        "content/_data/sources.yaml",
        "content/_data/people.yaml",
        "content/_data/glossary.yaml",
        ".gitignore",
        "README.md",
        ".github/workflows/pages.yml",
    ] {
        assert!(dir.join(f).is_file(), "{f} is written");
        // Every placeholder of the templates (@VERSION@, @TITLE@, …) is filled in.
        let text = read(&dir, f);
        let between: Vec<&str> = text.split('@').collect();
        let left = between
            .get(1..between.len().saturating_sub(1))
            .unwrap_or_default()
            .iter()
            .find(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_uppercase() || c == '_'));
        assert!(left.is_none(), "{f}: @{}@ is left in", left.unwrap_or(&""));
    }
    assert!(
        !dir.join("layouts").exists() && !dir.join("assets").exists(),
        "the built-in theme is the only layout source"
    );
    // Built again as a user would, from inside the new folder with no --root and no repository
    // checkout around it (the folder is in a temporary directory): the built-in theme is the only
    // layout source, and its stylesheet and search script are what the site serves.
    std::fs::remove_dir_all(dir.join("public")).expect("rm public");
    let b = std::process::Command::new(env!("CARGO_BIN_EXE_bilat"))
        .arg("build")
        .current_dir(&dir)
        .output()
        .expect("run bilat");
    assert!(b.status.success(), "{}", stderr(&b));
    for asset in ["css/site.css", "js/search.js"] {
        assert_eq!(
            std::fs::read(dir.join("public").join(asset)).expect("built asset"),
            std::fs::read(fixture("../theme/assets").join(asset)).expect("theme asset"),
            "{asset} is the built-in theme's"
        );
    }
    let home = read(&dir, "public/index.html");
    assert!(
        home.contains("css/site.css?h="),
        "the home page links the built-in stylesheet"
    );
    let ignore = read(&dir, ".gitignore");
    assert!(ignore.lines().any(|l| l == "public/") && ignore.lines().any(|l| l == ".bilat-cache/"));
    let readme = read(&dir, "README.md");
    for part in [
        "bilat serve",
        "bilat new topic",
        "bilat check",
        "GitHub Actions",
        "bilat theme diff",
    ] {
        assert!(
            readme.contains(part),
            "the editors' README tells about {part}"
        );
    }

    // The example topic uses every explainer field, and they all reach the page.
    let page = read(&dir, "public/topics/example/index.html");
    for part in [
        "Three to five bullets",
        "An example figure",
        "Where another source qualifies the figure",
        "Copy the speaker",
        "What Japan says or wants",
        "What Australia says or wants",
        "What happened, in your own words.",
        "Something to watch for",
        "About this explainer",
        "glossary/#ext",
    ] {
        assert!(page.contains(part), "the example topic shows {part:?}");
    }
    let check = bilat(&["check", "--strict", "--root", dir.to_str().expect("utf8")]);
    assert!(
        check.status.success(),
        "a new site passes check --strict:\n{}{}",
        String::from_utf8_lossy(&check.stdout),
        stderr(&check)
    );

    // The next three commands.
    let out = String::from_utf8_lossy(&o.stdout);
    let next: Vec<&str> = out.lines().skip_while(|l| *l != "next:").skip(1).collect();
    assert_eq!(next.len(), 3, "{out}");
    assert!(next[0].trim_start().starts_with("cd "), "{out}");
    assert!(next[1].contains("bilat serve"), "{out}");
    assert!(next[2].contains("git init"), "{out}");
}

#[test]
fn init_escapes_every_value_it_writes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("quoted");
    let name = r#"The "Free" \ State: *one* <b>#1</b> 'x'"#;
    let o = bilat(&[
        "init",
        dir.to_str().expect("utf8"),
        "--party",
        &format!("{name}:fs"),
        "--party",
        "Other:ot",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let yaml = read(&dir, "site.yaml");
    let config = bilat::config::Config::parse(&yaml).expect("site.yaml parses");
    assert_eq!(config.parties[0].name, name);
    // On the pages the name is text: no <b> element, and the text reads as the name was given.
    let text_of = |rel: &str, css: &str| -> Vec<String> {
        let doc = scraper::Html::parse_document(&read(&dir, rel));
        assert!(
            !doc.select(&scraper::Selector::parse("b").expect("css"))
                .any(|b| b.text().collect::<String>() == "#1"),
            "{rel}: the name is text, not markup"
        );
        doc.select(&scraper::Selector::parse(css).expect("css"))
            .map(|e| e.text().collect::<String>())
            .collect()
    };
    assert_eq!(
        text_of("public/index.html", "h1"),
        [format!("{name}–Other relations")]
    );
    let positions = text_of("public/topics/example/index.html", "li");
    assert!(
        positions
            .iter()
            .any(|t| t.starts_with(&format!("What {name} says or wants"))),
        "{positions:?}"
    );
    let readme = read(&dir, "README.md");
    assert!(
        readme.starts_with("# The \\\"Free\\\" \\\\ State"),
        "{readme}"
    );
    let check = bilat(&["check", "--root", dir.to_str().expect("utf8")]);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
}

#[test]
fn init_refuses_bad_parties_and_non_empty_folders_before_writing_anything() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("bad");
    let d = dir.to_str().expect("utf8");
    for (bad, says) in [
        ("Japan:jpn", "the code must be two letters"),
        ("Japan:j1", "the code must be two letters"),
        ("Japan:", "the code must be two letters"),
        (":jp", "the party's name is empty"),
        ("Japan", "write a party as Name:code"),
        ("Ja\u{7}pan:jp", "control characters"),
    ] {
        let o = bilat(&["init", d, "--party", bad, "--party", "Australia:au"]);
        assert_eq!(o.status.code(), Some(2), "{bad}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(err.contains(says), "{bad}: {err}");
        assert!(
            !err.contains('\u{7}'),
            "{bad}: the control character is not printed raw"
        );
        assert!(!dir.exists(), "{bad}: nothing written");
    }
    for (parties, says) in [
        (
            &["Japan:jp", "Nippon:JP"][..],
            "the two parties need different codes",
        ),
        (&["Japan:jp"][..], "exactly two parties, got 1"),
        (
            &["Japan:jp", "Australia:au", "India:in"][..],
            "exactly two parties, got 3",
        ),
    ] {
        let mut args = vec!["init", d];
        for p in parties {
            args.extend(["--party", p]);
        }
        let o = bilat(&args);
        assert_eq!(o.status.code(), Some(1), "{parties:?}");
        assert!(stderr(&o).contains(says), "{parties:?}: {}", stderr(&o));
        assert!(!dir.exists(), "{parties:?}: nothing written");
    }

    // A folder with only a fresh `git init` in it counts as empty.
    let git_only = tmp.path().join("git-only");
    std::fs::create_dir_all(git_only.join(".git")).expect("mkdir");
    let o = init_in(&git_only, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(git_only.join("site.yaml").is_file());

    let dir = tmp.path().join("repo");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("README.md"), "MINE\n").expect("write");
    let o = init_in(&dir, &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("is not empty"), "{}", stderr(&o));
    assert!(!dir.join("site.yaml").exists(), "nothing written");
    let o = init_in(&dir, &["--force"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(read(&dir, "README.md"), "MINE\n", "a file it has is kept");
    assert!(String::from_utf8_lossy(&o.stdout).contains("kept"));
    assert!(dir.join("site.yaml").exists());
    let again = init_in(&dir, &["--force"]);
    assert_eq!(again.status.code(), Some(1), "never over an existing site");
}

/// Every `uses:` of a workflow, with the job it is in.
fn actions_used(workflow: &serde_yaml::Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let jobs = workflow["jobs"].as_mapping().expect("jobs");
    for (name, job) in jobs {
        for step in job["steps"].as_sequence().expect("steps") {
            if let Some(uses) = step["uses"].as_str() {
                out.push((name.as_str().expect("name").to_string(), uses.to_string()));
            }
        }
    }
    out
}

fn permissions(job: &serde_yaml::Value) -> Vec<(String, String)> {
    let mut p: Vec<(String, String)> = job["permissions"]
        .as_mapping()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    (
                        k.as_str().expect("key").to_string(),
                        v.as_str().expect("value").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    p.sort();
    p
}

#[test]
fn the_pages_workflows_are_valid_yaml_pin_every_action_and_give_each_job_only_its_permissions() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("wf");
    let o = init_in(&dir, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let generated = read(&dir, ".github/workflows/pages.yml");
    let own = std::fs::read_to_string(fixture("../.github/workflows/pages.yml")).expect("read");
    for (which, text) in [("generated", &generated), ("repository", &own)] {
        let wf: serde_yaml::Value = serde_yaml::from_str(text).expect("valid YAML");
        let used = actions_used(&wf);
        assert!(!used.is_empty());
        for (job, uses) in &used {
            let (action, rev) = uses.split_once('@').expect("a pinned version");
            assert!(
                rev.len() == 40 && rev.chars().all(|c| c.is_ascii_hexdigit()),
                "{which}: {job}: {uses} is pinned to a commit"
            );
            assert!(
                action.starts_with("actions/"),
                "{which}: only GitHub's own actions: {uses}"
            );
        }
        for expected in [
            "actions/checkout",
            "actions/configure-pages",
            "actions/cache",
            "actions/upload-pages-artifact",
            "actions/deploy-pages",
        ] {
            assert!(
                used.iter().any(|(_, u)| u.starts_with(expected)),
                "{which}: {expected}"
            );
        }
        assert!(
            wf["permissions"].as_mapping().is_some_and(|m| m.is_empty()),
            "{which}: no permissions at the top"
        );
        assert_eq!(
            permissions(&wf["jobs"]["build"]),
            vec![("contents".to_string(), "read".to_string())],
            "{which}: build reads the repository only"
        );
        assert_eq!(
            permissions(&wf["jobs"]["deploy"]),
            vec![
                ("id-token".to_string(), "write".to_string()),
                ("pages".to_string(), "write".to_string())
            ],
            "{which}: deploy"
        );
        let runs: Vec<String> = wf["jobs"]["build"]["steps"]
            .as_sequence()
            .expect("steps")
            .iter()
            .filter_map(|s| s["run"].as_str().map(str::to_string))
            .collect();
        assert!(
            runs.iter()
                .any(|r| r.contains("check --base-url \"$BASE_URL/\"")),
            "{which}"
        );
        assert!(
            runs.iter()
                .any(|r| r.contains("build --base-url \"$BASE_URL/\"")),
            "{which}"
        );
        assert!(
            text.contains("path: .bilat-cache"),
            "{which}: caches link checks"
        );
    }
    // The generated one installs the release of this bilat and checks its sum; no compiling.
    let wf: serde_yaml::Value = serde_yaml::from_str(&generated).expect("yaml");
    assert_eq!(
        wf["env"]["BILAT_VERSION"].as_str(),
        Some(env!("CARGO_PKG_VERSION"))
    );
    assert!(generated.contains("sha256sum --check"), "{generated}");
    assert!(!generated.contains("cargo"), "no compile from source");
}

/// The repository's own Pages workflow does what a new site's does: the same triggers,
/// permissions, jobs and steps, except how bilat gets onto the PATH (a new site installs a release
/// archive; the repository compiles the commit it publishes, with a cache of cargo's builds).
#[test]
fn the_repository_publishes_its_site_with_the_steps_a_new_site_gets() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("wf");
    let o = init_in(&dir, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut generated: serde_yaml::Value =
        serde_yaml::from_str(&read(&dir, ".github/workflows/pages.yml")).expect("yaml");
    let mut own: serde_yaml::Value = serde_yaml::from_str(
        &std::fs::read_to_string(fixture("../.github/workflows/pages.yml")).expect("read"),
    )
    .expect("yaml");
    let drop_steps = |wf: &mut serde_yaml::Value, names: &[&str]| -> usize {
        let steps = wf["jobs"]["build"]["steps"]
            .as_sequence_mut()
            .expect("steps");
        let before = steps.len();
        steps.retain(|s| !names.contains(&s["name"].as_str().unwrap_or("")));
        before - steps.len()
    };
    assert_eq!(drop_steps(&mut generated, &["Install bilat"]), 1);
    assert_eq!(drop_steps(&mut own, &["Cache cargo", "Build bilat"]), 2);
    // The release a new site pins is its own setting; the repository has none.
    let env = generated
        .as_mapping_mut()
        .expect("map")
        .remove("env")
        .expect("env");
    let mut names: Vec<&str> = env
        .as_mapping()
        .expect("env")
        .keys()
        .filter_map(|k| k.as_str())
        .collect();
    names.sort();
    assert_eq!(names, ["BILAT_RELEASES", "BILAT_SHA256", "BILAT_VERSION"]);
    assert_eq!(generated, own);
}

/// The `cd` line init prints works when pasted into a shell, whatever the folder is called.
#[test]
fn the_printed_cd_command_reaches_the_new_folder() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("it's a $HOME `x`");
    let o = init_in(&dir, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    let cd = out
        .lines()
        .skip_while(|l| *l != "next:")
        .nth(1)
        .and_then(|l| l.trim_start().split("  #").next())
        .unwrap_or_else(|| panic!("{out}"))
        .trim_end()
        .to_string();
    let sh = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{cd} && pwd"))
        .output()
        .expect("sh");
    assert!(sh.status.success(), "{cd}: {}", stderr(&sh));
    assert_eq!(
        std::path::PathBuf::from(String::from_utf8_lossy(&sh.stdout).trim_end()),
        dir.canonicalize().expect("canonical"),
        "{cd}"
    );
}

#[test]
fn init_writes_the_site_language_and_its_editions_and_the_site_builds_in_each() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("site");
    let o = init_in(
        &root,
        &["--language", "ru", "--edition", "hi", "--edition", "pt-BR"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let yaml = read(&root, "site.yaml");
    assert!(yaml.contains("\nlanguage: ru\n"), "{yaml}");
    // The default first, then each edition with its name in itself (CLDR); tags as file suffixes.
    assert!(yaml.contains(
        "languages:\n  - { code: ru, name: \"Русский\" }\n  - { code: hi, name: \"हिन्दी\" }\n  - { code: pt-br, name: \"Português\" }\n"
    ), "{yaml}");
    // Menu titles from the built-in tables, Portuguese (no table) in English.
    assert!(yaml.contains(
        "  - { title: \"Темы\", path: \"topics/\", title_in: { hi: \"विषय\", pt-br: \"Topics\" } }\n"
    ), "{yaml}");

    // bilat build makes the default edition at the root and one folder per other edition.
    let out = tmp.path().join("public");
    let b = build(&root, &out, &[]);
    assert!(b.status.success(), "{}", stderr(&b));
    for (rel, lang) in [
        ("index.html", "ru"),
        ("hi/index.html", "hi"),
        ("pt-br/index.html", "pt-br"),
        ("pt-br/topics/index.html", "pt-br"),
    ] {
        let page = read(&out, rel);
        assert!(page.contains(&format!("<html lang={lang} ")), "{rel}");
    }
    assert!(read(&out, "hi/index.html").contains("<a href=/jp-au/ lang=ru>Русский</a>"));
    assert!(read(&out, "index.html").contains(">Хронология</a>"));
}

#[test]
fn init_refuses_a_bad_language_or_edition_and_writes_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("site");
    for (args, says) in [
        (
            &["--language", "jp"][..],
            "`jp` is not a language in ISO 639",
        ),
        (&["--edition", "x!"][..], "a language is a BCP 47 tag"),
        (
            &["--edition", "qqq"][..],
            "`qqq` is not a language in ISO 639",
        ),
        (&["--edition", "en"][..], "is the site's language already"),
        (
            &["--edition", "ja", "--edition", "JA"][..],
            "is given twice",
        ),
    ] {
        let o = init_in(&root, args);
        assert!(!o.status.success(), "{args:?} was accepted");
        assert!(stderr(&o).contains(says), "{args:?}: {}", stderr(&o));
        assert!(!root.exists(), "{args:?}: nothing is written");
    }
}
