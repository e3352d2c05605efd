//! Planning: which files the site is made of, as a list of typed jobs (one per content page,
//! generated page, tag page, page of a paginated list, redirect, and the site-wide files), and
//! where each job's page lives.
//!
//! It reads the model ([`crate::site`]), the views (the lengths of the lists) and which templates
//! exist and paginate ([`crate::render`]); it renders nothing: [`crate::engine`] runs the jobs.

use crate::content::PageKind;
use crate::render::Templates;
use crate::site::Site;
use crate::views::{Generated, PagedList, Paging, Views};

/// The search index's directory in the output, beside the search page (`search/`) that reads it.
pub const SEARCH_DIR: &str = "search/";

/// A unit of rendering; `watch` re-runs only the jobs an edit affects.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Job {
    /// A content page, by index into `Site::pages`.
    Page(usize),
    /// A generated page from its own template (timeline, glossary …).
    Generated(Generated),
    /// One tag's page, by index into `Views::tags`.
    Tag(usize),
    /// A redirect from an old URL to a page.
    Alias { from: String, page: usize },
    /// Page `number` (2 and up) of a paginated list page. What it pages is a [`Listing`], which
    /// cannot be a pager itself.
    Pager { of: Listing, number: usize },
    /// The search index's files (`crate::search`) under [`SEARCH_DIR`].
    SearchIndex,
    /// Files for publishing (`.nojekyll`, `CNAME`, `robots.txt`, `sitemap.xml`, `atom.xml`); they
    /// read every page's front matter, so any content change must re-run this job.
    PagesFiles,
}

/// A page that can show a list a page at a time: the first page of a paginated job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Listing {
    /// A section or the home (pages of other kinds list nothing).
    Page(usize),
    Generated(Generated),
    Tag(usize),
}

impl Job {
    /// The listing page this job renders and which page of it (from 1), for the jobs that can
    /// show a list; `None` for redirects and the site-wide files.
    pub fn listing(&self) -> Option<(Listing, usize)> {
        match self {
            Job::Page(i) => Some((Listing::Page(*i), 1)),
            Job::Generated(g) => Some((Listing::Generated(*g), 1)),
            Job::Tag(t) => Some((Listing::Tag(*t), 1)),
            Job::Pager { of, number } => Some((*of, *number)),
            Job::Alias { .. } | Job::SearchIndex | Job::PagesFiles => None,
        }
    }
}

/// Every rendering job of the site.
pub fn plan(site: &Site, views: &Views, templates: &Templates) -> Vec<Job> {
    // A topic an edition has not translated is read in the default edition (`Site::url`).
    let rendered_here = |i: &usize| !site.elsewhere(*i);
    let mut jobs: Vec<Job> = (0..site.pages.len())
        .filter(rendered_here)
        .map(Job::Page)
        .collect();
    for g in Generated::ALL {
        if g == Generated::Search && !site.config.search {
            continue;
        }
        // Pages serves one 404 page for the whole site, at its root.
        if g == Generated::NotFound && !site.edition.is_default() {
            continue;
        }
        if templates.has(g.template()) {
            jobs.push(Job::Generated(g));
        }
    }
    if templates.has(TAG_TEMPLATE) {
        jobs.extend((0..views.tags.len()).map(Job::Tag));
    }
    // Pages 2 and up of every list that is shown a page at a time.
    let pagers: Vec<Job> = jobs
        .iter()
        .filter_map(|job| {
            let (of, _) = job.listing()?;
            Some((of, paged_list(site, templates, of)?))
        })
        .flat_map(|(of, list)| {
            let pages = views.paging.pages(views.paged_len(site, list));
            (2..=pages).map(move |number| Job::Pager { of, number })
        })
        .collect();
    jobs.extend(pagers);
    for (i, p) in site.pages.iter().enumerate() {
        if site.elsewhere(i) {
            continue;
        }
        jobs.extend(p.meta.aliases.iter().map(|a| Job::Alias {
            from: a.clone(),
            page: i,
        }));
    }
    if site.config.search {
        jobs.push(Job::SearchIndex);
    }
    jobs.push(Job::PagesFiles);
    jobs
}

/// The template of every tag's page.
pub const TAG_TEMPLATE: &str = "taxonomy_term.html";

/// What a listing page shows a page at a time, if its template reads `paginator`.
pub fn paged_list(site: &Site, templates: &Templates, of: Listing) -> Option<PagedList> {
    match of {
        Listing::Page(i) if site.pages[i].kind != PageKind::Page => templates
            .paginates(site.layout_of(i))
            .then_some(PagedList::Children(i)),
        Listing::Page(_) => None,
        Listing::Generated(g) => g
            .list()
            .filter(|_| templates.paginates(g.template()))
            .map(PagedList::Named),
        Listing::Tag(t) => templates
            .paginates(TAG_TEMPLATE)
            .then_some(PagedList::Tag(t)),
    }
}

/// The site path of a listing page (`topics/`, `timeline/`, `tags/oil/`).
pub fn listing_path(site: &Site, views: &Views, of: Listing) -> Option<String> {
    match of {
        Listing::Page(i) => Some(site.pages[i].path.clone()),
        Listing::Generated(g) => Some(g.path().to_string()),
        Listing::Tag(t) => views
            .tags
            .get(t)
            .map(|(name, _)| format!("tags/{}/", crate::text::slugify(name))),
    }
}

/// The output file of a page past the first of a paginated list (`timeline/page/2/index.html`).
pub fn pager_file(site: &Site, views: &Views, job: &Job) -> Option<String> {
    match job {
        Job::Pager { of, number } => Some(format!(
            "{}index.html",
            Paging::page_path(&listing_path(site, views, *of)?, *number)
        )),
        _ => None,
    }
}
