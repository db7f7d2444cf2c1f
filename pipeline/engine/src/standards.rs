//! The processing standards of the domain brief, each as pass/fail with its evidence in Japanese
//! and English: 法116条1項 / 規則62条 for anonymized data (five measures) and 規則31条 for
//! pseudonymized data. A failed standard names the columns and rule lines at fault and the fix.

use tokumei_rules::{Action, ColumnPlan, Hierarchy, Mode, Plan, Role, ValueType};

pub use tokumei_report::{Regime, Standard};

/// The regime of a release made by `actor` in `mode`.
pub fn regime(actor: tokumei_rules::Actor, mode: Mode) -> Regime {
    use tokumei_rules::Actor;
    match (actor, mode) {
        (Actor::PublicBody, Mode::Anonymized) => Regime {
            kind_ja: "行政機関等匿名加工情報".into(),
            kind_en: "anonymised data of a public body (行政機関等匿名加工情報)".into(),
            basis_ja: "法116条1項・規則62条".into(),
            basis_en: "APPI art. 116(1), rule 62".into(),
            rule: "規則62条".into(),
        },
        (_, Mode::Anonymized) => Regime {
            kind_ja: "匿名加工情報".into(),
            kind_en: "anonymised data (匿名加工情報)".into(),
            basis_ja: "法43条1項・規則34条".into(),
            basis_en: "APPI art. 43(1), rule 34".into(),
            rule: "規則34条".into(),
        },
        (Actor::PublicBody, Mode::Pseudonymized) => Regime {
            kind_ja: "仮名化した保有個人情報（内部利用に限る。仮名加工情報ではない）".into(),
            kind_en: "pseudonymised personal information held by a public body (internal use only; not 仮名加工情報)"
                .into(),
            basis_ja: "規則31条に準じる".into(),
            basis_en: "following rule 31".into(),
            rule: "規則31条".into(),
        },
        (_, Mode::Pseudonymized) => Regime {
            kind_ja: "仮名加工情報".into(),
            kind_en: "pseudonymised data (仮名加工情報)".into(),
            basis_ja: "法41条1項・規則31条".into(),
            basis_en: "APPI art. 41(1), rule 31".into(),
            rule: "規則31条".into(),
        },
    }
}

/// What the privacy stage achieved, as input to standard 5.
pub struct Achieved<'a> {
    /// Smallest class in the output.
    pub k: u64,
    /// Required and achieved l per sensitive output column.
    pub l: Vec<crate::privacy::LDiversity>,
    /// Every privacy model with its required and achieved value.
    pub models: &'a [crate::privacy::ModelOutcome],
    /// Rows suppressed.
    pub suppressed: u64,
    /// Rows out.
    pub rows_out: u64,
    /// People and rows, when the models count people by the rules' `subject`.
    pub people: Option<&'a crate::people::PeopleCounts>,
    /// Levels chosen by the search, `(plan column, level)`.
    pub chosen: &'a [(usize, u32)],
    /// Rare values of the output columns outside the k-anonymity key.
    pub rare: &'a [Rare],
    /// The ends of the released ordered columns, counted over the released values.
    pub ends: &'a [crate::tails::EndsCheck],
    /// The perturbed columns, with what the perturbation did.
    pub perturbed: &'a [tokumei_report::Perturbed],
}

/// Values held by fewer than k released records in one output column outside the key.
#[derive(Debug, Clone)]
pub struct Rare {
    /// Input column name.
    pub column: String,
    /// Sensitive (kept, protected by its model) or not (suppressed).
    pub sensitive: bool,
    /// Distinct rare values.
    pub values: u64,
    /// Cells holding them.
    pub cells: u64,
    /// The column's required l, if any.
    pub l: Option<u32>,
}

/// Evidence lines in both languages.
#[derive(Default)]
struct Lines {
    en: Vec<String>,
    ja: Vec<String>,
}

impl Lines {
    fn push(&mut self, en: String, ja: String) {
        self.en.push(en);
        self.ja.push(ja);
    }
    fn or_none(mut self) -> Self {
        if self.en.is_empty() {
            self.push("no column has this role".into(), "該当する列なし".into());
        }
        self
    }
}

struct Ctx<'a> {
    plan: &'a Plan,
    chosen: &'a [(usize, u32)],
    /// The rule whose items number the standards.
    rule: &'a str,
}

impl Ctx<'_> {
    fn level_of(&self, c: &ColumnPlan) -> Option<u32> {
        let i = self.plan.columns.iter().position(|p| std::ptr::eq(p, c))?;
        self.chosen.iter().find(|(p, _)| *p == i).map(|(_, l)| *l)
    }

    /// `name: what was done` in both languages.
    fn line(&self, c: &ColumnPlan) -> (String, String) {
        let l = self.level_of(c);
        (format!("{}: {}", c.name, c.action.describe_chosen(l)), format!("{}：{}", c.name, c.action.describe_ja(l)))
    }

    /// Where the column's rule is, for a failure.
    fn at(&self, c: &ColumnPlan) -> String {
        format!("{}:{}", self.plan.rules_path.display(), c.line)
    }

    fn cols(&self, role: Role) -> impl Iterator<Item = &ColumnPlan> {
        self.plan.columns.iter().filter(move |c| c.role == role)
    }
}

#[allow(clippy::too_many_arguments)]
fn standard(
    id: u32,
    legal: &str,
    title: &str,
    title_ja: &str,
    passed: bool,
    lines: Lines,
    fix: &str,
    fix_ja: &str,
) -> Standard {
    Standard {
        id,
        legal: legal.into(),
        title: title.into(),
        title_ja: title_ja.into(),
        passed,
        evidence: lines.en,
        evidence_ja: lines.ja,
        fix: (!passed).then(|| fix.to_string()),
        fix_ja: (!passed).then(|| fix_ja.to_string()),
    }
}

/// Standard 1's line for a scrubbed column: what scrubbing removed and what the residual scan
/// found are counted from the released text (the rule's intent is no evidence).
fn scrubbed_line(c: &ColumnPlan) -> (String, String) {
    (
        format!(
            "{}: free text scrubbed; the evidence is counted from the released text when it is written (what scrubbing removed, what the residual scan found)",
            c.name
        ),
        format!("{}：自由記述を加工。根拠は出力する記述から数えた件数（除去したもの、残存検査の結果）", c.name),
    )
}

/// Standards 1-3: identifying descriptions, identification codes, linking codes.
fn deletion_standards(cx: &Ctx, pseudonymized: bool, rule: &str) -> Vec<Standard> {
    let mut s1 = Lines::default();
    let mut ok1 = true;
    for c in cx.cols(Role::DirectIdentifier) {
        let ok = match &c.action {
            Action::Drop | Action::Mask { .. } | Action::Scrub { .. } => true,
            Action::Generalize { level, .. } => *level > 0,
            _ => false,
        };
        let (en, ja) = cx.line(c);
        if matches!(c.action, Action::Scrub { .. }) {
            let (en, ja) = scrubbed_line(c);
            s1.push(en, ja);
        } else if ok {
            s1.push(en, ja);
        } else {
            ok1 = false;
            s1.push(format!("{en}: NOT deleted ({})", cx.at(c)), format!("{ja}：削除されていない（{}）", cx.at(c)));
        }
    }
    let mut s2 = Lines::default();
    let mut ok2 = true;
    for c in cx.cols(Role::IdentificationCode) {
        let (en, ja) = cx.line(c);
        match &c.action {
            Action::Drop => s2.push(en, ja),
            // 規則31条2号: replaced by a method with no regularity that restores it (a keyed
            // code whose key is kept apart as 削除情報等): pseudonymised internal data only.
            Action::Pseudonymize { .. } if pseudonymized => s2.push(
                format!(
                    "{en}: replaced by a keyed code of the managed key (kept apart from the data as removed information, 削除情報等); internal use only, never in an anonymised release"
                ),
                format!("{ja}：管理する鍵による符号に置換（鍵は削除情報等としてデータと分けて管理）。内部利用に限り、匿名加工情報には含めない"),
            ),
            _ => {
                ok2 = false;
                s2.push(
                    format!("{en}: NOT deleted ({})", cx.at(c)),
                    format!("{ja}：削除されていない（{}）", cx.at(c)),
                );
            }
        }
    }
    // A column named like an identification code but declared under another role (e.g. a
    // 被保険者番号 relabelled `linking_code`) is one for standard 2 all the same.
    for c in cx.plan.columns.iter().filter(|c| c.role != Role::IdentificationCode && c.output.is_some()) {
        let Some(word) = identification_code_name(&c.name) else { continue };
        let (en, ja) = cx.line(c);
        let role = c.role.as_str();
        match &c.action {
            Action::Pseudonymize { .. } if pseudonymized => s2.push(
                format!("{en}: named like an identification code ({word}) though declared `{role}`: replaced by a keyed code of the managed key"),
                format!("{ja}：個人識別符号（{word}）の名前の列（`{role}` と宣言）：管理する鍵による符号に置換"),
            ),
            _ => {
                ok2 = false;
                s2.push(
                    format!(
                        "{en}: named like an identification code ({word}) but declared `{role}` and released: NOT deleted ({})",
                        cx.at(c)
                    ),
                    format!(
                        "{ja}：個人識別符号（{word}）の名前の列が `{role}` と宣言され出力される：削除されていない（{}）",
                        cx.at(c)
                    ),
                );
            }
        }
    }
    let mut s3 = Lines::default();
    let mut ok3 = true;
    let mut coded = false;
    for c in cx.cols(Role::LinkingCode) {
        let (en, ja) = cx.line(c);
        match c.action {
            Action::Drop => s3.push(en, ja),
            Action::Pseudonymize { .. } => {
                coded = true;
                s3.push(en, ja);
            }
            _ => {
                ok3 = false;
                s3.push(format!("{en}: output as it is ({})", cx.at(c)), format!("{ja}：そのまま出力（{}）", cx.at(c)));
            }
        }
    }
    if coded && !pseudonymized {
        s3.push(
            "codes use a random key made for this release and never stored: they cannot link back".into(),
            "符号はこのリリースのためだけに作られ保存されない乱数の鍵で作られ、元の番号に戻せない".into(),
        );
    }
    vec![
        standard(
            1,
            &format!("{rule}1号"),
            "identifying descriptions deleted in whole or part (氏名, 住所, 電話番号...)",
            "特定の個人を識別することができる記述等（氏名・住所・電話番号等）の全部又は一部の削除",
            ok1,
            s1.or_none(),
            "drop each listed direct identifier, or mask it, or generalise it to a level above 0",
            "挙げた直接識別子を削除（action = \"drop\"）、マスキング、又はレベル1以上に一般化する",
        ),
        standard(
            2,
            &format!("{rule}2号"),
            "all identification codes (個人識別符号) deleted",
            "個人識別符号（マイナンバー、被保険者番号等）の全部の削除",
            ok2,
            s2.or_none(),
            if pseudonymized {
                "declare each listed column role = \"identification_code\" and set action = \"drop\", or \"pseudonymize\" with the managed key"
            } else {
                "declare each listed column role = \"identification_code\" and set action = \"drop\" (an anonymised release carries no identification code, not even as a code)"
            },
            if pseudonymized {
                "挙げた列を role = \"identification_code\" とし、action = \"drop\"、又は管理する鍵で \"pseudonymize\" を指定する"
            } else {
                "挙げた列を role = \"identification_code\" とし、action = \"drop\" を指定する（匿名加工情報には符号にしても個人識別符号を含めない）"
            },
        ),
        if pseudonymized {
            let (lines, ok) = financial_lines(cx);
            standard(
                3,
                &format!("{rule}3号"),
                "descriptions whose misuse may cause financial damage deleted",
                "不正に利用されることにより財産的被害が生じるおそれがある記述等の削除",
                ok,
                lines,
                "set action = \"drop\" on each listed column",
                "挙げた列に action = \"drop\" を指定する",
            )
        } else {
            standard(
                3,
                &format!("{rule}3号"),
                "linking codes deleted or replaced by codes that cannot link back",
                "保有個人情報と匿名加工情報とを連結する符号（宛名番号等）の削除又は連結できない符号への置換",
                ok3,
                s3.or_none(),
                "drop each listed linking code or set action = \"pseudonymize\"",
                "挙げた連結符号を削除するか action = \"pseudonymize\" にする",
            )
        },
    ]
}

/// The identification-code word (個人番号, 被保険者番号, ...) a column's name holds, if any.
fn identification_code_name(name: &str) -> Option<&'static str> {
    use crate::ingest::lineage::{IDENTIFICATION_CODE_NAMES, MY_NUMBER_NAMES, name_has};
    // Numbers and codes only: a yes/no 免許 or 旅券 column is no code.
    let codes: Vec<&'static str> = IDENTIFICATION_CODE_NAMES
        .iter()
        .copied()
        .filter(|w| w.contains("番号") || w.contains("コード") || w.contains("記号"))
        .chain(MY_NUMBER_NAMES.iter().copied())
        .collect();
    name_has(name, &codes)
}

/// The columns marked `financial` (card numbers, bank accounts and logins), each with whether it
/// is deleted. With none marked, the evidence says so: nothing in the rules is assumed.
fn financial_lines(cx: &Ctx) -> (Lines, bool) {
    let mut lines = Lines::default();
    let mut ok = true;
    for c in cx.cols(Role::Financial) {
        let (en, ja) = cx.line(c);
        if c.action == Action::Drop {
            lines.push(en, ja);
        } else {
            ok = false;
            lines.push(format!("{en}: NOT deleted ({})", cx.at(c)), format!("{ja}：削除されていない（{}）", cx.at(c)));
        }
    }
    if lines.en.is_empty() {
        lines.push(
            "no column is marked `financial` (card numbers, bank accounts and logins): the rule file declares none"
                .into(),
            "財産的被害のおそれのある記述等（クレジットカード番号・口座番号等）として指定された列なし".into(),
        );
    }
    (lines, ok)
}

/// Whether a numeric or date output column has its extremes coded, and how: `Ok((en, ja))`,
/// or `Err((en, ja))` naming the column and its rule line.
type Outlier = Result<(String, String), (String, String)>;

fn outlier_treatment(cx: &Ctx, c: &ColumnPlan) -> Option<Outlier> {
    let numeric = matches!(c.ty, ValueType::Integer | ValueType::Date);
    if c.output.is_none() || !numeric {
        return None;
    }
    let k = cx.plan.privacy.k;
    let covered_by_k = c.is_privacy_key() && k >= 2;
    Some(match &c.action {
        Action::TopBottomCode { .. } => Ok(cx.line(c)),
        Action::Generalize { hierarchy: Hierarchy::Age(tokumei_rules::hierarchy::Age { top, .. }), .. } => {
            Ok((format!("{}: top-coded at {top}+", c.name), format!("{}：{top}歳以上を一括", c.name)))
        }
        Action::Generalize {
            hierarchy:
                Hierarchy::Bands(
                    tokumei_rules::hierarchy::Bands { top: Some(_), .. }
                    | tokumei_rules::hierarchy::Bands { bottom: Some(_), .. },
                ),
            ..
        } => Ok(cx.line(c)),
        // A perturbed number is not released as it was (特異な記述等 blurred); its released ends
        // are counted all the same (below).
        Action::Perturb(_) => {
            let (en, ja) = cx.line(c);
            Ok((format!("{en}; the released ends are counted below"), format!("{ja}。出力する値の両端は下で数える")))
        }
        _ if covered_by_k => Ok((
            format!("{}: rare values fall in classes below k={k} and are suppressed", c.name),
            format!("{}：まれな値はk={k}未満のクラスに入り秘匿される", c.name),
        )),
        _ => Err((
            format!("{}: numeric values are output with no top/bottom coding ({})", c.name, cx.at(c)),
            format!("{}：数値が上限・下限の処理なしで出力される（{}）", c.name, cx.at(c)),
        )),
    })
}

/// `2nd`, `3rd`, `5th`, `11th`, `21st`.
fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// Standard 4's lines for the ends of the released ordered columns; whether every end holds k.
fn ends_lines(ends: &[crate::tails::EndsCheck], k: u32, (unit, unit_ja): (&str, &str), out: &mut Lines) -> bool {
    use crate::tails::End;
    let mut ok = true;
    for e in ends {
        for (end, code) in &e.auto {
            let (en, ja) = match end {
                End::Top => ("top", "上限"),
                End::Bottom => ("bottom", "下限"),
            };
            let (nth, nth_ja) = match end {
                End::Top => ("largest", "大きい"),
                End::Bottom => ("smallest", "小さい"),
            };
            out.push(
                format!(
                    "{}: {en} = \"auto\" computed as {code}: the {} {nth} released value, so that at least {k} {unit} share the {en} code",
                    e.column,
                    ordinal(k)
                ),
                format!(
                    "{}：{ja}を自動で{code}に決定（出力する値のうち{nth_ja}方から{k}番目の値。{ja}の値を{k}{unit_ja}以上が共有する）",
                    e.column
                ),
            );
        }
        if e.tails.is_empty() {
            out.push(
                format!(
                    "{} ({}): the largest and the smallest released values are each shared by at least {k} {unit} ({} and {})",
                    e.column, e.output, e.top_held, e.bottom_held
                ),
                format!(
                    "{}（{}）：出力する最大の値と最小の値をそれぞれ{k}{unit_ja}以上が共有する（{}{unit_ja}、{}{unit_ja}）",
                    e.column, e.output, e.top_held, e.bottom_held
                ),
            );
        }
        for t in &e.tails {
            ok = false;
            let (end_en, end_ja, beyond, beyond_ja) = match t.end {
                End::Top => ("largest", "大きい", "above", "より大きい"),
                End::Bottom => ("smallest", "小さい", "below", "より小さい"),
            };
            let (code, code_ja) = match (&t.kth, &t.fix) {
                (Some(kth), Some(fix)) => (
                    format!(
                        "the {} {end_en} released value is {kth}: code the values {beyond} it as it ({fix})",
                        ordinal(k)
                    ),
                    format!("{end_ja}方から{k}番目の値は{kth}：これ{beyond_ja}値をこの値にまとめる（{fix}）"),
                ),
                (Some(kth), None) => (
                    format!(
                        "the {} {end_en} released value is {kth}: code the values {beyond} it together",
                        ordinal(k)
                    ),
                    format!("{end_ja}方から{k}番目の値は{kth}：これ{beyond_ja}値をまとめる"),
                ),
                (None, _) => (
                    format!("fewer than {k} {unit} hold any value of it: drop or generalise the column"),
                    format!("値を持つのが{k}{unit_ja}未満：列を削除するか一般化する"),
                ),
            };
            out.push(
                format!(
                    "{} ({}): the {} {end_en} released value(s) are held by {} {unit} ({} records), fewer than k={k}: outliers (特異な記述等); {code}",
                    e.column, e.output, t.values, t.people, t.records
                ),
                format!(
                    "{}（{}）：出力する{end_ja}方の値{}種を{}{unit_ja}（{}件）しか持たず、k={k}未満（特異な記述等）。{code_ja}",
                    e.column, e.output, t.values, t.people, t.records
                ),
            );
        }
    }
    ok
}

/// Standard 4: outlier descriptions (特異な記述等) deleted or coded: each column's outlier
/// treatment, the released ends, the classes shared, the rare values.
fn standard_4(cx: &Ctx, achieved: &Achieved) -> Standard {
    let plan = cx.plan;
    let mut s4 = Lines::default();
    let mut ok4 = true;
    for c in &plan.columns {
        match outlier_treatment(cx, c) {
            Some(Ok((en, ja))) => s4.push(en, ja),
            Some(Err((en, ja))) => {
                ok4 = false;
                s4.push(en, ja);
            }
            None => {}
        }
    }
    let (unit, unit_ja) = match achieved.people.is_some_and(|p| p.subject.is_some()) {
        true => ("people", "人"),
        false => ("records", "件"),
    };
    for p in achieved.perturbed {
        let (en, ja) = perturbed_line(p);
        s4.push(en, ja);
    }
    ok4 &= ends_lines(achieved.ends, plan.privacy.k, (unit, unit_ja), &mut s4);
    match achieved.people.and_then(|p| p.subject.as_deref().map(|s| (s, p))) {
        Some((subject, p)) => s4.push(
            format!(
                "every combination of quasi-identifiers is shared by at least {} people in the output (distinct `{subject}`, not rows; at most {} rows per person)",
                achieved.k, p.max_rows_per_person
            ),
            format!(
                "準識別子の組合せはどれも出力中の{}人以上に共通する（件数ではなく `{subject}` の人数。1人最大{}件）",
                achieved.k, p.max_rows_per_person
            ),
        ),
        None => s4.push(
            format!("every combination of quasi-identifiers is shared by at least {} records in the output", achieved.k),
            format!("準識別子の組合せはどれも出力中の{}件以上に共通する", achieved.k),
        ),
    }
    let k = plan.privacy.k;
    for r in achieved.rare {
        let (en, ja) = rare_line(r, k, (unit, unit_ja));
        s4.push(en, ja);
    }
    standard(
        4,
        &format!("{}4号", cx.rule),
        "outlier descriptions (特異な記述等) deleted or coded",
        "特異な記述等の削除（外れ値のトップ・ボトムコーディング等）",
        ok4,
        s4,
        "every kept number or date needs its extremes coded so that at least k people share each end of the released values: give each listed column the code it names (top/bottom of action = \"top_bottom_code\", or top = \"auto\"), or hierarchy = \"bands\" with top/bottom, or make it a quasi-identifier under k >= 2",
        "出力する数値・日付は、出力する値の両端をそれぞれk人以上が共有するよう極端な値の処理が必要：挙げた列に示した値を指定する（action = \"top_bottom_code\" の top/bottom、又は top = \"auto\"）か、hierarchy = \"bands\"（top/bottom付き）を指定するか、k >= 2 の準識別子にする",
    )
}

/// What a perturbation did to a column, for standard 4: the groups of a microaggregation, the
/// records a noise changed and the draws it clamped.
fn perturbed_line(p: &tokumei_report::Perturbed) -> (String, String) {
    let mut en = format!("{}: {} of {} records changed", p.column, p.records_changed, p.records);
    let mut ja = format!("{}：{}件中{}件の値を変更", p.column, p.records, p.records_changed);
    if let (Some(g), Some(s)) = (p.groups, p.smallest_group) {
        en.push_str(&format!(", {g} groups, the smallest of {s} records"));
        ja.push_str(&format!("、{g}グループ（最小{s}件）"));
        if let Some(n) = p.smallest_group_people {
            en.push_str(&format!(", every group of at least {n} people"));
            ja.push_str(&format!("、どのグループも{n}人以上"));
        }
    }
    if let Some(r) = p.smallest_released {
        en.push_str(&format!("; every released value is shared by at least {r} records"));
        ja.push_str(&format!("。出力するどの値も{r}件以上が共有"));
    }
    if let Some(c) = p.clamped.filter(|c| *c > 0) {
        en.push_str(&format!("; {c} draws clamped to min/max"));
        ja.push_str(&format!("。{c}件を範囲（min/max）に収めた"));
    }
    if p.nulled > 0 {
        en.push_str(&format!("; {} values set to null (too few records for a group)", p.nulled));
        ja.push_str(&format!("。グループを作れない{}件を空欄に", p.nulled));
    }
    (en, ja)
}

/// One rare-value line of standard 4: suppressed, or sensitive and protected (or not) by
/// l-diversity.
fn rare_line(r: &Rare, k: u32, (unit, unit_ja): (&str, &str)) -> (String, String) {
    match (r.values, r.sensitive) {
        (0, _) => (
            format!("{}: every released value is held by at least {k} {unit}", r.column),
            format!("{}：出力するどの値も{k}{unit_ja}以上", r.column),
        ),
        (n, false) => (
            format!(
                "{}: {n} rare value(s) held by fewer than {k} {unit} suppressed ({} cells set to null)",
                r.column, r.cells
            ),
            format!("{}：{k}{unit_ja}未満のまれな値{n}種を秘匿（{}セルを空欄に）", r.column, r.cells),
        ),
        (n, true) => match r.l {
            Some(l) => (
                format!(
                    "{}: {n} sensitive value(s) held by fewer than {k} {unit}, each in a class with at least {l} distinct values (l-diversity)",
                    r.column
                ),
                format!(
                    "{}：{k}{unit_ja}未満の要配慮の値{n}種、いずれも{l}種以上の値を持つクラス内（l-多様性）",
                    r.column
                ),
            ),
            None => (
                format!(
                    "{}: {n} sensitive value(s) held by fewer than {k} {unit} are released (no l-diversity on this column; see its reason under standard 5)",
                    r.column
                ),
                format!("{}：{k}{unit_ja}未満の要配慮の値{n}種を出力（この列のl-多様性なし。理由は基準5）", r.column),
            ),
        },
    }
}

/// Standard 5: other measures suited to the data: k-anonymity and every other model achieved,
/// sensitive columns, suppression, waived l, financial damage, generalisation.
fn standard_5(cx: &Ctx, achieved: &Achieved) -> Standard {
    let plan = cx.plan;
    // An empty output holds no class at all: k-anonymity is not shown by it.
    let k_ok = achieved.rows_out > 0 && achieved.k >= plan.privacy.k as u64;
    let mut s5 = Lines::default();
    s5.push(
        format!(
            "k-anonymity: required k={}, achieved k={} over {} quasi-identifiers",
            plan.privacy.k,
            achieved.k,
            plan.quasi_identifiers().len()
        ),
        format!(
            "k-匿名性：要求 k={}、達成 k={}（準識別子{}列）",
            plan.privacy.k,
            achieved.k,
            plan.quasi_identifiers().len()
        ),
    );
    // Every other model the rules ask for, as the release achieves it.
    let mut models_ok = true;
    for m in achieved.models.iter().filter(|m| m.model != "k_anonymity") {
        models_ok &= achieved.rows_out > 0 && m.met();
        s5.push(
            format!("{}: achieved {}", m.name, m.achieved_text()),
            format!("{}：達成 {}", m.name_ja, m.achieved_text()),
        );
    }
    // Sensitive columns no model protects are named, with the diversity they have anyway.
    for l in achieved.l.iter().filter(|l| !achieved.models.iter().any(|m| m.column.as_deref() == Some(&l.column))) {
        s5.push(
            format!("{}: sensitive, no privacy model reads it (achieved distinct l={})", l.column, l.achieved),
            format!("{}：要配慮の列、これを見るプライバシーモデルなし（達成 l={}）", l.column, l.achieved),
        );
    }
    match achieved.people.filter(|p| p.subject.is_some()) {
        Some(p) => s5.push(
            format!(
                "record suppression: {} people removed with all their records ({} records)",
                p.people_suppressed, achieved.suppressed
            ),
            format!("レコード秘匿：{}人をその全レコード（{}件）ごと削除", p.people_suppressed, achieved.suppressed),
        ),
        None => s5.push(
            format!("record suppression: {} records removed", achieved.suppressed),
            format!("レコード秘匿：{}件を削除", achieved.suppressed),
        ),
    }
    // A sensitive column whose l is waived or lowered says why.
    for c in plan.columns.iter().filter(|c| c.output.is_some()) {
        if let Some(reason) = &c.l_reason {
            let l = c.l.unwrap_or(1);
            let g = plan.privacy.l.unwrap_or(1);
            s5.push(
                format!(
                    "{}: l-diversity {} (l = {l} instead of {g}): {reason}",
                    c.name,
                    if l <= 1 { "waived" } else { "lowered" }
                ),
                format!(
                    "{}：l-多様性を{}（l = {l}、既定 {g}）：{reason}",
                    c.name,
                    if l <= 1 { "適用除外" } else { "緩和" }
                ),
            );
        }
    }
    let (fin, fin_ok) = financial_lines(cx);
    for (en, ja) in fin.en.into_iter().zip(fin.ja) {
        s5.push(format!("financial damage: {en}"), format!("財産的被害：{ja}"));
    }
    for c in plan.output_columns() {
        if let Action::Generalize { .. } = c.action {
            let (en, ja) = cx.line(c);
            s5.push(format!("generalisation: {en}"), format!("一般化：{ja}"));
        }
    }
    for c in plan.output_columns().filter(|c| c.perturbation().is_some()) {
        let (en, ja) = cx.line(c);
        s5.push(
            format!("perturbation (values not exact; see the perturbed columns): {en}"),
            format!("攪乱的手法（値は正確でない。攪乱した列を参照）：{ja}"),
        );
    }
    standard(
        5,
        &format!("{}5号", cx.rule),
        "other measures suited to the data: generalisation, suppression, k-anonymity",
        "個人情報ファイルの性質を勘案した適切な措置（一般化・レコード秘匿・k-匿名化等）",
        k_ok && models_ok && fin_ok && plan.privacy.k >= 2,
        s5,
        "set [privacy] k to 2 or more and let the run reach it (generalise quasi-identifiers further or allow more suppression)",
        "[privacy] の k を2以上にし、達成できるようにする（準識別子をさらに一般化する、又は秘匿の上限を上げる）",
    )
}

/// Evaluate the standards for the plan's mode.
pub fn evaluate(plan: &Plan, achieved: &Achieved, actor: tokumei_rules::Actor) -> Vec<Standard> {
    let regime = regime(actor, plan.mode);
    let cx = Ctx { plan, chosen: achieved.chosen, rule: &regime.rule };
    let mut out = deletion_standards(&cx, plan.mode == Mode::Pseudonymized, cx.rule);
    if plan.mode == Mode::Pseudonymized {
        return out;
    }
    out.push(standard_4(&cx, achieved));
    out.push(standard_5(&cx, achieved));
    out
}
