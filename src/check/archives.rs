//! `bilat check --external` for the sources themselves. Every source's URL is checked with the
//! other external links (cited or not; a source marked dead or unfit is not asked again). For one
//! that is gone, the archive's closest copy ([`crate::sources::archive`]) goes with the link's
//! report, ready to paste, and `--fix-archives` writes it into sources.yaml. Under `--strict`, a
//! source with no archived copy at all is a warning: the day its page goes, readers lose it.

use super::external::Outcome;
use super::{CheckOptions, CheckReport, Externals};
use crate::error::{Diagnostic, Diagnostics};
use crate::registry::SourceStatus;
use crate::site::Site;
use crate::sources::archive::{self, Snapshot};
use crate::sources::fields::field_line;
use std::collections::HashMap;

/// What a source's check adds to its link's report.
pub(super) struct Advice {
    pub help: String,
    /// The archived copy was written into sources.yaml: the problem is solved.
    pub fixed: bool,
}

/// One source as `check --external` found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceCheck {
    pub id: String,
    pub url: String,
    /// Whether the URL answered (`None`: not asked, the source being marked dead or unfit).
    pub outcome: Option<Outcome>,
    /// For a gone source without `archive_url`: the archive's closest copy, if it has one.
    pub snapshot: Option<Result<Option<Snapshot>, String>>,
}

fn known_dead(s: &crate::registry::Source) -> bool {
    matches!(s.status, Some(SourceStatus::Dead | SourceStatus::Unfit))
}

/// Adds every source's URL to the links to check, and drops those of sources already known dead.
pub(super) fn add_sources(site: &Site, externals: &mut Externals) {
    for s in &site.registries.sources.items {
        if known_dead(s) {
            externals.remove(&s.url);
        } else if s.url.starts_with("http://") || s.url.starts_with("https://") {
            externals.entry(s.url.clone()).or_default();
        }
    }
}

pub(super) fn advise(
    site: &Site,
    opts: &CheckOptions,
    urls: &[String],
    outcomes: &[Outcome],
    report: &mut CheckReport,
    diags: &mut Diagnostics,
) -> HashMap<String, Advice> {
    let reg = &site.registries.sources;
    let by_url: HashMap<&str, &Outcome> = urls.iter().map(String::as_str).zip(outcomes).collect();
    let gone: Vec<&crate::registry::Source> = reg
        .items
        .iter()
        .filter(|s| !known_dead(s) && s.archive_url.is_none())
        .filter(|s| matches!(by_url.get(s.url.as_str()), Some(Outcome::Gone(_))))
        .collect();
    let api = site
        .config
        .archive_api
        .clone()
        .unwrap_or_else(|| archive::DEFAULT_API.to_string());
    let ext = &opts.external_options;
    let snapshots = archive::closest_all(&gone, &api, ext.timeout, ext.concurrency);
    let mut snap_of: HashMap<&str, Result<Option<Snapshot>, String>> =
        gone.iter().map(|s| s.id.as_str()).zip(snapshots).collect();

    let mut advice = HashMap::new();
    let mut fixes: Vec<(String, Snapshot)> = Vec::new();
    for s in &reg.items {
        let outcome = by_url.get(s.url.as_str()).map(|o| (*o).clone());
        let snapshot = snap_of.remove(s.id.as_str());
        match (&outcome, &snapshot) {
            (Some(Outcome::Ok(_)), _) if opts.strict && s.archive_url.is_none() => {
                diags.push(
                    Diagnostic::warning(&reg.file, field_line(reg, &s.id, "url"), format!("source `{}` has no archived copy", s.id))
                        .with_help("save the page in a web archive and add `archive_url:` and `archive_date:`, so that readers keep it when the page goes"),
                );
            }
            (Some(Outcome::Gone(_)), _) if s.archive_url.is_some() => {
                advice.insert(s.url.clone(), Advice {
                    help: format!("source `{}` has an archived copy: add `status: dead` so that readers are sent to it first", s.id),
                    fixed: false,
                });
            }
            (Some(Outcome::Gone(_)), Some(Ok(Some(snap)))) => {
                let paste = indent(&snap.paste());
                let help = if opts.fix_archives {
                    fixes.push((s.id.clone(), snap.clone()));
                    format!(
                        "source `{}`: wrote the archive's closest copy into its entry:\n{paste}",
                        s.id
                    )
                } else {
                    format!("source `{}`: the archive's closest copy; paste into its entry (or run `bilat check --external --fix-archives`):\n{paste}", s.id)
                };
                advice.insert(
                    s.url.clone(),
                    Advice {
                        help,
                        fixed: opts.fix_archives,
                    },
                );
            }
            (Some(Outcome::Gone(_)), Some(Ok(None))) => {
                advice.insert(s.url.clone(), Advice {
                    help: format!("source `{}`: the archive ({api}) has no copy of it; find the story elsewhere or cite another source", s.id),
                    fixed: false,
                });
            }
            (Some(Outcome::Gone(_)), Some(Err(e))) => {
                advice.insert(
                    s.url.clone(),
                    Advice {
                        help: format!("source `{}`: could not ask the archive ({api}): {e}", s.id),
                        fixed: false,
                    },
                );
            }
            _ => {}
        }
        report.sources.push(SourceCheck {
            id: s.id.clone(),
            url: s.url.clone(),
            outcome,
            snapshot,
        });
    }
    if !fixes.is_empty() {
        write_fixes(site, &fixes, report, diags);
        if report.archives_written.is_empty() {
            // Nothing was written after all: the problems stand.
            for a in advice.values_mut() {
                a.fixed = false;
            }
        }
    }
    advice
}

fn indent(lines: &str) -> String {
    lines
        .lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn write_fixes(
    site: &Site,
    fixes: &[(String, Snapshot)],
    report: &mut CheckReport,
    diags: &mut Diagnostics,
) {
    let reg = &site.registries.sources;
    let path = site.root.join(&reg.file);
    // The file as it is now, not as loaded: it may have been edited since.
    let result = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read it: {e}"))
        .and_then(|text| {
            let refs: Vec<(&str, &Snapshot)> =
                fixes.iter().map(|(id, s)| (id.as_str(), s)).collect();
            archive::fix_archives(&text, &refs)
        })
        .and_then(|text| {
            let tmp = path.with_extension(format!("yaml.tmp{}", std::process::id()));
            std::fs::write(&tmp, text)
                .and_then(|_| std::fs::rename(&tmp, &path))
                .map_err(|e| format!("cannot write it: {e}"))
        });
    match result {
        Ok(()) => report.archives_written = fixes.iter().map(|(id, _)| id.clone()).collect(),
        Err(e) => diags.push(
            Diagnostic::error(&reg.file, None, format!("archived copies not written: {e}"))
                .with_help("paste the lines shown for each dead source by hand"),
        ),
    }
}
