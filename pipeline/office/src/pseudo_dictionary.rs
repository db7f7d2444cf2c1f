//! The dictionary of a pseudo-data folder (`pseudo_dictionary.md` and `.json`), in Japanese and
//! English: every column marked 疑似データ, the tree, the fit, the identical-record indicator
//! (a count, never a value); and what `tokumei pseudo` prints.

use std::fmt::Write as _;
use std::path::Path;
use tokumei_documents::text::Told;
use tokumei_engine::pseudo::PseudoFit;

/// The dictionary of one pseudo-data file.
pub struct Dictionary<'a> {
    /// The release it was fitted to.
    pub release_id: &'a str,
    /// The Parquet file's name.
    pub file: &'a str,
    /// What was generated and how well it fits.
    pub fit: &'a PseudoFit,
}

/// The marking every column carries.
pub const MARK_JA: &str = "疑似データ（合成レコード：どのレコードも実在の個人のものではありません）";
/// The marking in English.
pub const MARK_EN: &str = "synthetic (pseudo-data): no record is any person's";

fn share(n: u64, of: u64) -> f64 {
    if of == 0 { 0.0 } else { n as f64 / of as f64 }
}

impl Dictionary<'_> {
    /// The dictionary as JSON.
    pub fn json(&self) -> serde_json::Value {
        let f = self.fit;
        serde_json::json!({
            "synthetic": true,
            "marking_ja": MARK_JA,
            "marking_en": MARK_EN,
            "source_release": self.release_id,
            "file": self.file,
            "rows": f.rows,
            "release_rows": f.release_rows,
            "k": f.k,
            "seed_fixed_for_test": f.seed_fixed_for_test,
            "method": "Chow-Liu tree: maximum spanning tree of the pairwise mutual information; root from its marginal, each child given its parent (its marginal where the parent's value is held by fewer than k release records); numeric columns in at most 20 quantile bins, each value drawn from the released values of its bin",
            "columns": f.columns.iter().map(|c| serde_json::json!({
                "name": c.name, "synthetic": true, "marking_ja": MARK_JA, "marking_en": MARK_EN,
                "kind": c.kind, "codes": c.codes, "given": c.given, "tvd": c.tvd,
            })).collect::<Vec<_>>(),
            "tree": { "root": f.root, "kept": f.kept, "not_kept": f.not_kept },
            "left_out": f.left_out,
            "identical_records": f.identical,
            "identical_share": share(f.identical, f.rows),
        })
    }

    /// The dictionary as Markdown.
    pub fn markdown(&self) -> String {
        let f = self.fit;
        let mut s = String::new();
        let _ = writeln!(s, "# 疑似データ辞書 / Pseudo-data dictionary：{}\n", self.file);
        let _ = writeln!(
            s,
            "**{MARK_JA}。/ {MARK_EN}.** リリース {} の列の分布から合成した {} 行（リリースは {} 行）。/ {} rows synthesised from the distributions of release {} ({} rows).\n",
            self.release_id, f.rows, f.release_rows, f.rows, self.release_id, f.release_rows
        );
        let _ = writeln!(
            s,
            "方法：列の組ごとの相互情報量の最大全域木（Chow-Liu木）。根の列は周辺分布から、他の列は木の親の値を条件として抽出。親の値を持つリリースのレコードが{k}件未満のときは、その列の周辺分布から抽出（まれな組合せを写さないため）。数値列は最大20の分位区間に分け、値はその区間のリリースの値から抽出。/ Method: the maximum spanning tree of the pairwise mutual information (Chow-Liu). The root column is drawn from its marginal, every other column given its tree parent's value; where fewer than {k} release records hold the parent's value, from the column's marginal (rare combinations are not copied). Numeric columns in at most 20 quantile bins; each value drawn from the release's values in its bin.\n",
            k = f.k
        );
        s.push_str("| 列 / column | 表示 / marking | 種類 / kind | 条件とする列 / drawn given | 周辺分布の全変動距離 / marginal TVD |\n|---|---|---|---|---|\n");
        for c in &f.columns {
            let _ = writeln!(
                s,
                "| {} | 疑似データ / synthetic | {} | {} | {:.4} |",
                c.name,
                c.kind,
                c.given.as_deref().unwrap_or("— (根 / root)"),
                c.tvd
            );
        }
        s.push_str("\n## 木が保つ組 / Pairs the tree keeps\n\n| 親 / parent | 子 / child | 相互情報量 / mutual information (bits) | 同時分布の全変動距離 / joint TVD |\n|---|---|---|---|\n");
        for p in &f.kept {
            let _ = writeln!(s, "| {} | {} | {:.4} | {:.4} |", p.parent, p.child, p.mutual_information, p.tvd);
        }
        s.push_str("\n## 木が保たない組 / Pairs the tree does not keep\n\nこれらの組の関連は、木を通じた分だけ再現されます。/ These pairs' association is reproduced only as far as it runs through the tree.\n\n| 列 / column | 列 / column | 相互情報量 / MI (bits) | クラメールのV（リリース）/ Cramér's V (release) | クラメールのV（疑似）/ Cramér's V (synthetic) |\n|---|---|---|---|---|\n");
        for p in &f.not_kept {
            let _ = writeln!(
                s,
                "| {} | {} | {:.4} | {:.4} | {:.4} |",
                p.a, p.b, p.mutual_information, p.cramers_v_release, p.cramers_v_synthetic
            );
        }
        if !f.left_out.is_empty() {
            s.push_str("\n## 生成しない列 / Columns not generated\n\n");
            for l in &f.left_out {
                let _ = writeln!(
                    s,
                    "- {}：レコード符号（1件のレコードを表すため、合成レコードには付けません）/ {}",
                    l.name, l.why
                );
            }
        }
        let _ = writeln!(
            s,
            "\n## 開示の指標 / Disclosure indicator\n\nリリースのいずれかのレコードと（生成したすべての列で）一致する疑似レコード：{} 件（{:.2}%）。一致は偶然の一致であり、その個人のレコードを写したものではありませんが、値の組合せとしては公開済みのものです。/ Synthetic records identical (in every generated column) to some release record: {} ({:.2}%). A match is a coincidence of values the release already holds, not a copy of a person's record.",
            f.identical,
            100.0 * share(f.identical, f.rows),
            f.identical,
            100.0 * share(f.identical, f.rows)
        );
        s
    }
}

/// What `tokumei pseudo` prints: the folder, its files, the tree and the indicator.
pub fn made(out: &Path, files: &[String], fit: &PseudoFit, entry: u64) -> Told {
    let mut s = String::new();
    let _ = writeln!(s, "pseudo-data (疑似データ): {} synthetic rows in {}", fit.rows, out.display());
    for f in files {
        let _ = writeln!(s, "  wrote {}", out.join(f).display());
    }
    let _ = writeln!(
        s,
        "  tree: root {}, {} pair(s) kept, {} not kept; largest marginal TVD {:.4}",
        fit.root,
        fit.kept.len(),
        fit.not_kept.len(),
        fit.columns.iter().map(|c| c.tvd).fold(0.0, f64::max)
    );
    let _ = writeln!(s, "  synthetic records identical to a release record: {} of {}", fit.identical, fit.rows);
    let _ = writeln!(s, "  audit entry {entry}");
    let mut told = Told::out(s);
    if fit.seed_fixed_for_test {
        told.err = "warning: TOKUMEI_TEST_SEED fixed the randomness (a test build): do not provide this file\n".into();
    }
    told
}
