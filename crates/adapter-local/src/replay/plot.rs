//! The replay's picture: cold starts against wasted memory for each profile and keep-alive
//! policy (the trade-off figure of Shahrad et al., ATC 2020, Figure 15/16), next to the cost of
//! each run on each provider.
//!
//! Drawn with `plotters` into SVG text: no system fonts, no bitmap encoders (text sizes come
//! from plotters' built-in estimate, and the viewer renders the text).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::report::ReplayReport;
use crate::profile::ProfileKind;

/// Width and height of the picture, in SVG pixels.
pub const PLOT_SIZE: (u32, u32) = (1200, 520);

/// A picture that could not be drawn.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlotError {
    /// The report has no runs to draw.
    #[error("the replay report has no runs to plot")]
    NoRuns,
    /// plotters failed.
    #[error("cannot draw the plot: {0}")]
    Draw(String),
}

fn draw_error(e: impl std::fmt::Display) -> PlotError {
    PlotError::Draw(e.to_string())
}

/// One colour per profile, one per provider: the same palette on both panels.
const COLOURS: [RGBColor; 4] = [
    RGBColor(0xE6, 0x7E, 0x22), // aws
    RGBColor(0x34, 0x98, 0xDB), // gcp
    RGBColor(0x27, 0xAE, 0x60), // azure
    RGBColor(0x8E, 0x44, 0xAD), // custom
];

impl ReplayReport {
    /// The report as an SVG document: on the left, the cold-start percentage of each run
    /// against its idle memory time (GB-s), one colour per profile, filled dots for fixed
    /// keep-alive windows and squares for the hybrid policy; on the right, each run's cost on
    /// each provider.
    ///
    /// # Errors
    /// [`PlotError::NoRuns`] for an empty report, [`PlotError::Draw`] if plotters fails.
    pub fn to_svg(&self) -> Result<String, PlotError> {
        if self.runs.is_empty() {
            return Err(PlotError::NoRuns);
        }
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, PLOT_SIZE).into_drawing_area();
            root.fill(&WHITE).map_err(draw_error)?;
            let (left, right) = root.split_horizontally(PLOT_SIZE.0 / 2);
            self.draw_tradeoff(&left)?;
            self.draw_costs(&right)?;
            root.present().map_err(draw_error)?;
        }
        Ok(svg)
    }

    fn draw_tradeoff(&self, area: &DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), PlotError> {
        let max_idle = self
            .runs
            .iter()
            .map(|r| r.idle_gb_seconds)
            .fold(0.0_f64, f64::max);
        let max_cold = self
            .runs
            .iter()
            .map(|r| r.cold_start_rate * 100.0)
            .fold(0.0_f64, f64::max);
        let mut chart = ChartBuilder::on(area)
            .caption("Cold starts against wasted memory", ("sans-serif", 20))
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(56)
            .build_cartesian_2d(0.0..pad(max_idle), 0.0..pad(max_cold))
            .map_err(draw_error)?;
        chart
            .configure_mesh()
            .x_desc("idle memory time (GB-s)")
            .y_desc("cold starts (% of invocations)")
            .draw()
            .map_err(draw_error)?;
        for run in &self.runs {
            let colour = COLOURS[profile_index(run.profile)];
            let point = (run.idle_gb_seconds, run.cold_start_rate * 100.0);
            let label = format!("{} {}", run.profile, run.keep_alive);
            let text = Text::new(label, (9, -14), ("sans-serif", 13));
            let drawn = if run.keep_alive.starts_with("hybrid") {
                chart.draw_series(std::iter::once(
                    EmptyElement::at(point)
                        + Rectangle::new([(-6, -6), (6, 6)], colour.filled())
                        + text,
                ))
            } else {
                chart.draw_series(std::iter::once(
                    EmptyElement::at(point) + Circle::new((0, 0), 6, colour.filled()) + text,
                ))
            };
            drawn.map_err(draw_error)?;
        }
        Ok(())
    }

    fn draw_costs(&self, area: &DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), PlotError> {
        let providers: Vec<String> = self.runs[0].costs.iter().map(|c| c.label.clone()).collect();
        let max_cost = self
            .runs
            .iter()
            .flat_map(|r| r.costs.iter().map(|c| c.total))
            .fold(0.0_f64, f64::max);
        let runs = self.runs.len();
        let labels: Vec<String> = self
            .runs
            .iter()
            .map(|r| format!("{} {}", r.profile, short(&r.keep_alive)))
            .collect();
        let mut chart = ChartBuilder::on(area)
            .caption(
                format!("Cost per run and provider ({})", self.currency),
                ("sans-serif", 20),
            )
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(0.0..runs as f64, 0.0..pad(max_cost))
            .map_err(draw_error)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(runs * 2 + 1)
            .x_label_formatter(&|x| {
                // A label under the middle of each group of bars only.
                let i = x.floor();
                if (x - i - 0.5).abs() < 1e-9 {
                    labels.get(i as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .y_desc("cost")
            .draw()
            .map_err(draw_error)?;
        let width = 0.8 / providers.len().max(1) as f64;
        for (j, provider) in providers.iter().enumerate() {
            let colour = COLOURS[j % COLOURS.len()];
            chart
                .draw_series(self.runs.iter().enumerate().filter_map(|(i, run)| {
                    let total = run.costs.get(j)?.total;
                    let x0 = i as f64 + 0.1 + j as f64 * width;
                    Some(Rectangle::new(
                        [(x0, 0.0), (x0 + width, total)],
                        colour.filled(),
                    ))
                }))
                .map_err(draw_error)?
                .label(provider.clone())
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 10, y + 5)], colour.filled())
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(draw_error)?;
        Ok(())
    }
}

/// The top of an axis: 10 % above the largest value, and something drawable when it is zero.
fn pad(max: f64) -> f64 {
    if max > 0.0 {
        max * 1.1
    } else {
        1.0
    }
}

fn profile_index(profile: ProfileKind) -> usize {
    match profile {
        ProfileKind::Aws => 0,
        ProfileKind::Gcp => 1,
        ProfileKind::Azure => 2,
        _ => 3,
    }
}

/// `fixed 10 min` → `10 min`, `hybrid` → `hybrid`: short labels under the bars.
fn short(policy: &str) -> &str {
    policy.strip_prefix("fixed ").unwrap_or(policy)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meter::BillingProvider;
    use crate::replay::report::{ReplayRun, RunCost};
    use crate::replay::TraceSummary;

    fn run(profile: ProfileKind, keep_alive: &str, cold: f64, idle: f64) -> ReplayRun {
        ReplayRun {
            profile,
            keep_alive: keep_alive.to_owned(),
            invocations: 100,
            cold_starts: (cold * 100.0) as u64,
            cold_start_rate: cold,
            cold_start_p75: cold,
            prewarms: 0,
            throttles: 0,
            errors: 0,
            instances: 3,
            instance_seconds: idle * 10.0,
            idle_instance_seconds: idle * 8.0,
            idle_gb_seconds: idle,
            simulated_seconds: 3600.0,
            costs: vec![
                RunCost {
                    provider: BillingProvider::AwsLambda,
                    label: "aws lambda".into(),
                    total: 1.25,
                },
                RunCost {
                    provider: BillingProvider::CloudRun,
                    label: "cloud run".into(),
                    total: 2.5,
                },
            ],
        }
    }

    /// A fixed-window run (20 % cold, 50 GB-s idle) and a hybrid one (10 %, 20 GB-s) under aws.
    fn two_runs() -> ReplayReport {
        ReplayReport {
            trace: TraceSummary {
                functions: 1,
                invocations: 100,
                span_ms: 1.0,
            },
            price_version: "test".into(),
            currency: "USD".into(),
            runs: vec![
                run(ProfileKind::Aws, "fixed 10 min", 0.2, 50.0),
                run(ProfileKind::Aws, "hybrid", 0.1, 20.0),
            ],
        }
    }

    #[test]
    fn the_svg_has_a_point_per_run_and_a_bar_per_run_and_provider() {
        let svg = two_runs().to_svg().expect("drawn");
        assert!(svg.starts_with("<svg"), "{}", &svg[..80.min(svg.len())]);
        assert!(svg.contains("aws fixed 10 min") && svg.contains("aws hybrid"));
        assert!(svg.contains("Cold starts against wasted memory"));
        assert!(svg.contains("aws lambda") && svg.contains("cloud run"));
        // One filled circle (fixed) and one square (hybrid) on the left.
        assert_eq!(svg.matches("<circle").count(), 1, "{svg}");
        // At least the hybrid square, 2 runs × 2 providers of bars and 2 legend swatches.
        assert!(svg.matches("<rect").count() >= 1 + 4 + 2, "{svg}");
    }

    /// The SVG's elements named `tag` with fill `colour`, as numeric attributes.
    fn shapes(doc: &roxmltree::Document<'_>, tag: &str, colour: RGBColor) -> Vec<Vec<f64>> {
        let fill = format!("#{:02X}{:02X}{:02X}", colour.0, colour.1, colour.2);
        let attrs: &[&str] = if tag == "circle" {
            &["cx", "cy", "r"]
        } else {
            &["x", "y", "width", "height"]
        };
        doc.descendants()
            .filter(|n| n.has_tag_name(tag))
            .filter(|n| {
                n.attribute("fill")
                    .is_some_and(|f| f.eq_ignore_ascii_case(&fill))
            })
            .map(|n| {
                attrs
                    .iter()
                    .map(|a| n.attribute(*a).and_then(|v| v.parse().ok()).expect(a))
                    .collect()
            })
            .collect()
    }

    #[test]
    fn the_svg_parses_and_places_each_run_and_each_bar_by_its_value() {
        let svg = two_runs().to_svg().expect("drawn");
        let doc = roxmltree::Document::parse(&svg).expect("well-formed XML");
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        assert_eq!(root.attribute("width"), Some("1200"));
        let half = f64::from(PLOT_SIZE.0) / 2.0;
        // Left panel: the fixed run's dot at more idle memory (right) and more cold starts
        // (higher, so a smaller y) than the hybrid run's square.
        let dots = shapes(&doc, "circle", COLOURS[0]);
        assert_eq!(dots.len(), 1, "{dots:?}");
        let (cx, cy) = (dots[0][0], dots[0][1]);
        let squares: Vec<_> = shapes(&doc, "rect", COLOURS[0])
            .into_iter()
            .filter(|r| r[0] < half && (r[2] - 12.0).abs() <= 1.0)
            .collect();
        assert_eq!(squares.len(), 1, "{squares:?}");
        let (sx, sy) = (squares[0][0] + 6.0, squares[0][1] + 6.0);
        assert!(cx < half && cx > sx + 50.0, "dot {cx}, square {sx}");
        assert!(cy + 50.0 < sy, "dot {cy}, square {sy}");
        // Right panel: two bars per provider; the cloud run bars (2.50) are twice the aws lambda
        // bars (1.25), all on one baseline.
        let bars = |colour| -> Vec<Vec<f64>> {
            shapes(&doc, "rect", colour)
                .into_iter()
                .filter(|r| r[0] >= half && r[3] > 10.5)
                .collect()
        };
        let (aws, run_bars) = (bars(COLOURS[0]), bars(COLOURS[1]));
        assert_eq!((aws.len(), run_bars.len()), (2, 2), "{aws:?} {run_bars:?}");
        let bottom = aws[0][1] + aws[0][3];
        for bar in aws.iter().chain(&run_bars) {
            assert!((bar[1] + bar[3] - bottom).abs() <= 1.0, "{bar:?}");
        }
        for (a, r) in aws.iter().zip(&run_bars) {
            assert!((r[3] / a[3] - 2.0).abs() < 0.05, "{a:?} {r:?}");
            assert!(
                r[0] > a[0],
                "the second provider's bar is right of the first's"
            );
        }
    }

    #[test]
    fn an_empty_report_is_an_error() {
        let report = ReplayReport {
            trace: TraceSummary {
                functions: 0,
                invocations: 0,
                span_ms: 0.0,
            },
            price_version: String::new(),
            currency: "USD".into(),
            runs: Vec::new(),
        };
        assert!(matches!(report.to_svg(), Err(PlotError::NoRuns)));
    }
}
