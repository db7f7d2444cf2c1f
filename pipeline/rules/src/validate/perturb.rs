//! The options of the perturbative actions (`microaggregate`, `noise`, `swap`, `pram`), and what
//! they require of each other across columns (`together`, `within`).

use super::{Ctx, names, number};
use crate::diag::{Diagnostic, suggest};
use crate::perturb::*;
use crate::plan::{Action, ColumnPlan, Privacy, ValueType};
use crate::raw::{RawCap, RawColumn, RawRules};
use std::path::Path;
use toml::Spanned;

/// One of `choices`, written as a string option, or a diagnostic with a "did you mean".
fn word<'c>(cx: &mut Ctx, s: &Spanned<String>, key: &str, choices: &[&'c str]) -> Option<&'c str> {
    let found = choices.iter().find(|c| **c == s.get_ref().as_str()).copied();
    if found.is_none() {
        let hint = suggest(s.get_ref(), choices.iter().copied());
        cx.push_hint(s, format!("{key} must be {}", names(choices.iter().copied())), hint);
    }
    found
}

/// A number option within `lo..=hi` (`lo` excluded when `open`), or a diagnostic.
fn bounded(cx: &mut Ctx, s: &Spanned<toml::Value>, key: &str, (lo, hi): (f64, f64), open: bool) -> Option<f64> {
    let x = number(cx, key, s)?;
    let ok = if open { x > lo && x <= hi } else { x >= lo && x <= hi };
    if !ok {
        let from = if open { "above" } else { "at least" };
        cx.push(s, format!("{key} must be {from} {lo} and at most {hi}"));
        return None;
    }
    Some(x)
}

/// The value type a numeric perturbation works on: `integer` (the default) or `date`.
fn numeric_type(cx: &mut Ctx, c: &RawColumn, action: &str, given: Option<ValueType>) -> ValueType {
    match given {
        None => ValueType::Integer,
        Some(t @ (ValueType::Integer | ValueType::Date)) => t,
        Some(t) => {
            let at = c.ty.as_ref().expect("a type given is written");
            cx.push_hint(
                at,
                format!("{action} works on numbers and dates, not on {} columns", t.as_str()),
                Some("use `type = \"integer\"` or `type = \"date\"`; for categories use `pram`".into()),
            );
            ValueType::Integer
        }
    }
}

/// The action of a perturbative rule, with its value type; `None` when `action` is not one.
pub(super) fn action(
    cx: &mut Ctx,
    c: &RawColumn,
    action: &str,
    given: Option<ValueType>,
    privacy: &Privacy,
) -> Option<(Action, ValueType)> {
    Some(match action {
        "microaggregate" => {
            let ty = numeric_type(cx, c, action, given);
            (Action::Perturb(Perturbation::Microaggregate(microaggregate(cx, c, privacy))), ty)
        }
        "noise" => {
            let ty = numeric_type(cx, c, action, given);
            (Action::Perturb(Perturbation::Noise(noise(cx, c, ty))), ty)
        }
        "swap" => {
            // Numbers and dates by value, categories in natural order (false before true).
            let ty = given.unwrap_or(ValueType::Integer);
            let window = c.window.as_ref().and_then(|w| bounded(cx, w, "window", (0.0, 50.0), true)).unwrap_or(5.0);
            let within = c.within.as_ref().map(|w| w.get_ref().clone()).unwrap_or_default();
            let (top, bottom) = swap_codes(cx, c, ty);
            (Action::Perturb(Perturbation::Swap(Swap { window, within, top, bottom })), ty)
        }
        "pram" => {
            let ty = given.unwrap_or(ValueType::String);
            if ty == ValueType::Date {
                let at = c.ty.as_ref().expect("a type given is written");
                cx.push(at, "pram randomises categories (string, boolean or integer codes), not dates");
            }
            (Action::Perturb(Perturbation::Pram(pram(cx, c))), ty)
        }
        _ => return None,
    })
}

/// `microaggregate`'s options.
fn microaggregate(cx: &mut Ctx, c: &RawColumn, privacy: &Privacy) -> Microaggregation {
    let k = privacy.k;
    let default = if k >= 2 { k } else { 3 };
    let group_size = match &c.group_size {
        None => default,
        Some(g) => {
            let v = *g.get_ref();
            if !(2..=1_000_000).contains(&v) {
                cx.push(g, "group_size must be between 2 and 1000000");
            } else if c.role.get_ref() == "quasi_identifier" && v < i64::from(k) {
                cx.push_hint(
                    g,
                    format!("group_size {v} is below [privacy] k = {k} on a quasi-identifier"),
                    Some(format!("a quasi-identifier's groups must hold at least k records: use group_size >= {k}, or leave it out (default k)")),
                );
            }
            v.clamp(2, 1_000_000) as u32
        }
    };
    let aggregate = match &c.aggregate {
        None => Aggregate::Mean,
        Some(a) => match word(cx, a, "aggregate", &["mean", "median"]) {
            Some("median") => Aggregate::Median,
            _ => Aggregate::Mean,
        },
    };
    let together = together(cx, c);
    let method = match &c.method {
        None => MicroMethod::Auto,
        Some(m) => {
            if together.is_none() {
                cx.push_hint(
                    m,
                    "method applies only to joint microaggregation (`together`): one column is always grouped exactly by sorting",
                    Some("remove `method`, or give the columns to microaggregate jointly the same `together` name".into()),
                );
            }
            match word(cx, m, "method", &["auto", "mdav", "sort"]) {
                Some("mdav") => MicroMethod::Mdav,
                Some("sort") => MicroMethod::Sort,
                _ => MicroMethod::Auto,
            }
        }
    };
    Microaggregation { group_size, aggregate, together, method }
}

/// A `together` name (not empty).
fn together(cx: &mut Ctx, c: &RawColumn) -> Option<String> {
    let t = c.together.as_ref()?;
    if t.get_ref().trim().is_empty() {
        cx.push(t, "together must name the group of columns perturbed jointly");
        return None;
    }
    Some(t.get_ref().trim().to_string())
}

/// A bound of `noise`: a number, or a date for a date column (days since 1970-01-01).
fn bound(cx: &mut Ctx, s: &Spanned<toml::Value>, key: &str, ty: ValueType) -> Option<f64> {
    if ty != ValueType::Date {
        return number(cx, key, s);
    }
    let text = match s.get_ref() {
        toml::Value::String(t) => t.clone(),
        toml::Value::Datetime(d) => d.to_string(),
        other => {
            cx.push(s, format!("{key} of a date column must be a date, not {}", other.type_str()));
            return None;
        }
    };
    match tokumei_jp::parse_date(&text) {
        Some(d) => Some(f64::from(d.days_since_epoch())),
        None => {
            cx.push(s, format!("{key} of a date column must be a date (ISO, slash or 和暦)"));
            None
        }
    }
}

/// `swap`'s `top` and `bottom` codes (numbers and dates only), `bottom` not above `top`.
fn swap_codes(cx: &mut Ctx, c: &RawColumn, ty: ValueType) -> (Option<f64>, Option<f64>) {
    let mut code = |s: &Option<Spanned<RawCap>>, key: &str| -> Option<f64> {
        let s = s.as_ref()?;
        if !matches!(ty, ValueType::Integer | ValueType::Date) {
            cx.push(s, format!("{key} codes numbers and dates, not {} columns", ty.as_str()));
            return None;
        }
        let value = match s.get_ref() {
            RawCap::Int(n) => toml::Value::Integer(*n),
            RawCap::Word(w) if w.trim().eq_ignore_ascii_case("auto") => {
                cx.push_hint(
                    s,
                    format!("{key} of `swap` must be a whole number{}", if ty == ValueType::Date { " or a date" } else { "" }),
                    Some("`\"auto\"` is for action = \"top_bottom_code\"; a failed standard 4 names the value to give here".into()),
                );
                return None;
            }
            RawCap::Word(w) => toml::Value::String(w.clone()),
        };
        let at = Spanned::new(s.span(), value);
        bound(cx, &at, key, ty)
    };
    let top = code(&c.top, "top");
    let bottom = code(&c.bottom, "bottom");
    if let (Some(t), Some(b), Some(at)) = (top, bottom, &c.bottom)
        && b > t
    {
        cx.push(at, "bottom must not be above top");
    }
    (top, bottom)
}

/// `noise`'s options.
fn noise(cx: &mut Ctx, c: &RawColumn, ty: ValueType) -> Noise {
    let kind = match &c.kind {
        None => NoiseKind::Additive,
        Some(k) => match word(cx, k, "kind", &["additive", "multiplicative"]) {
            Some("multiplicative") => NoiseKind::Multiplicative,
            _ => NoiseKind::Additive,
        },
    };
    let scale = match &c.scale {
        None => {
            cx.push_hint(
                &c.action,
                "noise needs `scale`",
                Some("e.g. `scale = 0.1`: additive noise with a standard deviation of a tenth of the column's".into()),
            );
            0.1
        }
        Some(s) => bounded(cx, s, "scale", (0.0, 10.0), true).unwrap_or(0.1),
    };
    let together = together(cx, c);
    if let (NoiseKind::Multiplicative, ValueType::Date, Some(k)) = (kind, ty, &c.kind) {
        cx.push(
            k,
            "multiplicative noise scales a value by its size, which a date does not have: use additive noise on dates",
        );
    }
    if let (Some(_), NoiseKind::Multiplicative, Some(k)) = (&together, kind, &c.kind) {
        cx.push(k, "correlated noise (`together`) is additive: remove `kind` or `together`");
    }
    let round = match &c.round {
        None => 1.0,
        Some(r) => match number(cx, "round", r) {
            Some(x) if x > 0.0 && x.fract() == 0.0 && x <= 1e12 => x,
            Some(_) => {
                let what = if ty == ValueType::Date { "days" } else { "an integer column's values" };
                cx.push(r, format!("round must be a positive whole number ({what} are whole)"));
                1.0
            }
            None => 1.0,
        },
    };
    let min = c.min.as_ref().and_then(|m| bound(cx, m, "min", ty));
    let max = c.max.as_ref().and_then(|m| bound(cx, m, "max", ty));
    if let (Some(lo), Some(hi), Some(at)) = (min, max, &c.max)
        && hi < lo
    {
        cx.push(at, "max must not be below min");
    }
    Noise { kind, scale, together, round, min, max }
}

/// `pram`'s options.
fn pram(cx: &mut Ctx, c: &RawColumn) -> Pram {
    let keep = c.keep.as_ref().and_then(|k| {
        let x = number(cx, "keep", k)?;
        if !(x > 0.0 && x < 1.0) {
            cx.push(k, "keep must be above 0 and below 1");
            return None;
        }
        Some(x)
    });
    let matrix = c.matrix_file.as_ref().and_then(|f| matrix_file(cx, f));
    if let (Some(k), Some(_)) = (&c.keep, &c.matrix_file) {
        cx.push(k, "give either `keep` or `matrix_file`, not both");
    }
    let within = c.within.as_ref().map(|w| w.get_ref().clone()).unwrap_or_default();
    let invariant = c.invariant.as_ref().is_none_or(|i| *i.get_ref());
    if let (Some(w), Some(_), false) = (&c.within, &c.matrix_file, invariant) {
        let why = "`within` changes nothing when each record's category is drawn from its row of a stated matrix (invariant = false): remove it, or keep invariant = true (each stratum on its own distribution)";
        cx.push(w, why);
    }
    Pram { keep: keep.unwrap_or(0.8), invariant, within, matrix }
}

/// A stated transition matrix: `from,to,p` lines (a first line `from,to,p` is a header), UTF-8,
/// beside the rules; every `from` row sums to 1 and every category it names has its own row.
fn matrix_file(cx: &mut Ctx, f: &Spanned<String>) -> Option<Vec<Transition>> {
    let base = cx.path.parent().unwrap_or(Path::new("."));
    let file = base.join(f.get_ref());
    let text = match std::fs::metadata(&file) {
        Ok(m) if m.is_file() && m.len() <= 16 << 20 => {
            std::fs::read(&file).ok().and_then(|b| String::from_utf8(b).ok())
        }
        _ => None,
    };
    let Some(text) = text else {
        cx.push(f, format!("matrix file {} is missing, not a regular UTF-8 file, or over 16 MiB", file.display()));
        return None;
    };
    cx.files.push((f.get_ref().clone(), text.clone().into_bytes()));
    match parse_matrix(&text) {
        Ok(m) => Some(m),
        Err((line, why)) => {
            cx.push(f, format!("matrix file {} line {line}: {why}", file.display()));
            None
        }
    }
}

/// The transitions of a matrix file's text, or `(line, why)`; no cell's text is quoted.
pub(crate) fn parse_matrix(text: &str) -> Result<Vec<Transition>, (usize, String)> {
    let mut out: Vec<Transition> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || (i == 0 && line.replace(' ', "") == "from,to,p") {
            continue;
        }
        let parts: Vec<&str> = line.split(',').map(str::trim).collect();
        let [from, to, p] = parts[..] else {
            return Err((i + 1, "needs three fields: from,to,p".into()));
        };
        let p: f64 = p
            .parse()
            .ok()
            .filter(|p: &f64| (0.0..=1.0).contains(p))
            .ok_or((i + 1, "p must be a probability between 0 and 1".to_string()))?;
        if out.iter().any(|t| t.from == from && t.to == to) {
            return Err((i + 1, "repeats a (from, to) pair given above".into()));
        }
        out.push(Transition { from: from.into(), to: to.into(), p });
    }
    if out.is_empty() {
        return Err((1, "holds no transition".into()));
    }
    let mut froms: Vec<&str> = out.iter().map(|t| t.from.as_str()).collect();
    froms.sort_unstable();
    froms.dedup();
    for (n, from) in froms.iter().enumerate() {
        let sum: f64 = out.iter().filter(|t| t.from == *from).map(|t| t.p).sum();
        if (sum - 1.0).abs() > 1e-6 {
            return Err((
                0,
                format!(
                    "the probabilities of the {} category (in the order of the file's categories) sum to {sum:.6}, not 1",
                    ordinal(n + 1)
                ),
            ));
        }
    }
    if out.iter().any(|t| froms.binary_search(&t.to.as_str()).is_err()) {
        return Err((0, "a category is reached (`to`) that has no row of its own (`from`)".into()));
    }
    Ok(out)
}

fn ordinal(n: usize) -> String {
    match (n % 10, n % 100) {
        (_, 11..=13) => format!("{n}th"),
        (1, _) => format!("{n}st"),
        (2, _) => format!("{n}nd"),
        (3, _) => format!("{n}rd"),
        _ => format!("{n}th"),
    }
}

/// The most columns of one `together` name.
const MAX_TOGETHER: usize = 64;

/// What perturbative rules require of each other: the columns of one `together` name share
/// their action and settings; `within` names other released, counted columns that are not
/// themselves perturbed.
pub(super) fn joint(cx: &mut Ctx, raw: &RawRules, columns: &[ColumnPlan]) {
    let plan_of = |name: &str| columns.iter().find(|c| c.name == name);
    let mut first: Vec<(String, &ColumnPlan)> = Vec::new();
    let mut sizes: Vec<(String, usize)> = Vec::new();
    for rc in &raw.columns {
        let Some(col) = plan_of(rc.name.get_ref()) else { continue };
        let Some(p) = col.perturbation() else { continue };
        if let (Some(t), Some(at)) = (p.together(), &rc.together) {
            let size = match sizes.iter_mut().find(|(n, _)| n == t) {
                Some((_, s)) => {
                    *s += 1;
                    *s
                }
                None => {
                    sizes.push((t.to_string(), 1));
                    1
                }
            };
            if size == MAX_TOGETHER + 1 {
                cx.push(at, format!("at most {MAX_TOGETHER} columns may be perturbed together (`together = \"{t}\"`)"));
            }
            match first.iter().find(|(n, _)| n == t) {
                None => first.push((t.to_string(), col)),
                Some((_, other)) => {
                    if let Some(why) = differs(other, col) {
                        cx.push_hint(
                            at,
                            format!(
                                "columns `{}` and `{}` are perturbed together (`together = \"{t}\"`) but {why}",
                                other.name, col.name
                            ),
                            Some("give every column of one `together` name the same action and settings".into()),
                        );
                    }
                }
            }
        }
        let Some(w) = &rc.within else { continue };
        for other in w.get_ref() {
            let why = match plan_of(other) {
                None => Some("is not a column of these rules".to_string()),
                Some(o) if o.name == col.name => Some("is the column itself".into()),
                Some(o) if o.output.is_none() => Some("is dropped".into()),
                Some(o) if o.perturbation().is_some() => Some("is itself perturbed".into()),
                Some(o) if !o.is_global() => Some(
                    "is not counted over the dataset (use a kept, generalised, quasi-identifier or sensitive column)"
                        .into(),
                ),
                Some(_) => None,
            };
            if let Some(why) = why {
                let hint = suggest(other, columns.iter().map(|c| c.name.as_str()));
                let d = Diagnostic::at(cx.path, cx.src, w.span(), format!("`within` names `{other}`, which {why}"));
                cx.diags.push(Diagnostic { hint, ..d });
            }
        }
    }
    alone(cx, raw, &sizes);
}

/// A `together` name no other column gives: most likely a misspelt name on the other column, and
/// the column would be perturbed alone (a `method` silently unused): refused.
fn alone(cx: &mut Ctx, raw: &RawRules, sizes: &[(String, usize)]) {
    for rc in &raw.columns {
        let Some(at) = &rc.together else { continue };
        if sizes.iter().any(|(n, s)| n == at.get_ref() && *s == 1) {
            cx.push_hint(
                at,
                format!(
                    "`together = \"{}\"` names no other column: joint perturbation needs two or more",
                    at.get_ref()
                ),
                Some("give the columns to perturb jointly the same `together` name, or remove `together`".into()),
            );
        }
    }
}

/// How two columns of one `together` name differ, if they do.
fn differs(a: &ColumnPlan, b: &ColumnPlan) -> Option<String> {
    match (a.perturbation()?, b.perturbation()?) {
        (Perturbation::Microaggregate(x), Perturbation::Microaggregate(y)) => {
            let (x, y) =
                (Microaggregation { together: None, ..x.clone() }, Microaggregation { together: None, ..y.clone() });
            (x != y).then(|| "their group_size, aggregate or method differ".into())
        }
        (Perturbation::Noise(x), Perturbation::Noise(y)) => {
            (x.kind != y.kind || x.scale != y.scale).then(|| "their kind or scale differ".into())
        }
        (x, y) => Some(format!("one is `{}` and the other `{}`", x.name(), y.name())),
    }
}

#[cfg(test)]
mod tests {
    use crate::{Action, Perturbation, validate_rules};
    use std::path::Path;

    fn rules(a: &str, b: &str) -> String {
        format!(
            "version = 1\ndataset = \"t\"\nmode = \"anonymized\"\n[privacy]\nk = 4\nmax_suppression = 0.1\n[[column]]\nname = \"a\"\nrole = \"insensitive\"\n{a}\n[[column]]\nname = \"b\"\nrole = \"insensitive\"\n{b}\n[[column]]\nname = \"c\"\nrole = \"quasi_identifier\"\naction = \"keep\"\n"
        )
    }

    fn check(a: &str, b: &str) -> Result<crate::Plan, String> {
        let header = ["a".to_string(), "b".into(), "c".into()];
        validate_rules(Path::new("r.toml"), &rules(a, b), &header).map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_follow_k_and_the_column() {
        let p =
            check("action = \"microaggregate\"", "action = \"noise\"\nscale = 0.5\ntype = \"date\"\nmin = 1990-01-01")
                .unwrap();
        let Action::Perturb(Perturbation::Microaggregate(m)) = &p.columns[0].action else { panic!() };
        assert_eq!(m.group_size, 4, "k by default");
        assert_eq!(p.columns[0].ty, crate::ValueType::Integer);
        let Action::Perturb(Perturbation::Noise(n)) = &p.columns[1].action else { panic!() };
        assert_eq!(n.min, Some(f64::from(tokumei_jp::parse_date("1990-01-01").unwrap().days_since_epoch())));
        assert!(p.columns[0].is_global() && p.columns[1].is_global(), "perturbed columns are dictionary-encoded");
    }

    #[test]
    fn a_together_name_of_one_column_is_refused() {
        let e =
            check("action = \"microaggregate\"\ntogether = \"m\"\nmethod = \"mdav\"", "action = \"drop\"").unwrap_err();
        assert!(e.contains("`together = \"m\"` names no other column"), "{e}");
    }

    #[test]
    fn joint_columns_must_agree_and_within_must_name_a_counted_column() {
        let e = check(
            "action = \"microaggregate\"\ntogether = \"g\"",
            "action = \"microaggregate\"\ntogether = \"g\"\ngroup_size = 6",
        )
        .unwrap_err();
        assert!(e.contains("r.toml:16:") && e.contains("group_size, aggregate or method differ"), "{e}");
        let e =
            check("action = \"noise\"\nscale = 1\ntogether = \"g\"", "action = \"microaggregate\"\ntogether = \"g\"")
                .unwrap_err();
        assert!(e.contains("one is `noise` and the other `microaggregate`"), "{e}");
        let e =
            check("action = \"noise\"\nscale = 1\ntogether = \"g\"\nkind = \"multiplicative\"", "action = \"drop\"")
                .unwrap_err();
        assert!(e.contains("correlated noise (`together`) is additive"), "{e}");
        let e = check("action = \"noise\"\nscale = 1\ntype = \"date\"\nkind = \"multiplicative\"", "action = \"drop\"")
            .unwrap_err();
        assert!(e.contains("use additive noise on dates"), "{e}");
        assert!(check("action = \"swap\"\nwithin = [\"c\"]", "action = \"drop\"").is_ok());
        let p = check("action = \"swap\"\ntype = \"string\"", "action = \"drop\"").unwrap();
        assert_eq!(p.columns[0].ty, crate::ValueType::String, "categories swap by their order");
        let e = check("action = \"swap\"\nwithin = [\"b\"]", "action = \"drop\"").unwrap_err();
        assert!(e.contains("`within` names `b`, which is dropped"), "{e}");
        let e = check("action = \"swap\"\nwithin = [\"cc\"]", "action = \"drop\"").unwrap_err();
        assert!(e.contains("is not a column of these rules") && e.contains("did you mean `c`?"), "{e}");
        let e = check("action = \"pram\"\nwithin = [\"b\"]", "action = \"noise\"\nscale = 1").unwrap_err();
        assert!(e.contains("is itself perturbed"), "{e}");
        let e = check("action = \"microaggregate\"", "action = \"drop\"").map(|_| ()).and_then(|_| {
            let header = ["a".to_string(), "b".into(), "c".into()];
            let src = rules("action = \"keep\"", "action = \"drop\"").replace(
                "role = \"quasi_identifier\"\naction = \"keep\"",
                "role = \"quasi_identifier\"\naction = \"microaggregate\"\ngroup_size = 2",
            );
            validate_rules(Path::new("r.toml"), &src, &header).map(|_| ()).map_err(|e| e.to_string())
        });
        assert!(e.unwrap_err().contains("group_size 2 is below [privacy] k = 4 on a quasi-identifier"));
        let p = check(
            "action = \"swap\"\ntop = 90\nbottom = 5",
            "action = \"swap\"\ntype = \"date\"\ntop = \"2000-03-31\"",
        )
        .unwrap();
        let Action::Perturb(Perturbation::Swap(s)) = &p.columns[0].action else { panic!() };
        assert_eq!((s.top, s.bottom), (Some(90.0), Some(5.0)));
        let Action::Perturb(Perturbation::Swap(s)) = &p.columns[1].action else { panic!() };
        assert_eq!(s.top, Some(f64::from(tokumei_jp::parse_date("2000-03-31").unwrap().days_since_epoch())));
        let e = check("action = \"swap\"\ntop = 5\nbottom = 10", "action = \"drop\"").unwrap_err();
        assert!(e.contains("r.toml:12:") && e.contains("bottom must not be above top"), "{e}");
        let e = check("action = \"swap\"\ntop = \"auto\"", "action = \"drop\"").unwrap_err();
        assert!(e.contains("r.toml:11:") && e.contains("top of `swap` must be a whole number"), "{e}");
        let e = check("action = \"swap\"\ntype = \"string\"\ntop = 3", "action = \"drop\"").unwrap_err();
        assert!(e.contains("top codes numbers and dates, not string columns"), "{e}");
        let e = check("action = \"swap\"\ntype = \"date\"\nbottom = \"someday\"", "action = \"drop\"").unwrap_err();
        assert!(e.contains("bottom of a date column must be a date"), "{e}");
        let e = check("action = \"noise\"\nscale = 1\ntype = \"string\"", "action = \"drop\"").unwrap_err();
        assert!(e.contains("noise works on numbers and dates, not on string columns"), "{e}");
    }

    #[test]
    fn a_jointly_perturbed_column_is_not_reordered_by_the_fingerprint() {
        let header = ["a".to_string(), "b".into(), "c".into()];
        let joint = "action = \"microaggregate\"\ntogether = \"g\"";
        let src = rules(joint, joint).replace("[privacy]", "fingerprint = \"a\"\n[privacy]");
        let e = validate_rules(Path::new("r.toml"), &src, &header).map(|_| ()).unwrap_err().to_string();
        assert!(e.contains("`fingerprint` names `a`"), "{e}");
        let alone = rules("action = \"microaggregate\"", "action = \"drop\"")
            .replace("[privacy]", "fingerprint = \"a\"\n[privacy]");
        assert!(validate_rules(Path::new("r.toml"), &alone, &header).is_ok());
    }

    #[test]
    fn matrix_files_are_checked_line_by_line() {
        let ok = super::parse_matrix("from,to,p\nA,A,0.9\nA,B,0.1\nB,B,1\n").unwrap();
        assert_eq!(ok.len(), 3);
        assert_eq!(super::parse_matrix("A,A,0.9\nA,B,0.2\nB,B,1").unwrap_err().0, 0, "rows sum to 1");
        assert_eq!(super::parse_matrix("A,A,1\nA,B").unwrap_err().0, 2);
        assert_eq!(super::parse_matrix("A,A,1.5").unwrap_err().0, 1);
        assert!(super::parse_matrix("A,B,1").unwrap_err().1.contains("has no row of its own"));
        assert!(super::parse_matrix("A,A,0.5\nA,A,0.5").unwrap_err().1.contains("repeats"));
        let dir = std::env::temp_dir().join(format!("tokumei-rules-matrix-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("m.csv"), "A,A,1\n").unwrap();
        let header = ["a".to_string(), "b".into(), "c".into()];
        let src = rules(
            "action = \"pram\"\nmatrix_file = \"m.csv\"\ninvariant = false\nwithin = [\"c\"]",
            "action = \"drop\"",
        );
        let e = validate_rules(&dir.join("r.toml"), &src, &header).map(|_| ()).unwrap_err().to_string();
        assert!(e.contains("`within` changes nothing"), "{e}");
    }
}
