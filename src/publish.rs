//! What publishing on GitHub Pages needs beside the pages themselves: `.nojekyll`, `CNAME`,
//! `robots.txt`, `sitemap.xml`, the Atom feed `atom.xml` and the corrections feed
//! `corrections/atom.xml`.
//!
//! The XML files are written here in Rust, not through templates: every URL in them must be
//! absolute and escaped, and their dates must come from the content, never from the clock, so that
//! two builds of the same input are byte-identical. They are never minified.

use crate::content::PageKind;
use crate::jobs::Job;
use crate::output::Output;
use crate::render::Templates;
use crate::site::Site;
use crate::text::PartialDate;
use crate::views::{Generated, Views};
use sha2::{Digest, Sha256};
use std::fmt::Write;

/// Where the sitemap and the feed are written, relative to the output root.
pub const SITEMAP_FILE: &str = "sitemap.xml";
pub const FEED_FILE: &str = "atom.xml";
pub const ROBOTS_FILE: &str = "robots.txt";
/// The corrections feed, beside the corrections page it is the feed of.
pub const CORRECTIONS_FEED_FILE: &str = "corrections/atom.xml";

/// The feed carries every topic but only the most recent timeline events, so that it stays small
/// as the timeline grows back into history.
pub const FEED_TIMELINE_LIMIT: usize = 50;

/// The corrections feed carries the newest corrections only, for the same reason; the corrections
/// page lists every one.
pub const FEED_CORRECTIONS_LIMIT: usize = 50;

/// Every file this module produces, as the `PagesFiles` job's output.
pub fn files(site: &Site, views: &Views, templates: &Templates) -> Vec<Output> {
    let mut out = Vec::new();
    // Another edition has its own sitemap and feed in its folder; the files Pages reads at the
    // root are the default edition's.
    if site.edition.is_default() {
        out.extend(root_files(site));
    }
    if site.config.sitemap {
        let jobs = crate::jobs::plan(site, views, templates);
        // The environment may lower the URL limit, to try the split on a small site (as
        // `BILAT_KEEP_HTML_UNDER` does for the large-site path).
        let limits = match std::env::var("BILAT_SITEMAP_URLS")
            .ok()
            .and_then(|v| v.parse().ok())
        {
            Some(urls) if urls > 0 => SitemapLimits {
                urls,
                ..SITEMAP_LIMITS
            },
            _ => SITEMAP_LIMITS,
        };
        out.extend(sitemaps(site, views, &jobs, limits));
    }
    if site.config.feed {
        out.push(Output {
            path: FEED_FILE.into(),
            bytes: feed(site).into_bytes(),
        });
        // The feed of a page the site has: a site whose layouts leave it out has neither.
        if templates.has(Generated::Corrections.template()) {
            out.push(Output {
                path: CORRECTIONS_FEED_FILE.into(),
                bytes: corrections_feed(site, &templates.strings).into_bytes(),
            });
        }
    }
    out
}

/// `.nojekyll`, `CNAME` and `robots.txt`: one each for the whole site.
fn root_files(site: &Site) -> Vec<Output> {
    // Without .nojekyll, GitHub Pages runs Jekyll, which drops `_`-prefixed paths.
    let mut out = vec![Output {
        path: ".nojekyll".into(),
        bytes: Vec::new(),
    }];
    if let Some(domain) = site
        .config
        .cname
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        out.push(Output {
            path: "CNAME".into(),
            bytes: format!("{domain}\n").into_bytes(),
        });
    }
    out.push(Output {
        path: ROBOTS_FILE.into(),
        bytes: robots(site).into_bytes(),
    });
    out
}

/// `robots.txt`: lets every crawler in and names the sitemap by its absolute URL.
pub fn robots(site: &Site) -> String {
    let mut s = String::from("User-agent: *\nAllow: /\n");
    if site.config.sitemap {
        if site.base_path != "/" {
            // Crawlers read robots.txt only at the root of a host; on a project site this copy is
            // a pointer for people, and search engines find the sitemap through Search Console.
            s.push_str("# Crawlers read robots.txt only at the root of a host.\n");
        }
        s.push('\n');
        if site.edition.several() {
            // Each edition's sitemap, the default first.
            for e in site.editions_of(SITEMAP_FILE, None) {
                let _ = writeln!(s, "Sitemap: {}", encode_url(&e.permalink));
            }
        } else {
            let _ = writeln!(s, "Sitemap: {}", encode_url(&site.permalink(SITEMAP_FILE)));
        }
    }
    s
}

/// One `<url>` of the sitemap.
struct SitemapEntry {
    loc: String,
    lastmod: Option<jiff::civil::Date>,
    /// The page in each edition that has its own words (`hreflang`), for a site in several.
    alternates: Vec<(String, String)>,
}

/// The newest `updated` or `date` among some pages: the last time a page built from them changed.
fn newest<'a>(
    site: &'a Site,
    pages: impl IntoIterator<Item = &'a usize>,
) -> Option<jiff::civil::Date> {
    pages.into_iter().filter_map(|&i| page_date(site, i)).max()
}

/// `updated`, else `date`, of a content page.
fn page_date(site: &Site, i: usize) -> Option<jiff::civil::Date> {
    let m = &site.pages[i].meta;
    m.updated.as_ref().or(m.date.as_ref()).map(|d| d.0)
}

fn published(site: &Site, i: usize) -> bool {
    !site.pages[i].meta.draft
}

/// How much one sitemap file may hold: the protocol's limits (sitemaps.org: 50,000 URLs and
/// 50 MB uncompressed; search engines reject a larger file).
#[derive(Debug, Clone, Copy)]
pub struct SitemapLimits {
    pub urls: usize,
    pub bytes: usize,
}

pub const SITEMAP_LIMITS: SitemapLimits = SitemapLimits {
    urls: 50_000,
    bytes: 50_000_000,
};

/// `sitemap.xml`: every page a reader can land on, with absolute URLs, in a stable order. A site
/// past `limits` gets `sitemap.xml` as a sitemap index naming `sitemap-1.xml`, `sitemap-2.xml` …
/// (as Zola splits at 30,000 URLs), so robots.txt and Search Console keep the one address.
pub fn sitemaps(site: &Site, views: &Views, jobs: &[Job], limits: SitemapLimits) -> Vec<Output> {
    let entries = sitemap_entries(site, views, jobs);
    let several = site.edition.several();
    let head = if several {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" xmlns:xhtml=\"http://www.w3.org/1999/xhtml\">\n"
    } else {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n"
    };
    const FOOT: &str = "</urlset>\n";
    // Each file: its text, how many URLs it holds, and the newest lastmod of them (the index's
    // lastmod for it). The last part is pushed even when empty, so a site with no pages still
    // writes a valid urlset; a URL too big for the byte limit gets a part of its own.
    struct Part {
        text: String,
        urls: usize,
        newest: Option<jiff::civil::Date>,
    }
    let part = || Part {
        text: head.to_string(),
        urls: 0,
        newest: None,
    };
    let mut files = Vec::new();
    let mut cur = part();
    for e in &entries {
        let url = sitemap_url(e);
        let full =
            cur.urls == limits.urls || cur.text.len() + url.len() + FOOT.len() > limits.bytes;
        if full && cur.urls > 0 {
            files.push(std::mem::replace(&mut cur, part()));
        }
        cur.text.push_str(&url);
        cur.urls += 1;
        cur.newest = cur.newest.max(e.lastmod);
    }
    files.push(cur);
    for f in &mut files {
        f.text.push_str(FOOT);
    }
    if let [only] = files.as_mut_slice() {
        return vec![Output {
            path: SITEMAP_FILE.into(),
            bytes: std::mem::take(&mut only.text).into_bytes(),
        }];
    }
    let mut index = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    let mut out = Vec::with_capacity(files.len() + 1);
    for (n, Part { text, newest, .. }) in files.into_iter().enumerate() {
        let path = format!("sitemap-{}.xml", n + 1);
        let loc = encode_url(&site.permalink(&path));
        let _ = write!(index, "  <sitemap>\n    <loc>{}</loc>\n", xml_escape(&loc));
        if let Some(d) = newest {
            let _ = writeln!(index, "    <lastmod>{d}</lastmod>");
        }
        index.push_str("  </sitemap>\n");
        out.push(Output {
            path,
            bytes: text.into_bytes(),
        });
    }
    index.push_str("</sitemapindex>\n");
    out.insert(
        0,
        Output {
            path: SITEMAP_FILE.into(),
            bytes: index.into_bytes(),
        },
    );
    out
}

/// One `<url>` element, as the sitemap writes it.
fn sitemap_url(e: &SitemapEntry) -> String {
    let mut s = String::new();
    let _ = write!(s, "  <url>\n    <loc>{}</loc>\n", xml_escape(&e.loc));
    for (code, href) in &e.alternates {
        let _ = writeln!(
            s,
            "    <xhtml:link rel=\"alternate\" hreflang=\"{}\" href=\"{}\"/>",
            xml_escape(code),
            xml_escape(href)
        );
    }
    if let Some(d) = e.lastmod {
        let _ = writeln!(s, "    <lastmod>{d}</lastmod>");
    }
    s.push_str("  </url>\n");
    s
}

/// Every page a reader can land on, sorted by URL.
fn sitemap_entries(site: &Site, views: &Views, jobs: &[Job]) -> Vec<SitemapEntry> {
    let all: Vec<usize> = (0..site.pages.len())
        .filter(|&i| published(site, i))
        .collect();
    let site_newest = newest(site, &all);
    let mut entries: Vec<SitemapEntry> = Vec::new();
    for job in jobs {
        let mut content_path = None;
        let (path, lastmod) = match job {
            Job::Page(i) if published(site, *i) => {
                content_path = Some(site.pages[*i].content_path.as_str());
                (site.pages[*i].path.clone(), page_date(site, *i))
            }
            // The 404 page is not a page anyone should land on from a search.
            Job::Generated(g) if g.path().ends_with(".html") => continue,
            // Generated pages list the whole site, so they change when any page does.
            Job::Generated(g) => (g.path().to_string(), site_newest),
            Job::Tag(t) => match views.tags.get(*t) {
                Some((name, pages)) => {
                    let pages: Vec<usize> = pages
                        .iter()
                        .copied()
                        .filter(|&i| published(site, i))
                        .collect();
                    (
                        format!("tags/{}/", crate::text::slugify(name)),
                        newest(site, &pages),
                    )
                }
                None => continue,
            },
            // Drafts; pages past the first of a list, redirects and files are not pages to
            // land on.
            Job::Page(_)
            | Job::Pager { .. }
            | Job::Alias { .. }
            | Job::SearchIndex
            | Job::PagesFiles => continue,
        };
        let alternates = if site.edition.several() {
            site.editions_of(&path, content_path)
                .into_iter()
                .filter(|e| e.translated)
                .map(|e| (e.code, encode_url(&e.permalink)))
                .collect()
        } else {
            Vec::new()
        };
        entries.push(SitemapEntry {
            loc: encode_url(&site.permalink(&path)),
            lastmod,
            alternates,
        });
    }
    entries.sort_by(|a, b| a.loc.cmp(&b.loc));
    entries.dedup_by(|a, b| a.loc == b.loc);
    entries
}

/// One `<entry>` of a feed.
struct FeedEntry {
    id: String,
    title: String,
    link: String,
    published: Option<jiff::civil::Date>,
    updated: jiff::civil::Date,
    body: EntryBody,
    categories: Vec<String>,
}

/// What an entry says: a summary of a page, or the whole of a short text (a correction).
enum EntryBody {
    Summary(String),
    Content(String),
}

/// What a feed is, beside its entries. URLs are absolute and encoded.
struct FeedHead {
    title: String,
    subtitle: Option<String>,
    /// Its `<id>`, and the page it is the feed of.
    id: String,
    alternate: String,
    /// Where the feed itself is.
    self_url: String,
}

/// The first day a partial date can mean: "2023" is 1 January 2023.
fn first_day(d: &PartialDate) -> jiff::civil::Date {
    jiff::civil::Date::new(d.year, d.month.unwrap_or(1), d.day.unwrap_or(1)).unwrap_or_default()
}

/// An Atom date-time. Content has dates only, so every entry is stamped at midnight UTC.
fn atom_time(d: jiff::civil::Date) -> String {
    format!("{d}T00:00:00Z")
}

fn short_hash(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        // A separator, so that ("ab", "c") and ("a", "bc") differ.
        h.update([0u8]);
    }
    h.finalize()
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The first `n` words of a text, for pages without a summary.
fn first_words(text: &str, n: usize) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut s = words.iter().take(n).copied().collect::<Vec<_>>().join(" ");
    if words.len() > n {
        s.push('…');
    }
    s
}

/// `atom.xml`: every topic, and the most recent timeline events, newest first (see [`atom`]).
pub fn feed(site: &Site) -> String {
    // Timeline dates in the summaries are written in the site's language.
    let locale = crate::locale::Locale::get(&site.config.language)
        .unwrap_or_else(|_| crate::locale::Locale::english());
    let mut entries: Vec<FeedEntry> = Vec::new();
    let all: Vec<usize> = (0..site.pages.len())
        .filter(|&i| published(site, i))
        .collect();
    let site_newest = newest(site, &all);
    for &i in &all {
        let page = &site.pages[i];
        // An edition's feed carries the topics it has in its own language.
        if page.kind != PageKind::Page || page.section != "topics" || site.elsewhere(i) {
            continue;
        }
        let m = &page.meta;
        let link = encode_url(&site.permalink(&page.path));
        let summary = match m
            .summary
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(s) => s.to_string(),
            None => first_words(
                site.rendered.get(i).map(|r| r.text.as_str()).unwrap_or(""),
                60,
            ),
        };
        // An undated topic takes the newest date of the site: Atom requires `updated`.
        let updated = page_date(site, i).or(site_newest).unwrap_or_default();
        entries.push(FeedEntry {
            id: link.clone(),
            title: m.title.clone(),
            link,
            published: m.date.as_ref().map(|d| d.0),
            updated,
            body: EntryBody::Summary(summary),
            categories: m.tags.clone(),
        });
    }
    let mut events: Vec<FeedEntry> = Vec::new();
    for &i in &all {
        let page = &site.pages[i];
        if site.elsewhere(i) {
            continue;
        }
        let link = encode_url(&site.permalink(&page.path));
        for t in &page.meta.timeline {
            let date = first_day(&t.date);
            // Stable across builds and across reordering of the timeline; changes only when the
            // event itself is reworded, which readers may well want to see again. The page is
            // named by its short id, as it was before ids followed folders, so that feed readers
            // do not see every event again; the date and the wording keep entries apart.
            let id = format!(
                "{}#event-{}-{}",
                encode_url(&site.permalink("timeline/")),
                t.date.iso(),
                short_hash(&[crate::site::short_id(&page.id), &t.date.iso(), &t.event])
            );
            events.push(FeedEntry {
                id,
                title: first_words(&t.event, 16),
                link: link.clone(),
                published: Some(date),
                updated: date,
                body: EntryBody::Summary(format!(
                    "{}: {} ({})",
                    t.date.display_in(&locale).unwrap_or_else(|_| t.date.iso()),
                    t.event.trim(),
                    page.meta.title
                )),
                categories: vec!["timeline".into()],
            });
        }
    }
    events.sort_by(|a, b| b.updated.cmp(&a.updated).then_with(|| a.id.cmp(&b.id)));
    events.truncate(FEED_TIMELINE_LIMIT);
    entries.extend(events);
    let c = &site.config;
    let home = encode_url(&site.permalink(""));
    let head = FeedHead {
        title: c.title.clone(),
        subtitle: Some(c.description.trim().to_string()).filter(|d| !d.is_empty()),
        id: home.clone(),
        alternate: home,
        self_url: encode_url(&site.permalink(FEED_FILE)),
    };
    atom(site, &head, entries, site_newest)
}

/// `corrections/atom.xml`: the newest corrections of the pages the edition has in its own
/// language, newest first, one entry each, with the correction's text as its content.
///
/// An entry's id is its page's URL, the correction's day and its place among that page's
/// corrections of the day: adding a correction on another day or rewording one leaves every id as
/// it was, so feed readers show a reworded correction as updated, not as new.
pub fn corrections_feed(site: &Site, strings: &crate::render::i18n::Strings) -> String {
    let lang = &site.config.language;
    let ui = |key: &str, args: &[(&str, String)]| {
        strings
            .format(lang, key, None, args, &|t| Ok(t.to_string()))
            .unwrap_or_else(|_| strings.plain(lang, key).unwrap_or_default())
    };
    let all: Vec<usize> = (0..site.pages.len())
        .filter(|&i| published(site, i))
        .collect();
    let mut entries: Vec<FeedEntry> = Vec::new();
    for &i in &all {
        if site.elsewhere(i) {
            continue;
        }
        let page = &site.pages[i];
        let permalink = encode_url(&site.permalink(&page.path));
        let mut seen: Vec<(jiff::civil::Date, usize)> = Vec::new();
        for c in &page.meta.corrections {
            let date = c.date.0;
            let n = match seen.iter_mut().find(|(d, _)| *d == date) {
                Some((_, n)) => {
                    *n += 1;
                    *n
                }
                None => {
                    seen.push((date, 1));
                    1
                }
            };
            entries.push(FeedEntry {
                id: format!("{permalink}#correction-{date}-{n}"),
                title: ui(
                    "corrections_feed_entry",
                    &[("title", page.meta.title.clone())],
                ),
                link: format!("{permalink}#{}", crate::views::CORRECTIONS_ANCHOR),
                published: Some(date),
                updated: date,
                body: EntryBody::Content(c.text.trim().to_string()),
                categories: Vec::new(),
            });
        }
    }
    entries.sort_by(|a, b| b.updated.cmp(&a.updated).then_with(|| a.id.cmp(&b.id)));
    entries.truncate(FEED_CORRECTIONS_LIMIT);
    let page = encode_url(&site.permalink(Generated::Corrections.path()));
    let head = FeedHead {
        title: ui(
            "corrections_feed_title",
            &[("site", site.config.title.clone())],
        ),
        subtitle: Some(ui("corrections_lede", &[])).filter(|s| !s.is_empty()),
        id: page.clone(),
        alternate: page,
        self_url: encode_url(&site.permalink(CORRECTIONS_FEED_FILE)),
    };
    atom(site, &head, entries, newest(site, &all))
}

/// Writes an Atom feed: its entries newest first, stamped with the newest of their dates (or
/// `fallback`, the newest date of the site, when it has none), never with the build time: two
/// builds of the same content are byte-identical, and feed readers see a change only when the
/// content changed.
fn atom(
    site: &Site,
    head: &FeedHead,
    mut entries: Vec<FeedEntry>,
    fallback: Option<jiff::civil::Date>,
) -> String {
    entries.sort_by(|a, b| b.updated.cmp(&a.updated).then_with(|| a.id.cmp(&b.id)));
    let feed_updated = entries
        .iter()
        .map(|e| e.updated)
        .max()
        .or(fallback)
        .unwrap_or_default();
    let c = &site.config;
    let author = if c.publisher.trim().is_empty() {
        &c.title
    } else {
        &c.publisher
    };

    let mut s = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    let _ = writeln!(
        s,
        "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{}\">",
        xml_escape(&c.language)
    );
    let _ = writeln!(s, "  <title>{}</title>", xml_escape(&head.title));
    if let Some(sub) = &head.subtitle {
        let _ = writeln!(s, "  <subtitle>{}</subtitle>", xml_escape(sub));
    }
    let _ = writeln!(s, "  <id>{}</id>", xml_escape(&head.id));
    let _ = writeln!(
        s,
        "  <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>",
        xml_escape(&head.alternate)
    );
    let _ = writeln!(
        s,
        "  <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>",
        xml_escape(&head.self_url)
    );
    let _ = writeln!(s, "  <updated>{}</updated>", atom_time(feed_updated));
    let _ = writeln!(s, "  <author><name>{}</name></author>", xml_escape(author));
    s.push_str("  <generator>bilat</generator>\n");
    for e in &entries {
        s.push_str("  <entry>\n");
        let _ = writeln!(s, "    <title>{}</title>", xml_escape(&e.title));
        let _ = writeln!(s, "    <id>{}</id>", xml_escape(&e.id));
        let _ = writeln!(
            s,
            "    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>",
            xml_escape(&e.link)
        );
        if let Some(p) = e.published {
            let _ = writeln!(s, "    <published>{}</published>", atom_time(p));
        }
        let _ = writeln!(s, "    <updated>{}</updated>", atom_time(e.updated));
        match &e.body {
            EntryBody::Summary(t) => {
                let _ = writeln!(s, "    <summary>{}</summary>", xml_escape(t));
            }
            EntryBody::Content(t) => {
                let _ = writeln!(s, "    <content type=\"text\">{}</content>", xml_escape(t));
            }
        }
        for cat in &e.categories {
            let _ = writeln!(s, "    <category term=\"{}\"/>", xml_escape(cat));
        }
        s.push_str("  </entry>\n");
    }
    s.push_str("</feed>\n");
    s
}

/// Escapes text for XML element content and attribute values, and drops the characters XML 1.0
/// forbids (control characters other than tab and newlines), which would make the file unparseable.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes what may not stand in a URL as-is (non-ASCII letters in slugs, spaces), leaving
/// reserved characters and existing `%XX` escapes alone: sitemaps and feeds need plain-ASCII URLs.
pub fn encode_url(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    for b in url.bytes() {
        let keep = b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=%".contains(&b);
        if keep {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_xml() {
        assert_eq!(
            xml_escape("a&b<c>\"d'\u{1}"),
            "a&amp;b&lt;c&gt;&quot;d&apos;"
        );
    }

    #[test]
    fn encodes_urls() {
        assert_eq!(
            encode_url("https://x.org/b/тег/a b/"),
            "https://x.org/b/%D1%82%D0%B5%D0%B3/a%20b/"
        );
        assert_eq!(
            encode_url("https://x.org/a%20b/?q=1#f"),
            "https://x.org/a%20b/?q=1#f"
        );
    }

    #[test]
    fn partial_dates_start_on_their_first_day() {
        let d = PartialDate::parse("2023-12").map(|d| first_day(&d).to_string());
        assert_eq!(d.as_deref(), Ok("2023-12-01"));
    }
}
