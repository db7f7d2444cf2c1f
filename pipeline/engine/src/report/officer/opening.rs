//! The opening of the officer's report.

use crate::render::{Block, Lang};
use crate::report::Report;
use tokumei_report::Standard;

/// The title, the opening paragraph and the release-risk warning.
pub(super) fn opening(rp: &Report, lang: Lang, b: &mut Vec<Block>) {
    let t = |ja: &str, en: &str| lang.pick(ja, en).to_string();
    let ja = lang == Lang::Ja;
    let anonymized = rp.mode == "anonymized";
    b.push(Block::Title(if anonymized {
        format!("{}：{}", t(&format!("{} 作成報告書", rp.regime.kind_ja), "De-identification report"), rp.dataset)
    } else {
        format!("{}：{}", t("仮名化データ 作成報告書", "Pseudonymisation report"), rp.dataset)
    }));
    let failed: Vec<&Standard> = rp.processing_standards.iter().filter(|s| !s.passed).collect();
    let p = &rp.people;
    let counted_people = p.subject.is_some();
    // Where no k is required (pseudonymised data, k = 1) no sentence claims one.
    let shared = match (rp.k > 1, ja) {
        (false, _) => String::new(),
        (true, true) => format!(
            "準識別子の組合せはどれも{}{}以上に共通します（要求 k={}）。",
            rp.k_achieved,
            if counted_people { "人" } else { "件" },
            rp.k
        ),
        (true, false) => format!(
            " Every combination of the quasi-identifiers is shared by at least {} {} (k={} required).",
            rp.k_achieved,
            if counted_people { "people" } else { "records" },
            rp.k
        ),
    };
    b.push(Block::Para(if ja {
        format!(
            "入力{}件のうち、不正な値の{}件を除外し、プライバシー保護のため{}件を秘匿して、{}件を出力しました{}。{shared}加工基準（{}）：{}。",
            rp.rows_in,
            rp.rows_rejected,
            rp.suppressed,
            rp.rows_out,
            if counted_people {
                format!("（人数では{}人のうち{}人を秘匿、{}人を出力）", p.people_in, p.people_suppressed, p.people_out)
            } else {
                String::new()
            },
            rp.regime.basis_ja,
            if failed.is_empty() { "全て適合" } else { "不適合あり" }
        )
    } else {
        format!(
            "Of {} input rows, {} were left out for malformed values and {} suppressed for privacy; {} were written{}.{shared} Processing standards ({}): {}.",
            rp.rows_in,
            rp.rows_rejected,
            rp.suppressed,
            rp.rows_out,
            if counted_people {
                format!(" (of {} people, {} suppressed and {} written)", p.people_in, p.people_suppressed, p.people_out)
            } else {
                String::new()
            },
            rp.regime.basis_en,
            if failed.is_empty() { "all met" } else { "NOT all met" }
        )
    }));
    if let Some(w) = rp.release_risk_warning(lang) {
        b.push(Block::Warn(w));
    }
}
