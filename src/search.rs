//! The search index: a small manifest, term shards and document chunks that the search page's
//! script fetches piece by piece, so a query downloads a few tens of kilobytes whatever the size
//! of the site (the old `search.json` held every page and was fetched whole).
//!
//! It owns how text becomes terms (Unicode word segmentation, case folding, stemming where the
//! language has a Snowball stemmer), how documents are ranked (BM25 over fields weighted so the
//! title and headings count more than the body) and the file format, which
//! `assets/js/search.js` reads. It takes plain documents ([`Doc`]) and a language tag, and leaves
//! which pages are indexed and where the files go to the site: an edition's index is just another
//! call with its own documents and language, written to its own directory.
//!
//! ## Files (paths relative to the index directory)
//! - `manifest.json`: `{"format":1,"lang","v","docs","chunk","terms":[first word of each shard]}`.
//! - `t/N.json`: `{"w":{word:i,…},"s":{stem:i,…},"p":[postings of stem i,…]}` for the words
//!   from `terms[N]` up to `terms[N+1]` (UTF-16 order, as JavaScript compares strings). A word
//!   maps to its stem's postings, so a query word found in any inflected form finds every form;
//!   a query word in a form the text never uses (`торговли` where the text has `торговля`) finds
//!   the longest stem it begins with, at most [`ENDING_CHARS`] characters shorter: the browser
//!   needs no stemmer of its own. A stem's postings are one string of variable-length numbers (see
//!   [`encode_numbers`]: 5 bits a character), doc gap then score for each document, docs
//!   ascending, scores integers (BM25 × 10): about 3 bytes a document, a third of a JSON array.
//! - `d/N.json`: `[[url, title, summary], …]` for documents `N*chunk` to `N*chunk+chunk-1`.
//!
//! The browser folds a query word exactly as [`fold`] does (lower case, canonical decomposition,
//! combining diacritics U+0300–U+036F dropped) after `Intl.Segmenter` splits it into words.

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use std::collections::{BTreeMap, HashMap};
use unicode_normalization::UnicodeNormalization;

/// One page to index. The text is what the site keeps of the body (its opening words).
pub struct Doc<'a> {
    pub url: String,
    pub title: &'a str,
    pub summary: &'a str,
    pub tags: &'a [String],
    pub headings: Vec<&'a str>,
    pub text: &'a str,
}

/// One file of the index, its path relative to the index directory.
pub struct IndexFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// Where a word stands on a page; the weight multiplies its count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Title,
    Heading,
    Tag,
    Summary,
    Body,
}

impl Field {
    fn weight(self) -> f32 {
        match self {
            Field::Title => 8.0,
            Field::Heading => 3.0,
            Field::Tag => 3.0,
            Field::Summary => 2.0,
            Field::Body => 1.0,
        }
    }
}

/// A term shard is closed once its JSON passes this many bytes (a word's postings are never
/// split, so a shard holding one very common word can be larger).
const SHARD_BYTES: usize = 24 * 1024;
/// Documents per chunk of titles and summaries: a page of 20 results fetches at most 20 small
/// chunks, a few kilobytes each.
pub const DOCS_PER_CHUNK: usize = 16;
/// Summaries in result chunks are cut to this many characters.
const SUMMARY_CHARS: usize = 200;
/// Only this much of each field is indexed: real titles and summaries are far shorter, and a
/// 50 MB summary must not hold up the build.
const MAX_FIELD_BYTES: usize = 16 * 1024;
/// BM25's term-frequency saturation and length normalisation.
const K1: f32 = 1.2;
const B: f32 = 0.75;

/// The words of `text` as Unicode word segmentation (UAX #29, ICU4X) finds them: the segments
/// holding a letter or a digit, without spaces and punctuation. Scripts written without spaces
/// between words (Thai, Chinese, Japanese) come out as runs or single ideographs.
///
/// A segment counts as a word by its characters, not by the segmenter's word type: ICU4X 2.4
/// reports a word ending in a combining vowel sign (`दिल्ली`, `मास्को`) as not word-like.
pub fn words(text: &str) -> Vec<&str> {
    let segmenter = icu_segmenter::WordSegmenter::new_for_non_complex_scripts(Default::default());
    let mut out = Vec::new();
    let mut last = 0;
    for at in segmenter.segment_str(text) {
        let segment = &text[last..at];
        if segment.chars().any(char::is_alphanumeric) {
            out.push(segment);
        }
        last = at;
    }
    out
}

/// The form a word is looked up by: lower case, canonical decomposition, and the combining
/// diacritics of Latin, Greek and Cyrillic letters dropped (`Ünited` → `united`, `ёлка` →
/// `елка`). Devanagari's vowel signs are letters of the word and stay.
pub fn fold(word: &str) -> String {
    let mut out = String::new();
    fold_into(word, &mut out);
    out
}

/// [`fold`] into a buffer the caller reuses: indexing folds every word of every page, and most
/// are ASCII, whose folding is lower-casing alone.
fn fold_into(word: &str, out: &mut String) {
    out.clear();
    if word.is_ascii() {
        out.extend(word.bytes().map(|b| char::from(b.to_ascii_lowercase())));
    } else {
        out.extend(
            word.to_lowercase()
                .nfd()
                .filter(|c| !('\u{300}'..='\u{36f}').contains(c)),
        );
    }
}

/// The Snowball stemmer of a language, where there is one.
fn stemmer(language: &str) -> Option<rust_stemmers::Stemmer> {
    use rust_stemmers::Algorithm::*;
    let primary = language
        .split(['-', '_'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let algorithm = match primary.as_str() {
        "ar" => Arabic,
        "da" => Danish,
        "nl" => Dutch,
        "en" => English,
        "fi" => Finnish,
        "fr" => French,
        "de" => German,
        "el" => Greek,
        "hu" => Hungarian,
        "it" => Italian,
        "no" | "nb" | "nn" => Norwegian,
        "pt" => Portuguese,
        "ro" => Romanian,
        "ru" => Russian,
        "es" => Spanish,
        "sv" => Swedish,
        "ta" => Tamil,
        "tr" => Turkish,
        _ => return None,
    };
    Some(rust_stemmers::Stemmer::create(algorithm))
}

/// Weighted counts of the folded words of one document, words as indices into the index's word
/// table, and its length in words.
struct Counted {
    terms: Vec<(u32, f32)>,
    len: f32,
}

/// How many documents are counted at once before their words are put in the word table.
const COUNT_BATCH: usize = 4096;

/// Weighted counts of the folded words of one document, and its length in words.
fn count(doc: &Doc) -> (FxHashMap<String, f32>, f32) {
    let mut terms: FxHashMap<String, f32> = FxHashMap::default();
    let mut len = 0.0;
    let mut folded = String::new();
    let mut add = |text: &str, field: Field| {
        for w in words(head(text, MAX_FIELD_BYTES)) {
            fold_into(w, &mut folded);
            // A word seen before costs no allocation.
            match terms.get_mut(folded.as_str()) {
                Some(n) => *n += field.weight(),
                None => {
                    terms.insert(folded.clone(), field.weight());
                }
            }
            len += 1.0;
        }
    };
    add(doc.title, Field::Title);
    for h in &doc.headings {
        add(h, Field::Heading);
    }
    for t in doc.tags {
        add(t, Field::Tag);
    }
    add(doc.summary, Field::Summary);
    add(doc.text, Field::Body);
    (terms, len)
}

/// At most the first `max` bytes of `text`, at a character boundary.
fn head(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// JavaScript orders strings by UTF-16 code units; the shard boundaries must agree with it.
fn utf16_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// Builds every file of the index of `docs`, whose words are stemmed for `language`.
pub fn build(docs: &[Doc], language: &str) -> Vec<IndexFile> {
    // Counted in parallel a batch at a time, each batch's words put in one table as it is done:
    // a map of owned words for every page at once was most of a 100,000-topic build's peak
    // memory. (A document's words keep their map's order, so its sums below are as they were.)
    let mut table: FxHashMap<String, u32> = FxHashMap::default();
    let mut counted: Vec<Counted> = Vec::with_capacity(docs.len());
    for batch in docs.chunks(COUNT_BATCH) {
        let maps: Vec<(FxHashMap<String, f32>, f32)> = batch.par_iter().map(count).collect();
        for (terms, len) in maps {
            let terms = terms
                .into_iter()
                .map(|(w, tf)| {
                    let next = table.len() as u32;
                    (*table.entry(w).or_insert(next), tf)
                })
                .collect();
            counted.push(Counted { terms, len });
        }
    }
    // Each distinct word is stemmed once; words sharing a stem share postings.
    let mut names: Vec<&str> = vec![""; table.len()];
    for (w, &id) in &table {
        names[id as usize] = w.as_str();
    }
    let mut words: Vec<&str> = names.clone();
    words.par_sort_unstable();
    let stemmer = stemmer(language);
    let stems_of_words: Vec<String> = words
        .par_iter()
        .map(|w| match &stemmer {
            Some(s) => s.stem(w).into_owned(),
            None => (*w).to_string(),
        })
        .collect();
    let mut stem_ids: FxHashMap<&str, u32> = FxHashMap::default();
    let mut stem_names: Vec<&str> = Vec::new();
    let word_stem: FxHashMap<&str, u32> = words
        .iter()
        .zip(&stems_of_words)
        .map(|(w, s)| {
            let next = stem_ids.len() as u32;
            let id = *stem_ids.entry(s.as_str()).or_insert(next);
            if id == next {
                stem_names.push(s.as_str());
            }
            (*w, id)
        })
        .collect();

    // The stem of each word of the table, by its index.
    let stem_of: Vec<u32> = names
        .iter()
        .map(|w| word_stem.get(w).copied().unwrap_or_default())
        .collect();
    drop(names);

    // Postings: per stem, (doc, weighted count), docs ascending.
    let mut postings: Vec<Vec<(u32, f32)>> = vec![Vec::new(); stem_ids.len()];
    for (d, c) in counted.iter().enumerate() {
        let mut by_stem: BTreeMap<u32, f32> = BTreeMap::new();
        for &(w, tf) in &c.terms {
            *by_stem.entry(stem_of[w as usize]).or_default() += tf;
        }
        for (s, tf) in by_stem {
            postings[s as usize].push((d as u32, tf));
        }
    }
    let n = docs.len().max(1) as f32;
    let avg_len = (counted.iter().map(|c| c.len).sum::<f32>() / n).max(1.0);
    let encoded: Vec<String> = postings
        .par_iter()
        .map(|list| {
            let df = list.len() as f32;
            let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
            let mut numbers = Vec::with_capacity(list.len() * 2);
            let mut prev = 0u32;
            for &(d, tf) in list {
                let len = counted[d as usize].len;
                let norm = tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * len / avg_len));
                let score = ((idf * norm * 10.0).round() as u32).max(1);
                numbers.push(d - prev);
                numbers.push(score);
                prev = d;
            }
            format!("\"{}\"", encode_numbers(&numbers))
        })
        .collect();

    // Term shards: words in UTF-16 order, each shard carrying the postings of its words' stems.
    let mut order: Vec<&str> = words.clone();
    order.sort_by(|a, b| utf16_cmp(a, b));
    let mut files = Vec::new();
    let mut firsts: Vec<&str> = Vec::new();
    let mut shard = ShardWriter::default();
    for w in order {
        let Some(&s) = word_stem.get(w) else { continue };
        if shard.words.is_empty() {
            firsts.push(w);
        }
        shard.add(w, s, stem_names[s as usize], &encoded[s as usize]);
        if shard.bytes >= SHARD_BYTES {
            files.push(shard.finish(files.len()));
        }
    }
    if !shard.words.is_empty() {
        files.push(shard.finish(files.len()));
    }

    for (i, chunk) in docs.chunks(DOCS_PER_CHUNK).enumerate() {
        let rows: Vec<(&str, &str, std::borrow::Cow<str>)> = chunk
            .iter()
            .map(|d| (d.url.as_str(), d.title, cut(d.summary, SUMMARY_CHARS)))
            .collect();
        files.push(IndexFile {
            path: format!("d/{i}.json"),
            bytes: serde_json::to_vec(&rows).unwrap_or_else(|_| b"[]".to_vec()),
        });
    }

    // The version in shard URLs: a reader's cached shards never mix with a newer manifest.
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    for f in &files {
        hasher.update(f.path.as_bytes());
        hasher.update(&f.bytes);
    }
    let v: String = hasher
        .finalize()
        .iter()
        .take(5)
        .map(|b| format!("{b:02x}"))
        .collect();
    let manifest = serde_json::json!({
        "format": 1,
        "lang": language,
        "v": v,
        "docs": docs.len(),
        "chunk": DOCS_PER_CHUNK,
        "terms": firsts,
    });
    files.push(IndexFile {
        path: "manifest.json".into(),
        bytes: serde_json::to_vec(&manifest).unwrap_or_else(|_| b"{}".to_vec()),
    });
    files
}

/// The characters of [`encode_numbers`]: none needs escaping in JSON.
const DIGITS: &[u8; 64] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_";

/// Numbers as variable-length digits, 5 bits a character, lowest first; the character's sixth
/// bit says another follows (`0`–`V` end a number, `W`–`_` continue it). 0–31 take one character.
pub fn encode_numbers(numbers: &[u32]) -> String {
    let mut out = String::with_capacity(numbers.len() * 2);
    for &n in numbers {
        let mut n = n;
        loop {
            let low = (n & 31) as usize;
            n >>= 5;
            if n == 0 {
                out.push(DIGITS[low] as char);
                break;
            }
            out.push(DIGITS[low | 32] as char);
        }
    }
    out
}

/// The numbers [`encode_numbers`] wrote (a character outside its set ends the reading).
pub fn decode_numbers(text: &str) -> Vec<u64> {
    let mut out = Vec::new();
    let (mut n, mut shift) = (0u64, 0u32);
    for b in text.bytes() {
        let Some(d) = DIGITS.iter().position(|&c| c == b) else {
            break;
        };
        n |= ((d & 31) as u64) << shift.min(63);
        shift += 5;
        if d & 32 == 0 {
            out.push(n);
            (n, shift) = (0, 0);
        }
    }
    out
}

/// The first `max` characters of `text`, cut after a whole word, with an ellipsis where it was cut.
fn cut(text: &str, max: usize) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(max) {
        Some((at, _)) => {
            let head = &text[..at];
            let head = match head.rfind(char::is_whitespace) {
                Some(space) if space > 0 => &head[..space],
                _ => head,
            };
            format!(
                "{}…",
                head.trim_end_matches(|c: char| c.is_whitespace() || c == ',' || c == ';')
            )
            .into()
        }
        None => text.into(),
    }
}

/// The shard being filled.
#[derive(Default)]
struct ShardWriter<'a> {
    words: Vec<(&'a str, usize)>,
    /// Stem id → its position in this shard's postings.
    local: HashMap<u32, usize>,
    postings: Vec<&'a str>,
    /// Each stem with its position in `postings`, for query words found in no form of the text.
    stems: Vec<(&'a str, usize)>,
    bytes: usize,
}

impl<'a> ShardWriter<'a> {
    fn add(&mut self, word: &'a str, stem: u32, stem_name: &'a str, postings: &'a str) {
        let next = self.postings.len();
        let at = *self.local.entry(stem).or_insert(next);
        if at == next {
            self.postings.push(postings);
            self.stems.push((stem_name, at));
            self.bytes += postings.len() + stem_name.len() + 9;
        }
        self.words.push((word, at));
        self.bytes += word.len() + 8;
    }

    fn finish(&mut self, n: usize) -> IndexFile {
        let shard = std::mem::take(self);
        // Written by hand: the postings are already JSON; the words go through serde_json so
        // any character is escaped as strict JSON requires.
        let mut out = String::with_capacity(shard.bytes + 16);
        out.push_str("{\"w\":{");
        for (i, (w, at)) in shard.words.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&serde_json::to_string(w).unwrap_or_else(|_| "\"\"".into()));
            out.push_str(&format!(":{at}"));
        }
        out.push_str("},\"s\":{");
        for (i, (stem, at)) in shard.stems.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&serde_json::to_string(stem).unwrap_or_else(|_| "\"\"".into()));
            out.push_str(&format!(":{at}"));
        }
        out.push_str("},\"p\":[");
        out.push_str(&shard.postings.join(","));
        out.push_str("]}");
        IndexFile {
            path: format!("t/{n}.json"),
            bytes: out.into_bytes(),
        }
    }
}

/// How much longer than a stem a query word may be and still match it (`STEM_ENDING` in
/// `search.js`): Snowball's Russian endings are at most four letters.
pub const ENDING_CHARS: usize = 4;
/// The shortest stem a query word falls back to.
pub const MIN_STEM_CHARS: usize = 3;

/// How many results the search page shows at first (`PAGE` in `search.js`).
pub const RESULTS_SHOWN: usize = 20;

/// The files the search page fetches for `query` typed into it (the last word still being typed,
/// as `search.js` treats it), in the order it fetches them, and the ranked documents found.
///
/// It follows `search.js` step by step, so a test or the bench can count the bytes a query
/// downloads from the files alone; the browser test checks that the two fetch the same files.
pub fn plan(files: &[IndexFile], query: &str) -> (Vec<String>, Vec<(u32, f32)>) {
    let by_path: HashMap<&str, &[u8]> = files
        .iter()
        .map(|f| (f.path.as_str(), f.bytes.as_slice()))
        .collect();
    let json = |p: &str| -> serde_json::Value {
        by_path
            .get(p)
            .and_then(|b| serde_json::from_slice(b).ok())
            .unwrap_or(serde_json::Value::Null)
    };
    let mut fetched = vec!["manifest.json".to_string()];
    let manifest = json("manifest.json");
    let firsts: Vec<String> = manifest["terms"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|t| t.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let chunk = manifest["chunk"].as_u64().unwrap_or(1).max(1) as u32;
    let mut terms: Vec<String> = Vec::new();
    for w in words(query.trim()) {
        let f = fold(w);
        if !terms.contains(&f) {
            terms.push(f);
        }
    }
    if terms.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let typing = !query.ends_with(char::is_whitespace);
    let mut maps: Vec<HashMap<u32, f32>> = Vec::new();
    for (i, word) in terms.iter().enumerate() {
        let prefix = typing && i + 1 == terms.len() && word.encode_utf16().count() >= 2;
        let at = firsts
            .iter()
            .rposition(|f| utf16_cmp(f, word) != std::cmp::Ordering::Greater)
            .unwrap_or(0);
        let mut shards = vec![at];
        if prefix
            && firsts
                .get(at + 1)
                .is_some_and(|f| f.starts_with(word.as_str()))
        {
            shards.push(at + 1);
        }
        let mut scores: HashMap<u32, f32> = HashMap::new();
        for n in shards {
            let path = format!("t/{n}.json");
            if !fetched.contains(&path) {
                fetched.push(path.clone());
            }
            let shard = json(&path);
            let Some(w) = shard["w"].as_object() else {
                continue;
            };
            let mut used = Vec::new();
            let mut add = |at: u64, factor: f32| {
                if used.contains(&at) {
                    return;
                }
                used.push(at);
                let mut doc = 0u32;
                let list = decode_numbers(shard["p"][at as usize].as_str().unwrap_or(""));
                for pair in list.chunks(2) {
                    doc += pair[0] as u32;
                    let s = pair.get(1).copied().unwrap_or(0) as f32 * factor;
                    let e = scores.entry(doc).or_insert(s);
                    *e = e.max(s);
                }
            };
            if let Some(at) = w.get(word.as_str()).and_then(|v| v.as_u64()) {
                add(at, 1.0);
            } else if let Some(stems) = shard["s"].as_object() {
                // The longest stem the word begins with (UTF-16 lengths, as the browser counts).
                let units: Vec<u16> = word.encode_utf16().collect();
                let shortest = MIN_STEM_CHARS.max(units.len().saturating_sub(ENDING_CHARS));
                for len in (shortest..units.len()).rev() {
                    let Ok(stem) = String::from_utf16(&units[..len]) else {
                        continue;
                    };
                    if let Some(at) = stems.get(&stem).and_then(|v| v.as_u64()) {
                        add(at, 1.0);
                        break;
                    }
                }
            }
            if prefix {
                for (k, v) in w {
                    if k.starts_with(word.as_str()) {
                        if let Some(at) = v.as_u64() {
                            add(at, 0.6);
                        }
                    }
                }
            }
        }
        maps.push(scores);
    }
    maps.sort_by_key(|m| m.len());
    let mut hits: Vec<(u32, f32)> = maps[0]
        .iter()
        .filter_map(|(&doc, &s)| {
            let rest: Option<Vec<f32>> = maps[1..].iter().map(|m| m.get(&doc).copied()).collect();
            rest.map(|r| (doc, s + r.iter().sum::<f32>()))
        })
        .collect();
    hits.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    for (doc, _) in hits.iter().take(RESULTS_SHOWN) {
        let path = format!("d/{}.json", doc / chunk);
        if !fetched.contains(&path) {
            fetched.push(path);
        }
    }
    (fetched, hits)
}

/// The bytes of the files `plan` lists.
pub fn bytes_fetched(files: &[IndexFile], fetched: &[String]) -> usize {
    files
        .iter()
        .filter(|f| fetched.contains(&f.path))
        .map(|f| f.bytes.len())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn doc<'a>(url: &str, title: &'a str, text: &'a str) -> Doc<'a> {
        Doc {
            url: url.into(),
            title,
            summary: "",
            tags: &[],
            headings: Vec::new(),
            text,
        }
    }

    /// A tiny reader of the files, as the browser reads them: the docs matching `word` exactly,
    /// best first.
    fn lookup(files: &[IndexFile], word: &str) -> Vec<(String, u64)> {
        let get = |p: &str| -> Value {
            let f = files.iter().find(|f| f.path == p).expect(p);
            serde_json::from_slice(&f.bytes).expect("strict JSON")
        };
        let manifest = get("manifest.json");
        let firsts: Vec<String> = manifest["terms"]
            .as_array()
            .expect("terms")
            .iter()
            .map(|t| t.as_str().expect("str").to_string())
            .collect();
        let key = fold(word);
        let n = firsts
            .iter()
            .rposition(|f| utf16_cmp(f, &key) != std::cmp::Ordering::Greater)
            .unwrap_or(0);
        let shard = get(&format!("t/{n}.json"));
        let Some(at) = shard["w"][&key].as_u64() else {
            return Vec::new();
        };
        let list = decode_numbers(shard["p"][at as usize].as_str().expect("postings"));
        let chunk = manifest["chunk"].as_u64().expect("chunk");
        let mut doc = 0;
        let mut hits = Vec::new();
        for pair in list.chunks(2) {
            doc += pair[0];
            let rows = get(&format!("d/{}.json", doc / chunk));
            let url = rows[(doc % chunk) as usize][0].as_str().expect("url");
            hits.push((url.to_string(), pair[1]));
        }
        hits.sort_by_key(|h| std::cmp::Reverse(h.1));
        hits
    }

    #[test]
    fn long_summaries_are_cut_after_a_word() {
        assert_eq!(cut("short", 10), "short");
        assert_eq!(cut("one two, three four", 12), "one two…");
        assert_eq!(cut("торговля выросла", 10), "торговля…");
    }

    #[test]
    fn numbers_round_trip_through_the_compact_digits() {
        let numbers = [0, 1, 31, 32, 1023, 1024, 250_000, u32::MAX];
        let text = encode_numbers(&numbers);
        assert_eq!(&text[..3], "01V");
        assert_eq!(
            decode_numbers(&text),
            numbers.iter().map(|&n| u64::from(n)).collect::<Vec<_>>()
        );
    }

    #[test]
    fn words_are_segmented_and_folded_in_every_script() {
        assert_eq!(
            words("India–Russia: 65.7 bn, «торговля» и दिल्ली-मास्को!"),
            [
                "India",
                "Russia",
                "65.7",
                "bn",
                "торговля",
                "и",
                "दिल्ली",
                "मास्को"
            ]
        );
        assert_eq!(fold("Ünited"), "united");
        assert_eq!(fold("Ёлка"), "елка");
        assert_eq!(fold("ТОРГОВЛЯ"), "торговля");
        // Devanagari vowel signs and virama are part of the word.
        assert_eq!(fold("व्यापार"), "व्यापार");
    }

    #[test]
    fn titles_outrank_bodies_and_inflections_find_each_other() {
        let docs = [
            doc(
                "/a/",
                "Energy",
                "Oil and gas trade grew; traders were busy.",
            ),
            doc("/b/", "Trade", "The trade in goods."),
            doc("/c/", "Defence", "Nothing of the sort."),
        ];
        let files = build(&docs, "en");
        let hits = lookup(&files, "trade");
        assert_eq!(
            hits.iter().map(|h| h.0.as_str()).collect::<Vec<_>>(),
            ["/b/", "/a/"]
        );
        assert!(hits[0].1 > hits[1].1);
        // English stems: "traders" and "trade" are not the same stem, "trading" and "trade" are.
        assert_eq!(lookup(&files, "grew").len(), 1);
        assert!(lookup(&files, "defence").len() == 1);
        assert!(lookup(&files, "missing").is_empty());
        // As the page queries: both words must match; the word being typed is a prefix.
        let (fetched, hits) = plan(&files, "trade goo");
        assert_eq!(hits.iter().map(|h| h.0).collect::<Vec<_>>(), [1]);
        assert!(fetched.contains(&"d/0.json".to_string()), "{fetched:?}");
        assert!(
            plan(&files, "trade goo ").1.is_empty(),
            "a finished word is not a prefix"
        );
        assert!(plan(&files, "trade defence").1.is_empty());
    }

    #[test]
    fn russian_words_are_stemmed_and_found_in_any_case() {
        let docs = [
            doc("/t/", "Торговля", "Товарооборот вырос."),
            doc(
                "/e/",
                "Энергетика",
                "Торговли нефтью стало больше; о торговле говорили.",
            ),
        ];
        let files = build(&docs, "ru");
        // «торговли», «торговле» and «Торговля» share the stem «торговл».
        let hits = lookup(&files, "ТОРГОВЛЕ");
        assert_eq!(
            hits.iter().map(|h| h.0.as_str()).collect::<Vec<_>>(),
            ["/t/", "/e/"]
        );
        // «торговлю» is in neither text: the page falls back to the stem it begins with.
        let (_, hits) = plan(&files, "торговлю ");
        assert_eq!(hits.iter().map(|h| h.0).collect::<Vec<_>>(), [0, 1]);
        assert!(
            plan(&files, "торгаш ").1.is_empty(),
            "too far from any stem"
        );
        assert_eq!(lookup(&files, "нефтью").len(), 1);
        // Without a stemmer (Hindi) words are matched as written.
        let hi = [doc("/h/", "व्यापार", "भारत और रूस")];
        let files = build(&hi, "hi");
        assert_eq!(lookup(&files, "रूस").len(), 1);
    }

    #[test]
    fn many_documents_split_into_shards_and_chunks() {
        let texts: Vec<String> = (0..2000)
            .map(|i| format!("word{i} common text{}", i % 7))
            .collect();
        let titles: Vec<String> = (0..2000)
            .map(|i| format!("Title \"{i}\" </script>"))
            .collect();
        let docs: Vec<Doc> = (0..2000)
            .map(|i| doc(&format!("/p{i}/"), &titles[i], &texts[i]))
            .collect();
        let files = build(&docs, "en");
        let shards = files.iter().filter(|f| f.path.starts_with("t/")).count();
        assert!(shards > 1, "one shard for 2000 distinct words");
        assert!(files
            .iter()
            .filter(|f| f.path.starts_with("t/"))
            .all(|f| f.bytes.len() < SHARD_BYTES + 4096));
        assert_eq!(
            files.iter().filter(|f| f.path.starts_with("d/")).count(),
            2000usize.div_ceil(DOCS_PER_CHUNK)
        );
        let hits = lookup(&files, "word1999");
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].0, "/p1999/");
        assert_eq!(lookup(&files, "common").len(), 2000);
        // Every file is strict JSON, hostile titles included.
        for f in &files {
            serde_json::from_slice::<Value>(&f.bytes).expect("strict JSON");
        }
    }
}
