//! Publishing metrics from inside Nimbus: what AWS's own services do when they put data into
//! their `AWS/…` namespaces (EC2's `CPUUtilization`, measured from each instance). A
//! [`Publisher`] is a handle on the same repository the API writes; its data goes through
//! `PutMetricData`'s own path after the namespace check — the same validation (finite values,
//! the two-weeks-back / two-hours-ahead window, unique dimension names), committed to the
//! store before it reaches memory, compacted and rolled up the same way, read by
//! `GetMetricStatistics`/`GetMetricData` and evaluated by alarms — the only difference being
//! that `AWS/` namespaces, which `PutMetricData` refuses to callers, are allowed.

use crate::error::CwError;
use crate::generated as g;
use crate::state::CloudWatch;
use crate::validate;
use nimbus_core::Timestamp;

/// One value to publish.
#[derive(Debug, Clone, PartialEq)]
pub struct Datum {
    pub metric: String,
    pub dimensions: Vec<(String, String)>,
    pub value: f64,
    /// A CloudWatch standard unit (`Percent`, `Bytes`, `Count`, …).
    pub unit: String,
    pub timestamp: Timestamp,
}

/// Writes metric data as a service of Nimbus (not a caller of the API). Cheap to clone.
#[derive(Clone)]
pub struct Publisher {
    cw: CloudWatch,
}

impl std::fmt::Debug for Publisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Publisher")
    }
}

impl Publisher {
    pub(crate) fn new(cw: CloudWatch) -> Publisher {
        Publisher { cw }
    }

    /// Publishes one value of `metric` with `dimensions` at `timestamp` in the account and
    /// region's `namespace`; returns once it is durable.
    #[allow(clippy::too_many_arguments)]
    pub async fn put(
        &self,
        account: &str,
        region: &str,
        namespace: &str,
        metric: &str,
        dimensions: &[(&str, &str)],
        value: f64,
        unit: &str,
        timestamp: Timestamp,
    ) -> Result<(), CwError> {
        let d = Datum {
            metric: metric.into(),
            dimensions: dimensions
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            value,
            unit: unit.into(),
            timestamp,
        };
        self.put_all(account, region, namespace, vec![d]).await
    }

    /// Publishes `data` in one commit (up to 1000 values, `PutMetricData`'s limit).
    pub async fn put_all(
        &self,
        account: &str,
        region: &str,
        namespace: &str,
        data: Vec<Datum>,
    ) -> Result<(), CwError> {
        validate::watched_namespace(namespace)?;
        let input = g::PutMetricDataInput {
            namespace: namespace.into(),
            metric_data: Some(
                data.into_iter()
                    .map(|d| g::MetricDatum {
                        metric_name: d.metric,
                        dimensions: Some(
                            d.dimensions
                                .into_iter()
                                .map(|(name, value)| g::Dimension { name, value })
                                .collect(),
                        ),
                        value: Some(d.value),
                        unit: Some(d.unit),
                        timestamp: Some(d.timestamp),
                        ..Default::default()
                    })
                    .collect(),
            ),
            ..Default::default()
        };
        self.cw.put_in(account, region, input).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::Handlers as _;
    use nimbus_core::{Clock, ManualClock, Principal, RequestContext};
    use nimbus_store::Store;
    use std::sync::Arc;

    const T0: i64 = 1_700_002_800_000;

    fn ctx(account: &str, clock: &dyn Clock) -> RequestContext {
        RequestContext {
            request_id: "r".into(),
            principal: Principal::root(account, "AK").into(),
            region: "us-east-1".into(),
            now: clock.now(),
            host: "h".into(),
            source_ip: None,
        }
    }

    async fn averages(cw: &CloudWatch, account: &str, clock: &dyn Clock) -> Vec<(i64, f64)> {
        let out = cw
            .get_metric_statistics(
                &ctx(account, clock),
                g::GetMetricStatisticsInput {
                    namespace: "AWS/EC2".into(),
                    metric_name: "CPUUtilization".into(),
                    dimensions: Some(vec![g::Dimension {
                        name: "InstanceId".into(),
                        value: "i-1".into(),
                    }]),
                    start_time: Timestamp(T0 - 3_600_000),
                    end_time: Timestamp(T0 + 3_600_000),
                    period: 300,
                    statistics: Some(vec!["Average".into()]),
                    unit: Some("Percent".into()),
                    ..Default::default()
                },
            )
            .await
            .expect("statistics");
        let mut v: Vec<(i64, f64)> = out
            .datapoints
            .unwrap_or_default()
            .into_iter()
            .map(|d| (d.timestamp.unwrap().0, d.average.unwrap()))
            .collect();
        v.sort_by_key(|p| p.0);
        v
    }

    #[tokio::test]
    async fn published_data_is_read_back_durably_in_its_account_only() {
        let store = Store::in_memory();
        let clock = Arc::new(ManualClock::new(Timestamp(T0)));
        let cw = CloudWatch::load(store.clone(), clock.clone()).expect("load");
        let p = Publisher::new(cw.clone());
        let t = Timestamp(T0 - 600_000);
        p.put(
            "111122223333",
            "us-east-1",
            "AWS/EC2",
            "CPUUtilization",
            &[("InstanceId", "i-1")],
            40.0,
            "Percent",
            t,
        )
        .await
        .expect("put");
        p.put(
            "111122223333",
            "us-east-1",
            "AWS/EC2",
            "CPUUtilization",
            &[("InstanceId", "i-1")],
            60.0,
            "Percent",
            Timestamp(t.0 + 60_000),
        )
        .await
        .expect("put");
        assert_eq!(
            averages(&cw, "111122223333", &*clock).await,
            vec![(t.0, 50.0)]
        );
        assert!(averages(&cw, "444455556666", &*clock).await.is_empty());
        // A restart loads it from the store.
        let again = CloudWatch::load(store, clock.clone()).expect("reload");
        assert_eq!(
            averages(&again, "111122223333", &*clock).await,
            vec![(t.0, 50.0)]
        );
        // The API still refuses AWS/ namespaces to callers.
        let refused = cw
            .put_metric_data(
                &ctx("111122223333", &*clock),
                g::PutMetricDataInput {
                    namespace: "AWS/EC2".into(),
                    metric_data: Some(vec![g::MetricDatum {
                        metric_name: "CPUUtilization".into(),
                        value: Some(1.0),
                        ..Default::default()
                    }]),
                    ..Default::default()
                },
            )
            .await;
        assert!(refused.is_err());
    }

    #[tokio::test]
    async fn bad_data_is_refused_as_put_metric_data_refuses_it() {
        let clock = Arc::new(ManualClock::new(Timestamp(T0)));
        let cw = CloudWatch::load(Store::in_memory(), clock.clone()).expect("load");
        let p = Publisher::new(cw.clone());
        let put = |v: f64, t: i64| {
            let p = p.clone();
            async move {
                p.put(
                    "111122223333",
                    "us-east-1",
                    "AWS/EC2",
                    "CPUUtilization",
                    &[("InstanceId", "i-1")],
                    v,
                    "Percent",
                    Timestamp(t),
                )
                .await
            }
        };
        assert!(put(f64::NAN, T0).await.is_err());
        assert!(put(1.0, T0 - 15 * 86_400_000).await.is_err());
        assert!(put(1.0, T0 + 3 * 3_600_000).await.is_err());
        assert!(averages(&cw, "111122223333", &*clock).await.is_empty());
    }
}
