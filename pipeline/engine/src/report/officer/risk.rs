//! The risk that remains, and the time taken.

use super::stats_blocks;
use crate::render::{Block, Lang};
use crate::report::Report;

/// The re-identification risk before and after, and for an attacker who knows every released column.
pub(super) fn risk(rp: &Report, lang: Lang, b: &mut Vec<Block>) {
    let t = |ja: &str, en: &str| lang.pick(ja, en).to_string();
    let ja = lang == Lang::Ja;
    let counted_people = rp.people.subject.is_some();
    b.push(Block::Heading(t("再識別リスク", "Re-identification risk")));
    // The input at the lowest allowed levels equals the table before suppression when no
    // search moved a level: shown once.
    if rp.search.is_some() {
        stats_blocks(
            lang,
            &t("入力（ルールが許す最も細かいレベル）", "Input, at the lowest levels the rules allow"),
            &rp.original,
            counted_people,
            b,
        );
    }
    stats_blocks(lang, &t("一般化後・秘匿前", "Generalised, before suppression"), &rp.before, counted_people, b);
    stats_blocks(lang, &t("出力", "Output"), &rp.after, counted_people, b);
    if let Some(r) = &rp.release_risk {
        b.push(Block::Sub(t(
            "公開される全ての列を知る者に対するリスク",
            "Risk for an attacker who knows every released column",
        )));
        let below = match (rp.k > 1, ja) {
            (false, _) => String::new(),
            (true, true) => format!("、k={}未満のクラスのレコード {}", rp.k, r.records_below_k),
            (true, false) => format!(", {} records in classes below k={}", r.records_below_k, rp.k),
        };
        b.push(Block::Para(if ja {
            format!(
                "要配慮の列とレコード符号を除く公開列（{}）を全て知る者を想定：最小クラス {}、同値クラス {}、一意なレコード {}{below}。",
                r.columns.join("、"), r.k, r.classes, r.unique_records
            )
        } else {
            format!(
                "Assuming an attacker knows every released column except the sensitive ones and record codes ({}): smallest class {}, {} classes, {} unique records{below}.",
                r.columns.join(", "), r.k, r.classes, r.unique_records
            )
        }));
        if r.by_column.is_empty() {
            b.push(Block::Para(t(
                "k-匿名性の対象外の公開列はありません。",
                "No released column lies outside the k-anonymity key.",
            )));
        } else {
            b.push(Block::Table {
                head: vec![
                    t("準識別子に加える列", "column added to the quasi-identifiers"),
                    t("最小クラス", "smallest class"),
                    t("一意になる人", "people made unique"),
                    t("k未満になる人", "people below k"),
                ],
                rows: r
                    .by_column
                    .iter()
                    .map(|c| {
                        vec![
                            c.column.clone(),
                            c.k.to_string(),
                            c.unique_records.to_string(),
                            c.records_below_k.to_string(),
                        ]
                    })
                    .collect(),
            });
        }
        if let Some(l) = &r.linkage {
            linkage(l, lang, b);
        }
    }
}

/// The distance-based record-linkage risk of the perturbed numeric columns.
fn linkage(l: &tokumei_report::LinkageRisk, lang: Lang, b: &mut Vec<Block>) {
    let t = |ja: &str, en: &str| lang.pick(ja, en).to_string();
    b.push(Block::Sub(t(
        "攪乱した数値列の距離に基づく照合リスク",
        "Distance-based record linkage of the perturbed numbers",
    )));
    let how = match (l.estimate, lang == Lang::Ja) {
        (true, true) => format!("無作為に選んだ{}件の標本からの推定", l.sampled),
        (true, false) => format!("an estimate from a random sample of {} records", l.sampled),
        (false, true) => "全レコードで正確に計算".into(),
        (false, false) => "exact, over every record".into(),
    };
    b.push(Block::Para(if lang == Lang::Ja {
        format!(
            "ある人の本当の値（{}、入力の標準偏差で標準化）を知る者が、最も近い出力レコードを選んだとき本人のレコードに当たる割合：{:.2}%（{}件中{:.1}件相当、{how}。同じ距離のレコードがm件あれば1/mと数える。sdcMicro の dRisk に相当）。ノイズを加えた列は正確な値として知られないため、上の「全ての列を知る者」のクラスには含めていません。",
            l.columns.join("、"),
            l.share * 100.0,
            l.sampled,
            l.linked
        )
    } else {
        format!(
            "An attacker who knows a person's true values ({}, standardised by the input's standard deviation) and picks the nearest released record finds that person's own record for {:.2}% of the records ({:.1} of {}; {how}; m equally near records count 1/m each; as sdcMicro's dRisk). Noised columns are not counted as known exactly in the classes above.",
            l.columns.join(", "),
            l.share * 100.0,
            l.linked,
            l.sampled
        )
    }));
}

/// Time taken per stage.
pub(super) fn timings(rp: &Report, lang: Lang, b: &mut Vec<Block>) {
    let t = |ja: &str, en: &str| lang.pick(ja, en).to_string();
    b.push(Block::Heading(t("処理時間", "Timings")));
    b.push(Block::Table {
        head: vec![t("段階", "stage"), t("ミリ秒", "ms")],
        rows: vec![
            vec![t("読込と変換", "ingest and transform"), rp.timings.ingest_ms.to_string()],
            vec![t("プライバシー", "privacy"), rp.timings.privacy_ms.to_string()],
            vec![t("書出し", "write"), rp.timings.write_ms.to_string()],
            vec![t("合計", "total"), rp.timings.total_ms.to_string()],
        ],
    });
}
