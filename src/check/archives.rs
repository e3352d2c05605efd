//! `bilat check --external` for the sources themselves: each source's URL is asked
//! ([`crate::sources::archive`]), a dead one is reported with the archive's closest copy ready
//! to paste, and `--fix-archives` writes those copies into sources.yaml. Under `--strict`, a
//! source with no archived copy at all is a warning: the day its page goes, readers lose it.

use super::{CheckOptions, CheckReport};
use crate::error::{Diagnostic, Diagnostics};
use crate::registry::SourceStatus;
use crate::site::Site;
use crate::sources::archive::{self, Liveness, ProbeOptions};
use crate::sources::fields::field_line;

pub(super) fn check_sources(
    site: &Site,
    opts: &CheckOptions,
    report: &mut CheckReport,
    diags: &mut Diagnostics,
) {
    let reg = &site.registries.sources;
    let ext = &opts.external_options;
    let probe = ProbeOptions {
        concurrency: ext.concurrency,
        timeout: ext.timeout,
        retries: ext.retries,
        backoff: ext.backoff,
        api: site
            .config
            .archive_api
            .clone()
            .unwrap_or_else(|| archive::DEFAULT_API.to_string()),
    };
    let checks = archive::check_sources(&reg.items, &probe);
    let mut fixes = Vec::new();
    for (c, s) in checks.iter().zip(&reg.items) {
        let at = |key: &str| field_line(reg, &s.id, key);
        let known_dead = matches!(s.status, Some(SourceStatus::Dead | SourceStatus::Unfit));
        match &c.liveness {
            Liveness::Answered(_) => {
                if opts.strict && s.archive_url.is_none() {
                    diags.push(
                        Diagnostic::warning(&reg.file, at("url"), format!("source `{}` has no archived copy", s.id))
                            .with_help("save the page in a web archive and add `archive_url:` and `archive_date:`, so that readers keep it when the page goes"),
                    );
                }
            }
            Liveness::Refused(why) => diags.push(Diagnostic::warning(
                &reg.file,
                at("url"),
                format!("source `{}`: {why}", s.id),
            )),
            Liveness::Failed(why) => diags.push(Diagnostic::error(
                &reg.file,
                at("url"),
                format!("source `{}`'s URL `{}` failed: {why}", s.id, s.url),
            )),
            Liveness::Dead(_) if known_dead && s.archive_url.is_some() => {}
            Liveness::Dead(why) if s.archive_url.is_some() => diags.push(
                Diagnostic::error(
                    &reg.file,
                    at("url"),
                    format!("source `{}`'s URL is dead ({why})", s.id),
                )
                .with_help("it has an archived copy: add `status: dead` so that readers are sent to the archive first"),
            ),
            Liveness::Dead(why) => {
                let message = format!("source `{}`'s URL is dead ({why})", s.id);
                let d = match (&c.snapshot, c.paste()) {
                    (Some(Ok(Some(snap))), Some(paste)) if opts.fix_archives => {
                        fixes.push((s.id.as_str(), snap.clone()));
                        Diagnostic::warning(&reg.file, at("url"), message).with_help(format!(
                            "wrote the archive's closest copy into its entry:\n{}",
                            indent(&paste)
                        ))
                    }
                    (_, Some(paste)) => Diagnostic::error(&reg.file, at("url"), message)
                        .with_help(format!(
                            "the archive's closest copy; paste into the entry (or run `bilat check --external --fix-archives`):\n{}",
                            indent(&paste)
                        )),
                    (Some(Err(e)), _) => Diagnostic::error(&reg.file, at("url"), message)
                        .with_help(format!("could not ask the archive ({}): {e}", probe.api)),
                    _ => Diagnostic::error(&reg.file, at("url"), message).with_help(
                        "the archive has no copy of it: find the story elsewhere or cite another source",
                    ),
                };
                diags.push(d);
            }
        }
    }
    if !fixes.is_empty() {
        write_fixes(site, &fixes, report, diags);
    }
    report.sources = checks;
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
    fixes: &[(&str, archive::Snapshot)],
    report: &mut CheckReport,
    diags: &mut Diagnostics,
) {
    let reg = &site.registries.sources;
    let path = site
        .root
        .join(crate::content::CONTENT_DIR)
        .join(crate::registry::DATA_DIR)
        .join("sources.yaml");
    // The file as it is now, not as loaded: it may have been edited since.
    let result = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read it: {e}"))
        .and_then(|text| {
            let refs: Vec<(&str, &archive::Snapshot)> =
                fixes.iter().map(|(id, s)| (*id, s)).collect();
            archive::fix_archives(&text, &refs)
        })
        .and_then(|text| {
            let tmp = path.with_extension(format!("yaml.tmp{}", std::process::id()));
            std::fs::write(&tmp, text)
                .and_then(|_| std::fs::rename(&tmp, &path))
                .map_err(|e| format!("cannot write it: {e}"))
        });
    match result {
        Ok(()) => report.archives_written = fixes.iter().map(|(id, _)| id.to_string()).collect(),
        Err(e) => diags.push(
            Diagnostic::error(&reg.file, None, format!("archived copies not written: {e}"))
                .with_help("paste the lines shown for each dead source by hand"),
        ),
    }
}
