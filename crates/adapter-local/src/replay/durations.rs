//! The durations file of the Azure Functions 2019 trace
//! (`function_durations_percentiles.anon.dNN.csv`) and how a duration is drawn from it.

use std::collections::HashMap;
use std::time::Duration;

use super::csv::{records, Field};
use super::error::TraceError;

const FILE: &str = "durations";
const KEY: [&str; 3] = ["HashOwner", "HashApp", "HashFunction"];
const AVERAGE: &str = "Average";
/// The percentile columns and the share each stands for.
const PERCENTILES: [(&str, f64); 7] = [
    ("percentile_Average_0", 0.0),
    ("percentile_Average_1", 0.01),
    ("percentile_Average_25", 0.25),
    ("percentile_Average_50", 0.50),
    ("percentile_Average_75", 0.75),
    ("percentile_Average_99", 0.99),
    ("percentile_Average_100", 1.0),
];

/// How an invocation's duration is taken from the durations file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum DurationModel {
    /// Every invocation runs for the function's `Average`.
    #[default]
    Average,
    /// Each invocation draws a uniform share in `[0, 1)` (seeded) and interpolates linearly
    /// between the `percentile_Average_*` columns (0, 1, 25, 50, 75, 99, 100).
    Percentiles {
        /// The seed of the draws.
        seed: u64,
    },
}

/// The execution-time figures of one function, in milliseconds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DurationStats {
    average: f64,
    percentiles: Option<[f64; 7]>,
}

impl DurationStats {
    /// The duration for a draw `u` in `[0, 1)` (ignored by the average model).
    pub(crate) fn pick(&self, model: DurationModel, u: f64) -> Duration {
        let ms = match (model, &self.percentiles) {
            (DurationModel::Percentiles { .. }, Some(points)) => interpolate(points, u),
            _ => self.average,
        };
        Duration::try_from_secs_f64(ms / 1000.0).unwrap_or(Duration::ZERO)
    }

    /// The duration every invocation gets when `model` draws nothing for this function (the
    /// average model, or a function without percentiles); `None` when each draws its own.
    pub(crate) fn fixed(&self, model: DurationModel) -> Option<Duration> {
        match (model, &self.percentiles) {
            (DurationModel::Percentiles { .. }, Some(_)) => None,
            _ => Some(self.pick(model, 0.0)),
        }
    }
}

fn interpolate(points: &[f64; 7], u: f64) -> f64 {
    let mut previous = (0.0, points[0]);
    for ((_, share), value) in PERCENTILES.iter().zip(points) {
        if u <= *share {
            let (s0, v0) = previous;
            let span = share - s0;
            return if span <= 0.0 {
                *value
            } else {
                v0 + (value - v0) * (u - s0) / span
            };
        }
        previous = (*share, *value);
    }
    points[6]
}

/// Parses the durations file into figures keyed by `HashOwner,HashApp,HashFunction`.
///
/// Columns are found by name, so their order does not matter; the percentile columns are read
/// only for [`DurationModel::Percentiles`].
pub(crate) fn parse_durations(
    text: &str,
    model: DurationModel,
) -> Result<HashMap<String, DurationStats>, TraceError> {
    let mut lines = records(text);
    let mut wanted: Vec<&str> = KEY.to_vec();
    wanted.push(AVERAGE);
    if matches!(model, DurationModel::Percentiles { .. }) {
        wanted.extend(PERCENTILES.iter().map(|(name, _)| *name));
    }
    let expected = || format!("a header with the columns {}", wanted.join(","));
    let (line, header) = lines.next().ok_or_else(|| TraceError::MissingHeader {
        file: FILE,
        expected: expected(),
    })?;
    let mut columns = Vec::with_capacity(wanted.len());
    for name in &wanted {
        let Some(i) = header.iter().position(|h| h == name) else {
            return Err(TraceError::Header {
                file: FILE,
                line,
                expected: expected(),
                found: header.join(","),
            });
        };
        columns.push(i);
    }
    let mut stats = HashMap::new();
    for (line, fields) in lines {
        let field = Field::row(FILE, line, &fields, &header)?;
        let key = columns[..3]
            .iter()
            .map(|&i| fields[i])
            .collect::<Vec<_>>()
            .join(",");
        let average = field.duration_ms(columns[3])?;
        let percentiles = if columns.len() == wanted.len() && columns.len() > 4 {
            let mut points = [0.0; 7];
            for (point, &i) in points.iter_mut().zip(&columns[4..]) {
                *point = field.duration_ms(i)?;
            }
            Some(points)
        } else {
            None
        };
        stats.insert(
            key,
            DurationStats {
                average,
                percentiles,
            },
        );
    }
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_draw_interpolates_between_the_neighbouring_percentiles() {
        let points = [0.0, 10.0, 100.0, 200.0, 300.0, 900.0, 1000.0];
        assert_eq!(interpolate(&points, 0.0), 0.0);
        assert_eq!(interpolate(&points, 0.375), 150.0);
        assert_eq!(interpolate(&points, 1.0), 1000.0);
    }
}
