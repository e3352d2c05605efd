//! Responsive images: a JPEG, PNG or WebP that a page's Markdown shows (`![alt](photo.jpg)` next
//! to the page, or `![alt](/img/photo.jpg)` from assets/) is sent at several widths, each also as
//! lossy WebP, in a `<picture>` whose `srcset`/`sizes` let the browser pick the smallest that fills
//! the content column, with `width`/`height` so nothing moves while it loads.
//!
//! This module owns which files are resized, the widths, the variants' file names, the limits that
//! keep a hostile image from exhausting memory, the `<picture>` markup, the encoding, and the cache:
//! variants are stored in `.bilat-cache/images/` under a hash of the original's bytes and of the
//! encoder settings, so a rebuild encodes only images that changed. Finding the images in Markdown
//! (and reporting a missing file or alt text at its line) is [`crate::markdown`]'s; writing the
//! variants into the output is the caller's. SVG and GIF are not resized: they pass through.

use crate::content::StaticFile;
use crate::error::{Diagnostic, Error, Result};
use crate::output::Output;
use image::{DynamicImage, ImageDecoder, ImageReader};
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Where variants are kept between builds, under the site root.
pub const CACHE_DIR: &str = ".bilat-cache/images";
/// The widths variants are made at (never wider than the original): a phone at 1× to a 2× screen
/// filling the 42rem content column.
pub const WIDTHS: [u32; 4] = [480, 800, 1200, 1600];
/// How wide the image is shown: the content column (42rem, 1rem of padding each side on phones).
pub const SIZES: &str = "(max-width: 44rem) calc(100vw - 2rem), 42rem";
/// The largest image bilat decodes: 40 megapixels (160 MB as RGBA), far above any camera photo a
/// page needs, far below what would exhaust a CI runner. A header claiming more is refused before
/// a pixel is decoded, which is what stops a decompression bomb.
pub const MAX_PIXELS: u64 = 40_000_000;
/// The longest side bilat decodes.
pub const MAX_SIDE: u32 = 16_384;
const JPEG_QUALITY: u8 = 80;
const WEBP_QUALITY: f32 = 78.0;
/// Part of every cache key: what makes the variants, which the original's bytes do not say.
const ENCODING: &str = "image 0.25 Lanczos3; jpeg q80; png default; libwebp q78; 1";

/// The formats bilat resizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Jpeg,
    Png,
    WebP,
}

impl Format {
    /// The format a file name says, for the files bilat resizes.
    pub fn of_name(name: &str) -> Option<Format> {
        let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
        match ext.as_str() {
            "jpg" | "jpeg" => Some(Format::Jpeg),
            "png" => Some(Format::Png),
            "webp" => Some(Format::WebP),
            _ => None,
        }
    }

    fn of_image(f: image::ImageFormat) -> Option<Format> {
        match f {
            image::ImageFormat::Jpeg => Some(Format::Jpeg),
            image::ImageFormat::Png => Some(Format::Png),
            image::ImageFormat::WebP => Some(Format::WebP),
            _ => None,
        }
    }

    pub fn ext(self) -> &'static str {
        match self {
            Format::Jpeg => "jpg",
            Format::Png => "png",
            Format::WebP => "webp",
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::WebP => "image/webp",
        }
    }
}

/// What the Markdown pass knows of an image from its header: its size as shown (after the EXIF
/// orientation) and its format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Info {
    pub width: u32,
    pub height: u32,
    pub format: Format,
}

impl Info {
    /// The variants' widths, narrowest first: each of [`WIDTHS`] narrower than the original, and
    /// the original's own width if it is under the widest (a width within a tenth of the next
    /// one adds a file and no choice).
    pub fn widths(&self) -> Vec<u32> {
        let top = self.width.min(WIDTHS[WIDTHS.len() - 1]);
        let mut out: Vec<u32> = WIDTHS
            .iter()
            .copied()
            .filter(|&w| w < top && w * 10 < top * 9)
            .collect();
        out.push(top);
        out
    }

    /// The height of the variant `width` wide, at the original's aspect ratio.
    pub fn height_at(&self, width: u32) -> u32 {
        let h = (self.height as u64 * width as u64 + self.width as u64 / 2) / self.width as u64;
        h.max(1) as u32
    }

    /// The formats of the variants: the original's, then WebP (a WebP original has one).
    pub fn formats(&self) -> Vec<Format> {
        if self.format == Format::WebP {
            vec![Format::WebP]
        } else {
            vec![self.format, Format::WebP]
        }
    }
}

/// The site path of a variant: `topics/photo.jpg` at 480 px as WebP is `topics/photo-480w.webp`.
pub fn variant_path(site_path: &str, width: u32, format: Format) -> String {
    let stem = match site_path.rsplit_once('.') {
        Some((stem, _)) if !stem.ends_with('/') && !stem.is_empty() => stem,
        _ => site_path,
    };
    format!("{stem}-{width}w.{}", format.ext())
}

/// Every variant's site path for an image.
pub fn variant_paths(site_path: &str, info: &Info) -> Vec<String> {
    info.formats()
        .into_iter()
        .flat_map(|f| {
            info.widths()
                .into_iter()
                .map(move |w| variant_path(site_path, w, f))
        })
        .collect()
}

/// How the image is read: formats by content (a `.jpg` that is a PNG is still read), with the
/// limits that refuse a hostile image before it allocates.
/// Reading the header alone (`limited: false`) allocates nothing the size of the image, and lets
/// [`too_large`] say how large it is; decoding is limited.
fn reader(
    path: &Path,
    limited: bool,
) -> std::result::Result<ImageReader<std::io::BufReader<std::fs::File>>, String> {
    let mut r = ImageReader::open(path)
        .map_err(|e| format!("cannot open it: {e}"))?
        .with_guessed_format()
        .map_err(|e| format!("cannot read it: {e}"))?;
    if limited {
        let mut limits = image::Limits::default();
        limits.max_image_width = Some(MAX_SIDE);
        limits.max_image_height = Some(MAX_SIDE);
        limits.max_alloc = Some(MAX_PIXELS * 4 + (64 << 20));
        r.limits(limits);
    } else {
        r.no_limits();
    }
    Ok(r)
}

fn too_large(width: u32, height: u32) -> Option<String> {
    let pixels = width as u64 * height as u64;
    (width > MAX_SIDE || height > MAX_SIDE || pixels > MAX_PIXELS).then(|| {
        format!(
            "it is {width}×{height} pixels ({:.0} megapixels); bilat resizes images of at most {} megapixels and {MAX_SIDE} pixels a side",
            pixels as f64 / 1e6,
            MAX_PIXELS / 1_000_000
        )
    })
}

/// Reads the header only: format, size and EXIF orientation.
fn probe_file(path: &Path) -> std::result::Result<Info, String> {
    let r = reader(path, false)?;
    let format = r
        .format()
        .and_then(Format::of_image)
        .ok_or_else(|| "it is not a JPEG, PNG or WebP image".to_string())?;
    let mut decoder = r.into_decoder().map_err(describe)?;
    let (w, h) = decoder.dimensions();
    if let Some(m) = too_large(w, h) {
        return Err(m);
    }
    if w == 0 || h == 0 {
        return Err("it has no pixels".into());
    }
    let turned = matches!(
        decoder.orientation(),
        Ok(image::metadata::Orientation::Rotate90
            | image::metadata::Orientation::Rotate270
            | image::metadata::Orientation::Rotate90FlipH
            | image::metadata::Orientation::Rotate270FlipH)
    );
    let (width, height) = if turned { (h, w) } else { (w, h) };
    Ok(Info {
        width,
        height,
        format,
    })
}

fn describe(e: image::ImageError) -> String {
    match e {
        image::ImageError::Limits(_) => format!(
            "it needs more memory to decode than bilat allows ({} megapixels at most): {e}",
            MAX_PIXELS / 1_000_000
        ),
        e => format!("it cannot be decoded: {e}"),
    }
}

/// The images of content/ and assets/ that can be resized, with what their headers said (each
/// read once, whichever page shows it first).
pub struct Catalog {
    files: HashMap<String, PathBuf>,
    probed: Mutex<HashMap<String, std::result::Result<Info, String>>>,
}

impl Catalog {
    /// The resizable files among `files` (site paths with the file on disk).
    pub fn new<'a>(files: impl Iterator<Item = &'a StaticFile>) -> Catalog {
        Catalog {
            files: files
                .filter(|f| f.builtin.is_none() && Format::of_name(&f.rel).is_some())
                .map(|f| (f.rel.clone(), f.file.clone()))
                .collect(),
            probed: Mutex::new(HashMap::new()),
        }
    }

    /// None when `site_path` is no resizable image of the site (an SVG, a GIF, a missing file);
    /// else its header, or why it cannot be read.
    pub fn probe(&self, site_path: &str) -> Option<std::result::Result<Info, String>> {
        let file = self.files.get(site_path)?;
        if let Some(r) = self.probed.lock().ok()?.get(site_path) {
            return Some(r.clone());
        }
        let r = probe_file(file);
        if let Ok(mut m) = self.probed.lock() {
            m.insert(site_path.to_string(), r.clone());
        }
        Some(r)
    }
}

/// What the `<picture>` shows, besides the image.
pub struct Shown<'a> {
    /// The URL of `site_path`'s folder part is the site's base path plus the encoded site path.
    pub url: &'a dyn Fn(&str) -> String,
    pub site_path: &'a str,
    pub info: Info,
    /// Already escaped for an attribute.
    pub alt: &'a str,
    pub title: &'a str,
    /// The first image of a page is loaded at once (it is likely in view).
    pub first: bool,
}

/// The `<picture>` for an image: a WebP `<source>`, then an `<img>` in the original's format.
pub fn picture_html(s: &Shown<'_>) -> String {
    let widths = s.info.widths();
    let srcset = |f: Format| {
        widths
            .iter()
            .map(|&w| format!("{} {w}w", (s.url)(&variant_path(s.site_path, w, f))))
            .collect::<Vec<_>>()
            .join(", ")
    };
    // The fallback `src`: the widest variant up to 800 px, for browsers without srcset.
    let fallback = widths
        .iter()
        .copied()
        .rfind(|&w| w <= 800)
        .unwrap_or(widths[0]);
    let top = widths[widths.len() - 1];
    let mut html = String::from("<picture>");
    if s.info.format != Format::WebP {
        html.push_str(&format!(
            "<source type=\"image/webp\" srcset=\"{}\" sizes=\"{SIZES}\">",
            srcset(Format::WebP)
        ));
    }
    html.push_str(&format!(
        "<img src=\"{}\" srcset=\"{}\" sizes=\"{SIZES}\" width=\"{top}\" height=\"{}\" alt=\"{}\"",
        (s.url)(&variant_path(s.site_path, fallback, s.info.format)),
        srcset(s.info.format),
        s.info.height_at(top),
        s.alt
    ));
    if !s.title.is_empty() {
        html.push_str(&format!(" title=\"{}\"", s.title));
    }
    if !s.first {
        html.push_str(" loading=\"lazy\" decoding=\"async\"");
    }
    html.push_str("></picture>");
    html
}

/// How many variants a build encoded and how many it took from the cache.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    pub encoded: usize,
    pub cached: usize,
}

impl std::ops::AddAssign for Stats {
    fn add_assign(&mut self, o: Stats) {
        self.encoded += o.encoded;
        self.cached += o.cached;
    }
}

fn encode(img: &DynamicImage, format: Format) -> std::result::Result<Vec<u8>, String> {
    let has_alpha = img.color().has_alpha();
    match format {
        Format::WebP => {
            let (w, h) = (img.width(), img.height());
            let mem = if has_alpha {
                let rgba = img.to_rgba8();
                webp::Encoder::from_rgba(&rgba, w, h).encode_simple(false, WEBP_QUALITY)
            } else {
                let rgb = img.to_rgb8();
                webp::Encoder::from_rgb(&rgb, w, h).encode_simple(false, WEBP_QUALITY)
            }
            .map_err(|e| format!("WebP encoding failed: {e:?}"))?;
            Ok(mem.to_vec())
        }
        Format::Jpeg => {
            let mut out = Vec::new();
            let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY);
            DynamicImage::ImageRgb8(img.to_rgb8())
                .write_with_encoder(enc)
                .map_err(|e| format!("JPEG encoding failed: {e}"))?;
            Ok(out)
        }
        Format::Png => {
            let mut out = Vec::new();
            let enc = image::codecs::png::PngEncoder::new(&mut out);
            let img = if has_alpha {
                DynamicImage::ImageRgba8(img.to_rgba8())
            } else {
                DynamicImage::ImageRgb8(img.to_rgb8())
            };
            img.write_with_encoder(enc)
                .map_err(|e| format!("PNG encoding failed: {e}"))?;
            Ok(out)
        }
    }
}

/// Decodes an image whole, turned upright.
fn decode(path: &Path) -> std::result::Result<DynamicImage, String> {
    let r = reader(path, true)?;
    let mut decoder = r.into_decoder().map_err(describe)?;
    let (w, h) = decoder.dimensions();
    if let Some(m) = too_large(w, h) {
        return Err(m);
    }
    let orientation = decoder.orientation().ok();
    let mut img = DynamicImage::from_decoder(decoder).map_err(describe)?;
    if let Some(o) = orientation {
        img.apply_orientation(o);
    }
    Ok(img)
}

/// One image's variants, how many were encoded and cached, and its cache key.
type Made = (Vec<Output>, Stats, String);

/// Makes (or takes from the cache) one image's variants.
struct Variants {
    cache: PathBuf,
}

impl Variants {
    fn make(&self, site_path: &str, file: &Path) -> std::result::Result<Made, String> {
        let bytes = std::fs::read(file).map_err(|e| format!("cannot read it: {e}"))?;
        let mut h = Sha256::new();
        h.update(ENCODING.as_bytes());
        h.update([0]);
        h.update(&bytes);
        let key: String = h
            .finalize()
            .iter()
            .take(16)
            .map(|b| format!("{b:02x}"))
            .collect();
        drop(bytes);
        let info = probe_file(file)?;
        let mut stats = Stats::default();
        let mut outputs = Vec::new();
        let mut decoded: Option<DynamicImage> = None;
        for format in info.formats() {
            for width in info.widths() {
                let cached = self.cache.join(format!("{key}-{width}.{}", format.ext()));
                let path = variant_path(site_path, width, format);
                if let Ok(bytes) = std::fs::read(&cached) {
                    if !bytes.is_empty() {
                        stats.cached += 1;
                        outputs.push(Output { path, bytes });
                        continue;
                    }
                }
                if decoded.is_none() {
                    decoded = Some(decode(file)?);
                }
                let Some(img) = decoded.as_ref() else {
                    continue;
                };
                let resized = if width == img.width() {
                    img.clone()
                } else {
                    img.resize_exact(
                        width,
                        info.height_at(width),
                        image::imageops::FilterType::Lanczos3,
                    )
                };
                let bytes = encode(&resized, format)?;
                store(&self.cache, &cached, &bytes);
                stats.encoded += 1;
                outputs.push(Output { path, bytes });
            }
        }
        Ok((outputs, stats, key))
    }
}

/// Writes a cache file atomically; a cache that cannot be written costs only the next build's time.
fn store(dir: &Path, file: &Path, bytes: &[u8]) {
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let Some(name) = file.file_name() else {
        return;
    };
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    if std::fs::write(&tmp, bytes).is_ok() && std::fs::rename(&tmp, file).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}

/// The images a build (or an edit) must make variants of, and where they are: the site's model
/// hands this over ([`crate::site::Site::images_shown`]), so this module needs none of it.
pub struct Wanted<'a> {
    /// The site root: the cache is under it, and messages name files from it.
    pub root: &'a Path,
    /// Site path → file, for the static files of content/ and assets/.
    pub files: HashMap<&'a str, &'a Path>,
    /// The site paths of the images the pages show (sorted, each once).
    pub shown: BTreeSet<String>,
}

fn make_all(w: &Wanted<'_>) -> Result<(Vec<Output>, Stats, Vec<String>)> {
    let variants = Variants {
        cache: w.root.join(CACHE_DIR),
    };
    let results: Vec<std::result::Result<Made, Diagnostic>> = w
        .shown
        .par_iter()
        .filter_map(|p| w.files.get(p.as_str()).map(|f| (p, *f)))
        .map(|(p, file)| {
            variants.make(p, file).map_err(|m| {
                let shown = file.strip_prefix(w.root).unwrap_or(file);
                Diagnostic::error(shown, None, format!("image cannot be resized: {m}"))
                    .with_help("replace it with a JPEG, PNG or WebP that opens in an image viewer")
            })
        })
        .collect();
    let mut outputs = Vec::new();
    let mut stats = Stats::default();
    let mut keys = Vec::new();
    let mut errors = Vec::new();
    for r in results {
        match r {
            Ok((o, s, k)) => {
                outputs.extend(o);
                stats += s;
                keys.push(k);
            }
            Err(d) => errors.push(d),
        }
    }
    if !errors.is_empty() {
        return Err(Error::Build(errors));
    }
    Ok((outputs, stats, keys))
}

/// Every variant of every image a whole site shows, for the output dir; cached variants no page
/// shows any more are removed, so the cache stays the size of the site.
pub fn outputs(w: &Wanted<'_>) -> Result<(Vec<Output>, Stats)> {
    let (outputs, stats, keys) = make_all(w)?;
    prune(&w.root.join(CACHE_DIR), &keys);
    Ok((outputs, stats))
}

/// The variants of some pages' images (`bilat serve` after an edit); the cache is not pruned.
pub fn outputs_for(w: &Wanted<'_>) -> Result<Vec<Output>> {
    Ok(make_all(w)?.0)
}

/// The site paths of every variant a build writes, without making them (for `bilat check`).
pub fn variant_paths_of(w: &Wanted<'_>) -> Vec<String> {
    w.shown
        .iter()
        .filter_map(|p| w.files.get(p.as_str()).map(|f| (p, f)))
        .filter_map(|(p, f)| probe_file(f).ok().map(|info| variant_paths(p, &info)))
        .flatten()
        .collect()
}

fn prune(dir: &Path, keep: &[String]) {
    let keep: std::collections::HashSet<&str> = keep.iter().map(String::as_str).collect();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let stale = !name.starts_with('.')
            && name
                .split_once('-')
                .is_some_and(|(key, _)| !keep.contains(key));
        if stale {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(width: u32, height: u32) -> Info {
        Info {
            width,
            height,
            format: Format::Jpeg,
        }
    }

    #[test]
    fn widths_never_exceed_the_original_or_the_widest_step() {
        assert_eq!(info(2400, 1600).widths(), vec![480, 800, 1200, 1600]);
        assert_eq!(info(1000, 500).widths(), vec![480, 800, 1000]);
        // 1200 is within a tenth of 1300: one file fewer, no worse choice.
        assert_eq!(info(1300, 500).widths(), vec![480, 800, 1300]);
        assert_eq!(info(300, 200).widths(), vec![300]);
        assert_eq!(info(2400, 1600).height_at(480), 320);
        assert_eq!(info(3, 1).height_at(1), 1);
    }

    #[test]
    fn variant_names_keep_the_folder_and_stem() {
        assert_eq!(
            variant_path("topics/photo.jpg", 480, Format::WebP),
            "topics/photo-480w.webp"
        );
        assert_eq!(
            variant_path("a.b/photo.x.PNG", 800, Format::Png),
            "a.b/photo.x-800w.png"
        );
        assert_eq!(Format::of_name("x.JPEG"), Some(Format::Jpeg));
        assert_eq!(Format::of_name("x.gif"), None);
        assert_eq!(Format::of_name("x.svg"), None);
    }

    #[test]
    fn a_header_claiming_a_huge_image_is_refused_before_decoding() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("bomb.png");
        // A valid PNG header for 60000×60000 RGBA pixels, with five bytes of image data.
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut ihdr = 60000u32.to_be_bytes().to_vec();
        ihdr.extend_from_slice(&60000u32.to_be_bytes());
        ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
        let idat = [
            0x78, 0x01, 0x01, 5, 0, 0xfa, 0xff, 0, 0, 0, 0, 0, 0x00, 0x05, 0x00, 0x01,
        ];
        for (kind, data) in [(&b"IHDR"[..], &ihdr[..]), (b"IDAT", &idat), (b"IEND", &[])] {
            png.extend_from_slice(&(data.len() as u32).to_be_bytes());
            let mut body = kind.to_vec();
            body.extend_from_slice(data);
            png.extend_from_slice(&body);
            png.extend_from_slice(&crc32(&body).to_be_bytes());
        }
        std::fs::write(&path, &png).expect("write");
        let err = probe_file(&path).expect_err("refused");
        assert!(err.contains("megapixels"), "{err}");
        let err = decode(&path).expect_err("refused");
        assert!(err.contains("megapixels"), "{err}");
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
}
