//! The snapshot stage: the only code that talks to the network. It reads a production
//! workspace through the Render REST API into [`wire::RawWorkspace`]; `model::normalise`
//! turns that into the domain snapshot.
//!
//! Layers, outermost first: [`fetch`] walks a workspace; [`paging`] follows cursor pages;
//! [`client`] sends one GET through [`retry`], the concurrency bound and the rate-limit
//! pacer ([`ratelimit`]), and maps failures to errors naming endpoint, status and request
//! id. [`fixtures`] reads recorded responses instead, for offline use.

pub mod client;
pub mod fetch;
pub mod fixtures;
pub mod paging;
pub mod ratelimit;
pub mod retry;
pub mod wire;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

pub use client::{ApiKey, Client, ClientSettings, Endpoint, ErrorKind, RequestError, Stats};
pub use fetch::{Selection, Walked};
pub use retry::RetryPolicy;

/// Read workspace `owner_id`, giving up after `deadline`.
pub async fn read_workspace(
    client: Arc<Client>,
    owner_id: &str,
    selection: &Selection,
    deadline: Duration,
) -> anyhow::Result<Walked> {
    let stats = client.stats.clone();
    match tokio::time::timeout(deadline, fetch::workspace(client, owner_id, selection)).await {
        Ok(walked) => walked,
        Err(_) => anyhow::bail!(
            "the snapshot did not finish within {} s after {} requests (api.deadlineSeconds in stageprint.yaml sets the limit)",
            deadline.as_secs(),
            Stats::get(&stats.requests)
        ),
    }
}

/// The closing one-line summary of a live snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub resources: u64,
    pub requests: u64,
    pub retries: u64,
    /// Responses with status 429.
    pub rate_limited: u64,
    /// Requests the pacer held back, and the wall time during which any was held.
    pub held: u64,
    pub waited: Duration,
    pub elapsed: Duration,
}

impl Summary {
    pub fn of(client: &Client, elapsed: Duration) -> Summary {
        let s = &client.stats;
        let (waited, held) = client.rate_limit_waits();
        Summary {
            resources: Stats::get(&s.resources_total),
            requests: Stats::get(&s.requests),
            retries: Stats::get(&s.retries),
            rate_limited: Stats::get(&s.rate_limited),
            held,
            waited,
            elapsed,
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} resources, {} requests, {} retries, {} rate-limit waits ({:.1} s waiting; {} answered 429), {:.1} s",
            self.resources,
            self.requests,
            self.retries,
            self.held,
            self.waited.as_secs_f64(),
            self.rate_limited,
            self.elapsed.as_secs_f64()
        )
    }
}
