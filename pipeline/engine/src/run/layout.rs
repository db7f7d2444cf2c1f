//! Stage 2: a transform per output column, and where its values go: a dictionary for the columns
//! counted over the whole dataset, the spill for the others; what free-text scrubbing and the
//! residual scan need; and output names checked.

use super::prepare::Prepared;
use crate::error::EngineError;
use crate::ingest::Source;
use crate::keys::Key;
use crate::privacy::Dictionary;
use crate::transform::{self, ColumnTransform, Context};
use arrow::datatypes::{DataType, Field};
use std::sync::Arc;
use tokumei_jp::Date;
use tokumei_rules::{Action, Job, Plan, Role};

/// Where a column's values go.
pub(super) enum Slot {
    /// Dictionary `i` (counted over the whole dataset).
    Global(usize),
    /// Spill column `i`.
    Local(usize),
}

/// An output column: its plan column, input, transform and slot.
pub(super) struct OutColumn {
    pub plan: usize,
    pub input: usize,
    /// Further inputs coded together with `input` (a composite pseudonym).
    pub extra: Vec<usize>,
    /// Whether the rule normalises values (NFKC): the parts of a composite value are normalised
    /// one by one before they are joined.
    pub nfkc: bool,
    pub transform: Box<dyn ColumnTransform>,
    pub slot: Slot,
}

/// The columns laid out, with what the later stages carry along.
pub(super) struct Layout {
    pub job: Job,
    pub plan: Plan,
    pub key: Option<Arc<Key>>,
    pub reference_date: Date,
    pub release_id: String,
    pub source: Option<Box<dyn Source>>,
    pub columns: Vec<OutColumn>,
    pub dicts: Vec<Dictionary>,
    pub spill_fields: Vec<Field>,
    /// Input columns of the identifier roles (the residual scan and scrubbing use their values).
    pub identifier_inputs: Vec<usize>,
    /// Input columns whose values are person names: the residual scan looks for them in every
    /// released text, the scrubber removes those of its `names_from`.
    pub name_inputs: Vec<NameInput>,
    /// Input columns whose numbers the residual scan looks for, each with its plan column.
    pub number_inputs: Vec<(usize, u32)>,
    /// Output columns whose released text the residual scan reads (index in `columns`).
    pub scanned: Vec<usize>,
    /// The kinds of identifier values besides names whose keys pass 1 makes ([`scan_kinds`]).
    pub kinds: crate::residual::Kinds,
    /// The dictionaries of scanned kept text whose values are not listed, left out of `kinds`:
    /// pass 1 reads the input again with every kind if one of their values needs another.
    pub speculated: Vec<usize>,
    /// Dictionary words to scrub.
    pub dictionary: Vec<String>,
    pub scrubbing: bool,
    /// Spill column holding each row's identifier values, when scrubbing.
    pub row_ids_slot: Option<usize>,
    /// Output columns whose text is scanned for the row's identifiers.
    pub checked: Vec<usize>,
    /// The column that names a person, by which the privacy models count people.
    pub person: Option<PersonColumn>,
    /// Without a declared subject: the columns that may name a person (input, plan column),
    /// checked to repeat no value.
    pub implied: Vec<(usize, usize)>,
    /// A query job's identifier input values (hashed), which no released value may equal.
    pub identifier_values: Option<Arc<crate::ingest::lineage::IdentifierValues>>,
    /// Output columns compared with `identifier_values` (index in `columns`), each with the
    /// identifier columns it is not compared with (those of its own name, which its rule covers).
    pub released: Vec<(usize, u64)>,
    /// The perturbations, set up before any row is read.
    pub perturb: crate::perturb::Stage,
}

/// An input column of person names.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NameInput {
    pub input: usize,
    /// Which part of a split name it holds (`None`: full names).
    pub part: Option<tokumei_jp::names::NameColumn>,
    /// Whether it holds the names in kana (a split kana surname pairs with a kana given name).
    pub kana: bool,
    /// Whether the scrubber removes its names (all of them unless a `names_from` says which).
    pub scrub: bool,
    /// Whether its values are names only if most of them look like names (a direct identifier
    /// whose header does not say name: 世帯主, 主治医, 緊急連絡先).
    pub detect: bool,
}

/// The input columns of person names: the direct identifiers named like names (氏名, 名前,
/// カナ, name) or like one part of a split name (氏, 姓, 名), every scrub rule's `names_from`
/// column, and every other direct identifier (kept or dropped) as a column whose values count
/// as names when most of them look like names (世帯主, 主治医, 家族: whatever its header says).
pub(crate) fn name_inputs(plan: &Plan) -> Vec<NameInput> {
    use crate::ingest::lineage::{PERSON_NAME_NAMES, name_has};
    use tokumei_jp::names::{NameColumn, is_split_name_column};
    let named_from: Vec<&String> = plan
        .columns
        .iter()
        .flat_map(|c| match &c.action {
            Action::Scrub { names_from, .. } => names_from.iter().collect::<Vec<_>>(),
            _ => Vec::new(),
        })
        .collect();
    // Unless a scrub rule names its columns, the scrubber takes every name column.
    let scrub_all =
        plan.columns.iter().any(|c| matches!(&c.action, Action::Scrub { names_from, .. } if names_from.is_empty()));
    let mut out: Vec<NameInput> = Vec::new();
    for c in plan.columns.iter().filter(|c| !matches!(c.action, Action::Scrub { .. })) {
        let split = is_split_name_column(&c.name);
        let default = c.role == Role::DirectIdentifier && (split || name_has(&c.name, PERSON_NAME_NAMES).is_some());
        let listed = named_from.contains(&&c.name);
        let detect = c.role == Role::DirectIdentifier && !default && !listed;
        if !default && !listed && !detect {
            continue;
        }
        let n = tokumei_jp::nfkc(&c.name).to_lowercase();
        let kana = ["カナ", "かな", "フリガナ", "ふりがな", "kana"].iter().any(|w| n.contains(w));
        let part =
            split.then(|| match ["氏", "姓", "苗字", "名字", "セイ", "ミョウジ"].iter().any(|w| n.contains(w))
            {
                true => NameColumn::Surnames,
                false => NameColumn::GivenNames,
            });
        if !out.iter().any(|o| o.input == c.input_index) {
            out.push(NameInput { input: c.input_index, part, kana, scrub: listed || scrub_all, detect });
        }
    }
    out
}

/// The input column that names a person: the rules' `subject`.
pub(super) struct PersonColumn {
    /// Input columns (more than one for a composite identifier), joined in this order.
    pub inputs: Vec<usize>,
    /// Plan column.
    pub plan: usize,
    /// When the column is released as a keyed code: its output column (index in the layout's
    /// columns), whose own input and normalisation tell the rows one code links.
    pub code: Option<usize>,
}

/// The column that names a person: the declared subject (the composite code it is part of,
/// if it is a part of one).
fn person_column(plan: &Plan, columns: &[OutColumn]) -> Option<PersonColumn> {
    let subject = plan.subject.as_ref()?;
    let i = plan.columns.iter().position(|c| &c.name == subject)?;
    // A part of a composite code (`with`) names no one alone: the composite does.
    let input = plan.columns[i].input_index;
    let i = plan.columns.iter().position(|c| c.extra_inputs.contains(&input)).unwrap_or(i);
    let c = &plan.columns[i];
    let inputs = std::iter::once(c.input_index).chain(c.extra_inputs.iter().copied()).collect();
    let code = match c.action {
        Action::Pseudonymize { .. } => columns.iter().position(|o| o.plan == i),
        _ => None,
    };
    Some(PersonColumn { inputs, plan: i, code })
}

/// Without a declared subject, the columns that may name a person: every identification code
/// or linking code that the release carries as a code or that is named like a person's number
/// (個人番号, 宛名番号, 被保険者番号, ...), but not a household's (世帯), a family's or an
/// insurer's number or symbol (shared by several people), nor a part of a composite code.
fn implied_columns(plan: &Plan) -> Vec<(usize, usize)> {
    if plan.subject.is_some() {
        return Vec::new();
    }
    let shared = |name: &str| {
        ["世帯", "household", "family", "家族", "記号"].iter().any(|w| name.contains(w))
            || (name.contains("保険者") && !name.contains("被保険者"))
    };
    let parts: Vec<usize> = plan.columns.iter().flat_map(|c| c.extra_inputs.iter().copied()).collect();
    plan.columns
        .iter()
        .enumerate()
        .filter(|(_, c)| matches!(c.role, Role::IdentificationCode | Role::LinkingCode))
        .filter(|(_, c)| c.extra_inputs.is_empty() && !parts.contains(&c.input_index))
        .filter(|(_, c)| {
            let name = c.name.to_lowercase();
            !shared(&name)
                && (matches!(c.action, Action::Pseudonymize { .. })
                    || crate::ingest::lineage::name_has(&name, crate::ingest::lineage::PERSON_NUMBER_NAMES).is_some())
        })
        .map(|(i, c)| (c.input_index, i))
        .collect()
}

/// A transform per output column and where its values go: a dictionary (with each code's first
/// raw value when the search or a value tree needs it), or a spill field.
fn out_columns(plan: &Plan, cx: &Context) -> (Vec<OutColumn>, Vec<Dictionary>, Vec<Field>) {
    let mut columns: Vec<OutColumn> = Vec::new();
    let mut dicts: Vec<Dictionary> = Vec::new();
    let mut spill_fields: Vec<Field> = Vec::new();
    for (i, c) in plan.columns.iter().enumerate() {
        let Some(t) = transform::build(c, cx) else {
            continue;
        };
        let slot = if c.is_global() {
            let searched = plan.privacy.search
                && matches!(c.action, Action::Generalize { level, max_level, .. } if max_level > level);
            let tree_needed = c.role == Role::Sensitive && matches!(c.action, Action::Generalize { .. });
            dicts.push(if searched || tree_needed {
                Dictionary::with_representatives()
            } else {
                Dictionary::default()
            });
            Slot::Global(dicts.len() - 1)
        } else {
            // A code of hex digits is spilled as its bytes, half its text's size.
            let name = c.output.clone().unwrap_or_default();
            spill_fields.push(match t.hex_digits() {
                Some(digits) => Field::new(name, DataType::FixedSizeBinary(digits.div_ceil(2) as i32), true)
                    .with_metadata([(crate::output::HEX_DIGITS.to_string(), digits.to_string())].into()),
                None => Field::new(name, t.output_type(), true),
            });
            Slot::Local(spill_fields.len() - 1)
        };
        columns.push(OutColumn {
            plan: i,
            input: c.input_index,
            extra: c.extra_inputs.clone(),
            nfkc: c.nfkc,
            transform: t,
            slot,
        });
    }
    (columns, dicts, spill_fields)
}

/// The numbers of the identifier columns that are not released as they are (a kept one
/// is judged by its own standard, and its values are in the release anyway), with their plan column.
pub(crate) fn number_inputs(plan: &Plan) -> Vec<(usize, u32)> {
    plan.columns
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            matches!(c.role, Role::DirectIdentifier | Role::IdentificationCode | Role::LinkingCode | Role::Financial)
                && !matches!(c.action, Action::Scrub { .. } | Action::Keep)
        })
        .flat_map(|(i, c)| {
            std::iter::once(c.input_index).chain(c.extra_inputs.iter().copied()).map(move |x| (x, i as u32))
        })
        .collect()
}

/// The columns the residual scan reads: every released text: kept, scrubbed, masked or
/// generalised text (labels of a text hierarchy included); not keyed codes, numbers or dates, nor
/// a column of an identifier role released as it is (judged by standards 1-3; its own values
/// would be found in it).
fn scanned_columns(plan: &Plan, columns: &[OutColumn]) -> Vec<usize> {
    columns
        .iter()
        .enumerate()
        .filter(|(_, c)| is_scanned(&plan.columns[c.plan], &c.transform.output_type()))
        .map(|(i, _)| i)
        .collect()
}

/// The kinds of identifier values besides names (numbers, addresses) pass 1 makes keys of, and
/// the dictionaries it guesses need none. A scanned column's released texts are known before a
/// row is read when it keeps text of declared `values` or releases labels of a hierarchy that
/// lists them at every level the column can take (the search's and local recoding's included);
/// the kinds are those these texts could hold ([`crate::residual::Kinds::needed`]). A dictionary
/// column of kept text without `values` is guessed to need none when the input can be read
/// `again` (pass 1 checks each new value and starts over with every kind if the guess fails);
/// any other scanned column (free text, masks, a column read row by row) needs every kind.
fn scan_kinds(
    plan: &Plan,
    columns: &[OutColumn],
    scanned: &[usize],
    again: bool,
) -> (crate::residual::Kinds, Vec<usize>) {
    let all = (crate::residual::Kinds::ALL, Vec::new());
    let (mut texts, mut speculated): (Vec<String>, Vec<usize>) = (Vec::new(), Vec::new());
    for &ci in scanned {
        let c = &columns[ci];
        match (&plan.columns[c.plan].action, c.transform.values(), &c.slot) {
            (Action::Keep | Action::SuppressRare { .. }, Some(values), _) => {
                texts.extend(values.texts().map(String::from))
            }
            (Action::Keep | Action::SuppressRare { .. }, None, Slot::Global(d)) if again => speculated.push(*d),
            (Action::Generalize { hierarchy, level, max_level }, _, _) => {
                for l in *level..=(*max_level).max(*level) {
                    match hierarchy.labels(l) {
                        Some(labels) => texts.extend(labels),
                        None => return all,
                    }
                }
            }
            _ => return all,
        }
    }
    match crate::residual::Kinds::needed(texts.iter().map(String::as_str)) {
        // Nothing left to guess.
        crate::residual::Kinds::ALL => all,
        kinds => (kinds, speculated),
    }
}

/// Whether the residual scan reads a column's released text ([`scanned_columns`]), given the
/// type its transform outputs.
pub(crate) fn is_scanned(p: &tokumei_rules::ColumnPlan, output: &DataType) -> bool {
    let identifier =
        matches!(p.role, Role::DirectIdentifier | Role::IdentificationCode | Role::LinkingCode | Role::Financial);
    *output == DataType::Utf8
        && p.ty == tokumei_rules::ValueType::String
        && !matches!(p.action, Action::Pseudonymize { .. })
        && (!identifier || matches!(p.action, Action::Scrub { .. } | Action::Generalize { .. }))
}

/// Text outputs whose cells are checked for the row's identifier values (residual scan):
/// kept or masked text outside the k-anonymity key and the sensitive columns (those fall
/// under k-anonymity and l-diversity), wherever its values go.
fn checked_columns(plan: &Plan, columns: &[OutColumn]) -> Vec<usize> {
    columns.iter().enumerate().filter(|(_, c)| is_checked(&plan.columns[c.plan])).map(|(i, _)| i).collect()
}

/// The input columns of the identifier values a row's released text is checked against (and
/// that travel with a text to scrub): direct identifiers, identification and linking codes,
/// financial columns, but the text scrubbed itself.
pub(crate) fn identifier_inputs(plan: &Plan) -> Vec<usize> {
    plan.columns
        .iter()
        .filter(|c| {
            matches!(c.role, Role::DirectIdentifier | Role::IdentificationCode | Role::LinkingCode | Role::Financial)
                && !matches!(c.action, Action::Scrub { .. })
        })
        .map(|c| c.input_index)
        .collect()
}

/// Whether a released column's cells are checked for the row's identifier values
/// ([`checked_columns`]).
pub(crate) fn is_checked(p: &tokumei_rules::ColumnPlan) -> bool {
    !p.is_privacy_key()
        && p.role != Role::Sensitive
        && matches!(p.action, Action::Keep | Action::Mask { .. })
        && p.ty == tokumei_rules::ValueType::String
        && !matches!(p.role, Role::DirectIdentifier | Role::IdentificationCode | Role::LinkingCode)
}

/// Bound columns (`<output>_min`, `<output>_max`) must not collide with another output.
fn bound_names(plan: &Plan, columns: &[OutColumn]) -> Result<(), EngineError> {
    let mut names: std::collections::HashSet<String> = plan.output_columns().filter_map(|c| c.output.clone()).collect();
    for c in columns {
        if c.transform.generalizer().and_then(|g| g.bound_kind()).is_some() {
            let out = plan.columns[c.plan].output.clone().unwrap_or_default();
            for bound in [format!("{out}_min"), format!("{out}_max")] {
                if !names.insert(bound.clone()) {
                    return Err(EngineError::Config(format!(
                        "{}:{}: output column `{bound}` (a bound of `{out}`, written so the release sorts and filters) collides with another output column\n  hint: rename one of them with `output = \"...\"`",
                        plan.rules_path.display(),
                        plan.columns[c.plan].line
                    )));
                }
            }
        }
    }
    Ok(())
}

/// Lay out the prepared job's columns.
pub(super) fn layout(prepared: Prepared) -> Result<Layout, EngineError> {
    let Prepared { job, source, plan, key, reference_date, release_id, identifier_values, row_requests, .. } = prepared;
    let cx = Context { reference_date, key: key.clone() };
    let (columns, dicts, mut spill_fields) = out_columns(&plan, &cx);

    // Free text to scrub: the names of the whole file are collected in pass 1 (from each scrub
    // column's `names_from`, by default the direct identifiers named like 氏名/名前/カナ/name),
    // and each row's identifier values travel with the text in the spill.
    let identifier_inputs = identifier_inputs(&plan);
    let mut dictionary: Vec<String> = Vec::new();
    let scrubbing = plan.columns.iter().any(|c| matches!(c.action, Action::Scrub { .. }));
    for c in &plan.columns {
        if let Action::Scrub { dictionary: words, .. } = &c.action {
            dictionary.extend(words.iter().cloned());
        }
    }
    let name_inputs = name_inputs(&plan);
    let number_inputs = number_inputs(&plan);
    let scanned = scanned_columns(&plan, &columns);
    // One regular input file read as it is can be read again (not a pipe, not a query's result,
    // nor rows left out by residents' requests, whose tallies would count twice).
    let again = job.query.is_none()
        && row_requests.is_none()
        && matches!(job.inputs.as_slice(), [input] if std::fs::metadata(&input.path).is_ok_and(|m| m.is_file()));
    let (kinds, speculated) = scan_kinds(&plan, &columns, &scanned, again);
    let row_ids_slot = scrubbing.then(|| {
        spill_fields.push(Field::new("\u{0}row_ids", DataType::Utf8, true));
        spill_fields.len() - 1
    });
    let checked = checked_columns(&plan, &columns);

    // A query job's released values, whatever the query did, are compared with every value of
    // the inputs' identifier columns: the columns that release input values as they are or in
    // part (kept, masked, rare values kept, generalised at level 0). Pseudonyms are keyed codes,
    // labels of higher levels are the hierarchy's, and scrubbed text has its own residual scan.
    let identifier_values = identifier_values.filter(|v| !v.is_empty());
    let released: Vec<(usize, u64)> = match &identifier_values {
        Some(values) => columns
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                matches!(
                    plan.columns[c.plan].action,
                    Action::Keep
                        | Action::Mask { .. }
                        | Action::SuppressRare { .. }
                        | Action::Generalize { level: 0, .. }
                )
            })
            .map(|(i, c)| (i, values.exempt(&plan.columns[c.plan].name)))
            .collect(),
        None => Vec::new(),
    };
    // Spilled identifier values are read back whole when a released column is compared row by
    // row; otherwise only those of the released dictionaries' values, after pass 1.
    if let Some(values) = &identifier_values
        && released.iter().any(|(ci, _)| matches!(columns[*ci].slot, Slot::Local(_)))
    {
        values.restrict(None).map_err(|e| crate::error::output_err(&std::env::temp_dir(), e))?;
    }

    bound_names(&plan, &columns)?;
    let globals: Vec<(usize, usize)> = columns
        .iter()
        .filter_map(|c| match c.slot {
            Slot::Global(d) => Some((c.plan, d)),
            Slot::Local(_) => None,
        })
        .collect();
    let perturb = crate::perturb::Stage::new(&plan, &globals)?;
    let person = person_column(&plan, &columns);
    let implied = implied_columns(&plan);
    Ok(Layout {
        person,
        implied,
        job,
        plan,
        key,
        reference_date,
        release_id,
        source: Some(source),
        columns,
        dicts,
        spill_fields,
        identifier_inputs,
        name_inputs,
        number_inputs,
        scanned,
        kinds,
        speculated,
        dictionary,
        scrubbing,
        row_ids_slot,
        checked,
        identifier_values,
        released,
        perturb,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kinds of keys pass 1 makes and the dictionaries it guesses about, by what the scanned
    /// columns can release: short listed texts need none; a listed text of ten characters or a
    /// run of six digits needs that kind; hierarchy labels of the levels a column can take
    /// (the search's included) are listed texts, a level whose labels depend on the values is
    /// not; a kept category without `values` is guessed only when the input can be read again;
    /// anything that is not listed needs every kind.
    #[test]
    fn the_kinds_pass_one_makes_follow_what_can_be_released() {
        let header: Vec<String> = ["住所", "性別", "区分", "メモ"].iter().map(|s| s.to_string()).collect();
        let rules = |address: &str, sex: &str, kind: &str, memo: &str, search: bool| {
            let search = if search { "search = \"optimal\"\n" } else { "" };
            format!(
                "version = 1\ndataset = \"t\"\nmode = \"anonymized\"\n[privacy]\nk = 2\nmax_suppression = 0.05\n{search}[[column]]\nname = \"住所\"\nrole = \"direct_identifier\"\naction = \"generalize\"\nhierarchy = \"address\"\n{address}[[column]]\nname = \"性別\"\nrole = \"quasi_identifier\"\naction = \"keep\"\n{sex}[[column]]\nname = \"区分\"\nrole = \"sensitive\"\naction = \"keep\"\n{kind}[[column]]\nname = \"メモ\"\nrole = \"insensitive\"\n{memo}"
            )
        };
        let kinds = |src: &str, again: bool| {
            let plan = tokumei_rules::validate_rules(std::path::Path::new("r.toml"), src, &header).unwrap();
            let cx = Context { reference_date: Date::new(2026, 4, 1).unwrap(), key: None };
            let (columns, _, _) = out_columns(&plan, &cx);
            let scanned = scanned_columns(&plan, &columns);
            let (kinds, speculated) = scan_kinds(&plan, &columns, &scanned, again);
            (kinds.numbers, kinds.values, speculated.len())
        };
        let (sex, kind) = ("values = [\"男\", \"女\"]\n", "values = [\"なし\", \"要介護1\"]\n");
        let (region, drop) = ("level = 3\n", "action = \"drop\"\n");
        assert_eq!(kinds(&rules(region, sex, kind, drop, false), false), (false, false, 0));
        let long = "values = [\"なし\", \"特別養護老人ホーム入所中\"]\n";
        assert_eq!(kinds(&rules(region, sex, long, drop, false), false), (false, true, 0));
        let digits = "values = [\"なし\", \"区分123456\"]\n";
        assert_eq!(kinds(&rules(region, sex, digits, drop, false), false), (true, false, 0));
        // Prefectures and regions are listed; 市区町村 (level 1) is not, nor the whole address.
        assert_eq!(kinds(&rules("min_level = 2\n", sex, kind, drop, true), false), (false, false, 0));
        assert_eq!(kinds(&rules("min_level = 1\n", sex, kind, drop, true), false), (true, true, 0));
        assert_eq!(kinds(&rules("level = 1\n", sex, kind, drop, false), true), (true, true, 0));
        // Kept categories without values: guessed about when the input can be read again.
        assert_eq!(kinds(&rules(region, "", "", drop, false), true), (false, false, 2));
        assert_eq!(kinds(&rules(region, "", kind, drop, false), false), (true, true, 0));
        // Kept text is a dictionary column, guessed about too (a note's first long value ends
        // the guess); masked or scrubbed text, read row by row: every kind, nothing guessed.
        let keep = "action = \"keep\"\n";
        assert_eq!(kinds(&rules(region, sex, kind, keep, false), true), (false, false, 1));
        assert_eq!(kinds(&rules(region, sex, long, keep, false), true), (false, true, 1));
        // Listed texts that need every kind leave nothing to guess about.
        let both = "values = [\"なし\", \"区分123456の特別養護老人ホーム\"]\n";
        assert_eq!(kinds(&rules(region, sex, both, keep, false), true), (true, true, 0));
        for memo in ["action = \"mask\"\nkeep_first = 1\n", "action = \"scrub\"\n"] {
            assert_eq!(kinds(&rules(region, sex, kind, memo, false), true), (true, true, 0), "{memo}");
        }
    }
}
