//! The documents a console step writes, as the CLI writes them: the same drafts
//! ([`tokumei_documents`]), owner-only, atomically, in the same folders.

use tokumei_documents::requests::{decision_documents, default_dir};
use tokumei_registry::{Decision, Registry};

/// After a request's decision: write the decision notice draft beside the registry as
/// `tokumei request decide` does; what to tell the officer (where the notice is, who else must
/// be told).
pub(crate) fn decided(reg: &Registry, id: i64, d: &Decision) -> Result<Vec<String>, String> {
    let r = reg.request(id).map_err(chain)?.ok_or_else(|| format!("no request {id} in the registry"))?;
    let profile = reg.profile().map_err(chain)?;
    let docs = decision_documents(&profile, &r, d, &default_dir(reg.path(), id));
    tokumei_audit::sys::write_private(&docs.path, docs.html.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", docs.path.display()))?;
    Ok(docs.lines)
}

/// An error with its causes (`error: cause: ...`), as the CLI prints it.
fn chain(e: impl std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(c) = source {
        s.push_str(&format!(": {c}"));
        source = c.source();
    }
    s
}
