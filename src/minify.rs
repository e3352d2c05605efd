//! Minifying rendered pages. minify-html-onepass rewrites a page in one streaming pass; the full
//! minify-html, which builds a tree of the whole page first, took half the CPU of a build and
//! most of its peak memory (the site-wide pages run to megabytes), so it is kept only for the
//! pages onepass refuses: mismatched tags in raw HTML that a topic wrote. Optional closing tags
//! are left out, as the HTML standard allows; the shortcuts onepass takes that the standard calls
//! parse errors are undone by [`restore_conformance`].

use memchr::{memchr, memchr2, memchr3, memmem};

/// Minifies a rendered HTML page. Never fails: a page neither minifier can take (nested past
/// [`MAX_MINIFY_DEPTH`]) is written as it is.
///
/// Onepass rewrites `html` in place and leaves it half-done when it refuses a page, so for those
/// rare pages `again` makes the page once more for the full minifier: copying every page first, in
/// case, cost a memory copy of each page and, on a large site, the size of its largest page.
///
/// Both minifiers recurse once per open element, so raw HTML nested thousands deep would
/// overflow the stack: deep pages are minified on a thread with a stack to match.
pub fn minify(html: String, again: &(dyn Fn() -> String + Sync)) -> Vec<u8> {
    let depth = nesting_depth(&html, MAX_MINIFY_DEPTH + 1);
    if depth > MAX_MINIFY_DEPTH {
        return html.into_bytes();
    }
    if depth <= 48 {
        return minify_any(html.into_bytes(), again);
    }
    let stack = (1 << 20) + depth * (64 << 10);
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .name("minify".into())
            .stack_size(stack)
            .spawn_scoped(s, move || minify_any(html.into_bytes(), again))
            .ok()
            .and_then(|h| h.join().ok())
    })
    .unwrap_or_else(|| again().into_bytes())
}

fn minify_any(mut code: Vec<u8>, again: &(dyn Fn() -> String + Sync)) -> Vec<u8> {
    let fast = minify_html_onepass::Cfg {
        // JavaScript minification has broken scripts elsewhere; the scripts here are tiny.
        minify_js: false,
        // Stylesheets are copied as written; style elements in layouts are rare and small.
        minify_css: false,
    };
    match minify_html_onepass::in_place(&mut code, &fast) {
        Ok(len) => restore_conformance(&code[..len]),
        Err(_) => {
            drop(code);
            let mut cfg = minify_html::Cfg::new();
            cfg.keep_closing_tags = true;
            cfg.keep_html_and_head_opening_tags = true;
            cfg.minify_css = false;
            cfg.minify_js = false;
            cfg.keep_comments = false;
            minify_html::minify(again().as_bytes(), &cfg)
        }
    }
}

/// Elements whose content is text up to their closing tag, never tags.
const RAW_TEXT: [&[u8]; 9] = [
    b"script",
    b"style",
    b"textarea",
    b"title",
    b"xmp",
    b"iframe",
    b"noembed",
    b"noframes",
    b"plaintext",
];

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c')
}

/// Undoes the shortcuts onepass takes that the HTML standard calls parse errors (browsers
/// recover, but checkers flag them on every page): no space between a quoted attribute value and
/// the next attribute (`title="a"href=b`), character references without their semicolon
/// (`&LTb`), and a bare `<` in text that does not start a tag (`a < b`).
pub fn restore_conformance(html: &[u8]) -> Vec<u8> {
    let n = html.len();
    let mut out = Vec::with_capacity(n + n / 64);
    // Everything before `i` is in `out`.
    let mut i = 0;
    while let Some(p) = memchr2(b'<', b'&', &html[i..]).map(|p| p + i) {
        out.extend_from_slice(&html[i..p]);
        if html[p] == b'&' {
            let name_end = (p + 1..n)
                .find(|&k| !html[k].is_ascii_alphanumeric())
                .unwrap_or(n);
            let run = &html[p + 1..name_end];
            let closed = html.get(name_end) == Some(&b';');
            // `&LTb` is `<` then `b`; `&ltimes;` is an entity of its own and stays.
            let bare = BARE_REFERENCES.iter().find(|(bare, _, longer)| {
                run.starts_with(bare) && !(closed && (run.len() == bare.len() || *longer))
            });
            match bare {
                Some((bare, full, _)) => {
                    out.extend_from_slice(full);
                    i = p + 1 + bare.len();
                }
                None => {
                    out.push(b'&');
                    i = p + 1;
                }
            }
            continue;
        }
        if html[p..].starts_with(b"<!--") {
            let end = memmem::find(&html[p + 4..], b"-->").map_or(n, |e| p + 4 + e + 3);
            out.extend_from_slice(&html[p..end]);
            i = end;
            continue;
        }
        match html.get(p + 1) {
            Some(c) if c.is_ascii_alphabetic() => {}
            Some(b'/' | b'!' | b'?') => {
                out.push(b'<');
                i = p + 1;
                continue;
            }
            _ => {
                out.extend_from_slice(b"&lt;");
                i = p + 1;
                continue;
            }
        }
        let name_end = (p + 1..n)
            .find(|&k| is_space(html[k]) || html[k] == b'/' || html[k] == b'>')
            .unwrap_or(n);
        out.extend_from_slice(&html[p..name_end]);
        let mut k = name_end;
        while let Some(q) = memchr3(b'"', b'\'', b'>', &html[k..]).map(|e| k + e) {
            out.extend_from_slice(&html[k..q]);
            k = q;
            if html[q] == b'>' {
                break;
            }
            if html[q - 1] != b'=' {
                out.push(html[q]);
                k = q + 1;
                continue;
            }
            let close = memchr(html[q], &html[q + 1..]).map_or(n, |e| q + 1 + e + 1);
            out.extend_from_slice(&html[q..close]);
            k = close;
            if html
                .get(k)
                .is_some_and(|&d| !is_space(d) && d != b'/' && d != b'>')
            {
                out.push(b' ');
            }
        }
        if html.get(k) != Some(&b'>') {
            // The page ends inside the tag.
            out.extend_from_slice(&html[k..]);
            k = n;
        }
        let tag_end = (k + 1).min(n);
        out.extend_from_slice(&html[k..tag_end]);
        i = tag_end;
        let name = &html[p + 1..name_end];
        if RAW_TEXT.iter().any(|r| name.eq_ignore_ascii_case(r)) {
            let close = closing_tag(html, i, name);
            out.extend_from_slice(&html[i..close]);
            i = close;
        }
    }
    out.extend_from_slice(&html[i..]);
    out
}

/// The references onepass writes without a semicolon, how the standard wants them in text, and
/// whether longer entity names start with them (`&ltimes;`).
const BARE_REFERENCES: [(&[u8], &[u8], bool); 8] = [
    (b"LT", b"&lt;", false),
    (b"lt", b"&lt;", true),
    (b"GT", b"&gt;", false),
    (b"gt", b"&gt;", true),
    (b"AMP", b"&amp;", false),
    (b"amp", b"&amp;", false),
    (b"QUOT", b"&quot;", false),
    (b"quot", b"&quot;", false),
];

/// Where `</name` starts at or after `from` (names compared ignoring case), or the end.
fn closing_tag(html: &[u8], from: usize, name: &[u8]) -> usize {
    let mut at = from;
    while let Some(p) = memmem::find(&html[at..], b"</").map(|p| p + at) {
        let candidate = &html[p + 2..];
        if candidate.len() >= name.len() && candidate[..name.len()].eq_ignore_ascii_case(name) {
            return p;
        }
        at = p + 2;
    }
    html.len()
}

/// Pages whose elements nest deeper than this are not minified.
pub const MAX_MINIFY_DEPTH: usize = 1000;

/// How deeply elements nest in `html` as minify-html's parser sees them (it drops a closing tag
/// that does not match the innermost open element, and only void elements and foreign `/>`
/// elements have no content); stops counting past `limit`.
pub fn nesting_depth(html: &str, limit: usize) -> usize {
    let b = html.as_bytes();
    // The next `</name` from `from`, names compared ignoring case.
    let find_close = |from: usize, name: &[u8]| {
        let mut at = from.min(b.len());
        while let Some(p) = memmem::find(&b[at..], b"</").map(|p| p + at) {
            let n = &b[p + 2..];
            if n.len() >= name.len() && n[..name.len()].eq_ignore_ascii_case(name) {
                return Some(p);
            }
            at = p + 2;
        }
        None
    };
    let is_name = |c: u8| c.is_ascii_alphanumeric() || c == b'-' || c == b':' || c == b'_';
    // Open element names as byte ranges of `html` (names are ASCII: compared ignoring case).
    let mut stack: Vec<&[u8]> = Vec::new();
    let mut foreign = 0usize;
    let mut max = 0;
    let mut i = 0;
    let after = |from: usize, byte: u8| memchr(byte, &b[from.min(b.len())..]).map(|e| from + e);
    while let Some(p) = after(i, b'<') {
        i = p + 1;
        if b[p..].starts_with(b"<!--") {
            i = memmem::find(&b[(p + 4).min(b.len())..], b"-->").map_or(b.len(), |e| p + 4 + e + 3);
        } else if b.get(p + 1).is_some_and(|&c| c == b'!' || c == b'?') {
            i = after(p + 1, b'>').map_or(b.len(), |e| e + 1);
        } else if b.get(p + 1) == Some(&b'/') {
            let end = (p + 2..b.len())
                .find(|&k| !is_name(b[k]))
                .unwrap_or(b.len());
            let name = &b[p + 2..end];
            if stack
                .last()
                .is_some_and(|open| open.eq_ignore_ascii_case(name))
            {
                if kind(name) == Kind::ForeignRoot {
                    foreign = foreign.saturating_sub(1);
                }
                stack.pop();
            }
            i = after(end, b'>').map_or(b.len(), |e| e + 1);
        } else if b.get(p + 1).is_some_and(u8::is_ascii_alphabetic) {
            let end = (p + 1..b.len())
                .find(|&k| !is_name(b[k]))
                .unwrap_or(b.len());
            let name = &b[p + 1..end];
            // The end of the tag, skipping quoted attribute values (memchr jumps between the
            // three bytes that matter: a page's tags are mostly attributes).
            let mut k = end;
            while let Some(o) = memchr3(b'"', b'\'', b'>', &b[k.min(b.len())..]) {
                let at = k + o;
                if b[at] == b'>' {
                    k = at;
                    break;
                }
                k = after(at + 1, b[at]).map_or(b.len(), |e| e + 1);
            }
            if k >= b.len() || b[k] != b'>' {
                k = b.len();
            }
            let self_closing = k > 0 && b.get(k - 1) == Some(&b'/');
            i = (k + 1).min(b.len());
            let kind = kind(name);
            let is_foreign_root = kind == Kind::ForeignRoot;
            if kind == Kind::Void || (self_closing && (foreign > 0 || is_foreign_root)) {
                continue;
            }
            if kind == Kind::RawText {
                i = find_close(i, name).unwrap_or(b.len());
                continue;
            }
            if is_foreign_root {
                foreign += 1;
            }
            stack.push(name);
            max = max.max(stack.len());
            if max > limit {
                return max;
            }
        }
    }
    max
}

/// What an element's name makes of its content, as [`nesting_depth`] counts it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// No content and no closing tag.
    Void,
    /// Text up to its closing tag, never tags.
    RawText,
    /// `svg` and `math`, inside which `/>` closes an element.
    ForeignRoot,
    Other,
}

/// The kind of an element by its name, ignoring case: one lower-casing into a small buffer and
/// one `match` (it runs for every tag of every page).
fn kind(name: &[u8]) -> Kind {
    let mut lower = [0u8; 8];
    let Some(buf) = lower.get_mut(..name.len()) else {
        return Kind::Other;
    };
    for (l, c) in buf.iter_mut().zip(name) {
        *l = c.to_ascii_lowercase();
    }
    match &*buf {
        b"area" | b"base" | b"br" | b"col" | b"embed" | b"hr" | b"img" | b"input" | b"link"
        | b"meta" | b"param" | b"source" | b"track" | b"wbr" => Kind::Void,
        b"script" | b"style" | b"textarea" | b"title" => Kind::RawText,
        b"svg" | b"math" => Kind::ForeignRoot,
        _ => Kind::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_depth_counts_as_the_parser_nests() {
        let d = |html: &str| nesting_depth(html, 100);
        assert_eq!(d("<div><p>a</p><p>b</div>"), 2);
        // Void elements and foreign `/>` elements hold nothing; an HTML `/>` does not close.
        assert_eq!(d("<div><br><IMG src=x><input/></div>"), 1);
        assert_eq!(d("<svg><path/><g><rect/></g></svg>"), 2);
        assert_eq!(d("<div/><p>"), 2);
        // Raw text ends only at its own closing tag, in any case; tags inside it do not count.
        assert_eq!(d("<script>if (a<b) { x = '<div><div>' }</SCRIPT><p>"), 1);
        assert_eq!(d("<title><b><i></title>"), 0);
        // A `>` inside a quoted value does not end the tag; an unterminated quote runs to the end
        // (the tags after it are the value's text).
        assert_eq!(d("<a title='x>y' href=\"<q>\"><b>c</b></a>"), 2);
        assert_eq!(d("<p><a title=\"never closed><b><i>"), 2);
        // A closing tag that does not match the innermost element is dropped.
        assert_eq!(d("<div><span></div></span><em>"), 2);
        // Comments and doctypes hold no elements; counting stops past the limit.
        assert_eq!(d("<!DOCTYPE html><!-- <div><div> --><p>"), 1);
        assert_eq!(nesting_depth(&"<div>".repeat(50), 10), 11);
    }

    fn min(html: &str) -> String {
        String::from_utf8(minify(html.to_string(), &|| html.to_string())).expect("utf8")
    }

    #[test]
    fn a_quoted_value_is_followed_by_a_space() {
        assert_eq!(
            min(r#"<p><a title="Two words"  href="/x/">x</a> <img alt="a b"/></p>"#),
            r#"<p><a title="Two words" href=/x/>x</a> <img alt="a b">"#
        );
    }

    #[test]
    fn raw_text_and_comments_are_left_alone() {
        let script = r#"<script>let s = '<a title="x"href=y>';</script>"#;
        assert_eq!(restore_conformance(script.as_bytes()), script.as_bytes());
        let comment = r#"<!-- <a b="c"d> --><p>"#;
        assert_eq!(restore_conformance(comment.as_bytes()), comment.as_bytes());
        assert_eq!(
            restore_conformance(br#"<TITLE>"a"b</title><b c="d"e>"#),
            br#"<TITLE>"a"b</title><b c="d" e>"#
        );
    }

    #[test]
    fn pages_onepass_refuses_are_minified_by_the_full_minifier() {
        // A stray closing tag from raw HTML in a topic: onepass gives up, minify-html does not.
        let page = "<!DOCTYPE html><html><head><title>t</title></head><body>\n  <p>a</div>  b</p>\n</body></html>";
        let out = min(page);
        assert!(out.contains("<p>a b"), "{out}");
        assert!(!out.contains("\n"), "{out}");
    }

    #[test]
    fn references_keep_their_semicolons_and_a_bare_less_than_is_escaped() {
        assert_eq!(
            min("<p>&lt;b &lt; c &amp;amp; &amp;d 1&lt;2 &ltimes;</p>"),
            "<p>&lt;b &lt; c &amp;amp; &d 1&lt;2 ⋉"
        );
        // In attribute values a bare `&lt` followed by a letter means itself: left alone.
        assert_eq!(
            restore_conformance(br#"<a href="?a=1&ltx=2">"#),
            br#"<a href="?a=1&ltx=2">"#
        );
    }

    #[test]
    fn text_and_values_survive() {
        let page = r#"<p class="a  b">x &amp; y &lt;z&gt; “quoted”</p><pre>  kept
  as is</pre>"#;
        let out = min(page);
        assert!(out.contains("x & y &lt;z> “quoted”"), "{out}");
        assert!(out.contains("<pre>  kept\n  as is</pre>"), "{out}");
    }
}
