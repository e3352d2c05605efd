//! Social cards end to end: a build of the fixture site `sites/charts` with the default layouts
//! writes a real 1200×630 PNG beside every content page, links it from `og:image` with its size
//! and alt text, takes every card from `.bilat-cache/cards/` on the next build, draws again only
//! the card whose title changed, and draws none with `social_cards: false`.

mod common;

use common::*;
use scraper::{Html, Selector};
use std::path::Path;

/// (width, height, RGBA pixels) of a PNG, decoded.
fn decode(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("frame");
    buf.truncate(info.buffer_size());
    assert_eq!(info.color_type, png::ColorType::Rgba, "RGBA");
    (info.width, info.height, buf)
}

/// Pixels in the title's band (below the site title, above the party line) darker than mid-grey.
fn dark_title_pixels(rgba: &[u8], width: u32) -> usize {
    rgba.chunks(4)
        .enumerate()
        .filter(|(i, _)| {
            let y = *i as u32 / width;
            (170..500).contains(&y)
        })
        .filter(|(_, p)| (p[0] as u32 + p[1] as u32 + p[2] as u32) < 3 * 100)
        .count()
}

fn build_ok(root: &Path, out: &Path) -> String {
    let o = build(root, out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

const PAGES: [&str; 4] = ["", "topics/", "topics/bars/", "topics/lines/"];

#[test]
fn every_content_page_gets_a_card_linked_from_open_graph() {
    let (tmp, root) = chart_site();
    let out = tmp.path().join("public");
    let summary = build_ok(&root, &out);
    assert!(
        summary.contains("social cards: 4 drawn, 0 from the cache"),
        "{summary}"
    );
    for page in PAGES {
        let bytes = std::fs::read(out.join(page).join("social-card.png"))
            .unwrap_or_else(|e| panic!("{page}social-card.png: {e}"));
        let (w, h, rgba) = decode(&bytes);
        assert_eq!((w, h), (1200, 630), "{page}");
        assert!(
            dark_title_pixels(&rgba, w) > 2_000,
            "{page}: the title is not drawn"
        );
        // The parties' colours are on the card: Testland's #aa3300 in the top band.
        let top_left = &rgba[(10 * w as usize + 10) * 4..][..3];
        assert_eq!(top_left, [0xaa, 0x33, 0x00], "{page}");

        let doc = Html::parse_document(&read(&out, &format!("{page}index.html")));
        let meta = |property: &str| -> String {
            let s = Selector::parse(&format!(
                "meta[property=\"{property}\"], meta[name=\"{property}\"]"
            ))
            .expect("selector");
            doc.select(&s)
                .next()
                .and_then(|m| m.value().attr("content"))
                .unwrap_or_else(|| panic!("{page}: no {property}"))
                .to_string()
        };
        assert_eq!(
            meta("og:image"),
            format!("https://example.github.io/sub/{page}social-card.png")
        );
        assert_eq!(meta("og:image:width"), "1200");
        assert_eq!(meta("og:image:height"), "630");
        assert!(meta("og:image:alt").ends_with("— Testland–Examplestan relations"));
        assert_eq!(meta("twitter:card"), "summary_large_image");
    }
    // Generated pages have no card of their own.
    assert!(!read(&out, "glossary/index.html").contains("og:image"));
}

#[test]
fn a_rebuild_takes_cards_from_the_cache_and_redraws_only_what_changed() {
    let (tmp, root) = chart_site();
    let out = tmp.path().join("public");
    build_ok(&root, &out);
    let first = std::fs::read(out.join("topics/bars/social-card.png")).expect("card");
    let cached: Vec<_> = std::fs::read_dir(root.join(".bilat-cache/cards"))
        .expect("cache dir")
        .flatten()
        .collect();
    assert_eq!(cached.len(), 4, "one cached card per page");

    let summary = build_ok(&root, &out);
    assert!(
        summary.contains("social cards: 0 drawn, 4 from the cache"),
        "{summary}"
    );
    assert_eq!(
        std::fs::read(out.join("topics/bars/social-card.png")).expect("card"),
        first
    );

    // A new title draws that page's card again, and only that one; its old card leaves the cache.
    let page = root.join("content/topics/bars.md");
    let text = std::fs::read_to_string(&page).expect("read");
    std::fs::write(
        &page,
        text.replace("title: \"Trade in bars\"", "title: \"Торговля и व्यापार\""),
    )
    .expect("write");
    let summary = build_ok(&root, &out);
    assert!(
        summary.contains("social cards: 1 drawn, 3 from the cache"),
        "{summary}"
    );
    let second = std::fs::read(out.join("topics/bars/social-card.png")).expect("card");
    assert_ne!(second, first);
    let (w, _, rgba) = decode(&second);
    assert!(dark_title_pixels(&rgba, w) > 2_000);
    assert_eq!(
        std::fs::read_dir(root.join(".bilat-cache/cards"))
            .expect("cache dir")
            .count(),
        4
    );
}

#[test]
fn a_site_template_replaces_the_card_and_cards_can_be_turned_off() {
    let (tmp, root) = chart_site();
    let out = tmp.path().join("public");
    // The site may have no layouts/ of its own (the built-in theme draws its pages).
    std::fs::create_dir_all(root.join("layouts")).expect("mkdir");
    std::fs::write(
        root.join("layouts/card.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1200\" height=\"630\">\
         <rect width=\"1200\" height=\"630\" fill=\"#00ff00\"/>\
         <text x=\"40\" y=\"300\" font-size=\"60\">{{ card.title_lines | join(sep=' ') }}</text></svg>",
    )
    .expect("write");
    build_ok(&root, &out);
    let (w, h, rgba) =
        decode(&std::fs::read(out.join("topics/bars/social-card.png")).expect("card"));
    assert_eq!((w, h), (1200, 630));
    assert_eq!(&rgba[..3], [0x00, 0xff, 0x00]);

    // A template that is not SVG fails the build, naming the template.
    std::fs::write(root.join("layouts/card.svg"), "<svg").expect("write");
    let o = build(&root, &out, &[]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("layouts/card.svg"), "{}", stderr(&o));

    std::fs::remove_file(root.join("layouts/card.svg")).expect("rm");
    let yaml = std::fs::read_to_string(root.join("site.yaml")).expect("site.yaml");
    std::fs::write(
        root.join("site.yaml"),
        format!("{yaml}social_cards: false\n"),
    )
    .expect("write");
    let summary = build_ok(&root, &out);
    assert!(!summary.contains("social cards"), "{summary}");
    assert!(!out.join("topics/bars/social-card.png").exists());
    assert!(!read(&out, "topics/bars/index.html").contains("og:image"));
}
