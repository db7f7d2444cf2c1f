//! The rule files' words (actions, roles, quality models) as the reports say them.

/// A rule file's action, in Japanese (the Japanese report names no rule keyword).
pub(super) fn action_ja(action: &str) -> &'static str {
    match action {
        "drop" => "削除",
        "keep" => "そのまま出力",
        "pseudonymize" => "符号に置換",
        "generalize" => "一般化",
        "mask" => "マスキング",
        "top_bottom_code" => "トップ・ボトムコーディング",
        "suppress_rare" => "まれな値の秘匿",
        "scrub" => "自由記述から識別情報を除去",
        "microaggregate" => "ミクロアグリゲーション",
        "noise" => "ノイズ（誤差）付加",
        "swap" => "データ交換",
        "pram" => "PRAM",
        _ => "その他の処理",
    }
}

/// A quality model of the search, in Japanese.
pub(super) fn quality_ja(model: &str) -> &'static str {
    match model {
        "loss" => "情報損失",
        "discernibility" => "識別性",
        "entropy" => "非一様エントロピー",
        "precision" => "精度損失",
        _ => "情報損失の指標",
    }
}

/// A role, in Japanese.
pub(super) fn role_ja(role: &str) -> &'static str {
    match role {
        "direct_identifier" => "直接識別子",
        "identification_code" => "個人識別符号",
        "linking_code" => "連結符号",
        "quasi_identifier" => "準識別子",
        "sensitive" => "要配慮",
        "financial" => "財産的被害のおそれ",
        _ => "その他",
    }
}

/// A role in both languages, for the data dictionary.
pub(super) fn role_both(role: &str) -> String {
    format!("{} / {role}", role_ja(role))
}

/// What a business user must know of a swapped or PRAM column, for the data dictionary (an
/// empty string for the other techniques).
pub(super) fn exchange_note(p: &tokumei_report::Perturbed) -> String {
    match p.technique.as_str() {
        "swap" => format!(
            "「{c}」の値は順位の近いレコードの間で入れ替えてあります（データ交換）。値の分布（度数）は入力と完全に同じですが、あるレコードの「{c}」の値は、多くの場合その人の値ではなく順位の近い他の人の値です。「{c}」と他の列との組合せ（クロス集計、相関、回帰）は入れ替えの幅の中で弱められます。/ The values of `{c}` were exchanged between records of close rank (swapping). Their distribution (counts) is exactly the input's, but a record's `{c}` is often another person's value of close rank, not its own: the relation of `{c}` to the other columns (cross-tabulations, correlations, regressions) is weakened within the swapping window.",
            c = p.output
        ),
        "pram" => format!(
            "「{c}」の区分は無作為に変えてあります（PRAM）。そのため、あるレコードの「{c}」はその人について事実でないことがあります。個々のレコードの区分を事実として扱わないでください。区分ごとの件数は{how}。/ The categories of `{c}` were changed at random (PRAM): a record's `{c}` may be false for its person; do not treat one record's category as a fact. The counts per category {how_en}.",
            c = p.output,
            how = match p.pram.as_ref().map(|r| r.form.as_str()) {
                Some("invariant") => "入力と完全に同じです",
                Some("matrix, invariant") => "期待値で入力と同じです（誤差があります）",
                _ => "入力と異なります（遷移確率行列は報告書にあります）",
            },
            how_en = match p.pram.as_ref().map(|r| r.form.as_str()) {
                Some("invariant") => "are exactly the input's",
                Some("matrix, invariant") => "are the input's in expectation (with random error)",
                _ => "differ from the input's (the transition matrix is in the report)",
            },
        ),
        _ => String::new(),
    }
}
