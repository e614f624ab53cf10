//! Integration tests of `sim` through its public API live in `tests/`; this library only
//! compiles the README's examples as doctests, so the README cannot drift from the API.

#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

pub mod bugs;
pub mod rate_limiter;
