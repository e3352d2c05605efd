//! The locale layer of the default layouts, on real fixture sites built by the real binary: UI
//! strings from the table of the site's language (the built-in one, with the site's own keys over
//! it) falling back to English, `<html lang dir>`, dates in the locale, `bilat check` listing the
//! keys a table lacks, errors for unknown keys and bad tables; and in headless Chromium, that the
//! right-to-left fixture (tests/sites/rtl, Arabic, two fictional countries) is laid out from the
//! right edge at 360 px and that axe-core finds no violation on it.

mod common;

use common::*;
use scraper::{Html, Selector};
use std::path::{Path, PathBuf};
use std::process::Output;

/// A copy of the RTL fixture, with `language:` replaced when given.
fn rtl_site(language: Option<&str>) -> (tempfile::TempDir, PathBuf) {
    let (tmp, root) = site_copy("sites/rtl");
    if let Some(lang) = language {
        let path = root.join("site.yaml");
        let yaml = std::fs::read_to_string(&path).expect("site.yaml");
        assert!(yaml.contains("\nlanguage: ar\n"));
        std::fs::write(
            &path,
            yaml.replace("\nlanguage: ar\n", &format!("\nlanguage: {lang}\n")),
        )
        .expect("write site.yaml");
    }
    (tmp, root)
}

fn built(root: &Path, tmp: &tempfile::TempDir) -> PathBuf {
    let out = tmp.path().join("public");
    let o = build(root, &out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    out
}

fn page(out: &Path, rel: &str) -> Html {
    Html::parse_document(&read(out, rel))
}

fn texts(doc: &Html, selector: &str) -> Vec<String> {
    let sel = Selector::parse(selector).expect("selector");
    doc.select(&sel)
        .map(|e| e.text().collect::<String>().trim().to_string())
        .collect()
}

fn html_attr(doc: &Html, name: &str) -> Option<String> {
    let sel = Selector::parse("html").expect("selector");
    doc.select(&sel)
        .next()
        .and_then(|e| e.value().attr(name).map(str::to_string))
}

fn check(root: &Path, args: &[&str]) -> Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_bilat"));
    cmd.arg("check").arg("--root").arg(root).args(args);
    cmd.env_remove("GITHUB_ACTIONS");
    cmd.output().expect("run bilat check")
}

fn all_output(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

const PAGES: [&str; 6] = [
    "index.html",
    "topics/index.html",
    "topics/trade/index.html",
    "topics/talks/index.html",
    "search/index.html",
    "404.html",
];

#[test]
fn the_arabic_site_is_right_to_left_with_arabic_ui_strings_and_dates() {
    let (tmp, root) = rtl_site(None);
    let out = built(&root, &tmp);
    for rel in PAGES {
        let doc = page(&out, rel);
        assert_eq!(html_attr(&doc, "lang").as_deref(), Some("ar"), "{rel}");
        assert_eq!(html_attr(&doc, "dir").as_deref(), Some("rtl"), "{rel}");
    }
    let trade = page(&out, "topics/trade/index.html");
    // From the built-in Arabic table.
    assert_eq!(texts(&trade, "a.skip"), ["انتقل إلى المحتوى"]);
    assert_eq!(texts(&trade, "#tl-h"), ["التسلسل الزمني"]);
    assert_eq!(texts(&trade, "#sources-h"), ["المصادر"]);
    // The site's own layouts/i18n/ar.yaml overrides one key of it.
    assert_eq!(texts(&trade, "#brief-h"), ["موجز"]);
    // Dates in the Arabic locale (CLDR's Arabic month name, not the English one).
    let meta = texts(&trade, "p.meta").join(" ");
    assert!(meta.contains("ديسمبر"), "{meta}");
    assert!(
        !meta.contains("December") && !meta.contains("Published"),
        "{meta}"
    );
    let date = bilat::locale::Locale::new("ar")
        .expect("ar")
        .date(2023, Some(12), Some(27))
        .expect("date");
    assert_eq!(texts(&trade, "p.meta time"), [date]);
    // A key the Arabic tables lack (this site's own, used by its own layout) falls back to English.
    let talks = page(&out, "topics/talks/index.html");
    assert_eq!(
        texts(&talks, "p.note"),
        ["Both countries on this page are fictional."]
    );
    // The search page's script gets its messages in Arabic too.
    let search = read(&out, "search/index.html");
    assert!(search.contains("مزيد من النتائج"), "{search}");
}

#[test]
fn check_lists_the_ui_strings_a_table_lacks() {
    let (_tmp, root) = rtl_site(None);
    let o = check(&root, &[]);
    let text = all_output(&o);
    assert!(o.status.success(), "warnings only: {text}");
    let line = text
        .lines()
        .find(|l| l.contains("UI string"))
        .unwrap_or_else(|| panic!("no UI-string warning: {text}"));
    assert!(line.starts_with("layouts/i18n/ar.yaml"), "{line}");
    assert!(line.contains("warning"), "{line}");
    assert!(
        line.contains(
            "1 UI string is missing from the `ar` table, shown in English: fictional_note"
        ),
        "{line}"
    );
    assert!(!check(&root, &["--strict"]).status.success());

    // Translated, the warning goes.
    std::fs::write(
        root.join("layouts/i18n/ar.yaml"),
        "in_brief: \"موجز\"\nfictional_note: \"البلدان في هذه الصفحة خياليان.\"\n",
    )
    .expect("write");
    let o = check(&root, &["--strict"]);
    assert!(o.status.success(), "{}", all_output(&o));
}

#[test]
fn the_same_site_in_russian_has_russian_dates_and_strings() {
    let (tmp, root) = rtl_site(Some("ru"));
    let out = built(&root, &tmp);
    for rel in PAGES {
        let doc = page(&out, rel);
        assert_eq!(html_attr(&doc, "lang").as_deref(), Some("ru"), "{rel}");
        assert_eq!(html_attr(&doc, "dir").as_deref(), Some("ltr"), "{rel}");
    }
    let trade = page(&out, "topics/trade/index.html");
    let meta = texts(&trade, "p.meta").join(" ");
    assert!(meta.starts_with("Опубликовано 27 декабря 2023"), "{meta}");
    assert!(meta.contains("1 мин чтения"), "{meta}");
    assert_eq!(texts(&trade, "a.skip"), ["Перейти к содержанию"]);
    // The site's Arabic override does not reach Russian: the built-in Russian word.
    assert_eq!(texts(&trade, "#brief-h"), ["Коротко"]);
    let footer = texts(&trade, "footer p").join(" ");
    assert!(
        footer.contains("Страница актуальна на 27 декабря 2023"),
        "{footer}"
    );
    // Counted phrases take the Russian plural form.
    let search = page(&out, "search/index.html");
    assert_eq!(
        texts(&search, "#search-status"),
        ["2 темы. Начните вводить запрос, чтобы отфильтровать."]
    );
    let o = check(&root, &[]);
    let text = all_output(&o);
    assert!(
        text.lines().any(|l| l.starts_with("layouts/i18n/ru.yaml")
            && l.contains("missing from the `ru` table, shown in English: fictional_note")),
        "{text}"
    );
}

#[test]
fn a_language_without_a_table_shows_english_and_check_says_so() {
    let (tmp, root) = rtl_site(Some("de"));
    let out = built(&root, &tmp);
    let trade = page(&out, "topics/trade/index.html");
    assert_eq!(html_attr(&trade, "dir").as_deref(), Some("ltr"));
    assert_eq!(texts(&trade, "#brief-h"), ["In brief"]);
    // Dates still follow the language.
    assert!(texts(&trade, "p.meta time")[0].contains("Dezember"));
    let text = all_output(&check(&root, &[]));
    assert!(
        text.lines()
            .any(|l| l.starts_with("site.yaml") && l.contains("no table of UI strings for `de`")),
        "{text}"
    );
}

#[test]
fn an_unknown_key_is_an_error_at_its_template_line() {
    let (tmp, root) = rtl_site(None);
    std::fs::write(
        root.join("layouts/note.html"),
        "{% extends \"page.html\" %}\n{% block lead %}<p>{{ t(key=\"fictional_nte\") }}</p>{% endblock lead %}\n",
    )
    .expect("write");
    let o = build(&root, &tmp.path().join("public"), &[]);
    let err = stderr(&o);
    assert!(!o.status.success());
    assert!(err.contains("layouts/note.html:2"), "{err}");
    assert!(
        err.contains("no UI string `fictional_nte`")
            && err.contains("did you mean `fictional_note`"),
        "{err}"
    );
}

#[test]
fn a_bad_table_is_an_error_at_its_line() {
    let (tmp, root) = rtl_site(None);
    std::fs::write(
        root.join("layouts/i18n/ar.yaml"),
        "in_brief: \"موجز\"\nsources: [a, b]\n",
    )
    .expect("write");
    std::fs::write(root.join("layouts/i18n/xx-not a tag.yaml"), "a: b\n").expect("write");
    let o = build(&root, &tmp.path().join("public"), &[]);
    let err = stderr(&o);
    assert!(!o.status.success());
    assert!(
        err.contains("layouts/i18n/ar.yaml:2") && err.contains("`sources`: expected text"),
        "{err}"
    );
    assert!(
        err.contains("is not a language tag"),
        "every problem at once: {err}"
    );
    assert!(!tmp.path().join("public/index.html").exists());
}

// In the browser -------------------------------------------------------------------------------

fn chromium_and_axe() -> Option<(PathBuf, PathBuf)> {
    let axe =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/.axe/node_modules/axe-core/axe.min.js");
    let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists());
    match (chromium, axe.exists()) {
        (Some(c), true) => Some((c, axe)),
        _ if std::env::var("BILAT_REQUIRE_BROWSER").as_deref() == Ok("1") => {
            panic!("chromium and tests/.axe (npm axe-core) are required in CI (BILAT_REQUIRE_BROWSER=1)")
        }
        _ => {
            eprintln!("SKIPPED the right-to-left browser test: needs /usr/bin/chromium and axe-core in tests/.axe");
            None
        }
    }
}

/// A page that opens the topic in a 360 px wide frame (headless Chromium will not make a window
/// that narrow; the frame is tall enough to need no scrollbar) and measures where the first paragraph of its body and that paragraph's first
/// letter sit, then runs axe-core inside the frame and writes both into its own DOM, which
/// Chromium dumps.
const PROBE: &str = r#"<!DOCTYPE html><html lang=en><title>probe</title><body style="margin:0">
<iframe id=f title=page src="index.html" style="width:360px;height:4000px;border:0"></iframe>
<script>
document.getElementById('f').addEventListener('load', function () {
  var d = this.contentDocument, w = this.contentWindow;
  var p = d.querySelector('.prose p');
  var r = p.getBoundingClientRect();
  var range = d.createRange();
  range.setStart(p.firstChild, 0); range.setEnd(p.firstChild, 1);
  var c = range.getBoundingClientRect();
  var geo = {width: d.documentElement.clientWidth, left: r.left, right: r.right,
             first_left: c.left, first_right: c.right,
             timeline_border: w.getComputedStyle(d.querySelector('ol.timeline')).borderRightWidth};
  var s = d.createElement('script');
  s.src = '/axe.min.js';
  s.onload = function () {
    w.axe.run(d, {resultTypes: ['violations']}).then(function (res) {
      var out = document.createElement('pre'); out.id = 'probe-result';
      out.textContent = JSON.stringify({geo: geo, violations: res.violations.map(function (v) {
        return {id: v.id, nodes: v.nodes.map(function (n) { return n.target.join(' '); })}; })});
      document.body.appendChild(out);
    });
  };
  d.head.appendChild(s);
});
</script>"#;

fn probe(chromium: &Path, profile: &Path, url: &str) -> serde_json::Value {
    let dom = chromium_dom(
        chromium,
        profile,
        &["--window-size=800,900".to_string()],
        url,
    );
    let dom = Html::parse_document(&dom);
    let found = texts(&dom, "#probe-result");
    assert_eq!(found.len(), 1, "the probe ran on {url}");
    serde_json::from_str(&found[0]).expect("probe JSON")
}

#[test]
fn the_rtl_page_is_laid_out_from_the_right_in_chromium_and_axe_finds_nothing() {
    let Some((chromium, axe)) = chromium_and_axe() else {
        return;
    };
    let mut seen = Vec::new();
    for lang in ["ar", "ru"] {
        let (tmp, root) = rtl_site(if lang == "ar" { None } else { Some(lang) });
        if lang == "ru" {
            // Russian words in the Russian site: a paragraph's first letter is where its script
            // starts a line.
            let path = root.join("content/topics/trade.md");
            let md = std::fs::read_to_string(&path).expect("trade.md");
            let arabic = md.lines().last().expect("a paragraph").to_string();
            assert!(arabic.starts_with("هذه فقرة"), "{arabic}");
            let russian = "Это тестовый абзац о торговле двух вымышленных стран, достаточно длинный, чтобы занять больше одной строки на узком экране телефона [@s1].";
            std::fs::write(&path, md.replace(&arabic, russian)).expect("write");
        }
        let out = tmp.path().join("public");
        let port = serve_static(out.clone());
        // Served at the root of a loopback origin, as the fixture's base path would be on Pages.
        let o = build(
            &root,
            &out,
            &["--base-url", &format!("http://127.0.0.1:{port}/")],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        std::fs::copy(&axe, out.join("axe.min.js")).expect("copy axe");
        std::fs::write(out.join("topics/trade/probe.html"), PROBE).expect("write probe");
        let result = probe(
            &chromium,
            &tmp.path().join("chrome"),
            &format!("http://127.0.0.1:{port}/topics/trade/probe.html"),
        );
        assert_eq!(
            result["violations"],
            serde_json::json!([]),
            "{lang}: axe: {result}"
        );
        seen.push((lang, result["geo"].clone()));
    }
    let num = |g: &serde_json::Value, k: &str| g[k].as_f64().unwrap_or(f64::NAN);
    let (_, ar) = &seen[0];
    let (_, ru) = &seen[1];
    let width = num(ar, "width");
    // The frame is taller than the page: no scrollbar takes a side.
    assert_eq!(width, 360.0, "{ar}");
    // The column has the same box in both directions (1rem of padding on each side)…
    assert!(
        (num(ar, "right") - num(ru, "right")).abs() < 1.0,
        "{ar} {ru}"
    );
    assert!((num(ar, "left") - num(ru, "left")).abs() < 1.0, "{ar} {ru}");
    assert!((width - num(ar, "right") - 16.0).abs() < 2.0, "{ar}");
    // …but Arabic text starts at its right edge, Russian at its left.
    assert!(
        (num(ar, "right") - num(ar, "first_right")).abs() < 2.0,
        "the first Arabic letter is at the right edge: {ar}"
    );
    assert!(
        (num(ru, "first_left") - num(ru, "left")).abs() < 2.0,
        "the first Russian letter is at the left edge: {ru}"
    );
    // Logical properties: the timeline's rule is on the right in Arabic only.
    assert_eq!(ar["timeline_border"], "2px", "{ar}");
    assert_eq!(ru["timeline_border"], "0px", "{ru}");
}
