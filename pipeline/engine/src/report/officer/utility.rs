//! What the release changed for its user: a table per released column (before and after), the
//! correlations of the numeric columns, and the risk-utility map.

use crate::render::{Block, Lang};
use crate::report::Report;
use crate::scatter::{Mark, MarkKind};
use tokumei_report::{ColumnUtility, Moments, QUANTILE_LEVELS, RuMap, Utility};

/// A number for the report (dates as dates): whole numbers without decimals, others to four
/// significant places at most.
fn num(x: f64, date: bool) -> String {
    if date {
        return tokumei_jp::Date::from_days_since_epoch(x.round() as i32).to_string();
    }
    if x.fract() == 0.0 && x.abs() < 1e15 { format!("{}", x as i64) } else { format!("{x:.2}") }
}

/// The section: each column, the correlations, the map.
pub(super) fn utility(rp: &Report, lang: Lang, b: &mut Vec<Block>) {
    let Some(u) = &rp.utility else { return };
    let t = |ja: &str, en: &str| lang.pick(ja, en).to_string();
    b.push(Block::Heading(t("有用性：公開した列で変わったこと", "Utility: what changed in the released columns")));
    b.push(Block::Para(t(
        "各列について、公開したレコード（値のあるセル）の入力の値（前）と公開した値（後）を比べた集計値です。前と後は同じレコードで数え、抑制されたレコード・セルは含めず件数だけを示します。前の分位点は入力の値で、その外側にいるレコードがk件未満のもの、その値を持つレコードがk件未満のものは示しません（—）。値を変えたレコードがk件未満のとき、または1件の変化が変化全体の半分を超えるときは、前の集計値と平均変化量を示しません（差から少数の人の値が分かるため）。後の値は公開データの値で、プライバシーモデルの判定を経たものです。",
        "For each column, the input's values (before) against the released values (after) of the released records with a value: before and after count the same records; suppressed records and cells are not in them, only counted. The quantiles before are the input's; one with fewer than k records beyond it, or whose value fewer than k records hold, is not shown (—). When fewer than k records changed, or one record's change is over half of all change, the figures before and the mean change are not shown (their difference would tell a few people's values). The values after are the release's, which passed the privacy models.",
    )));
    for c in &u.columns {
        column(c, lang, b);
    }
    if !u.not_compared.is_empty() {
        let items = u
            .not_compared
            .iter()
            .map(|(c, why)| match lang {
                Lang::Ja => format!("{c}：1レコードずつ書き出す列（そのまま出力・符号化・仮名化。辞書符号化していない）のため比較していません"),
                _ => format!("{c}: {why}"),
            })
            .collect();
        b.push(Block::Sub(t("比較していない列", "Columns not compared")));
        b.push(Block::List(items));
    }
    correlation(u, lang, b);
    ru_map(&u.ru_map, lang, b);
}

fn column(c: &ColumnUtility, lang: Lang, b: &mut Vec<Block>) {
    let t = |ja: &str, en: &str| lang.pick(ja, en).to_string();
    b.push(Block::Sub(c.column.clone()));
    b.push(Block::Para(lang.pick(&c.basis_ja, &c.basis).to_string()));
    let date = c.kind == "date";
    let mut rows = vec![
        vec![t("値のある入力レコード", "input records with a value"), c.records.to_string(), String::new()],
        vec![t("値のある公開レコード", "released records with a value"), String::new(), c.released.to_string()],
        vec![t("抑制されたレコード", "records suppressed"), c.records_suppressed.to_string(), String::new()],
        vec![t("抑制されたセル", "cells suppressed"), String::new(), c.cells_suppressed.to_string()],
    ];
    if let (Some(x), Some(y)) = (&c.before, &c.after) {
        moments_rows(x, y, date, lang, &mut rows);
    }
    if let Some(m) = c.mean_abs_change {
        let unit = if date { t("（日）", " (days)") } else { String::new() };
        rows.push(vec![
            format!("{}{unit}", t("1レコードあたりの平均絶対変化量", "mean absolute change per record")),
            String::new(),
            format!("{m:.2}"),
        ]);
    }
    if let Some(d) = c.tvd {
        rows.push(vec![
            t("全変動距離（分布の違い、0〜1）", "total variation distance (0 to 1)"),
            String::new(),
            format!("{d:.4}"),
        ]);
    }
    if let Some(s) = c.changed_share {
        rows.push(vec![
            t("カテゴリが変わった公開レコードの割合", "released records whose category changed"),
            String::new(),
            format!("{:.2}%", s * 100.0),
        ]);
    }
    b.push(Block::Table {
        head: vec![String::new(), t("前（入力）", "before (input)"), t("後（公開）", "after (released)")],
        rows,
    });
}

fn moments_rows(x: &Moments, y: &Moments, date: bool, lang: Lang, rows: &mut Vec<Vec<String>>) {
    let t = |ja: &str, en: &str| lang.pick(ja, en).to_string();
    rows.push(vec![t("平均", "mean"), num(x.mean, date), num(y.mean, date)]);
    let unit = if date { t("（日²）", " (days²)") } else { String::new() };
    rows.push(vec![
        format!("{}{unit}", t("分散", "variance")),
        format!("{:.2}", x.variance),
        format!("{:.2}", y.variance),
    ]);
    let q = |v: &Option<f64>| v.map_or("—".to_string(), |v| num(v, date));
    for (i, p) in QUANTILE_LEVELS.iter().enumerate() {
        let (a, z) = (x.quantiles.get(i).unwrap_or(&None), y.quantiles.get(i).unwrap_or(&None));
        rows.push(vec![format!("{}{:.0}%", t("分位点 ", "quantile "), p * 100.0), q(a), q(z)]);
    }
}

fn correlation(u: &Utility, lang: Lang, b: &mut Vec<Block>) {
    let Some(c) = &u.correlation else { return };
    let t = |ja: &str, en: &str| lang.pick(ja, en).to_string();
    b.push(Block::Sub(t("数値の列の相関（ピアソン）", "Correlations of the numeric columns (Pearson)")));
    b.push(Block::Para(match lang {
        Lang::Ja => format!("前後の両方で全ての列に値のある公開レコード{}件で計算。相関の変化の最大：{:.4}。", c.records, c.largest_change),
        _ => format!("Over the {} released records with every column present before and after. Largest change of a correlation: {:.4}.", c.records, c.largest_change),
    }));
    let f = |v: &Option<f64>| v.map_or("—".to_string(), |v| format!("{v:.3}"));
    let mut head = vec![String::new()];
    head.extend(c.columns.iter().cloned());
    let rows = c
        .columns
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let mut r = vec![name.clone()];
            r.extend((0..c.columns.len()).map(|j| format!("{} → {}", f(&c.before[i][j]), f(&c.after[i][j]))));
            r
        })
        .collect();
    b.push(Block::Table { head, rows });
}

/// The map: two panels (the highest risk, the average risk) against the loss, one mark per
/// setting; then, when the dataset has earlier releases, the releases compared by their mean
/// column loss (the one measure every release has, whatever its search tried).
fn ru_map(m: &RuMap, lang: Lang, b: &mut Vec<Block>) {
    let t = |ja: &str, en: &str| lang.pick(ja, en).to_string();
    b.push(Block::Sub(t("リスク・有用性マップ（R-Uマップ）", "Risk-utility map (R-U map)")));
    let feasible = m.points.iter().filter(|p| p.feasible).count();
    b.push(Block::Para(match lang {
        Lang::Ja => format!(
            "横軸は情報損失（{}、0〜1）、縦軸は再識別リスク（検察官モデル）。探索が評価した設定{}個（うち条件を満たすもの{}個{}）と公開した設定（赤）。",
            loss_ja(&m.loss_measure),
            m.points.len(),
            feasible,
            if m.left_off > 0 { format!("、ほか{}個は省略", m.left_off) } else { String::new() },
        ),
        _ => format!(
            "Information loss ({}, 0 to 1) across, re-identification risk (prosecutor) up. {} settings the search evaluated ({} feasible{}) and the one released (red).",
            m.loss_measure,
            m.points.len(),
            feasible,
            if m.left_off > 0 { format!("; {} more not shown", m.left_off) } else { String::new() },
        ),
    }));
    let marks = |highest: bool| -> Vec<Mark> {
        m.points
            .iter()
            .map(|p| Mark {
                x: p.loss,
                y: if highest { p.risk_max } else { p.risk_avg },
                kind: match (p.chosen, p.feasible) {
                    (true, _) => MarkKind::Chosen,
                    (false, true) => MarkKind::Feasible,
                    (false, false) => MarkKind::Infeasible,
                },
                label: match p.levels.is_empty() && p.chosen && m.points.len() > 1 {
                    true => format!("local recoding, loss {:.3}", p.loss),
                    false => format!("{:?} loss {:.3}", p.levels, p.loss),
                },
            })
            .collect()
    };
    panels(&marks, lang, b);
    if m.earlier.iter().all(|e| e.loss.is_none()) {
        return;
    }
    b.push(Block::Para(match lang {
        Lang::Ja => format!(
            "同じデータセットのリリースの比較：横軸は列ごとの損失の平均（0〜1）、縦軸は再識別リスク。このリリース（赤）と過去のリリース{}件（黄）。",
            m.earlier.iter().filter(|e| e.loss.is_some()).count()
        ),
        _ => format!(
            "The releases of the dataset compared: mean column loss (0 to 1) across, re-identification risk up. This release (red) and {} earlier releases (yellow).",
            m.earlier.iter().filter(|e| e.loss.is_some()).count()
        ),
    }));
    let releases = |highest: bool| -> Vec<Mark> {
        let risk = |max: f64, avg: f64| if highest { max } else { avg };
        m.release_loss
            .zip(m.release_risk)
            .map(|(x, (max, avg))| Mark {
                x,
                y: risk(max, avg),
                kind: MarkKind::Chosen,
                label: t("このリリース", "this release"),
            })
            .into_iter()
            .chain(m.earlier.iter().filter_map(|e| {
                Some(Mark {
                    x: e.loss?,
                    y: risk(e.risk_max, e.risk_avg),
                    kind: MarkKind::Earlier,
                    label: format!("{} ({})", e.release_id, e.created_at),
                })
            }))
            .collect()
    };
    panels(&releases, lang, b);
}

/// Two scatter panels, the highest and the average risk, of the marks `marks(highest)` gives
/// (their y the raw risk, scaled here to the panel's largest).
fn panels(marks: &dyn Fn(bool) -> Vec<Mark>, lang: Lang, b: &mut Vec<Block>) {
    let t = |ja: &str, en: &str| lang.pick(ja, en).to_string();
    let legend = [
        t("条件を満たす", "feasible"),
        t("満たさない", "infeasible"),
        t("公開した設定", "released"),
        t("過去のリリース", "earlier releases"),
    ];
    for (title, highest) in [(t("最大リスク", "highest risk"), true), (t("平均リスク", "average risk"), false)]
    {
        let mut marks = marks(highest);
        let y_max = marks.iter().map(|m| m.y).filter(|r| r.is_finite()).fold(0.0f64, f64::max).max(1e-9);
        for m in &mut marks {
            m.label = format!("{} risk {:.4}", m.label, m.y);
            m.y /= y_max;
        }
        b.push(Block::Scatter {
            title: format!("R-U: {title}"),
            axes: [t("情報損失", "information loss"), title.clone()],
            y_max,
            legend: legend.clone(),
            marks,
        });
    }
}

/// The loss measure's name in Japanese.
fn loss_ja(measure: &str) -> String {
    match measure.strip_prefix("quality model ").and_then(|m| m.strip_suffix(", relative to the largest candidate")) {
        Some(model) => format!("{}、候補の最大値に対する比", crate::report::words::quality_ja(model)),
        None if measure == "mean column loss" => "列ごとの損失の平均".into(),
        None => measure.into(),
    }
}
