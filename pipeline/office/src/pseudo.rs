//! `tokumei pseudo`: pseudo-data (疑似データ) from a published release. The release folder must
//! match its `publishing` entry in the audit log its job used (`--log`, or `--job`): a changed
//! or unknown folder is refused (exit 7). The synthetic file and its dictionaries are made
//! complete in a hidden sibling of the output folder, audited, then renamed into place (complete
//! or invisible); an existing output folder is never touched (exit 8).

use crate::{Clock, OfficeError};
use std::path::{Path, PathBuf};
use tokumei_audit::{JsonlLog, Record, sys};
use tokumei_documents::text::Told;
use tokumei_engine::pseudo::{self, MAX_ROWS, PseudoFit};
use tokumei_release::DiskState;

/// k of the rare-parent rule when the release's report has none.
pub const DEFAULT_K: u64 = 5;

/// What `tokumei pseudo` is asked.
pub struct PseudoAsk<'a> {
    /// The release folder.
    pub release: &'a Path,
    /// Synthetic rows.
    pub rows: u64,
    /// The output folder (must not exist).
    pub out: &'a Path,
    /// The audit log (`--log`), unless `job` names it.
    pub log: &'a Path,
    /// A job file naming the audit log.
    pub job: Option<&'a Path>,
    /// Who asks (recorded in the audit entry).
    pub operator: String,
}

/// `--rows`: a whole number from 1 to [`MAX_ROWS`].
pub fn rows(s: &str) -> Result<u64, String> {
    s.parse::<u64>()
        .ok()
        .filter(|n| (1..=MAX_ROWS).contains(n))
        .ok_or_else(|| format!("--rows must be a whole number from 1 to {MAX_ROWS}"))
}

/// What the release's report says that generation needs.
struct Source {
    release_id: String,
    dataset: String,
    parquet: PathBuf,
    k: u64,
}

/// The release folder, checked against its audit entry, and its report.
fn source(ask: &PseudoAsk, log: &JsonlLog) -> Result<Source, OfficeError> {
    let shown = ask.release.display();
    let release = tokumei_release::resolve(ask.release);
    let found = tokumei_release::find_releases(&release);
    let folder = match found.as_slice() {
        [one] if one.dir == release => one.clone(),
        _ => {
            return Err(OfficeError::Usage(format!(
                "{shown} is not a release folder (a folder holding a release's report.json and Parquet file)"
            )));
        }
    };
    if !log.exists()? {
        return Err(refused(format!(
            "audit log {} does not exist: give the log the release's job used (--log or --job)",
            log.path().display()
        )));
    }
    let entries = log.entries()?;
    let Some(entry) = folder.entry(&entries) else {
        return Err(refused(format!(
            "release folder {shown} has no `publishing` entry in audit log {}: pseudo-data is made only from a release its log records (give the log its job used: --log or --job)",
            log.path().display()
        )));
    };
    match folder.state(entry) {
        DiskState::Matches => {}
        DiskState::Differs(what) => {
            return Err(refused(format!(
                "release folder {shown}: {what}; refused: it is not the release its audit entry records"
            )));
        }
        DiskState::Absent => return Err(refused(format!("release folder {shown} is gone"))),
    }
    let report = std::fs::read_to_string(folder.dir.join("report.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .ok_or_else(|| OfficeError::Input(format!("{shown}/report.json cannot be read as a release report")))?;
    let text = |key: &str| report.get(key).and_then(|v| v.as_str()).map(str::to_string);
    let file = text("output_file")
        .filter(|f| !f.contains(['/', '\\']) && f.ends_with(".parquet"))
        .ok_or_else(|| OfficeError::Input(format!("{shown}/report.json names no Parquet file")))?;
    Ok(Source {
        release_id: folder.release_id.clone(),
        dataset: text("dataset")
            .filter(|d| !d.is_empty() && !d.contains(['/', '\\']) && !d.starts_with('.'))
            .unwrap_or_else(|| file.trim_end_matches(".parquet").to_string()),
        parquet: folder.dir.join(file),
        k: report.get("k").and_then(|v| v.as_u64()).filter(|k| *k >= 1).unwrap_or(DEFAULT_K),
    })
}

/// An audit refusal (exit 7).
fn refused(message: String) -> OfficeError {
    OfficeError::Audit(tokumei_audit::AuditError::Anchor(message))
}

/// Make pseudo-data from a release (see the module's description): what was written.
pub fn pseudo(ask: PseudoAsk) -> Result<Told, OfficeError> {
    if !(1..=MAX_ROWS).contains(&ask.rows) {
        return Err(OfficeError::Usage(format!("--rows must be a whole number from 1 to {MAX_ROWS}")));
    }
    let rows = ask.rows;
    let out = tokumei_release::resolve(ask.out);
    if std::fs::symlink_metadata(ask.out).is_ok() {
        return Err(OfficeError::Output(format!(
            "{} already exists: pseudo-data is never written over anything",
            ask.out.display()
        )));
    }
    let (log_path, _) = crate::audit::log_of(ask.log, ask.job)?;
    let log = JsonlLog::new(&log_path);
    let src = source(&ask, &log)?;
    let parent = out
        .parent()
        .filter(|p| p.is_dir())
        .ok_or_else(|| OfficeError::Output(format!("{}: its parent folder does not exist", ask.out.display())))?;
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temp = parent.join(format!(".tokumei-pseudo-{name}-{}", sys::random_tag()));
    std::fs::create_dir(&temp).map_err(|cause| OfficeError::Write { path: temp.clone(), cause })?;
    let made = make(&src, rows, &temp, &log, &ask.operator, &out);
    let made = match made {
        Ok(m) => m,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&temp);
            return Err(e);
        }
    };
    // A crash here (kill -9) leaves the audit entry and the hidden folder, never `out`.
    let placed = sys::failpoint::hit("pseudo-rename").and_then(|()| std::fs::rename(&temp, &out));
    if let Err(cause) = placed {
        let _ = std::fs::remove_dir_all(&temp);
        // The entry above named files that never appeared: say so (best effort; the error is
        // the rename's).
        let _ = log.append(Record {
            time: Clock::now().map(|c| c.entry_time()).unwrap_or_default(),
            operator: ask.operator.clone(),
            action: "pseudo".into(),
            status: "failed".into(),
            release_id: Some(src.release_id.clone()),
            error: Some(format!("output: the folder could not be put in place ({})", cause.kind())),
            details: [("pseudo_entry".to_string(), serde_json::Value::from(made.2))].into_iter().collect(),
            ..Record::default()
        });
        return Err(OfficeError::Write { path: out, cause });
    }
    let _ = sys::sync_dir(parent);
    Ok(crate::pseudo_dictionary::made(&out, &made.0, &made.1, made.2))
}

/// Write the file and its dictionaries into `temp` and audit them: the file names, the fit and
/// the audit entry's number.
fn make(
    src: &Source,
    rows: u64,
    temp: &Path,
    log: &JsonlLog,
    operator: &str,
    out: &Path,
) -> Result<(Vec<String>, PseudoFit, u64), OfficeError> {
    let file = format!("{}.pseudo.parquet", src.dataset);
    let metadata = vec![
        ("tokumei:synthetic".to_string(), "true".to_string()),
        ("tokumei:source_release".to_string(), src.release_id.clone()),
        ("tokumei:rows".to_string(), rows.to_string()),
        ("tokumei:generator".to_string(), "Chow-Liu tree over the release's columns (tokumei pseudo)".to_string()),
        ("tokumei.version".to_string(), env!("CARGO_PKG_VERSION").to_string()),
    ];
    let ask = pseudo::PseudoAsk { release: &src.parquet, k: src.k, rows, out: &temp.join(&file), metadata };
    let fit = pseudo::generate(ask)?;
    let dictionary = crate::pseudo_dictionary::Dictionary { release_id: &src.release_id, file: &file, fit: &fit };
    let json = serde_json::to_string_pretty(&dictionary.json()).map_err(|e| OfficeError::Internal(e.to_string()))?;
    for (name, text) in [("pseudo_dictionary.md", dictionary.markdown()), ("pseudo_dictionary.json", json + "\n")] {
        let path = temp.join(name);
        std::fs::write(&path, text).map_err(|cause| OfficeError::Write { path, cause })?;
    }
    let mut outputs = Vec::new();
    for name in [file.as_str(), "pseudo_dictionary.md", "pseudo_dictionary.json"] {
        let path = temp.join(name);
        let hash = sys::sha256_file(&path).map_err(|cause| OfficeError::Write { path, cause })?;
        outputs.push(format!("{name}={hash}"));
    }
    let mut details = serde_json::Map::new();
    details.insert("source_release".into(), src.release_id.clone().into());
    details.insert("rows".into(), rows.into());
    details.insert("k".into(), src.k.into());
    details.insert("identical_records".into(), fit.identical.into());
    details.insert("out".into(), out.display().to_string().into());
    details.insert("seed_fixed_for_test".into(), fit.seed_fixed_for_test.into());
    let record = Record {
        time: Clock::now()?.entry_time(),
        operator: operator.to_string(),
        action: "pseudo".into(),
        status: "ok".into(),
        dataset: Some(src.dataset.clone()),
        release_id: Some(src.release_id.clone()),
        mode: Some("synthetic".into()),
        outputs,
        details,
        ..Record::default()
    };
    let entry = log.append(record)?;
    Ok((vec![file, "pseudo_dictionary.md".into(), "pseudo_dictionary.json".into()], fit, entry.seq))
}
