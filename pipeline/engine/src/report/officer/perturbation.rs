//! The perturbed columns: each technique with its settings and how much it changed the values.

use crate::render::{Block, Lang};
use crate::report::Report;

/// A number for the report: whole numbers without decimals, others to two places.
fn num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 { format!("{}", x as i64) } else { format!("{x:.2}") }
}

/// Each perturbed column: the technique (Japanese and English), its settings, how it ran, the
/// records changed, the mean absolute change, the spread before and after, the groups formed.
pub(super) fn perturbation(rp: &Report, lang: Lang, b: &mut Vec<Block>) {
    if rp.perturbed.is_empty() {
        return;
    }
    let t = |ja: &str, en: &str| lang.pick(ja, en).to_string();
    let ja = lang == Lang::Ja;
    b.push(Block::Heading(t(
        "攪乱した列（規則62条4号・5号の措置）",
        "Perturbed columns (measures under rule 62(4) and (5))",
    )));
    b.push(Block::Para(t(
        "次の列の値は攪乱的手法で変えてあり、正確な値ではありません。乱数の種はこのリリースのためだけに作られ、保存も記録もされないため、同じ処理を再実行してもこのリリースは再現も復元もできません。k-匿名性などのモデル、まれな値、両端の値は、攪乱後の出力値で判定しています。",
        "The values of these columns were changed by a perturbative technique and are not exact. The random seed was made for this release only and is never stored or logged: running the job again neither remakes nor undoes it. k-anonymity and the other models, rare values and the ends of ordered columns are judged on the released, perturbed values.",
    )));
    if rp.seed_fixed_for_test {
        b.push(Block::Warn(t(
            "乱数の種がテスト用に固定されています（seed fixed for a test: TOKUMEI_TEST_SEED）。このリリースを提供してはいけません。",
            "The random seed was fixed for a test (TOKUMEI_TEST_SEED): this release must not be provided.",
        )));
    }
    for p in &rp.perturbed {
        b.push(Block::Sub(format!("{} ({})", p.column, p.output)));
        b.push(Block::Para(if ja { p.description_ja.clone() } else { p.description.clone() }));
        let settings: Vec<String> = p.settings.iter().map(|(k, v)| format!("{k} = {v}")).collect();
        let mut rows = vec![
            vec![t("設定", "settings"), settings.join(", ")],
            vec![t("値のあるレコード", "records with a value"), p.records.to_string()],
            vec![
                t("値が変わったレコード", "records whose value changed"),
                format!("{} ({})", p.records_changed, super::pct(p.records_changed, p.records)),
            ],
        ];
        if let Some(m) = &p.method {
            rows.push(vec![t("方法", "method"), m.clone()]);
        }
        if let Some(x) = p.mean_abs_change {
            rows.push(vec![t("平均絶対変化量", "mean absolute change"), num(x)]);
        }
        if let (Some(a), Some(z)) = (p.sd_before, p.sd_after) {
            rows.push(vec![
                t("標準偏差（前 → 後）", "standard deviation (before → after)"),
                format!("{} → {}", num(a), num(z)),
            ]);
        }
        if let (Some(g), Some(s)) = (p.groups, p.smallest_group) {
            rows.push(vec![t("グループ数（最小の大きさ）", "groups (smallest)"), format!("{g} ({s})")]);
            if let Some(n) = p.smallest_group_people {
                rows.push(vec![t("グループの最少人数", "fewest people in a group"), n.to_string()]);
            }
        }
        if let Some(s) = p.smallest_released {
            rows.push(vec![
                t("出力で一つの値を共有する最少レコード数", "fewest released records sharing a value"),
                s.to_string(),
            ]);
        }
        if let Some(c) = p.clamped {
            rows.push(vec![t("範囲（min/max）に収めた値", "draws clamped to min/max"), c.to_string()]);
        }
        if p.nulled > 0 {
            rows.push(vec![
                t("グループを作れず空欄にした値", "values set to null (too few records for a group)"),
                p.nulled.to_string(),
            ]);
        }
        super::exchange::rows(p, lang, &mut rows);
        b.push(Block::Table { head: vec![t("指標", "measure"), t("値", "value")], rows });
        super::exchange::tables(p, lang, b);
    }
}
