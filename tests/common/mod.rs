//! Code shared by the cross-crate tests.
#![allow(dead_code)]

pub mod shop;
