//! A scatter plot as inline SVG (no script, no network): the risk-utility map's drawing. Every
//! text is escaped; each mark is one `<circle>` (or `<rect>` for the setting released) with its
//! class `feasible`, `infeasible`, `chosen` or `earlier` and a `<title>` saying what it is.

use std::fmt::Write;
use tokumei_words::escape_line as html;

/// What a mark stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkKind {
    /// A setting that meets the models within the suppression limit.
    Feasible,
    /// A setting that does not.
    Infeasible,
    /// The setting released.
    Chosen,
    /// An earlier release.
    Earlier,
}

impl MarkKind {
    fn class(self) -> &'static str {
        match self {
            MarkKind::Feasible => "feasible",
            MarkKind::Infeasible => "infeasible",
            MarkKind::Chosen => "chosen",
            MarkKind::Earlier => "earlier",
        }
    }
}

/// One mark: x and y from 0 to 1, its kind and its tooltip.
#[derive(Debug, Clone, PartialEq)]
pub struct Mark {
    /// Horizontal position, 0 to 1.
    pub x: f64,
    /// Vertical position, 0 to 1.
    pub y: f64,
    /// What it is.
    pub kind: MarkKind,
    /// Its tooltip.
    pub label: String,
}

/// A scatter plot of `marks` (x and y from 0 to 1; the y axis labelled from 0 to `y_max`), with
/// axis titles and a legend.
pub fn svg(title: &str, x_title: &str, y_title: &str, y_max: f64, legend: [&str; 4], marks: &[Mark]) -> String {
    let (l, t, w, h) = (60.0, 16.0, 420.0, 260.0);
    let mut o = format!(
        "<figure><figcaption>{}</figcaption><svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"{}\" height=\"{}\" aria-label=\"{}\">",
        html(title),
        l + w + 150.0,
        t + h + 50.0,
        html(title)
    );
    let _ = write!(o, "<rect x=\"{l}\" y=\"{t}\" width=\"{w}\" height=\"{h}\" fill=\"none\" stroke=\"#999\"/>");
    for i in 0..=4 {
        let f = f64::from(i) / 4.0;
        let (x, y) = (l + f * w, t + h - f * h);
        let _ = write!(
            o,
            "<text x=\"{x}\" y=\"{}\" text-anchor=\"middle\" fill=\"#555\">{f:.2}</text><text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#555\">{:.3}</text>",
            t + h + 16.0,
            l - 6.0,
            y + 4.0,
            f * y_max
        );
    }
    let _ = write!(
        o,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text><text x=\"14\" y=\"{}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {})\">{}</text>",
        l + w / 2.0,
        t + h + 40.0,
        html(x_title),
        t + h / 2.0,
        t + h / 2.0,
        html(y_title)
    );
    // The chosen setting last, so it is drawn on top.
    let mut order: Vec<&Mark> = marks.iter().filter(|m| m.kind != MarkKind::Chosen).collect();
    order.extend(marks.iter().filter(|m| m.kind == MarkKind::Chosen));
    for m in order {
        let (x, y) = (l + m.x.clamp(0.0, 1.0) * w, t + h - m.y.clamp(0.0, 1.0) * h);
        let label = html(&m.label);
        let class = m.kind.class();
        let _ = match m.kind {
            MarkKind::Chosen => write!(
                o,
                "<rect class=\"{class}\" x=\"{:.1}\" y=\"{:.1}\" width=\"10\" height=\"10\" fill=\"#c62828\"><title>{label}</title></rect>",
                x - 5.0,
                y - 5.0
            ),
            _ => {
                let style = match m.kind {
                    MarkKind::Feasible => "fill=\"#3f6fb5\" fill-opacity=\"0.6\"",
                    MarkKind::Infeasible => "fill=\"none\" stroke=\"#999\"",
                    _ => "fill=\"#f9a825\" stroke=\"#6d4c00\"",
                };
                write!(
                    o,
                    "<circle class=\"{class}\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3.5\" {style}><title>{label}</title></circle>"
                )
            }
        };
    }
    let kinds = [MarkKind::Feasible, MarkKind::Infeasible, MarkKind::Chosen, MarkKind::Earlier];
    for (i, (k, name)) in kinds.iter().zip(legend).enumerate() {
        let y = t + 10.0 + 18.0 * i as f64;
        let fill = match k {
            MarkKind::Feasible => "#3f6fb5",
            MarkKind::Infeasible => "#fff",
            MarkKind::Chosen => "#c62828",
            MarkKind::Earlier => "#f9a825",
        };
        let _ = write!(
            o,
            "<g class=\"legend\"><rect x=\"{}\" y=\"{}\" width=\"8\" height=\"8\" fill=\"{fill}\" stroke=\"#666\"/><text x=\"{}\" y=\"{}\">{}</text></g>",
            l + w + 10.0,
            y - 8.0,
            l + w + 22.0,
            y,
            html(name)
        );
    }
    o.push_str("</svg></figure>\n");
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_mark_per_point_and_every_text_escaped() {
        let marks = vec![
            Mark { x: 0.2, y: 0.5, kind: MarkKind::Feasible, label: "<script>".into() },
            Mark { x: 2.0, y: -1.0, kind: MarkKind::Infeasible, label: "b".into() },
            Mark { x: 0.1, y: 0.1, kind: MarkKind::Chosen, label: "c".into() },
        ];
        let s = svg("t&", "x", "y", 1.0, ["f", "i", "c", "e"], &marks);
        assert_eq!(s.matches("<circle").count(), 2);
        assert_eq!(s.matches("<rect class=\"chosen\"").count(), 1);
        assert!(!s.contains("<script>") && s.contains("t&amp;"));
        assert!(!s.contains("http://") || s.matches("http://").count() == 1, "only the SVG namespace");
    }
}
