//! A run's context on the cluster: a folder the coordinator writes in the run's staging folder
//! (owner-only) and the executors read, named in the plans by its path only. It holds the rules
//! and the input's header (from which an executor validates the same plan), the reference date,
//! the per-release pseudonym key and the key of the release's row order (each an owner-only file,
//! never in a plan or a log), the request stage of residents' requests when one applies (its
//! subjects keyed under the order key: the file names none of the people who asked, though it
//! holds the corrected values), and, once the models decided, the residual scan's request (its
//! hasher's seed, a secret, and the keys it wants) and each released combination's values.
//! The folder is removed with the staging folder's temporaries after the run.

use crate::ClusterError;
use arrow::array::{Array, ArrayRef, RecordBatch};
use arrow::datatypes::{Field, Schema};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use tokumei_engine::distributed::{RowFns, RowScan, ScanRequest};
use tokumei_engine::keys::Key;
use tokumei_engine::requests::RowRequests;

/// What an executor needs besides the keys (no secret: the rules and the header).
#[derive(serde::Serialize, serde::Deserialize)]
struct JobFile {
    rules_path: PathBuf,
    rules_src: String,
    header: Vec<String>,
    reference_days: i32,
}

const JOB: &str = "job.json";
const KEY: &str = "pseudonym.key";
const ORDER_KEY: &str = "order.key";
const RELEASED: &str = "released.arrow";
const SCAN: &str = "scan.bin";
const REQUESTS: &str = "requests.json";

/// An owner-only file (0600 where permissions exist), written whole.
fn private_file(path: &Path, bytes: &[u8]) -> Result<(), ClusterError> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    let mut f = o.open(path).map_err(|e| ClusterError::io(path, e))?;
    f.write_all(bytes).and_then(|_| f.sync_all()).map_err(|e| ClusterError::io(path, e))
}

/// Write the context of a prepared run into `dir` (created owner-only): the rules, the header,
/// the reference date, the pseudonym key (if any) and a fresh key for the release's row order.
pub(crate) fn write(dir: &Path, prepared: &tokumei_engine::Prepared, header: &[String]) -> Result<(), ClusterError> {
    let mut b = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir).map_err(|e| ClusterError::io(dir, e))?;
    let rules_path = prepared.job().rules.clone();
    let rules_src = std::fs::read_to_string(&rules_path).map_err(|e| ClusterError::io(&rules_path, e))?;
    let job = JobFile {
        rules_path,
        rules_src,
        header: header.to_vec(),
        reference_days: prepared.reference_date().days_since_epoch(),
    };
    let text = serde_json::to_vec(&job).map_err(|e| ClusterError::Internal(e.to_string()))?;
    private_file(&dir.join(JOB), &text)?;
    if let Some(key) = prepared.key() {
        private_file(&dir.join(KEY), hex::encode(key.bytes()).as_bytes())?;
    }
    private_file(&dir.join(ORDER_KEY), hex::encode(Key::ephemeral().bytes()).as_bytes())?;
    if let Some(stage) = prepared.row_requests() {
        write_requests(dir, stage)?;
    }
    Ok(())
}

/// Write the request stage for the executors, its subjects keyed under the run's order key (as
/// the executors load it: a key file's bytes are derived from what it holds).
fn write_requests(dir: &Path, stage: &RowRequests) -> Result<(), ClusterError> {
    let order = Key::load(&dir.join(ORDER_KEY))?;
    let keyer = crate::subject_key::SubjectKeyer::new(order.bytes());
    let keyed = stage.keyed(|s| keyer.key(s));
    let text = serde_json::to_vec(&keyed).map_err(|e| ClusterError::Internal(e.to_string()))?;
    private_file(&dir.join(REQUESTS), &text)
}

/// Write each released combination's values (the models' decision) for the executors: the
/// combinations' cells of the global columns (`key`) and, per release column, their released
/// values (`values`); only kept combinations.
pub(crate) fn write_released(dir: &Path, key: &[ArrayRef], values: &[ArrayRef]) -> Result<(), ClusterError> {
    let mut fields = Vec::new();
    let mut columns = Vec::new();
    for (i, a) in key.iter().enumerate() {
        fields.push(Field::new(format!("k{i}"), a.data_type().clone(), true));
        columns.push(a.clone());
    }
    for (i, a) in values.iter().enumerate() {
        fields.push(Field::new(format!("v{i}"), a.data_type().clone(), true));
        columns.push(a.clone());
    }
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), columns).map_err(|e| ClusterError::Internal(e.to_string()))?;
    let mut bytes = Vec::new();
    {
        let mut w = arrow::ipc::writer::FileWriter::try_new(&mut bytes, &schema)
            .map_err(|e| ClusterError::Internal(e.to_string()))?;
        w.write(&batch).and_then(|_| w.finish()).map_err(|e| ClusterError::Internal(e.to_string()))?;
    }
    private_file(&dir.join(RELEASED), &bytes)
}

/// Write the residual scan's request (the run's hasher seed and the keys wanted) for the
/// executors, owner-only.
pub(crate) fn write_scan(dir: &Path, request: &ScanRequest) -> Result<(), ClusterError> {
    private_file(&dir.join(SCAN), &request.to_bytes())
}

/// The released values: a combination's cells (as [`key_of`] makes them) -> its row, and the
/// values of each release column by row.
pub(crate) struct Released {
    rows: HashMap<Vec<u8>, u32>,
    /// Per release column: the values of each combination row.
    pub(crate) values: Vec<ArrayRef>,
}

impl Released {
    /// The released row of the combination whose cells are `key`, if released.
    pub(crate) fn row(&self, key: &[u8]) -> Option<u32> {
        self.rows.get(key).copied()
    }
}

/// A run's context as an executor loaded it.
pub(crate) struct Loaded {
    /// The job's transforms.
    pub(crate) fns: RowFns,
    /// The key of the release's row order.
    pub(crate) order_key: [u8; 32],
    /// The request stage (subjects keyed under the order key), when one applies.
    pub(crate) requests: Option<RowRequests>,
    dir: PathBuf,
    released: OnceLock<Arc<Released>>,
    scan: OnceLock<Arc<RowScan>>,
}

impl Loaded {
    /// The residual scan's half on the rows (loaded once, when the scan runs).
    pub(crate) fn scan(&self) -> Result<Arc<RowScan>, ClusterError> {
        if let Some(s) = self.scan.get() {
            return Ok(s.clone());
        }
        let path = self.dir.join(SCAN);
        let bytes = std::fs::read(&path).map_err(|e| ClusterError::io(&path, e))?;
        let request = ScanRequest::from_bytes(&bytes)?;
        let s = Arc::new(RowScan::new(self.fns.plan(), &request)?);
        Ok(self.scan.get_or_init(|| s).clone())
    }

    /// The released combinations (loaded once, when the release is being written).
    pub(crate) fn released(&self) -> Result<Arc<Released>, ClusterError> {
        if let Some(r) = self.released.get() {
            return Ok(r.clone());
        }
        let r = Arc::new(read_released(&self.dir.join(RELEASED))?);
        Ok(self.released.get_or_init(|| r).clone())
    }
}

/// The contexts an executor has loaded, by folder.
fn cache() -> &'static Mutex<HashMap<PathBuf, Arc<Loaded>>> {
    static CACHE: OnceLock<Mutex<HashMap<PathBuf, Arc<Loaded>>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// The context in `dir`, loaded once per process (the plan validated from the rules and the
/// header, as the coordinator did; the keys read from their owner-only files).
pub(crate) fn load(dir: &Path) -> Result<Arc<Loaded>, ClusterError> {
    let mut cache = cache().lock().map_err(|_| ClusterError::Internal("context cache poisoned".into()))?;
    if let Some(l) = cache.get(dir) {
        return Ok(l.clone());
    }
    // A finished run's folder is gone: forget contexts whose folder no longer exists.
    cache.retain(|d, _| d.exists());
    let path = dir.join(JOB);
    let text = std::fs::read(&path).map_err(|e| ClusterError::io(&path, e))?;
    let job: JobFile = serde_json::from_slice(&text).map_err(|e| ClusterError::Internal(e.to_string()))?;
    let plan = tokumei_rules::validate_rules(&job.rules_path, &job.rules_src, &job.header)
        .map_err(|d| ClusterError::Engine(tokumei_engine::EngineError::Config(d.to_string())))?;
    let key_path = dir.join(KEY);
    let key = match key_path.exists() {
        true => Some(Arc::new(Key::load(&key_path)?)),
        false => None,
    };
    let order = Key::load(&dir.join(ORDER_KEY))?;
    let requests_path = dir.join(REQUESTS);
    let requests = match requests_path.exists() {
        true => {
            let text = std::fs::read(&requests_path).map_err(|e| ClusterError::io(&requests_path, e))?;
            // (serde's message is not shown: it can quote what the file holds.)
            let unreadable =
                || ClusterError::Internal(format!("{REQUESTS} cannot be read (written by another build?)"));
            Some(serde_json::from_slice(&text).map_err(|_| unreadable())?)
        }
        false => None,
    };
    let date = tokumei_jp::Date::from_days_since_epoch(job.reference_days);
    let fns = RowFns::new(plan, date, key)?;
    let loaded = Arc::new(Loaded {
        fns,
        order_key: *order.bytes(),
        requests,
        dir: dir.to_path_buf(),
        released: OnceLock::new(),
        scan: OnceLock::new(),
    });
    cache.insert(dir.to_path_buf(), loaded.clone());
    Ok(loaded)
}

/// Read the released combinations.
fn read_released(path: &Path) -> Result<Released, ClusterError> {
    let f = std::fs::File::open(path).map_err(|e| ClusterError::io(path, e))?;
    let reader = arrow::ipc::reader::FileReader::try_new(f, None).map_err(|e| ClusterError::Internal(e.to_string()))?;
    let schema = reader.schema();
    let batches: Vec<RecordBatch> =
        reader.collect::<Result<_, _>>().map_err(|e| ClusterError::Internal(e.to_string()))?;
    let batch = arrow::compute::concat_batches(&schema, &batches).map_err(|e| ClusterError::Internal(e.to_string()))?;
    let keys: Vec<ArrayRef> = schema
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, f)| f.name().starts_with('k'))
        .map(|(i, _)| batch.column(i).clone())
        .collect();
    let values: Vec<ArrayRef> = schema
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, f)| f.name().starts_with('v'))
        .map(|(i, _)| batch.column(i).clone())
        .collect();
    let mut rows = HashMap::with_capacity(batch.num_rows());
    let mut key = Vec::new();
    for r in 0..batch.num_rows() {
        key.clear();
        for a in &keys {
            key_of(a, r, &mut key)?;
        }
        rows.insert(key.clone(), r as u32);
    }
    Ok(Released { rows, values })
}

/// Append the cell of `a` at `row` to a combination's key: a null and each value told apart
/// (a tag byte, then the value's bytes and, for text, its length).
pub(crate) fn key_of(a: &ArrayRef, row: usize, out: &mut Vec<u8>) -> Result<(), ClusterError> {
    use arrow::array::AsArray;
    use arrow::datatypes::DataType;
    if a.is_null(row) {
        out.push(0);
        return Ok(());
    }
    match a.data_type() {
        DataType::Utf8 => {
            let v = a.as_string::<i32>().value(row).as_bytes();
            out.push(1);
            out.extend_from_slice(&(v.len() as u64).to_le_bytes());
            out.extend_from_slice(v);
        }
        DataType::Int64 => {
            out.push(2);
            out.extend_from_slice(&a.as_primitive::<arrow::datatypes::Int64Type>().value(row).to_le_bytes());
        }
        DataType::Boolean => {
            out.push(3);
            out.push(a.as_boolean().value(row) as u8);
        }
        DataType::Date32 => {
            out.push(4);
            out.extend_from_slice(&a.as_primitive::<arrow::datatypes::Date32Type>().value(row).to_le_bytes());
        }
        other => return Err(ClusterError::Internal(format!("a combination's cell of type {other}"))),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The executors' file names none of the people who asked: their subjects are keyed, and
    /// a record is found by the key of its subject.
    #[test]
    fn the_request_file_keys_its_subjects() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = dir.path().join("ctx");
        std::fs::create_dir(&ctx).unwrap();
        private_file(&ctx.join(ORDER_KEY), hex::encode(Key::ephemeral().bytes()).as_bytes()).unwrap();
        let header: Vec<String> = ["宛名番号", "性別"].iter().map(|s| s.to_string()).collect();
        let fix = vec![("200777111".to_string(), "性別".to_string(), "女".to_string())];
        let stage = RowRequests::new(&header, 0, ["100666383".to_string()], fix, false);
        write_requests(&ctx, &stage).unwrap();
        let text = std::fs::read_to_string(ctx.join(REQUESTS)).unwrap();
        assert!(!text.contains("100666383") && !text.contains("200777111"), "{text}");
        let read: RowRequests = serde_json::from_str(&text).unwrap();
        let order = Key::load(&ctx.join(ORDER_KEY)).unwrap();
        let keyer = crate::subject_key::SubjectKeyer::new(order.bytes());
        use tokumei_engine::requests::Verdict;
        assert_eq!(read.verdict(&keyer.key("100666383")), Verdict::Excluded);
        assert_eq!(read.verdict(&keyer.key("200777111")), Verdict::Passed(&[(1, "女".to_string())]));
        assert_eq!(read.verdict("100666383"), Verdict::Passed(&[]), "not by the subject in clear");
    }
}
