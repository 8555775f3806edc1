//! The snapshot stage: the only code that talks to the network. It reads a production
//! workspace through the Render REST API into [`wire::RawWorkspace`]; `model::normalise`
//! turns that into the domain snapshot.

pub mod fixtures;
pub mod wire;
