//! Responsive images end to end: the fixture `sites/images` in a site made by `bilat init`, with a
//! 2000×1200 JPEG next to its page and a 600×300 PNG with transparency under assets/, generated
//! here. A build writes every width as the original's format and as WebP, links them from a
//! `<picture>` with `srcset`, `sizes`, `width`/`height` and lazy loading after the first; the next
//! build takes every variant from `.bilat-cache/images/`; an SVG passes through; a missing alt is
//! a `bilat check` warning (an error under `--strict`); an image that is missing, undecodable or
//! claims enormous dimensions fails the build naming the page's file and line.

mod common;

use common::*;
use scraper::{Html, Selector};
use std::path::{Path, PathBuf};

/// A photo-like test image: gradients with some grain, so encoders have real work to do.
fn pattern(width: u32, height: u32, alpha: bool) -> image::DynamicImage {
    let mut seed = 0x2545_f491u32;
    let mut noise = move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        (seed % 24) as u8
    };
    let mut img = image::RgbaImage::new(width, height);
    for (x, y, p) in img.enumerate_pixels_mut() {
        let r = (x * 200 / width) as u8 + noise();
        let g = (y * 200 / height) as u8 + noise();
        let b = (((x + y) / 7) % 200) as u8 + noise();
        let a = if alpha && (x + y) % 97 < 20 { 0 } else { 255 };
        *p = image::Rgba([r, g, b, a]);
    }
    if alpha {
        image::DynamicImage::ImageRgba8(img)
    } else {
        image::DynamicImage::ImageRgb8(image::DynamicImage::ImageRgba8(img).to_rgb8())
    }
}

/// The fixture with its two images written, in a new site.
fn image_site() -> (tempfile::TempDir, PathBuf) {
    let (tmp, root) = init_site("Testland:tl", "Examplestan:ex");
    copy_dir(&fixture("sites/images"), &root);
    pattern(2000, 1200, false)
        .save(root.join("content/topics/wide.jpg"))
        .expect("write jpg");
    std::fs::create_dir_all(root.join("assets/img")).expect("mkdir");
    pattern(600, 300, true)
        .save(root.join("assets/img/badge.png"))
        .expect("write png");
    (tmp, root)
}

fn build_ok(root: &Path, out: &Path) -> String {
    let o = build(root, out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn dims(path: &Path) -> (u32, u32) {
    image::image_dimensions(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn attr<'a>(el: &'a scraper::ElementRef<'_>, name: &str) -> &'a str {
    el.value().attr(name).unwrap_or_default()
}

/// The widths a `srcset` offers, with the URLs' endings.
fn srcset(value: &str) -> Vec<(String, u32)> {
    value
        .split(',')
        .map(|c| {
            let (url, w) = c.trim().rsplit_once(' ').expect("url and width");
            let w = w
                .strip_suffix('w')
                .expect("a width")
                .parse()
                .expect("number");
            (url.to_string(), w)
        })
        .collect()
}

#[test]
fn every_width_is_written_as_the_original_format_and_webp_and_linked_from_a_picture() {
    let (tmp, root) = image_site();
    let out = tmp.path().join("public");
    let summary = build_ok(&root, &out);
    // wide.jpg: 4 widths × 2 formats; badge.png (600 px): 480 and 600 × 2 formats.
    assert!(
        summary.contains("image variants: 12 encoded, 0 from the cache"),
        "{summary}"
    );
    let original = std::fs::metadata(root.join("content/topics/wide.jpg"))
        .expect("original")
        .len();
    for (w, h) in [(480, 288), (800, 480), (1200, 720), (1600, 960)] {
        for ext in ["jpg", "webp"] {
            let f = out.join(format!("topics/wide-{w}w.{ext}"));
            assert_eq!(dims(&f), (w, h), "{}", f.display());
        }
        let webp = std::fs::metadata(out.join(format!("topics/wide-{w}w.webp")))
            .expect("webp")
            .len();
        assert!(
            webp < original,
            "{w} px WebP {webp} B ≥ original {original} B"
        );
    }
    let webp = image::open(out.join("img/badge-600w.webp")).expect("webp decodes");
    assert!(webp.color().has_alpha(), "the PNG's transparency is kept");
    assert_eq!(dims(&out.join("img/badge-480w.png")), (480, 240));
    assert!(!out.join("img/badge-800w.png").exists(), "never enlarged");
    // The originals are still there for whoever links to them.
    assert!(out.join("topics/wide.jpg").exists());

    let html = Html::parse_document(&read(&out, "topics/photos/index.html"));
    let imgs: Vec<_> = html
        .select(&Selector::parse("picture > img").expect("selector"))
        .collect();
    assert_eq!(imgs.len(), 3, "wide.jpg twice and badge.png");
    let first = &imgs[0];
    assert_eq!(attr(first, "alt"), "A wide test pattern");
    assert_eq!(attr(first, "title"), "A pattern");
    assert_eq!(
        (attr(first, "width"), attr(first, "height")),
        ("1600", "960")
    );
    assert!(attr(first, "sizes").contains("42rem"));
    assert_eq!(
        srcset(attr(first, "srcset")),
        [480, 800, 1200, 1600]
            .map(|w| (format!("/tl-ex/topics/wide-{w}w.jpg"), w))
            .to_vec()
    );
    assert_eq!(attr(first, "src"), "/tl-ex/topics/wide-800w.jpg");
    // The first image is likely in view: loaded at once; the others lazily.
    assert_eq!(first.value().attr("loading"), None);
    for img in &imgs[1..] {
        assert_eq!(attr(img, "loading"), "lazy");
        assert_eq!(attr(img, "decoding"), "async");
    }
    let badge = &imgs[1];
    assert_eq!(
        (attr(badge, "width"), attr(badge, "height")),
        ("600", "300")
    );
    let sources: Vec<_> = html
        .select(&Selector::parse("picture > source").expect("selector"))
        .collect();
    assert_eq!(sources.len(), 3);
    assert_eq!(attr(&sources[0], "type"), "image/webp");
    assert_eq!(
        srcset(attr(&sources[1], "srcset")),
        vec![
            ("/tl-ex/img/badge-480w.webp".to_string(), 480),
            ("/tl-ex/img/badge-600w.webp".to_string(), 600)
        ]
    );
    // SVG passes through as written.
    let svg = html
        .select(&Selector::parse("img[src$=\"diagram.svg\"]").expect("selector"))
        .next()
        .expect("the SVG's img");
    assert!(svg.value().attr("srcset").is_none());
    assert!(out.join("topics/diagram.svg").exists());
}

fn mtimes(dir: &Path) -> Vec<(PathBuf, std::time::SystemTime)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .expect("cache dir")
        .map(|e| {
            let e = e.expect("entry");
            (
                e.path(),
                e.metadata().expect("meta").modified().expect("mtime"),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn a_rebuild_takes_variants_from_the_cache_and_encodes_only_a_changed_image() {
    let (tmp, root) = image_site();
    let out = tmp.path().join("public");
    build_ok(&root, &out);
    let cache = root.join(".bilat-cache/images");
    let before = mtimes(&cache);
    assert_eq!(before.len(), 12, "{before:?}");
    let summary = build_ok(&root, &out);
    assert!(
        summary.contains("image variants: 0 encoded, 12 from the cache"),
        "{summary}"
    );
    assert_eq!(mtimes(&cache), before, "no cached file was written again");
    assert_eq!(dims(&out.join("topics/wide-1200w.webp")), (1200, 720));

    // A new badge: its four variants are encoded, the old ones leave the cache.
    pattern(700, 700, true)
        .save(root.join("assets/img/badge.png"))
        .expect("write png");
    let summary = build_ok(&root, &out);
    assert!(
        summary.contains("image variants: 4 encoded, 8 from the cache"),
        "{summary}"
    );
    assert_eq!(dims(&out.join("img/badge-480w.png")), (480, 480));
    assert_eq!(mtimes(&cache).len(), 12, "stale variants are pruned");
}

fn check(root: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["check", "--root", root.to_str().expect("utf8")];
    args.extend_from_slice(extra);
    bilat(&args)
}

#[test]
fn a_missing_alt_text_is_a_check_warning_and_an_error_under_strict() {
    let (_tmp, root) = image_site();
    let o = check(&root, &[]);
    let text = format!("{}{}", String::from_utf8_lossy(&o.stdout), stderr(&o));
    assert!(o.status.success(), "{text}");
    assert!(
        text.contains("content/topics/photos.md:20: warning: image has no alt text"),
        "{text}"
    );
    // The other images have alt text.
    assert_eq!(text.matches("has no alt text").count(), 1, "{text}");
    let o = check(&root, &["--strict"]);
    let text = format!("{}{}", String::from_utf8_lossy(&o.stdout), stderr(&o));
    assert!(!o.status.success(), "{text}");
    assert!(text.contains("content/topics/photos.md:20"), "{text}");
}

fn build_fails(root: &Path, out: &Path) -> String {
    let o = build(root, out, &[]);
    assert!(!o.status.success(), "the build should fail");
    assert!(!out.exists(), "nothing is written");
    stderr(&o)
}

#[test]
fn an_undecodable_image_fails_the_build_naming_the_page_and_line() {
    let (tmp, root) = image_site();
    std::fs::write(
        root.join("content/topics/wide.jpg"),
        b"\xff\xd8\xff not a JPEG at all",
    )
    .expect("write");
    let err = build_fails(&root, &tmp.path().join("public"));
    assert!(
        err.contains("content/topics/photos.md:8: error: image `wide.jpg` cannot be used"),
        "{err}"
    );
    // Both references are reported, not only the first.
    assert!(err.contains("content/topics/photos.md:20: error"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn an_image_claiming_enormous_dimensions_is_refused_before_it_is_decoded() {
    let (tmp, root) = image_site();
    // A PNG header for 50000×50000 pixels (10 GB as RGBA) over a few bytes of data.
    let png = bomb_png(50_000);
    std::fs::write(root.join("assets/img/badge.png"), &png).expect("write");
    let err = build_fails(&root, &tmp.path().join("public"));
    assert!(
        err.contains("content/topics/photos.md:12: error: image `/img/badge.png` cannot be used: it is 50000×50000 pixels"),
        "{err}"
    );
}

#[test]
fn a_missing_image_fails_the_build_naming_the_page_and_line() {
    let (tmp, root) = image_site();
    std::fs::remove_file(root.join("content/topics/wide.jpg")).expect("rm");
    let err = build_fails(&root, &tmp.path().join("public"));
    assert!(
        err.contains("content/topics/photos.md:8: error: broken link: image `wide.jpg` not found"),
        "{err}"
    );
}

/// A PNG whose header claims `side`×`side` RGBA pixels, with five bytes of image data.
fn bomb_png(side: u32) -> Vec<u8> {
    fn chunk(png: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        png.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        png.extend_from_slice(&body);
        png.extend_from_slice(&crc32(&body).to_be_bytes());
    }
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = side.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&side.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    chunk(&mut png, b"IHDR", &ihdr);
    // A zlib stream of one stored block of five zero bytes.
    let idat = [
        0x78, 0x01, 0x01, 5, 0, 0xfa, 0xff, 0, 0, 0, 0, 0, 0x00, 0x05, 0x00, 0x01,
    ];
    chunk(&mut png, b"IDAT", &idat);
    chunk(&mut png, b"IEND", &[]);
    png
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}
