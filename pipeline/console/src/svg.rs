//! Charts as inline SVG (no script, no remote asset): grouped bars with their numbers.

use maud::{Markup, html};

/// One series of a bar chart.
pub(crate) struct Series<'a> {
    /// Its name in the legend.
    pub name: &'a str,
    /// Its style class (`a`, `b`).
    pub class: &'static str,
    /// One value per label.
    pub values: Vec<u64>,
}

const W: f64 = 720.0;
const H: f64 = 276.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 44.0;
const BOTTOM: f64 = 44.0;

fn round(x: f64) -> String {
    format!("{:.1}", x)
}

/// A grouped bar chart: one group per label, one bar per series, each bar with its number.
pub(crate) fn bars(title: &str, labels: &[String], series: &[Series]) -> Markup {
    let n = labels.len().max(1) as f64;
    let max = series.iter().flat_map(|s| s.values.iter().copied()).max().unwrap_or(0).max(1) as f64;
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let group = plot_w / n;
    let bar = (group * 0.8 / series.len().max(1) as f64).max(1.0);
    let y = |v: f64| TOP + plot_h - v / max * plot_h;
    let ticks = [0.0, max / 2.0, max];
    html! {
        svg.chart viewBox=(format!("0 0 {W} {H}")) role="img" aria-label=(title) xmlns="http://www.w3.org/2000/svg" {
            title { (title) }
            @for t in ticks {
                line.grid x1=(LEFT) x2=(W - RIGHT) y1=(round(y(t))) y2=(round(y(t))) {}
                text.tick x=(LEFT - 6.0) y=(round(y(t) + 4.0)) text-anchor="end" { (format!("{}", t.round() as u64)) }
            }
            @for (i, label) in labels.iter().enumerate() {
                @let x0 = LEFT + group * i as f64 + group * 0.1;
                @for (j, s) in series.iter().enumerate() {
                    @let v = s.values.get(i).copied().unwrap_or(0);
                    @let x = x0 + bar * j as f64;
                    rect class=(s.class) x=(round(x)) y=(round(y(v as f64))) width=(round(bar - 1.0))
                        height=(round(TOP + plot_h - y(v as f64))) {
                        title { (s.name) " " (label) ": " (v) }
                    }
                    @if v > 0 && bar >= 14.0 {
                        text.value x=(round(x + bar / 2.0)) y=(round(y(v as f64) - 3.0)) text-anchor="middle" { (v) }
                    }
                }
                text.label x=(round(LEFT + group * (i as f64 + 0.5))) y=(round(H - BOTTOM + 16.0)) text-anchor="middle" { (label) }
            }
            line.axis x1=(LEFT) x2=(W - RIGHT) y1=(round(TOP + plot_h)) y2=(round(TOP + plot_h)) {}
            @for (j, s) in series.iter().enumerate() {
                @let lx = W - RIGHT - 150.0 * (series.len() - j) as f64;
                rect class=(s.class) x=(round(lx)) y="8" width="12" height="12" {}
                text.legend x=(round(lx + 16.0)) y="18" { (s.name) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_has_a_bar_per_value_and_its_numbers() {
        let labels = vec!["1".to_string(), "2".to_string(), "3-4".to_string()];
        let svg = bars(
            "sizes",
            &labels,
            &[
                Series { name: "before", class: "a", values: vec![1, 8, 0] },
                Series { name: "after", class: "b", values: vec![0, 0, 12] },
            ],
        )
        .into_string();
        assert_eq!(svg.matches("<rect class=\"a\"").count(), 4, "3 bars and the legend: {svg}");
        assert!(svg.contains(">12</text>") && svg.contains(">8</text>"), "{svg}");
        assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
        // An empty chart still draws.
        assert!(bars("none", &[], &[]).into_string().starts_with("<svg"));
    }
}
