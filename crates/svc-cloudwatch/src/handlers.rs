//! CloudWatch's metric operations (`PutMetricData`, `ListMetrics`, `GetMetricStatistics`):
//! each validates its input (`validate.rs`), then reads or writes the repository. A put is
//! answered only after its samples are committed, and they reach memory only then; reads
//! come from memory. AWS's time rules (retention, the period a start time needs, rounding,
//! which metrics are listed) are in `retention.rs`; each operation does its share of
//! compaction on its way out (`state.rs`).

use crate::error::CwError;
use crate::generated as g;
use crate::metrics::{KeyRef, MetricKey, Sample, SeriesCodec};
use crate::retention::{self, Resolution};
use crate::series::{Query, RawSample};
use crate::state::CloudWatch;
use crate::{persist, validate};
use nimbus_core::{AwsError, RequestContext};
use nimbus_store::Batch;
use nimbus_wire::ResetStep;
use std::sync::atomic::Ordering;
use std::sync::Arc;

const MAX_DATAPOINTS: i64 = 1440;
const LIST_PAGE: usize = 500;
const STATISTICS: [&str; 5] = ["SampleCount", "Average", "Sum", "Minimum", "Maximum"];

/// One validated datum of a put: its metric name, sorted dimensions, statistic set and
/// storage resolution.
struct Row {
    name: String,
    dimensions: Vec<(String, String)>,
    sample: Sample,
    resolution: Resolution,
}

fn row_key<'a>(account: &'a str, region: &'a str, namespace: &'a str, r: &'a Row) -> KeyRef<'a> {
    KeyRef {
        account,
        region,
        namespace,
        name: &r.name,
        dimensions: &r.dimensions,
    }
}

fn wildcard_free_match(filter: &[g::DimensionFilter], dims: &[(String, String)]) -> bool {
    filter.iter().all(|f| {
        dims.iter()
            .any(|(k, v)| *k == f.name && f.value.as_ref().is_none_or(|fv| fv == v))
    })
}

impl CloudWatch {
    async fn put(&self, ctx: &RequestContext, input: g::PutMetricDataInput) -> Result<(), CwError> {
        validate::namespace(&input.namespace)?;
        self.put_in(ctx.account_id(), &ctx.region, input).await
    }

    /// `PutMetricData` after the namespace check: validates the data, commits it and then
    /// puts it in memory. The in-process publisher comes in here too (it may write `AWS/`
    /// namespaces, which the API refuses).
    pub(crate) async fn put_in(
        &self,
        account: &str,
        region: &str,
        input: g::PutMetricDataInput,
    ) -> Result<(), CwError> {
        let data = input.metric_data.unwrap_or_default();
        if data.is_empty() && input.entity_metric_data.is_none() {
            return Err(CwError::Missing(
                "The parameter MetricData is required.".into(),
            ));
        }
        if data.len() > 1000 {
            return Err(CwError::InvalidValue(
                "The collection MetricData must not have a size greater than 1000.".into(),
            ));
        }
        if input.entity_metric_data.is_some() {
            return Err(CwError::NotImplemented(
                "PutMetricData with EntityMetricData",
            ));
        }
        let now = self.clock.now();
        validate::timestamps(&data, now)?;
        let mut rows = Vec::with_capacity(data.len());
        for (i, d) in data.into_iter().enumerate() {
            if d.metric_name.is_empty() || d.metric_name.len() > 255 {
                return Err(CwError::InvalidValue(format!(
                    "The parameter MetricData.member.{}.MetricName is invalid.",
                    i + 1
                )));
            }
            let (sample, resolution) = validate::datum(&d, now, i)?;
            rows.push(Row {
                dimensions: validate::sorted_dims(d.dimensions)?,
                name: d.metric_name,
                sample,
                resolution,
            });
        }
        let key = |r| row_key(account, region, &input.namespace, r);
        // Every record of a series repeats its key: a known series lends its encoding, a new
        // one gets it made (once per put, however many of the put's data it has).
        let known: Vec<Option<Arc<SeriesCodec>>> = {
            let mem = self.memory();
            rows.iter().map(|r| mem.samples.codec(&key(r))).collect()
        };
        let mut codecs: Vec<(Arc<SeriesCodec>, u64)> = Vec::with_capacity(rows.len());
        let mut batch = Batch::new();
        for (i, (r, known)) in rows.iter().zip(known).enumerate() {
            let codec = match (known, codecs.last()) {
                (Some(c), _) => c,
                (None, Some((prev, _))) if key(&rows[i - 1]) == key(r) => prev.clone(),
                (None, _) => Arc::new(SeriesCodec::new(&key(r))),
            };
            let seq = self.seq.fetch_add(1, Ordering::Relaxed);
            batch.put(
                persist::SAMPLES,
                persist::sample_key(&codec, r.sample.timestamp, seq),
                persist::encode_sample(&codec, &r.sample, r.resolution, now),
            );
            codecs.push((codec, seq));
        }
        let (durable, epoch) = {
            let _gate = self.gate.read().await;
            (self.store.submit(batch), self.memory().epoch)
        };
        durable.await?;
        let mut due: Vec<MetricKey> = Vec::new();
        {
            let mut mem = self.memory();
            // Otherwise a reset wiped these samples from the store after they landed.
            if mem.epoch == epoch {
                for (r, (codec, seq)) in rows.into_iter().zip(codecs) {
                    let key = KeyRef {
                        account,
                        region,
                        namespace: &input.namespace,
                        name: &r.name,
                        dimensions: &r.dimensions,
                    };
                    let raw = RawSample {
                        sample: r.sample,
                        resolution: r.resolution,
                        seq,
                    };
                    if mem.samples.insert_ref(&key, raw, now, codec)
                        && due.last().is_none_or(|k| k.as_key_ref() != key)
                    {
                        due.push(key.to_owned_key());
                    }
                }
            }
        }
        self.upkeep(due).await;
        Ok(())
    }

    async fn list(
        &self,
        ctx: &RequestContext,
        input: g::ListMetricsInput,
    ) -> Result<g::ListMetricsOutput, CwError> {
        let filters = input.dimensions.unwrap_or_default();
        if filters.len() > 10 {
            return Err(CwError::InvalidValue(
                "The collection Dimensions must not have a size greater than 10.".into(),
            ));
        }
        let start: usize = match &input.next_token {
            Some(t) => t
                .parse()
                .map_err(|_| CwError::InvalidValue("The parameter NextToken is invalid.".into()))?,
            None => 0,
        };
        self.upkeep(Vec::new()).await;
        let now = self.clock.now();
        // Metrics that have not published for two weeks are not listed, even while their
        // older data can still be read; `RecentlyActive=PT3H` narrows that to three hours.
        let published_since = match input.recently_active.as_deref() {
            None => now.0 - retention::LISTED_FOR_MS,
            Some("PT3H") => now.0 - retention::RECENTLY_ACTIVE_MS,
            Some(o) => {
                return Err(CwError::InvalidValue(format!(
                    "The value {o} for parameter RecentlyActive is invalid."
                )))
            }
        };
        let mem = self.memory();
        let mut metrics: Vec<g::Metric> = mem
            .samples
            .list(ctx.account_id(), &ctx.region)
            .filter(|(k, _)| input.namespace.as_ref().is_none_or(|n| *n == k.namespace))
            .filter(|(k, _)| input.metric_name.as_ref().is_none_or(|n| *n == k.name))
            .filter(|(k, _)| wildcard_free_match(&filters, &k.dimensions))
            .filter(|(_, s)| s.last_published().0 >= published_since)
            .skip(start)
            .take(LIST_PAGE + 1)
            .map(|(k, _)| g::Metric {
                namespace: Some(k.namespace.clone()),
                metric_name: Some(k.name.clone()),
                dimensions: Some(
                    k.dimensions
                        .iter()
                        .map(|(n, v)| g::Dimension {
                            name: n.clone(),
                            value: v.clone(),
                        })
                        .collect(),
                ),
            })
            .collect();
        let next_token = if metrics.len() > LIST_PAGE {
            metrics.truncate(LIST_PAGE);
            Some((start + LIST_PAGE).to_string())
        } else {
            None
        };
        Ok(g::ListMetricsOutput {
            metrics: Some(metrics),
            next_token,
            ..Default::default()
        })
    }

    async fn statistics(
        &self,
        ctx: &RequestContext,
        input: g::GetMetricStatisticsInput,
    ) -> Result<g::GetMetricStatisticsOutput, CwError> {
        validate::watched_namespace(&input.namespace)?;
        if input.start_time >= input.end_time {
            return Err(CwError::InvalidValue(
                "The parameter StartTime must be less than the parameter EndTime.".into(),
            ));
        }
        let period = i64::from(input.period);
        if !retention::valid_period(period) {
            return Err(CwError::Period);
        }
        let stats = input.statistics.unwrap_or_default();
        if stats.is_empty()
            && input
                .extended_statistics
                .as_ref()
                .is_none_or(|e| e.is_empty())
        {
            return Err(CwError::Missing(
                "Must specify either Statistics or ExtendedStatistics.".into(),
            ));
        }
        if input
            .extended_statistics
            .as_ref()
            .is_some_and(|e| !e.is_empty())
        {
            return Err(CwError::NotImplemented(
                "GetMetricStatistics with ExtendedStatistics",
            ));
        }
        if let Some(s) = stats.iter().find(|s| !STATISTICS.contains(&s.as_str())) {
            return Err(CwError::InvalidValue(format!(
                "The value {s} for parameter Statistics is invalid."
            )));
        }
        let dimensions = validate::sorted_dims(input.dimensions)?;
        let key = KeyRef {
            account: ctx.account_id(),
            region: &ctx.region,
            namespace: &input.namespace,
            name: &input.metric_name,
            dimensions: &dimensions,
        };
        // Compact first if due, then read as of a moment no earlier than the compaction.
        let due = {
            let now = self.clock.now();
            let mem = self.memory();
            mem.samples.get(&key).is_some_and(|s| s.due(now))
        };
        self.upkeep(due.then(|| key.to_owned_key()).into_iter().collect())
            .await;
        let now = self.clock.now();
        let start = retention::round_start(input.start_time, period, now);
        let span_secs = (input.end_time.0 - start.0 + 999) / 1000;
        let points = (span_secs + period - 1) / period;
        if points > MAX_DATAPOINTS {
            return Err(CwError::InvalidCombination(format!(
                "You have requested up to {points} datapoints, which exceeds the limit of 1,440. You may reduce the datapoints requested by increasing Period, or decreasing the time range."
            )));
        }
        let label = Some(input.metric_name.clone());
        // A start time older than 3 hours needs a period of the resolution data of that age
        // is kept at; otherwise AWS returns no data points for the range.
        if period % retention::required_period_multiple(input.start_time, now) != 0 {
            return Ok(g::GetMetricStatisticsOutput {
                label,
                datapoints: Some(Vec::new()),
            });
        }
        let query = Query {
            start,
            end: input.end_time,
            period_secs: period,
            unit: input.unit.as_deref(),
            now,
        };
        let aggs = {
            let mem = self.memory();
            mem.samples
                .get(&key)
                .map(|s| s.aggregate(&query))
                .unwrap_or_default()
        };
        let want = |s: &str| stats.iter().any(|x| x == s);
        let datapoints = aggs
            .into_iter()
            .map(|a| g::Datapoint {
                timestamp: Some(a.start),
                sample_count: want("SampleCount").then_some(a.count),
                average: want("Average").then(|| a.average()),
                sum: want("Sum").then_some(a.sum),
                minimum: want("Minimum").then_some(a.min),
                maximum: want("Maximum").then_some(a.max),
                unit: Some(a.unit),
                extended_statistics: None,
            })
            .collect();
        Ok(g::GetMetricStatisticsOutput {
            label,
            datapoints: Some(datapoints),
        })
    }
}

impl g::Handlers for CloudWatch {
    async fn put_metric_data(
        &self,
        ctx: &RequestContext,
        input: g::PutMetricDataInput,
    ) -> Result<(), AwsError> {
        Ok(self.put(ctx, input).await?)
    }

    async fn list_metrics(
        &self,
        ctx: &RequestContext,
        input: g::ListMetricsInput,
    ) -> Result<g::ListMetricsOutput, AwsError> {
        Ok(self.list(ctx, input).await?)
    }

    async fn get_metric_statistics(
        &self,
        ctx: &RequestContext,
        input: g::GetMetricStatisticsInput,
    ) -> Result<g::GetMetricStatisticsOutput, AwsError> {
        Ok(self.statistics(ctx, input).await?)
    }

    async fn get_metric_data(
        &self,
        ctx: &RequestContext,
        input: g::GetMetricDataInput,
    ) -> Result<g::GetMetricDataOutput, AwsError> {
        Ok(self.metric_data(ctx, input).await?)
    }

    async fn put_dashboard(
        &self,
        ctx: &RequestContext,
        input: g::PutDashboardInput,
    ) -> Result<g::PutDashboardOutput, AwsError> {
        Ok(self.alarms.put_dashboard(ctx.account_id(), input).await?)
    }

    async fn get_dashboard(
        &self,
        ctx: &RequestContext,
        input: g::GetDashboardInput,
    ) -> Result<g::GetDashboardOutput, AwsError> {
        Ok(self
            .alarms
            .get_dashboard(ctx.account_id(), &input.dashboard_name)?)
    }

    async fn list_dashboards(
        &self,
        ctx: &RequestContext,
        input: g::ListDashboardsInput,
    ) -> Result<g::ListDashboardsOutput, AwsError> {
        Ok(self.alarms.list_dashboards(ctx.account_id(), input)?)
    }

    async fn delete_dashboards(
        &self,
        ctx: &RequestContext,
        input: g::DeleteDashboardsInput,
    ) -> Result<g::DeleteDashboardsOutput, AwsError> {
        self.alarms
            .delete_dashboards(ctx.account_id(), input.dashboard_names)
            .await?;
        Ok(g::DeleteDashboardsOutput {})
    }

    async fn put_composite_alarm(
        &self,
        ctx: &RequestContext,
        input: g::PutCompositeAlarmInput,
    ) -> Result<(), AwsError> {
        Ok(self
            .alarms
            .put_composite_alarm(ctx.account_id(), &ctx.region, input)
            .await?)
    }

    async fn put_metric_alarm(
        &self,
        ctx: &RequestContext,
        input: g::PutMetricAlarmInput,
    ) -> Result<(), AwsError> {
        Ok(self
            .alarms
            .put_metric_alarm(ctx.account_id(), &ctx.region, input)
            .await?)
    }

    async fn describe_alarms(
        &self,
        ctx: &RequestContext,
        input: g::DescribeAlarmsInput,
    ) -> Result<g::DescribeAlarmsOutput, AwsError> {
        Ok(self
            .alarms
            .describe_alarms(ctx.account_id(), &ctx.region, input)?)
    }

    async fn describe_alarms_for_metric(
        &self,
        ctx: &RequestContext,
        input: g::DescribeAlarmsForMetricInput,
    ) -> Result<g::DescribeAlarmsForMetricOutput, AwsError> {
        Ok(self
            .alarms
            .describe_alarms_for_metric(ctx.account_id(), &ctx.region, input)?)
    }

    async fn describe_alarm_history(
        &self,
        ctx: &RequestContext,
        input: g::DescribeAlarmHistoryInput,
    ) -> Result<g::DescribeAlarmHistoryOutput, AwsError> {
        Ok(self
            .alarms
            .describe_alarm_history(ctx.account_id(), &ctx.region, input)?)
    }

    async fn set_alarm_state(
        &self,
        ctx: &RequestContext,
        input: g::SetAlarmStateInput,
    ) -> Result<(), AwsError> {
        Ok(self
            .alarms
            .set_alarm_state(ctx.account_id(), &ctx.region, input)
            .await?)
    }

    async fn enable_alarm_actions(
        &self,
        ctx: &RequestContext,
        input: g::EnableAlarmActionsInput,
    ) -> Result<(), AwsError> {
        Ok(self
            .alarms
            .set_actions_enabled(ctx.account_id(), &ctx.region, input.alarm_names, true)
            .await?)
    }

    async fn disable_alarm_actions(
        &self,
        ctx: &RequestContext,
        input: g::DisableAlarmActionsInput,
    ) -> Result<(), AwsError> {
        Ok(self
            .alarms
            .set_actions_enabled(ctx.account_id(), &ctx.region, input.alarm_names, false)
            .await?)
    }

    async fn delete_alarms(
        &self,
        ctx: &RequestContext,
        input: g::DeleteAlarmsInput,
    ) -> Result<(), AwsError> {
        Ok(self
            .alarms
            .delete_alarms(ctx.account_id(), &ctx.region, input.alarm_names)
            .await?)
    }

    async fn tag_resource(
        &self,
        ctx: &RequestContext,
        input: g::TagResourceInput,
    ) -> Result<g::TagResourceOutput, AwsError> {
        self.alarms
            .tag(
                ctx.account_id(),
                &ctx.region,
                &input.resource_arn,
                input.tags,
            )
            .await?;
        Ok(g::TagResourceOutput::default())
    }

    async fn untag_resource(
        &self,
        ctx: &RequestContext,
        input: g::UntagResourceInput,
    ) -> Result<g::UntagResourceOutput, AwsError> {
        self.alarms
            .untag(
                ctx.account_id(),
                &ctx.region,
                &input.resource_arn,
                input.tag_keys,
            )
            .await?;
        Ok(g::UntagResourceOutput::default())
    }

    async fn list_tags_for_resource(
        &self,
        ctx: &RequestContext,
        input: g::ListTagsForResourceInput,
    ) -> Result<g::ListTagsForResourceOutput, AwsError> {
        Ok(self
            .alarms
            .list_tags(ctx.account_id(), &ctx.region, &input.resource_arn)?)
    }

    fn reset<'a>(&'a self, then: ResetStep<'a>) -> ResetStep<'a> {
        self.reset_with(then)
    }
}

#[cfg(test)]
mod tests;
