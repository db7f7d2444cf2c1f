//! The report for the compliance officer: what was done, why records were suppressed, each
//! processing standard with its legal provision, and the risk that remains. One function per
//! section, in the order the report gives them.

mod counts;
mod exchange;
mod models;
mod opening;
mod perturbation;
mod risk;
mod standards;
mod summary;
mod suppression;
mod utility;

use crate::render::{Block, Doc, Lang};
use crate::report::Report;
use tokumei_report::ClassStats;

/// The report for the compliance officer, in `lang`: what was done, why records were
/// suppressed, each processing standard with its legal provision, and the risk that remains.
pub fn officer(rp: &Report, lang: Lang) -> Doc {
    let mut b: Vec<Block> = Vec::new();
    opening::opening(rp, lang, &mut b);
    summary::summary(rp, lang, &mut b);
    summary::inputs(rp, lang, &mut b);
    counts::counts(rp, lang, &mut b);
    suppression::suppression(rp, lang, &mut b);
    standards::standards(rp, lang, &mut b);
    standards::columns(rp, lang, &mut b);
    perturbation::perturbation(rp, lang, &mut b);
    models::models(rp, lang, &mut b);
    models::search(rp, lang, &mut b);
    risk::risk(rp, lang, &mut b);
    utility::utility(rp, lang, &mut b);
    risk::timings(rp, lang, &mut b);
    Doc { lang, blocks: b }
}

/// `n` as a share of `d`, to two places.
pub(super) fn pct(n: u64, d: u64) -> String {
    if d == 0 { "0%".into() } else { format!("{:.2}%", n as f64 * 100.0 / d as f64) }
}

/// A table of class statistics and its chart; `people` when classes count people.
pub(super) fn stats_blocks(lang: Lang, title: &str, s: &ClassStats, people: bool, out: &mut Vec<Block>) {
    let t = |ja: &str, en: &str| lang.pick(ja, en).to_string();
    let (records, unique, by_size, unit) = match people {
        true => (
            t("人数", "people"),
            t("準識別子で一意な人", "people unique on the quasi-identifiers"),
            t("クラスの大きさ別の人数", "people by class size"),
            t("人", "people"),
        ),
        false => (
            t("レコード数", "records"),
            t("準識別子で一意なレコード", "records unique on the quasi-identifiers"),
            t("クラスの大きさ別のレコード数", "records by class size"),
            t("レコード", "records"),
        ),
    };
    out.push(Block::Sub(title.to_string()));
    out.push(Block::Table {
        head: vec![t("指標", "measure"), t("値", "value")],
        rows: vec![
            vec![records, s.records.to_string()],
            vec![t("同値クラス数", "equivalence classes"), s.classes.to_string()],
            vec![t("最小クラスの大きさ（k）", "smallest class (k)"), s.min_class_size.to_string()],
            vec![t("平均クラスの大きさ", "mean class size"), format!("{:.2}", s.mean_class_size)],
            vec![unique, s.unique_records.to_string()],
            vec![
                t("最大再識別リスク（検察官モデル）", "highest re-identification risk (prosecutor)"),
                format!("{:.4}", s.prosecutor_risk_max),
            ],
            vec![
                t("平均再識別リスク（検察官モデル）", "average re-identification risk (prosecutor)"),
                format!("{:.4}", s.prosecutor_risk_avg),
            ],
        ],
    });
    out.push(Block::Bars {
        title: format!("{by_size}: {title}"),
        bars: s.histogram.iter().map(|b| (b.sizes.clone(), b.records)).collect(),
        unit,
    });
}
