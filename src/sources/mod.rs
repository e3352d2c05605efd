//! What the explainer knows about its sources beyond the registry entry: the article texts kept
//! in `.bilat-cache/sources/` ([`text`]), the check that every quote is in its source's text
//! ([`verify`]), `bilat sources fetch`, which downloads those texts ([`fetch`]), and the checks of
//! the citation fields (status, archive, language: [`fields`]).
//!
//! The registry entries themselves (ids, fields, their validation) belong to [`crate::registry`];
//! this module only reads them. Nothing here writes into the published output.

pub mod archive;
pub mod fetch;
pub mod fields;
pub mod text;
pub mod verify;

pub use verify::QuoteTally;

use crate::error::{Diagnostic, Diagnostics, Error, Result};
use crate::registry::{Registries, Registry, Source};
use std::path::Path;

/// The sources registry of the site at `root`, alone (the quote texts need nothing else).
pub fn load_sources(root: &Path) -> Result<Registry<Source>> {
    let mut diags = Diagnostics::default();
    let mut regs = Registries::load(
        &root.join(crate::content::CONTENT_DIR),
        Path::new(crate::content::CONTENT_DIR),
        &mut diags,
    );
    // Only `link` matters here, which does not depend on the site's language.
    fields::complete(&mut regs.sources, "", &mut diags);
    diags.into_result()?;
    Ok(regs.sources)
}

/// What `bilat sources fetch` downloads: every source, or the ones named in `only`, each from
/// the page its text is best taken from.
pub fn fetch_targets(sources: &Registry<Source>, only: &[String]) -> Result<Vec<fetch::Target>> {
    let mut unknown = Vec::new();
    for id in only {
        if !sources.contains(id) {
            unknown.push(
                Diagnostic::error(&sources.file, None, format!("no source `{id}` to fetch"))
                    .with_help(format!("the ids are those of {}", sources.file.display())),
            );
        }
    }
    if !unknown.is_empty() {
        return Err(Error::Build(unknown));
    }
    Ok(sources
        .items
        .iter()
        .filter(|s| only.is_empty() || only.contains(&s.id))
        .map(|s| fetch::Target {
            id: s.id.clone(),
            url: s.link.clone(),
        })
        .collect())
}
