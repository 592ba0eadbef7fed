//! Input checks of the metric operations, with CloudWatch's own error codes and messages:
//! namespaces, dimensions, and reducing a `PutMetricData` datum to a statistic set (which
//! of Value, Values/Counts and StatisticValues may appear together, finite numbers, the
//! time stamp window, the storage resolution). No state; the handlers call these first.

use crate::error::CwError;
use crate::generated as g;
use crate::metrics::{Sample, Unit};
use crate::retention::{Resolution, MAX_FUTURE_MS, MAX_PAST_MS};
use nimbus_core::Timestamp;

fn invalid(msg: impl Into<String>) -> CwError {
    CwError::InvalidValue(msg.into())
}

pub fn sorted_dims(dims: Option<Vec<g::Dimension>>) -> Result<Vec<(String, String)>, CwError> {
    let mut d: Vec<(String, String)> = dims
        .unwrap_or_default()
        .into_iter()
        .map(|d| (d.name, d.value))
        .collect();
    if d.len() > 30 {
        return Err(invalid(
            "The collection Dimensions must not have a size greater than 30.",
        ));
    }
    d.sort();
    if d.windows(2).any(|w| w[0].0 == w[1].0) {
        return Err(CwError::InvalidCombination(
            "No duplicate dimension names are allowed.".into(),
        ));
    }
    Ok(d)
}

/// A namespace an alarm may watch or a read may name: any valid one, AWS's own (`AWS/EC2`)
/// included — only `PutMetricData` refuses the `AWS/` prefix.
pub fn watched_namespace(ns: &str) -> Result<(), CwError> {
    if ns.is_empty() || ns.len() > 255 || ns.starts_with(':') {
        return Err(invalid(format!(
            "The value {ns} for parameter Namespace is invalid."
        )));
    }
    Ok(())
}

pub fn namespace(ns: &str) -> Result<(), CwError> {
    if ns.is_empty() || ns.len() > 255 || ns.starts_with(':') || ns.starts_with("AWS/") {
        return Err(invalid(format!(
            "The value {ns} for parameter Namespace is invalid."
        )));
    }
    Ok(())
}

/// The time stamp window of `PutMetricData`: two weeks back, two hours ahead
/// (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html>).
/// Every member that is too old is reported, as AWS does.
pub fn timestamps(data: &[g::MetricDatum], now: Timestamp) -> Result<(), CwError> {
    let mut too_old = Vec::new();
    for (i, d) in data.iter().enumerate() {
        let Some(t) = d.timestamp else { continue };
        if t.0 < now.0 - MAX_PAST_MS {
            too_old.push(i + 1);
        } else if t.0 > now.0 + MAX_FUTURE_MS && too_old.is_empty() {
            return Err(CwError::TimestampTooNew(i + 1));
        }
    }
    if too_old.is_empty() {
        Ok(())
    } else {
        Err(CwError::TimestampsTooOld(too_old))
    }
}

/// Reduces datum `i` (0-based) to a statistic set at its storage resolution. Time stamps
/// are checked by [`timestamps`].
pub fn datum(
    d: &g::MetricDatum,
    now: Timestamp,
    i: usize,
) -> Result<(Sample, Resolution), CwError> {
    let n = i + 1;
    let resolution = Resolution::from_storage_resolution(d.storage_resolution)
        .ok_or(CwError::StorageResolution(n))?;
    let unit = Unit::new(d.unit.as_deref().unwrap_or("None"));
    let timestamp = d.timestamp.unwrap_or(now);
    let given = [
        d.value.is_some(),
        d.statistic_values.is_some(),
        d.values.is_some(),
    ];
    if given.iter().filter(|x| **x).count() > 1 {
        return Err(CwError::InvalidCombination(format!(
            "The parameters MetricData.member.{n}.Value, MetricData.member.{n}.StatisticValues and MetricData.member.{n}.Values are mutually exclusive and you have specified more than one."
        )));
    }
    let finite = |v: f64| -> Result<f64, CwError> {
        if v.is_finite() {
            Ok(v)
        } else {
            Err(invalid(format!(
                "The value for parameter MetricData.member.{n} must be a finite number."
            )))
        }
    };
    let set = |count, sum, min, max| Sample {
        timestamp,
        count,
        sum,
        min,
        max,
        unit: unit.clone(),
    };
    if let Some(v) = d.value {
        let v = finite(v)?;
        return Ok((set(1.0, v, v, v), resolution));
    }
    if let Some(s) = &d.statistic_values {
        let (c, sum, min, max) = (
            finite(s.sample_count)?,
            finite(s.sum)?,
            finite(s.minimum)?,
            finite(s.maximum)?,
        );
        if c <= 0.0 || min > max {
            return Err(invalid(format!(
                "The parameter MetricData.member.{n}.StatisticValues is invalid."
            )));
        }
        return Ok((set(c, sum, min, max), resolution));
    }
    if let Some(values) = &d.values {
        let counts = d.counts.clone().unwrap_or_else(|| vec![1.0; values.len()]);
        if counts.len() != values.len() {
            return Err(invalid(format!(
                "The parameters MetricData.member.{n}.Values and MetricData.member.{n}.Counts must be of the same size."
            )));
        }
        if values.is_empty() || values.len() > 150 {
            return Err(invalid(format!(
                "The parameter MetricData.member.{n}.Values must hold 1 to 150 values."
            )));
        }
        let mut s = set(0.0, 0.0, f64::INFINITY, f64::NEG_INFINITY);
        for (v, c) in values.iter().zip(&counts) {
            let (v, c) = (finite(*v)?, finite(*c)?);
            s.count += c;
            s.sum += v * c;
            s.min = s.min.min(v);
            s.max = s.max.max(v);
        }
        return Ok((s, resolution));
    }
    Err(CwError::Missing(format!(
        "The parameter MetricData.member.{n}.Value is required."
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Timestamp = Timestamp(1_700_000_000_000);
    const H: i64 = 3600 * 1000;

    fn at(t: Option<i64>) -> g::MetricDatum {
        g::MetricDatum {
            metric_name: "m".into(),
            value: Some(1.0),
            timestamp: t.map(|t| Timestamp(NOW.0 + t)),
            ..Default::default()
        }
    }

    #[test]
    fn the_put_window_is_two_weeks_back_and_two_hours_ahead() {
        let ok = [None, Some(0), Some(-14 * 24 * H), Some(2 * H), Some(-H)];
        for t in ok {
            assert!(timestamps(&[at(t)], NOW).is_ok(), "{t:?}");
        }
        let table: &[(&[Option<i64>], &str)] = &[
            (&[Some(-14 * 24 * H - 1)], "TimestampsTooOld([1])"),
            (&[Some(2 * H + 1)], "TimestampTooNew(1)"),
            (
                &[Some(-15 * 24 * H), None, Some(-20 * 24 * H), Some(3 * H)],
                "TimestampsTooOld([1, 3])",
            ),
        ];
        for (data, want) in table {
            let data: Vec<_> = data.iter().map(|t| at(*t)).collect();
            let got = timestamps(&data, NOW).unwrap_err();
            assert_eq!(format!("{got:?}"), *want);
        }
    }

    #[test]
    fn storage_resolution_is_1_or_60() {
        for (sr, want) in [
            (None, Some(Resolution::Standard)),
            (Some(60), Some(Resolution::Standard)),
            (Some(1), Some(Resolution::High)),
            (Some(30), None),
            (Some(0), None),
        ] {
            let d = g::MetricDatum {
                storage_resolution: sr,
                ..at(None)
            };
            match (datum(&d, NOW, 2), want) {
                (Ok((_, r)), Some(w)) => assert_eq!(r, w),
                (Err(CwError::StorageResolution(3)), None) => {}
                (other, _) => panic!("{sr:?}: {other:?}"),
            }
        }
    }
}
