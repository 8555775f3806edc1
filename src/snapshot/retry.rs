//! Retrying idempotent GETs: one layer outside the endpoint code.
//!
//! Whether to retry ([`verdict`]) is decided from the error alone: 5xx, lost or cut-short
//! responses and bodies that are not JSON may succeed next time; 429 will, after the
//! server's `Retry-After`; everything else (401, 403, 404, a body of the wrong shape) will
//! not. How long to wait ([`RetryPolicy::delay`]) is capped exponential backoff with
//! jitter that tests switch off; a server's `Retry-After` is honoured but bounded.

use std::future::Future;
use std::time::Duration;

use tracing::info;

use super::client::{Endpoint, ErrorKind, RequestError, Stats};

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// Delay before the first retry; doubled for each further one.
    pub base: Duration,
    /// Longest backoff between attempts.
    pub cap: Duration,
    /// Longest `Retry-After` honoured; a server asking for more gets this.
    pub max_retry_after: Duration,
    /// Spread delays randomly over the upper half of each backoff step, so concurrent
    /// requests that failed together do not retry together.
    pub jitter: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            base: Duration::from_millis(250),
            cap: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
            jitter: true,
        }
    }
}

/// Whether a failed attempt is worth repeating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Stop,
    Retry,
    /// Retry, not before the server's `Retry-After` (when it sent one).
    RetryAfter(Option<Duration>),
}

pub fn verdict(e: &RequestError) -> Verdict {
    match e.kind {
        ErrorKind::Server | ErrorKind::Transport | ErrorKind::Malformed => Verdict::Retry,
        ErrorKind::RateLimited => Verdict::RetryAfter(e.retry_after),
        ErrorKind::Unauthorized
        | ErrorKind::Forbidden
        | ErrorKind::NotFound
        | ErrorKind::Unexpected
        | ErrorKind::Paging => Verdict::Stop,
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempt + 1`, after `attempt` failures (1-based).
    pub fn delay(&self, attempt: u32, verdict: Verdict) -> Duration {
        let exp = self
            .base
            .saturating_mul(
                1u32.checked_shl(attempt.saturating_sub(1))
                    .unwrap_or(u32::MAX),
            )
            .min(self.cap);
        let backoff = if self.jitter {
            exp / 2 + exp.mul_f64(random_unit() / 2.0)
        } else {
            exp
        };
        match verdict {
            Verdict::RetryAfter(Some(after)) => after.min(self.max_retry_after).max(backoff),
            _ => backoff,
        }
    }
}

/// Run `attempt` until it succeeds, fails for good, or runs out of attempts.
pub async fn with_retries<T, F, Fut>(
    policy: &RetryPolicy,
    stats: &Stats,
    endpoint: &Endpoint,
    mut attempt: F,
) -> Result<T, RequestError>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T, RequestError>>,
{
    let mut n = 1;
    loop {
        match attempt(n).await {
            Ok(v) => return Ok(v),
            Err(mut e) => {
                let v = verdict(&e);
                if v == Verdict::Stop || n >= policy.max_attempts {
                    e.attempts = n;
                    return Err(e);
                }
                let wait = policy.delay(n, v);
                info!(
                    endpoint = %endpoint,
                    status = e.status.unwrap_or(0),
                    request_id = e.request_id.as_deref().unwrap_or("-"),
                    attempt = n,
                    wait_ms = wait.as_millis() as u64,
                    "retrying: {}",
                    e.message
                );
                Stats::bump(&stats.retries);
                tokio::time::sleep(wait).await;
                n += 1;
            }
        }
    }
}

/// A number in [0, 1) for jitter (fastrand: a per-thread generator seeded at random).
fn random_unit() -> f64 {
    fastrand::f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(kind: ErrorKind) -> RequestError {
        RequestError::new(&Endpoint::new("/services"), kind, "x")
    }

    fn exact() -> RetryPolicy {
        RetryPolicy {
            jitter: false,
            ..RetryPolicy::default()
        }
    }

    #[test]
    fn what_is_retried() {
        assert_eq!(verdict(&err(ErrorKind::Server)), Verdict::Retry);
        assert_eq!(verdict(&err(ErrorKind::Transport)), Verdict::Retry);
        assert_eq!(verdict(&err(ErrorKind::Malformed)), Verdict::Retry);
        assert_eq!(verdict(&err(ErrorKind::Unauthorized)), Verdict::Stop);
        assert_eq!(verdict(&err(ErrorKind::Forbidden)), Verdict::Stop);
        assert_eq!(verdict(&err(ErrorKind::NotFound)), Verdict::Stop);
        assert_eq!(verdict(&err(ErrorKind::Unexpected)), Verdict::Stop);
        let mut e = err(ErrorKind::RateLimited);
        e.retry_after = Some(Duration::from_secs(3));
        assert_eq!(
            verdict(&e),
            Verdict::RetryAfter(Some(Duration::from_secs(3)))
        );
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let p = exact();
        let ms = |a| p.delay(a, Verdict::Retry).as_millis();
        assert_eq!(
            [ms(1), ms(2), ms(3), ms(6), ms(40)],
            [250, 500, 1000, 8000, 8000]
        );
    }

    #[test]
    fn retry_after_is_honoured_but_bounded() {
        let p = exact();
        let after = |s| p.delay(1, Verdict::RetryAfter(Some(Duration::from_secs(s))));
        assert_eq!(after(5), Duration::from_secs(5));
        assert_eq!(after(3600), Duration::from_secs(60));
        assert_eq!(
            p.delay(1, Verdict::RetryAfter(None)),
            Duration::from_millis(250)
        );
    }

    #[test]
    fn jitter_stays_within_the_upper_half() {
        let p = RetryPolicy::default();
        for _ in 0..200 {
            let d = p.delay(3, Verdict::Retry);
            assert!(
                d >= Duration::from_millis(500) && d <= Duration::from_millis(1000),
                "{d:?}"
            );
        }
    }

    #[tokio::test]
    async fn stops_on_what_cannot_succeed_and_counts_attempts() {
        let fast = RetryPolicy {
            base: Duration::from_millis(1),
            cap: Duration::from_millis(2),
            ..exact()
        };
        let stats = Stats::default();
        let ep = Endpoint::new("/services");
        let mut calls = 0;
        let r: Result<(), _> = with_retries(&fast, &stats, &ep, |_| {
            calls += 1;
            async { Err(err(ErrorKind::Server)) }
        })
        .await;
        assert_eq!(calls, 6);
        assert_eq!(r.unwrap_err().attempts, 6);
        assert_eq!(Stats::get(&stats.retries), 5);

        let mut calls = 0;
        let r: Result<(), _> = with_retries(&fast, &stats, &ep, |_| {
            calls += 1;
            async { Err(err(ErrorKind::Unauthorized)) }
        })
        .await;
        assert_eq!((calls, r.unwrap_err().attempts), (1, 1));

        let mut calls = 0;
        let r = with_retries(&fast, &stats, &ep, |n| {
            calls += 1;
            async move {
                if n < 3 {
                    Err(err(ErrorKind::Transport))
                } else {
                    Ok(n)
                }
            }
        })
        .await;
        assert_eq!(r.unwrap(), 3);
    }
}
