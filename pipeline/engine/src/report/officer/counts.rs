//! What was read, left out and written.

use super::pct;
use crate::render::{Block, Lang};
use crate::report::Report;

/// Rows and people read, suppressed and written; residents' requests applied.
pub(super) fn counts(rp: &Report, lang: Lang, b: &mut Vec<Block>) {
    let t = |ja: &str, en: &str| lang.pick(ja, en).to_string();
    let ja = lang == Lang::Ja;
    b.push(Block::Heading(t("件数", "Rows")));
    b.push(Block::Table {
        head: vec![t("", ""), t("件数", "rows"), t("割合", "share")],
        rows: vec![
            vec![t("入力", "read"), rp.rows_in.to_string(), "100%".into()],
            vec![
                t("不正な値で除外", "rejected (malformed values)"),
                rp.rows_rejected.to_string(),
                pct(rp.rows_rejected, rp.rows_in),
            ],
            vec![
                t("プライバシー保護のため秘匿", "suppressed (privacy)"),
                rp.suppressed.to_string(),
                pct(rp.suppressed, rp.rows_in),
            ],
            vec![t("出力", "written"), rp.rows_out.to_string(), pct(rp.rows_out, rp.rows_in)],
        ],
    });
    let p = &rp.people;
    b.push(Block::Table {
        head: vec![t("", ""), t("人数", "people"), t("件数", "rows"), t("割合（人数）", "share (people)")],
        rows: vec![
            vec![t("入力（除外後）", "accepted"), p.people_in.to_string(), p.rows_in.to_string(), "100%".into()],
            vec![
                t("プライバシー保護のため秘匿", "suppressed (privacy)"),
                p.people_suppressed.to_string(),
                p.rows_suppressed.to_string(),
                pct(p.people_suppressed, p.people_in),
            ],
            vec![
                t("出力", "written"),
                p.people_out.to_string(),
                p.rows_out.to_string(),
                pct(p.people_out, p.people_in),
            ],
        ],
    });
    b.push(Block::Para(match (&p.subject, ja) {
        (Some(s), true) => format!(
            "同値クラスの大きさ（k）、l、t、平均リスク、希少値、公開リスクはレコード数ではなく人数（`{s}` の異なる値）で数えています。1人あたり最大{}件、複数のクラスにまたがる{}人はその人の準識別子の値の組の集合で判定し、秘匿は人単位（その人の全レコード）で行いました。",
            p.max_rows_per_person, p.people_in_several_classes
        ),
        (Some(s), false) => format!(
            "Class sizes (k), l, t, the average risk, rare values and the release risk count people (distinct values of `{s}`), not rows. A person has at most {} rows; people whose rows fall in several classes ({} here) are judged by the set of their key values, and suppression removes people (all of their rows).",
            p.max_rows_per_person, p.people_in_several_classes
        ),
        (None, true) if p.checked.is_empty() => "規則に `subject`（本人を示す列）の宣言がないため、1行を1人として数えています。本人を示す列がなく、1人が複数の行を持たないことは確認できません。".into(),
        (None, false) if p.checked.is_empty() => "The rules declare no `subject` (the column that names a person), so each row counts as one person. No column names a person, so that each person has one row could not be checked.".into(),
        (None, true) => format!("規則に `subject`（本人を示す列）の宣言がないため、1行を1人として数えています（本人を示しうる列 {} に重複がないことを確認済み）。", p.checked.join("、")),
        (None, false) => format!("The rules declare no `subject` (the column that names a person), so each row counts as one person (the columns that may name a person, {}, repeat no value).", p.checked.join(", ")),
    }));
    if let Some(r) = &rp.requests {
        b.push(Block::Para(if ja {
            format!(
                "住民からの請求（利用停止・オプトアウト、訂正）を最初に適用しました：請求により{}件の記録を入力前に除外し（除外リスト{}件）、訂正{}件（有効な訂正{}件）を反映しました。対象者は記載しません。",
                r.excluded_records, r.exclusions_in_force, r.corrected_values, r.corrections_in_force
            )
        } else {
            format!(
                "Residents' requests were applied first: {} records were left out by requests (exclusion list of {}) before the rows above were read, and {} values were corrected ({} corrections in force). Who they concern is not stated.",
                r.excluded_records, r.exclusions_in_force, r.corrected_values, r.corrections_in_force
            )
        }));
    }
}
