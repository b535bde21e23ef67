//! In-process cost of `drbook validate`'s work, at 10 to 10,000 steps: parse the YAML, check
//! the schema, render the templates, build the typed runbook, and all of it together
//! (`prepare`). Criterion reports the time of each; BENCHMARKS.md compares the sizes
//! (linear growth means ×10 per ×10 steps).

// The benchmark uses the runbooks, not the plan IDs.
#[allow(dead_code)]
#[path = "support/generate.rs"]
mod generate;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use drbook::runbook::{Source, schema, yaml};
use drbook::template::{self, Clock, VarInputs, Variables};
use std::hint::black_box;
use std::time::Duration;

const SIZES: [usize; 4] = [10, 100, 1_000, 10_000];

fn stages(c: &mut Criterion) {
    let mut group = c.benchmark_group("prepare");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    let inputs = VarInputs::default();
    for steps in SIZES {
        let text = generate::runbook(&generate::Spec::new(steps));
        group.throughput(Throughput::Elements(steps as u64));
        let root = yaml::parse("bench.yaml", &text).expect("generated runbooks parse");
        let variables = Variables::collect(root.get("vars"), &inputs).expect("variables");
        let rendered =
            template::render("bench.yaml", &root, &variables, Clock::now()).expect("renders");

        group.bench_with_input(BenchmarkId::new("parse", steps), &text, |b, text| {
            b.iter(|| yaml::parse("bench.yaml", black_box(text)))
        });
        group.bench_with_input(BenchmarkId::new("schema", steps), &root, |b, root| {
            b.iter(|| schema::check("bench.yaml", black_box(root)))
        });
        group.bench_with_input(BenchmarkId::new("render", steps), &root, |b, root| {
            b.iter(|| template::render("bench.yaml", black_box(root), &variables, Clock::now()))
        });
        group.bench_with_input(BenchmarkId::new("build", steps), &rendered, |b, tree| {
            b.iter(|| drbook::prepare::build_checked("bench.yaml", black_box(tree)))
        });
        group.bench_with_input(BenchmarkId::new("prepare", steps), &text, |b, text| {
            b.iter(|| {
                drbook::prepare::prepare(Source::from_text("bench.yaml", black_box(text)), &inputs)
                    .expect("valid")
            })
        });
    }
    group.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
