//! Utility for the business user (issue 32): what changed in every released column and the R-U
//! map, through the real binary. Every number in report.json's `utility` is recomputed here from
//! the input CSV and the released Parquet file, with formulas written afresh (type-7 quantiles
//! as numpy's default, sample variance as R's `var`, Pearson over paired records, TVD as half
//! the L1 distance of the shares).
//!
//! Tolerances: means, quantiles and correlations to 1e-9 relative (the same sums in another
//! order); variances to 1e-9 relative.

use crate::util::*;
use std::collections::HashMap;

const SEED: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
const LEVELS: [f64; 7] = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99];

fn close(a: f64, b: f64, what: &str) {
    assert!((a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0), "{what}: report {a} recomputed {b}");
}

fn days(iso: &str) -> f64 {
    f64::from(tokumei_jp::parse_date(iso).unwrap_or_else(|| panic!("not a date")).days_since_epoch())
}

/// Type 7 quantile of unsorted `v`.
fn quantile(v: &[f64], p: f64) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let h = (s.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    s[lo] + (h - lo as f64) * (s[hi] - s[lo])
}

fn mean_var(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    (m, v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0))
}

fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let (mx, vx) = mean_var(x);
    let (my, vy) = mean_var(y);
    let c: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum::<f64>() / (x.len() as f64 - 1.0);
    c / (vx * vy).sqrt()
}

/// The report's moments against values recomputed.
fn check_moments(m: &serde_json::Value, v: &[f64], what: &str) {
    assert_eq!(m["count"].as_u64().unwrap(), v.len() as u64, "{what} count");
    let (mean, var) = mean_var(v);
    close(m["mean"].as_f64().unwrap(), mean, &format!("{what} mean"));
    close(m["variance"].as_f64().unwrap(), var, &format!("{what} variance"));
    for (i, p) in LEVELS.iter().enumerate() {
        if let Some(q) = m["quantiles"][i].as_f64() {
            close(q, quantile(v, *p), &format!("{what} quantile {p}"));
        }
    }
}

fn column<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["utility"]["columns"].as_array().unwrap().iter().find(|c| c["column"] == name).unwrap()
}

/// Rules over the numbered sample (pseudonymised, so each record keeps its number): 課税所得 and
/// 生年月日 noised, 性別 and 続柄 kept as categories, the rest dropped.
fn pseudonymised_rules() -> String {
    let mut s = String::from("version = 1\ndataset = \"u\"\nmode = \"pseudonymized\"\n");
    s.push_str("[[column]]\nname = \"rid\"\nrole = \"insensitive\"\naction = \"keep\"\n");
    for d in ["宛名番号", "個人番号", "氏名", "氏名カナ", "郵便番号", "住所", "世帯番号", "電話番号", "備考"]
    {
        let role = match d {
            "宛名番号" | "世帯番号" => "linking_code",
            "個人番号" => "identification_code",
            _ => "direct_identifier",
        };
        s.push_str(&format!("[[column]]\nname = \"{d}\"\nrole = \"{role}\"\naction = \"drop\"\n"));
    }
    for d in ["市区町村コード", "国保加入", "要介護度", "障害者手帳"] {
        s.push_str(&format!("[[column]]\nname = \"{d}\"\nrole = \"insensitive\"\naction = \"drop\"\n"));
    }
    s.push_str("[[column]]\nname = \"性別\"\nrole = \"quasi_identifier\"\naction = \"keep\"\n");
    s.push_str("[[column]]\nname = \"続柄\"\nrole = \"quasi_identifier\"\naction = \"keep\"\n");
    s.push_str("[[column]]\nname = \"課税所得\"\nrole = \"insensitive\"\ntype = \"integer\"\naction = \"noise\"\nscale = 0.2\nmin = 0\n");
    s.push_str(
        "[[column]]\nname = \"生年月日\"\nrole = \"insensitive\"\ntype = \"date\"\naction = \"noise\"\nscale = 0.05\n",
    );
    s
}

/// Means, variances, quantiles, the mean change per record, the correlations and the TVD of a
/// noised release, recomputed from the input and the Parquet file (records matched by number).
#[test]
fn what_changed_is_recomputed_from_the_input_and_the_release() {
    let env = Env::new();
    let mut rows = sample_records();
    for (i, r) in rows.iter_mut().enumerate() {
        r.insert(0, if i == 0 { "rid".into() } else { i.to_string() });
    }
    let input = write_rows(&env, "numbered.csv", &rows);
    let job = env.job("u", &input, &env.write("u.toml", &pseudonymised_rules()), "");
    let r = env.tokumei_with(&["run", job.to_str().unwrap()], &[("TOKUMEI_TEST_SEED", SEED)]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let dir = env.latest();
    let rep = report(&dir);
    let t = read_parquet(&dir.join("u.parquet"));
    let h = &rows[0];
    let at = |name: &str| h.iter().position(|c| c == name).unwrap();
    let by_rid: HashMap<&str, &Vec<String>> = rows[1..].iter().map(|r| (r[0].as_str(), r)).collect();
    let (rid, inc, birth) = (t.col("rid"), t.col("課税所得"), t.col("生年月日"));
    let (mut bi, mut ai, mut bb, mut ab) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for r in &t.rows {
        let src = by_rid[r[rid].as_deref().unwrap()];
        bi.push(src[at("課税所得")].parse::<f64>().unwrap());
        ai.push(r[inc].as_deref().unwrap().parse::<f64>().unwrap());
        bb.push(days(&src[at("生年月日")]));
        ab.push(days(r[birth].as_deref().unwrap()));
    }
    assert_eq!(t.rows.len(), rows.len() - 1, "nothing suppressed: every input record is released");
    for (name, before, after) in [("課税所得", &bi, &ai), ("生年月日", &bb, &ab)] {
        let c = column(&rep, name);
        assert_eq!(c["kind"], if name == "生年月日" { "date" } else { "numeric" });
        check_moments(&c["before"], before, &format!("{name} before"));
        check_moments(&c["after"], after, &format!("{name} after"));
        let mac = before.iter().zip(after.iter()).map(|(x, y)| (x - y).abs()).sum::<f64>() / before.len() as f64;
        close(c["mean_abs_change"].as_f64().unwrap(), mac, &format!("{name} mean absolute change"));
        assert!(mac > 0.0, "noise changed {name}");
        // k = 1: no quantile of the input is withheld.
        assert!(c["before"]["quantiles"].as_array().unwrap().iter().all(|q| q.is_f64()));
    }
    let corr = &rep["utility"]["correlation"];
    assert_eq!(corr["columns"], serde_json::json!(["課税所得", "生年月日"]));
    assert_eq!(corr["records"].as_u64().unwrap(), bi.len() as u64);
    let (pb, pa) = (pearson(&bi, &bb), pearson(&ai, &ab));
    close(corr["before"][0][1].as_f64().unwrap(), pb, "correlation before");
    close(corr["after"][1][0].as_f64().unwrap(), pa, "correlation after");
    close(corr["largest_change"].as_f64().unwrap(), (pb - pa).abs(), "largest change");
    // Categories kept as they are: no distance, no record changed.
    let sex = column(&rep, "性別");
    assert_eq!(
        (sex["kind"].as_str(), sex["tvd"].as_f64(), sex["changed_share"].as_f64()),
        (Some("categorical"), Some(0.0), Some(0.0))
    );
    // Every released column is compared or said not to be; rid, kept, did not change.
    let u = &rep["utility"];
    for name in &t.columns {
        let listed = u["columns"].as_array().unwrap().iter().any(|c| c["column"] == name.as_str())
            || u["not_compared"].as_array().unwrap().iter().any(|c| c[0] == name.as_str());
        assert!(listed, "{name} is neither compared nor listed as not compared");
    }
    if let Some(c) = u["columns"].as_array().unwrap().iter().find(|c| c["column"] == "rid") {
        assert_eq!(c["mean_abs_change"].as_f64().or(c["tvd"].as_f64()), Some(0.0), "{c}");
    }
    // The data dictionary says it in short form; the report has a table per column.
    let dict = std::fs::read_to_string(dir.join("data_dictionary.md")).unwrap();
    assert!(dict.contains("mean before") && dict.contains("加工による変化"), "{dict}");
    let en = std::fs::read_to_string(dir.join("report.en.md")).unwrap();
    assert!(en.contains("Utility: what changed") && en.contains("total variation distance"));
}

/// A searched release: the TVD of 性別 (kept, some records suppressed) recomputed; the R-U map
/// has one mark per recorded candidate; the releases of the dataset are compared by their mean
/// column loss in panels of their own (this one and the earlier one, with the loss that release
/// recorded); the SVG is well-formed.
#[test]
fn the_ru_map_marks_every_candidate_and_the_release_before() {
    let env = Env::new();
    let rules = searched_rules(&env, "");
    let job = env.job("s", &sample_csv(), &rules, "");
    for _ in 0..2 {
        let r = env.tokumei(&["run", job.to_str().unwrap()]);
        assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    }
    let dir = env.latest();
    let rep = report(&dir);
    // TVD of 性別 (kept): before and after are counted over the same released records, so that
    // their difference tells nothing of the suppressed ones; a kept column's TVD is then 0 even
    // with records suppressed, which are only counted. Its released shares are recomputed too.
    let t = read_parquet(&dir.join("resident_registry_search.parquet"));
    let j = t.col("性別");
    let released = t.rows.iter().filter(|r| r[j].is_some()).count() as u64;
    let sex = column(&rep, "性別");
    assert_eq!(sex["tvd"].as_f64(), Some(0.0), "{sex}");
    assert_eq!(sex["released"].as_u64(), Some(released));
    assert_eq!(sex["records"].as_u64(), Some(released), "before counts the released records only");
    assert!(rep["suppressed"].as_u64().unwrap() > 0, "the run suppressed records");
    assert_eq!(sex["records_suppressed"].as_u64().unwrap(), rep["suppressed"].as_u64().unwrap());
    // The map: the search's candidates, exactly one chosen, the earlier release listed.
    let map = &rep["utility"]["ru_map"];
    let points = map["points"].as_array().unwrap();
    assert_eq!(points.len() as u64 + map["left_off"].as_u64().unwrap(), rep["search"]["evaluated"].as_u64().unwrap());
    assert_eq!(points.iter().filter(|p| p["chosen"] == true).count(), 1);
    let chosen = points.iter().find(|p| p["chosen"] == true).unwrap();
    assert_eq!(chosen["feasible"], true);
    let levels: Vec<u64> = rep["search"]["levels"].as_array().unwrap().iter().map(|l| l[1].as_u64().unwrap()).collect();
    assert_eq!(levels.len(), chosen["levels"].as_array().unwrap().len());
    for p in points {
        let (x, y) = (p["loss"].as_f64().unwrap(), p["risk_max"].as_f64().unwrap());
        assert!((0.0..=1.0).contains(&x) && (0.0..=1.0).contains(&y), "{p}");
    }
    let earlier = map["earlier"].as_array().unwrap();
    assert_eq!(earlier.len(), 1, "the first run is found in the output folder");
    assert_ne!(earlier[0]["release_id"], rep["release_id"]);
    let first = report(&dir.parent().unwrap().join(earlier[0]["release_id"].as_str().unwrap()));
    assert_eq!(earlier[0]["loss"], first["utility"]["ru_map"]["release_loss"], "the loss that release recorded");
    assert!(map["release_loss"].is_f64());
    let (own, after) =
        (map["release_risk"][0].as_f64().unwrap(), rep["after"]["prosecutor_risk_max"].as_f64().unwrap());
    assert!((own - after).abs() < 1e-9, "this release's own classes: {own} against {after}");
    // The SVG: well-formed; the candidates' panels one mark per candidate, the releases' panels
    // this release and the earlier one.
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    let svgs: Vec<&str> = html.split("<svg").skip(1).map(|s| &s[..s.find("</svg>").unwrap() + 6]).collect();
    let maps: Vec<&&str> = svgs.iter().filter(|s| s.contains("class=\"chosen\"")).collect();
    assert_eq!(maps.len(), 4, "highest and average risk, for the candidates and for the releases");
    for (i, s) in maps.iter().enumerate() {
        let svg = format!("<svg{s}");
        well_formed(&svg);
        let marks = svg.matches("<circle class=\"feasible\"").count()
            + svg.matches("<circle class=\"infeasible\"").count()
            + svg.matches("<rect class=\"chosen\"").count();
        let earlier_marks = svg.matches("<circle class=\"earlier\"").count();
        match i {
            0 | 1 => assert_eq!((marks, earlier_marks), (points.len(), 0)),
            _ => assert_eq!((marks, earlier_marks), (1, 1)),
        }
        assert!(!svg.contains("<script") && !svg.contains("href"));
    }
}

/// With local recoding applied, the released point is Mondrian's (no levels: records have their
/// own), not the global optimum it was compared with.
#[test]
fn with_local_recoding_applied_the_map_marks_the_local_release() {
    let env = Env::new();
    let rules = searched_rules(&env, "local_recoding = \"apply\"");
    let job = env.job("s", &sample_csv(), &rules, "");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let rep = report(&env.latest());
    assert_eq!(rep["search"]["applied"], "local");
    let points = rep["utility"]["ru_map"]["points"].as_array().unwrap();
    let chosen: Vec<&serde_json::Value> = points.iter().filter(|p| p["chosen"] == true).collect();
    assert_eq!(chosen.len(), 1);
    assert!(chosen[0]["levels"].as_array().unwrap().is_empty(), "{}", chosen[0]);
    assert_eq!(chosen[0]["risk_max"], rep["after"]["prosecutor_risk_max"], "the released classes' risk");
    assert_eq!(
        points.len() as u64 + rep["utility"]["ru_map"]["left_off"].as_u64().unwrap(),
        rep["search"]["evaluated"].as_u64().unwrap() + 1
    );
}

/// A small XML well-formedness check: tags nest and close, attributes are quoted, text has no
/// bare `<` or `&` other than entities.
fn well_formed(s: &str) {
    let mut stack: Vec<String> = Vec::new();
    let mut rest = s;
    while let Some(open) = rest.find(['<', '&']) {
        let text = &rest[..open];
        assert!(!text.contains('>'), "bare > in text");
        rest = &rest[open..];
        if rest.starts_with('&') {
            let end = rest.find(';').expect("entity ends");
            assert!(
                matches!(&rest[..=end], "&amp;" | "&lt;" | "&gt;" | "&quot;" | "&#39;" | "&#x27;"),
                "entity {}",
                &rest[..=end]
            );
            rest = &rest[end + 1..];
            continue;
        }
        let close = rest.find('>').expect("tag ends");
        let tag = &rest[1..close];
        rest = &rest[close + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop().as_deref(), Some(name), "closing tag matches");
            continue;
        }
        let selfclosing = tag.ends_with('/');
        let body = tag.trim_end_matches('/');
        let name = body.split_whitespace().next().expect("tag name");
        assert_eq!(body.matches('"').count() % 2, 0, "attribute quotes pair in <{name}>");
        if !selfclosing {
            stack.push(name.to_string());
        }
    }
    assert!(stack.is_empty(), "unclosed: {stack:?}");
}
