//! The summary of a release: what it is and what it was made from.

use crate::render::{Block, Lang};
use crate::report::Report;

/// The summary table: what was made from what, with which rules and key.
pub(super) fn summary(rp: &Report, lang: Lang, b: &mut Vec<Block>) {
    let t = |ja: &str, en: &str| lang.pick(ja, en).to_string();
    let ja = lang == Lang::Ja;
    let anonymized = rp.mode == "anonymized";
    b.push(Block::Heading(t("概要", "Summary")));
    let mode = if anonymized {
        t(&format!("匿名加工（{}）", rp.regime.kind_ja), &format!("anonymized: {}", rp.regime.kind_en))
    } else {
        t(
            &format!("仮名化（鍵を管理する仮名コード）：{}", rp.regime.kind_ja),
            &format!("pseudonymized (managed-key codes): {}", rp.regime.kind_en),
        )
    };
    let mut rows = vec![
        vec![t("リリースID", "release id"), rp.release_id.clone()],
        vec![t("ジョブ", "job"), rp.job.clone()],
        vec![t("加工の区分", "mode"), mode],
        vec![t("作成日時（UTC）", "created (UTC)"), rp.created_at.clone()],
        vec![t("年齢の基準日", "reference date for ages"), rp.reference_date.clone()],
        vec![
            t("入力", "input"),
            if ja {
                format!(
                    "{}（{}{}）",
                    rp.input.path,
                    match rp.input.format.as_str() {
                        "csv" => "CSV",
                        "parquet" => "Parquet",
                        "query" => "問合せ",
                        other => other,
                    },
                    rp.input
                        .encoding
                        .as_ref()
                        .map(|e| format!(
                            "、{}",
                            e.replace(", detected", "、自動判定").replace(", as configured", "、設定による")
                        ))
                        .unwrap_or_default()
                )
            } else {
                format!(
                    "{} ({}{})",
                    rp.input.path,
                    rp.input.format,
                    rp.input.encoding.as_ref().map(|e| format!(", {e}")).unwrap_or_default()
                )
            },
        ],
        vec![t("入力のSHA-256", "input SHA-256"), rp.input.sha256.clone()],
        vec![t("ルール", "rules"), rp.rules.clone()],
        vec![t("ルールのSHA-256", "rules SHA-256"), rp.rules_sha256.clone()],
        vec![
            t("仮名化の鍵", "pseudonym key"),
            match &rp.key_id {
                Some(k) if ja && k.starts_with("ephemeral") => "このリリースだけの乱数の鍵（保存しない）".into(),
                Some(k) => k.clone(),
                None => t("使用しない", "none used"),
            },
        ],
        vec![
            t("出力ファイル", "output file"),
            rp.output_file.clone().unwrap_or_else(|| t("なし（検査のみ）", "none (check only)")),
        ],
        vec![t("出力のSHA-256", "output SHA-256"), rp.output_sha256.clone().unwrap_or_default()],
        vec![
            t("行の順序", "row order"),
            if rp.row_order == "input order" {
                t("入力の順序", "input order")
            } else {
                t("リリースごとの無作為な順序", "random per release")
            },
        ],
    ];
    if let Some(f) = &rp.fingerprint {
        rows.push(vec![
            t("追跡用の指紋", "fingerprint for leak tracing"),
            t(
                &format!("「{}」の値を等価クラス内で無作為に並べ替え（クラスごとの値の構成は不変）", f.column),
                &format!(
                    "values of `{}` put in a random order within each class (each class keeps its values)",
                    f.column
                ),
            ),
        ]);
    }
    if let Some(h) = &rp.audit_head {
        rows.push(vec![
            t("作成時の監査ログの先頭", "audit log head at creation"),
            format!(
                "{h} {}",
                t(
                    "（控えておくこと：tokumei audit verify --anchor で、ログがこの記録を今も保持していることを証明できる）",
                    "(keep it: `tokumei audit verify --anchor` proves the log still holds it)"
                )
            ),
        ]);
    }
    rows.push(vec![
        t("処理時間", "time taken"),
        format!("{:.2} {}", rp.timings.total_ms as f64 / 1000.0, t("秒", "s")),
    ]);
    b.push(Block::Table { head: vec![t("項目", "item"), t("内容", "value")], rows });
}

/// The input files of a query job, and the query.
pub(super) fn inputs(rp: &Report, lang: Lang, b: &mut Vec<Block>) {
    let t = |ja: &str, en: &str| lang.pick(ja, en).to_string();
    if !rp.inputs.is_empty() {
        b.push(Block::Sub(t("入力ファイル（問合せで結合）", "Input files (joined by the query)")));
        b.push(Block::Table {
            head: vec![t("表", "table"), t("ファイル", "file"), t("行数", "rows"), "SHA-256".into()],
            rows: rp
                .inputs
                .iter()
                .map(|i| {
                    vec![
                        i.name.clone().unwrap_or_default(),
                        format!("{} ({})", i.path, i.format),
                        i.rows.map(|r| r.to_string()).unwrap_or_default(),
                        i.sha256.clone(),
                    ]
                })
                .collect(),
        });
    }
    if let Some(q) = &rp.query {
        b.push(Block::Para(format!(
            "{}{}",
            t("ルールが対象とした問合せ（SQL）：", "The query (SQL) whose result the rules covered: "),
            q.split_whitespace().collect::<Vec<_>>().join(" ")
        )));
    }
}
