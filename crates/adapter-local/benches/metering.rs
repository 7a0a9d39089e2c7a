//! The metering hot path: what recording one invocation costs, against a baseline in the same
//! run. Run with `cargo bench -p faasport-adapter-local --bench metering`.
//!
//! * baseline: build the record an invocation needs, as the runtime does (a clone of the
//!   function's shared name, the request id formatted into its own allocation) and drop it;
//! * record: build it and push it into a [`Meter`] pre-sized for the run (lock + move into
//!   place), keeping every record;
//! * record, unsized meter: the same into `Meter::new()`, which keeps the default ring of
//!   10,000 records and updates the aggregates (the runtime's meter also meters the three
//!   billing rules' quantities);
//! * record + bill: also compute the billed duration under the Lambda rule, as the runtime does;
//! * steady state: as `record`, but the meter is drained every 10,000 records (the records are
//!   dropped, as in the baseline), so the figure excludes first-touch page faults of memory that
//!   only grows.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use faasport_adapter_local::meter::LambdaRule;
use faasport_adapter_local::{BillingRule, InvocationRecord, LambdaArch, Meter, PriceTable};

const N: u64 = 2_000_000;

fn make(name: &Arc<str>, i: u64) -> InvocationRecord {
    let mut r = InvocationRecord::new(Arc::clone(name), format!("req-{i:08}"));
    r.duration = Duration::from_micros(50_000 + i % 1000);
    r.cold = i.is_multiple_of(100);
    r.instance = Some(i % 10);
    r
}

fn time(name: &str, mut f: impl FnMut(u64)) -> f64 {
    for i in 0..N / 10 {
        f(i);
    }
    let start = Instant::now();
    for i in 0..N {
        f(i);
    }
    let ns = start.elapsed().as_nanos() as f64 / N as f64;
    println!("{name:<24} {ns:>8.1} ns/invocation");
    ns
}

fn main() {
    let rule = match PriceTable::bundled() {
        Ok(t) => LambdaRule::new(t.aws_lambda, LambdaArch::X86_64),
        Err(e) => {
            eprintln!("bundled prices: {e}");
            return;
        }
    };
    let name: Arc<str> = Arc::from("create-order");
    let make = |i| make(&name, i);
    let base = time("baseline (build record)", |i| drop(black_box(make(i))));
    let meter = Meter::with_capacity((N + N / 10) as usize);
    let rec = time("record", |i| meter.record(black_box(make(i))));
    let meter = Meter::new();
    let unsized_rec = time("record (unsized meter)", |i| {
        meter.record(black_box(make(i)))
    });
    let meter = Meter::with_capacity((N + N / 10) as usize);
    let billed = time("record + bill", |i| {
        let mut r = make(i);
        r.billed = rule.billed_duration(black_box(&r));
        meter.record(r);
    });
    let meter = Meter::with_capacity(10_000);
    let steady = time("record (steady state)", |i| {
        meter.record(black_box(make(i)));
        if i % 10_000 == 9_999 {
            drop(meter.take_records());
        }
    });
    println!(
        "steady-state metering overhead over baseline: {:.1} ns",
        steady - base
    );
    println!(
        "metering overhead over baseline: record {:.1} ns, unsized {:.1} ns, record + bill {:.1} ns",
        rec - base,
        unsized_rec - base,
        billed - base
    );
}
