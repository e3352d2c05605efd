//! Charts from figures, end to end: the fixture site `sites/charts` (a bar and a line series) is
//! built with the default layouts by the real binary, and the written pages are read back: the
//! SVG parses as XML, carries its title, description and values, and the data table lists every
//! point with its sources. Bad series fail the build with file and line.

mod common;

use common::*;
use scraper::{ElementRef, Html, Selector};
use std::path::Path;

fn sel(s: &str) -> Selector {
    Selector::parse(s).expect("selector")
}

fn built_page(root: &Path, rel: &str) -> Html {
    let out = root.parent().expect("parent").join("public");
    let o = build(root, &out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    Html::parse_document(&read(&out, rel))
}

/// The chart's SVG, re-serialised by the HTML parser and parsed again as XML.
fn svg_of(doc: &Html) -> (String, ElementRef<'_>) {
    let svg = doc
        .select(&sel("li.has-chart svg.chart"))
        .next()
        .expect("a chart");
    // The HTML serialiser writes a no-break space as `&nbsp;`, which XML does not define.
    let xml = svg.html().replace("&nbsp;", "&#160;");
    roxmltree::Document::parse(&xml)
        .unwrap_or_else(|e| panic!("the chart is not well-formed SVG: {e}\n{xml}"));
    (xml, svg)
}

fn texts(el: ElementRef<'_>, s: &str) -> Vec<String> {
    el.select(&sel(s))
        .map(|e| e.text().collect::<String>().trim().to_string())
        .collect()
}

#[test]
fn a_bar_series_is_drawn_with_its_trend_values_and_table() {
    let (_tmp, root) = chart_site();
    let doc = built_page(&root, "topics/bars/index.html");
    let (xml, svg) = svg_of(&doc);
    let x = roxmltree::Document::parse(&xml).expect("xml");
    let r = x.root_element();
    assert_eq!(r.attribute("role"), Some("img"));
    assert!(r.attribute("viewBox").is_some(), "{xml}");
    let title = texts(svg, "title");
    assert_eq!(title, ["Trade by financial year"]);
    let desc = texts(svg, "desc");
    assert_eq!(
        desc,
        ["Trade by financial year: rose from 10.69 US$ billion in FY2017-18 to 44.4 US$ billion \
          in FY2020-21. The lowest value was 8.23 in FY2018-19, the highest 1,068.69 in FY2019-20."]
    );
    // The svg names its title and description as its accessible name and description.
    let labelled = r.attribute("aria-labelledby").expect("aria-labelledby");
    for id in labelled.split(' ') {
        assert!(xml.contains(&format!("id=\"{id}\"")), "{id} in {xml}");
    }
    // One bar per point, every value written beside its bar, the unit as the axis title.
    assert_eq!(svg.select(&sel("rect.mark")).count(), 4);
    assert_eq!(
        texts(svg, "text.value"),
        ["10.69", "8.23", "1,068.69", "44.4"]
    );
    assert_eq!(
        texts(svg, "text.period"),
        ["FY2017-18", "FY2018-19", "FY2019-20", "FY2020-21"]
    );
    assert_eq!(texts(svg, "text.axis-title"), ["US$ billion"]);
    // A longer bar for a larger value.
    let widths: Vec<f64> = svg
        .select(&sel("rect.mark"))
        .map(|r| {
            r.value()
                .attr("width")
                .expect("width")
                .parse()
                .expect("num")
        })
        .collect();
    assert!(
        widths[2] > widths[3] && widths[3] > widths[0] && widths[0] >= widths[1],
        "{widths:?}"
    );

    // The as-of note and the caveat below the chart, then the table in a <details>.
    let fig = doc.select(&sel("li.has-chart")).next().expect("figure");
    let meta = texts(fig, ".fig-meta");
    assert!(meta[0].starts_with("As of financial years"), "{meta:?}");
    assert!(texts(fig, ".caveat")[0].contains("passed 50"));
    let rows: Vec<Vec<String>> = fig
        .select(&sel("details table tbody tr"))
        .map(|tr| texts(tr, "th, td"))
        .collect();
    assert_eq!(
        rows,
        [
            ["FY2017-18", "10.69", "[3]"],
            ["FY2018-19", "8.23", "[2] [3]"],
            ["FY2019-20", "1,068.69", "[3]"],
            // No source of its own: the figure's.
            ["FY2020-21", "44.4", "[2]"],
        ]
    );
    assert_eq!(
        texts(fig, "details table caption"),
        ["Trade by financial year (US$ billion)"]
    );
    // Sources cited only by series points are in the page's numbered list.
    let listed: Vec<String> = doc
        .select(&sel(".sources li"))
        .filter_map(|li| li.value().attr("id").map(str::to_string))
        .collect();
    assert_eq!(listed, ["src-s1", "src-s2", "src-s3"]);
    // No script anywhere in the chart.
    assert!(!xml.contains("<script"));
}

#[test]
fn a_line_series_has_a_marker_per_point_and_its_party_colour() {
    let (_tmp, root) = chart_site();
    let doc = built_page(&root, "topics/lines/index.html");
    let (xml, svg) = svg_of(&doc);
    assert!(xml.contains("chart-line"), "{xml}");
    assert_eq!(svg.select(&sel("circle.mark")).count(), 8);
    let path = svg
        .select(&sel("path.line"))
        .next()
        .expect("line")
        .value()
        .attr("d")
        .expect("d")
        .to_string();
    assert_eq!(path.matches(['M', 'L']).count(), 8, "{path}");
    // Values at the ends and the extremes, rounded half away from zero (3.125 → 3.13).
    assert_eq!(texts(svg, "text.value"), ["1.5", "0.75", "3.13", "2.8"]);
    assert!(texts(svg, "desc")[0].contains("rose from 1.5 US$ billion in 2015 to 2.8"));
    // The first and last periods are always labelled.
    let periods = texts(svg, ".periods text");
    assert_eq!(periods.first().map(String::as_str), Some("2015"));
    assert_eq!(periods.last().map(String::as_str), Some("2022"));
    let fig = doc.select(&sel("li.has-chart")).next().expect("figure");
    assert_eq!(fig.value().attr("style"), Some("--party: #aa3300"));
    assert!(texts(fig, "figcaption")[0].contains("Testland"));
    assert_eq!(fig.select(&sel("details tbody tr")).count(), 8);
    // The plain figure beside it is still a plain card.
    assert_eq!(doc.select(&sel("li.figure:not(.has-chart)")).count(), 1);
}

#[test]
fn numbers_follow_the_site_language() {
    let (_tmp, root) = chart_site();
    let yaml = std::fs::read_to_string(root.join("site.yaml")).expect("site.yaml");
    std::fs::write(
        root.join("site.yaml"),
        yaml.replace("language: en", "language: ru"),
    )
    .expect("write");
    let doc = built_page(&root, "topics/bars/index.html");
    let (_, svg) = svg_of(&doc);
    assert_eq!(
        texts(svg, "text.value"),
        ["10,69", "8,23", "1\u{a0}068,69", "44,4"]
    );
    // The trend sentence is in Russian too (theme/layouts/i18n/ru.yaml); the title, unit and
    // periods are the content's own.
    assert_eq!(
        texts(svg, "desc"),
        ["Trade by financial year: рост с 10,69 US$ billion (FY2017-18) до 44,4 US$ billion \
          (FY2020-21). Наименьшее значение — 8,23 (FY2018-19), наибольшее — 1\u{a0}068,69 (FY2019-20)."]
    );
}

#[test]
fn bad_series_fail_the_build_with_file_and_line() {
    let (tmp, root) = chart_site();
    std::fs::write(
        root.join("content/topics/bad.md"),
        r#"---
title: "Bad"
figures:
  - label: "Unknown point source"
    value: "1"
    source: s1
    series:
      - { period: "2020", value: 1, source: s99 }
  - label: "Lonely line"
    value: "1"
    source: s1
    chart: line
    party: zz
    series:
      - { period: "2020", value: 1 }
  - label: "Nothing to draw"
    value: "1"
    source: s1
    chart: bar
---
"#,
    )
    .expect("write");
    let out = tmp.path().join("public");
    let o = build(&root, &out, &[]);
    assert!(!o.status.success());
    let err = stderr(&o);
    for expected in [
        "content/topics/bad.md:8: error: a series point cites unknown source `s99`",
        "content/topics/bad.md:14: error: figure `Lonely line`: a line chart needs at least two points",
        "content/topics/bad.md:13: error: figure `Lonely line` names party `zz`",
        "content/topics/bad.md:19: error: figure `Nothing to draw`: `chart: bar` needs a `series:` of points to draw",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
    assert!(!out.exists(), "a failed build writes nothing");
    // A value that is not a number is a front matter error with its line.
    std::fs::write(
        root.join("content/topics/bad.md"),
        "---\ntitle: \"Bad\"\nfigures:\n  - label: \"x\"\n    value: \"1\"\n    source: s1\n    series:\n      - { period: \"2020\", value: lots }\n---\n",
    )
    .expect("write");
    let o = build(&root, &out, &[]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("content/topics/bad.md:8"), "{err}");
}

#[test]
fn the_trade_page_charts_the_fact_sheet_series() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("public");
    let o = build(Path::new(env!("CARGO_MANIFEST_DIR")), &out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let doc = Html::parse_document(&read(&out, "topics/trade/index.html"));
    let (_, svg) = svg_of(&doc);
    assert_eq!(
        texts(svg, "text.period"),
        [
            "FY2017-18",
            "FY2018-19",
            "FY2019-20",
            "FY2020-21",
            "FY2021-22",
            "FY2022-23"
        ]
    );
    // The fact sheet's US$ million figures, in billions, and FY2022-23's 44.4.
    assert_eq!(
        texts(svg, "text.value"),
        ["10.69", "8.23", "10.11", "8.14", "13.12", "44.4"]
    );
    let fig = doc.select(&sel("li.has-chart")).next().expect("figure");
    assert!(texts(fig, ".caveat")[0].contains("$50 billion"));
    // Each row cites its sources: S87 for FY2017-18, S86 and S87 after, S26 for FY2022-23.
    let cited: Vec<Vec<String>> = fig
        .select(&sel("details tbody tr"))
        .map(|tr| {
            tr.select(&sel("a.ref"))
                .filter_map(|a| a.value().attr("href").map(str::to_string))
                .collect()
        })
        .collect();
    assert_eq!(cited[0], ["#src-s87"]);
    for row in &cited[1..5] {
        assert_eq!(row, &["#src-s86", "#src-s87"]);
    }
    assert_eq!(cited[5], ["#src-s26"]);
}
