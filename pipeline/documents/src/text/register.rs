//! What the CLI prints of the registry's records: its status, a file, the lists of files,
//! recipients and contracts, a contract, a release, a person's provisions.

use tokumei_registry::{ErasureToDo, Profile, Recipient, StoredContract, StoredFile, StoredRelease};

/// What `registry status` shows.
pub struct Status {
    /// Schema version, rows per table, the last change.
    pub status: tokumei_registry::Status,
    /// The municipality's profile.
    pub profile: Profile,
    /// Accepted erasures whose internal copies are not all destroyed.
    pub erasures_to_do: Vec<ErasureToDo>,
    /// What the officer should look at (profile limits, holidays, calls, file entries).
    pub warnings: Vec<String>,
    /// Today in Japan by the run clock (what is overdue is judged on it).
    pub today: String,
}

/// What a look-up of a person's provisions found.
pub struct Provisions {
    /// The releases made from the person's records; `None` when the profile keeps no
    /// per-subject index.
    pub releases: Option<Vec<StoredRelease>>,
    /// The requests that excluded the person: request id, scope, since.
    pub excluded: Vec<(i64, String, String)>,
}

/// `registry status --json`.
pub fn status_json(st: &Status) -> serde_json::Value {
    serde_json::json!({
        "status": st.status, "profile": st.profile, "erasures_to_do": st.erasures_to_do, "warnings": st.warnings
    })
}

/// `recipient list --json`: each recipient with its id and the end of a 法120 bar.
pub fn recipients_json(list: &[(i64, Recipient, Option<String>)]) -> serde_json::Value {
    list.iter().map(|(id, r, barred)| serde_json::json!({ "id": id, "recipient": r, "barred_until": barred })).collect()
}

/// `subject provisions --json`: the releases and the requests that excluded the person.
pub fn provisions_json(found: &Provisions) -> serde_json::Value {
    let excluded: Vec<_> = found
        .excluded
        .iter()
        .map(|(r, scope, since)| serde_json::json!({"request": r, "scope": scope, "since": since}))
        .collect();
    serde_json::json!({"releases": found.releases, "excluded": excluded})
}

/// `registry status`: the schema, the body, the tables, the last change, what is overdue.
pub fn status(st: &Status) -> String {
    let mut out = String::new();
    let s = &mut out;
    let (status, profile) = (&st.status, &st.profile);
    put!(s, "registry        {}", status.path);
    put!(s, "schema version  {}", status.schema_version);
    put!(s, "body            {} ({}, {})", profile.body, profile.actor.label(), profile.body_kind.as_str());
    put!(
        s,
        "proposals       {}",
        if profile.proposals_mandatory() { "calls mandatory (at least yearly)" } else { "calls optional" }
    );
    put!(s, "audit log       {}", status.audit_log);
    for (table, n) in &status.tables {
        put!(s, "  {table:<14}{n:>8} rows");
    }
    if let Some(c) = &status.last_change {
        put!(
            s,
            "last change     #{} {} `{}` by {} at {} (audit entry {})",
            c.id,
            c.action,
            c.subject,
            c.operator,
            c.time,
            c.audit_seq.unwrap_or(0)
        );
    }
    for t in &st.erasures_to_do {
        put!(
            s,
            "warning: request {}: {} internal copy(ies) holding a person whose erasure or stop of use was accepted are not destroyed ({}), due {}{}",
            t.request_id,
            t.outstanding.len(),
            t.outstanding.join(", "),
            t.due,
            if t.overdue(&st.today) { " OVERDUE" } else { "" }
        );
    }
    for w in &st.warnings {
        put!(s, "warning: {w}");
    }
    out
}

/// `file show`: a registered file's 個人情報ファイル簿 items, rules and anonymised data, and where
/// its records are kept.
pub fn file(f: &StoredFile, sources: &[tokumei_registry::FileSource]) -> String {
    let mut out = String::new();
    let s = &mut out;
    let e = &f.entry;
    let yes = |b: bool| if b { "yes" } else { "no" };
    put!(s, "{} (#{}, added {})", e.name, f.id, f.added);
    put!(s, "  unit                 {}", e.unit);
    put!(s, "  purpose              {}", e.purpose);
    put!(s, "  items                {}", e.items.join(", "));
    put!(s, "  people recorded      {} ({})", e.people, e.people_range);
    put!(s, "  collection           {}", e.collection_method);
    put!(s, "  要配慮 / 条例要配慮   {} / {}", yes(e.sensitive), yes(e.ordinance_sensitive));
    put!(
        s,
        "  regular recipients   {}",
        if e.regular_recipients.is_empty() { "-".into() } else { e.regular_recipients.join(", ") }
    );
    put!(s, "  requests to          {}", e.request_office);
    if let Some(o) = &e.other_law_procedures {
        put!(s, "  other laws           {o}");
    }
    put!(
        s,
        "  法60条3項 1/2/3号     {} / {} / {}; open to proposals: {}",
        yes(e.published),
        yes(e.disclosable),
        yes(e.processable),
        yes(e.open_to_proposals)
    );
    if e.open_to_proposals {
        put!(
            s,
            "  proposals to         {} (法110条2号)",
            e.proposal_office.as_deref().unwrap_or("(not set: `tokumei file set-proposals`)")
        );
        put!(s, "  法118 proposals      {} days from creation (法117条3号)", e.reuse_days());
    }
    for r in &f.rules {
        put!(s, "  rules                {} (sha256 {})", r.path, &r.sha256[..16.min(r.sha256.len())]);
    }
    // 法117: the anonymised data made from the file, entered on creation.
    for c in &f.created_anonymised {
        let field = |k: &str| c[k].as_str().unwrap_or("-").to_string();
        let items: Vec<&str> =
            c["items"].as_array().map(|a| a.iter().filter_map(|x| x.as_str()).collect()).unwrap_or_default();
        put!(
            s,
            "  anonymised data      {} (contract {}, created {}): {} people{}; items {}",
            c["release"].as_str().or_else(|| c["releases"][0].as_str()).unwrap_or("-"),
            c["contract"],
            c["created"]
                .as_str()
                .map(String::from)
                .or_else(|| c["entered"].as_str().map(String::from))
                .unwrap_or_default(),
            c["people"],
            if field("people_counted_by").starts_with("rows") { " (counted as rows)" } else { "" },
            items.join(", ")
        );
        put!(
            s,
            "                       法118 proposals to {} from {} to {} (法117条2号・3号)",
            field("proposal_office"),
            field("proposals_from"),
            field("proposals_until")
        );
    }
    for w in e.warnings() {
        put!(s, "  warning              {w}");
    }
    for src in sources {
        put!(s, "  records kept in      {} ({}, subject column {})", src.path, src.format, src.subject_column);
    }
    out
}

/// `file list`: a line per registered file.
pub fn files(files: &[StoredFile]) -> String {
    let mut out = String::new();
    let s = &mut out;
    put!(s, "{:<4} {:<28} {:>10}  {:<9} rules", "id", "name", "people", "proposals");
    for f in files {
        put!(
            s,
            "{:<4} {:<28} {:>10}  {:<9} {}",
            f.id,
            f.entry.name,
            f.entry.people,
            if f.entry.open_to_proposals { "open" } else { "closed" },
            f.rules.len()
        );
    }
    out
}

/// `recipient list`: id, name, 法人番号, contact, the end of a 法120 bar.
pub fn recipients(list: &[(i64, Recipient, Option<String>)]) -> String {
    let mut out = String::new();
    let s = &mut out;
    for (id, r, barred) in list {
        let bar = barred.as_ref().map(|b| format!("  (法120: barred until {b})")).unwrap_or_default();
        let number = r.corporate_number.as_ref().map(|n| format!("  法人番号 {n}")).unwrap_or_default();
        put!(s, "{id:<4} {}{number}  {}{bar}", r.name, r.contact);
    }
    out
}

/// `contract show`: the proposal's items, the fee, every step.
pub fn contract(c: &StoredContract) -> String {
    let mut out = String::new();
    let s = &mut out;
    put!(s, "contract {} — {} / {} — {}", c.id, c.recipient, c.file, c.state.as_str());
    put!(s, "  kind        {}", c.kind.label());
    if let Some(r) = &c.proposal.release {
        put!(s, "  data        release {r} (made under contract {})", c.parent_id.unwrap_or(0));
    } else if let Some(p) = c.parent_id {
        put!(s, "  changes     contract {p} (its business)");
    }
    if let Some(call) = c.call_id {
        put!(s, "  call        {call} (法111)");
    }
    put!(s, "  people      {}", c.proposal.people);
    put!(s, "  purpose     {}", c.proposal.purpose);
    put!(s, "  use period  {} .. {}", c.proposal.use_from, c.proposal.use_until);
    for col in &c.proposal.columns {
        put!(s, "  column      {} ({})", col.name, col.granularity);
    }
    if let Some(f) = c.fee_yen {
        put!(s, "  fee         {f} yen ({})", crate::register::fee_words(c.fee_basis.as_ref()));
    }
    for t in &c.history {
        put!(
            s,
            "  {}  {} -> {}  by {}{}",
            t.time,
            t.from.as_deref().unwrap_or("-"),
            t.to,
            t.operator,
            t.note.as_ref().map(|n| format!(": {n}")).unwrap_or_default()
        );
    }
    out
}

/// `contract list`: a line per contract.
pub fn contracts(list: &[StoredContract]) -> String {
    let mut out = String::new();
    let s = &mut out;
    for c in list {
        put!(
            s,
            "{:<4} {:<18} {:<13} {} / {}  use {}..{}",
            c.id,
            c.state.as_str(),
            c.kind.as_str(),
            c.recipient,
            c.file,
            c.proposal.use_from,
            c.proposal.use_until
        );
    }
    out
}

/// `release list`: a line per release.
pub fn releases(list: &[StoredRelease]) -> String {
    let mut out = String::new();
    let s = &mut out;
    for r in list {
        put!(
            s,
            "{:<46} {:<10} contract {:<4} {:<24} rows {:>9}  k {:>3}  l {}{}",
            r.release.release_id,
            r.status,
            r.release.contract_id.map(|c| c.to_string()).unwrap_or_else(|| "-".into()),
            r.recipient.as_deref().unwrap_or("(internal)"),
            r.release.rows,
            r.release.k_achieved,
            r.release.l_achieved.map(|l| l.to_string()).unwrap_or_else(|| "-".into()),
            copy_note(r)
        );
    }
    out
}

/// `release show`: a release with its files, what replaced it, its destruction.
pub fn release(r: &StoredRelease) -> String {
    let mut out = String::new();
    let s = &mut out;
    put!(s, "release {} ({})", r.release.release_id, r.status);
    put!(s, "  recipient   {}", r.recipient.as_deref().unwrap_or("(internal)"));
    put!(s, "  contract    {}", r.release.contract_id.map(|c| c.to_string()).unwrap_or_else(|| "-".into()));
    put!(s, "  file        {}", r.file.as_deref().unwrap_or("-"));
    put!(s, "  folder      {}", r.release.release_dir);
    put!(
        s,
        "  rows        {} (k {}, l {})",
        r.release.rows,
        r.release.k_achieved,
        r.release.l_achieved.map(|l| l.to_string()).unwrap_or_else(|| "-".into())
    );
    put!(s, "  audit entry {} (head {})", r.release.audit_seq, r.release.audit_head.as_deref().unwrap_or("-"));
    if let Some(p) = &r.release.purpose {
        put!(s, "  internal    {p}");
    }
    if let Some(old) = &r.release.replaces {
        put!(
            s,
            "  replaces    {old}{}",
            r.release.replacement_note.as_ref().map(|n| format!(" (another input: {n})")).unwrap_or_default()
        );
    }
    if let Some(by) = &r.replaced_by {
        put!(s, "  replaced by {by}");
    }
    if let Some(d) = &r.destroyed {
        put!(s, "  destroyed   {} by {} ({}), recorded {}", d.date, d.operator, d.how, d.time);
    }
    for f in &r.release.outputs {
        put!(s, "  file        {}  {}", f.sha256, f.name);
    }
    out
}

/// What `release list` adds to a release's line: what replaced it, its destruction.
fn copy_note(r: &StoredRelease) -> String {
    match (&r.destroyed, &r.replaced_by) {
        (Some(d), _) => format!("  destroyed {}", d.date),
        (None, Some(by)) => format!("  replaced by {by} (destruction not recorded)"),
        _ => String::new(),
    }
}

/// `subject provisions`: the releases made from a person's records (in `registry`), the
/// requests that excluded them.
pub fn provisions(found: &Provisions, registry: &std::path::Path) -> String {
    let mut out = String::new();
    let s = &mut out;
    match &found.releases {
        None => put!(
            s,
            "registry {}: the profile keeps no per-subject index (`subject_index = false`): which releases hold the person is not recorded",
            registry.display()
        ),
        Some(f) if f.is_empty() => put!(s, "no registered release was made from this subject's records"),
        Some(_) => {}
    }
    for r in found.releases.iter().flatten() {
        put!(
            s,
            "{}  {}  {} rows  {}{}",
            r.release.release_id,
            r.time,
            r.release.rows,
            match (&r.recipient, &r.release.purpose) {
                (Some(rec), _) => format!("provided to {rec}"),
                (None, p) => format!("internal use: {}", p.as_deref().unwrap_or("-")),
            },
            copy_note(r)
        );
    }
    for (r, scope, since) in &found.excluded {
        put!(
            s,
            "excluded by request {r} since {since} from {}",
            if scope == "all" { "every later run" } else { "every later release to a recipient" }
        );
    }
    out
}

/// `call list --json`: every call with its status on `today`, and the warnings.
pub fn calls_json(calls: &[tokumei_registry::Call], today: &str, warnings: &[String]) -> serde_json::Value {
    let list: Vec<serde_json::Value> = calls
        .iter()
        .map(|c| serde_json::json!({ "call": c, "status": c.status(today), "ran_full_period": c.ran_full_period() }))
        .collect();
    serde_json::json!({ "calls": list, "warnings": warnings })
}

/// `call list`: a line per call for proposals with its status on `today`.
pub fn calls(calls: &[tokumei_registry::Call], today: &str) -> String {
    let mut out = String::new();
    let s = &mut out;
    if calls.is_empty() {
        put!(s, "no call for proposals recorded");
    }
    for c in calls {
        put!(
            s,
            "{:<4} {:<9} {} .. {}{}  {}{}",
            c.id,
            c.status(today),
            c.open_from,
            c.open_until,
            c.closed_on.as_ref().map(|d| format!(" (closed {d})")).unwrap_or_default(),
            c.files.join(", "),
            c.note.as_ref().map(|n| format!("  — {n}")).unwrap_or_default()
        );
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn no_call_is_said_so() {
        assert_eq!(super::calls(&[], "2027-04-01"), "no call for proposals recorded\n");
        assert_eq!(super::calls_json(&[], "2027-04-01", &[])["calls"], serde_json::json!([]));
    }
}
