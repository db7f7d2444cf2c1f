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
