//! Scaling policy math, pure: adjustment types and how a policy's adjustment turns into a
//! new desired capacity (rounding of `PercentChangeInCapacity`, `MinAdjustmentMagnitude`,
//! clamping to min/max).

pub const ADJUSTMENT_TYPES: &[&str] = &["ChangeInCapacity", "ExactCapacity", "PercentChangeInCapacity"];
