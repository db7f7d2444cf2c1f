//! Why rows and records were left out.

use crate::render::{Block, Lang};
use crate::report::Report;

/// Why rows were rejected and records suppressed, cells suppressed, text scrubbed.
pub(super) fn suppression(rp: &Report, lang: Lang, b: &mut Vec<Block>) {
    let t = |ja: &str, en: &str| lang.pick(ja, en).to_string();
    let ja = lang == Lang::Ja;
    if !rp.rejected_reasons.is_empty() {
        b.push(Block::Sub(t("除外した理由", "Why rows were rejected")));
        b.push(Block::Table {
            head: vec![t("列", "column"), t("理由", "reason"), t("件数", "rows")],
            rows: rp.rejected_reasons.iter().map(|(c, r, n)| vec![c.clone(), r.clone(), n.to_string()]).collect(),
        });
    }
    b.push(Block::Sub(t("秘匿した理由", "Why records were suppressed")));
    if rp.suppression_causes.is_empty() {
        b.push(Block::Para(t("秘匿したレコードはありません。", "No record was suppressed.")));
    } else {
        b.push(Block::Para(t(
            "各クラスは、最初に満たさなかったプライバシーモデル（k-匿名性、次に要配慮の列ごとのモデル）の行に数えています。",
            "Each suppressed class is counted under the first privacy model it failed (k-anonymity first, then each sensitive column's models).",
        )));
        b.push(Block::Table {
            head: vec![
                t("モデル", "model"),
                t("クラス数", "classes"),
                if rp.people.subject.is_some() { t("人数", "people") } else { t("レコード数", "records") },
            ],
            rows: rp
                .suppression_causes
                .iter()
                .map(|c| {
                    vec![
                        if ja { c.model_ja.clone() } else { c.model.clone() },
                        c.classes.to_string(),
                        c.rows.to_string(),
                    ]
                })
                .collect(),
        });
    }
    let cells: Vec<Vec<String>> = rp
        .columns
        .iter()
        .filter_map(|c| c.cells_suppressed.filter(|n| *n > 0).map(|n| vec![c.name.clone(), n.to_string()]))
        .collect();
    if !cells.is_empty() {
        b.push(Block::Para(t(
            "まれな値を欠損にしたセル（セル秘匿）：",
            "Cells set to null as rare values (cell suppression):",
        )));
        b.push(Block::Table { head: vec![t("列", "column"), t("セル数", "cells")], rows: cells });
    }
    let scrubbed: Vec<Vec<String>> = rp
        .columns
        .iter()
        .filter_map(|c| c.scrubbed.as_ref().map(|s| (c, s)))
        .flat_map(|(c, s)| {
            s.iter().map(move |(kind, n)| {
                let label = crate::scrub::KINDS
                    .iter()
                    .find(|k| k.0 == kind)
                    .map(|k| if ja { k.3.to_string() } else { k.2.to_string() })
                    .unwrap_or_else(|| kind.clone());
                vec![c.name.clone(), label, n.to_string()]
            })
        })
        .collect();
    if rp.columns.iter().any(|c| c.scrubbed.is_some()) {
        b.push(Block::Sub(t("自由記述から除去した記述", "Identifying descriptions removed from free text")));
        if scrubbed.is_empty() {
            b.push(Block::Para(t("除去したものはありません。", "Nothing was removed.")));
        } else {
            b.push(Block::Table {
                head: vec![t("列", "column"), t("種類", "kind"), t("件数", "count")],
                rows: scrubbed,
            });
        }
    }
}
