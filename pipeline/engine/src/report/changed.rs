//! What the release changed, in the data dictionary's short form: one line per compared column.

use crate::render::Block;
use crate::report::Report;
use tokumei_report::ColumnUtility;

/// A number to four significant places at most (dates as dates).
fn num(x: f64, date: bool) -> String {
    if date {
        return tokumei_jp::Date::from_days_since_epoch(x.round() as i32).to_string();
    }
    if x.fract() == 0.0 && x.abs() < 1e15 { format!("{}", x as i64) } else { format!("{x:.2}") }
}

/// One column's change in short form, Japanese then English; `None` when nothing was measured.
fn short(c: &ColumnUtility) -> Option<String> {
    let date = c.kind == "date";
    let mut ja = Vec::new();
    let mut en = Vec::new();
    if let (Some(b), Some(a)) = (&c.before, &c.after) {
        let (mb, ma, sb, sa) = (num(b.mean, date), num(a.mean, date), b.variance.sqrt(), a.variance.sqrt());
        ja.push(format!("平均 前{mb} 後{ma}、標準偏差 前{sb:.2} 後{sa:.2}"));
        en.push(format!("mean before {mb} after {ma}, sd before {sb:.2} after {sa:.2}"));
    }
    if let Some(m) = c.mean_abs_change.filter(|m| *m > 0.0) {
        ja.push(format!("1レコードあたり平均{m:.2}変化"));
        en.push(format!("mean change per record {m:.2}"));
    }
    if let Some(t) = c.tvd {
        ja.push(format!("分布の違い（全変動距離）{t:.3}"));
        en.push(format!("distribution moved by {t:.3} (total variation distance)"));
    }
    if let Some(s) = c.changed_share.filter(|s| *s > 0.0) {
        ja.push(format!("カテゴリが変わったレコード{:.1}%", s * 100.0));
        en.push(format!("{:.1}% of records changed category", s * 100.0));
    }
    if c.records_suppressed + c.cells_suppressed > 0 {
        ja.push(format!("抑制 {}件", c.records_suppressed + c.cells_suppressed));
        en.push(format!("{} suppressed", c.records_suppressed + c.cells_suppressed));
    }
    if ja.is_empty() {
        return None;
    }
    Some(format!("{} / {}", ja.join("、"), en.join(", ")))
}

/// The dictionary's table of what processing changed, when the report measured it.
pub(super) fn table(rp: &Report) -> Option<Block> {
    let u = rp.utility.as_ref()?;
    let rows: Vec<Vec<String>> = u.columns.iter().filter_map(|c| Some(vec![c.column.clone(), short(c)?])).collect();
    (!rows.is_empty()).then(|| Block::Table {
        head: vec![
            "列 / column".into(),
            "加工による変化（前＝入力、後＝公開） / what processing changed (before = input, after = released)".into(),
        ],
        rows,
    })
}
