//! The processing standards of the domain brief, each as pass/fail with its evidence:
//! 法116条1項 / 規則62条 for anonymized data (five measures) and 規則31条 for
//! pseudonymized data.

use serde::Serialize;
use tokumei_rules::{Action, Hierarchy, Mode, Plan, Role, ValueType};

/// One processing standard's result.
#[derive(Debug, Clone, Serialize)]
pub struct Standard {
    /// Number in the regulation.
    pub id: u32,
    /// What it requires.
    pub title: String,
    /// Whether the release meets it.
    pub passed: bool,
    /// Why: one line per column or check.
    pub evidence: Vec<String>,
}

/// What the privacy stage achieved, as input to standard 5.
pub struct Achieved {
    /// Smallest class in the output.
    pub k: u64,
    /// Required and achieved l per sensitive output column.
    pub l: Vec<crate::report::LDiversity>,
    /// Rows suppressed.
    pub suppressed: u64,
    /// Rows out.
    pub rows_out: u64,
}

fn cols_with(plan: &Plan, role: Role) -> impl Iterator<Item = &tokumei_rules::ColumnPlan> {
    plan.columns.iter().filter(move |c| c.role == role)
}

fn line(c: &tokumei_rules::ColumnPlan) -> String {
    format!("{}: {}", c.name, c.action.describe())
}

/// Standards 1-3: identifying descriptions, identification codes, linking codes.
fn deletion_standards(plan: &Plan) -> Vec<Standard> {
    let s1: Vec<_> = cols_with(plan, Role::DirectIdentifier).collect();
    let s1_ok = s1.iter().all(|c| match &c.action {
        Action::Drop | Action::Mask { .. } => true,
        Action::Generalize { level, .. } => *level > 0,
        _ => false,
    });
    let s2: Vec<_> = cols_with(plan, Role::IdentificationCode).collect();
    let s3: Vec<_> = cols_with(plan, Role::LinkingCode).collect();
    let s3_ok = s3.iter().all(|c| matches!(c.action, Action::Drop | Action::Pseudonymize { .. }));
    let mut s3_evidence: Vec<String> = s3.iter().map(|c| line(c)).collect();
    if plan.mode == Mode::Anonymized && s3.iter().any(|c| matches!(c.action, Action::Pseudonymize { .. })) {
        s3_evidence.push("codes use a random key made for this release and never stored: they cannot link back".into());
    }
    let or_none = |v: Vec<String>| {
        if v.is_empty() { vec!["no column has this role".to_string()] } else { v }
    };
    vec![
        Standard {
            id: 1,
            title: "identifying descriptions deleted in whole or part (氏名, 住所, 電話番号...)".into(),
            passed: s1_ok,
            evidence: or_none(s1.iter().map(|c| line(c)).collect()),
        },
        Standard {
            id: 2,
            title: "all identification codes (個人識別符号) deleted".into(),
            passed: s2.iter().all(|c| c.action == Action::Drop),
            evidence: or_none(s2.iter().map(|c| line(c)).collect()),
        },
        Standard {
            id: 3,
            title: "linking codes deleted or replaced by codes that cannot link back".into(),
            passed: s3_ok,
            evidence: or_none(s3_evidence),
        },
    ]
}

/// Whether a numeric or date output column has its extremes coded, and how.
fn outlier_treatment(c: &tokumei_rules::ColumnPlan, k: u32) -> Option<Result<String, String>> {
    let numeric = matches!(c.ty, ValueType::Integer | ValueType::Date);
    if c.output.is_none() || !numeric {
        return None;
    }
    let covered_by_k = c.is_privacy_key() && k >= 2;
    Some(match &c.action {
        Action::TopBottomCode { .. } => Ok(line(c)),
        Action::Generalize { hierarchy: Hierarchy::Age { top, .. }, .. } => {
            Ok(format!("{}: top-coded at {top}+", c.name))
        }
        Action::Generalize {
            hierarchy: Hierarchy::Bands { top: Some(_), .. } | Hierarchy::Bands { bottom: Some(_), .. },
            ..
        } => Ok(line(c)),
        _ if covered_by_k => Ok(format!("{}: rare values fall in classes below k={k} and are suppressed", c.name)),
        _ => Err(format!("{}: numeric values are output with no top/bottom coding", c.name)),
    })
}

/// Evaluate the standards for the plan's mode.
pub fn evaluate(plan: &Plan, achieved: &Achieved) -> Vec<Standard> {
    let mut out = deletion_standards(plan);
    match plan.mode {
        Mode::Anonymized => {
            let mut ev4 = Vec::new();
            let mut ok4 = true;
            for c in &plan.columns {
                match outlier_treatment(c, plan.privacy.k) {
                    Some(Ok(s)) => ev4.push(s),
                    Some(Err(s)) => {
                        ok4 = false;
                        ev4.push(s);
                    }
                    None => {}
                }
            }
            ev4.push(format!(
                "every combination of quasi-identifiers is shared by at least {} records in the output",
                achieved.k
            ));
            out.push(Standard {
                id: 4,
                title: "outlier descriptions (特異な記述等) deleted or coded".into(),
                passed: ok4,
                evidence: ev4,
            });
            // An empty output holds no class at all: k-anonymity is not shown by it.
            let k_ok = achieved.rows_out > 0 && achieved.k >= plan.privacy.k as u64;
            let mut ev5 = vec![format!(
                "k-anonymity: required k={}, achieved k={} over {} quasi-identifiers",
                plan.privacy.k,
                achieved.k,
                plan.quasi_identifiers().len()
            )];
            let mut l_ok = true;
            for l in &achieved.l {
                match l.required {
                    Some(req) => {
                        l_ok &= achieved.rows_out > 0 && l.achieved >= req as u64;
                        ev5.push(format!(
                            "distinct l-diversity of {}: required l={req}, achieved l={}",
                            l.column, l.achieved
                        ));
                    }
                    None => ev5.push(format!(
                        "{}: sensitive, no l-diversity required by the rules (achieved l={})",
                        l.column, l.achieved
                    )),
                }
            }
            ev5.push(format!("record suppression: {} records removed", achieved.suppressed));
            for c in plan.output_columns() {
                if let Action::Generalize { .. } = c.action {
                    ev5.push(format!("generalisation: {}", line(c)));
                }
            }
            out.push(Standard {
                id: 5,
                title: "other measures suited to the data: generalisation, suppression, k-anonymity".into(),
                passed: k_ok && l_ok && plan.privacy.k >= 2,
                evidence: ev5,
            });
        }
        Mode::Pseudonymized => {
            out.truncate(2);
            out.push(Standard {
                id: 3,
                title: "descriptions whose misuse may cause financial damage deleted (規則31条3号)".into(),
                passed: true,
                evidence: vec![
                    "card and account numbers must be declared as identification codes and are deleted".into(),
                ],
            });
        }
    }
    out
}
