//! The built-in theme: a site with no layouts/ or assets/ builds with it, a file of the site
//! replaces the built-in file of the same path and nothing else, `theme eject` copies built-in
//! files without ever overwriting, `theme diff` compares the site's copies with this release.

mod common;

use common::*;
use std::path::Path;

fn built(root: &Path, out: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let o = build(root, out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    snapshot(out)
}

fn run(args: &[&str]) -> (bool, String, String) {
    let o = bilat(args);
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr(&o),
    )
}

#[test]
fn a_site_without_layouts_or_assets_builds_with_the_built_in_theme_and_ejecting_it_changes_nothing()
{
    let (tmp, root) = site_copy("sites/theme-basic");
    assert!(!root.join("layouts").exists() && !root.join("assets").exists());
    let before = built(&root, &tmp.path().join("a"));
    let builtin_css =
        bilat::theme::builtin(bilat::theme::Folder::Assets, "css/site.css").expect("built-in css");
    assert_eq!(before["css/site.css"], builtin_css.bytes);
    assert!(before.contains_key("js/search.js"));
    for page in [
        "index.html",
        "topics/trade/index.html",
        "timeline/index.html",
        "glossary/index.html",
        "people/index.html",
        "sources/index.html",
        "search/index.html",
        "404.html",
    ] {
        assert!(before.contains_key(page), "{page} is written");
    }
    let trade = String::from_utf8_lossy(&before["topics/trade/index.html"]).into_owned();
    assert!(trade.contains("css/site.css?h="), "{trade}");

    // Every built-in file copied into the site: the site now owns its whole look, unchanged.
    let r = root.to_str().expect("utf8");
    let (ok, out, err) = run(&["theme", "eject", "--root", r]);
    assert!(ok, "{err}");
    for f in bilat::theme::files() {
        let path = root.join(f.site_path());
        assert_eq!(
            std::fs::read(&path).expect("ejected"),
            f.bytes,
            "{}",
            f.site_path()
        );
        assert!(out.contains(&f.site_path()), "{out}");
    }
    let after = built(&root, &tmp.path().join("b"));
    assert!(before == after, "ejecting the theme changes no output byte");
    let (ok, out, _) = run(&["theme", "diff", "--root", r]);
    assert!(ok);
    assert!(
        out.contains("layouts/page.html: the same as the built-in file"),
        "{out}"
    );

    // With `theme: none` the site's copies are the whole theme: the output is the same again.
    let yaml = read(&root, "site.yaml");
    std::fs::write(root.join("site.yaml"), format!("{yaml}theme: none\n")).expect("write");
    let none = built(&root, &tmp.path().join("c"));
    assert!(
        before == none,
        "`theme: none` with the ejected files builds the same site"
    );
}

#[test]
fn an_override_replaces_the_built_in_file_of_its_name_and_nothing_else() {
    let (tmp, root) = site_copy("sites/theme-basic");
    let before = built(&root, &tmp.path().join("a"));
    let r = root.to_str().expect("utf8");
    let (ok, out, err) = run(&["theme", "eject", "page.html", "--root", r]);
    assert!(ok, "{err}");
    assert!(out.contains("layouts/page.html"), "{out}");
    let page = root.join("layouts/page.html");
    let text = std::fs::read_to_string(&page).expect("read");
    assert!(text.contains("<article class=\"topic\">"), "{text}");
    std::fs::write(
        &page,
        text.replacen(
            "<article class=\"topic\">",
            "<article data-override=yes class=\"topic\">",
            1,
        ),
    )
    .expect("write");
    std::fs::create_dir_all(root.join("assets/css")).expect("mkdir");
    std::fs::write(root.join("assets/css/site.css"), "body{color:teal}\n").expect("write");
    std::fs::write(root.join("assets/css/extra.css"), "p{margin:0}\n").expect("write");

    let after = built(&root, &tmp.path().join("b"));
    let trade = String::from_utf8_lossy(&after["topics/trade/index.html"]).into_owned();
    assert!(trade.contains("data-override=yes"), "{trade}");
    assert_eq!(after["css/site.css"], b"body{color:teal}\n");
    assert_eq!(after["css/extra.css"], b"p{margin:0}\n");
    assert_eq!(
        before["js/search.js"], after["js/search.js"],
        "built-in js kept"
    );
    let home = String::from_utf8_lossy(&after["index.html"]).into_owned();
    assert!(
        !home.contains("data-override"),
        "index.html is still built in"
    );
    // The stylesheet's cache-busting hash follows the override.
    let css_url = |html: &str| {
        let at = html.find("css/site.css?h=").expect("css link");
        html[at..at + 25].to_string()
    };
    let old_home = String::from_utf8_lossy(&before["index.html"]).into_owned();
    assert_ne!(css_url(&home), css_url(&old_home));

    // theme diff: the edited layout as a unified diff from the built-in file, the overridden
    // stylesheet, and the site's own file.
    let (ok, out, err) = run(&["theme", "diff", "--root", r]);
    assert!(ok, "{err}");
    assert!(
        out.contains("--- built-in/layouts/page.html (bilat "),
        "{out}"
    );
    assert!(out.contains("+++ layouts/page.html"), "{out}");
    assert!(out.contains("+<article data-override=yes"), "{out}");
    assert!(
        out.contains("-body") || out.contains("+body{color:teal}"),
        "{out}"
    );
    assert!(
        out.contains("assets/css/extra.css: the site's own (no built-in file of that name)"),
        "{out}"
    );

    // Removing the override brings the built-in page back.
    std::fs::remove_file(&page).expect("rm");
    let removed = built(&root, &tmp.path().join("c"));
    let trade = String::from_utf8_lossy(&removed["topics/trade/index.html"]).into_owned();
    assert!(!trade.contains("data-override"), "{trade}");
}

#[test]
fn eject_never_overwrites_and_refuses_unknown_names_before_writing_anything() {
    let (_tmp, root) = site_copy("sites/theme-basic");
    let r = root.to_str().expect("utf8");
    std::fs::create_dir_all(root.join("layouts")).expect("mkdir");
    std::fs::write(root.join("layouts/base.html"), "MINE").expect("write");

    let (ok, _, err) = run(&["theme", "eject", "layouts/base.html", "--root", r]);
    assert!(!ok);
    assert!(err.contains("layouts/base.html already exists"), "{err}");
    assert_eq!(read(&root, "layouts/base.html"), "MINE");

    let (ok, _, err) = run(&[
        "theme",
        "eject",
        "page.html",
        "layouts/pgae.html",
        "--root",
        r,
    ]);
    assert!(!ok);
    assert!(err.contains("did you mean `layouts/page.html`"), "{err}");
    assert!(
        !root.join("layouts/page.html").exists(),
        "nothing is written when one name is wrong"
    );

    // Without names: every built-in file the site does not have yet; its own are kept.
    let (ok, out, err) = run(&["theme", "eject", "--root", r]);
    assert!(ok, "{err}");
    assert!(
        out.contains("kept the site's own layouts/base.html"),
        "{out}"
    );
    assert_eq!(read(&root, "layouts/base.html"), "MINE");
    assert!(root.join("layouts/page.html").exists());
    assert!(root.join("assets/css/site.css").exists());

    let empty = tempfile::tempdir().expect("tempdir");
    let (ok, _, err) = run(&[
        "theme",
        "eject",
        "--root",
        empty.path().to_str().expect("utf8"),
    ]);
    assert!(!ok);
    assert!(err.contains("has no site.yaml"), "{err}");
}

#[test]
fn theme_none_needs_the_sites_own_layouts() {
    let (tmp, root) = site_copy("sites/theme-basic");
    let yaml = read(&root, "site.yaml");
    std::fs::write(root.join("site.yaml"), format!("{yaml}theme: none\n")).expect("write");
    let o = build(&root, &tmp.path().join("out"), &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("layouts/ folder not found"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("theme: none"), "{}", stderr(&o));
}

#[test]
fn check_says_when_a_broken_link_comes_from_a_built_in_layout() {
    let (_tmp, root) = site_copy("sites/theme-basic");
    std::fs::remove_file(root.join("content/about.md")).expect("rm");
    let (ok, out, _) = run(&["check", "--root", root.to_str().expect("utf8")]);
    assert!(!ok);
    assert!(
        out.contains(
            "layouts/base.html is built into bilat; `bilat theme eject layouts/base.html`"
        ),
        "{out}"
    );
}
