//! A guide to writing, reading, replaying and scaling `sim` tests.
#![doc = include_str!("../../docs/guide.md")]
