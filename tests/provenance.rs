//! Generated files name the rule behind each difference, never its line, and every path
//! in them is relative to `stageprint.yaml`: the bytes do not depend on the working folder,
//! on how `--config` or `--overlay` is spelt, or on lines added to the overlay. Positions
//! stay in the report.

mod support;

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use support::{example_project, tree};

fn generate(cwd: &Path, args: &[&str]) {
    let out = Command::cargo_bin("stageprint")
        .unwrap()
        .current_dir(cwd)
        .arg("generate")
        .args(args)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?} from {}: {}",
        cwd.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn output(project: &Path) -> Vec<(String, Vec<u8>)> {
    tree(&project.join("generated/staging"))
}

#[test]
fn every_working_folder_and_spelling_of_the_config_gives_the_same_bytes() {
    let p = example_project();
    let project = p.path().canonicalize().unwrap();
    generate(&project, &[]);
    let first = output(&project);
    let parent = project.parent().unwrap();
    let name = project.file_name().unwrap().to_str().unwrap();
    let sub = project.join("overlays");
    let absolute = project.join("stageprint.yaml");
    let dotted = project.join("overlays/../stageprint.yaml");
    let links = tempfile::tempdir().unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(&project, links.path().join("linked")).unwrap();
    let cases: Vec<(&Path, Vec<String>)> = vec![
        (&project, vec![]),
        (
            &project,
            vec!["--config".into(), "./stageprint.yaml".into()],
        ),
        (
            parent,
            vec!["--config".into(), format!("{name}/stageprint.yaml")],
        ),
        (
            parent,
            vec!["--config".into(), format!("./{name}/./stageprint.yaml")],
        ),
        (&sub, vec!["--config".into(), "../stageprint.yaml".into()]),
        (
            &sub,
            vec!["--config".into(), absolute.display().to_string()],
        ),
        (
            parent,
            vec!["--config".into(), dotted.display().to_string()],
        ),
        #[cfg(unix)]
        (
            links.path(),
            vec!["--config".into(), "linked/stageprint.yaml".into()],
        ),
    ];
    for (cwd, args) in &cases {
        fs::remove_dir_all(project.join("generated/staging")).unwrap();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        generate(cwd, &args);
        assert!(
            output(&project) == first,
            "{args:?} from {} changed the output",
            cwd.display()
        );
    }
}

#[test]
fn an_overlay_outside_the_project_is_named_relative_to_the_config() {
    let p = example_project();
    let project = p.path().canonicalize().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let elsewhere = elsewhere.path().canonicalize().unwrap();
    fs::copy(
        project.join("overlays/staging.yaml"),
        elsewhere.join("staging.yaml"),
    )
    .unwrap();
    let abs = elsewhere.join("staging.yaml").display().to_string();
    let rel = pathdiff::diff_paths(elsewhere.join("staging.yaml"), &project)
        .unwrap()
        .display()
        .to_string();
    let config = project.join("stageprint.yaml").display().to_string();
    let runs = [
        (&project, abs.clone()),
        (&project, rel.clone()),
        (&elsewhere, abs.clone()),
        (&elsewhere, "./staging.yaml".to_string()),
    ];
    let mut first: Option<Vec<(String, Vec<u8>)>> = None;
    for (cwd, overlay) in runs {
        generate(
            cwd,
            &[
                "--config",
                &config,
                "--env",
                "staging",
                "--overlay",
                &overlay,
            ],
        );
        let files = output(&project);
        match &first {
            None => first = Some(files.clone()),
            Some(f) => assert!(*f == files, "{overlay} from {}", cwd.display()),
        }
        for (name, bytes) in &files {
            let text = String::from_utf8_lossy(bytes);
            assert!(
                !text.contains(&*elsewhere.to_string_lossy()),
                "{name} names an absolute folder"
            );
        }
    }
    let render = String::from_utf8(
        first
            .unwrap()
            .into_iter()
            .find(|(n, _)| n == "render.yaml")
            .unwrap()
            .1,
    )
    .unwrap();
    assert!(render.contains(&format!("and {rel}.")), "{render}");
}

#[test]
fn a_line_added_to_the_overlay_changes_only_the_report() {
    let p = example_project();
    let project = p.path();
    generate(project, &[]);
    let before = output(project);
    let overlay = project.join("overlays/staging.yaml");
    let text = fs::read_to_string(&overlay).unwrap();
    fs::write(
        &overlay,
        format!("# a note added above everything\n\n{text}"),
    )
    .unwrap();
    generate(project, &[]);
    let after = output(project);
    assert_eq!(before.len(), after.len());
    for ((name, a), (name_after, b)) in before.iter().zip(&after) {
        assert_eq!(name, name_after);
        if name.starts_with("report") {
            // The report keeps each rule's line and column: they moved by two lines.
            if name != "report.md" {
                assert_ne!(a, b, "{name} should still carry positions");
            }
        } else {
            assert!(a == b, "{name} changed when only overlay lines moved");
        }
    }
}
