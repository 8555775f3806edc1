//! Normalise a directory of recorded Render API responses and print the snapshot.
//! `cargo run --example normalise_fixtures -- tests/fixtures/insurance-navigator/api`
fn main() -> anyhow::Result<()> {
    let dir = std::env::args()
        .nth(1)
        .expect("usage: normalise_fixtures DIR");
    let raw = stageprint::snapshot::fixtures::load_dir(std::path::Path::new(&dir))?;
    let classifier = stageprint::secrets::Classifier::default();
    let fp = stageprint::secrets::Fingerprinter::from_env();
    let (snap, warnings) = stageprint::model::normalise(
        &raw,
        &stageprint::model::ConvertOptions {
            classifier: &classifier,
            fingerprinter: fp.as_ref(),
        },
    );
    for w in warnings {
        eprintln!("warning: {w}");
    }
    print!("{}", snap.to_yaml());
    Ok(())
}
