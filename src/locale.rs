//! Locale formatting: an explainer's dates (a day, a month or only a year) and its numbers written
//! the way a reader of the site's language expects, from ICU4X's compiled CLDR data
//! (`27 December 2023`, `27 декабря 2023 г.`, `27 दिसंबर 2023`; `1,234.5`, `1 234,5`, `1.234,5`).
//!
//! It owns the choice of formats (long month names, the Gregorian calendar, full years), the
//! plural category of a number (which form of "{n} pages" a language uses), the writing direction
//! of a language and the mapping from a `language:` tag to the locale whose data is used. It takes plain parts (year,
//! month, day; a number's decimal text) and leaves parsing dates, templates and site-wide settings
//! to `text`, `render` and `config`.

use icu_calendar::Gregorian;
use icu_datetime::fieldsets::{Y, YM, YMD};
use icu_datetime::input::Date;
use icu_datetime::options::YearStyle;
use icu_datetime::FixedCalendarDateTimeFormatter;
use icu_decimal::input::Decimal;
use icu_decimal::DecimalFormatter;
use icu_locale_core::Locale as IcuLocale;
use icu_plurals::{PluralCategory, PluralOperands, PluralRules};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// The formatters of one language, built once (see [`Locale::get`]) and shared by every page.
pub struct Locale {
    /// The tag as the site wrote it (`en`, `ru`, `pt-BR`), for `<html lang>` and messages.
    tag: String,
    day: FixedCalendarDateTimeFormatter<Gregorian, YMD>,
    month: FixedCalendarDateTimeFormatter<Gregorian, YM>,
    year: FixedCalendarDateTimeFormatter<Gregorian, Y>,
    numbers: DecimalFormatter,
    plurals: PluralRules,
}

/// A CLDR plural category: which form of a counted phrase a number takes (`1 page`, `2 pages`;
/// Russian `1 страница`, `2 страницы`, `5 страниц`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Plural {
    Zero,
    One,
    Two,
    Few,
    Many,
    Other,
}

impl Plural {
    pub const ALL: [Plural; 6] = [
        Plural::Zero,
        Plural::One,
        Plural::Two,
        Plural::Few,
        Plural::Many,
        Plural::Other,
    ];

    /// CLDR's name of the category (`one`, `few` …), as tables of UI strings write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Plural::Zero => "zero",
            Plural::One => "one",
            Plural::Two => "two",
            Plural::Few => "few",
            Plural::Many => "many",
            Plural::Other => "other",
        }
    }

    pub fn from_name(name: &str) -> Option<Plural> {
        Plural::ALL.into_iter().find(|p| p.as_str() == name)
    }

    fn of(c: PluralCategory) -> Plural {
        match c {
            PluralCategory::Zero => Plural::Zero,
            PluralCategory::One => Plural::One,
            PluralCategory::Two => Plural::Two,
            PluralCategory::Few => Plural::Few,
            PluralCategory::Many => Plural::Many,
            PluralCategory::Other => Plural::Other,
        }
    }
}

/// Which way a language's script runs: `<html dir>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Ltr,
    Rtl,
}

impl Direction {
    /// The value of the HTML `dir` attribute.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Ltr => "ltr",
            Direction::Rtl => "rtl",
        }
    }
}

/// Languages written right to left in their usual script: Arabic (`ar`, and `arz`, `ary`, `apc`,
/// `acm` … of the macrolanguage as ISO 639-3 writes them), Hebrew (`he`, and the old `iw`), Persian
/// (`fa`, `prs` Dari), Urdu (`ur`), Pashto (`ps`), Sindhi (`sd`), Kashmiri (`ks`), Central Kurdish
/// (`ckb`), Uyghur (`ug`), Yiddish (`yi`, `ji`), Dhivehi (`dv`), Syriac (`syr`), Aramaic (`arc`),
/// N'Ko (`nqo`), Balochi (`bal`), Mazanderani (`mzn`), Gilaki (`glk`), Northern Luri (`lrc`),
/// South Azerbaijani (`azb`) and Samaritan (`sam`).
const RTL_LANGUAGES: &[&str] = &[
    "ar", "arz", "ary", "arq", "apc", "apd", "acm", "acq", "aeb", "afb", "ajp", "ayl", "he", "iw",
    "fa", "prs", "pes", "ur", "ps", "pbt", "sd", "ks", "ckb", "ug", "yi", "ji", "ydd", "dv", "syr",
    "arc", "nqo", "bal", "mzn", "glk", "lrc", "azb", "sam",
];

/// Scripts written right to left (ISO 15924 codes, as a tag's script subtag writes them): Arabic,
/// Hebrew, Syriac, Thaana, N'Ko, Adlam, Hanifi Rohingya, Samaritan, Mandaic, Old South Arabian …
const RTL_SCRIPTS: &[&str] = &[
    "arab", "aran", "hebr", "syrc", "syre", "syrj", "syrn", "thaa", "nkoo", "adlm", "rohg", "samr",
    "mand", "mend", "sarb", "narb", "phnx", "avst", "armi", "prti", "phli", "phlp", "khar", "lydi",
    "nbat", "palm", "hatr", "sogd", "sogo", "chrs", "yezi", "ougr", "elym", "mani", "cprt",
];

/// The writing direction of a BCP 47 tag: a script subtag decides when there is one (`az-Arab` is
/// right to left, `ku-Latn` and `sd-Deva` left to right); otherwise the language's usual script
/// ([`RTL_LANGUAGES`]). Anything else, a malformed tag included, is left to right.
pub fn direction(tag: &str) -> Direction {
    let mut parts = tag.trim().split(['-', '_']).map(str::to_ascii_lowercase);
    let language = parts.next().unwrap_or_default();
    // The script subtag is the first four-letter subtag after the language (and any extlang).
    let script = parts
        .take_while(|p| p.len() != 1)
        .find(|p| p.len() == 4 && p.chars().all(|c| c.is_ascii_alphabetic()));
    let rtl = match script {
        Some(s) => RTL_SCRIPTS.contains(&s.as_str()),
        None => RTL_LANGUAGES.contains(&language.as_str()),
    };
    if rtl {
        Direction::Rtl
    } else {
        Direction::Ltr
    }
}

impl std::fmt::Debug for Locale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Locale").field("tag", &self.tag).finish()
    }
}

/// The locale whose data formats a `language:` tag.
///
/// A bare `en` means English for an international public: CLDR's `en-001` (`27 December 2023`),
/// which is what bilat has always printed; CLDR's own default for `en` is the United States'
/// `December 27, 2023`, which a site gets by writing `en-US`. Every other tag is used as written.
fn data_locale(tag: &str) -> Result<IcuLocale, String> {
    let parsed: IcuLocale = tag
        .parse()
        .map_err(|e| format!("`{tag}` is not a BCP 47 language tag ({e})"))?;
    if parsed.id.language.as_str() == "en"
        && parsed.id.region.is_none()
        && parsed.id.script.is_none()
        && parsed.id.variants.is_empty()
    {
        let mut intl: IcuLocale = "en-001".parse().map_err(|e| format!("{e}"))?;
        intl.extensions = parsed.extensions;
        return Ok(intl);
    }
    Ok(parsed)
}

impl Locale {
    /// Builds the formatters of `tag` (a BCP 47 tag such as `en`, `ru`, `hi-IN`).
    ///
    /// A well-formed tag without data of its own falls back along CLDR's chain (`ru-MD` → `ru`,
    /// and to the root locale at worst): that is not an error.
    pub fn new(tag: &str) -> Result<Locale, String> {
        let loc = data_locale(tag.trim())?;
        let fail =
            |e: &dyn std::fmt::Display| format!("no date or number formats for `{tag}`: {e}");
        let day = FixedCalendarDateTimeFormatter::try_new(
            (&loc).into(),
            YMD::long().with_year_style(YearStyle::Full),
        )
        .map_err(|e| fail(&e))?;
        let month = FixedCalendarDateTimeFormatter::try_new(
            (&loc).into(),
            YM::long().with_year_style(YearStyle::Full),
        )
        .map_err(|e| fail(&e))?;
        let year = FixedCalendarDateTimeFormatter::try_new(
            (&loc).into(),
            Y::long().with_year_style(YearStyle::Full),
        )
        .map_err(|e| fail(&e))?;
        let numbers =
            DecimalFormatter::try_new((&loc).into(), Default::default()).map_err(|e| fail(&e))?;
        let plurals = PluralRules::try_new_cardinal((&loc).into()).map_err(|e| fail(&e))?;
        Ok(Locale {
            tag: tag.trim().to_string(),
            day,
            month,
            year,
            numbers,
            plurals,
        })
    }

    /// The shared formatters of `tag`, built on first use: a site, and later each of its editions,
    /// asks by its language without carrying formatters through every layer.
    pub fn get(tag: &str) -> Result<Arc<Locale>, String> {
        static CACHE: OnceLock<Mutex<HashMap<String, Arc<Locale>>>> = OnceLock::new();
        let cache = CACHE.get_or_init(Default::default);
        if let Some(l) = cache.lock().ok().and_then(|c| c.get(tag).cloned()) {
            return Ok(l);
        }
        let built = Arc::new(Locale::new(tag)?);
        if let Ok(mut c) = cache.lock() {
            c.insert(tag.to_string(), built.clone());
        }
        Ok(built)
    }

    /// English as bilat prints it where no site language applies (messages, the `display` field
    /// templates have always had).
    pub fn english() -> Arc<Locale> {
        static EN: OnceLock<Arc<Locale>> = OnceLock::new();
        EN.get_or_init(|| {
            // `en` is a valid tag with compiled data: this cannot fail.
            Arc::new(Locale::new("en").unwrap_or_else(|e| unreachable!("{e}")))
        })
        .clone()
    }

    pub fn tag(&self) -> &str {
        &self.tag
    }

    /// A day, a month or a year: `27 December 2023`, `December 2023`, `2023`.
    ///
    /// The parts must make a real Gregorian date (a month without a day is its first day for the
    /// formatter, which shows only month and year); an impossible one is an error.
    pub fn date(&self, year: i32, month: Option<u8>, day: Option<u8>) -> Result<String, String> {
        let date =
            Date::try_new_gregorian(year, month.unwrap_or(1), day.unwrap_or(1)).map_err(|e| {
                format!(
                    "{year:04}-{:02}-{:02} is not a date: {e}",
                    month.unwrap_or(1),
                    day.unwrap_or(1)
                )
            })?;
        Ok(match (month, day) {
            (Some(_), Some(_)) => self.day.format(&date).to_string(),
            (Some(_), None) => self.month.format(&date).to_string(),
            _ => self.year.format(&date).to_string(),
        })
    }

    /// A number written as decimal text (`1234.5`, `-0.25`, `12e3`), with the locale's decimal
    /// separator and grouping; the digits given are kept (no rounding, trailing zeros stay).
    pub fn number(&self, text: &str) -> Result<String, String> {
        let text = text.trim();
        let value: Decimal = text
            .parse()
            .map_err(|_| format!("`{text}` is not a number"))?;
        Ok(self.numbers.format(&value).to_string())
    }

    /// The plural category of a count written as decimal text (`1`, `5`, `1.5`): which form of a
    /// counted phrase the language uses for it.
    pub fn plural(&self, number: &str) -> Result<Plural, String> {
        let number = number.trim();
        let value: Decimal = number
            .parse()
            .map_err(|_| format!("`{number}` is not a number"))?;
        Ok(Plural::of(
            self.plurals.category_for(PluralOperands::from(&value)),
        ))
    }

    /// The plural categories the language distinguishes (English: one, other; Russian: one, few,
    /// many, other; Arabic all six).
    pub fn plural_categories(&self) -> Vec<Plural> {
        let mut out: Vec<Plural> = self.plurals.categories().map(Plural::of).collect();
        out.sort();
        out
    }

    /// A number from a template or YAML value (`f64` from `1234.5`, `i64` from `1200`).
    pub fn number_f64(&self, value: f64) -> Result<String, String> {
        if !value.is_finite() {
            return Err(format!("`{value}` is not a finite number"));
        }
        // Rust prints the shortest text that reads back as the same f64: `0.1`, not 0.1000…01.
        self.number(&format!("{value}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dates(tag: &str) -> [String; 3] {
        let l = Locale::new(tag).expect(tag);
        [
            l.date(2023, Some(12), Some(27)).expect("day"),
            l.date(2023, Some(12), None).expect("month"),
            l.date(2023, None, None).expect("year"),
        ]
    }

    #[test]
    fn english_dates_are_unchanged() {
        assert_eq!(dates("en"), ["27 December 2023", "December 2023", "2023"]);
        // Other Englishes keep their own order.
        assert_eq!(dates("en-US")[0], "December 27, 2023");
        assert_eq!(dates("en-GB")[0], "27 December 2023");
    }

    #[test]
    fn russian_and_hindi_dates() {
        // CLDR's long forms: Russian months in the genitive after a day, and «г.» (after a
        // narrow no-break space) for the year; Hindi puts a comma before the year of a day.
        assert_eq!(
            dates("ru"),
            [
                "27 декабря 2023\u{202f}г.",
                "декабрь 2023\u{202f}г.",
                "2023"
            ]
        );
        assert_eq!(dates("hi"), ["27 दिसंबर, 2023", "दिसंबर 2023", "2023"]);
        assert_eq!(dates("de")[0], "27. Dezember 2023");
    }

    #[test]
    fn numbers_use_the_locale_separators() {
        let en = Locale::new("en").expect("en");
        assert_eq!(en.number("1234.5").expect("n"), "1,234.5");
        assert_eq!(en.number("65.7").expect("n"), "65.7");
        let ru = Locale::new("ru").expect("ru");
        // Russian groups with a no-break space and writes a decimal comma.
        assert_eq!(ru.number("1234.5").expect("n"), "1\u{a0}234,5");
        assert_eq!(ru.number_f64(65.7).expect("n"), "65,7");
        let de = Locale::new("de").expect("de");
        assert_eq!(de.number("1234.5").expect("n"), "1.234,5");
        assert_eq!(de.number_f64(0.25).expect("n"), "0,25");
        assert!(en.number("12 apples").is_err());
        assert!(en.number_f64(f64::NAN).is_err());
    }

    #[test]
    fn plural_categories_follow_cldr() {
        let en = Locale::new("en").expect("en");
        assert_eq!(en.plural("1").expect("n"), Plural::One);
        assert_eq!(en.plural("5").expect("n"), Plural::Other);
        assert_eq!(en.plural("1.5").expect("n"), Plural::Other);
        assert_eq!(en.plural_categories(), [Plural::One, Plural::Other]);
        let ru = Locale::new("ru").expect("ru");
        let forms: Vec<Plural> = ["1", "21", "3", "24", "5", "11", "12", "1.5"]
            .iter()
            .map(|n| ru.plural(n).expect("n"))
            .collect();
        use Plural::*;
        assert_eq!(forms, [One, One, Few, Few, Many, Many, Many, Other]);
        assert_eq!(ru.plural_categories(), [One, Few, Many, Other]);
        let ar = Locale::new("ar").expect("ar");
        assert_eq!(ar.plural("0").expect("n"), Zero);
        assert_eq!(ar.plural("2").expect("n"), Two);
        assert_eq!(ar.plural_categories(), Plural::ALL);
        assert!(en.plural("five").is_err());
    }

    #[test]
    fn directions() {
        for rtl in [
            "ar",
            "ar-EG",
            "he",
            "iw",
            "fa-IR",
            "ur",
            "ps",
            "ckb",
            "yi",
            "dv",
            "az-Arab",
            "pa-Arab-PK",
        ] {
            assert_eq!(direction(rtl), Direction::Rtl, "{rtl}");
        }
        for ltr in [
            "en",
            "ru",
            "hi",
            "ku-Latn",
            "sd-Deva",
            "uz",
            "",
            "not a tag",
            "ar-Latn",
            "zh-Hant-TW",
            "en-x-arab",
        ] {
            assert_eq!(direction(ltr), Direction::Ltr, "{ltr}");
        }
    }

    #[test]
    fn tags_are_checked() {
        assert!(Locale::new("not a tag").is_err());
        assert!(Locale::new("ru-RU").is_ok());
        assert!(Locale::new("en")
            .expect("en")
            .date(2023, Some(2), Some(30))
            .is_err());
        assert!(Arc::ptr_eq(
            &Locale::get("ru").expect("ru"),
            &Locale::get("ru").expect("ru")
        ));
    }
}
