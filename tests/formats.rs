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

/// The sample's first `n` records as a Parquet file of text columns, written with `compression`;
/// column `binary_col` (if any) as binary.
fn sample_parquet(
    env: &Env,
    n: usize,
    compression: parquet::basic::Compression,
    binary_col: Option<(&str, Vec<u8>, usize)>,
) -> std::path::PathBuf {
    let rows = read_csv_cp932(&sample_csv());
    let header = &rows[0];
    let fields: Vec<Field> = header
        .iter()
        .map(|h| {
            let ty =
                if binary_col.as_ref().is_some_and(|(b, _, _)| b == h) { DataType::Binary } else { DataType::Utf8 };
            Field::new(h, ty, true)
        })
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let cols: Vec<ArrayRef> = (0..header.len())
        .map(|j| match &binary_col {
            Some((b, bad, at)) if *b == header[j] => Arc::new(arrow::array::BinaryArray::from(
                rows[1..=n]
                    .iter()
                    .enumerate()
                    .map(|(i, r)| Some(if i == *at { bad.as_slice() } else { r[j].as_bytes() }))
                    .collect::<Vec<_>>(),
            )) as ArrayRef,
            _ => Arc::new(StringArray::from(rows[1..=n].iter().map(|r| Some(r[j].as_str())).collect::<Vec<_>>()))
                as ArrayRef,
        })
        .collect();
    let batch = RecordBatch::try_new(schema.clone(), cols).unwrap();
    let pq = env.path("in.parquet");
    let props = parquet::file::properties::WriterProperties::builder().set_compression(compression).build();
    let mut w = parquet::arrow::ArrowWriter::try_new(std::fs::File::create(&pq).unwrap(), schema, Some(props)).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    pq
}

#[test]
fn parquet_of_every_codec_business_users_write_is_read() {
    use parquet::basic::{BrotliLevel, Compression, GzipLevel, ZstdLevel};
    let mut tuples: Option<Vec<String>> = None;
    for codec in [
        Compression::UNCOMPRESSED,
        Compression::SNAPPY,
        Compression::GZIP(GzipLevel::default()),
        Compression::LZ4,
        Compression::LZ4_RAW,
        Compression::BROTLI(BrotliLevel::default()),
        Compression::ZSTD(ZstdLevel::default()),
    ] {
        let env = Env::new();
        let pq = sample_parquet(&env, 10_000, codec, None);
        let job = env.job("c", &pq, &sample_rules(), "");
        let r = env.tokumei(&["run", job.to_str().unwrap()]);
        assert_eq!(r.code, 0, "{codec:?}: {}", r.stderr);
        let t = qi_tuples(&env);
        match &tuples {
            None => tuples = Some(t),
            Some(first) => assert_eq!(first, &t, "{codec:?} reads differently"),
        }
    }
}

#[test]
fn undecodable_bytes_in_a_binary_parquet_column_are_an_input_error_at_their_row() {
    let env = Env::new();
    let pq = sample_parquet(&env, 500, parquet::basic::Compression::SNAPPY, Some(("氏名", vec![0x93, 0xfa, 0xff], 41)));
    let job = env.job("bin", &pq, &sample_rules(), "");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(r.stderr.contains("row 42, column `氏名`: bytes are not valid UTF-8"), "{}", r.stderr);
    assert!(env.out_files().is_empty());
}

/// An extract read past the page cache (`TOKUMEI_DIRECT_READ=always`: what a file larger than
/// half the memory gets) gives the release and the input digest of one read through it: several
/// direct blocks of 4 MiB and a last partial one, after the first MiB read as it is. Any other
/// setting is refused before anything is written.
#[test]
fn an_extract_read_past_the_page_cache_gives_the_same_release_and_digest() {
    use sha2::Digest;
    let env = Env::new();
    let r = env.tokumei(&[
        "sample",
        "resident-registry",
        "--rows",
        "50000",
        "--seed",
        "7",
        "--encoding",
        "utf-8",
        "--out",
        "big.csv",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let input = env.path("big.csv");
    let bytes = std::fs::read(&input).unwrap();
    assert!(bytes.len() > 9 << 20 && !bytes.len().is_multiple_of(4096), "{} bytes", bytes.len());
    let digest = hex::encode(sha2::Sha256::digest(&bytes));
    let job = env.job("big", &input, &sample_rules(), "");
    let mut releases = Vec::new();
    for mode in ["always", "never"] {
        let r = env.tokumei_with(&["run", job.to_str().unwrap()], &[("TOKUMEI_DIRECT_READ", mode)]);
        assert_eq!(r.code, 0, "{mode}: {}", r.stderr);
        let rep = report(&env.latest());
        assert_eq!(rep["input"]["sha256"].as_str(), Some(digest.as_str()), "{mode}");
        assert_eq!(rep["rows_in"].as_u64(), Some(50_000), "{mode}");
        releases.push(comparable_release(&env.latest(), &rep));
    }
    assert!(releases[0] == releases[1], "the release read past the cache differs");
    let before = env.releases("resident_registry").len();
    let r = env.tokumei_with(&["run", job.to_str().unwrap()], &[("TOKUMEI_DIRECT_READ", "sometimes")]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("TOKUMEI_DIRECT_READ"), "{}", r.stderr);
    assert_eq!(env.releases("resident_registry").len(), before);
}
