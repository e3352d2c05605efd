//! Locale formatting: an explainer's dates (a day, a month or only a year) and its numbers written
//! the way a reader of the site's language expects, from ICU4X's compiled CLDR data
//! (`27 December 2023`, `27 декабря 2023 г.`, `27 दिसंबर 2023`; `1,234.5`, `1 234,5`, `1.234,5`).
//!
//! It owns the choice of formats (long month names, the Gregorian calendar, full years) and the
//! mapping from a `language:` tag to the locale whose data is used. It takes plain parts (year,
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
        Ok(Locale {
            tag: tag.trim().to_string(),
            day,
            month,
            year,
            numbers,
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
