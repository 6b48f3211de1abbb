//! The pairs, one file per workload: each sets up its pairs with
//! [`Bench::compare`](crate::harness::Bench::compare) and holds our sides of
//! them (the baselines' sides are in [`crate::baselines`]).

pub mod accessor;
pub mod pingpong;
pub mod region;
pub mod stream;
pub mod turns;
