//! What templates see: borrowed, serializable views of the site model (as Zola's `ser.rs`).
//!
//! Page summaries and the site-wide `explainer` lists are converted to Tera values once per build
//! and shared by reference count, so no page's context holds a copy of the whole site.

use crate::chart::NumberFormat;
use crate::content::{Page, PageKind};
use crate::fingerprint::Fingerprinter;
use crate::frontmatter::{Caveat, Figure, NextItem};
use crate::markdown::Rendered;
use crate::registry::{Person, Source};
use crate::render::{ListsRead, Templates};
pub use crate::site::ordered;
use crate::site::Site;
use crate::text::{slugify, Day, PartialDate};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use tera::{Context, Value};

/// Converts a view to a Tera value. Views hold only strings, numbers, lists and maps, which
/// always convert; the fallback keeps a bug from ever becoming a panic.
pub fn value<T: Serialize>(v: &T) -> Value {
    Value::try_from_serializable(v).unwrap_or_else(|_| Value::none())
}

#[derive(Serialize)]
pub struct TagRef<'a> {
    pub name: &'a str,
    pub slug: String,
    pub url: String,
}

#[derive(Serialize)]
struct Summary<'a> {
    id: &'a str,
    kind: PageKind,
    title: &'a str,
    summary: Option<&'a str>,
    url: String,
    permalink: String,
    date: Option<&'a Day>,
    updated: Option<&'a Day>,
    weight: Option<i64>,
    section: &'a str,
    tags: Vec<TagRef<'a>>,
    extra: &'a serde_yaml::Mapping,
    /// Set when an edition lists a page it has no words for: the language (code and name) the
    /// page is read in, for a label and `hreflang` on the link.
    #[serde(skip_serializing_if = "Option::is_none")]
    read_in: Option<LanguageRef<'a>>,
}

/// A language by its code and its name in itself.
#[derive(Serialize, Clone, Copy)]
struct LanguageRef<'a> {
    code: &'a str,
    name: &'a str,
}

/// The default edition's language, where page `page` is read instead of the edition's own.
fn read_in<'a>(site: &'a Site, page: &Page) -> Option<LanguageRef<'a>> {
    if page.in_edition != crate::content::InEdition::Untranslated {
        return None;
    }
    site.edition.all.first().map(|e| LanguageRef {
        code: &e.code,
        name: &e.name,
    })
}

/// A source as cited somewhere: `n` is its number in the list it belongs to, `href` where that
/// list is, `bib` its entry in the site bibliography (on whichever page of it shows the entry).
#[derive(Serialize, Clone)]
pub struct SourceRef<'a> {
    #[serde(flatten)]
    pub source: &'a Source,
    pub n: usize,
    pub anchor: String,
    pub href: String,
    pub bib: String,
}

#[derive(Serialize)]
struct CaveatView<'a> {
    text: &'a str,
    source: Option<Value>,
}

#[derive(Serialize)]
struct FigureView<'a> {
    label: &'a str,
    value: &'a str,
    unit: Option<&'a str>,
    period: Option<&'a str>,
    as_of: Option<&'a str>,
    source: Option<Value>,
    caveat: Option<CaveatView<'a>>,
    /// The drawn series, or none: `{kind, svg, desc}`.
    chart: Option<ChartView>,
    series: Vec<PointView<'a>>,
    /// The party whose series this is (`{name, code, colour}`), or none.
    party: Option<&'a crate::config::Party>,
}

#[derive(Serialize)]
struct ChartView {
    kind: crate::chart::ChartKind,
    svg: Value,
    desc: String,
}

#[derive(Serialize)]
struct PointView<'a> {
    period: &'a str,
    value: f64,
    /// The value in the site's number format, as the chart writes it.
    display: String,
    sources: Vec<Value>,
}

#[derive(Serialize)]
struct PersonRef<'a> {
    #[serde(flatten)]
    person: &'a Person,
    url: String,
}

#[derive(Serialize)]
struct QuoteView<'a> {
    speaker: Option<PersonRef<'a>>,
    text: &'a str,
    date: Option<&'a PartialDate>,
    source: Option<Value>,
    context: Option<&'a str>,
    caveat: Option<CaveatView<'a>>,
    page: Option<Value>,
    /// The language the quote was published in, when it is not the page's: its wording stays
    /// as published, marked with `lang`.
    #[serde(skip_serializing_if = "Option::is_none")]
    lang: Option<LanguageRef<'a>>,
    /// A published translation into the page's language, with who made it.
    #[serde(skip_serializing_if = "Option::is_none")]
    translation: Option<QuoteTranslationView<'a>>,
}

#[derive(Serialize)]
struct QuoteTranslationView<'a> {
    text: &'a str,
    by: &'a str,
    source: Option<Value>,
}

/// The language a quote was published in, when the page being rendered is in another one.
fn quote_language<'a>(site: &'a Site, q: &'a crate::frontmatter::Quote) -> Option<LanguageRef<'a>> {
    let code = q
        .language
        .as_deref()
        .unwrap_or_else(|| site.edition.default_code());
    if code == site.config.language {
        return None;
    }
    let name = site
        .edition
        .all
        .iter()
        .find(|e| e.code == code)
        .map_or(code, |e| e.name.as_str());
    Some(LanguageRef { code, name })
}

#[derive(Serialize)]
struct PositionItem<'a> {
    text: &'a str,
    source: Option<Value>,
}

#[derive(Serialize)]
struct PositionView<'a> {
    party: &'a crate::config::Party,
    items: Vec<PositionItem<'a>>,
}

#[derive(Serialize)]
struct TimelineView<'a> {
    date: &'a PartialDate,
    event: &'a str,
    source: Option<Value>,
    caveat: Option<CaveatView<'a>>,
    page: Option<Value>,
}

#[derive(Serialize)]
struct OutcomeView<'a> {
    text: &'a str,
    source: Option<Value>,
}

#[derive(Serialize)]
struct NextView<'a> {
    what: &'a str,
    expected: &'a PartialDate,
    source: Option<Value>,
    outcome: Option<OutcomeView<'a>>,
    overdue: bool,
    page: Option<Value>,
}

/// Resolves source ids to views: numbered per page on topic pages, by registry order elsewhere.
struct SourceLookup<'s> {
    site: &'s Site,
    paging: &'s Paging,
    /// id → number on this page; `None` means the site-wide bibliography.
    numbers: Option<HashMap<&'s str, usize>>,
    /// Each source converted once, shared by every citation of it.
    shared: std::borrow::Cow<'s, HashMap<String, Value>>,
}

impl<'s> SourceLookup<'s> {
    /// For one page's numbered source list. Each source the page cites is converted once: its
    /// figures, quotes and timeline cite the same few sources again and again.
    fn numbered(site: &'s Site, paging: &'s Paging, numbers: HashMap<&'s str, usize>) -> Self {
        let mut lookup = SourceLookup {
            site,
            paging,
            numbers: Some(numbers),
            shared: Default::default(),
        };
        let shared = lookup
            .numbers
            .iter()
            .flat_map(|n| n.keys())
            .filter_map(|id| Some((id.to_string(), value(&lookup.get_ref(id)?))))
            .collect();
        lookup.shared = std::borrow::Cow::Owned(shared);
        lookup
    }

    /// Every source as the site-wide lists cite it: linked to its bibliography entry.
    fn site_wide_values(site: &Site, paging: &Paging) -> HashMap<String, Value> {
        let lookup = SourceLookup {
            site,
            paging,
            numbers: None,
            shared: Default::default(),
        };
        site.registries
            .sources
            .items
            .iter()
            .filter_map(|s| Some((s.id.clone(), value(&lookup.get_ref(&s.id)?))))
            .collect()
    }

    /// For the site-wide lists, which link into the bibliography.
    fn site_wide(site: &'s Site, views: &'s Views) -> Self {
        SourceLookup {
            site,
            paging: &views.paging,
            numbers: None,
            shared: std::borrow::Cow::Borrowed(&views.sources),
        }
    }

    fn get(&self, id: &str) -> Option<Value> {
        match self.shared.get(id) {
            Some(v) => Some(v.clone()),
            None => self.get_ref(id).map(|r| value(&r)),
        }
    }

    fn get_ref(&self, id: &str) -> Option<SourceRef<'s>> {
        let regs = &self.site.registries.sources;
        let source = regs.get(id)?;
        let position = regs.position(id).unwrap_or(0);
        let bib = self
            .paging
            .entry_url(self.site, List::Sources, position, id);
        Some(match &self.numbers {
            Some(nums) => SourceRef {
                source,
                n: nums.get(id).copied().unwrap_or(0),
                anchor: format!("src-{id}"),
                href: format!("#src-{id}"),
                bib,
            },
            None => SourceRef {
                source,
                n: position + 1,
                anchor: id.to_string(),
                href: bib.clone(),
                bib,
            },
        })
    }

    fn caveat(&self, c: &'s Option<Caveat>) -> Option<CaveatView<'s>> {
        c.as_ref().map(|c| CaveatView {
            text: &c.text,
            source: self.get(&c.source),
        })
    }

    /// Figure `n` (from 1) of a page; a figure with a series gets its chart drawn here.
    fn figure(
        &self,
        f: &'s Figure,
        n: usize,
        numbers: &NumberFormat,
        words: &crate::chart::Words,
    ) -> FigureView<'s> {
        use crate::chart;
        let decimals = f.decimals.unwrap_or(chart::DEFAULT_DECIMALS);
        let chart = (!f.series.is_empty()).then(|| {
            let id = format!("chart-{n}");
            let kind = f.chart.unwrap_or_default();
            let drawn = chart::draw(
                &chart::Spec {
                    id: &id,
                    title: &f.label,
                    unit: f.unit.as_deref(),
                    kind,
                    points: f
                        .series
                        .iter()
                        .map(|p| (p.period.as_str(), p.value))
                        .collect(),
                    decimals,
                },
                numbers,
                words,
            );
            ChartView {
                kind,
                svg: Value::safe_string(&drawn.svg),
                desc: drawn.desc,
            }
        });
        FigureView {
            label: &f.label,
            value: &f.value,
            unit: f.unit.as_deref(),
            period: f.period.as_deref(),
            as_of: f.as_of.as_deref(),
            source: self.get(&f.source),
            caveat: self.caveat(&f.caveat),
            chart,
            series: f
                .series
                .iter()
                .map(|p| PointView {
                    period: &p.period,
                    value: p.value,
                    display: numbers.format(p.value, decimals),
                    sources: f
                        .point_sources(p)
                        .into_iter()
                        .filter_map(|id| self.get(id))
                        .collect(),
                })
                .collect(),
            party: f
                .party
                .as_deref()
                .and_then(|c| self.site.config.parties.iter().find(|p| p.code == c)),
        }
    }

    fn next(&self, n: &'s NextItem, page: Option<Value>) -> NextView<'s> {
        NextView {
            what: &n.what,
            expected: &n.expected,
            source: self.get(&n.source),
            outcome: n.outcome.as_ref().map(|o| OutcomeView {
                text: &o.text,
                source: self.get(&o.source),
            }),
            overdue: n.outcome.is_none() && self.site.is_past(&n.expected),
            page,
        }
    }
}

/// Every source a page cites, in order: body citations first, then front matter.
pub fn page_sources<'p>(page: &'p Page, cited: &'p [String]) -> Vec<&'p str> {
    let mut ids: Vec<&str> = cited.iter().map(String::as_str).collect();
    for (id, _) in page.meta.cited_sources() {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

/// Everything converted once per build.
pub struct Views {
    pub site: Value,
    pub summaries: Vec<Value>,
    /// The site-wide lists that some template reads whole (`explainer.topics` …); lists read only
    /// page by page through `paginator` are converted a page at a time instead.
    pub explainer: Value,
    /// Tag name → pages carrying it, sorted by name.
    pub tags: Vec<(String, Vec<usize>)>,
    /// Every site-wide list, in order, as indices into the model.
    pub lists: Lists,
    pub paging: Paging,
    /// Each source as the site-wide lists cite it, converted once: the timeline and people lists
    /// cite the same sources thousands of times on a large site.
    sources: HashMap<String, Value>,
    /// Numbers (chart values) in the format of site.yaml's `language`.
    pub numbers: NumberFormat,
    /// The words of a chart's trend sentence in that language.
    pub chart_words: crate::chart::Words,
    /// Each tag's `term` and its fingerprint, made the first time a page of the tag asks: every
    /// page of a paginated tag shows the same term (all of its pages), and converting and
    /// fingerprinting it again for each was most of a rebuild's work.
    tag_terms: Vec<std::sync::OnceLock<(Value, std::sync::OnceLock<Option<u128>>)>>,
    /// The fingerprint of each section's pages, made the first time one of its pages asks.
    children_fingerprints: HashMap<usize, std::sync::OnceLock<Option<u128>>>,
}

/// The site-wide lists as indices into the model: cheap to hold whole on any size of site, and
/// converted to template values only for the items a page shows.
#[derive(Debug, Default)]
pub struct Lists {
    /// Pages of the `topics` section in display order.
    pub topics: Vec<usize>,
    /// (page, index in its `timeline`), oldest first.
    pub timeline: Vec<(usize, usize)>,
    /// (page, index in its `next`), soonest first.
    pub next: Vec<(usize, usize)>,
    /// (term, pages that use it), alphabetical.
    pub glossary: Vec<(usize, Vec<usize>)>,
    /// In people.yaml order.
    pub people: Vec<PersonEntry>,
    /// (source, pages citing it), in sources.yaml order.
    pub sources: Vec<(usize, Vec<usize>)>,
    /// The direct children of each section and of the home, in display order.
    pub children: HashMap<usize, Vec<usize>>,
    /// (page, index in its `corrections`), newest first.
    pub corrections: Vec<(usize, usize)>,
}

/// A person of the people list: their index in people.yaml, their quotes as (page, index in its
/// `quotes`), the pages quoting them.
#[derive(Debug)]
pub struct PersonEntry {
    pub person: usize,
    pub quotes: Vec<(usize, usize)>,
    pub pages: Vec<usize>,
}

/// A site-wide list: a field of `explainer` in templates, and what a generated page may show a
/// page at a time. Every `match` on it is exhaustive, so a new list is one variant here and the
/// compiler names each place that must say how to build, count, convert and invalidate it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum List {
    Topics,
    Timeline,
    /// The newest timeline entries ([`LATEST`] of them), newest first.
    Latest,
    Next,
    Glossary,
    People,
    Sources,
    Tags,
    /// Every correction of every page, newest first.
    Corrections,
}

/// `ALL`: every variant of a fieldless enum, in declaration order, checked by the compiler: the
/// exhaustive match fails to compile when a variant is missing from the list.
macro_rules! every_variant {
    ($ty:ident: $($v:ident),+ $(,)?) => {
        impl $ty {
            pub const ALL: [$ty; [$($ty::$v),+].len()] = [$($ty::$v),+];
        }
        const _: () = {
            #[allow(dead_code)]
            fn listed(x: $ty) {
                match x {
                    $($ty::$v)|+ => {}
                }
            }
        };
    };
}

// The order `explainer` holds the lists in.
every_variant!(List: Topics, Timeline, Latest, Next, Glossary, People, Sources, Tags, Corrections);
// The order generated pages are planned in.
every_variant!(
    Generated: Timeline,
    Glossary,
    People,
    Sources,
    Tags,
    Corrections,
    Search,
    NotFound
);

impl List {
    /// The name templates read it by: `explainer.<name>`.
    pub fn name(self) -> &'static str {
        match self {
            List::Topics => "topics",
            List::Timeline => "timeline",
            List::Latest => "latest",
            List::Next => "next",
            List::Glossary => "glossary",
            List::People => "people",
            List::Sources => "sources",
            List::Tags => "tags",
            List::Corrections => "corrections",
        }
    }

    /// Whether its entries stay where they are whatever an edit does: their order is the
    /// registry's (sources.yaml, people.yaml), so a paginated page of them changes only if one of
    /// its own entries does.
    pub fn fixed(self) -> bool {
        match self {
            List::Sources | List::People => true,
            List::Topics
            | List::Timeline
            | List::Latest
            | List::Next
            | List::Glossary
            | List::Tags
            | List::Corrections => false,
        }
    }

    /// Whether an edit of one page changes what this list holds of the page, other than its
    /// summary (compared whole by the caller, see [`summary_changed`]).
    fn changed_by(self, old: &Page, old_r: &Rendered, new: &Page, new_r: &Rendered) -> bool {
        let (a, b) = (&old.meta, &new.meta);
        match self {
            // Their entries are page summaries, ordered and grouped by summary fields.
            List::Topics | List::Tags => false,
            List::Timeline | List::Latest => a.timeline != b.timeline,
            List::Next => a.next != b.next,
            List::People => a.quotes != b.quotes,
            List::Glossary => old_r.terms != new_r.terms,
            List::Corrections => a.corrections != b.corrections,
            List::Sources => {
                page_sources(old, &old_r.citations) != page_sources(new, &new_r.citations)
            }
        }
    }
}

/// A page made from its own template rather than from a content file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Generated {
    Timeline,
    Glossary,
    People,
    Sources,
    Tags,
    Corrections,
    Search,
    NotFound,
}

impl Generated {
    /// The layout it is rendered with; a site without it has no such page.
    pub fn template(self) -> &'static str {
        match self {
            Generated::Timeline => "timeline.html",
            Generated::Glossary => "glossary.html",
            Generated::People => "people.html",
            Generated::Sources => "sources.html",
            Generated::Tags => "taxonomy.html",
            Generated::Corrections => "corrections.html",
            Generated::Search => "search.html",
            Generated::NotFound => "404.html",
        }
    }

    /// Its site path.
    pub fn path(self) -> &'static str {
        match self {
            Generated::Timeline => "timeline/",
            Generated::Glossary => "glossary/",
            Generated::People => "people/",
            Generated::Sources => "sources/",
            Generated::Tags => "tags/",
            Generated::Corrections => "corrections/",
            Generated::Search => "search/",
            Generated::NotFound => "404.html",
        }
    }

    /// The key of its title in the tables of UI strings (`layouts/i18n/<lang>.yaml`), so that each
    /// edition's page is titled in its language; the layouts use the same keys for links to it.
    pub fn title_key(self) -> &'static str {
        match self {
            Generated::Timeline => "timeline",
            Generated::Glossary => "glossary",
            Generated::People => "people",
            Generated::Sources => "sources",
            Generated::Tags => "tags",
            Generated::Corrections => "corrections_page",
            Generated::Search => "search",
            Generated::NotFound => "not_found",
        }
    }

    /// Its English title, where [`Generated::title_key`] gives no plain text: the built-in tables
    /// all have the key, so only a site's own table whose text needs arguments ends up here.
    pub fn title(self) -> &'static str {
        match self {
            Generated::Timeline => "Timeline",
            Generated::Glossary => "Glossary",
            Generated::People => "People",
            Generated::Sources => "Sources",
            Generated::Tags => "Tags",
            Generated::Corrections => "Corrections",
            Generated::Search => "Search",
            Generated::NotFound => "Page not found",
        }
    }

    /// The site-wide list it shows, a page at a time if its template reads `paginator`. The
    /// glossary is not paginated: Markdown links terms to `glossary/#id` before the templates
    /// are known, and a glossary is a few hundred terms at most.
    pub fn list(self) -> Option<List> {
        match self {
            Generated::Timeline => Some(List::Timeline),
            Generated::People => Some(List::People),
            Generated::Sources => Some(List::Sources),
            Generated::Tags => Some(List::Tags),
            Generated::Corrections => Some(List::Corrections),
            Generated::Glossary | Generated::Search | Generated::NotFound => None,
        }
    }
}

/// How many timeline entries `explainer.latest` holds, newest first.
const LATEST: usize = 5;

/// How long lists are split into pages of `per_page` items: `timeline/`, `timeline/page/2/` ….
#[derive(Debug, Clone)]
pub struct Paging {
    pub per_page: usize,
    /// The generated lists whose template reads `paginator` (`timeline`, `sources` …).
    pub paged: HashSet<List>,
}

impl Paging {
    fn of(site: &Site, templates: &Templates) -> Paging {
        Paging {
            // site.yaml refuses 0; a page of at least one item keeps the arithmetic below safe.
            per_page: site.config.paginate_by.max(1),
            paged: Generated::ALL
                .iter()
                .filter_map(|g| g.list().filter(|_| templates.paginates(g.template())))
                .collect(),
        }
    }

    /// How many pages a list of `items` fills (one, even when empty).
    pub fn pages(&self, items: usize) -> usize {
        items.div_ceil(self.per_page).max(1)
    }

    /// The site path of page `number` (from 1) of the list page at `path`.
    pub fn page_path(path: &str, number: usize) -> String {
        if number <= 1 {
            path.to_string()
        } else {
            format!("{path}page/{number}/")
        }
    }

    /// The URL of the entry at `position` of a generated list, on whichever page shows it.
    fn entry_url(&self, site: &Site, list: List, position: usize, anchor: &str) -> String {
        let number = if self.paged.contains(&list) {
            position / self.per_page + 1
        } else {
            1
        };
        format!(
            "{}#{anchor}",
            site.url(&Paging::page_path(&format!("{}/", list.name()), number))
        )
    }
}

fn tag_ref<'a>(site: &Site, name: &'a str) -> TagRef<'a> {
    let slug = slugify(name);
    let url = format!("{}tags/{slug}/", site.base_path);
    TagRef { name, slug, url }
}

fn summary(site: &Site, page: &Page) -> Value {
    let m = &page.meta;
    value(&Summary {
        id: &page.id,
        kind: page.kind,
        title: &m.title,
        summary: m.summary.as_deref(),
        url: site.url(&page.path),
        permalink: site.permalink(&page.path),
        date: m.date.as_ref(),
        updated: m.updated.as_ref(),
        weight: m.weight,
        section: &page.section,
        tags: m.tags.iter().map(|t| tag_ref(site, t)).collect(),
        extra: &m.extra,
        read_in: read_in(site, page),
    })
}

#[derive(Serialize)]
struct SiteView<'a> {
    title: &'a str,
    description: &'a str,
    base_url: &'a str,
    base_path: &'a str,
    language: &'a str,
    /// `ltr` or `rtl`, from the language (see [`crate::locale::direction`]), for `<html dir>`.
    dir: &'static str,
    publisher: &'a str,
    parties: &'a [crate::config::Party],
    menu: Vec<MenuView<'a>>,
    feed: bool,
    sitemap: bool,
    search: bool,
    extra: &'a serde_yaml::Mapping,
}

#[derive(Serialize)]
struct MenuView<'a> {
    title: &'a str,
    url: String,
}

pub fn build(site: &Site, templates: &Templates) -> Views {
    build_reusing(site, templates, None)
}

/// Whether an edit changed a page's summary, which every list holding the page shows: the two
/// summary views are compared, so a field added to [`Summary`] is compared too.
pub fn summary_changed(site: &Site, old: &Page, new: &Page) -> bool {
    summary(site, old) != summary(site, new)
}

/// The site-wide lists (fields of `explainer`, see [`build`]) that an edit of one page changes,
/// other than through its summary, which every list holding the page shows.
pub fn lists_changed_by(old: &Page, old_r: &Rendered, new: &Page, new_r: &Rendered) -> Vec<List> {
    List::ALL
        .into_iter()
        .filter(|l| l.changed_by(old, old_r, new, new_r))
        .collect()
}

/// For each [`List::fixed`] list, the positions of the entries an edit of one page changes: the
/// sources it stopped or started citing, the people whose quotes on it changed.
pub fn entries_changed_by(
    site: &Site,
    old: &Page,
    old_r: &Rendered,
    new: &Page,
    new_r: &Rendered,
) -> HashMap<List, HashSet<usize>> {
    let regs = &site.registries;
    let (a, b) = (
        page_sources(old, &old_r.citations),
        page_sources(new, &new_r.citations),
    );
    let sources = a
        .iter()
        .filter(|id| !b.contains(id))
        .chain(b.iter().filter(|id| !a.contains(id)))
        .filter_map(|id| regs.sources.position(id))
        .collect();
    fn quotes_of<'p>(p: &'p Page, speaker: &str) -> Vec<&'p crate::frontmatter::Quote> {
        p.meta
            .quotes
            .iter()
            .filter(|q| q.speaker == speaker)
            .collect()
    }
    let people = old
        .meta
        .quotes
        .iter()
        .chain(&new.meta.quotes)
        .map(|q| q.speaker.as_str())
        .filter(|speaker| quotes_of(old, speaker) != quotes_of(new, speaker))
        .filter_map(|speaker| regs.people.position(speaker))
        .collect();
    HashMap::from([(List::Sources, sources), (List::People, people)])
}

/// The views after an edit that changed no page summary, only the `changed` site-wide lists: the
/// summaries and the other lists are taken from `old` instead of being converted again.
pub fn rebuild(site: &Site, templates: &Templates, old: &Views, changed: &HashSet<List>) -> Views {
    build_reusing(site, templates, Some((old, changed)))
}

/// Puts every site-wide list in order, as indices.
fn collect_lists(site: &Site) -> (Lists, Vec<(String, Vec<usize>)>) {
    let mut lists = Lists {
        topics: ordered(
            site,
            (0..site.pages.len())
                .filter(|&i| {
                    site.pages[i].kind == PageKind::Page && site.pages[i].section == "topics"
                })
                .collect(),
        ),
        ..Lists::default()
    };
    let mut tags: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut term_pages: Vec<Vec<usize>> = vec![Vec::new(); site.registries.glossary.items.len()];
    let mut person_pages: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut person_quotes: HashMap<&str, Vec<(usize, usize)>> = HashMap::new();
    let mut source_pages: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, page) in site.pages.iter().enumerate() {
        let m = &page.meta;
        lists.timeline.extend((0..m.timeline.len()).map(|j| (i, j)));
        lists.next.extend((0..m.next.len()).map(|j| (i, j)));
        lists
            .corrections
            .extend((0..m.corrections.len()).map(|j| (i, j)));
        for t in &m.tags {
            tags.entry(t.clone()).or_default().push(i);
        }
        for &t in &site.rendered[i].terms {
            term_pages[t].push(i);
        }
        for (j, q) in m.quotes.iter().enumerate() {
            let pages = person_pages.entry(q.speaker.as_str()).or_default();
            if !pages.contains(&i) {
                pages.push(i);
            }
            person_quotes
                .entry(q.speaker.as_str())
                .or_default()
                .push((i, j));
        }
        for id in page_sources(page, &site.rendered[i].citations) {
            source_pages.entry(id).or_default().push(i);
        }
        if page.kind != PageKind::Page {
            lists.children.insert(i, site.children(i));
        }
    }
    let meta = |i: usize| &site.pages[i].meta;
    lists
        .timeline
        .sort_by_key(|&(i, j)| (meta(i).timeline[j].date.sort_key(), i));
    lists
        .next
        .sort_by_key(|&(i, j)| meta(i).next[j].expected.sort_key());
    // Newest first; a day's corrections in page order, each page's as its file lists them.
    lists
        .corrections
        .sort_by_key(|&(i, j)| (std::cmp::Reverse(meta(i).corrections[j].date), i, j));
    let terms = &site.registries.glossary.items;
    lists.glossary = term_pages
        .into_iter()
        .enumerate()
        .map(|(t, pages)| (t, ordered(site, pages)))
        .collect();
    lists
        .glossary
        .sort_by_key(|(t, _)| terms[*t].term.to_lowercase());
    lists.people = site
        .registries
        .people
        .items
        .iter()
        .enumerate()
        .map(|(n, p)| PersonEntry {
            person: n,
            quotes: person_quotes.remove(p.id.as_str()).unwrap_or_default(),
            pages: person_pages.remove(p.id.as_str()).unwrap_or_default(),
        })
        .collect();
    lists.sources = site
        .registries
        .sources
        .items
        .iter()
        .enumerate()
        .map(|(n, s)| (n, source_pages.remove(s.id.as_str()).unwrap_or_default()))
        .collect();
    let tags = tags
        .into_iter()
        .map(|(k, v)| (k, ordered(site, v)))
        .collect();
    (lists, tags)
}

/// The words of a chart's trend sentence in `lang`, from the tables of UI strings.
fn chart_words(strings: &crate::render::i18n::Strings, lang: &str) -> crate::chart::Words {
    crate::chart::Words::from_table(|key| match strings.raw(lang, key) {
        Some(crate::render::i18n::Text::One(t)) => Some(t.clone()),
        _ => None,
    })
}

fn build_reusing(
    site: &Site,
    templates: &Templates,
    reuse: Option<(&Views, &HashSet<List>)>,
) -> Views {
    let c = &site.config;
    let site_value = value(&SiteView {
        title: &c.title,
        description: &c.description,
        base_url: &site.base_url,
        base_path: &site.base_path,
        language: &c.language,
        dir: crate::locale::direction(&c.language).as_str(),
        publisher: &c.publisher,
        parties: &c.parties,
        menu: c
            .menu
            .iter()
            .map(|m| MenuView {
                title: &m.title,
                url: site.url(&m.path),
            })
            .collect(),
        feed: c.feed,
        sitemap: c.sitemap,
        search: c.search,
        extra: &c.extra,
    });
    let summaries: Vec<Value> = match reuse {
        Some((old, _)) => old.summaries.clone(),
        None => {
            use rayon::prelude::*;
            site.pages.par_iter().map(|p| summary(site, p)).collect()
        }
    };
    let (lists, tags) = collect_lists(site);
    let tag_terms = tags.iter().map(|_| Default::default()).collect();
    let paging = Paging::of(site, templates);
    let sources = SourceLookup::site_wide_values(site, &paging);
    let mut views = Views {
        site: site_value,
        summaries,
        explainer: Value::none(),
        tags,
        lists,
        paging,
        sources,
        numbers: NumberFormat::for_language(&c.language),
        chart_words: chart_words(&templates.strings, &c.language),
        tag_terms,
        children_fingerprints: HashMap::new(),
    };
    // Only the lists some template reads whole; the others may be far larger than the model.
    let mut read: HashSet<List> = HashSet::new();
    for r in templates.lists_read.values() {
        match r {
            ListsRead::All => read.extend(List::ALL),
            ListsRead::Some(names) => {
                read.extend(List::ALL.into_iter().filter(|l| names.contains(l.name())))
            }
        }
    }
    views.children_fingerprints = views
        .lists
        .children
        .keys()
        .map(|&k| (k, Default::default()))
        .collect();
    let items = Items::new(site, &views);
    let mut explainer = tera::Map::new();
    for list in List::ALL.into_iter().filter(|l| read.contains(l)) {
        let old = reuse.and_then(|(old, changed)| {
            if changed.contains(&list) {
                return None;
            }
            old.explainer.get_from_path(list.name()).cloned()
        });
        let v = old.unwrap_or_else(|| Value::from(items.of(list, 0..items.len(list))));
        explainer.insert(list.name().into(), v);
    }
    views.explainer = Value::from(explainer);
    views
}

#[derive(Serialize)]
struct TermView<'a> {
    #[serde(flatten)]
    term: &'a crate::registry::Term,
    url: String,
    source: Option<Value>,
    pages: Vec<Value>,
}

#[derive(Serialize)]
struct PersonView<'a> {
    #[serde(flatten)]
    person: &'a Person,
    url: String,
    quotes: Vec<QuoteView<'a>>,
    pages: Vec<Value>,
    source: Option<Value>,
}

#[derive(Serialize)]
struct BibView<'a> {
    #[serde(flatten)]
    source: SourceRef<'a>,
    pages: Vec<Value>,
}

/// A correction in the site-wide list: `url` is the corrections box of its page.
#[derive(Serialize)]
struct CorrectionView<'a> {
    date: &'a Day,
    text: &'a str,
    url: String,
    page: Value,
}

/// The id of the heading of a page's corrections box in the built-in `page.html`, which the
/// corrections page and feed link to (not `corrections`, which a heading of that name in the
/// Markdown would get).
pub const CORRECTIONS_ANCHOR: &str = "corr-h";

#[derive(Serialize)]
struct TagView<'a> {
    #[serde(flatten)]
    tag: TagRef<'a>,
    pages: Vec<Value>,
}

/// Converts the items of the site-wide lists to template values, a range at a time.
struct Items<'a> {
    site: &'a Site,
    views: &'a Views,
    lookup: SourceLookup<'a>,
}

impl<'a> Items<'a> {
    fn new(site: &'a Site, views: &'a Views) -> Self {
        Items {
            site,
            views,
            lookup: SourceLookup::site_wide(site, views),
        }
    }

    fn len(&self, list: List) -> usize {
        let l = &self.views.lists;
        match list {
            List::Topics => l.topics.len(),
            List::Timeline => l.timeline.len(),
            List::Latest => l.timeline.len().min(LATEST),
            List::Next => l.next.len(),
            List::Glossary => l.glossary.len(),
            List::People => l.people.len(),
            List::Sources => l.sources.len(),
            List::Tags => self.views.tags.len(),
            List::Corrections => l.corrections.len(),
        }
    }

    fn pages(&self, list: &[usize]) -> Vec<Value> {
        list.iter()
            .map(|&i| self.views.summaries[i].clone())
            .collect()
    }

    fn timeline(&self, (i, j): (usize, usize)) -> Value {
        let t = &self.site.pages[i].meta.timeline[j];
        value(&TimelineView {
            date: &t.date,
            event: &t.event,
            source: self.lookup.get(&t.source),
            caveat: self.lookup.caveat(&t.caveat),
            page: Some(self.views.summaries[i].clone()),
        })
    }

    /// Items `range` of list `name`, converted on all cores: on a large site the conversion
    /// would otherwise run on one.
    fn of(&self, list: List, range: std::ops::Range<usize>) -> Vec<Value> {
        use rayon::prelude::*;
        let (site, views, l) = (self.site, self.views, &self.views.lists);
        let range = range.start.min(self.len(list))..range.end.min(self.len(list));
        range
            .into_par_iter()
            .map(|n| match list {
                List::Topics => views.summaries[l.topics[n]].clone(),
                List::Timeline => self.timeline(l.timeline[n]),
                List::Latest => self.timeline(l.timeline[l.timeline.len() - 1 - n]),
                List::Next => {
                    let (i, j) = l.next[n];
                    let item = &site.pages[i].meta.next[j];
                    value(&self.lookup.next(item, Some(views.summaries[i].clone())))
                }
                List::Glossary => {
                    let (t, pages) = &l.glossary[n];
                    let term = &site.registries.glossary.items[*t];
                    value(&TermView {
                        term,
                        url: format!("{}glossary/#{}", site.base_path, term.id),
                        source: term.source.as_deref().and_then(|s| self.lookup.get(s)),
                        pages: self.pages(pages),
                    })
                }
                List::People => {
                    let PersonEntry {
                        person: p,
                        quotes,
                        pages,
                    } = &l.people[n];
                    let person = &site.registries.people.items[*p];
                    value(&PersonView {
                        person,
                        url: views.paging.entry_url(site, List::People, *p, &person.id),
                        quotes: quotes
                            .iter()
                            .map(|&(i, j)| {
                                let q = &site.pages[i].meta.quotes[j];
                                QuoteView {
                                    speaker: None,
                                    text: &q.text,
                                    date: q.date.as_ref(),
                                    source: self.lookup.get(&q.source),
                                    context: q.context.as_deref(),
                                    caveat: self.lookup.caveat(&q.caveat),
                                    page: Some(views.summaries[i].clone()),
                                    lang: quote_language(site, q),
                                    translation: q.translation.as_ref().map(|t| {
                                        QuoteTranslationView {
                                            text: &t.text,
                                            by: &t.by,
                                            source: self.lookup.get(&t.source),
                                        }
                                    }),
                                }
                            })
                            .collect(),
                        pages: self.pages(pages),
                        source: person.source.as_deref().and_then(|s| self.lookup.get(s)),
                    })
                }
                List::Sources => {
                    let (s, pages) = &l.sources[n];
                    let id = &site.registries.sources.items[*s].id;
                    match self.lookup.get_ref(id) {
                        Some(source) => value(&BibView {
                            source,
                            pages: self.pages(pages),
                        }),
                        None => Value::none(),
                    }
                }
                List::Tags => self.tag(n),
                List::Corrections => {
                    let (i, j) = l.corrections[n];
                    let c = &site.pages[i].meta.corrections[j];
                    value(&CorrectionView {
                        date: &c.date,
                        text: &c.text,
                        url: format!("{}#{CORRECTIONS_ANCHOR}", site.url(&site.pages[i].path)),
                        page: views.summaries[i].clone(),
                    })
                }
            })
            .collect()
    }

    fn tag(&self, t: usize) -> Value {
        match self.views.tags.get(t) {
            Some((name, pages)) => value(&TagView {
                tag: tag_ref(self.site, name),
                pages: self.pages(pages),
            }),
            None => Value::none(),
        }
    }
}

/// What a paginated page lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PagedList {
    /// A generated list: `timeline`, `sources` ….
    Named(List),
    /// The pages of a tag, by index into [`Views::tags`].
    Tag(usize),
    /// The pages of a section or of the home, by page index.
    Children(usize),
}

impl Views {
    /// How many items a paginated list has.
    pub fn paged_len(&self, site: &Site, list: PagedList) -> usize {
        match list {
            PagedList::Named(list) => Items::new(site, self).len(list),
            PagedList::Tag(t) => self.tags.get(t).map_or(0, |(_, p)| p.len()),
            PagedList::Children(i) => self.lists.children.get(&i).map_or(0, Vec::len),
        }
    }

    /// The `paginator` of page `number` (from 1) of `list`, shown at site path `path`.
    pub fn paginator(&self, site: &Site, list: PagedList, path: &str, number: usize) -> Value {
        #[derive(Serialize)]
        struct Paginator {
            items: Vec<Value>,
            per_page: usize,
            total_items: usize,
            number_pagers: usize,
            current_index: usize,
            first: String,
            last: String,
            previous: Option<String>,
            next: Option<String>,
        }
        let per_page = self.paging.per_page;
        let total_items = self.paged_len(site, list);
        let pagers = self.paging.pages(total_items);
        let start = (number - 1) * per_page;
        let range = start..(start + per_page).min(total_items);
        let items = Items::new(site, self);
        let pages = |all: &[usize]| items.pages(all.get(range.clone()).unwrap_or(&[]));
        let url = |n: usize| site.url(&Paging::page_path(path, n));
        value(&Paginator {
            items: match list {
                PagedList::Named(list) => items.of(list, range.clone()),
                PagedList::Tag(t) => self.tags.get(t).map(|(_, p)| pages(p)).unwrap_or_default(),
                PagedList::Children(i) => self
                    .lists
                    .children
                    .get(&i)
                    .map(|c| pages(c))
                    .unwrap_or_default(),
            },
            per_page,
            total_items,
            number_pagers: pagers,
            current_index: number,
            first: url(1),
            last: url(pagers),
            previous: (number > 1).then(|| url(number - 1)),
            next: (number < pagers).then(|| url(number + 1)),
        })
    }
}

#[derive(Serialize)]
struct PageView<'a> {
    #[serde(flatten)]
    summary: &'a Value,
    content: Value,
    toc: &'a [crate::markdown::TocEntry],
    in_brief: &'a [String],
    figures: Vec<FigureView<'a>>,
    quotes: Vec<QuoteView<'a>>,
    positions: Vec<PositionView<'a>>,
    timeline: Vec<TimelineView<'a>>,
    next: Vec<NextView<'a>>,
    related: Vec<Value>,
    sources: Vec<Value>,
    /// Newest first.
    corrections: Vec<&'a crate::frontmatter::Correction>,
    /// The title of the section the page is in (`article:section`), none at the top level.
    section_title: Option<&'a str>,
    word_count: usize,
    reading_minutes: usize,
    pages: Vec<Value>,
    /// The page's social card, or none where site.yaml turns them off.
    card: Option<CardView>,
    /// In another edition than the default: what the page is a translation of, or that it shows
    /// its original's words for want of one.
    #[serde(skip_serializing_if = "Option::is_none")]
    translation: Option<TranslationView<'a>>,
}

#[derive(Serialize)]
struct TranslationView<'a> {
    /// The original page, in the default edition.
    original_url: String,
    original_language: LanguageRef<'a>,
    /// The original's words changed after the revision this translation translates.
    outdated: bool,
    /// No translation: the page shows the original's words (a home or section page, which
    /// every edition has for its lists).
    missing: bool,
}

#[derive(Serialize)]
struct CardView {
    /// Absolute, as Open Graph asks.
    url: String,
    width: u32,
    height: u32,
    alt: String,
}

/// A template's context, and the fingerprint of everything put in it but the site-wide `site` and
/// `explainer` values (which [`crate::render_cache`] covers once per edition): the render cache
/// keeps a page whose fingerprint the previous build recorded instead of rendering it again.
/// Every value goes in through [`Ctx::insert`] or [`Ctx::insert_value`], so none can be missed.
pub struct Ctx<'a> {
    tera: Context,
    /// `None` where nothing will look at it (`watch`, `serve`, `check`).
    fingerprint: Option<Fingerprinter>,
    /// Values made into template values only when the page is rendered: a page the render cache
    /// keeps needs only their fingerprint, and converting a page's view is a good part of its
    /// render.
    deferred: Vec<Deferred<'a>>,
}

/// A value put into the template context when the page is rendered.
type Deferred<'a> = Box<dyn FnOnce(&mut Context) + 'a>;

impl<'a> Ctx<'a> {
    pub fn insert<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) {
        if let Some(f) = &mut self.fingerprint {
            f.add(key, value);
        }
        self.tera.insert(key, value);
    }

    pub fn insert_value(&mut self, key: &'static str, value: Value) {
        if let Some(f) = &mut self.fingerprint {
            f.add(key, &value);
        }
        self.tera.insert_value(key, value);
    }

    /// A value whose fingerprint was made before (`None`: it could not be), asked for only if
    /// this context is fingerprinted.
    pub fn insert_fingerprinted(
        &mut self,
        key: &'static str,
        value: Value,
        fingerprint: impl FnOnce() -> Option<u128>,
    ) {
        if let Some(f) = &mut self.fingerprint {
            f.add(key, &fingerprint());
        }
        self.tera.insert_value(key, value);
    }

    /// A value whose fingerprint is already in, converted only if the page is rendered.
    fn defer<T: Serialize + 'a>(&mut self, key: &'static str, value: T) {
        self.deferred
            .push(Box::new(move |tera: &mut Context| tera.insert(key, &value)));
    }

    /// What the templates read.
    pub fn into_tera(self) -> Context {
        let mut tera = self.tera;
        for put in self.deferred {
            put(&mut tera);
        }
        tera
    }

    /// What went in beside the site-wide values.
    pub fn fingerprint(&self) -> Option<&Fingerprinter> {
        self.fingerprint.as_ref()
    }
}

fn base_context<'a>(views: &Views, current_url: &str, fingerprinted: bool) -> Ctx<'a> {
    let mut tera = Context::new();
    tera.insert_value("site", views.site.clone());
    tera.insert_value("explainer", views.explainer.clone());
    let mut ctx = Ctx {
        tera,
        fingerprint: fingerprinted.then(Fingerprinter::default),
        deferred: Vec::new(),
    };
    ctx.insert("current_url", current_url);
    ctx
}

/// The context of one content page (home, section or page).
/// `rendered` is the page's Markdown with its HTML ([`Site::page_markdown`]).
pub fn page_context<'a>(
    site: &'a Site,
    views: &'a Views,
    i: usize,
    rendered: &'a Rendered,
    fingerprinted: bool,
) -> Ctx<'a> {
    let page = &site.pages[i];
    let m = &page.meta;
    let ids = page_sources(page, &rendered.citations);
    let numbers: HashMap<&str, usize> =
        ids.iter().enumerate().map(|(n, id)| (*id, n + 1)).collect();
    let lookup = SourceLookup::numbered(site, &views.paging, numbers);
    let people = &site.registries.people;
    let children: Vec<Value> = match page.kind {
        PageKind::Page => Vec::new(),
        _ => views
            .lists
            .children
            .get(&i)
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .map(|&c| views.summaries[c].clone())
            .collect(),
    };
    let mut view = PageView {
        summary: &views.summaries[i],
        content: Value::safe_string(&rendered.html),
        toc: &rendered.toc,
        in_brief: &m.in_brief,
        figures: m
            .figures
            .iter()
            .enumerate()
            .map(|(n, f)| lookup.figure(f, n + 1, &views.numbers, &views.chart_words))
            .collect(),
        quotes: m
            .quotes
            .iter()
            .map(|q| QuoteView {
                speaker: people.get(&q.speaker).map(|p| PersonRef {
                    person: p,
                    url: views.paging.entry_url(
                        site,
                        List::People,
                        people.position(&p.id).unwrap_or(0),
                        &p.id,
                    ),
                }),
                text: &q.text,
                date: q.date.as_ref(),
                source: lookup.get(&q.source),
                context: q.context.as_deref(),
                caveat: lookup.caveat(&q.caveat),
                page: None,
                lang: quote_language(site, q),
                translation: q.translation.as_ref().map(|t| QuoteTranslationView {
                    text: &t.text,
                    by: &t.by,
                    source: lookup.get(&t.source),
                }),
            })
            .collect(),
        positions: site
            .config
            .parties
            .iter()
            .filter_map(|party| {
                let items = m.positions.get(&party.code)?;
                Some(PositionView {
                    party,
                    items: items
                        .iter()
                        .map(|p| PositionItem {
                            text: &p.text,
                            source: lookup.get(&p.source),
                        })
                        .collect(),
                })
            })
            .collect(),
        timeline: m
            .timeline
            .iter()
            .map(|t| TimelineView {
                date: &t.date,
                event: &t.event,
                source: lookup.get(&t.source),
                caveat: lookup.caveat(&t.caveat),
                page: None,
            })
            .collect(),
        next: m.next.iter().map(|n| lookup.next(n, None)).collect(),
        related: m
            .related
            .iter()
            .filter_map(|r| {
                site.resolve_id(r)
                    .found()
                    .map(|j| views.summaries[j].clone())
            })
            .collect(),
        sources: ids.iter().filter_map(|id| lookup.get(id)).collect(),
        corrections: {
            let mut c: Vec<_> = m.corrections.iter().collect();
            c.sort_by_key(|x| std::cmp::Reverse(x.date));
            c
        },
        section_title: (!page.section.is_empty())
            .then(|| {
                let index = format!("{}/_index.md", page.section);
                site.by_content_path
                    .get(&index)
                    .map(|&j| site.pages[j].meta.title.as_str())
            })
            .flatten(),
        word_count: rendered.word_count,
        reading_minutes: rendered.word_count.div_ceil(220).max(1),
        // Put in below, fingerprinted once per section (see `Views::children_fingerprints`).
        pages: Vec::new(),
        card: site.config.social_cards.then(|| CardView {
            url: site.permalink(&crate::cards::card_path(&page.path)),
            width: crate::cards::WIDTH,
            height: crate::cards::HEIGHT,
            alt: format!("{} — {}", m.title, site.config.title),
        }),
        translation: translation_view(site, page),
    };
    let mut ctx = base_context(views, &site.url(&page.path), fingerprinted);
    if site.edition.several() {
        insert_editions(
            &mut ctx,
            site.editions_of(&page.path, Some(&page.content_path)),
        );
    }
    let key = if page.kind == PageKind::Page {
        "page"
    } else {
        "section"
    };
    // A section's pages are every page under it, on each of its pages when it is paginated:
    // fingerprinted once, not on each.
    if let Some(f) = &mut ctx.fingerprint {
        f.add(key, &view);
        if !children.is_empty() {
            let fingerprint = views
                .children_fingerprints
                .get(&i)
                .and_then(|c| *c.get_or_init(|| fingerprint_of("pages", &children)));
            f.add("pages", &fingerprint);
        }
    }
    view.pages = children;
    ctx.defer(key, view);
    ctx
}

fn fingerprint_of<T: Serialize + ?Sized>(key: &str, value: &T) -> Option<u128> {
    let mut f = Fingerprinter::default();
    f.add(key, value);
    f.finish()
}

/// `editions` for the language switcher, and `alternates` for `hreflang`: the editions that have
/// the page's words, where there are at least two of them.
fn insert_editions(ctx: &mut Ctx<'_>, editions: Vec<crate::site::EditionLink>) {
    let alternates: Vec<&crate::site::EditionLink> =
        editions.iter().filter(|e| e.translated).collect();
    if alternates.len() > 1 {
        ctx.insert("alternates", &alternates);
    }
    ctx.insert("editions", &editions);
}

fn translation_view<'a>(site: &'a Site, page: &Page) -> Option<TranslationView<'a>> {
    use crate::content::InEdition;
    let original = site.edition.all.first()?;
    let (outdated, missing) = match &page.in_edition {
        InEdition::Original => return None,
        InEdition::Translated { outdated, .. } => (*outdated, false),
        InEdition::Untranslated => (false, true),
    };
    Some(TranslationView {
        original_url: format!(
            "{}{}",
            site.edition.root_base_path,
            page.path.trim_start_matches('/')
        ),
        original_language: LanguageRef {
            code: &original.code,
            name: &original.name,
        },
        outdated,
        missing,
    })
}

#[derive(Serialize)]
struct GeneratedPage<'a> {
    title: &'a str,
    url: String,
    permalink: String,
}

/// The context of a generated page (timeline, glossary, people, sources, tags, search, 404).
pub fn generated_context(
    site: &Site,
    views: &Views,
    title: &str,
    path: &str,
    term: Option<usize>,
    fingerprinted: bool,
) -> Ctx<'static> {
    let mut ctx = base_context(views, &site.url(path), fingerprinted);
    // The 404 page is the whole site's, at its root: it has no counterpart in another edition.
    if site.edition.several() && !path.ends_with(".html") {
        insert_editions(&mut ctx, site.editions_of(path, None));
    }
    ctx.insert(
        "page",
        &GeneratedPage {
            title,
            url: site.url(path),
            permalink: site.permalink(path),
        },
    );
    if let Some(t) = term {
        let (term, fingerprint) =
            views.tag_terms[t].get_or_init(|| (Items::new(site, views).tag(t), Default::default()));
        ctx.insert_fingerprinted("term", term.clone(), || {
            *fingerprint.get_or_init(|| fingerprint_of("term", term))
        });
    }
    ctx
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::site::BuildOptions;

    #[test]
    fn the_english_chart_words_are_the_built_in_table() {
        use crate::chart::Words;
        let strings = crate::render::i18n::Strings::builtin();
        assert_eq!(chart_words(&strings, "en"), Words::english());
        // Every other built-in table has its own words for each pattern.
        let en = Words::english();
        for lang in ["ru", "hi", "ar"] {
            let w = chart_words(&strings, lang);
            for (mine, english) in [
                (&w.one, &en.one),
                (&w.rose, &en.rose),
                (&w.fell, &en.fell),
                (&w.same, &en.same),
                (&w.range, &en.range),
            ] {
                assert_ne!(mine, english, "{lang}");
            }
        }
    }

    fn basic() -> Site {
        Site::load(&BuildOptions {
            root: std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sites/basic"),
            ..Default::default()
        })
        .expect("the basic fixture loads")
    }

    #[test]
    fn every_list_has_its_own_name_and_generated_pages_show_lists_by_their_path() {
        let names: HashSet<&str> = List::ALL.iter().map(|l| l.name()).collect();
        assert_eq!(names.len(), List::ALL.len());
        for g in Generated::ALL {
            if let Some(list) = g.list() {
                // Entry URLs (`entry_url`) are built from the list's name.
                assert_eq!(g.path(), format!("{}/", list.name()), "{g:?}");
            }
        }
        let fixed: Vec<List> = List::ALL.into_iter().filter(|l| l.fixed()).collect();
        assert_eq!(fixed, [List::People, List::Sources]);
    }

    #[test]
    fn an_edit_is_compared_through_the_views() {
        let site = basic();
        let i = site.by_id["topics/energy"];
        let old = &site.pages[i];
        let r = &site.rendered[i];

        let mut retitled = old.clone();
        retitled.meta.title = "Energy and oil".into();
        assert!(summary_changed(&site, old, &retitled));
        assert!(lists_changed_by(old, r, &retitled, r).is_empty());

        let mut body_only = old.clone();
        body_only.body.push_str("\nMore text.\n");
        assert!(!summary_changed(&site, old, &body_only));
        assert!(lists_changed_by(old, r, &body_only, r).is_empty());

        let mut no_timeline = old.clone();
        no_timeline.meta.timeline.clear();
        assert!(!summary_changed(&site, old, &no_timeline));
        assert_eq!(
            lists_changed_by(old, r, &no_timeline, r),
            [List::Timeline, List::Latest]
        );
    }

    #[test]
    fn the_views_hold_every_list_in_order() {
        let site = basic();
        let helpers = crate::render::Helpers {
            base_path: site.base_path.clone(),
            asset_base_path: site.base_path.clone(),
            elsewhere: Default::default(),
            base_url: site.base_url.clone(),
            asset_hashes: site.asset_hashes.clone(),
            language: site.config.language.clone(),
        };
        let mut diags = crate::error::Diagnostics::default();
        let templates =
            Templates::load(&site.root, site.config.theme, helpers, &mut diags).expect("templates");
        let views = build(&site, &templates);
        let topics: Vec<&str> = views
            .lists
            .topics
            .iter()
            .map(|&i| site.pages[i].id.as_str())
            .collect();
        assert_eq!(topics.first(), Some(&"topics/trade"), "{topics:?}");
        let items = Items::new(&site, &views);
        for list in List::ALL {
            assert_eq!(
                items.of(list, 0..usize::MAX).len(),
                items.len(list),
                "{list:?}"
            );
        }
        assert!(items.len(List::Latest) <= LATEST);
        assert_eq!(
            views
                .tags
                .iter()
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>(),
            {
                let mut t: Vec<&str> = views.tags.iter().map(|(n, _)| n.as_str()).collect();
                t.sort();
                t
            }
        );
    }
}
