//! The processing standards and the columns.

use crate::render::{Block, Lang};
use crate::report::Report;
use crate::report::words::{action_ja, role_ja};

/// Each processing standard with its evidence and, when failed, its fix.
pub(super) fn standards(rp: &Report, lang: Lang, b: &mut Vec<Block>) {
    let t = |ja: &str, en: &str| lang.pick(ja, en).to_string();
    let ja = lang == Lang::Ja;
    b.push(Block::Heading(t(
        &format!("加工基準（{}）", rp.regime.basis_ja),
        &format!("Processing standards ({})", rp.regime.basis_en),
    )));
    for s in &rp.processing_standards {
        b.push(Block::Check {
            ok: s.passed,
            status: if s.passed { t("適合", "PASS") } else { t("不適合", "FAIL") },
            title: if ja {
                format!("{}：{}", s.legal, s.title_ja)
            } else {
                format!("{} ({}): {}", s.id, s.legal, s.title)
            },
            items: if ja { s.evidence_ja.clone() } else { s.evidence.clone() },
            fix: if ja { s.fix_ja.clone() } else { s.fix.clone() },
        });
    }
}

/// What was done to each column.
pub(super) fn columns(rp: &Report, lang: Lang, b: &mut Vec<Block>) {
    let t = |ja: &str, en: &str| lang.pick(ja, en).to_string();
    let ja = lang == Lang::Ja;
    b.push(Block::Heading(t("列ごとの処理", "Columns")));
    b.push(Block::Table {
        head: vec![
            t("列", "column"),
            t("役割", "role"),
            t("処理", "action"),
            t("出力列", "output"),
            t("粒度", "granularity"),
        ],
        rows: rp
            .columns
            .iter()
            .map(|c| {
                vec![
                    c.name.clone(),
                    if ja { role_ja(&c.role).to_string() } else { c.role.clone() },
                    if ja { action_ja(&c.action).to_string() } else { c.action.clone() },
                    c.output.clone().unwrap_or_else(|| t("（削除）", "(deleted)")),
                    if ja { c.detail_ja.clone() } else { c.detail.clone() },
                ]
            })
            .collect(),
    });
}
