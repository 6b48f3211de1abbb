//! The pairs, one file per workload: each sets up its pairs with
//! [`Bench::compare`](crate::harness::Bench::compare) and holds our sides of
//! them (the baselines' sides are in [`crate::baselines`]); [`latency`] has
//! the one-way latency pairs and the per-operation samplers the latency
//! percentiles are made of.

pub mod accessor;
pub mod latency;
pub mod latest;
pub mod pingpong;
pub mod region;
pub mod stream;
pub mod turns;
