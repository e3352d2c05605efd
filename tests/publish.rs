//! Publishing on GitHub Pages: a site built under a sub-path keeps every URL under that path and
//! every one resolves; sitemap.xml and atom.xml parse as XML with absolute URLs; the files Pages
//! needs are there; two builds are byte-identical; the workflow uses the official actions.
//!
//! HTML is parsed with scraper (html5ever), XML with roxmltree: real parsers, not string matching.

mod common;

use common::{build, copy_dir, fixture, snapshot, stderr};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

const BASE: &str = "https://owner.github.io/repo/";
const ORIGIN: &str = "https://owner.github.io";
const BASE_PATH: &str = "/repo/";
const ATOM: &str = "http://www.w3.org/2005/Atom";
const SITEMAP_NS: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";

/// Builds a fixture (or the project itself, `None`) into a temp dir; returns the dir and output.
fn built(site: Option<&str>, extra: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = match site {
        Some(name) => {
            let root = tmp.path().join("site");
            copy_dir(&fixture(&format!("sites/{name}")), &root);
            root
        }
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")),
    };
    let out = tmp.path().join("out");
    let o = build(&root, &out, extra);
    assert!(o.status.success(), "build failed: {}", stderr(&o));
    (tmp, out)
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let hex = |c: u8| (c as char).to_digit(16);
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).expect("utf8 after percent-decoding")
}

/// Every HTML file under `out`, by path relative to it.
fn html_files(out: &Path) -> Vec<String> {
    snapshot(out)
        .into_keys()
        .filter(|p| p.ends_with(".html"))
        .collect()
}

fn ids_of(out: &Path, file: &str, cache: &mut HashMap<String, HashSet<String>>) -> HashSet<String> {
    cache
        .entry(file.to_string())
        .or_insert_with(|| {
            let html = std::fs::read_to_string(out.join(file)).expect("read target");
            let doc = scraper::Html::parse_document(&html);
            let sel = scraper::Selector::parse("[id]").expect("selector");
            doc.select(&sel)
                .filter_map(|e| e.value().attr("id").map(str::to_string))
                .collect()
        })
        .clone()
}

/// The file GitHub Pages serves for a path under the base path (`topics/` → `topics/index.html`).
fn served(out: &Path, rel: &str) -> Option<String> {
    let candidates = if rel.is_empty() || rel.ends_with('/') {
        vec![format!("{rel}index.html")]
    } else {
        vec![rel.to_string(), format!("{rel}/index.html")]
    };
    candidates.into_iter().find(|c| out.join(c).is_file())
}

/// Every URL in every HTML page: internal ones stay under the base path and resolve to a written
/// file (and to an element id when they carry a fragment). Returns how many internal URLs it saw.
fn assert_links_resolve(out: &Path) -> usize {
    let attrs = ["href", "src", "srcset", "action", "poster", "content"];
    let mut problems = Vec::new();
    let mut seen = 0;
    let mut ids: HashMap<String, HashSet<String>> = HashMap::new();
    for file in html_files(out) {
        let html = std::fs::read_to_string(out.join(&file)).expect("read html");
        let doc = scraper::Html::parse_document(&html);
        let all = scraper::Selector::parse("*").expect("selector");
        for el in doc.select(&all) {
            for attr in attrs {
                let Some(raw) = el.value().attr(attr) else {
                    continue;
                };
                let values: Vec<String> = match attr {
                    "srcset" => raw
                        .split(',')
                        .filter_map(|c| c.split_whitespace().next())
                        .map(str::to_string)
                        .collect(),
                    // Only meta tags whose content is a URL.
                    "content" => {
                        let prop = el.value().attr("property").unwrap_or("");
                        if el.value().name() == "meta" && (prop == "og:url" || prop == "og:image") {
                            vec![raw.to_string()]
                        } else {
                            continue;
                        }
                    }
                    _ => vec![raw.to_string()],
                };
                for v in values {
                    let v = v.trim();
                    if v.is_empty()
                        || ["mailto:", "tel:", "javascript:", "data:"]
                            .iter()
                            .any(|s| v.starts_with(s))
                    {
                        continue;
                    }
                    let (path, fragment) = if let Some(rest) = v.strip_prefix(ORIGIN) {
                        match rest.split_once('#') {
                            Some((p, f)) => (p.to_string(), Some(f.to_string())),
                            None => (rest.to_string(), None),
                        }
                    } else if v.starts_with("http://")
                        || v.starts_with("https://")
                        || v.starts_with("//")
                    {
                        continue;
                    } else if let Some(f) = v.strip_prefix('#') {
                        seen += 1;
                        if f != "top" && !ids_of(out, &file, &mut ids).contains(&percent_decode(f))
                        {
                            problems.push(format!(
                                "{file}: <{} {attr}=\"{v}\">: no element with that id",
                                el.value().name()
                            ));
                        }
                        continue;
                    } else if v.starts_with('/') {
                        match v.split_once('#') {
                            Some((p, f)) => (p.to_string(), Some(f.to_string())),
                            None => (v.to_string(), None),
                        }
                    } else {
                        problems.push(format!("{file}: <{} {attr}=\"{v}\"> is relative; pages must link under the base path", el.value().name()));
                        continue;
                    };
                    seen += 1;
                    let Some(rel) = path.strip_prefix(BASE_PATH) else {
                        problems.push(format!(
                            "{file}: <{} {attr}=\"{v}\"> escapes the base path {BASE_PATH}",
                            el.value().name()
                        ));
                        continue;
                    };
                    let rel = percent_decode(rel.split('?').next().unwrap_or(""));
                    let Some(target) = served(out, &rel) else {
                        problems.push(format!(
                            "{file}: <{} {attr}=\"{v}\"> resolves to no written file",
                            el.value().name()
                        ));
                        continue;
                    };
                    if let Some(f) = fragment.filter(|f| !f.is_empty()) {
                        if target.ends_with(".html")
                            && !ids_of(out, &target, &mut ids).contains(&percent_decode(&f))
                        {
                            problems.push(format!(
                                "{file}: <{} {attr}=\"{v}\">: {target} has no id `{f}`",
                                el.value().name()
                            ));
                        }
                    }
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} bad URLs:\n{}",
        problems.len(),
        problems.join("\n")
    );
    seen
}

#[test]
fn fixture_under_a_sub_path_keeps_every_url_under_it() {
    let (_tmp, out) = built(Some("publish-basic"), &[]);
    let n = assert_links_resolve(&out);
    assert!(n > 50, "only {n} internal URLs checked");
    // The feed is announced in the head, under the base path.
    let home = std::fs::read_to_string(out.join("index.html")).expect("home");
    let doc = scraper::Html::parse_document(&home);
    let sel = scraper::Selector::parse("link[rel=alternate][type=\"application/atom+xml\"]")
        .expect("selector");
    let hrefs: Vec<&str> = doc
        .select(&sel)
        .filter_map(|e| e.value().attr("href"))
        .collect();
    assert_eq!(hrefs, ["/repo/atom.xml"]);
}

#[test]
fn project_site_under_a_sub_path_keeps_every_url_under_it() {
    let (_tmp, out) = built(None, &["--base-url", BASE]);
    let n = assert_links_resolve(&out);
    assert!(n > 500, "only {n} internal URLs checked");
    assert!(out.join("sitemap.xml").is_file() && out.join("atom.xml").is_file());
}

#[test]
fn base_url_flag_overrides_site_yaml_everywhere() {
    let (_tmp, out) = built(
        Some("publish-basic"),
        &["--base-url", "https://example.org/deep/path/"],
    );
    let sitemap = std::fs::read_to_string(out.join("sitemap.xml")).expect("sitemap");
    let doc = roxmltree::Document::parse(&sitemap).expect("sitemap parses");
    for loc in doc
        .descendants()
        .filter(|n| n.has_tag_name((SITEMAP_NS, "loc")))
    {
        assert!(
            loc.text()
                .unwrap_or("")
                .starts_with("https://example.org/deep/path/"),
            "{:?}",
            loc.text()
        );
    }
    let links = hrefs(&out.join("topics/trade/index.html"));
    assert!(
        links
            .iter()
            .any(|h| h == "/deep/path/topics/energy/#pipelines"),
        "{links:?}"
    );
    assert!(
        !links.iter().any(|h| h.contains("/repo/")),
        "the site.yaml base path leaked: {links:?}"
    );
}

/// Every `href` in a page, as the parser decoded it.
fn hrefs(file: &Path) -> Vec<String> {
    let html = std::fs::read_to_string(file).expect("read page");
    let doc = scraper::Html::parse_document(&html);
    let sel = scraper::Selector::parse("[href]").expect("selector");
    doc.select(&sel)
        .filter_map(|e| e.value().attr("href").map(str::to_string))
        .collect()
}

fn sitemap_entries(out: &Path) -> Vec<(String, Option<String>)> {
    let text = std::fs::read_to_string(out.join("sitemap.xml")).expect("sitemap.xml");
    let doc = roxmltree::Document::parse(&text).expect("sitemap.xml is well-formed XML");
    let root = doc.root_element();
    assert!(
        root.has_tag_name((SITEMAP_NS, "urlset")),
        "root is {:?}",
        root.tag_name()
    );
    root.children()
        .filter(|n| n.has_tag_name((SITEMAP_NS, "url")))
        .map(|u| {
            let child = |name: &str| {
                u.children()
                    .find(|c| c.has_tag_name((SITEMAP_NS, name)))
                    .and_then(|c| c.text())
                    .map(str::to_string)
            };
            (
                child("loc").expect("every <url> has a <loc>"),
                child("lastmod"),
            )
        })
        .collect()
}

fn in_sitemap<'a, 'i>(n: roxmltree::Node<'a, 'i>, name: &str) -> Option<roxmltree::Node<'a, 'i>> {
    n.children().find(|c| c.has_tag_name((SITEMAP_NS, name)))
}

/// The `<loc>`s of a sitemap file's `<url>`s.
fn locs(text: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(text).expect("a sitemap file is well-formed XML");
    assert!(doc.root_element().has_tag_name((SITEMAP_NS, "urlset")));
    doc.root_element()
        .children()
        .filter(|n| n.has_tag_name((SITEMAP_NS, "url")))
        .filter_map(|u| {
            in_sitemap(u, "loc")
                .and_then(|l| l.text())
                .map(str::to_string)
        })
        .collect()
}

#[test]
fn a_sitemap_past_its_limit_becomes_an_index_of_sitemaps_holding_every_url() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("site");
    copy_dir(&fixture("sites/publish-basic"), &root);
    let whole = tmp.path().join("whole");
    let o = build(&root, &whole, &["--base-url", BASE]);
    assert!(o.status.success(), "build failed: {}", stderr(&o));
    let all = locs(&std::fs::read_to_string(whole.join("sitemap.xml")).expect("sitemap.xml"));
    assert!(all.len() > 6, "the fixture has {} URLs", all.len());
    assert!(!whole.join("sitemap-1.xml").exists());

    // The protocol's limit is 50,000 URLs a file; the environment lowers it to try the split.
    let split = tmp.path().join("split");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_bilat"))
        .args(["build", "--root"])
        .arg(&root)
        .arg("--output")
        .arg(&split)
        .args(["--base-url", BASE])
        .env("BILAT_SITEMAP_URLS", "3")
        .output()
        .expect("run bilat");
    assert!(o.status.success(), "build failed: {}", stderr(&o));
    let index = std::fs::read_to_string(split.join("sitemap.xml")).expect("sitemap.xml");
    let doc = roxmltree::Document::parse(&index).expect("the index is well-formed XML");
    let root_el = doc.root_element();
    assert!(
        root_el.has_tag_name((SITEMAP_NS, "sitemapindex")),
        "root is {:?}",
        root_el.tag_name()
    );
    let mut found = Vec::new();
    let parts: Vec<_> = root_el
        .children()
        .filter(|n| n.has_tag_name((SITEMAP_NS, "sitemap")))
        .collect();
    assert_eq!(parts.len(), all.len().div_ceil(3));
    for (n, part) in parts.iter().enumerate() {
        let loc = in_sitemap(*part, "loc")
            .and_then(|l| l.text())
            .expect("<loc>");
        assert_eq!(loc, format!("{BASE}sitemap-{}.xml", n + 1));
        assert!(
            in_sitemap(*part, "lastmod").is_some(),
            "{loc} has no <lastmod>"
        );
        let text = std::fs::read_to_string(split.join(format!("sitemap-{}.xml", n + 1)))
            .expect("every sitemap the index names is written");
        let urls = locs(&text);
        assert!(
            !urls.is_empty() && urls.len() <= 3,
            "{loc}: {} URLs",
            urls.len()
        );
        found.extend(urls);
    }
    assert_eq!(
        found, all,
        "the parts hold every URL once, in the same order"
    );
    // robots.txt keeps naming the one address.
    let robots = std::fs::read_to_string(split.join("robots.txt")).expect("robots.txt");
    assert!(robots.contains(&format!("Sitemap: {BASE}sitemap.xml")));
}

#[test]
fn sitemap_lists_every_page_with_absolute_urls_and_dates() {
    let (_tmp, out) = built(Some("publish-basic"), &[]);
    let entries = sitemap_entries(&out);
    let mut locs = BTreeSet::new();
    for (loc, lastmod) in &entries {
        assert!(
            loc.starts_with(BASE),
            "not absolute under the base URL: {loc}"
        );
        assert!(loc.is_ascii(), "not percent-encoded: {loc}");
        let rel = percent_decode(&loc[BASE.len()..]);
        assert!(served(&out, &rel).is_some(), "{loc} is not a written page");
        if let Some(d) = lastmod {
            assert!(
                jiff::civil::Date::strptime("%Y-%m-%d", d).is_ok(),
                "lastmod {d} is not a W3C date"
            );
        }
        assert!(locs.insert(loc.clone()), "{loc} listed twice");
    }
    // Every page a reader can land on is listed; the 404 page and alias redirects are not.
    for file in html_files(&out) {
        if file == "404.html" || file.starts_with("old/") {
            continue;
        }
        let url = format!("{BASE}{}", file.trim_end_matches("index.html"));
        let encoded: String = url
            .bytes()
            .map(|b| {
                if b.is_ascii() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        assert!(
            locs.contains(&encoded),
            "{file} is missing from the sitemap"
        );
    }
    let lastmod = |path: &str| {
        entries
            .iter()
            .find(|(l, _)| l == &format!("{BASE}{path}"))
            .and_then(|(_, m)| m.clone())
    };
    assert_eq!(
        lastmod("topics/trade/").as_deref(),
        Some("2024-02-10"),
        "`updated` wins over `date`"
    );
    assert_eq!(lastmod("topics/energy/").as_deref(), Some("2023-11-02"));
    assert_eq!(lastmod("about/"), None, "an undated page has no lastmod");
    assert!(
        locs.contains(&format!(
            "{BASE}tags/%D1%8D%D0%BD%D0%B5%D1%80%D0%B3%D0%B8%D1%8F/"
        )),
        "{locs:?}"
    );
    assert!(
        !locs.iter().any(|l| l.contains("draft")),
        "a draft is in the sitemap"
    );
}

fn child<'a, 'i>(n: roxmltree::Node<'a, 'i>, name: &str) -> Option<roxmltree::Node<'a, 'i>> {
    n.children().find(|c| c.has_tag_name((ATOM, name)))
}

fn text_of(n: roxmltree::Node, name: &str) -> Option<String> {
    child(n, name).and_then(|c| c.text()).map(str::to_string)
}

#[test]
fn atom_feed_is_valid_with_absolute_links() {
    let (_tmp, out) = built(Some("publish-basic"), &[]);
    let text = std::fs::read_to_string(out.join("atom.xml")).expect("atom.xml");
    let doc = roxmltree::Document::parse(&text).expect("atom.xml is well-formed XML");
    let feed = doc.root_element();
    assert!(feed.has_tag_name((ATOM, "feed")));
    assert_eq!(
        text_of(feed, "title").as_deref(),
        Some("Testland & Examplestan <relations>"),
        "escaped and unescaped exactly"
    );
    assert_eq!(text_of(feed, "id").as_deref(), Some(BASE));
    // The newest date in the content (a timeline entry of March 2024), not the build time.
    assert_eq!(
        text_of(feed, "updated").as_deref(),
        Some("2024-03-01T00:00:00Z")
    );
    assert!(
        child(feed, "author")
            .and_then(|a| text_of(a, "name"))
            .is_some(),
        "a feed needs an author"
    );
    let self_link = feed
        .children()
        .find(|c| c.has_tag_name((ATOM, "link")) && c.attribute("rel") == Some("self"))
        .and_then(|l| l.attribute("href"));
    assert_eq!(self_link, Some(format!("{BASE}atom.xml").as_str()));

    let entries: Vec<roxmltree::Node> = feed
        .children()
        .filter(|c| c.has_tag_name((ATOM, "entry")))
        .collect();
    let titles: Vec<String> = entries
        .iter()
        .filter_map(|e| text_of(*e, "title"))
        .collect();
    assert_eq!(
        titles,
        [
            "Figures published",
            "Trade & tariffs",
            "Ministers meet & agree",
            "Energy",
            "A pipeline is proposed"
        ],
        "topics and timeline events, newest first, drafts left out"
    );
    let mut ids = HashSet::new();
    for e in &entries {
        let id = text_of(*e, "id").expect("entry id");
        assert!(id.starts_with(BASE), "{id}");
        assert!(ids.insert(id.clone()), "duplicate entry id {id}");
        let updated = text_of(*e, "updated").expect("entry updated");
        assert!(
            jiff::Timestamp::strptime("%Y-%m-%dT%H:%M:%SZ", &updated).is_ok()
                || updated.parse::<jiff::Timestamp>().is_ok(),
            "{updated}"
        );
        assert!(
            text_of(*e, "summary").is_some_and(|s| !s.is_empty()),
            "entry {id} has no summary"
        );
        let href = child(*e, "link")
            .and_then(|l| l.attribute("href"))
            .expect("entry link")
            .to_string();
        let rel = href
            .strip_prefix(BASE)
            .unwrap_or_else(|| panic!("{href} is not under {BASE}"));
        assert!(served(&out, rel).is_some(), "{href} is not a written page");
    }
    let trade = entries
        .iter()
        .find(|e| text_of(**e, "title").as_deref() == Some("Trade & tariffs"))
        .expect("trade entry");
    assert_eq!(
        text_of(*trade, "summary").as_deref(),
        Some("Trade <grew> & tariffs fell.")
    );
    assert_eq!(
        text_of(*trade, "updated").as_deref(),
        Some("2024-02-10T00:00:00Z")
    );
}

#[test]
fn pages_files_robots_and_404() {
    let (_tmp, out) = built(Some("publish-basic"), &[]);
    assert_eq!(
        std::fs::read(out.join(".nojekyll"))
            .expect(".nojekyll")
            .len(),
        0
    );
    assert!(
        !out.join("CNAME").exists(),
        "no CNAME without a custom domain"
    );
    let robots = std::fs::read_to_string(out.join("robots.txt")).expect("robots.txt");
    assert!(
        robots
            .lines()
            .any(|l| l == format!("Sitemap: {BASE}sitemap.xml")),
        "{robots}"
    );
    assert!(robots.starts_with("User-agent: *\n"), "{robots}");
    // 404.html is served at any depth: every link on it is absolute under the base path.
    let html = std::fs::read_to_string(out.join("404.html")).expect("404.html");
    let doc = scraper::Html::parse_document(&html);
    let sel = scraper::Selector::parse("a[href], link[href]").expect("selector");
    let hrefs: Vec<&str> = doc
        .select(&sel)
        .filter_map(|e| e.value().attr("href"))
        .collect();
    assert!(hrefs.len() >= 4, "{hrefs:?}");
    for h in hrefs {
        assert!(
            h.starts_with(BASE_PATH) || h.starts_with(BASE) || h.starts_with('#'),
            "404.html links to {h}"
        );
    }
}

#[test]
fn custom_domain_writes_cname_and_root_urls() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("site");
    copy_dir(&fixture("sites/publish-basic"), &root);
    let yaml = std::fs::read_to_string(root.join("site.yaml"))
        .expect("site.yaml")
        .replace("cname: ~", "cname: \"explainer.example.org\"");
    std::fs::write(root.join("site.yaml"), yaml).expect("write");
    let out = tmp.path().join("out");
    let o = build(
        &root,
        &out,
        &["--base-url", "https://explainer.example.org/"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(out.join("CNAME")).expect("CNAME"),
        "explainer.example.org\n"
    );
    let robots = std::fs::read_to_string(out.join("robots.txt")).expect("robots.txt");
    assert!(
        robots.contains("Sitemap: https://explainer.example.org/sitemap.xml"),
        "{robots}"
    );
    assert!(sitemap_entries(&out)
        .iter()
        .all(|(l, _)| l.starts_with("https://explainer.example.org/") && !l.contains("/repo/")));
    let links = hrefs(&out.join("topics/trade/index.html"));
    assert!(
        links.iter().any(|h| h == "/topics/energy/#pipelines"),
        "{links:?}"
    );
    assert!(
        links
            .iter()
            .any(|h| h == "https://explainer.example.org/topics/trade/"),
        "{links:?}"
    );
}

#[test]
fn feed_and_sitemap_can_be_switched_off() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("site");
    copy_dir(&fixture("sites/publish-basic"), &root);
    let yaml = std::fs::read_to_string(root.join("site.yaml"))
        .expect("site.yaml")
        .replace("feed: true", "feed: false")
        .replace("sitemap: true", "sitemap: false");
    std::fs::write(root.join("site.yaml"), yaml).expect("write");
    let out = tmp.path().join("out");
    let o = build(&root, &out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!out.join("atom.xml").exists() && !out.join("sitemap.xml").exists());
    let robots = std::fs::read_to_string(out.join("robots.txt")).expect("robots.txt");
    assert!(!robots.contains("Sitemap:"), "{robots}");
    let home = std::fs::read_to_string(out.join("index.html")).expect("home");
    assert!(
        !home.contains("atom.xml"),
        "the feed link stays out when the feed is off"
    );
}

#[test]
fn two_builds_are_byte_identical() {
    let (_a, out_a) = built(Some("publish-basic"), &[]);
    let (_b, out_b) = built(Some("publish-basic"), &[]);
    let (a, b) = (snapshot(&out_a), snapshot(&out_b));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (path, bytes) in &a {
        assert!(b[path] == *bytes, "{path} differs between two builds");
    }
}

#[test]
fn workflow_builds_with_the_pages_base_url_and_the_official_actions() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(".github/workflows/pages.yml");
    let text = std::fs::read_to_string(&path).expect("pages.yml");
    let wf: serde_yaml::Value = serde_yaml::from_str(&text).expect("pages.yml is YAML");
    let on = &wf["on"];
    assert!(
        on["push"]["branches"]
            .as_sequence()
            .is_some_and(|b| b.iter().any(|x| x == "main")),
        "runs on push to main"
    );
    assert!(on.get("workflow_dispatch").is_some(), "can be run by hand");
    // Least privilege: nothing workflow-wide; the build job (which runs the repository's code)
    // may only read it, and only the deploy job may publish and mint an identity token.
    assert!(
        wf["permissions"]
            .as_mapping()
            .is_some_and(serde_yaml::Mapping::is_empty),
        "no workflow-wide permissions: {:?}",
        wf["permissions"]
    );
    let perms = |job: &str| -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = wf["jobs"][job]["permissions"]
            .as_mapping()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| {
                        (
                            k.as_str().unwrap_or("").to_string(),
                            v.as_str().unwrap_or("").to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    };
    assert_eq!(
        perms("build"),
        [("contents".to_string(), "read".to_string())]
    );
    assert_eq!(
        perms("deploy"),
        [
            ("id-token".to_string(), "write".to_string()),
            ("pages".to_string(), "write".to_string())
        ]
    );
    assert_eq!(wf["concurrency"]["group"], "pages");

    let steps = |job: &str| {
        wf["jobs"][job]["steps"]
            .as_sequence()
            .cloned()
            .unwrap_or_default()
    };
    let uses = |job: &str| -> Vec<String> {
        steps(job)
            .iter()
            .filter_map(|s| s["uses"].as_str().map(str::to_string))
            .collect()
    };
    // Every action is one of GitHub's own, pinned to a commit (the tag is in a comment).
    let name_of = |u: &str| -> String {
        let (name, rev) = u.split_once('@').unwrap_or((u, ""));
        assert!(
            rev.len() == 40 && rev.chars().all(|c| c.is_ascii_hexdigit()),
            "{u} is pinned to a commit"
        );
        name.to_string()
    };
    let step_of = |job: &str, action: &str| -> Vec<serde_yaml::Value> {
        steps(job)
            .into_iter()
            .filter(|s| s["uses"].as_str().is_some_and(|u| name_of(u) == action))
            .collect()
    };
    let build_uses: Vec<String> = uses("build").iter().map(|u| name_of(u)).collect();
    for action in [
        "actions/checkout",
        "actions/configure-pages",
        "actions/cache",
        "actions/upload-pages-artifact",
    ] {
        assert!(
            build_uses.iter().any(|u| u == action),
            "build job lacks {action}: {build_uses:?}"
        );
    }
    let configure = step_of("build", "actions/configure-pages");
    assert_eq!(configure[0]["id"], "pages");
    let caches = step_of("build", "actions/cache");
    let cargo_cache = caches
        .iter()
        .find(|c| c["with"]["path"].as_str().unwrap_or("").contains("target"))
        .expect("cargo cache step");
    let cached = cargo_cache["with"]["path"].as_str().unwrap_or("");
    for p in ["~/.cargo/registry", "~/.cargo/git", "target"] {
        assert!(cached.lines().any(|l| l.trim() == p), "cache misses {p}");
    }
    assert!(cargo_cache["with"]["key"]
        .as_str()
        .is_some_and(|k| k.contains("hashFiles('**/Cargo.lock')")));
    assert!(
        caches.iter().any(|c| c["with"]["path"] == ".bilat-cache"),
        "bilat's own cache is kept between runs"
    );
    let runs: Vec<String> = steps("build")
        .iter()
        .filter_map(|s| s["run"].as_str().map(str::to_string))
        .collect();
    assert!(
        runs.iter()
            .any(|r| r.contains("cargo build --release --locked")),
        "compiles the commit it publishes: {runs:?}"
    );
    let build = steps("build")
        .into_iter()
        .find(|s| s["name"] == "Build")
        .expect("build step");
    assert_eq!(build["run"], "bilat build --base-url \"$BASE_URL/\"");
    assert_eq!(
        build["env"]["BASE_URL"], "${{ steps.pages.outputs.base_url }}",
        "builds with configure-pages' base URL"
    );
    let upload = step_of("build", "actions/upload-pages-artifact");
    assert_eq!(upload[0]["with"]["path"], "public");

    let deploy = &wf["jobs"]["deploy"];
    assert_eq!(deploy["needs"], "build");
    assert_eq!(deploy["environment"]["name"], "github-pages");
    assert_eq!(
        deploy["environment"]["url"],
        "${{ steps.deployment.outputs.page_url }}"
    );
    let step = step_of("deploy", "actions/deploy-pages");
    assert_eq!(step[0]["id"], "deployment");
}
