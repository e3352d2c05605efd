//! Social cards: a 1200×630 PNG per content page (home, sections, pages), drawn at build time
//! from an SVG template — the site's `layouts/card.svg`, or the built-in one — with the fonts
//! bilat bundles (Noto Sans and Noto Sans Devanagari, so Latin, Cyrillic and Devanagari titles
//! render and the build needs no system fonts).
//!
//! This module owns the card's file name, the template, the title's line breaks, the drawing
//! (resvg) and the cache: each card is stored in `.bilat-cache/cards/` under a hash of the SVG it
//! was drawn from (which holds everything the card shows), so a rebuild draws only the cards whose
//! title, site title, colours or template changed. What links to a card (`og:image`) is the
//! views' and the layouts' business; writing the PNGs into the output is the caller's.

use crate::error::{Diagnostic, Error, Result};
use crate::output::Output;
use crate::site::Site;
use rayon::prelude::*;
use resvg::usvg;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub const WIDTH: u32 = 1200;
pub const HEIGHT: u32 = 630;
/// Where drawn cards are kept between builds, under the site root.
pub const CACHE_DIR: &str = ".bilat-cache/cards";
/// The card's file name in each page's folder.
pub const FILE_NAME: &str = "social-card.png";
/// The template a site may provide under `layouts/`.
pub const TEMPLATE: &str = "card.svg";

const DEFAULT_TEMPLATE: &str = include_str!("cards/default-card.svg");
/// The bundled fonts (SIL Open Font License, see fonts/OFL.txt).
const FONTS: [&[u8]; 4] = [
    include_bytes!("../fonts/NotoSans-Regular.ttf"),
    include_bytes!("../fonts/NotoSans-Bold.ttf"),
    include_bytes!("../fonts/NotoSansDevanagari-Regular.ttf"),
    include_bytes!("../fonts/NotoSansDevanagari-Bold.ttf"),
];
/// Part of every cache key: what draws the SVG, which its text does not show.
const DRAWING: &str = "resvg 0.49; Noto Sans 2020 (Debian fonts-noto-core); 1";

/// The site path of a page's card (`topics/trade/social-card.png`).
pub fn card_path(page_path: &str) -> String {
    format!("{page_path}{FILE_NAME}")
}

/// How many cards a build drew and how many it took from the cache.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    pub drawn: usize,
    pub cached: usize,
}

#[derive(Serialize)]
struct CardContext<'a> {
    title_lines: Vec<String>,
    title_size: u32,
    line_height: u32,
    site_title: &'a str,
    parties: &'a [crate::config::Party],
    width: u32,
    height: u32,
}

/// The template and the fonts, loaded once per build.
pub struct Cards {
    tera: tera::Tera,
    options: usvg::Options<'static>,
    /// The file the template came from, for errors.
    template_file: String,
    cache: PathBuf,
}

impl Cards {
    /// Loads `layouts/card.svg` under `root` if there is one, else the built-in template.
    pub fn new(root: &Path) -> Result<Cards> {
        let path = root.join("layouts").join(TEMPLATE);
        let (text, template_file) = match std::fs::read_to_string(&path) {
            Ok(t) => (t, format!("layouts/{TEMPLATE}")),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (
                DEFAULT_TEMPLATE.to_string(),
                format!("(built-in {TEMPLATE})"),
            ),
            Err(e) => return Err(Error::io(&path, e)),
        };
        let mut tera = tera::Tera::new();
        tera.autoescape_on(vec![".svg"]);
        tera.add_raw_template(TEMPLATE, &text).map_err(|e| {
            Error::Build(vec![Diagnostic::error(
                &template_file,
                None,
                format!("the social card template does not parse: {e}"),
            )])
        })?;
        let mut db = usvg::fontdb::Database::new();
        for font in FONTS {
            db.load_font_data(font.to_vec());
        }
        db.set_sans_serif_family("Noto Sans");
        let options = usvg::Options {
            font_family: "Noto Sans".into(),
            fontdb: Arc::new(db),
            ..Default::default()
        };
        Ok(Cards {
            tera,
            options,
            template_file,
            cache: root.join(CACHE_DIR),
        })
    }

    /// The card's SVG for a page titled `title`.
    pub fn svg(&self, title: &str, site: &crate::config::Config) -> Result<String> {
        let (title_lines, title_size) = wrap(title);
        let ctx = CardContext {
            title_lines,
            title_size,
            line_height: title_size * 6 / 5,
            site_title: &site.title,
            parties: &site.parties,
            width: WIDTH,
            height: HEIGHT,
        };
        let mut context = tera::Context::new();
        context.insert("card", &ctx);
        self.tera
            .render(TEMPLATE, &context)
            .map_err(|e| self.error(e))
    }

    fn error(&self, e: impl std::fmt::Display) -> Error {
        Error::Build(vec![Diagnostic::error(
            &self.template_file,
            None,
            format!("the social card template failed: {e}"),
        )])
    }

    /// Draws an SVG as a WIDTH×HEIGHT PNG.
    pub fn draw(&self, svg: &str) -> Result<Vec<u8>> {
        let tree = usvg::Tree::from_str(svg, &self.options).map_err(|e| {
            Error::Build(vec![Diagnostic::error(
                &self.template_file,
                None,
                format!("the social card is not valid SVG: {e}"),
            )])
        })?;
        let mut pixmap = resvg::tiny_skia::Pixmap::new(WIDTH, HEIGHT)
            .ok_or_else(|| self.error("cannot allocate the card's pixels"))?;
        let size = tree.size();
        let transform = resvg::tiny_skia::Transform::from_scale(
            WIDTH as f32 / size.width(),
            HEIGHT as f32 / size.height(),
        );
        resvg::render(&tree, transform, &mut pixmap.as_mut());
        pixmap.encode_png().map_err(|e| self.error(e))
    }

    /// The card for `svg`: from the cache, or drawn and stored there. A cache that cannot be
    /// written costs only the next build's time.
    pub fn png(&self, svg: &str) -> Result<(Vec<u8>, bool)> {
        self.png_keyed(svg).map(|(png, cached, _)| (png, cached))
    }

    fn png_keyed(&self, svg: &str) -> Result<(Vec<u8>, bool, String)> {
        let mut h = Sha256::new();
        h.update(DRAWING.as_bytes());
        h.update([0]);
        h.update(svg.as_bytes());
        let key: String = h
            .finalize()
            .iter()
            .take(16)
            .map(|b| format!("{b:02x}"))
            .collect();
        let file = self.cache.join(format!("{key}.png"));
        if let Ok(bytes) = std::fs::read(&file) {
            if bytes.starts_with(b"\x89PNG") {
                return Ok((bytes, true, key));
            }
        }
        let png = self.draw(svg)?;
        if std::fs::create_dir_all(&self.cache).is_ok() {
            let tmp = self
                .cache
                .join(format!(".{key}.{}.tmp", std::process::id()));
            if std::fs::write(&tmp, &png).is_ok() && std::fs::rename(&tmp, &file).is_err() {
                let _ = std::fs::remove_file(&tmp);
            }
        }
        Ok((png, false, key))
    }

    /// Removes cached cards no page of this build shows, so the cache stays the size of the site.
    fn prune(&self, keep: &std::collections::HashSet<String>) {
        let Ok(entries) = std::fs::read_dir(&self.cache) else {
            return;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let stale = name
                .strip_suffix(".png")
                .is_some_and(|key| !key.starts_with('.') && !keep.contains(key));
            if stale {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

/// The cards of the pages at `pages` (indices into `site.pages`), from the cache where they are
/// there; `bilat serve` calls this for the pages an edit re-renders. None when cards are off.
pub fn outputs_for(site: &Site, pages: &[usize]) -> Result<Vec<Output>> {
    if !site.config.social_cards || pages.is_empty() {
        return Ok(Vec::new());
    }
    let cards = Cards::new(&site.root)?;
    pages
        .par_iter()
        .filter_map(|&i| site.pages.get(i))
        .map(|page| {
            let svg = cards.svg(&page.meta.title, &site.config)?;
            Ok(Output {
                path: card_path(&page.path),
                bytes: cards.png(&svg)?.0,
            })
        })
        .collect()
}

/// Every content page's card, for the output dir. None when `social_cards: false`.
pub fn outputs(site: &Site) -> Result<(Vec<Output>, Stats)> {
    outputs_of(&[site])
}

/// The cards of every edition, each under its edition's folder (`ru/…`), with the cache pruned
/// once to what all of them use. A topic an edition links to in the default edition has its card
/// there.
pub fn outputs_of(editions: &[&Site]) -> Result<(Vec<Output>, Stats)> {
    let Some(first) = editions.first() else {
        return Ok((Vec::new(), Stats::default()));
    };
    if !first.config.social_cards {
        return Ok((Vec::new(), Stats::default()));
    }
    let cards = Cards::new(&first.root)?;
    let mut drawn: Vec<(Output, bool, String)> = Vec::new();
    for site in editions {
        let folder = &site.edition.prefix;
        let pages: Vec<&crate::content::Page> = (0..site.pages.len())
            .filter(|&i| !site.elsewhere(i))
            .map(|i| &site.pages[i])
            .collect();
        let mut these: Vec<(Output, bool, String)> = pages
            .par_iter()
            .map(|page| {
                let svg = cards.svg(&page.meta.title, &site.config)?;
                let (bytes, cached, key) = cards.png_keyed(&svg)?;
                Ok((
                    Output {
                        path: format!("{folder}{}", card_path(&page.path)),
                        bytes,
                    },
                    cached,
                    key,
                ))
            })
            .collect::<Result<_>>()?;
        drawn.append(&mut these);
    }
    cards.prune(&drawn.iter().map(|(_, _, k)| k.clone()).collect());
    let mut stats = Stats::default();
    let outputs = drawn
        .into_iter()
        .map(|(o, cached, _)| {
            if cached {
                stats.cached += 1;
            } else {
                stats.drawn += 1;
            }
            o
        })
        .collect();
    Ok((outputs, stats))
}

/// Roughly how wide `c` is in em at the bundled bold faces: enough to break lines before the
/// card's edge (a line that is a little short is fine; one off the card is not).
fn char_em(c: char) -> f32 {
    match c {
        ' ' => 0.26,
        'i' | 'l' | 'j' | 't' | 'f' | 'r' | '.' | ',' | ':' | ';' | '\'' | '!' | '|' => 0.34,
        'm' | 'w' | 'M' | 'W' | 'Ш' | 'Щ' | 'Ж' | 'ш' | 'щ' | 'ж' | 'ю' | 'Ю' => 0.92,
        'A'..='Z' | 'А'..='Я' | 'Ё' => 0.70,
        '–' | '—' => 0.70,
        // Devanagari vowel signs and other combining marks add no advance of their own.
        '\u{0900}'..='\u{0903}' | '\u{093a}'..='\u{094f}' | '\u{0951}'..='\u{0957}' => 0.1,
        '\u{0300}'..='\u{036f}' => 0.0,
        '\u{0904}'..='\u{097f}' => 0.72,
        c if c.is_ascii() => 0.60,
        c if ('\u{3000}'..='\u{9fff}').contains(&c) => 1.0,
        _ => 0.64,
    }
}

fn width_em(s: &str) -> f32 {
    s.chars().map(char_em).sum()
}

/// Breaks the title into lines that fit 1040 px: at 68 px in up to three lines, else at 56 px
/// in four, else at 48 px in four with the rest cut at a word and marked with an ellipsis.
fn wrap(title: &str) -> (Vec<String>, u32) {
    const LINE_PX: f32 = 1040.0;
    let words: Vec<&str> = title.split_whitespace().collect();
    let lay = |size: u32| -> Vec<String> {
        let max_em = LINE_PX / size as f32;
        let mut lines: Vec<String> = Vec::new();
        let mut line = String::new();
        for w in &words {
            let candidate = if line.is_empty() {
                w.to_string()
            } else {
                format!("{line} {w}")
            };
            if width_em(&candidate) <= max_em || line.is_empty() {
                line = candidate;
            } else {
                lines.push(std::mem::take(&mut line));
                line = w.to_string();
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
        lines
    };
    for (size, max_lines) in [(68, 3), (56, 4)] {
        let lines = lay(size);
        if lines.len() <= max_lines && lines.iter().all(|l| width_em(l) * size as f32 <= LINE_PX) {
            return (lines, size);
        }
    }
    let size = 48;
    let mut lines = lay(size);
    if lines.len() > 4 {
        lines.truncate(4);
        if let Some(last) = lines.last_mut() {
            last.push('…');
        }
    }
    // A single word longer than the line is cut, not drawn off the card.
    for l in &mut lines {
        while width_em(l) * size as f32 > LINE_PX && l.chars().count() > 1 {
            l.pop();
            l.pop();
            l.push('…');
        }
    }
    (lines, size)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (font family, glyph id) of every glyph the card's text is drawn with.
    fn glyphs(cards: &Cards, svg: &str) -> Vec<(String, u32)> {
        fn walk(g: &usvg::Group, db: &usvg::fontdb::Database, out: &mut Vec<(String, u32)>) {
            for n in g.children() {
                match n {
                    usvg::Node::Group(g) => walk(g, db, out),
                    usvg::Node::Text(t) => {
                        for span in t.layouted() {
                            for gl in &span.positioned_glyphs {
                                let family = db
                                    .face(gl.font)
                                    .and_then(|f| f.families.first())
                                    .map(|f| f.0.clone())
                                    .unwrap_or_default();
                                out.push((family, gl.id.0));
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        let tree = usvg::Tree::from_str(svg, &cards.options).expect("svg");
        let mut out = Vec::new();
        walk(tree.root(), &cards.options.fontdb, &mut out);
        out
    }

    fn config(title: &str) -> crate::config::Config {
        crate::config::Config::parse(&format!(
            "title: \"{title}\"\nbase_url: \"https://example.org/\"\nparties:\n  - {{ name: A, code: a, colour: \"#b45309\" }}\n  - {{ name: B, code: b, colour: \"#1d4ed8\" }}\n"
        ))
        .expect("config")
    }

    #[test]
    fn latin_cyrillic_and_devanagari_titles_are_drawn_with_real_glyphs() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cards = Cards::new(dir.path()).expect("cards");
        for (title, family) in [
            ("Trade: a record year", "Noto Sans"),
            ("Торговля: рекордный год", "Noto Sans"),
            ("भारत–रूस व्यापार", "Noto Sans Devanagari"),
        ] {
            let svg = cards
                .svg(title, &config("India–Russia relations"))
                .expect("svg");
            let glyphs = glyphs(&cards, &svg);
            assert!(!glyphs.is_empty(), "{title}: no text drawn");
            // Glyph 0 is the missing-glyph box.
            assert!(
                glyphs.iter().all(|(_, id)| *id != 0),
                "{title}: missing glyphs in {glyphs:?}"
            );
            assert!(
                glyphs.iter().any(|(f, _)| f == family),
                "{title}: not drawn in {family}: {glyphs:?}"
            );
            let png = cards.draw(&svg).expect("png");
            assert!(png.starts_with(b"\x89PNG"));
        }
    }

    #[test]
    fn short_titles_stay_large_and_long_ones_shrink_then_cut() {
        let (lines, size) = wrap("Trade");
        assert_eq!((lines, size), (vec!["Trade".to_string()], 68));
        let (lines, size) = wrap("Trade: a record year, and a lopsided one");
        assert_eq!(size, 68);
        assert!(lines.len() <= 2, "{lines:?}");
        let long = "word ".repeat(80);
        let (lines, size) = wrap(&long);
        assert_eq!(size, 48);
        assert_eq!(lines.len(), 4);
        assert!(lines[3].ends_with('…'));
        for l in &lines {
            assert!(width_em(l) * 48.0 <= 1040.0, "{l}");
        }
    }
}
