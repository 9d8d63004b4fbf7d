//! Line charts as inline SVG: a title, both axes with ticks and labels, the series as a line
//! with one marked point per run, and an objective (the RTO) as a dashed line. No script, no
//! external font or style, so the page renders the same with no network.

use std::fmt::Write;

use chrono::{DateTime, Duration, Utc};

use super::SeriesPoint;
use crate::html::escape;

const WIDTH: f64 = 560.0;
const HEIGHT: f64 = 260.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 36.0;
const BOTTOM: f64 = 52.0;
/// The series' colour; the objective line is drawn in [`OBJECTIVE_COLOUR`].
pub const SERIES_COLOUR: &str = "#1f6feb";
pub const OBJECTIVE_COLOUR: &str = "#d1242f";

/// What to draw.
#[derive(Debug, Clone, Copy)]
pub struct LineChart<'a> {
    /// The SVG element's id (for links and tests).
    pub id: &'a str,
    pub title: &'a str,
    pub y_label: &'a str,
    pub points: &'a [SeriesPoint],
    /// A fixed value range (e.g. 0 to 100 for percentages); otherwise from 0 to the largest
    /// value or objective.
    pub y_range: Option<(f64, f64)>,
    /// A horizontal line at this value, with its label.
    pub objective: Option<(f64, &'a str)>,
}

/// The chart as one `<svg>` element.
pub fn line_chart(chart: &LineChart) -> String {
    let mut svg = String::new();
    let id = escape(chart.id);
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{id}" role="img" aria-labelledby="{id}-title" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif" font-size="11">"#
    );
    let _ = write!(
        svg,
        r##"<title id="{id}-title">{title}</title><rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/><text class="chart-title" x="{x}" y="20" text-anchor="middle" font-size="14" font-weight="bold">{title}</text>"##,
        title = escape(chart.title),
        x = WIDTH / 2.0,
    );
    let (y_min, y_max) = chart.y_range.unwrap_or_else(|| value_range(chart));
    let y_ticks = ticks(y_min, y_max);
    let y_max = y_ticks.last().copied().unwrap_or(y_max).max(y_max);
    let scale_y = |value: f64| {
        let span = (y_max - y_min).max(f64::EPSILON);
        TOP + (HEIGHT - TOP - BOTTOM) * (1.0 - (value - y_min) / span)
    };
    let (t_min, t_max) = time_range(chart.points);
    let scale_x = |at: DateTime<Utc>| {
        let span = (t_max - t_min).num_seconds().max(1) as f64;
        LEFT + (WIDTH - LEFT - RIGHT) * (at - t_min).num_seconds() as f64 / span
    };
    draw_axes(
        &mut svg,
        chart.y_label,
        &y_ticks,
        &scale_y,
        t_min,
        t_max,
        &scale_x,
    );
    if let Some((value, label)) = chart.objective {
        let y = scale_y(value);
        let _ = write!(
            svg,
            r#"<line class="objective" x1="{LEFT}" x2="{x2}" y1="{y:.1}" y2="{y:.1}" stroke="{OBJECTIVE_COLOUR}" stroke-width="2" stroke-dasharray="6 4"/><text x="{x2}" y="{ty:.1}" text-anchor="end" fill="{OBJECTIVE_COLOUR}">{label}</text>"#,
            x2 = WIDTH - RIGHT,
            ty = y - 4.0,
            label = escape(label),
        );
    }
    if chart.points.is_empty() {
        let _ = write!(
            svg,
            r##"<text class="no-data" x="{x}" y="{y}" text-anchor="middle" fill="#57606a">no runs in this period</text>"##,
            x = WIDTH / 2.0,
            y = HEIGHT / 2.0,
        );
    } else {
        let path: Vec<String> = chart
            .points
            .iter()
            .map(|p| format!("{:.1},{:.1}", scale_x(p.at), scale_y(p.value)))
            .collect();
        let _ = write!(
            svg,
            r#"<polyline class="series" points="{}" fill="none" stroke="{SERIES_COLOUR}" stroke-width="2.5"/>"#,
            path.join(" ")
        );
        for point in chart.points {
            let _ = write!(
                svg,
                r#"<circle class="point" cx="{:.1}" cy="{:.1}" r="4.5" fill="{SERIES_COLOUR}" data-run-id="{}" data-value="{}"><title>{} {}: {}</title></circle>"#,
                scale_x(point.at),
                scale_y(point.value),
                escape(&point.run_id),
                point.value,
                escape(&point.run_id),
                point.at.format("%Y-%m-%d %H:%M UTC"),
                format_value(point.value),
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

fn draw_axes(
    svg: &mut String,
    y_label: &str,
    y_ticks: &[f64],
    scale_y: &impl Fn(f64) -> f64,
    t_min: DateTime<Utc>,
    t_max: DateTime<Utc>,
    scale_x: &impl Fn(DateTime<Utc>) -> f64,
) {
    let bottom = HEIGHT - BOTTOM;
    let right = WIDTH - RIGHT;
    for tick in y_ticks {
        let y = scale_y(*tick);
        let _ = write!(
            svg,
            r##"<line class="grid" x1="{LEFT}" x2="{right}" y1="{y:.1}" y2="{y:.1}" stroke="#d0d7de" stroke-width="1"/><text class="y-tick" x="{tx}" y="{ty:.1}" text-anchor="end">{label}</text>"##,
            tx = LEFT - 6.0,
            ty = y + 4.0,
            label = format_value(*tick),
        );
    }
    let span = t_max - t_min;
    for step in 0..=2 {
        let at = t_min + span / 2 * step;
        let x = scale_x(at);
        let _ = write!(
            svg,
            r##"<line x1="{x:.1}" x2="{x:.1}" y1="{bottom}" y2="{tick}" stroke="#24292f"/><text class="x-tick" x="{x:.1}" y="{ty}" text-anchor="middle">{label}</text>"##,
            tick = bottom + 5.0,
            ty = bottom + 18.0,
            label = at.format("%Y-%m-%d"),
        );
    }
    let _ = write!(
        svg,
        r##"<line class="axis" x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{bottom}" stroke="#24292f" stroke-width="1.5"/><line class="axis" x1="{LEFT}" x2="{right}" y1="{bottom}" y2="{bottom}" stroke="#24292f" stroke-width="1.5"/><text class="x-label" x="{cx}" y="{xl}" text-anchor="middle">run started (UTC)</text><text class="y-label" transform="translate(14 {cy}) rotate(-90)" text-anchor="middle">{y_label}</text>"##,
        cx = LEFT + (right - LEFT) / 2.0,
        xl = HEIGHT - 8.0,
        cy = TOP + (bottom - TOP) / 2.0,
        y_label = escape(y_label),
    );
}

/// From 0 to the largest value or objective (1 when everything is 0).
fn value_range(chart: &LineChart) -> (f64, f64) {
    let largest = chart
        .points
        .iter()
        .map(|p| p.value)
        .chain(chart.objective.map(|(value, _)| value))
        .fold(0.0_f64, f64::max);
    (0.0, if largest > 0.0 { largest } else { 1.0 })
}

/// The first and last point's times, widened by a day either side when they are the same.
fn time_range(points: &[SeriesPoint]) -> (DateTime<Utc>, DateTime<Utc>) {
    let first = points.iter().map(|p| p.at).min();
    let last = points.iter().map(|p| p.at).max();
    match first.zip(last) {
        Some((first, last)) if first < last => (first, last),
        Some((at, _)) => (at - Duration::days(1), at + Duration::days(1)),
        None => {
            let epoch = DateTime::<Utc>::UNIX_EPOCH;
            (epoch, epoch + Duration::days(1))
        }
    }
}

/// Round tick values from `min` covering `max`: steps of 1, 2 or 5 times a power of ten.
fn ticks(min: f64, max: f64) -> Vec<f64> {
    let span = (max - min).max(f64::EPSILON);
    let raw = span / 5.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|step| *step >= raw)
        .unwrap_or(10.0 * magnitude);
    (0..12)
        .map(|i| min + step * f64::from(i))
        .take_while(|value| *value < max + step * 0.999)
        .collect()
}

fn format_value(value: f64) -> String {
    if (value - value.round()).abs() < 1e-9 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(day: u32, value: f64) -> SeriesPoint {
        SeriesPoint {
            at: format!("2026-11-{day:02}T10:00:00Z").parse().unwrap(),
            value,
            run_id: format!("run-{day}"),
        }
    }

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        assert_eq!(ticks(0.0, 100.0), [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
        assert_eq!(ticks(0.0, 300.5), [0.0, 100.0, 200.0, 300.0, 400.0]);
        let fractions: Vec<String> = ticks(0.0, 1.0).into_iter().map(format_value).collect();
        assert_eq!(fractions, ["0", "0.2", "0.4", "0.6", "0.8", "1"]);
    }

    #[test]
    fn draws_one_point_per_run_and_the_objective() {
        let points = [point(1, 120.0), point(8, 300.5), point(15, 90.0)];
        let svg = line_chart(&LineChart {
            id: "recovery-api",
            title: "Recovery <api>",
            y_label: "seconds",
            points: &points,
            y_range: None,
            objective: Some((600.0, "RTO 600 s")),
        });
        assert_eq!(svg.matches("<circle class=\"point\"").count(), 3);
        assert!(
            svg.contains("data-run-id=\"run-8\" data-value=\"300.5\""),
            "{svg}"
        );
        assert!(svg.contains("class=\"objective\""));
        assert!(svg.contains("Recovery &lt;api&gt;") && !svg.contains("<api>"));
        assert!(svg.contains("2026-11-01") && svg.contains("2026-11-15"));
        // The objective is the largest value, so the top tick reaches it.
        assert!(svg.contains(">600</text>"), "{svg}");
    }

    #[test]
    fn an_empty_series_says_so() {
        let svg = line_chart(&LineChart {
            id: "empty",
            title: "t",
            y_label: "y",
            points: &[],
            y_range: Some((0.0, 100.0)),
            objective: None,
        });
        assert!(svg.contains("no runs in this period"));
        assert!(!svg.contains("<polyline"));
    }
}
