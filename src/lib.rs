//! stageprint: a Render production workspace → a reviewed, schema-valid staging Blueprint.
//!
//! Data flows one way, one module per stage:
//! [`snapshot`] (the only network code) → [`model`] (domain types) → `overlay`
//! (staging model with provenance) → `render` (files through templates) →
//! `validate` (schemas, semantic and isolation checks) → [`output`] (write or check).

pub mod cli;
pub mod commands;
pub mod config;
pub mod locate;
pub mod logging;
pub mod model;
pub mod output;
pub mod overlay;
pub mod pattern;
pub mod pipeline;
pub mod render;
pub mod secrets;
pub mod snapshot;
pub mod validate;
pub mod yaml;
