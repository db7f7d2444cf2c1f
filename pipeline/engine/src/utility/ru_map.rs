//! The risk-utility map: information loss against re-identification risk for the settings the
//! search evaluated (or the one applied), with the earlier releases of the dataset found in
//! the output folder, and its drawing as inline SVG (no script, no network).

use std::path::Path;
use tokumei_report::{ClassStats, ColumnUtility, EarlierRelease, RuMap, RuPoint, SearchReport};

/// Earlier releases read at most (the newest by creation time).
const MAX_EARLIER: usize = 50;

/// The loss of a run without a search: the mean over its compared columns of each column's loss
/// (categories: the total variation distance; numbers and dates: the mean absolute change over
/// the input's standard deviation, at most 1).
pub(crate) fn mean_column_loss(columns: &[ColumnUtility]) -> f64 {
    let losses: Vec<f64> = columns
        .iter()
        .filter_map(|c| match (c.tvd, c.mean_abs_change, &c.before) {
            (Some(t), _, _) => Some(t),
            (None, Some(m), Some(b)) if b.variance > 0.0 => Some((m / b.variance.sqrt()).min(1.0)),
            (None, Some(m), _) => Some(if m > 0.0 { 1.0 } else { 0.0 }),
            _ => None,
        })
        .collect();
    if losses.is_empty() { 0.0 } else { losses.iter().sum::<f64>() / losses.len() as f64 }
}

/// The map's points: the search's candidates, their quality relative to the largest, or the
/// one applied setting with its mean column loss; `after` is the released classes.
pub(crate) fn points(search: Option<&SearchReport>, after: &ClassStats, columns: &[ColumnUtility]) -> RuMap {
    match search {
        Some(s) if !s.candidates.is_empty() => {
            let scale = s.candidates.iter().map(|c| c.loss).filter(|q| q.is_finite()).fold(0.0f64, f64::max);
            let points = s
                .candidates
                .iter()
                .map(|c| RuPoint {
                    loss: if scale > 0.0 { (c.loss / scale).clamp(0.0, 1.0) } else { 0.0 },
                    ..c.clone()
                })
                .collect();
            RuMap {
                loss_measure: format!("quality model {}, relative to the largest candidate", s.quality_model),
                points,
                left_off: s.candidates_left_off,
                earlier: Vec::new(),
            }
        }
        _ => RuMap {
            loss_measure: "mean column loss".into(),
            points: vec![RuPoint {
                levels: Vec::new(),
                loss: mean_column_loss(columns),
                risk_max: after.prosecutor_risk_max,
                risk_avg: after.prosecutor_risk_avg,
                suppressed: 0,
                feasible: true,
                chosen: true,
            }],
            left_off: 0,
            earlier: Vec::new(),
        },
    }
}

/// The earlier releases of `dataset` in the output folder `out` (`<out>/<dataset>/<id>/report.json`),
/// newest first, at most 50; a folder without a readable report is passed over. Their loss is
/// given when measured as `measure`.
pub(crate) fn earlier(out: &Path, dataset: &str, this: &str, measure: &str) -> Vec<EarlierRelease> {
    let Ok(entries) = std::fs::read_dir(out.join(dataset)) else { return Vec::new() };
    let mut found: Vec<EarlierRelease> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| tokumei_report::read(&e.path()).ok())
        .filter(|r| r.release_id != this && r.dataset == dataset)
        .map(|r| {
            let chosen = r
                .utility
                .as_ref()
                .filter(|u| u.ru_map.loss_measure == measure)
                .and_then(|u| u.ru_map.points.iter().find(|p| p.chosen));
            EarlierRelease {
                release_id: r.release_id.clone(),
                created_at: r.created_at.clone(),
                loss: chosen.map(|p| p.loss),
                risk_max: r.after.prosecutor_risk_max,
                risk_avg: r.after.prosecutor_risk_avg,
            }
        })
        .collect();
    found.sort_by(|a, b| b.created_at.cmp(&a.created_at).then_with(|| a.release_id.cmp(&b.release_id)));
    found.truncate(MAX_EARLIER);
    found
}
