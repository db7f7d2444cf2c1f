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
/// one applied setting with its mean column loss; `after` is the released classes. When local
/// recoding was applied, the release is its own point (Mondrian's quality on the same scale),
/// not the global optimum it was compared with.
pub(crate) fn points(search: Option<&SearchReport>, after: &ClassStats, columns: &[ColumnUtility]) -> RuMap {
    let release_loss = Some(mean_column_loss(columns));
    let release_risk = Some((after.prosecutor_risk_max, after.prosecutor_risk_avg));
    match search {
        Some(s) if !s.candidates.is_empty() => {
            let local = s.local_recoding.as_ref().filter(|_| s.applied == "local");
            let scale = s
                .candidates
                .iter()
                .map(|c| c.loss)
                .chain(local.map(|l| l.quality))
                .filter(|q| q.is_finite())
                .fold(0.0f64, f64::max);
            let relative = |q: f64| if scale > 0.0 && q.is_finite() { (q / scale).clamp(0.0, 1.0) } else { 0.0 };
            let mut points: Vec<RuPoint> = s
                .candidates
                .iter()
                .map(|c| RuPoint { loss: relative(c.loss), chosen: c.chosen && local.is_none(), ..c.clone() })
                .collect();
            if let Some(l) = local {
                points.push(RuPoint {
                    levels: Vec::new(),
                    loss: relative(l.quality),
                    risk_max: after.prosecutor_risk_max,
                    risk_avg: after.prosecutor_risk_avg,
                    suppressed: l.suppressed,
                    feasible: true,
                    chosen: true,
                });
            }
            RuMap {
                loss_measure: format!("quality model {}, relative to the largest candidate", s.quality_model),
                points,
                left_off: s.candidates_left_off,
                earlier: Vec::new(),
                release_loss,
                release_risk,
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
            release_loss,
            release_risk,
        },
    }
}

/// The earlier releases of `dataset` in the output folder `out` (`<out>/<dataset>/<id>/report.json`),
/// newest first, at most 50; a folder without a readable report is passed over. Their loss is
/// their mean column loss (read from a release made before it was recorded: its chosen point's
/// loss when its map measured that, else none).
pub(crate) fn earlier(out: &Path, dataset: &str, this: &str) -> Vec<EarlierRelease> {
    let Ok(entries) = std::fs::read_dir(out.join(dataset)) else { return Vec::new() };
    let mut found: Vec<EarlierRelease> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| tokumei_report::read(&e.path()).ok())
        .filter(|r| r.release_id != this && r.dataset == dataset)
        .map(|r| {
            let loss = r.utility.as_ref().and_then(|u| {
                u.ru_map.release_loss.or_else(|| {
                    (u.ru_map.loss_measure == "mean column loss")
                        .then(|| u.ru_map.points.iter().find(|p| p.chosen).map(|p| p.loss))
                        .flatten()
                })
            });
            EarlierRelease {
                release_id: r.release_id.clone(),
                created_at: r.created_at.clone(),
                loss,
                risk_max: r.after.prosecutor_risk_max,
                risk_avg: r.after.prosecutor_risk_avg,
            }
        })
        .collect();
    found.sort_by(|a, b| b.created_at.cmp(&a.created_at).then_with(|| a.release_id.cmp(&b.release_id)));
    found.truncate(MAX_EARLIER);
    found
}
