//! (being written)

pub mod connection;
