//! Charts from figures: a figure's `series:` drawn at build time as an inline SVG (horizontal bars
//! or a line), with a sentence that states the trend in words, and numbers formatted for the
//! site's locale.
//!
//! This module owns the drawing, the trend sentence, the locale's number format and the checks of
//! a series (its shape, not its sources). It takes plain values — a title, a unit, `(period,
//! value)` points, a colour — and returns text; which sources a point cites, the data table and
//! the caption around the chart are the views' and the layouts' business. Colours are CSS
//! variables set by the layout (`--series`), so the site's dark-mode and print styles apply.

use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// How a series is drawn.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum ChartKind {
    /// One horizontal bar per period, periods top to bottom: labels stay readable on a phone.
    #[default]
    Bar,
    /// Periods left to right, a marker on every point.
    Line,
}

impl ChartKind {
    pub fn name(self) -> &'static str {
        match self {
            ChartKind::Bar => "bar",
            ChartKind::Line => "line",
        }
    }
}

/// Numbers written the way the page's language writes them (grouping, decimal separator, digits).
/// Built once per build from `site.yaml`'s `language`; a tag ICU does not know falls back to
/// its root locale, never to an error.
pub struct NumberFormat {
    /// `None` only if ICU4X's compiled data had no root locale: numbers are then written plainly.
    formatter: Option<icu_decimal::DecimalFormatter>,
}

impl NumberFormat {
    /// The format for a BCP 47 language tag (`en`, `hi`, `ru`, `en-IN` …).
    pub fn for_language(tag: &str) -> NumberFormat {
        let locale =
            icu_locale_core::Locale::try_from_str(tag).unwrap_or(icu_locale_core::Locale::UNKNOWN);
        let formatter = icu_decimal::DecimalFormatter::try_new(locale.into(), Default::default())
            .or_else(|_| {
                icu_decimal::DecimalFormatter::try_new(
                    icu_locale_core::Locale::UNKNOWN.into(),
                    Default::default(),
                )
            })
            .ok();
        NumberFormat { formatter }
    }

    /// `value` as written (its shortest exact form), rounded half away from zero to at most
    /// `max_decimals` places: 10.68685 with 2 → "10.69", 3.125 → "3.13", 44.4 → "44.4", 8.0 → "8".
    pub fn format(&self, value: f64, max_decimals: u8) -> String {
        use fixed_decimal::{Decimal, Sign, SignedRoundingMode, UnsignedRoundingMode};
        // f64's Display is its shortest exact decimal form and never uses an exponent.
        let shortest = format!("{value}");
        let Ok(mut d) = Decimal::try_from_str(&shortest) else {
            return shortest;
        };
        d.round_with_mode(
            -i16::from(max_decimals),
            SignedRoundingMode::Unsigned(UnsignedRoundingMode::HalfExpand),
        );
        d.absolute.trim_end();
        if d.absolute.is_zero() {
            d.sign = Sign::None;
        }
        match &self.formatter {
            Some(f) => writeable::Writeable::write_to_string(&f.format(&d)).into_owned(),
            None => writeable::Writeable::write_to_string(&d).into_owned(),
        }
    }
}

/// The most decimals a chart shows where the figure does not say (`decimals:`).
pub const DEFAULT_DECIMALS: u8 = 2;
/// The most decimals a figure may ask for.
pub const MAX_DECIMALS: u8 = 6;

/// What the chart module needs to draw one series.
pub struct Spec<'a> {
    /// Unique on the page; prefixes the ids of the SVG's title and description.
    pub id: &'a str,
    pub title: &'a str,
    /// The unit of every value (axis label), e.g. "US$ billion".
    pub unit: Option<&'a str>,
    pub kind: ChartKind,
    pub points: Vec<(&'a str, f64)>,
    pub decimals: u8,
}

/// A drawn chart: the SVG and the sentence its `<desc>` holds.
pub struct Drawn {
    pub svg: String,
    pub desc: String,
}

/// Problems with the shape of a series, each with the text to find its line by.
pub fn check(
    kind: Option<ChartKind>,
    points: &[(&str, f64)],
    decimals: Option<u8>,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if points.is_empty() {
        if let Some(k) = kind {
            out.push((
                format!("`chart: {}` needs a `series:` of points to draw", k.name()),
                "chart".to_string(),
            ));
        }
        return out;
    }
    if kind == Some(ChartKind::Line) && points.len() < 2 {
        out.push((
            "a line chart needs at least two points".to_string(),
            "series".to_string(),
        ));
    }
    for (i, (period, v)) in points.iter().enumerate() {
        if period.trim().is_empty() {
            out.push((
                "a series point has an empty `period`".into(),
                "period".into(),
            ));
        }
        if !v.is_finite() {
            out.push((
                format!("the value for `{period}` is not a number"),
                period.to_string(),
            ));
        }
        if points[..i].iter().any(|(p, _)| p == period) {
            out.push((
                format!("period `{period}` appears twice in the series"),
                period.to_string(),
            ));
        }
    }
    if let Some(d) = decimals.filter(|&d| d > MAX_DECIMALS) {
        out.push((
            format!("`decimals: {d}` is more than the {MAX_DECIMALS} a chart shows"),
            "decimals".to_string(),
        ));
    }
    out
}

/// Steps of 1, 2 or 5 times a power of ten that cover `lo..=hi` in about four intervals.
fn ticks(lo: f64, hi: f64) -> Vec<f64> {
    let span = if hi > lo { hi - lo } else { hi.abs().max(1.0) };
    let raw = span / 4.0;
    let pow = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * pow)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * pow);
    let start = (lo / step).floor() * step;
    let mut out = Vec::new();
    let mut t = start;
    // Bounded: at most a dozen ticks whatever the input.
    while out.len() < 12 {
        out.push(if t.abs() < step * 1e-9 { 0.0 } else { t });
        if t >= hi - step * 1e-9 {
            break;
        }
        t += step;
    }
    out
}

/// Decimals needed to write the tick step.
fn tick_decimals(ticks: &[f64]) -> u8 {
    let step = match ticks {
        [a, b, ..] => (b - a).abs(),
        _ => 1.0,
    };
    let mut d = 0u8;
    while d < MAX_DECIMALS && (step * 10f64.powi(d as i32)).fract().abs() > 1e-6 {
        d += 1;
    }
    d
}

/// Roughly how wide `s` is at `size` px in a sans-serif face: enough to lay labels out.
fn text_width(s: &str, size: f64) -> f64 {
    s.chars().count() as f64 * size * 0.53
}

const WIDTH: f64 = 330.0;
const FONT: f64 = 15.0;

/// The words of the trend sentence in the page's language: patterns from the tables of UI strings
/// (`chart_trend_*` in `layouts/i18n/<lang>.yaml`), whose placeholders [`describe`] fills. A
/// pattern is a whole clause, so that each language orders it and inflects it as it needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Words {
    /// One point: `{value}`, `{period}`.
    pub one: String,
    /// The last value above the first: `{from}`, `{start}`, `{to}`, `{end}`.
    pub rose: String,
    /// The last value below the first: as `rose`.
    pub fell: String,
    /// The last value equal to the first: `{value}`, `{start}`, `{end}`.
    pub same: String,
    /// The lowest and the highest point: `{low}`, `{low_period}`, `{high}`, `{high_period}`.
    pub range: String,
}

impl Words {
    /// The keys of the patterns in the tables of UI strings, in the order of the fields.
    pub const KEYS: [&'static str; 5] = [
        "chart_trend_one",
        "chart_trend_rose",
        "chart_trend_fell",
        "chart_trend_same",
        "chart_trend_range",
    ];

    /// The patterns `text` gives for [`Words::KEYS`], English where it gives none (the built-in
    /// English table has each key; only a site's own counted text would lack a plain one).
    pub fn from_table(text: impl Fn(&str) -> Option<String>) -> Words {
        let english = Words::english();
        let [one, rose, fell, same, range] = Words::KEYS;
        Words {
            one: text(one).unwrap_or(english.one),
            rose: text(rose).unwrap_or(english.rose),
            fell: text(fell).unwrap_or(english.fell),
            same: text(same).unwrap_or(english.same),
            range: text(range).unwrap_or(english.range),
        }
    }

    /// The English patterns, as the built-in `en.yaml` has them (a test holds them equal).
    pub fn english() -> Words {
        Words {
            one: "{value} in {period}.".into(),
            rose: "rose from {from} in {start} to {to} in {end}.".into(),
            fell: "fell from {from} in {start} to {to} in {end}.".into(),
            same: "was unchanged at {value} from {start} to {end}.".into(),
            range:
                "The lowest value was {low} in {low_period}, the highest {high} in {high_period}."
                    .into(),
        }
    }
}

/// `pattern` with each `{name}` replaced by its value in `args`, in one pass: a value (a period is
/// the author's text) is never read for placeholders. An unknown `{name}` is left as written.
fn fill(pattern: &str, args: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(pattern.len() + 32);
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after
            .find('}')
            .and_then(|close| Some((close, args.iter().find(|(k, _)| *k == &after[..close])?)))
        {
            Some((close, (_, v))) => {
                out.push_str(v);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The trend of a series in one or two sentences, in the words and number format of the page.
pub fn describe(spec: &Spec<'_>, nf: &NumberFormat, words: &Words) -> String {
    let fmt = |v: f64| nf.format(v, spec.decimals);
    let with_unit = |v: f64| match spec.unit {
        Some(u) => format!("{} {u}", fmt(v)),
        None => fmt(v),
    };
    let Some(&(p0, v0)) = spec.points.first() else {
        return String::new();
    };
    let &(pn, vn) = spec.points.last().unwrap_or(&(p0, v0));
    let mut s = format!("{}: ", spec.title);
    if spec.points.len() == 1 {
        s.push_str(&fill(
            &words.one,
            &[("value", &with_unit(v0)), ("period", p0)],
        ));
        return s;
    }
    let (from, to) = (with_unit(v0), with_unit(vn));
    let trend = [("from", &*from), ("start", p0), ("to", &*to), ("end", pn)];
    s.push_str(&if vn > v0 {
        fill(&words.rose, &trend)
    } else if vn < v0 {
        fill(&words.fell, &trend)
    } else {
        fill(&words.same, &[("value", &from), ("start", p0), ("end", pn)])
    });
    let (mut lo, mut hi) = (spec.points[0], spec.points[0]);
    for &p in &spec.points {
        if p.1 < lo.1 {
            lo = p;
        }
        if p.1 > hi.1 {
            hi = p;
        }
    }
    if spec.points.len() > 2 && lo.1 < hi.1 {
        s.push(' ');
        s.push_str(&fill(
            &words.range,
            &[
                ("low", &fmt(lo.1)),
                ("low_period", lo.0),
                ("high", &fmt(hi.1)),
                ("high_period", hi.0),
            ],
        ));
    }
    s
}

/// Draws the series. The SVG is `role="img"`, labelled by its own `<title>` and `<desc>`; every
/// value is written next to its mark, so nothing depends on telling colours apart.
pub fn draw(spec: &Spec<'_>, nf: &NumberFormat, words: &Words) -> Drawn {
    let desc = describe(spec, nf, words);
    let svg = match spec.kind {
        ChartKind::Bar => bars(spec, nf, &desc),
        ChartKind::Line => line(spec, nf, &desc),
    };
    Drawn { svg, desc }
}

fn open(spec: &Spec<'_>, height: f64, desc: &str) -> String {
    let id = attr(spec.id);
    format!(
        "<svg class=\"chart chart-{kind}\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" \
         aria-labelledby=\"{id}-t {id}-d\" focusable=\"false\" font-size=\"{FONT}\">\
         <title id=\"{id}-t\">{title}</title><desc id=\"{id}-d\">{desc}</desc>",
        kind = spec.kind.name(),
        title = text(spec.title),
        desc = text(desc),
    )
}

/// The value range a chart shows: always including zero, so bar lengths compare honestly.
fn domain(points: &[(&str, f64)]) -> (f64, f64) {
    let lo = points.iter().map(|p| p.1).fold(0.0, f64::min);
    let hi = points.iter().map(|p| p.1).fold(0.0, f64::max);
    (lo, hi)
}

fn bars(spec: &Spec<'_>, nf: &NumberFormat, desc: &str) -> String {
    let fmt = |v: f64| nf.format(v, spec.decimals);
    let (lo, hi) = domain(&spec.points);
    let ticks = ticks(lo, hi);
    let (t0, t1) = (ticks[0], *ticks.last().unwrap_or(&1.0));
    let td = tick_decimals(&ticks);
    let label_w = spec
        .points
        .iter()
        .map(|(p, _)| text_width(p, FONT))
        .fold(0.0, f64::max)
        + 10.0;
    let value_w = spec
        .points
        .iter()
        .map(|&(_, v)| text_width(&fmt(v), FONT))
        .fold(0.0, f64::max)
        + 8.0;
    let (top, row, bar) = (28.0, 30.0, 20.0);
    let x0 = label_w.min(WIDTH / 2.0);
    let x1 = WIDTH - value_w.min(WIDTH / 4.0) - 4.0;
    let x = |v: f64| x0 + (v - t0) / (t1 - t0).max(f64::MIN_POSITIVE) * (x1 - x0);
    let plot_bottom = top + row * spec.points.len() as f64;
    let height = plot_bottom + 24.0;
    let mut s = open(spec, height, desc);
    if let Some(unit) = spec.unit {
        let _ = write!(
            s,
            "<text class=\"axis-title\" x=\"{x0:.1}\" y=\"16\">{}</text>",
            text(unit)
        );
    }
    s.push_str("<g class=\"grid\" aria-hidden=\"true\">");
    for &t in &ticks {
        let _ = write!(
            s,
            "<line x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"{top}\" y2=\"{plot_bottom}\"/>\
             <text x=\"{0:.1}\" y=\"{1:.1}\" text-anchor=\"middle\">{2}</text>",
            x(t),
            plot_bottom + 17.0,
            text(&nf.format(t, td))
        );
    }
    s.push_str("</g><g class=\"marks\">");
    for (i, &(period, v)) in spec.points.iter().enumerate() {
        let y = top + row * i as f64 + (row - bar) / 2.0;
        let (a, b) = (x(v.min(0.0)), x(v.max(0.0)));
        let _ = write!(
            s,
            "<text class=\"period\" x=\"{lx:.1}\" y=\"{ty:.1}\" text-anchor=\"end\">{p}</text>\
             <rect class=\"mark\" x=\"{a:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{bar}\"/>\
             <text class=\"value\" x=\"{vx:.1}\" y=\"{ty:.1}\">{val}</text>",
            lx = x0 - 6.0,
            ty = y + bar / 2.0 + FONT * 0.35,
            p = text(period),
            w = (b - a).max(0.5),
            vx = b + 4.0,
            val = text(&fmt(v)),
        );
    }
    let _ = write!(
        s,
        "</g><line class=\"axis\" x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"{top}\" y2=\"{plot_bottom}\"/></svg>",
        x(0.0)
    );
    s
}

fn line(spec: &Spec<'_>, nf: &NumberFormat, desc: &str) -> String {
    let fmt = |v: f64| nf.format(v, spec.decimals);
    let (lo, hi) = domain(&spec.points);
    let ticks = ticks(lo, hi);
    let (t0, t1) = (ticks[0], *ticks.last().unwrap_or(&1.0));
    let td = tick_decimals(&ticks);
    let tick_w = ticks
        .iter()
        .map(|&t| text_width(&nf.format(t, td), FONT))
        .fold(0.0, f64::max);
    let n = spec.points.len();
    let widest = spec
        .points
        .iter()
        .map(|(p, _)| text_width(p, FONT))
        .fold(0.0, f64::max);
    let (top, bottom) = (36.0, 176.0);
    let x0 = (tick_w + 10.0).max(widest / 2.0 + 2.0);
    let x1 = WIDTH - widest / 2.0 - 2.0;
    let step = if n > 1 {
        (x1 - x0) / (n - 1) as f64
    } else {
        0.0
    };
    let x = |i: usize| {
        if n > 1 {
            x0 + step * i as f64
        } else {
            (x0 + x1) / 2.0
        }
    };
    let y = |v: f64| bottom - (v - t0) / (t1 - t0).max(f64::MIN_POSITIVE) * (bottom - top);
    // Period labels that would overlap are thinned out (the first and last always stay); the
    // table below the chart has every one.
    let every = if step > 0.0 {
        ((widest + 8.0) / step).ceil().max(1.0) as usize
    } else {
        1
    };
    let height = bottom + 26.0;
    let mut s = open(spec, height, desc);
    if let Some(unit) = spec.unit {
        let _ = write!(
            s,
            "<text class=\"axis-title\" x=\"0\" y=\"16\">{}</text>",
            text(unit)
        );
    }
    s.push_str("<g class=\"grid\" aria-hidden=\"true\">");
    for &t in &ticks {
        let _ = write!(
            s,
            "<line x1=\"{x0:.1}\" x2=\"{x1:.1}\" y1=\"{0:.1}\" y2=\"{0:.1}\"/>\
             <text x=\"{tx:.1}\" y=\"{ty:.1}\" text-anchor=\"end\">{1}</text>",
            y(t),
            text(&nf.format(t, td)),
            tx = x0 - 6.0,
            ty = y(t) + FONT * 0.35,
        );
    }
    s.push_str("</g><g class=\"periods\">");
    for (i, (period, _)) in spec.points.iter().enumerate() {
        // Every `every`-th label and the last, leaving out one that would touch the last.
        if i + 1 == n || (i % every == 0 && i + every < n) {
            let _ = write!(
                s,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                x(i),
                bottom + 18.0,
                text(period)
            );
        }
    }
    let mut d = String::new();
    for (i, &(_, v)) in spec.points.iter().enumerate() {
        let _ = write!(
            d,
            "{}{:.1} {:.1}",
            if i == 0 { "M" } else { " L" },
            x(i),
            y(v)
        );
    }
    let _ = write!(
        s,
        "</g><line class=\"axis\" x1=\"{x0:.1}\" x2=\"{x1:.1}\" y1=\"{0:.1}\" y2=\"{0:.1}\"/>\
         <path class=\"line\" d=\"{d}\"/><g class=\"marks\">",
        y(0.0)
    );
    // Values are written at the first and last points and at the extremes; every point has a
    // marker, so the line reads without its colour.
    let (mut imin, mut imax) = (0, 0);
    for (i, &(_, v)) in spec.points.iter().enumerate() {
        if v < spec.points[imin].1 {
            imin = i;
        }
        if v > spec.points[imax].1 {
            imax = i;
        }
    }
    for (i, &(_, v)) in spec.points.iter().enumerate() {
        let _ = write!(
            s,
            "<circle class=\"mark\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"4\"/>",
            x(i),
            y(v)
        );
        if i == 0 || i + 1 == n || i == imin || i == imax {
            let anchor = if i == 0 {
                "start"
            } else if i + 1 == n {
                "end"
            } else {
                "middle"
            };
            let below = i == imin && i != imax && n > 1;
            let _ = write!(
                s,
                "<text class=\"value\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">{}</text>",
                x(i),
                if below { y(v) + 18.0 } else { y(v) - 9.0 },
                text(&fmt(v))
            );
        }
    }
    s.push_str("</g></svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_the_locale() {
        let en = NumberFormat::for_language("en");
        assert_eq!(en.format(10686.85, 2), "10,686.85");
        assert_eq!(en.format(10.68685, 2), "10.69");
        assert_eq!(en.format(44.4, 2), "44.4");
        assert_eq!(en.format(8.0, 2), "8");
        assert_eq!(en.format(3.125, 2), "3.13");
        assert_eq!(en.format(-0.001, 2), "0");
        assert_eq!(en.format(-2.5, 0), "-3");
        let ru = NumberFormat::for_language("ru");
        assert_eq!(ru.format(10686.85, 2), "10\u{a0}686,85");
        let hi = NumberFormat::for_language("en-IN");
        assert_eq!(hi.format(1_234_567.0, 0), "12,34,567");
        // An unknown tag is not an error.
        assert_eq!(
            NumberFormat::for_language("not a tag").format(1.5, 1),
            "1.5"
        );
    }

    #[test]
    fn ticks_cover_the_range_in_round_steps() {
        assert_eq!(ticks(0.0, 44.4), vec![0.0, 20.0, 40.0, 60.0]);
        assert_eq!(ticks(0.0, 13.0), vec![0.0, 5.0, 10.0, 15.0]);
        let t = ticks(-3.0, 7.0);
        assert!(t[0] <= -3.0 && *t.last().unwrap() >= 7.0, "{t:?}");
    }

    #[test]
    fn the_trend_is_stated_in_words() {
        let nf = NumberFormat::for_language("en");
        let spec = Spec {
            id: "c",
            title: "Trade",
            unit: Some("US$ billion"),
            kind: ChartKind::Bar,
            points: vec![("2019", 10.0), ("2020", 8.5), ("2021", 44.4)],
            decimals: 2,
        };
        let d = describe(&spec, &nf, &Words::english());
        assert_eq!(
            d,
            "Trade: rose from 10 US$ billion in 2019 to 44.4 US$ billion in 2021. \
             The lowest value was 8.5 in 2020, the highest 44.4 in 2021."
        );
    }

    #[test]
    fn a_period_is_never_read_for_placeholders() {
        let nf = NumberFormat::for_language("en");
        let spec = Spec {
            id: "c",
            title: "T",
            unit: None,
            kind: ChartKind::Bar,
            points: vec![("{end}", 1.0), ("{to}", 1.0)],
            decimals: 2,
        };
        assert_eq!(
            describe(&spec, &nf, &Words::english()),
            "T: was unchanged at 1 from {end} to {to}."
        );
        assert_eq!(fill("a {x} {y} {", &[("x", "{y}")]), "a {y} {y} {");
    }

    #[test]
    fn shape_problems_are_reported() {
        let p = [("a", 1.0), ("a", f64::NAN)];
        let msgs: Vec<String> = check(Some(ChartKind::Line), &p, Some(9))
            .into_iter()
            .map(|(m, _)| m)
            .collect();
        assert!(msgs.iter().any(|m| m.contains("twice")), "{msgs:?}");
        assert!(msgs.iter().any(|m| m.contains("not a number")), "{msgs:?}");
        assert!(msgs.iter().any(|m| m.contains("decimals")), "{msgs:?}");
        assert!(!check(Some(ChartKind::Bar), &[], None).is_empty());
        assert!(check(None, &[], None).is_empty());
    }
}
