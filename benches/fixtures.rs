//! Time and heap of reading and normalising each fixture workspace.
//!
//! `cargo bench --bench fixtures` prints, per directory, the mean wall time of
//! `snapshot::fixtures::load_dir` and of `model::normalise`, and the peak heap and total
//! bytes allocated by one load + normalise. Figures only; nothing is asserted.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use stageprint::model::{self, ConvertOptions};
use stageprint::secrets::{Classifier, Fingerprinter};
use stageprint::snapshot::fixtures::load_dir;

/// Counts live and total heap bytes so one run's peak can be reported.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static TOTAL: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
            TOTAL.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const ITERATIONS: u32 = 200;

fn mean(total: Duration) -> String {
    format!(
        "{:>8.1} µs",
        total.as_secs_f64() * 1e6 / f64::from(ITERATIONS)
    )
}

fn main() {
    let classifier = Classifier::default();
    let fingerprinter = Fingerprinter::new(b"bench-key");
    let opts = ConvertOptions {
        classifier: &classifier,
        fingerprinter: fingerprinter.as_ref(),
    };
    println!(
        "{:<22} {:>11} {:>11} {:>11} {:>13}",
        "fixture", "load_dir", "normalise", "peak heap", "allocated"
    );
    for name in ["insurance-navigator", "harbor", "canary"] {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name)
            .join("api");

        let base = LIVE.load(Ordering::Relaxed);
        PEAK.store(base, Ordering::Relaxed);
        let total_before = TOTAL.load(Ordering::Relaxed);
        let raw = load_dir(&dir).expect("fixture loads");
        let snapshot = black_box(model::normalise(&raw, &opts));
        let peak = PEAK.load(Ordering::Relaxed) - base;
        let allocated = TOTAL.load(Ordering::Relaxed) - total_before;
        drop(snapshot);

        let started = Instant::now();
        for _ in 0..ITERATIONS {
            black_box(load_dir(black_box(&dir)).expect("fixture loads"));
        }
        let load = started.elapsed();
        let started = Instant::now();
        for _ in 0..ITERATIONS {
            black_box(model::normalise(black_box(&raw), &opts));
        }
        let normalise = started.elapsed();
        println!(
            "{name:<22} {} {} {:>8} KiB {:>10} KiB",
            mean(load),
            mean(normalise),
            peak / 1024,
            allocated / 1024
        );
    }
}
