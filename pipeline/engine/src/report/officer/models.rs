//! The privacy models and the generalisation search.

use super::pct;
use crate::render::{Block, Lang};
use crate::report::Report;
use crate::report::words::quality_ja;

/// Every privacy model with its required and achieved values.
pub(super) fn models(rp: &Report, lang: Lang, b: &mut Vec<Block>) {
    let t = |ja: &str, en: &str| lang.pick(ja, en).to_string();
    let ja = lang == Lang::Ja;
    let counted_people = rp.people.subject.is_some();
    let p = &rp.people;
    b.push(Block::Heading(t("プライバシーモデル", "Privacy models")));
    let mut models: Vec<String> = Vec::new();
    // No k-anonymity line where no k is required (k = 1: pseudonymised data).
    for m in rp.models.iter().filter(|m| m.model != "k_anonymity" || rp.k > 1) {
        let detail = match m.model.as_str() {
            "k_anonymity" => Some(if ja {
                format!("準識別子：{}", rp.quasi_identifiers.join("、"))
            } else {
                format!("over {}", rp.quasi_identifiers.join(", "))
            }),
            "t_closeness" => rp.t_closeness.iter().find(|t| Some(&t.column) == m.column.as_ref()).map(|t| {
                if ja {
                    match t.distance.as_str() {
                        "ordered" => "順序距離",
                        "hierarchical" => "階層距離",
                        _ => "等距離",
                    }
                    .to_string()
                } else {
                    format!("{} distance", t.distance)
                }
            }),
            _ => None,
        };
        let suppressed = (m.classes_suppressed > 0).then(|| match (ja, counted_people) {
            (true, true) => {
                format!("、これにより秘匿したクラス {}（{}人）", m.classes_suppressed, m.rows_suppressed)
            }
            (true, false) => {
                format!("、これにより秘匿したクラス {}（{}件）", m.classes_suppressed, m.rows_suppressed)
            }
            (false, true) => {
                format!("; {} classes ({} people) suppressed for it", m.classes_suppressed, m.rows_suppressed)
            }
            (false, false) => {
                format!("; {} classes ({} records) suppressed for it", m.classes_suppressed, m.rows_suppressed)
            }
        });
        models.push(if ja {
            format!(
                "{}{}：{} {}、達成 {}{}",
                m.name_ja,
                detail.map(|d| format!("（{d}）")).unwrap_or_default(),
                if m.safer == "higher" { "要求" } else { "上限" },
                m.required,
                m.achieved_text(),
                suppressed.unwrap_or_default()
            )
        } else {
            format!(
                "{}{}: {} {}, achieved {}{}",
                m.name,
                detail.map(|d| format!(" ({d})")).unwrap_or_default(),
                if m.safer == "higher" { "required" } else { "at most" },
                m.required,
                m.achieved_text(),
                suppressed.unwrap_or_default()
            )
        });
    }
    for l in rp.l_diversity.iter().filter(|l| !rp.models.iter().any(|m| m.column.as_ref() == Some(&l.column))) {
        models.push(if ja {
            format!("{}：要配慮の列、モデルの要求なし（達成 l={}）", l.column, l.achieved)
        } else {
            format!("{}: sensitive, no model required (achieved distinct l={})", l.column, l.achieved)
        });
    }
    models.push(if ja {
        format!(
            "秘匿の上限：{}、使用 {}",
            pct((rp.max_suppression * 10000.0) as u64, 10000),
            if counted_people {
                format!("{}（人数）", pct(p.people_suppressed, p.people_in))
            } else {
                pct(rp.suppressed, rp.rows_in)
            }
        )
    } else {
        format!(
            "suppression limit: {}; used {}",
            pct((rp.max_suppression * 10000.0) as u64, 10000),
            if counted_people {
                format!("{} (of the people)", pct(p.people_suppressed, p.people_in))
            } else {
                pct(rp.suppressed, rp.rows_in)
            }
        )
    });
    b.push(Block::List(models));
}

/// The generalisation search and Mondrian local recoding.
pub(super) fn search(rp: &Report, lang: Lang, b: &mut Vec<Block>) {
    let t = |ja: &str, en: &str| lang.pick(ja, en).to_string();
    let ja = lang == Lang::Ja;
    if let Some(sr) = &rp.search {
        b.push(Block::Sub(t("一般化レベルの探索", "Generalisation search")));
        b.push(Block::Para(if ja {
            format!(
                "{}：{}を最小化（{:.6}、下界 {:.6}）。格子の{}ノード中{}を評価、{}を枝刈り、{:.1}ミリ秒。",
                if sr.optimal { "最適解" } else { "最善努力（最適性は未証明）" },
                quality_ja(&sr.quality_model),
                sr.quality,
                sr.lower_bound,
                sr.nodes,
                sr.evaluated,
                sr.pruned,
                sr.ms
            )
        } else {
            format!(
                "{} search minimising {}: {:.6} (lower bound {:.6}); {} lattice nodes, {} evaluated, {} ruled out by bounds, {:.1} ms.",
                if sr.optimal { "Optimal" } else { "Best-effort (not proven optimal)" },
                sr.quality_model,
                sr.quality,
                sr.lower_bound,
                sr.nodes,
                sr.evaluated,
                sr.pruned,
                sr.ms
            )
        }));
        b.push(Block::Table {
            head: vec![t("列", "column"), t("選ばれたレベル", "chosen level")],
            rows: sr.levels.iter().map(|(c, l)| vec![c.clone(), l.to_string()]).collect(),
        });
        if let Some(m) = &sr.local_recoding {
            b.push(Block::Para(if ja {
                format!(
                    "{}：{}区画、最小 {}、秘匿 {}、{} {:.6}（全域最適 {:.6}）、{:.1}ミリ秒。",
                    if sr.applied == "local" {
                        "出力に適用：モンドリアン法による局所再符号化"
                    } else {
                        "比較のみ：モンドリアン法による局所再符号化"
                    },
                    m.partitions,
                    m.min_size,
                    m.suppressed,
                    quality_ja(&sr.quality_model),
                    m.quality,
                    sr.quality,
                    m.ms
                )
            } else {
                format!(
                    "{}: {} partitions, smallest {}, {} suppressed, {} {:.6} (global optimum {:.6}), {:.1} ms.",
                    if sr.applied == "local" {
                        "Applied to the output: Mondrian local recoding"
                    } else {
                        "For comparison only: Mondrian local recoding"
                    },
                    m.partitions,
                    m.min_size,
                    m.suppressed,
                    sr.quality_model,
                    m.quality,
                    sr.quality,
                    m.ms
                )
            }));
        }
    }
}
