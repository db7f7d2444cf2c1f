//! `tokumei verify-release`: what the recipient is told of a release folder it verified, in
//! Japanese and English.

use super::Told;
use tokumei_release::manifest::{Provision, Verified};

/// A verified release: that every file is listed, unchanged and signed by the key, the key's id to
/// check against the one the provider gave on paper, and what the release is for; with a warning
/// (stdout and stderr) when the contract's use period ended before `today` (Japan's date).
pub fn verified(v: &Verified, today: &str) -> Told {
    let m = &v.manifest;
    let mut o = String::new();
    put!(o, "検証済み: {} 個のファイルはすべてマニフェストのとおりで、鍵 {} の署名があります", m.files.len(), v.key_id);
    put!(o, "verified: all {} files are as the manifest lists them, signed by key {}", m.files.len(), v.key_id);
    let mut err = String::new();
    if let Some((ja, en)) = m.provision.as_ref().and_then(|p| period_over(p, today)) {
        put!(o, "{ja}");
        put!(o, "WARNING: {en}");
        put!(err, "warning: {en}");
    }
    o.push('\n');
    put!(o, "鍵ID / key id: {}", v.key_id);
    put!(
        o,
        "  この鍵IDが提供者から書面で受け取った鍵IDと同じか確かめてください。違えば使わずに提供者に連絡してください。"
    );
    put!(
        o,
        "  Check that this key id is the one the provider gave you on paper; if it is not, do not use the data and contact the provider."
    );
    o.push('\n');
    put!(o, "データセット / dataset: {}", m.dataset);
    put!(o, "リリースID / release id: {}", m.release_id);
    put!(o, "作成日時 / made at: {}", m.created_at);
    if let Some(h) = &m.audit_head {
        put!(o, "監査ログの先頭 / audit head: {h}");
    }
    match &m.provision {
        Some(p) => {
            put!(o, "提供者 / provider: {}", p.body);
            put!(o, "契約 / contract: 第{}号 / no. {}", p.contract_id, p.contract_id);
            put!(o, "提供先 / recipient: {}", p.recipient);
            put!(o, "個人情報ファイル / personal-information file: {}", p.file);
            put!(o, "利用目的 / purpose: {}", p.purpose.lines().collect::<Vec<_>>().join(" / "));
            put!(
                o,
                "利用期間 / use period: {} から {} まで / {} to {}",
                p.use_from,
                p.use_until,
                p.use_from,
                p.use_until
            );
            o.push('\n');
            put!(o, "利用の条件は 利用条件.html に、英語では terms-of-use.html にあります。");
            put!(o, "The terms of use are in 利用条件.html (Japanese) and terms-of-use.html (English).");
        }
        None => {
            put!(o, "契約 / contract: なし（契約に基づく提供ではありません） / none (not provided under a contract)");
        }
    }
    o.push('\n');
    for f in &m.files {
        put!(o, "  {}  {} bytes  sha256 {}", f.name, f.size, f.sha256);
    }
    Told { out: o, err }
}

/// The warning (Japanese, English) when the use period ended before `today`, or its last day is
/// not a date (then it cannot be told whether it ended: warned too).
fn period_over(p: &Provision, today: &str) -> Option<(String, String)> {
    match tokumei_registry::deadline::days_between(&p.use_until, today) {
        Some(n) if n <= 0 => None,
        Some(_) => Some((
            format!(
                "注意: 契約の利用期間は {} に終わっています（今日は {today}）。このデータはもう利用できません。すべての複製を消去し又は返却して、提供者に報告してください。",
                p.use_until
            ),
            format!(
                "the contract's use period ended on {} (today is {today} in Japan): the data may no longer be used; delete or return every copy and report that to the provider.",
                p.use_until
            ),
        )),
        None => Some((
            format!(
                "注意: 利用期間の終わり（{}）が日付ではありません。利用してよいか提供者に確かめてください。",
                p.use_until
            ),
            format!(
                "the use period's last day ({}) is not a date: ask the provider whether the data may still be used.",
                p.use_until
            ),
        )),
    }
}

/// The first line of a refusal, before what was found.
pub fn refused(folder: &str) -> String {
    format!(
        "{folder} は検証できません。使わずに、提供者に連絡してください / is NOT verified: do not use it; contact the provider"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokumei_release::manifest::{FORMAT, Manifest, ManifestFile, Provision};

    #[test]
    fn a_verified_release_says_what_it_is_for_in_both_languages() {
        let manifest = Manifest {
            format: FORMAT.into(),
            release_id: "r-1".into(),
            dataset: "resident".into(),
            created_at: "2026-04-01T00:00:00Z".into(),
            audit_head: Some("4:ab".into()),
            tokumei_version: "0.1.0".into(),
            provision: Some(Provision {
                body: "〇〇市".into(),
                contract_id: 2,
                recipient: "株式会社テスト".into(),
                file: "住民".into(),
                purpose: "分析\n二行目".into(),
                use_from: "2026-04-01".into(),
                use_until: "2027-03-31".into(),
            }),
            files: vec![ManifestFile { name: "a.parquet".into(), size: 3, sha256: "0".repeat(64) }],
        };
        let v = Verified { manifest, key_id: "a1:k".into() };
        let told = verified(&v, "2027-03-31");
        for want in [
            "検証済み",
            "verified:",
            "利用目的 / purpose: 分析 / 二行目",
            "2027-03-31",
            "株式会社テスト",
            "第2号",
            "鍵ID / key id: a1:k\n",
            "one the provider gave you on paper",
            "書面で受け取った鍵ID",
        ] {
            assert!(told.out.contains(want), "{want}: {}", told.out);
        }
        assert!(!told.out.contains("WARNING") && !told.out.contains("注意") && told.err.is_empty(), "on its last day");
        // The day after the use period: verified, with a warning in both languages.
        let told = verified(&v, "2027-04-01");
        assert!(told.out.starts_with("検証済み"), "{}", told.out);
        let lines: Vec<&str> = told.out.lines().collect();
        assert!(
            lines[2].starts_with("注意: 契約の利用期間は 2027-03-31 に終わっています（今日は 2027-04-01）"),
            "{}",
            lines[2]
        );
        assert!(lines[3].starts_with("WARNING: the contract's use period ended on 2027-03-31"), "{}", lines[3]);
        assert!(told.err.starts_with("warning: the contract's use period ended on 2027-03-31"), "{}", told.err);
        // A last day that is not a date cannot be told to be in the period: warned too.
        let mut odd = v.clone();
        if let Some(p) = odd.manifest.provision.as_mut() {
            p.use_until = "someday".into();
        }
        assert!(verified(&odd, "2026-01-01").err.contains("is not a date"));
        // No contract, no period.
        let mut none = v.clone();
        none.manifest.provision = None;
        assert!(verified(&none, "2099-01-01").err.is_empty());
    }
}
