//! What one worker records during a run (latencies of successful requests, a status
//! histogram, transport errors) and how the workers' records merge into the one summary line
//! the harness reads. It does not time or send anything itself.

use std::collections::BTreeMap;

/// Per-worker (then merged) record of a run.
#[derive(Debug, Default)]
pub struct Recorder {
    /// Latency of each 2xx answer, in nanoseconds.
    pub latencies_ns: Vec<u64>,
    /// Count per HTTP status, successes included.
    pub statuses: BTreeMap<u16, u64>,
    /// Requests that got no HTTP answer (connection refused/reset, malformed response).
    pub io_errors: u64,
    /// The first non-2xx answer's status and the start of its body, to say *why* it failed.
    pub sample_error: Option<String>,
}

impl Recorder {
    pub fn success(&mut self, status: u16, latency_ns: u64) {
        self.latencies_ns.push(latency_ns);
        *self.statuses.entry(status).or_default() += 1;
    }

    pub fn failure(&mut self, status: u16, body: &[u8]) {
        *self.statuses.entry(status).or_default() += 1;
        if self.sample_error.is_none() {
            let n = body.len().min(400);
            self.sample_error = Some(format!(
                "HTTP {status}: {}",
                String::from_utf8_lossy(&body[..n])
            ));
        }
    }

    pub fn io_error(&mut self, what: &str) {
        self.io_errors += 1;
        if self.sample_error.is_none() {
            self.sample_error = Some(format!("transport: {what}"));
        }
    }

    pub fn merge(&mut self, other: Recorder) {
        self.latencies_ns.extend(other.latencies_ns);
        for (k, v) in other.statuses {
            *self.statuses.entry(k).or_default() += v;
        }
        self.io_errors += other.io_errors;
        if self.sample_error.is_none() {
            self.sample_error = other.sample_error;
        }
    }

    pub fn successes(&self) -> u64 {
        self.latencies_ns.len() as u64
    }

    pub fn errors(&self) -> u64 {
        self.statuses
            .iter()
            .filter(|(s, _)| !(200..300).contains(*s))
            .map(|(_, n)| n)
            .sum::<u64>()
            + self.io_errors
    }

    /// The summary line: `{"op","concurrency","requests","errors","seconds","rps","p50_us","p99_us",...}`.
    /// `requests` and `rps` count 2xx answers only.
    pub fn summary(mut self, op: &str, concurrency: usize, seconds: f64) -> serde_json::Value {
        self.latencies_ns.sort_unstable();
        let us =
            |p: f64| percentile_sorted(&self.latencies_ns, p).map(|ns| round1(ns as f64 / 1000.0));
        let ok = self.successes();
        let statuses: serde_json::Map<String, serde_json::Value> = self
            .statuses
            .iter()
            .map(|(k, v)| (k.to_string(), (*v).into()))
            .collect();
        serde_json::json!({
            "op": op,
            "concurrency": concurrency,
            "requests": ok,
            "errors": self.errors(),
            "seconds": round3(seconds),
            "rps": if seconds > 0.0 { round1(ok as f64 / seconds) } else { 0.0 },
            "p50_us": us(50.0),
            "p99_us": us(99.0),
            "max_us": self.latencies_ns.last().map(|ns| round1(*ns as f64 / 1000.0)),
            "status": statuses,
            "io_errors": self.io_errors,
            "sample_error": self.sample_error,
        })
    }
}

/// Nearest-rank percentile of an ascending slice: the smallest value such that at least `p`
/// percent of the values are ≤ it. `None` for an empty slice.
pub fn percentile_sorted<T: Copy>(sorted: &[T], p: f64) -> Option<T> {
    if sorted.is_empty() {
        return None;
    }
    // p * n first keeps whole ranks whole: (7 / 100) * 100 is 7.000000000000001, 7 * 100 / 100 is 7.
    let rank = (p * sorted.len() as f64 / 100.0).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// Median of unsorted values (the lower middle for an even count, as nearest-rank p50).
pub fn median(values: &[f64]) -> Option<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    percentile_sorted(&v, 50.0)
}

pub fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile_sorted(&v, 50.0), Some(50));
        assert_eq!(percentile_sorted(&v, 99.0), Some(99));
        assert_eq!(percentile_sorted(&v, 100.0), Some(100));
        assert_eq!(percentile_sorted(&v, 0.0), Some(1));
        assert_eq!(percentile_sorted(&v, 7.0), Some(7));
        // Wikipedia's nearest-rank example: 15, 20, 35, 40, 50.
        let w = [15, 20, 35, 40, 50];
        assert_eq!(percentile_sorted(&w, 5.0), Some(15));
        assert_eq!(percentile_sorted(&w, 30.0), Some(20));
        assert_eq!(percentile_sorted(&w, 40.0), Some(20));
        assert_eq!(percentile_sorted(&w, 50.0), Some(35));
        assert_eq!(percentile_sorted(&w, 100.0), Some(50));
        assert_eq!(percentile_sorted::<u64>(&[], 50.0), None);
        assert_eq!(percentile_sorted(&[7u64], 99.0), Some(7));
    }

    #[test]
    fn p99_of_a_thousand_sees_the_tail() {
        let mut v: Vec<u64> = vec![100; 990];
        v.extend(std::iter::repeat_n(5_000, 10));
        assert_eq!(percentile_sorted(&v, 99.0), Some(100));
        v.push(5_000);
        v.sort_unstable();
        assert_eq!(percentile_sorted(&v, 99.0), Some(5_000));
    }

    #[test]
    fn median_of_unsorted() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.0));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn summary_counts_only_2xx_as_requests() {
        let mut r = Recorder::default();
        r.success(200, 1_000);
        r.success(200, 3_000);
        r.failure(503, b"busy");
        r.io_error("reset");
        let s = r.summary("sts", 2, 1.0);
        assert_eq!(s["requests"], 2);
        assert_eq!(s["errors"], 2);
        assert_eq!(s["rps"], 2.0);
        assert_eq!(s["p50_us"], 1.0);
        assert_eq!(s["p99_us"], 3.0);
        assert_eq!(s["status"]["503"], 1);
        assert_eq!(s["sample_error"], "HTTP 503: busy");
    }
}
