//! Semantic validation of a rule file against an input header.

use crate::diag::{Diagnostic, Diagnostics, from_toml_error, suggest};
use crate::hierarchy::{Age, Bands, CustomHierarchy, Hierarchy};
use crate::plan::*;
use crate::raw::{RawCap, RawColumn, RawRules};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::Path;
use toml::Spanned;

mod perturb;

/// Parse rule-file text into raw structures (syntax and unknown keys only).
pub fn parse_rules(path: &Path, source: &str) -> Result<RawRules, Diagnostics> {
    toml::from_str(source).map_err(|e| from_toml_error(path, source, &e).into())
}

struct Ctx<'a> {
    path: &'a Path,
    src: &'a str,
    diags: Diagnostics,
    /// The files the rules name (hierarchy files, dictionaries) as written and the bytes read:
    /// part of the rules' digest.
    files: Vec<(String, Vec<u8>)>,
}

impl Ctx<'_> {
    fn err<T>(&mut self, s: &Spanned<T>, msg: impl Into<String>) -> Diagnostic {
        Diagnostic::at(self.path, self.src, s.span(), msg)
    }
    fn push<T>(&mut self, s: &Spanned<T>, msg: impl Into<String>) {
        let d = self.err(s, msg);
        self.diags.push(d);
    }
    fn push_hint<T>(&mut self, s: &Spanned<T>, msg: impl Into<String>, hint: Option<String>) {
        let mut d = self.err(s, msg);
        d.hint = hint;
        self.diags.push(d);
    }
}

/// The type each input column of rule file `path` (text `source`) is read as (its `type`, else
/// the one its action or hierarchy implies), by input column name: the rules validated against
/// the columns they name themselves.
pub fn column_types(path: &Path, source: &str) -> Result<Vec<(String, ValueType)>, Diagnostics> {
    let plan = self_bound(path, source)?;
    Ok(plan.columns.iter().map(|c| (c.name.clone(), c.ty)).collect())
}

/// The digest of rule file `path` (text `source`) as a run records it ([`Plan::rules_sha256`]):
/// the SHA-256 of the rule file's bytes, and of the files it names (hierarchy files,
/// dictionaries) when it names any, so that a registry allowing the rules allows those files'
/// contents too.
pub fn rules_digest(path: &Path, source: &str) -> Result<String, Diagnostics> {
    Ok(self_bound(path, source)?.rules_sha256)
}

/// The digest of a rule file's text and the files it names (written name, bytes): the plain
/// SHA-256 of the text when it names none (the digest rule files have always had), else a
/// SHA-256 over the text and each file, length-prefixed, in name order.
fn digest_of(source: &str, files: &[(String, Vec<u8>)]) -> String {
    if files.is_empty() {
        return hex::encode(Sha256::digest(source.as_bytes()));
    }
    let mut files: Vec<&(String, Vec<u8>)> = files.iter().collect();
    files.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    files.dedup();
    let mut h = Sha256::new();
    h.update(b"tokumei-rules-digest-1\n");
    let mut part = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_be_bytes());
        h.update(bytes);
    };
    part(source.as_bytes());
    for (name, bytes) in files {
        part(name.as_bytes());
        part(bytes);
    }
    hex::encode(h.finalize())
}

/// The rules validated against the input columns they name themselves.
fn self_bound(path: &Path, source: &str) -> Result<Plan, Diagnostics> {
    let raw = parse_rules(path, source)?;
    let mut header: Vec<String> = Vec::new();
    for c in &raw.columns {
        let names = std::iter::once(c.name.get_ref().clone())
            .chain(c.with.as_ref().map(|w| w.get_ref().clone()).unwrap_or_default());
        for n in names {
            if !header.contains(&n) {
                header.push(n);
            }
        }
    }
    validate_rules(path, source, &header)
}

/// Validate `source` (the text of rule file `path`) against the input `header` and build
/// the plan. Every problem is reported, each with its position.
pub fn validate_rules(path: &Path, source: &str, header: &[String]) -> Result<Plan, Diagnostics> {
    let raw = parse_rules(path, source)?;
    let mut cx = Ctx { path, src: source, diags: Diagnostics::default(), files: Vec::new() };

    if *raw.version.get_ref() != 1 {
        cx.push(&raw.version, "unsupported rule-file version (this tokumei reads version 1)");
    }
    if let Err(why) = crate::diag::check_path_name(raw.dataset.get_ref()) {
        cx.push(&raw.dataset, format!("dataset {why}"));
    }
    let mode = mode(&mut cx, &raw);
    let on_malformed = on_malformed(&mut cx, &raw);

    let privacy = match &raw.privacy {
        Some(p) => privacy(&mut cx, p, mode),
        None => {
            if mode == Some(Mode::Anonymized) {
                cx.diags.push(
                    Diagnostic::file(path, "anonymized rules need a [privacy] section with k and max_suppression")
                        .hint("add `[privacy]` with `k = 5` and `max_suppression = 0.02`"),
                );
            }
            no_privacy()
        }
    };

    let header_index: HashMap<&str, usize> = header.iter().enumerate().map(|(i, h)| (h.as_str(), i)).collect();
    let (mut columns, seen) = columns(&mut cx, &raw, header, &header_index, mode, &privacy);
    composite_inputs(&mut cx, &raw, header, &header_index, &mut columns);
    for h in header {
        if !seen.contains_key(h) && !raw.columns.iter().any(|c| c.name.get_ref() == h) {
            cx.diags.push(
                Diagnostic::file(path, format!("input column `{h}` is not covered by any rule"))
                    .hint(format!("add a [[column]] with name = \"{h}\", a role and an action (`drop` if unused)")),
            );
        }
    }
    let subject = raw.subject.as_ref().and_then(|s| {
        if header_index.contains_key(s.get_ref().as_str()) {
            Some(s.get_ref().clone())
        } else {
            let hint = suggest(s.get_ref(), header.iter().map(String::as_str));
            cx.push_hint(s, "subject column is not in the input", hint);
            None
        }
    });

    perturb::joint(&mut cx, &raw, &columns);
    let (fingerprint, fingerprint_column) = fingerprint(&mut cx, &raw, &columns);
    if !cx.diags.is_empty() {
        return Err(cx.diags);
    }
    let plan = Plan {
        rules_path: path.to_path_buf(),
        rules_sha256: digest_of(source, &cx.files),
        dataset: raw.dataset.into_inner(),
        description: raw.description,
        mode: mode.expect("mode validated"),
        shuffle: raw.shuffle.as_ref().map_or(mode == Some(Mode::Anonymized), |s| *s.get_ref()),
        fingerprint,
        fingerprint_column,
        subject,
        on_malformed,
        privacy,
        columns,
    };
    check_models(&mut cx, raw.privacy.as_ref(), &plan);
    if !cx.diags.is_empty() {
        return Err(cx.diags);
    }
    Ok(plan)
}

/// The privacy of rules without a `[privacy]` section: nothing enforced.
fn no_privacy() -> Privacy {
    Privacy {
        k: 1,
        l: None,
        max_suppression: 0.0,
        search: false,
        quality: tokumei_anon::Quality::LOSS,
        local_recoding: LocalRecoding::None,
        model_settings: Default::default(),
    }
}

/// The rules' mode (`None`, with a diagnostic, when it is neither).
fn mode(cx: &mut Ctx, raw: &RawRules) -> Option<Mode> {
    match raw.mode.get_ref().as_str() {
        "anonymized" => Some(Mode::Anonymized),
        "pseudonymized" => Some(Mode::Pseudonymized),
        other => {
            let hint = suggest(other, ["anonymized", "pseudonymized"]);
            cx.push_hint(&raw.mode, "mode must be `anonymized` or `pseudonymized`", hint);
            None
        }
    }
}

/// What a malformed value does (`on_malformed`, with `max_rejected` when rows are rejected).
fn on_malformed(cx: &mut Ctx, raw: &RawRules) -> OnMalformed {
    let on_malformed = match raw.on_malformed.as_ref().map(|s| s.get_ref().as_str()) {
        None | Some("error") => OnMalformed::Error,
        Some("reject") => {
            let max = raw.max_rejected.as_ref().map_or(0.01, |m| *m.get_ref());
            if !(0.0..=1.0).contains(&max) {
                cx.push(raw.max_rejected.as_ref().unwrap(), "max_rejected must be a share between 0 and 1");
            }
            OnMalformed::Reject { max_rejected: max }
        }
        Some(_) => {
            let m = raw.on_malformed.as_ref().unwrap();
            cx.push_hint(m, "on_malformed must be `error` or `reject`", suggest(m.get_ref(), ["error", "reject"]));
            OnMalformed::Error
        }
    };
    if let (Some(m), OnMalformed::Error) = (&raw.max_rejected, on_malformed) {
        cx.push(m, "max_rejected applies only with on_malformed = \"reject\"");
    }
    on_malformed
}

/// Each rule's column plan, in the rules' order: its name in the input, once, and its output
/// name produced once. Returns the plans and the names that have a rule.
fn columns(
    cx: &mut Ctx,
    raw: &RawRules,
    header: &[String],
    header_index: &HashMap<&str, usize>,
    mode: Option<Mode>,
    privacy: &Privacy,
) -> (Vec<ColumnPlan>, HashMap<String, ()>) {
    let mut seen: HashMap<String, ()> = HashMap::new();
    let mut outputs: HashMap<String, ()> = HashMap::new();
    let mut columns = Vec::new();
    for raw_col in &raw.columns {
        let name = raw_col.name.get_ref().clone();
        let Some(&input_index) = header_index.get(name.as_str()) else {
            let hint = suggest(&name, header.iter().map(String::as_str));
            cx.push_hint(&raw_col.name, format!("column `{name}` is not in the input"), hint);
            continue;
        };
        if seen.insert(name.clone(), ()).is_some() {
            cx.push(&raw_col.name, format!("column `{name}` has more than one rule"));
            continue;
        }
        if let Some(col) = column(cx, raw_col, input_index, mode.unwrap_or(Mode::Anonymized), privacy) {
            if let Some(out) = &col.output
                && outputs.insert(out.clone(), ()).is_some()
            {
                let at = raw_col.output.as_ref().unwrap_or(&raw_col.name);
                cx.push(at, format!("output column `{out}` is produced twice"));
            }
            columns.push(col);
        }
    }
    (columns, seen)
}

/// `with` (composite pseudonyms) and `names_from` (scrub) name input columns; a `with`
/// column is consumed by the pseudonym and must itself be dropped.
fn composite_inputs(
    cx: &mut Ctx,
    raw: &RawRules,
    header: &[String],
    header_index: &HashMap<&str, usize>,
    columns: &mut [ColumnPlan],
) {
    for raw_col in &raw.columns {
        let Some(col) = columns.iter().position(|c: &ColumnPlan| &c.name == raw_col.name.get_ref()) else { continue };
        if let Some(w) = &raw_col.with {
            let mut extra = Vec::new();
            for other in w.get_ref() {
                match header_index.get(other.as_str()) {
                    None => {
                        let hint = suggest(other, header.iter().map(String::as_str));
                        cx.push_hint(w, format!("`with` names column `{other}`, which is not in the input"), hint);
                    }
                    Some(_) if other == raw_col.name.get_ref() => cx.push(w, "`with` names the column itself"),
                    Some(i) => {
                        if !columns.iter().any(|c| &c.name == other && c.action == Action::Drop) {
                            cx.push_hint(
                                w,
                                format!(
                                    "column `{other}` is coded as part of this pseudonym, so its own rule must drop it"
                                ),
                                Some(format!("give `{other}` a rule with `action = \"drop\"`")),
                            );
                        }
                        extra.push(*i);
                    }
                }
            }
            columns[col].extra_inputs = extra;
        }
        if let Some(n) = &raw_col.names_from {
            for other in n.get_ref() {
                if !header_index.contains_key(other.as_str()) {
                    let hint = suggest(other, header.iter().map(String::as_str));
                    cx.push_hint(n, format!("`names_from` names column `{other}`, which is not in the input"), hint);
                }
            }
        }
    }
}

/// `fingerprint`: true, false or the output column to reorder (one outside the k-anonymity key
/// that the run can reorder). Returns whether to fingerprint and the column named.
fn fingerprint(cx: &mut Ctx, raw: &RawRules, columns: &[ColumnPlan]) -> (Option<bool>, Option<String>) {
    match raw.fingerprint.as_ref() {
        None => (None, None),
        Some(v) => match v.get_ref() {
            toml::Value::Boolean(b) => (Some(*b), None),
            toml::Value::String(name) => {
                let ok = columns.iter().any(|c| {
                    c.output.as_deref() == Some(name.as_str())
                        && !c.is_privacy_key()
                        && c.is_global()
                        && c.perturbation().and_then(|p| p.together()).is_none()
                        && !matches!(c.role, Role::LinkingCode | Role::IdentificationCode | Role::DirectIdentifier)
                });
                if !ok {
                    cx.push_hint(
                        v,
                        format!("`fingerprint` names `{name}`, which is not an output column outside the k-anonymity key that the run can reorder"),
                        Some("name a sensitive or insensitive output column (kept, generalised or rare-suppressed), or write `fingerprint = true` to let the run choose".into()),
                    );
                }
                (Some(true), Some(name.clone()))
            }
            _ => {
                cx.push(v, "`fingerprint` is true, false or the name of the output column to reorder");
                (None, None)
            }
        },
    }
}

/// Which option keys an action accepts (beyond [`COMMON_OPTIONS`]), from [`ACTION_DEFS`].
fn allowed_options(action: &str) -> &'static [&'static str] {
    ACTION_DEFS.iter().find(|a| a.name == action).map_or(&[], |a| a.options)
}

fn present_options(c: &RawColumn) -> Vec<(&'static str, std::ops::Range<usize>)> {
    let mut v = Vec::new();
    macro_rules! opt {
        ($($f:ident),*) => {$( if let Some(s) = &c.$f { v.push((stringify!($f), s.span())); } )*};
    }
    opt!(
        hierarchy,
        hierarchy_file,
        separator,
        level,
        bands,
        top,
        bottom,
        length,
        keep_first,
        keep_last,
        mask_char,
        preserve,
        min_count,
        min_level,
        max_level,
        weight,
        with,
        names_from,
        dictionary,
        group_size,
        aggregate,
        together,
        method,
        kind,
        scale,
        round,
        min,
        max,
        window,
        within,
        keep,
        invariant,
        matrix_file,
        values
    );
    if let Some(s) = &c.l {
        v.push(("l", s.span()));
    }
    if let Some(s) = &c.l_reason {
        v.push(("l_reason", s.span()));
    }
    v
}

/// A `[privacy]` value as an integer, or an error at its position.
fn integer(cx: &mut Ctx, key: &str, v: &Spanned<toml::Value>) -> Option<i64> {
    match v.get_ref() {
        toml::Value::Integer(i) => Some(*i),
        other => {
            cx.push(v, format!("{key} must be a whole number, not {}", other.type_str()));
            None
        }
    }
}

/// A `[privacy]` value as a number (integers allowed), or an error at its position.
fn number(cx: &mut Ctx, key: &str, v: &Spanned<toml::Value>) -> Option<f64> {
    match v.get_ref() {
        toml::Value::Integer(i) => Some(*i as f64),
        toml::Value::Float(x) if x.is_finite() => Some(*x),
        toml::Value::Float(_) => {
            cx.push(v, format!("{key} must be a finite number"));
            None
        }
        other => {
            cx.push(v, format!("{key} must be a number, not {}", other.type_str()));
            None
        }
    }
}

/// A `[privacy]` value as one of `choices`, or an error at its position with a "did you mean".
fn choice<'c>(cx: &mut Ctx, key: &str, v: &Spanned<toml::Value>, choices: &[&'c str]) -> Option<&'c str> {
    let text = match v.get_ref() {
        toml::Value::String(t) => t.as_str(),
        other => {
            cx.push(v, format!("{key} must be a string, not {}", other.type_str()));
            return None;
        }
    };
    let found = choices.iter().find(|c| **c == text).copied();
    if found.is_none() {
        let hint = suggest(text, choices.iter().copied());
        cx.push_hint(v, format!("{key} must be {}", names(choices.iter().copied())), hint);
    }
    found
}

/// Validate the `[privacy]` section: the rules' own keys ([`PRIVACY_KEYS`]) and every privacy
/// model's keys ([`tokumei_anon::models::MODELS`]); anything else is an unknown key.
fn privacy(cx: &mut Ctx, section: &Spanned<crate::raw::RawPrivacy>, mode: Option<Mode>) -> Privacy {
    use tokumei_anon::models::{Value, ValueKind};
    let raw = section.get_ref();
    let get = |name: &str| raw.iter().find(|(k, _)| k.get_ref() == name).map(|(_, v)| v);
    for key in raw.keys() {
        let name = key.get_ref().as_str();
        if PRIVACY_KEYS.iter().any(|k| k.name == name) || tokumei_anon::models::key(name).is_some() {
            continue;
        }
        let docs = crate::plan::privacy_key_docs();
        let all = docs.iter().map(|(name, _)| *name);
        let hint = suggest(name, all.clone()).or_else(|| {
            Some(format!("keys allowed here: {}", all.map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", ")))
        });
        cx.push_hint(key, format!("unknown key `{name}` in [privacy]"), hint);
    }
    for k in PRIVACY_KEYS.iter().filter(|k| k.required) {
        if get(k.name).is_none() {
            let d = cx.err(section, format!("[privacy] needs `{}`", k.name));
            cx.diags.push(d.hint(format!("add `{} = ...`: {}", k.name, k.doc)));
        }
    }
    let k = match get("k").and_then(|v| integer(cx, "k", v).map(|k| (v, k))) {
        Some((v, k)) => {
            if !(1..=1_000_000).contains(&k) {
                cx.push(v, "k must be between 1 and 1000000");
            }
            if mode == Some(Mode::Anonymized) && k < 2 {
                cx.push(v, "anonymized data needs k of at least 2 (processing standard 5)");
            }
            k.clamp(1, 1_000_000) as u32
        }
        None => 1,
    };
    let l = get("l").and_then(|v| {
        let l = integer(cx, "l", v)?;
        if !(1..=1000).contains(&l) {
            cx.push(v, "l must be between 1 and 1000");
        }
        Some(l.clamp(1, 1000) as u32)
    });
    let max_suppression = match get("max_suppression").and_then(|v| number(cx, "max_suppression", v).map(|x| (v, x))) {
        Some((v, ms)) => {
            if !(0.0..=1.0).contains(&ms) {
                cx.push(v, "max_suppression must be a share between 0 and 1");
            }
            ms.clamp(0.0, 1.0)
        }
        None => 0.0,
    };
    let search = get("search").and_then(|v| choice(cx, "search", v, &["optimal", "none"])) == Some("optimal");
    let quality = match get("quality") {
        None => tokumei_anon::Quality::LOSS,
        Some(v) => {
            let names: Vec<&str> = tokumei_anon::Quality::all()
                .flat_map(|q| [q.name()].into_iter().chain(q.measure().aliases().iter().copied()))
                .collect();
            let q = choice(cx, "quality", v, &names).and_then(tokumei_anon::Quality::parse);
            if q.is_some() && !search {
                cx.push(v, "quality applies only with search = \"optimal\"");
            }
            q.unwrap_or(tokumei_anon::Quality::LOSS)
        }
    };
    let local_recoding = match get("local_recoding") {
        None => LocalRecoding::None,
        Some(v) => match choice(cx, "local_recoding", v, &["none", "compare", "apply"]) {
            Some(mode @ ("compare" | "apply")) if !search => {
                cx.push(v, format!("local_recoding = \"{mode}\" needs search = \"optimal\""));
                LocalRecoding::None
            }
            Some("compare") => LocalRecoding::Compare,
            Some("apply") => LocalRecoding::Apply,
            _ => LocalRecoding::None,
        },
    };
    // The privacy models' keys, each parsed by its kind.
    let mut model_settings = std::collections::BTreeMap::new();
    for (key, v) in raw {
        let Some(def) = tokumei_anon::models::key(key.get_ref()) else { continue };
        let value = match def.kind {
            ValueKind::Share => number(cx, def.name, v).map(|x| {
                if !(x > 0.0 && x <= 1.0) {
                    cx.push(v, format!("{} must be above 0 and at most 1", def.name));
                }
                Value::Number(x)
            }),
            ValueKind::Positive => number(cx, def.name, v).map(|x| {
                if x <= 0.0 {
                    cx.push(v, format!("{} must be positive", def.name));
                }
                Value::Number(x)
            }),
            ValueKind::Choice(choices) => choice(cx, def.name, v, choices).map(|c| Value::Text(c.to_string())),
        };
        if let Some(value) = value {
            model_settings.insert(def.name.to_string(), value);
        }
    }
    Privacy { k, l, max_suppression, search, quality, local_recoding, model_settings }
}

/// Check that the privacy models' keys make sense together, now that the sensitive columns are
/// known; each problem is reported at the key it names.
fn check_models(cx: &mut Ctx, section: Option<&Spanned<crate::raw::RawPrivacy>>, plan: &Plan) {
    let Err(errors) = plan.models() else { return };
    for e in errors {
        let at = section.and_then(|s| s.get_ref().iter().find(|(k, _)| k.get_ref() == e.key).map(|(k, _)| k.span()));
        match at {
            Some(span) => {
                let d = Diagnostic::at(cx.path, cx.src, span, e.message);
                cx.diags.push(d);
            }
            None => {
                let d = Diagnostic::file(cx.path, e.message);
                cx.diags.push(d);
            }
        }
    }
}

fn column(cx: &mut Ctx, c: &RawColumn, input_index: usize, mode: Mode, privacy: &Privacy) -> Option<ColumnPlan> {
    let global_l = privacy.l;
    let errors_before = cx.diags.0.len();
    let role = match ROLES.iter().find(|(n, _)| n == c.role.get_ref()) {
        Some((_, r)) => Some(*r),
        None => {
            let hint = suggest(c.role.get_ref(), ROLES.iter().map(|(n, _)| *n));
            cx.push_hint(&c.role, format!("unknown role; roles are {}", names(ROLES.iter().map(|(n, _)| *n))), hint);
            None
        }
    };
    let action_name = c.action.get_ref().as_str();
    if !action_names().any(|a| a == action_name) {
        let hint = suggest(action_name, action_names());
        cx.push_hint(&c.action, format!("unknown action; actions are {}", names(action_names())), hint);
        return None;
    }
    check_options(cx, c, action_name);
    let ty_given = c.ty.as_ref().map(|t| match VALUE_TYPES.iter().find(|(n, _)| n == t.get_ref()) {
        Some((_, ty)) => Some(*ty),
        None => {
            let hint = suggest(t.get_ref(), VALUE_TYPES.iter().map(|(n, _)| *n));
            cx.push_hint(t, "unknown type; types are string, integer, date, boolean", hint);
            None
        }
    });
    let nfkc = match c.normalize.as_ref().map(|n| n.get_ref().as_str()) {
        None | Some("nfkc") => true,
        Some("none") => false,
        Some(_) => {
            let v = c.normalize.as_ref().unwrap();
            cx.push_hint(v, "normalize must be `nfkc` or `none`", suggest(v.get_ref(), ["nfkc", "none"]));
            true
        }
    };

    let mut ty = ty_given.flatten().unwrap_or(ValueType::String);
    let action = match action_name {
        "drop" => Action::Drop,
        "keep" => Action::Keep,
        "pseudonymize" => {
            let length = int_in(cx, &c.length, 16, 64, "length").unwrap_or(32) as u32;
            Action::Pseudonymize { length }
        }
        "scrub" => {
            let names_from = c.names_from.as_ref().map(|n| n.get_ref().clone()).unwrap_or_default();
            let dictionary = c.dictionary.as_ref().map(|d| scrub_dictionary(cx, d)).unwrap_or_default();
            Action::Scrub { names_from, dictionary }
        }
        "mask" => {
            let mask_char = mask_char(cx, c);
            Action::Mask {
                keep_first: int_in(cx, &c.keep_first, 0, 64, "keep_first").unwrap_or(0) as u32,
                keep_last: int_in(cx, &c.keep_last, 0, 64, "keep_last").unwrap_or(0) as u32,
                mask_char,
                preserve: c.preserve.as_ref().map(|p| p.get_ref().clone()).unwrap_or_default(),
            }
        }
        "top_bottom_code" => {
            if ty_given.flatten().is_some_and(|t| t != ValueType::Integer) {
                cx.push(c.ty.as_ref().unwrap(), "top_bottom_code works on integer columns");
            }
            ty = ValueType::Integer;
            top_bottom(cx, c, mode, privacy)
        }
        "suppress_rare" => {
            let Some(m) = int_in(cx, &c.min_count, 2, 1_000_000, "min_count") else {
                cx.push(&c.action, "suppress_rare needs `min_count`");
                return None;
            };
            Action::SuppressRare { min_count: m as u32 }
        }
        "generalize" => {
            let hierarchy = hierarchy(cx, c)?;
            if ty_given.is_none() {
                ty = hierarchy.levels().default_type();
            }
            let max = hierarchy.max_level();
            let (level, max_level) = levels(cx, c, max, privacy);
            check_hierarchy_type(cx, c, &hierarchy, ty);
            Action::Generalize { hierarchy, level, max_level }
        }
        other => match perturb::action(cx, c, other, ty_given.flatten(), privacy) {
            Some((action, t)) => {
                ty = t;
                action
            }
            None => {
                cx.push(&c.action, "this action is listed but not validated (an internal error)");
                return None;
            }
        },
    };

    let role = role?;
    check_role_action(cx, c, role, &action, mode);
    if action == Action::Drop
        && let Some(o) = &c.output
    {
        cx.push(o, "a dropped column has no output name");
    }
    if cx.diags.0.len() > errors_before {
        return None;
    }
    let output = (action != Action::Drop)
        .then(|| c.output.as_ref().map_or_else(|| c.name.get_ref().clone(), |o| o.get_ref().clone()));
    if output.as_deref() == Some("") {
        cx.push(c.output.as_ref().unwrap(), "output name must not be empty");
        return None;
    }
    let (l, l_reason) = l_of(cx, c, role, global_l)?;
    let weight = match &c.weight {
        Some(w) if !(*w.get_ref() > 0.0 && w.get_ref().is_finite()) => {
            cx.push(w, "weight must be a positive number");
            return None;
        }
        Some(w) => *w.get_ref(),
        None => 1.0,
    };
    let special_care = special_care(cx, c)?;
    let values = declared_values(cx, c, ty)?;
    Some(ColumnPlan {
        name: c.name.get_ref().clone(),
        input_index,
        role,
        ty,
        nfkc,
        action,
        output,
        description: c.description.clone(),
        l_reason,
        l,
        weight,
        line: crate::diag::line_col(cx.src, c.name.span().start).0,
        extra_inputs: Vec::new(),
        special_care,
        values,
    })
}

/// Most values a column's `values` may list.
const MAX_VALUES: usize = 100_000;

/// A text column's `values`, if given: one or more, none empty, none with spaces at its ends,
/// none twice, at most [`MAX_VALUES`]; `None` after a diagnostic.
fn declared_values(cx: &mut Ctx, c: &RawColumn, ty: ValueType) -> Option<Option<Vec<String>>> {
    let Some(v) = &c.values else { return Some(None) };
    if !allowed_options(c.action.get_ref()).contains(&"values") {
        return Some(None); // refused as an option of the action already
    }
    let values = v.get_ref();
    let problem = if ty != ValueType::String {
        Some("`values` applies to text columns (type = \"string\")".to_string())
    } else if values.is_empty() || values.len() > MAX_VALUES {
        Some(format!("`values` must list between 1 and {MAX_VALUES} values"))
    } else if let Some(i) = values.iter().position(|x| x.is_empty() || x.trim() != x) {
        Some(format!("value {} of `values` is empty or has spaces at its ends", i + 1))
    } else {
        let mut seen = std::collections::HashSet::new();
        values.iter().position(|x| !seen.insert(x)).map(|i| format!("value {} of `values` is listed twice", i + 1))
    };
    match problem {
        Some(p) => {
            cx.push(v, p);
            None
        }
        None => Some(Some(values.clone())),
    }
}

/// A column's `special_care` (要配慮 or 条例要配慮), if given; `None` after a diagnostic.
fn special_care(cx: &mut Ctx, c: &RawColumn) -> Option<Option<crate::plan::SpecialCare>> {
    Some(match &c.special_care {
        None => None,
        Some(v) => match crate::plan::SpecialCare::parse(v.get_ref()) {
            Some(k) => Some(k),
            None => {
                cx.push_hint(
                    v,
                    "unknown `special_care`",
                    Some("use \"要配慮\" (要配慮個人情報) or \"条例要配慮\" (条例要配慮個人情報)".into()),
                );
                return None;
            }
        },
    })
}

/// Each option given applies to the action (`l` and `l_reason` to sensitive columns).
fn check_options(cx: &mut Ctx, c: &RawColumn, action_name: &str) {
    for (key, span) in present_options(c) {
        if key == "l" || key == "l_reason" {
            if c.role.get_ref() != "sensitive" {
                cx.diags.push(Diagnostic::at(
                    cx.path,
                    cx.src,
                    span,
                    format!("option `{key}` applies only to sensitive columns"),
                ));
            }
            continue;
        }
        if !allowed_options(action_name).contains(&key) {
            let d = Diagnostic::at(
                cx.path,
                cx.src,
                span,
                format!("option `{key}` does not apply to action `{action_name}`"),
            );
            cx.diags.push(d);
        }
    }
}

/// A whole-number option, with a diagnostic when it is outside `lo..=hi`.
fn int_in(cx: &mut Ctx, s: &Option<Spanned<i64>>, lo: i64, hi: i64, what: &str) -> Option<i64> {
    let s = s.as_ref()?;
    if !(lo..=hi).contains(s.get_ref()) {
        cx.push(s, format!("{what} must be between {lo} and {hi}"));
    }
    Some(*s.get_ref())
}

/// A scrub rule's dictionary file (beside the rules, UTF-8, one word per line, 64 MiB at
/// most): its words in normal form; the file is kept for the rules' digest.
fn scrub_dictionary(cx: &mut Ctx, d: &Spanned<String>) -> Vec<String> {
    let base = cx.path.parent().unwrap_or(Path::new("."));
    let file = base.join(d.get_ref());
    match std::fs::metadata(&file) {
        Ok(m) if m.is_file() && m.len() <= 64 << 20 => {
            match std::fs::read(&file).ok().and_then(|b| String::from_utf8(b).ok()) {
                Some(text) => {
                    let words = text.lines().map(|l| tokumei_jp_nfkc(l.trim())).filter(|l| !l.is_empty()).collect();
                    cx.files.push((d.get_ref().clone(), text.into_bytes()));
                    words
                }
                None => {
                    cx.push(d, "the dictionary must be a UTF-8 text file, one word per line");
                    Vec::new()
                }
            }
        }
        _ => {
            cx.push(d, format!("dictionary file {} is missing or not a regular file (64 MiB at most)", file.display()));
            Vec::new()
        }
    }
}

/// A mask's character: one character, `*` by default.
fn mask_char(cx: &mut Ctx, c: &RawColumn) -> char {
    match c.mask_char.as_ref() {
        None => '*',
        Some(m) => {
            let mut chars = m.get_ref().chars();
            match (chars.next(), chars.next()) {
                (Some(ch), None) => ch,
                _ => {
                    cx.push(m, "mask_char must be one character");
                    '*'
                }
            }
        }
    }
}

/// A top/bottom code: `top`, `bottom` or both, in order; `"auto"` only where k can be
/// computed (anonymized, k of 2 or more).
fn top_bottom(cx: &mut Ctx, c: &RawColumn, mode: Mode, privacy: &Privacy) -> Action {
    let top = c.top.as_ref().and_then(|t| cap(cx, t, "top"));
    let bottom = c.bottom.as_ref().and_then(|b| cap(cx, b, "bottom"));
    if c.top.is_none() && c.bottom.is_none() {
        cx.push(&c.action, "top_bottom_code needs `top`, `bottom` or both");
    }
    if let (Some(Cap::At(t)), Some(Cap::At(b))) = (top, bottom)
        && b > t
    {
        cx.push(c.bottom.as_ref().unwrap(), "bottom must not be above top");
    }
    // "auto" keeps k people at each end: without k there is nothing to compute.
    for (given, s) in [(top, &c.top), (bottom, &c.bottom)] {
        if let (Some(Cap::Auto), Some(s)) = (given, s)
            && (mode != Mode::Anonymized || privacy.k < 2)
        {
            cx.push_hint(
                s,
                "\"auto\" computes the code so that at least k people share each end, and needs an anonymized release with [privacy] k of 2 or more",
                Some("give the code as a whole number".into()),
            );
        }
    }
    Action::TopBottomCode { top, bottom }
}

/// A generalisation's levels (lowest, highest) within the hierarchy's `max`: one fixed
/// `level`, or `min_level`/`max_level` for the optimal search.
fn levels(cx: &mut Ctx, c: &RawColumn, max: u32, privacy: &Privacy) -> (u32, u32) {
    let bounded = |cx: &mut Ctx, l: &Spanned<i64>, what: &str| {
        if !(0..=max as i64).contains(l.get_ref()) {
            cx.push(l, format!("{what} must be between 0 and {max} for this hierarchy"));
        }
        (*l.get_ref()).clamp(0, max as i64) as u32
    };
    if privacy.search {
        match (&c.level, &c.min_level, &c.max_level) {
            (Some(l), None, None) => {
                let l = bounded(cx, l, "level");
                (l, l)
            }
            (Some(l), _, _) => {
                cx.push(l, "give either `level` (fixed) or `min_level`/`max_level` (searched), not both");
                (0, 0)
            }
            (None, lo, hi) => {
                let default_lo = u32::from(c.role.get_ref() == "direct_identifier");
                let lo = lo.as_ref().map_or(default_lo, |l| bounded(cx, l, "min_level"));
                let hi = hi.as_ref().map_or(max, |l| bounded(cx, l, "max_level"));
                if lo > hi {
                    match &c.max_level {
                        Some(m) => cx.push(m, "max_level must not be below min_level"),
                        None => cx.push(&c.action, "max_level must not be below min_level"),
                    }
                }
                (lo, hi.max(lo))
            }
        }
    } else {
        for s in [&c.min_level, &c.max_level].into_iter().flatten() {
            cx.push(s, "min_level and max_level apply only with [privacy] search = \"optimal\"");
        }
        match &c.level {
            None => {
                cx.push(&c.action, format!("generalize needs `level` (0..={max})"));
                (0, 0)
            }
            Some(l) => {
                let l = bounded(cx, l, "level");
                (l, l)
            }
        }
    }
}

/// A sensitive column's `l` (its own, or `[privacy] l`) and the reason it waives or lowers
/// `[privacy] l` (a reason for nothing is refused); `None` after a diagnostic.
fn l_of(cx: &mut Ctx, c: &RawColumn, role: Role, global_l: Option<u32>) -> Option<(Option<u32>, Option<String>)> {
    let l = match (&c.l, role) {
        (Some(l), Role::Sensitive) => {
            if !(1..=1000).contains(l.get_ref()) {
                cx.push(l, "l must be between 1 and 1000");
                return None;
            }
            Some(*l.get_ref() as u32).filter(|l| *l > 1)
        }
        (_, Role::Sensitive) => global_l,
        _ => None,
    };
    // A column that waives or lowers `[privacy] l` says why; a reason for nothing is refused.
    let lowered = role == Role::Sensitive && c.l.is_some() && global_l.is_some_and(|g| l.unwrap_or(1) < g);
    let l_reason = c.l_reason.as_ref().map(|r| r.get_ref().trim().to_string());
    match (lowered, &c.l_reason) {
        (true, None) => {
            let at = c.l.as_ref().expect("lowered needs l");
            cx.push_hint(
                at,
                format!(
                    "`l = {}` waives or lowers `[privacy] l = {}` for this sensitive column without saying why",
                    at.get_ref(),
                    global_l.unwrap_or(0)
                ),
                Some("add `l_reason = \"...\"` (shown in the report), or remove `l`".into()),
            );
            return None;
        }
        (true, Some(r)) if r.get_ref().trim().is_empty() => {
            cx.push(r, "`l_reason` is empty");
            return None;
        }
        (false, Some(r)) if role == Role::Sensitive => {
            cx.push(r, "`l_reason` applies only where the column's `l` is lower than `[privacy] l`");
            return None;
        }
        _ => {}
    }
    Some((l, l_reason))
}

/// NFKC for dictionary words (the rules crate has no Japanese dependency; full-width ASCII
/// letters and digits are folded, which is what matters for matching in free text).
fn tokumei_jp_nfkc(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            c => c,
        })
        .collect()
}

fn hierarchy(cx: &mut Ctx, c: &RawColumn) -> Option<Hierarchy> {
    let bands = |cx: &mut Ctx| -> Option<Vec<i64>> {
        let b = c.bands.as_ref()?;
        let v = b.get_ref().clone();
        let ok = !v.is_empty() && v.iter().all(|w| *w > 0) && v.windows(2).all(|w| w[1] > w[0] && w[1] % w[0] == 0);
        if !ok {
            cx.push(b, "bands must be positive widths, each a multiple of the one before");
        }
        Some(v)
    };
    match (&c.hierarchy, &c.hierarchy_file) {
        (Some(_), Some(f)) => {
            cx.push(f, "give either `hierarchy` or `hierarchy_file`, not both");
            None
        }
        (None, None) => {
            cx.push(&c.action, "generalize needs `hierarchy` (built-in) or `hierarchy_file`");
            None
        }
        (None, Some(f)) => {
            let sep = match c.separator.as_ref() {
                None => ';',
                Some(s) => {
                    let mut ch = s.get_ref().chars();
                    match (ch.next(), ch.next()) {
                        (Some(x), None) => x,
                        _ => {
                            cx.push(s, "separator must be one character");
                            return None;
                        }
                    }
                }
            };
            let base = cx.path.parent().unwrap_or(Path::new("."));
            let file = base.join(f.get_ref());
            let text = match std::fs::read(&file).map(String::from_utf8) {
                Ok(Ok(t)) => t,
                Ok(Err(_)) => {
                    cx.push(f, format!("hierarchy file {} is not UTF-8 text", file.display()));
                    return None;
                }
                Err(e) => {
                    cx.push(f, format!("cannot read hierarchy file {}: {e}", file.display()));
                    return None;
                }
            };
            cx.files.push((f.get_ref().clone(), text.clone().into_bytes()));
            match CustomHierarchy::parse(&file, &text, sep) {
                Ok(h) => Some(Hierarchy::Custom(h)),
                Err((line, msg)) => {
                    cx.push(f, format!("hierarchy file {} line {line} {msg}", file.display()));
                    None
                }
            }
        }
        (Some(h), None) => {
            if let Some(s) = &c.separator {
                cx.push(s, "separator applies only to hierarchy_file");
            }
            let name = h.get_ref().as_str();
            let not_here = |cx: &mut Ctx, key: &str, span: Option<std::ops::Range<usize>>| {
                if let Some(span) = span {
                    let d = Diagnostic::at(
                        cx.path,
                        cx.src,
                        span,
                        format!("option `{key}` does not apply to hierarchy `{name}`"),
                    );
                    cx.diags.push(d);
                }
            };
            match name {
                "age" => {
                    not_here(cx, "bottom", c.bottom.as_ref().map(|s| s.span()));
                    let bands = bands(cx).unwrap_or_else(|| vec![5, 10, 20]);
                    let top = match &c.top {
                        Some(t) => match whole(cx, t, "top") {
                            Some(n) if !(1..=150).contains(&n) => {
                                cx.push(t, "age top code must be between 1 and 150");
                                90
                            }
                            Some(n) => n,
                            None => 90,
                        },
                        None => 90,
                    };
                    let bands = bands.into_iter().map(|b| b.clamp(1, 150) as u32).collect();
                    Some(Hierarchy::Age(Age { bands, top: top as u32 }))
                }
                "date" | "postal_code" | "municipality_code" | "address" | "address_town" => {
                    for (k, s) in [
                        ("bands", c.bands.as_ref().map(|s| s.span())),
                        ("top", c.top.as_ref().map(|s| s.span())),
                        ("bottom", c.bottom.as_ref().map(|s| s.span())),
                    ] {
                        not_here(cx, k, s);
                    }
                    Hierarchy::plain(name)
                }
                "bands" => {
                    let Some(widths) = bands(cx) else {
                        cx.push(h, "hierarchy `bands` needs `bands = [width, ...]`");
                        return None;
                    };
                    let top = c.top.as_ref().and_then(|t| whole(cx, t, "top"));
                    let bottom = c.bottom.as_ref().and_then(|b| whole(cx, b, "bottom"));
                    Some(Hierarchy::Bands(Bands { widths, top, bottom }))
                }
                other => {
                    let known = crate::hierarchy::BUILT_IN.iter().copied();
                    let hint = suggest(other, known.clone());
                    cx.push_hint(h, format!("unknown hierarchy; built-in hierarchies are {}", names(known)), hint);
                    None
                }
            }
        }
    }
}

/// A top or bottom code of `top_bottom_code`: a whole number or `"auto"`.
fn cap(cx: &mut Ctx, s: &Spanned<RawCap>, what: &str) -> Option<Cap> {
    match s.get_ref() {
        RawCap::Int(n) => Some(Cap::At(*n)),
        RawCap::Word(w) if w.trim().eq_ignore_ascii_case("auto") => Some(Cap::Auto),
        RawCap::Word(_) => {
            cx.push(s, format!("{what} must be a whole number or \"auto\""));
            None
        }
    }
}

/// A top or bottom code of a hierarchy (age, bands): a whole number only.
fn whole(cx: &mut Ctx, s: &Spanned<RawCap>, what: &str) -> Option<i64> {
    match s.get_ref() {
        RawCap::Int(n) => Some(*n),
        RawCap::Word(_) => {
            cx.push_hint(
                s,
                format!("{what} of a hierarchy must be a whole number"),
                Some(
                    "`\"auto\"` is for action = \"top_bottom_code\"; a failed standard 4 names the value to give here"
                        .into(),
                ),
            );
            None
        }
    }
}

fn check_hierarchy_type(cx: &mut Ctx, c: &RawColumn, h: &Hierarchy, ty: ValueType) {
    let ok = h.levels().accepts(ty);
    if !ok {
        let at = c.ty.as_ref().map(|t| t.span()).unwrap_or(c.action.span());
        let d = Diagnostic::at(
            cx.path,
            cx.src,
            at,
            format!("hierarchy `{}` cannot take values of type {}", h.name(), ty.as_str()),
        );
        cx.diags.push(d);
    }
}

fn check_role_action(cx: &mut Ctx, c: &RawColumn, role: Role, action: &Action, mode: Mode) {
    let name = action.name();
    let ok: bool;
    let why: &str;
    match role {
        Role::Financial => {
            ok = *action == Action::Drop;
            why = "descriptions whose misuse may cause financial damage (card numbers, bank accounts and logins; 規則31条3号) must be deleted: use `drop`";
        }
        Role::IdentificationCode => {
            // Pseudonymised data for internal use may carry a person's identification code as
            // a keyed code whose managed key is kept apart (規則31条2号: replacement by a method
            // with no regularity that restores it); an anonymised release never carries one.
            ok = match mode {
                Mode::Pseudonymized => matches!(action, Action::Drop | Action::Pseudonymize { .. }),
                Mode::Anonymized => *action == Action::Drop,
            };
            why = match mode {
                Mode::Pseudonymized => {
                    "identification codes (個人識別符号) must be deleted or replaced by a keyed code of the managed key (processing standard 2): use `drop` or `pseudonymize`"
                }
                Mode::Anonymized => {
                    "identification codes (個人識別符号) must be deleted entirely in an anonymised release (processing standard 2): use `drop` (a keyed code of the identification code is for pseudonymised internal data only)"
                }
            };
        }
        Role::LinkingCode => {
            ok = matches!(action, Action::Drop | Action::Pseudonymize { .. });
            why = "linking codes must be deleted or replaced by codes that cannot link back (processing standard 3): use `drop` or `pseudonymize`";
        }
        Role::DirectIdentifier => {
            ok = match action {
                Action::Drop | Action::Mask { .. } | Action::Scrub { .. } => true,
                Action::Generalize { level, .. } => *level > 0,
                _ => false,
            };
            why = "identifying descriptions must be deleted in whole or in part (processing standard 1): use `drop`, `mask`, `scrub` (free text) or `generalize` at a level above 0";
        }
        Role::QuasiIdentifier | Role::Sensitive | Role::Insensitive => {
            ok = !matches!(action, Action::Pseudonymize { .. });
            why = "`pseudonymize` is for linking codes; declare the column's role as `linking_code`";
        }
    }
    if !ok {
        cx.push_hint(
            &c.action,
            format!("action `{name}` is not allowed for role `{}` in {mode} mode", role.as_str()),
            Some(why.into()),
        );
    }
    if let Action::Mask { keep_first, keep_last, .. } = action
        && role == Role::DirectIdentifier
        && keep_first + keep_last > 4
    {
        cx.push(&c.action, "masking a direct identifier may leave at most 4 characters visible");
    }
}

fn names<'a>(it: impl Iterator<Item = &'a str>) -> String {
    it.map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Vec<String> {
        ["宛名番号", "個人番号", "生年月日", "性別", "要介護度"].iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_types_a_rule_file_reads_its_columns_as() {
        let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../rules/resident_registry.toml"));
        let text = std::fs::read_to_string(path).unwrap();
        let types = column_types(path, &text).unwrap();
        let ty = |n: &str| types.iter().find(|(c, _)| c == n).map(|(_, t)| *t);
        assert_eq!(ty("生年月日"), Some(ValueType::Date), "an age hierarchy reads dates");
        assert_eq!(ty("性別"), Some(ValueType::String));
        assert!(column_types(path, "version = 1\n").is_err());
        assert!(ValueType::Date.check("不明").is_err());
        assert!(ValueType::Date.check("令和元年5月1日").is_ok() && ValueType::Date.check("  ").is_ok());
        assert!(ValueType::Integer.check("１，２３４").is_ok() && ValueType::Integer.check("約10").is_err());
        assert!(ValueType::Boolean.check("有").is_ok() && ValueType::Boolean.check("不明").is_err());
        assert!(ValueType::String.check("不明").is_ok());
    }

    const GOOD: &str = r#"
version = 1
dataset = "t"
mode = "anonymized"
subject = "宛名番号"
[privacy]
k = 5
l = 2
max_suppression = 0.05
[[column]]
name = "宛名番号"
role = "linking_code"
action = "pseudonymize"
output = "id"
[[column]]
name = "個人番号"
role = "identification_code"
action = "drop"
[[column]]
name = "生年月日"
role = "quasi_identifier"
action = "generalize"
hierarchy = "age"
level = 1
output = "年齢階級"
[[column]]
name = "性別"
role = "quasi_identifier"
action = "keep"
[[column]]
name = "要介護度"
role = "sensitive"
action = "keep"
"#;

    #[test]
    fn good_rules_validate() {
        let p = validate_rules(Path::new("r.toml"), GOOD, &header()).unwrap();
        assert_eq!(p.columns.len(), 5);
        assert_eq!(p.quasi_identifiers().len(), 2);
        assert_eq!(p.columns[2].output.as_deref(), Some("年齢階級"));
        assert_eq!(p.columns[2].ty, ValueType::Date);
        assert_eq!(p.privacy.k, 5);
    }

    fn errors(src: &str) -> String {
        validate_rules(Path::new("r.toml"), src, &header()).unwrap_err().to_string()
    }

    /// A kept text column's `values`: listed in the plan as written; refused (at the list) when
    /// empty, with an empty value, a value with spaces at its ends or a value twice, or on a
    /// column that is not text; refused on an action whose released values are not the input's.
    #[test]
    fn declared_values_are_a_list_of_distinct_texts() {
        let with = |values: &str| {
            GOOD.replace(
                "name = \"性別\"\nrole = \"quasi_identifier\"\naction = \"keep\"\n",
                &format!("name = \"性別\"\nrole = \"quasi_identifier\"\naction = \"keep\"\nvalues = {values}\n"),
            )
        };
        let p = validate_rules(Path::new("r.toml"), &with("[\"男\", \"女\"]"), &header()).unwrap();
        assert_eq!(p.columns[3].values.as_deref(), Some(&["男".to_string(), "女".to_string()][..]));
        assert_eq!(p.columns[4].values, None);
        for (values, message) in [
            ("[]", "`values` must list between 1 and 100000 values"),
            ("[\"男\", \"\"]", "value 2 of `values` is empty or has spaces at its ends"),
            ("[\" 男\"]", "value 1 of `values` is empty or has spaces at its ends"),
            ("[\"男\", \"女\", \"男\"]", "value 3 of `values` is listed twice"),
        ] {
            let e = errors(&with(values));
            assert!(e.contains("r.toml:30:10: ") && e.contains(message), "{values}: {e}");
        }
        let e = errors(
            &with("[\"1\"]").replace("action = \"keep\"\nvalues", "action = \"keep\"\ntype = \"integer\"\nvalues"),
        );
        assert!(e.contains("`values` applies to text columns (type = \"string\")"), "{e}");
        let e = errors(&with("[\"男\"]").replace("action = \"keep\"\nvalues", "action = \"mask\"\nvalues"));
        assert!(e.contains("option `values` does not apply to action `mask`"), "{e}");
        // On an action that takes no `values`, that is the one message about them.
        let on = "action = \"mask\"\ntype = \"integer\"\nvalues";
        let e = errors(&with("[\"1\"]").replace("action = \"keep\"\nvalues", on));
        assert!(e.contains("option `values` does not apply") && !e.contains("applies to text columns"), "{e}");
    }

    #[test]
    fn unknown_column_with_hint_and_line() {
        let e = errors(&GOOD.replace("name = \"性別\"", "name = \"性\""));
        assert!(e.contains("r.toml:27:8: column `性` is not in the input"), "{e}");
        assert!(e.contains("did you mean `性別`?"), "{e}");
        assert!(e.contains("input column `性別` is not covered by any rule"), "{e}");
    }

    #[test]
    fn unknown_key_is_an_error() {
        let e = errors(&GOOD.replace("level = 1", "levle = 1"));
        assert!(e.contains("r.toml:24:1"), "{e}");
        assert!(e.contains("levle"), "{e}");
    }

    #[test]
    fn unknown_action_suggests() {
        let e = errors(&GOOD.replace("action = \"generalize\"", "action = \"genralize\""));
        assert!(e.contains("unknown action") && e.contains("did you mean `generalize`?"), "{e}");
    }

    #[test]
    fn identification_code_must_be_dropped() {
        let src = GOOD.replace(
            "role = \"identification_code\"\naction = \"drop\"",
            "role = \"identification_code\"\naction = \"keep\"",
        );
        assert!(errors(&src).contains("processing standard 2"));
    }

    /// 規則31条2号 (pseudonymised data: identification codes deleted or replaced by a method with
    /// no regularity that restores them) and 規則62条2号 / 法116条1項 (anonymised data: deleted):
    /// a keyed code of a 個人識別符号 is allowed in pseudonymised internal data only.
    #[test]
    fn identification_codes_may_be_keyed_codes_in_pseudonymized_data_only_rule_31_2() {
        let coded = GOOD.replace(
            "role = \"identification_code\"\naction = \"drop\"",
            "role = \"identification_code\"\naction = \"pseudonymize\"",
        );
        let e = errors(&coded);
        assert!(e.contains("processing standard 2") && e.contains("anonymised release"), "{e}");
        let internal = coded.replace("mode = \"anonymized\"", "mode = \"pseudonymized\"");
        let plan = validate_rules(Path::new("r.toml"), &internal, &header()).unwrap();
        assert!(matches!(plan.columns[1].action, Action::Pseudonymize { .. }));
        // Kept as it is: refused in both modes.
        let kept = internal.replace(
            "role = \"identification_code\"\naction = \"pseudonymize\"",
            "role = \"identification_code\"\naction = \"keep\"",
        );
        assert!(errors(&kept).contains("keyed code of the managed key"), "{}", errors(&kept));
    }

    /// `top`/`bottom = "auto"` (processing standard 4, 規則62条4号): for top_bottom_code in an
    /// anonymized release with k >= 2; other words, and "auto" on a hierarchy, are refused.
    #[test]
    fn auto_top_and_bottom_codes_are_for_top_bottom_code_under_k() {
        let with = |action: &str| {
            GOOD.replace(
                "name = \"要介護度\"\nrole = \"sensitive\"\naction = \"keep\"",
                &format!("name = \"要介護度\"\nrole = \"insensitive\"\n{action}"),
            )
        };
        let plan = validate_rules(
            Path::new("r.toml"),
            &with("action = \"top_bottom_code\"\ntop = \"auto\"\nbottom = 0"),
            &header(),
        )
        .unwrap();
        assert_eq!(plan.columns[4].action, Action::TopBottomCode { top: Some(Cap::Auto), bottom: Some(Cap::At(0)) });
        assert!(plan.columns[4].is_global(), "counted over the release");
        let e = errors(&with("action = \"top_bottom_code\"\ntop = \"max\""));
        assert!(e.contains("top must be a whole number or \"auto\""), "{e}");
        let e =
            errors(&with("action = \"generalize\"\nhierarchy = \"bands\"\nbands = [10]\ntop = \"auto\"\nlevel = 1"));
        assert!(e.contains("top of a hierarchy must be a whole number"), "{e}");
        let e = errors(&with("action = \"top_bottom_code\"\ntop = \"auto\"").replace("k = 5", "k = 1"));
        assert!(e.contains("needs an anonymized release with [privacy] k of 2 or more"), "{e}");
    }

    #[test]
    fn options_must_fit_action() {
        let src = GOOD.replace(
            "role = \"quasi_identifier\"\naction = \"keep\"",
            "role = \"quasi_identifier\"\naction = \"keep\"\nlevel = 2",
        );
        assert!(errors(&src).contains("option `level` does not apply to action `keep`"));
    }

    #[test]
    fn level_out_of_range() {
        assert!(errors(&GOOD.replace("level = 1", "level = 9")).contains("level must be between 0 and 4"));
    }

    #[test]
    fn all_problems_reported() {
        let src = GOOD
            .replace("role = \"sensitive\"", "role = \"sensitiv\"")
            .replace("mode = \"anonymized\"", "mode = \"anon\"");
        let e = validate_rules(Path::new("r.toml"), &src, &header()).unwrap_err();
        assert!(e.0.len() >= 2, "{e}");
    }
}

#[cfg(test)]
mod fuzz {
    use super::*;
    use proptest::prelude::*;

    const BASE: &str = include_str!("../../../rules/resident_registry.toml");

    fn header() -> Vec<String> {
        [
            "宛名番号",
            "個人番号",
            "氏名",
            "氏名カナ",
            "生年月日",
            "性別",
            "郵便番号",
            "住所",
            "市区町村コード",
            "世帯番号",
            "続柄",
            "電話番号",
            "課税所得",
            "国保加入",
            "要介護度",
            "障害者手帳",
            "備考",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    #[test]
    fn shipped_rules_validate() {
        validate_rules(Path::new("resident_registry.toml"), BASE, &header()).unwrap();
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]
        /// Arbitrary text and mutations of the shipped rules give a plan or diagnostics, never a panic.
        #[test]
        fn validation_never_panics(noise in "\\PC{0,200}", at in 0usize..4000, cut in 0usize..200, insert in "[a-z_=\\[\\]\"0-9. \n-]{0,12}") {
            let _ = validate_rules(Path::new("r.toml"), &noise, &header());
            let mut chars: Vec<char> = BASE.chars().collect();
            let at = at.min(chars.len());
            let end = (at + cut).min(chars.len());
            chars.splice(at..end, insert.chars());
            let mutated: String = chars.into_iter().collect();
            if let Err(d) = validate_rules(Path::new("r.toml"), &mutated, &header()) {
                prop_assert!(!d.0.is_empty());
                let _ = d.to_string();
            }
        }
    }

    /// Every option on every action: accepted exactly where [`ACTION_DEFS`] says it applies.
    #[test]
    fn every_option_on_every_action_follows_the_table() {
        let sample = |o: &str| -> &'static str {
            match o {
                "hierarchy" => "\"age\"",
                "hierarchy_file" | "dictionary" => "\"missing.txt\"",
                "separator" | "preserve" => "\"-\"",
                "mask_char" => "\"*\"",
                "bands" => "[10]",
                "with" | "names_from" | "within" | "values" => "[\"b\"]",
                "aggregate" => "\"mean\"",
                "method" => "\"auto\"",
                "kind" => "\"additive\"",
                "together" => "\"g\"",
                "matrix_file" => "\"missing.csv\"",
                "invariant" => "true",
                "keep" => "0.5",
                "weight" => "1.0",
                "length" => "16",
                _ => "1",
            }
        };
        let base = |a: &str| -> &'static str {
            match a {
                "pseudonymize" => "role = \"linking_code\"\n",
                "generalize" => {
                    "role = \"quasi_identifier\"\ntype = \"integer\"\nhierarchy = \"bands\"\nbands = [10]\nlevel = 1\n"
                }
                "mask" => "role = \"direct_identifier\"\nkeep_first = 1\n",
                "top_bottom_code" => "role = \"insensitive\"\ntype = \"integer\"\ntop = 10\n",
                "suppress_rare" => "role = \"insensitive\"\nmin_count = 2\n",
                "scrub" => "role = \"direct_identifier\"\n",
                "noise" => "role = \"insensitive\"\nscale = 0.1\n",
                _ => "role = \"insensitive\"\n",
            }
        };
        let all: std::collections::BTreeSet<&str> =
            ACTION_DEFS.iter().flat_map(|a| a.options.iter().copied()).collect();
        for def in ACTION_DEFS {
            for opt in &all {
                let b = base(def.name);
                if b.contains(&format!("{opt} =")) {
                    continue;
                }
                let src = format!(
                    "version = 1\ndataset = \"t\"\nmode = \"pseudonymized\"\n[[column]]\nname = \"a\"\naction = \"{}\"\n{b}{opt} = {}\n[[column]]\nname = \"b\"\nrole = \"insensitive\"\naction = \"drop\"\n",
                    def.name,
                    sample(opt)
                );
                let e = match validate_rules(Path::new("r.toml"), &src, &["a".into(), "b".into()]) {
                    Ok(_) => String::new(),
                    Err(d) => d.to_string(),
                };
                let refused = e.contains(&format!("option `{opt}` does not apply to action `{}`", def.name));
                assert_eq!(refused, !def.options.contains(opt), "{opt} on {}: {e}", def.name);
            }
        }
    }
}
