//! Pacing requests from the `Ratelimit-Limit/Remaining/Reset` headers Render sends on every
//! response, so a snapshot stays inside the per-user GET budget it shares with other tools.
//!
//! Render counts GETs in fixed windows (400 a minute in production). The pacer keeps a
//! conservative model of the budget left in the current window: the lowest `Remaining`
//! seen, less every request sent since that could still be counted. It never lets that
//! model fall below a reserve (`headroom` × limit, left for other tools). What is above
//! the reserve is spent at once, at full concurrency: a job that fits in the budget left
//! is never slowed down, and one that does not waits for the window to reset only when
//! the budget is spent. Besides the server's windows, the pacer counts its own requests
//! over any span as long as a window (learned from the largest `Ratelimit-Reset` seen), so
//! that a burst at the end of one window and another at the start of the next never add
//! up to more than the limit less the reserve within one window's length. Before the first
//! response, and again once a window has certainly ended, a single probe request learns
//! the new budget. A 429 stops every request until its `Retry-After` has passed. Responses
//! without rate-limit headers are paced evenly at the documented rate.
//!
//! The bookkeeping ([`State`]) is a plain value driven by explicit instants so it can be
//! tested without clocks; [`Pacer`] wraps it for concurrent async callers.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderMap;
use tokio::sync::Notify;

/// What the rate-limit headers of one response said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateHeaders {
    pub limit: u64,
    pub remaining: u64,
    /// Time until the window resets, as sent (whole seconds).
    pub reset: Duration,
}

/// `Ratelimit-Reset` values at or above this are Unix times, not seconds until reset.
/// Render documents epoch seconds but sends small deltas (0–59); accept both.
const EPOCH_THRESHOLD: u64 = 1_000_000_000;

impl RateHeaders {
    /// Read the three headers (names are case-insensitive; the first parseable value of a
    /// repeated header wins). `None` when any is missing or not a number.
    pub fn from_headers(headers: &HeaderMap, now_unix: f64) -> Option<RateHeaders> {
        let number = |name: &str| -> Option<u64> {
            headers
                .get_all(name)
                .iter()
                .find_map(|v| v.to_str().ok()?.trim().parse::<u64>().ok())
        };
        let limit = number("ratelimit-limit")?;
        let remaining = number("ratelimit-remaining")?;
        let reset = number("ratelimit-reset")?;
        // An epoch reset is measured from the fractional present, so that either form
        // means "the reset lies within a second after now + reset".
        let reset = if reset >= EPOCH_THRESHOLD {
            Duration::from_secs_f64((reset as f64 - now_unix).max(0.0))
        } else {
            Duration::from_secs(reset)
        };
        Some(RateHeaders {
            limit,
            remaining,
            reset,
        })
    }
}

/// Seconds since the Unix epoch, for epoch-style `Ratelimit-Reset` values.
pub fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// `Retry-After` in its delta-seconds form (the only form Render sends).
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get("retry-after")?.to_str().ok()?.trim();
    v.parse::<u64>().ok().map(Duration::from_secs)
}

/// The budget model of one rate-limit window.
#[derive(Debug, Clone, Copy)]
struct Window {
    limit: u64,
    /// Budget left for us, after every request that may still be counted against it.
    remaining: i64,
    /// The window resets after `ends_after` and by `ends_by`. `Reset` is whole seconds
    /// rounded down, so each response bounds the reset between `sent + reset` and
    /// `received + reset + 1s`; the tightest bounds win.
    ends_after: Instant,
    ends_by: Instant,
    /// The last probe sent while the window might already have reset.
    early_probe: Option<Instant>,
}

/// How far behind its schedule the headerless pacer may catch up by sending early.
const CATCH_UP: Duration = Duration::from_millis(20);

/// How long the record of our own requests is kept, at least: Render's window.
const DOCUMENTED_WINDOW: Duration = Duration::from_secs(60);

/// GET budget Render documents, used only if responses carry no rate-limit headers.
const DOCUMENTED_LIMIT_PER_MINUTE: f64 = 400.0;

/// A decision for one request that wants to go out now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Go,
    /// Ask again at this instant (or earlier, when a response arrives).
    WaitUntil(Instant),
    /// Ask again when a response arrives: a probe is learning the budget.
    WaitForResponse,
}

/// Pacing bookkeeping. Every method takes the current instant from the caller.
#[derive(Debug)]
pub struct State {
    headroom: f64,
    window: Option<Window>,
    /// Responses arrived but none carried rate-limit headers: pace at the documented rate.
    headerless: bool,
    in_flight: u64,
    /// The next slot of the even pace used when responses carry no rate-limit headers.
    next_slot: Option<Instant>,
    blocked_until: Option<Instant>,
    /// When each of our own requests went out, oldest first, over at least one window.
    sent: VecDeque<Instant>,
    /// The limit the last window had (kept while a new window is probed).
    last_limit: Option<u64>,
    /// A window's length, as far as the responses tell: the largest `Ratelimit-Reset`
    /// seen plus the second it is rounded down by.
    span: Duration,
}

impl State {
    pub fn new(headroom: f64) -> State {
        State {
            headroom: headroom.clamp(0.0, 0.9),
            window: None,
            headerless: false,
            in_flight: 0,
            next_slot: None,
            blocked_until: None,
            sent: VecDeque::new(),
            last_limit: None,
            span: Duration::ZERO,
        }
    }

    fn reserve(&self, limit: u64) -> i64 {
        (self.headroom * limit as f64).ceil() as i64
    }

    /// May a request go out at `now`? On `Go` the request is counted as sent.
    pub fn decide(&mut self, now: Instant) -> Decision {
        if let Some(until) = self.blocked_until {
            if now < until {
                return Decision::WaitUntil(until);
            }
            self.blocked_until = None;
        }
        if let Some(w) = self.window
            && now >= w.ends_by
        {
            // The window has certainly reset; its new budget is unknown until a probe returns.
            self.window = None;
            self.next_slot = None;
        }
        // Whether the server's budget lets a request out; nothing is counted yet.
        let mut headerless_slot = None;
        let mut early_probe = false;
        match self.window {
            None if self.headerless => {
                let interval = Duration::from_secs_f64(
                    60.0 / (DOCUMENTED_LIMIT_PER_MINUTE * (1.0 - self.headroom)),
                );
                // Timers wake a little late; counting the next slot from the missed one
                // rather than from now keeps that lateness from adding up into a slower
                // rate. Anything later than CATCH_UP is idleness, not lateness, and earns
                // no burst.
                let base = match self.next_slot {
                    Some(slot) if now < slot => return Decision::WaitUntil(slot),
                    Some(slot) if now - slot <= CATCH_UP => slot,
                    _ => now,
                };
                headerless_slot = Some(base + interval);
            }
            None if self.in_flight > 0 => return Decision::WaitForResponse,
            None => {}
            Some(w) if w.remaining - self.reserve(w.limit) <= 0 => {
                // The budget above the reserve is spent. Once the window may have reset, a
                // single probe (from the reserve, within our own rate below) learns
                // whether it has, each one halving the time left to the certain reset.
                let probe_at = match w.early_probe {
                    Some(last) => last + (w.ends_by.saturating_duration_since(last)) / 2,
                    None => w.ends_after,
                };
                if w.remaining <= 0 {
                    // Not even the reserve is left: wait for the certain reset.
                    return Decision::WaitUntil(w.ends_by);
                }
                if now < probe_at {
                    return Decision::WaitUntil(probe_at.min(w.ends_by));
                }
                if self.in_flight > 0 {
                    return Decision::WaitForResponse;
                }
                early_probe = true;
            }
            Some(_) => {}
        }
        // Whether our own rate over a window's length lets it out.
        if let Some(limit) = self.window.map(|w| w.limit).or(self.last_limit)
            && let Some(until) = self.own_rate_wait(now, limit)
        {
            return Decision::WaitUntil(until);
        }
        if headerless_slot.is_some() {
            self.next_slot = headerless_slot;
        }
        if let Some(w) = &mut self.window {
            w.remaining -= 1;
            if early_probe {
                w.early_probe = Some(now);
            }
        }
        self.in_flight += 1;
        self.sent.push_back(now);
        Decision::Go
    }

    /// When our own requests over the last window's length already reach the limit less
    /// the reserve: the instant the oldest of them leaves that span.
    fn own_rate_wait(&mut self, now: Instant, limit: u64) -> Option<Instant> {
        let keep = self.span.max(DOCUMENTED_WINDOW);
        while self
            .sent
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= keep)
        {
            self.sent.pop_front();
        }
        if self.span.is_zero() {
            return None;
        }
        let cap = (limit as i64 - self.reserve(limit)).max(1) as usize;
        let n = self.sent.len();
        if n < cap {
            return None;
        }
        // Sent times are in order, so the span holds `cap` requests or more exactly when
        // the cap-th most recent one is still inside it.
        let oldest_counted = self.sent[n - cap];
        let leaves = oldest_counted + self.span;
        (leaves > now).then_some(leaves)
    }

    /// A response arrived at `now` for a request sent `rtt` ago.
    pub fn on_response(
        &mut self,
        now: Instant,
        rtt: Duration,
        headers: Option<RateHeaders>,
        too_many: bool,
        retry_after: Option<Duration>,
    ) {
        self.in_flight = self.in_flight.saturating_sub(1);
        let Some(h) = headers else {
            if self.window.is_none() {
                self.headerless = true;
            }
            if too_many {
                self.block(now + retry_after.unwrap_or(Duration::from_secs(1)));
            }
            return;
        };
        self.headerless = false;
        self.last_limit = Some(h.limit);
        self.span = self.span.max(h.reset + Duration::from_secs(1));
        // Requests still out may be counted after this response was computed.
        let observed = h.remaining as i64 - self.in_flight as i64;
        let ends_after = now.checked_sub(rtt).unwrap_or(now) + h.reset;
        let ends_by = now + h.reset + Duration::from_secs(1);
        let fresh = Window {
            limit: h.limit,
            remaining: observed,
            ends_after,
            ends_by,
            early_probe: None,
        };
        // Two responses from one window disagree on its end by at most a second plus the
        // round trip; anything further apart belongs to another window.
        let slack = Duration::from_millis(1500) + rtt;
        match self.window {
            Some(w) if ends_by > w.ends_by + slack => self.window = Some(fresh),
            Some(w) if ends_by + slack < w.ends_by => {} // late answer from an earlier window
            Some(mut w) => {
                w.limit = h.limit;
                w.remaining = w.remaining.min(observed);
                w.ends_after = w.ends_after.max(ends_after);
                w.ends_by = w.ends_by.min(ends_by);
                self.window = Some(w);
            }
            None => self.window = Some(fresh),
        }
        if too_many {
            // The headers say how much budget is left; the 429 says when to try again.
            self.block(now + retry_after.unwrap_or(h.reset.max(Duration::from_secs(1))));
        }
    }

    /// A request ended without a response (reset connection, timeout). It may or may not
    /// have been counted, so its share of the budget stays spent.
    pub fn on_lost(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
    }

    fn block(&mut self, until: Instant) {
        self.blocked_until = Some(self.blocked_until.map_or(until, |b| b.max(until)));
    }
}

/// The pacer shared by every request of a client.
#[derive(Debug)]
pub struct Pacer {
    state: Mutex<State>,
    changed: Notify,
    waits: Mutex<WaitClock>,
}

/// Wall time during which at least one request was held back by the rate limit.
#[derive(Debug, Default)]
struct WaitClock {
    waiting: u32,
    since: Option<Instant>,
    total: Duration,
    held: u64,
}

impl Pacer {
    pub fn new(headroom: f64) -> Pacer {
        Pacer {
            state: Mutex::new(State::new(headroom)),
            changed: Notify::new(),
            waits: Mutex::new(WaitClock::default()),
        }
    }

    /// Wait until a request may go out; the returned ticket must report how it ended.
    pub async fn acquire(&self) -> Ticket<'_> {
        let mut held = false;
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let decision = self
                .state
                .lock()
                .expect("pacer lock")
                .decide(Instant::now());
            let wait = match decision {
                Decision::Go => break,
                Decision::WaitUntil(t) => Some(t),
                Decision::WaitForResponse => None,
            };
            if !held {
                held = true;
                self.clock(|c| {
                    c.held += 1;
                    if c.waiting == 0 {
                        c.since = Some(Instant::now());
                    }
                    c.waiting += 1;
                });
            }
            match wait {
                Some(t) => {
                    tokio::select! {
                        _ = tokio::time::sleep_until(t.into()) => {}
                        _ = &mut notified => {}
                    }
                }
                None => notified.await,
            }
        }
        if held {
            self.clock(|c| {
                c.waiting -= 1;
                if c.waiting == 0
                    && let Some(since) = c.since.take()
                {
                    c.total += since.elapsed();
                }
            });
        }
        Ticket {
            pacer: self,
            sent: Instant::now(),
            done: false,
        }
    }

    fn clock(&self, f: impl FnOnce(&mut WaitClock)) {
        f(&mut self.waits.lock().expect("wait clock lock"));
    }

    /// Time held back by the rate limit so far, and how many requests were held.
    pub fn waited(&self) -> (Duration, u64) {
        let c = self.waits.lock().expect("wait clock lock");
        let open = c.since.map(|s| s.elapsed()).unwrap_or_default();
        (c.total + open, c.held)
    }
}

/// One request let out by the pacer. Dropping it unreported counts as a lost request.
#[derive(Debug)]
pub struct Ticket<'a> {
    pacer: &'a Pacer,
    sent: Instant,
    done: bool,
}

impl Ticket<'_> {
    pub fn response(
        mut self,
        headers: Option<RateHeaders>,
        too_many: bool,
        retry_after: Option<Duration>,
    ) {
        self.done = true;
        let now = Instant::now();
        self.pacer.state.lock().expect("pacer lock").on_response(
            now,
            now - self.sent,
            headers,
            too_many,
            retry_after,
        );
        self.pacer.changed.notify_waiters();
    }
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.pacer.state.lock().expect("pacer lock").on_lost();
            self.pacer.changed.notify_waiters();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn h(limit: u64, remaining: u64, reset: u64) -> Option<RateHeaders> {
        Some(RateHeaders {
            limit,
            remaining,
            reset: Duration::from_secs(reset),
        })
    }

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn parses_headers_in_any_case_and_epoch_resets() {
        let mut m = HeaderMap::new();
        m.insert("Ratelimit-Limit", HeaderValue::from_static("400"));
        m.insert("ratelimit-remaining", HeaderValue::from_static("399"));
        m.insert("RateLimit-Reset", HeaderValue::from_static("59"));
        assert_eq!(RateHeaders::from_headers(&m, 0.0), h(400, 399, 59));
        m.insert("ratelimit-reset", HeaderValue::from_static("1800000030"));
        let reset = RateHeaders::from_headers(&m, 1_800_000_000.5)
            .unwrap()
            .reset;
        assert_eq!(reset, Duration::from_millis(29_500));
        m.remove("ratelimit-limit");
        assert_eq!(RateHeaders::from_headers(&m, 0.0), None);
    }

    #[test]
    fn probes_once_then_spends_the_budget_above_the_reserve_at_once() {
        let t0 = Instant::now();
        let mut s = State::new(0.2);
        assert_eq!(s.decide(t0), Decision::Go);
        assert_eq!(
            s.decide(t0),
            Decision::WaitForResponse,
            "one probe at a time"
        );
        // 100 per window, 9 s to reset: reserve 20, 79 left, all of them at once.
        s.on_response(t0 + MS, MS, h(100, 99, 9), false, None);
        for i in 0..79 {
            assert_eq!(s.decide(t0 + MS), Decision::Go, "request {i}");
        }
        // Then nothing until the window may have reset (9 s after the probe was sent).
        assert_eq!(
            s.decide(t0 + MS),
            Decision::WaitUntil(t0 + Duration::from_secs(9))
        );
    }

    #[test]
    fn a_new_window_does_not_double_the_rate_over_a_window_length() {
        let t0 = Instant::now();
        let mut s = State::new(0.0);
        s.decide(t0);
        // A 10 s window (the reset says 9 s are left), 10 requests, one of them spent.
        s.on_response(t0, MS, h(10, 9, 9), false, None);
        let late = t0 + Duration::from_secs(8);
        for _ in 0..9 {
            assert_eq!(s.decide(late), Decision::Go);
        }
        for _ in 0..9 {
            s.on_response(late + MS, MS, h(10, 0, 1), false, None);
        }
        // The server's window resets at t0 + 9..10 s and offers a fresh budget, but our
        // own ten requests in the last 10 s already reach the limit: the first slot opens
        // when the probe at t0 leaves the span, the next ones when the burst at t0 + 8 s does.
        let next = t0 + Duration::from_secs(10);
        assert_eq!(s.decide(next), Decision::Go, "the probe of the new window");
        s.on_response(next, MS, h(10, 9, 9), false, None);
        assert_eq!(
            s.decide(next),
            Decision::WaitUntil(late + Duration::from_secs(10))
        );
        for _ in 0..9 {
            assert_eq!(s.decide(late + Duration::from_secs(10)), Decision::Go);
        }
    }

    #[test]
    fn over_any_window_length_it_never_sends_more_than_the_limit_less_the_reserve() {
        // A simulated server with 5 s windows of 50 requests; the client wants 1,000 and
        // another tool spends 10 in every window. Whatever the phase, no span of 5 s
        // holds more than 40 of our requests (50 less a reserve of 10).
        let t0 = Instant::now();
        let window = Duration::from_secs(5);
        let mut s = State::new(0.2);
        let mut now = t0 + Duration::from_millis(3_700);
        let mut ours: Vec<Instant> = Vec::new();
        let mut used: (u128, u64) = (u128::MAX, 0);
        let mut pending: Vec<Instant> = Vec::new();
        while ours.len() < 1_000 {
            let index = (now - t0).as_nanos() / window.as_nanos();
            if used.0 != index {
                used = (index, 10); // the other tool's share
            }
            match s.decide(now) {
                Decision::Go => {
                    used.1 += 1;
                    assert!(used.1 <= 50, "the server would answer 429");
                    ours.push(now);
                    pending.push(now);
                }
                Decision::WaitUntil(t) => now = t.max(now + MS),
                Decision::WaitForResponse => now += 10 * MS,
            }
            // Answer whatever was sent 10 ms ago or more.
            let (done, rest): (Vec<Instant>, Vec<Instant>) =
                pending.into_iter().partition(|t| now - *t >= 10 * MS);
            pending = rest;
            for _ in done {
                let ends = t0 + window * (index as u32 + 1);
                let reset = Duration::from_secs((ends - now.min(ends)).as_secs());
                let remaining = 50u64.saturating_sub(used.1);
                s.on_response(
                    now,
                    10 * MS,
                    Some(RateHeaders {
                        limit: 50,
                        remaining,
                        reset,
                    }),
                    false,
                    None,
                );
            }
        }
        for (i, t) in ours.iter().enumerate() {
            let in_span = ours[i..].iter().take_while(|u| **u - *t < window).count();
            assert!(
                in_span <= 40,
                "{in_span} requests within 5 s of request {i}"
            );
        }
        // And the budget is used: the reserve stays untouched on top of what the other
        // tool spends, so 30 of ours fit in each window and 1,000 take 34 windows (167 s).
        let took = (*ours.last().unwrap() - t0).as_secs_f64();
        assert!(took < 172.0, "1,000 requests took {took:.1} s");
    }

    #[test]
    fn late_wake_ups_do_not_slow_the_headerless_rate() {
        let t0 = Instant::now();
        let mut s = State::new(0.0);
        s.decide(t0);
        s.on_response(t0, MS, None, false, None);
        // 400 a minute: one every 150 ms. Each wake-up comes 1 ms late.
        let mut now = t0;
        let mut sent = 0;
        while sent < 100 {
            match s.decide(now) {
                Decision::Go => sent += 1,
                Decision::WaitUntil(t) => now = t + MS,
                Decision::WaitForResponse => unreachable!(),
            }
        }
        let elapsed = (now - t0).as_secs_f64();
        assert!(
            elapsed < 0.150 * 99.0 * 1.01,
            "100 requests took {elapsed:.3} s"
        );
    }

    #[test]
    fn never_spends_the_reserve_before_the_window_may_have_reset() {
        let t0 = Instant::now();
        let mut s = State::new(0.2);
        s.decide(t0);
        s.on_response(t0, MS, h(10, 9, 30), false, None);
        let mut sent = 0;
        let mut now = t0;
        let may_reset = t0 + Duration::from_secs(30) - MS;
        while now < may_reset {
            match s.decide(now) {
                Decision::Go => sent += 1,
                Decision::WaitUntil(t) => now = t,
                Decision::WaitForResponse => break,
            }
        }
        // 9 left, 2 reserved for other tools.
        assert_eq!(sent, 7);
        assert_eq!(now, may_reset);
    }

    #[test]
    fn once_the_window_may_have_reset_single_probes_close_in_on_the_reset() {
        let t0 = Instant::now();
        let ms = |n: u64| Duration::from_millis(n);
        let mut s = State::new(0.2);
        s.decide(t0);
        // A 10 s window: 9 s to the reset as the probe saw it.
        s.on_response(t0 + ms(10), ms(10), h(10, 9, 9), false, None);
        for _ in 0..7 {
            assert_eq!(s.decide(t0 + ms(10)), Decision::Go);
        }
        for i in 1..=7 {
            s.on_response(t0 + ms(20), ms(10), h(10, 9 - i, 9), false, None);
        }
        // Spent down to the reserve. The reset lies between t0 + 9.01 s and t0 + 10.01 s:
        // nothing goes before the earliest.
        let may_reset = t0 + ms(9_010);
        assert_eq!(s.decide(t0 + ms(30)), Decision::WaitUntil(may_reset));
        // Our own eight requests of the last window's length are the limit less the
        // reserve, so the first probe also waits for the oldest of them to leave the span.
        assert_eq!(s.decide(may_reset), Decision::WaitUntil(t0 + ms(10_000)));
        assert_eq!(s.decide(t0 + ms(10_000)), Decision::Go, "one probe");
        // The next one no earlier than halfway to the certain reset.
        assert_eq!(
            s.decide(t0 + ms(10_000)),
            Decision::WaitUntil(t0 + ms(10_005))
        );
        // The old window, and not even the reserve left: nothing until the certain reset.
        s.on_response(t0 + ms(10_002), ms(2), h(10, 0, 0), false, None);
        assert_eq!(
            s.decide(t0 + ms(10_002)),
            Decision::WaitUntil(t0 + ms(10_010))
        );
    }

    #[test]
    fn requests_in_flight_count_against_what_a_response_reports() {
        let t0 = Instant::now();
        let mut s = State::new(0.0);
        s.decide(t0);
        s.on_response(t0, MS, h(10, 9, 30), false, None);
        let mut now = t0;
        let mut out = 0;
        while out < 5 {
            match s.decide(now) {
                Decision::Go => out += 1,
                Decision::WaitUntil(t) => now = t,
                Decision::WaitForResponse => unreachable!(),
            }
        }
        // The first of the five comes back saying 8 remain (the server had not yet counted
        // the other four): the model keeps them spent.
        s.on_response(now, MS, h(10, 8, 30), false, None);
        assert_eq!(s.window.unwrap().remaining, 4);
    }

    #[test]
    fn a_new_window_is_learned_and_stale_answers_ignored() {
        let t0 = Instant::now();
        let mut s = State::new(0.0);
        s.decide(t0);
        s.on_response(t0, MS, h(10, 0, 2), false, None);
        let Decision::WaitUntil(t) = s.decide(t0) else {
            panic!("budget spent")
        };
        assert_eq!(t, t0 + Duration::from_secs(3));
        // After the window has certainly ended, one probe learns the new budget.
        assert_eq!(s.decide(t), Decision::Go);
        assert_eq!(s.decide(t), Decision::WaitForResponse);
        s.on_response(t + MS, MS, h(10, 9, 59), false, None);
        assert_eq!(s.window.unwrap().remaining, 9);
        // A late answer from the old window does not shrink the new one.
        s.decide(t + MS);
        s.on_response(t + 2 * MS, MS, h(10, 0, 0), false, None);
        assert_eq!(s.window.unwrap().remaining, 8);
    }

    #[test]
    fn a_429_blocks_everything_until_retry_after() {
        let t0 = Instant::now();
        let mut s = State::new(0.0);
        s.decide(t0);
        s.on_response(t0, MS, h(10, 5, 30), false, None);
        s.decide(t0);
        s.on_response(t0, MS, h(10, 0, 30), true, Some(Duration::from_secs(7)));
        assert_eq!(
            s.decide(t0 + Duration::from_secs(1)),
            Decision::WaitUntil(t0 + Duration::from_secs(7))
        );
    }

    #[test]
    fn a_429_with_budget_left_is_waited_out_not_taken_as_a_spent_window() {
        // Another limit, or a proxy: the headers still report budget.
        let t0 = Instant::now();
        let mut s = State::new(0.0);
        s.decide(t0);
        s.on_response(t0, MS, h(100, 99, 30), false, None);
        s.decide(t0);
        s.on_response(t0, MS, h(100, 98, 30), true, Some(Duration::from_secs(1)));
        assert_eq!(
            s.decide(t0),
            Decision::WaitUntil(t0 + Duration::from_secs(1))
        );
        assert_eq!(s.decide(t0 + Duration::from_secs(1)), Decision::Go);
    }

    #[test]
    fn without_headers_it_paces_at_the_documented_rate() {
        let t0 = Instant::now();
        let mut s = State::new(0.0);
        s.decide(t0);
        s.on_response(t0, MS, None, false, None);
        assert_eq!(s.decide(t0), Decision::Go);
        let Decision::WaitUntil(t) = s.decide(t0) else {
            panic!()
        };
        assert_eq!(t - t0, Duration::from_millis(150));
    }
}
