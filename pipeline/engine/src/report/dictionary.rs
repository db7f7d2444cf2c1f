//! The data dictionary for the business user, in Japanese and English.

use crate::render::{Block, Doc, Lang};
use crate::report::Report;
use crate::report::words::role_both;
use tokumei_report::ColumnReport;

/// The data dictionary for the business user, in Japanese and English: every column with
/// its type, meaning, processing and values in natural order.
pub fn dictionary(rp: &Report) -> Doc {
    let mut b: Vec<Block> = Vec::new();
    b.push(Block::Title(format!("データ辞書 / Data dictionary：{}", rp.dataset)));
    b.push(Block::Para(format!(
        "リリース {}、{}行、{}。/ Release {}, {} rows, {}.",
        rp.release_id, rp.rows_out, rp.regime.kind_ja, rp.release_id, rp.rows_out, rp.regime.kind_en,
    )));
    let people = match (rp.people.subject.is_some(), rp.k > 1) {
        (true, false) => Some(format!(
            "1人が複数の行を持ちます（{}人、{}行）。/ A person may have several rows ({} people, {} rows).",
            rp.people.people_out, rp.rows_out, rp.people.people_out, rp.rows_out
        )),
        // No k is required (pseudonymised data): no sentence claims one.
        (false, false) => None,
        (true, true) => Some(format!(
            "1人が複数の行を持ちます（{}人、{}行）。準識別子（{}）の組合せはどれも{}人以上に共通します（行数ではなく人数）。/ A person may have several rows ({} people, {} rows). Every combination of the quasi-identifiers ({}) is shared by at least {} people (people, not rows).",
            rp.people.people_out,
            rp.rows_out,
            rp.quasi_identifiers.join("、"),
            rp.k_achieved,
            rp.people.people_out,
            rp.rows_out,
            rp.quasi_identifiers.join(", "),
            rp.k_achieved
        )),
        (false, true) => Some(format!(
            "準識別子（{}）の組合せはどれも{}件以上に共通します。/ Every combination of the quasi-identifiers ({}) is shared by at least {} records.",
            rp.quasi_identifiers.join("、"),
            rp.k_achieved,
            rp.quasi_identifiers.join(", "),
            rp.k_achieved
        )),
    };
    if let Some(p) = people {
        b.push(Block::Para(p));
    }
    b.push(Block::Para(if rp.row_order == "input order" {
        "行は入力の順序です。/ Rows are in the input's order.".into()
    } else {
        "行はこのリリースのために作った無作為な順序です。/ Rows are in a random order made for this release.".into()
    }));
    if let Some(f) = &rp.fingerprint {
        b.push(Block::Para(format!(
            "このリリースには追跡用の指紋があります：準識別子が同じ行（等価クラス）の中で「{c}」の値を無作為に並べ替えています。クラスごとの「{c}」の値の構成、件数、k・l・t は変わりませんが、同じクラス内での「{c}」と他の列との行単位の組合せは分析に使えません。/ This release carries a fingerprint for leak tracing: within each class (rows sharing the quasi-identifiers) the values of `{c}` are in a random order. Each class keeps exactly its values of `{c}` (counts, k, l and t are unchanged), but within a class the pairing of `{c}` with the other columns row by row is not meaningful.",
            c = f.column
        )));
    }
    if !rp.perturbed.is_empty() {
        let list = |f: &dyn Fn(&tokumei_report::Perturbed) -> String| {
            rp.perturbed.iter().map(f).collect::<Vec<_>>().join("; ")
        };
        b.push(Block::Para(format!(
            "次の列の値は個人を特定されにくくするために攪乱してあり、正確な値ではありません（集計や分析には誤差が含まれます）：{}。/ The values of these columns were perturbed so that no one can be singled out, and are not exact (totals and analyses carry the error): {}.",
            list(&|p| format!("{}（{}）", p.output, p.description_ja)),
            list(&|p| format!("{} ({})", p.output, p.description)),
        )));
        for p in rp.perturbed.iter().filter(|p| p.swap.is_some() || p.pram.is_some()) {
            b.push(Block::Para(super::words::exchange_note(p)));
        }
    }
    b.push(Block::Para(
        "帯や範囲の列には、並べ替えと絞込みのための下限（_min）と上限（_max）の数値列があります（空欄は上限・下限なし）。/ Banded and range columns come with numeric lower (_min) and upper (_max) bound columns for sorting and filtering (empty where a band is open).".into(),
    ));
    b.push(Block::Para(
        "本データにより特定の個人を識別すること、又は他の情報と照合して識別しようとすることは、契約及び法律（個人情報保護法45条）により禁止されています。/ Re-identifying any person, or combining this data with other data to do so, is prohibited by the contract and by law (APPI art. 45).".into(),
    ));
    let mut rows = Vec::new();
    for c in rp.columns.iter().filter(|c| c.output.is_some()) {
        let out = c.output.clone().unwrap_or_default();
        let values = describe_values(c);
        rows.push(vec![
            out.clone(),
            c.output_type.clone().unwrap_or_default(),
            c.description.clone().unwrap_or_else(|| c.name.clone()),
            format!("{} / {}", c.detail_ja, c.detail),
            role_both(&c.release_role),
            values,
        ]);
        if let Some([lo, hi]) = &c.bounds {
            for (bound, ja, en) in [(lo, "下限", "lower bound"), (hi, "上限", "upper bound")] {
                rows.push(vec![
                    bound.clone(),
                    "int64 / date".into(),
                    format!("{out}の{ja} / {en} of {out}"),
                    "—".into(),
                    role_both(&c.release_role),
                    String::new(),
                ]);
            }
        }
    }
    b.push(Block::Table {
        head: vec![
            "列 / column".into(),
            "型 / type".into(),
            "意味 / meaning".into(),
            "加工 / processing".into(),
            "役割 / role".into(),
            "値 / values".into(),
        ],
        rows,
    });
    b.extend(super::changed::table(rp));
    Doc { lang: Lang::Ja, blocks: b }
}

/// The values of a column for the dictionary: categories in natural order, or a count and range.
fn describe_values(c: &ColumnReport) -> String {
    let Some(v) = &c.values else { return String::new() };
    let mut s = match &v.categories {
        Some(cats) if c.role != "linking_code" => cats.iter().map(|(l, _)| l.clone()).collect::<Vec<_>>().join(", "),
        _ => {
            let mut s = if c.role == "linking_code" {
                format!("{}種類以上の符号（1レコードに1つ）/ codes, one per record", v.distinct)
            } else {
                format!("{}種類以上の値 / more than {} distinct values", v.distinct, v.distinct)
            };
            if let (Some(lo), Some(hi)) = (&v.min, &v.max) {
                s.push_str(&format!("; {lo} 〜 {hi}"));
            }
            s
        }
    };
    if v.nulls > 0 {
        s.push_str(&format!("; 空欄 / empty: {}", v.nulls));
    }
    s
}
