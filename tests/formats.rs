//! The same extract as CP932 CSV, UTF-8 CSV with BOM and Parquet gives the same release.

use crate::util::*;
use arrow::array::{ArrayRef, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use std::sync::Arc;

fn qi_tuples(env: &Env) -> Vec<String> {
    let rep = report(&env.latest());
    let t = read_parquet(&env.latest().join("resident_registry.parquet"));
    let qi: Vec<usize> =
        rep["quasi_identifiers"].as_array().unwrap().iter().map(|q| t.col(q.as_str().unwrap())).collect();
    let sens = t.col("障害者手帳");
    let mut v: Vec<String> =
        t.rows.iter().map(|r| format!("{:?}", qi.iter().chain([&sens]).map(|i| &r[*i]).collect::<Vec<_>>())).collect();
    v.sort();
    v
}

#[test]
fn cp932_utf8_bom_and_parquet_inputs_agree() {
    // CP932, as committed.
    let a = Env::new();
    let job = a.job("a", &sample_csv(), &sample_rules(), "encoding = \"cp932\"");
    assert_eq!(a.tokumei(&["run", job.to_str().unwrap()]).code, 0);

    // UTF-8 with BOM, generated from the same seed.
    let b = Env::new();
    let plain = b.path("plain.csv");
    let r = b.tokumei(&[
        "sample",
        "resident-registry",
        "--rows",
        "10000",
        "--seed",
        "2026",
        "--encoding",
        "utf-8",
        "--out",
        plain.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let text = std::fs::read_to_string(&plain).unwrap();
    let (cp932, _, _) = encoding_rs::SHIFT_JIS.encode(&text);
    assert_eq!(cp932.as_ref(), std::fs::read(sample_csv()).unwrap().as_slice(), "sample is reproducible from its seed");
    let bom = b.path("bom.csv");
    std::fs::write(&bom, [&[0xEF, 0xBB, 0xBF][..], text.as_bytes()].concat()).unwrap();
    let job = b.job("b", &bom, &sample_rules(), "encoding = \"auto\"");
    let r = b.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);

    // Parquet with every column as text.
    let c = Env::new();
    let rows = csv_like(&text);
    let header = &rows[0];
    let schema = Arc::new(Schema::new(header.iter().map(|h| Field::new(h, DataType::Utf8, true)).collect::<Vec<_>>()));
    let cols: Vec<ArrayRef> = (0..header.len())
        .map(|j| {
            Arc::new(StringArray::from(rows[1..].iter().map(|r| Some(r[j].as_str())).collect::<Vec<_>>())) as ArrayRef
        })
        .collect();
    let batch = RecordBatch::try_new(schema.clone(), cols).unwrap();
    let pq = c.path("in.parquet");
    let mut w = parquet::arrow::ArrowWriter::try_new(std::fs::File::create(&pq).unwrap(), schema, None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    let job = c.job("c", &pq, &sample_rules(), "");
    let r = c.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rep = report(&c.latest());
    assert_eq!(rep["input"]["format"], "parquet");

    let ta = qi_tuples(&a);
    assert_eq!(ta.len(), report(&a.latest())["rows_out"].as_u64().unwrap() as usize);
    assert_eq!(ta, qi_tuples(&b));
    assert_eq!(ta, qi_tuples(&c));
}
