//! What templates see: borrowed, serializable views of the site model (as Zola's `ser.rs`).
//!
//! Page summaries and the site-wide `explainer` lists are converted to Tera values once per build
//! and shared by reference count, so no page's context holds a copy of the whole site.

use crate::content::{Page, PageKind};
use crate::frontmatter::{Caveat, Figure, NextItem};
use crate::markdown::Rendered;
use crate::registry::{Person, Source};
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
}

/// A source as cited somewhere: `n` is its number in the list it belongs to, `href` where that list is.
#[derive(Serialize, Clone)]
pub struct SourceRef<'a> {
    #[serde(flatten)]
    pub source: &'a Source,
    pub n: usize,
    pub anchor: String,
    pub href: String,
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
    /// id → number on this page; `None` means the site-wide bibliography.
    numbers: Option<HashMap<&'s str, usize>>,
    /// Site-wide views, converted once: the timeline and people lists cite the same sources
    /// thousands of times on a large site, and each citation shares one value.
    shared: HashMap<&'s str, Value>,
}

impl<'s> SourceLookup<'s> {
    /// For one page's numbered source list. Each source the page cites is converted once: its
    /// figures, quotes and timeline cite the same few sources again and again.
    fn numbered(site: &'s Site, numbers: HashMap<&'s str, usize>) -> Self {
        let mut lookup = SourceLookup {
            site,
            numbers: Some(numbers),
            shared: HashMap::new(),
        };
        lookup.shared = lookup
            .numbers
            .iter()
            .flat_map(|n| n.keys())
            .filter_map(|id| Some((*id, value(&lookup.get_ref(id)?))))
            .collect();
        lookup
    }

    /// For the site-wide lists, which link into the bibliography.
    fn site_wide(site: &'s Site) -> Self {
        let mut lookup = SourceLookup {
            site,
            numbers: None,
            shared: HashMap::new(),
        };
        lookup.shared = site
            .registries
            .sources
            .items
            .iter()
            .filter_map(|s| Some((s.id.as_str(), value(&lookup.get_ref(&s.id)?))))
            .collect();
        lookup
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
        Some(match &self.numbers {
            Some(nums) => SourceRef {
                source,
                n: nums.get(id).copied().unwrap_or(0),
                anchor: format!("src-{id}"),
                href: format!("#src-{id}"),
            },
            None => SourceRef {
                source,
                n: regs.position(id).map_or(0, |i| i + 1),
                anchor: id.to_string(),
                href: format!("{}sources/#{id}", self.site.base_path),
            },
        })
    }

    fn caveat(&self, c: &'s Option<Caveat>) -> Option<CaveatView<'s>> {
        c.as_ref().map(|c| CaveatView {
            text: &c.text,
            source: self.get(&c.source),
        })
    }

    fn figure(&self, f: &'s Figure) -> FigureView<'s> {
        FigureView {
            label: &f.label,
            value: &f.value,
            unit: f.unit.as_deref(),
            period: f.period.as_deref(),
            as_of: f.as_of.as_deref(),
            source: self.get(&f.source),
            caveat: self.caveat(&f.caveat),
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
    pub explainer: Value,
    /// Tag name → pages carrying it, sorted by name.
    pub tags: Vec<(String, Vec<usize>)>,
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
    })
}

#[derive(Serialize)]
struct SiteView<'a> {
    title: &'a str,
    description: &'a str,
    base_url: &'a str,
    base_path: &'a str,
    language: &'a str,
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

/// Pages in display order: weight, then date (newest first), then title.
pub fn ordered(site: &Site, mut idx: Vec<usize>) -> Vec<usize> {
    idx.sort_by(|&a, &b| {
        let (pa, pb) = (&site.pages[a].meta, &site.pages[b].meta);
        (
            pa.weight.unwrap_or(i64::MAX),
            std::cmp::Reverse(pa.date),
            &pa.title,
            &site.pages[a].path,
        )
            .cmp(&(
                pb.weight.unwrap_or(i64::MAX),
                std::cmp::Reverse(pb.date),
                &pb.title,
                &site.pages[b].path,
            ))
    });
    idx
}

pub fn build(site: &Site) -> Views {
    build_reusing(site, None)
}

/// The site-wide lists (fields of `explainer`, see [`build`]) that an edit of one page changes,
/// other than through its summary, which every list holding the page shows.
pub fn lists_changed_by(
    old: &Page,
    old_r: &Rendered,
    new: &Page,
    new_r: &Rendered,
) -> Vec<&'static str> {
    let (a, b) = (&old.meta, &new.meta);
    [
        ("timeline", a.timeline != b.timeline),
        ("next", a.next != b.next),
        ("people", a.quotes != b.quotes),
        ("glossary", old_r.terms != new_r.terms),
        (
            "sources",
            page_sources(old, &old_r.citations) != page_sources(new, &new_r.citations),
        ),
    ]
    .into_iter()
    .filter_map(|(list, changed)| changed.then_some(list))
    .collect()
}

/// The views after an edit that changed no page summary, only the `changed` site-wide lists: the
/// summaries and the other lists are taken from `old` instead of being converted again.
pub fn rebuild(site: &Site, old: &Views, changed: &HashSet<&str>) -> Views {
    build_reusing(site, Some((old, changed)))
}

fn build_reusing(site: &Site, reuse: Option<(&Views, &HashSet<&str>)>) -> Views {
    let c = &site.config;
    let site_value = value(&SiteView {
        title: &c.title,
        description: &c.description,
        base_url: &site.base_url,
        base_path: &site.base_path,
        language: &c.language,
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
    // An unchanged list from the previous views, if there are any.
    let reused = |list: &str| -> Option<Value> {
        let (old, changed) = reuse?;
        if changed.contains(list) {
            return None;
        }
        let map = old.explainer.as_map()?;
        map.iter()
            .find(|(k, _)| k.as_str() == Some(list))
            .map(|(_, v)| v.clone())
    };
    let lookup = SourceLookup::site_wide(site);
    let page_link = |i: usize| Some(summaries[i].clone());

    let topics = ordered(
        site,
        (0..site.pages.len())
            .filter(|&i| site.pages[i].kind == PageKind::Page && site.pages[i].section == "topics")
            .collect(),
    );

    let mut timeline: Vec<(usize, &crate::frontmatter::TimelineEntry)> = Vec::new();
    let mut next = Vec::new();
    let mut tags: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut term_pages: Vec<Vec<usize>> = vec![Vec::new(); site.registries.glossary.items.len()];
    let mut person_pages: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut person_quotes: HashMap<&str, Vec<QuoteView>> = HashMap::new();
    let mut source_pages: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, page) in site.pages.iter().enumerate() {
        let m = &page.meta;
        timeline.extend(m.timeline.iter().map(|t| (i, t)));
        next.extend(m.next.iter().map(|n| lookup.next(n, page_link(i))));
        for t in &m.tags {
            tags.entry(t.clone()).or_default().push(i);
        }
        for &t in &site.rendered[i].terms {
            term_pages[t].push(i);
        }
        for q in &m.quotes {
            let pages = person_pages.entry(q.speaker.as_str()).or_default();
            if !pages.contains(&i) {
                pages.push(i);
            }
            person_quotes
                .entry(q.speaker.as_str())
                .or_default()
                .push(QuoteView {
                    speaker: None,
                    text: &q.text,
                    date: q.date.as_ref(),
                    source: lookup.get(&q.source),
                    context: q.context.as_deref(),
                    caveat: lookup.caveat(&q.caveat),
                    page: page_link(i),
                });
        }
        for id in page_sources(page, &site.rendered[i].citations) {
            source_pages.entry(id).or_default().push(i);
        }
    }
    timeline.sort_by_key(|(i, t)| (t.date.sort_key(), *i));
    next.sort_by_key(|n| n.expected.sort_key());
    let pages_of =
        |list: &[usize]| -> Vec<Value> { list.iter().map(|&i| summaries[i].clone()).collect() };

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
    #[derive(Serialize)]
    struct TagView<'a> {
        #[serde(flatten)]
        tag: TagRef<'a>,
        pages: Vec<Value>,
    }
    /// Each list converted item by item in parallel: on a large site the conversion is most of
    /// the time spent here, and it would otherwise run on one core.
    #[derive(Serialize)]
    struct Explainer {
        topics: Value,
        timeline: Value,
        next: Value,
        glossary: Value,
        people: Value,
        sources: Value,
        tags: Value,
    }
    fn values<T: Serialize + Sync>(reused: Option<Value>, items: &[T]) -> Value {
        reused.unwrap_or_else(|| {
            use rayon::prelude::*;
            value(&items.par_iter().map(value).collect::<Vec<Value>>())
        })
    }
    let mut glossary: Vec<TermView> = site
        .registries
        .glossary
        .items
        .iter()
        .enumerate()
        .map(|(i, t)| TermView {
            term: t,
            url: format!("{}glossary/#{}", site.base_path, t.id),
            source: t.source.as_deref().and_then(|s| lookup.get(s)),
            pages: pages_of(&ordered(site, term_pages[i].clone())),
        })
        .collect();
    glossary.sort_by_key(|t| t.term.term.to_lowercase());
    let people: Vec<PersonView> = site
        .registries
        .people
        .items
        .iter()
        .map(|p| PersonView {
            person: p,
            url: format!("{}people/#{}", site.base_path, p.id),
            quotes: person_quotes.remove(p.id.as_str()).unwrap_or_default(),
            pages: pages_of(person_pages.get(p.id.as_str()).map_or(&[][..], |v| v)),
            source: p.source.as_deref().and_then(|s| lookup.get(s)),
        })
        .collect();
    let sources: Vec<BibView> = site
        .registries
        .sources
        .items
        .iter()
        .filter_map(|s| {
            Some(BibView {
                source: lookup.get_ref(&s.id)?,
                pages: pages_of(source_pages.get(s.id.as_str()).map_or(&[][..], |v| v)),
            })
        })
        .collect();
    let tag_list: Vec<(String, Vec<usize>)> = tags
        .into_iter()
        .map(|(k, v)| (k, ordered(site, v)))
        .collect();
    let timeline: Vec<TimelineView> = timeline
        .iter()
        .map(|(i, t)| TimelineView {
            date: &t.date,
            event: &t.event,
            source: lookup.get(&t.source),
            caveat: lookup.caveat(&t.caveat),
            page: page_link(*i),
        })
        .collect();
    let tag_views: Vec<TagView> = tag_list
        .iter()
        .map(|(name, pages)| TagView {
            tag: tag_ref(site, name),
            pages: pages_of(pages),
        })
        .collect();
    let explainer = value(&Explainer {
        topics: reused("topics").unwrap_or_else(|| value(&pages_of(&topics))),
        timeline: values(reused("timeline"), &timeline),
        next: values(reused("next"), &next),
        glossary: values(reused("glossary"), &glossary),
        people: values(reused("people"), &people),
        sources: values(reused("sources"), &sources),
        tags: values(reused("tags"), &tag_views),
    });
    Views {
        site: site_value,
        summaries,
        explainer,
        tags: tag_list,
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
    word_count: usize,
    reading_minutes: usize,
    pages: Vec<Value>,
}

fn base_context(views: &Views, current_url: &str) -> Context {
    let mut ctx = Context::new();
    ctx.insert_value("site", views.site.clone());
    ctx.insert_value("explainer", views.explainer.clone());
    ctx.insert("current_url", current_url);
    ctx
}

/// The context of one content page (home, section or page).
pub fn page_context(site: &Site, views: &Views, i: usize) -> Context {
    let page = &site.pages[i];
    let rendered = &site.rendered[i];
    let m = &page.meta;
    let ids = page_sources(page, &rendered.citations);
    let numbers: HashMap<&str, usize> =
        ids.iter().enumerate().map(|(n, id)| (*id, n + 1)).collect();
    let lookup = SourceLookup::numbered(site, numbers);
    let people = &site.registries.people;
    let children: Vec<Value> = match page.kind {
        PageKind::Page => Vec::new(),
        _ => site
            .children(i)
            .into_iter()
            .map(|c| views.summaries[c].clone())
            .collect(),
    };
    let view = PageView {
        summary: &views.summaries[i],
        content: Value::safe_string(&rendered.html),
        toc: &rendered.toc,
        in_brief: &m.in_brief,
        figures: m.figures.iter().map(|f| lookup.figure(f)).collect(),
        quotes: m
            .quotes
            .iter()
            .map(|q| QuoteView {
                speaker: people.get(&q.speaker).map(|p| PersonRef {
                    person: p,
                    url: format!("{}people/#{}", site.base_path, p.id),
                }),
                text: &q.text,
                date: q.date.as_ref(),
                source: lookup.get(&q.source),
                context: q.context.as_deref(),
                caveat: lookup.caveat(&q.caveat),
                page: None,
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
            .filter_map(|r| site.by_id.get(r).map(|&j| views.summaries[j].clone()))
            .collect(),
        sources: ids.iter().filter_map(|id| lookup.get(id)).collect(),
        word_count: rendered.word_count,
        reading_minutes: rendered.word_count.div_ceil(220).max(1),
        pages: children,
    };
    let mut ctx = base_context(views, &site.url(&page.path));
    let key = if page.kind == PageKind::Page {
        "page"
    } else {
        "section"
    };
    ctx.insert(key, &view);
    ctx
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
) -> Context {
    let mut ctx = base_context(views, &site.url(path));
    ctx.insert(
        "page",
        &GeneratedPage {
            title,
            url: site.url(path),
            permalink: site.permalink(path),
        },
    );
    if let Some(t) = term {
        if let Some(tags) = views.explainer.get_from_path("tags") {
            if let Some(v) = tags.as_array().and_then(|a| a.get(t)) {
                ctx.insert_value("term", v.clone());
            }
        }
    }
    ctx
}
