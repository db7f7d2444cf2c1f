//! `tokumei verify-release`: what the recipient is told of a release folder it verified, in
//! Japanese and English.

use super::Told;
use tokumei_release::manifest::Verified;

/// A verified release: that every file is listed, unchanged and signed by the key, and what the
/// release is for.
pub fn verified(v: &Verified) -> Told {
    let m = &v.manifest;
    let mut o = String::new();
    put!(o, "検証済み: {} 個のファイルはすべてマニフェストのとおりで、鍵 {} の署名があります", m.files.len(), v.key_id);
    put!(o, "verified: all {} files are as the manifest lists them, signed by key {}", m.files.len(), v.key_id);
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
    Told::out(o)
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
        let told = verified(&Verified { manifest, key_id: "a1:k".into() });
        for want in [
            "検証済み",
            "verified:",
            "利用目的 / purpose: 分析 / 二行目",
            "2027-03-31",
            "株式会社テスト",
            "第2号",
            "a1:k",
        ] {
            assert!(told.out.contains(want), "{want}: {}", told.out);
        }
    }
}
