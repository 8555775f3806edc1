//! The last stage: the only code that writes files. It writes a set of rendered files
//! atomically, or compares them with what is on disk for `--check`.

use std::collections::BTreeSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// One rendered file: its path and its exact bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    pub path: PathBuf,
    pub contents: String,
}

/// What writing did to a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    Created,
    Updated,
    Unchanged,
}

/// Write `contents` to `path` atomically: a temporary file in the same directory, synced,
/// then renamed over the target. A file whose contents are already equal is not touched,
/// so its modification time stays and watchers see nothing.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<Written> {
    let existed = match fs::read(path) {
        Ok(old) if old == contents => return Ok(Written::Unchanged),
        Ok(_) => true,
        Err(_) => false,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.stageprint-{}.tmp", std::process::id()));
    let result = (|| -> Result<()> {
        let mut f =
            fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        f.write_all(contents)
            .with_context(|| format!("writing {}", tmp.display()))?;
        f.sync_all()
            .with_context(|| format!("syncing {}", tmp.display()))?;
        fs::rename(&tmp, path).with_context(|| format!("replacing {}", path.display()))?;
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result?;
    Ok(if existed {
        Written::Updated
    } else {
        Written::Created
    })
}

/// Write a whole set of files. Every file is rendered before this is called, so a failure
/// earlier in the pipeline never reaches here and leaves the previous output untouched.
/// Files in `owned_dirs` that the set no longer contains are removed (orphans).
pub fn write_all(files: &[File], owned_dirs: &[PathBuf]) -> Result<Vec<(PathBuf, Written)>> {
    let mut out = Vec::new();
    for f in files {
        out.push((
            f.path.clone(),
            write_atomic(&f.path, f.contents.as_bytes())?,
        ));
    }
    for orphan in orphans(files, owned_dirs)? {
        fs::remove_file(&orphan).with_context(|| format!("removing stale {}", orphan.display()))?;
    }
    Ok(out)
}

/// Files under `owned_dirs` (generated-file extensions only) that are not in `files`.
pub fn orphans(files: &[File], owned_dirs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let wanted: BTreeSet<&Path> = files.iter().map(|f| f.path.as_path()).collect();
    let mut found = Vec::new();
    for dir in owned_dirs {
        if !dir.is_dir() {
            continue;
        }
        for entry in fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
            let p = entry?.path();
            let generated = matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("yaml" | "md" | "json")
            );
            if p.is_file() && generated && !wanted.contains(p.as_path()) {
                found.push(p);
            }
        }
    }
    found.sort();
    Ok(found)
}

/// The result of comparing rendered files with the disk.
#[derive(Debug, Clone, Default)]
pub struct CheckReport {
    /// Files whose bytes differ, with a unified diff (on disk → expected).
    pub stale: Vec<(PathBuf, String)>,
    pub missing: Vec<PathBuf>,
    pub orphans: Vec<PathBuf>,
}

impl CheckReport {
    pub fn is_clean(&self) -> bool {
        self.stale.is_empty() && self.missing.is_empty() && self.orphans.is_empty()
    }
}

/// Compare without writing anything.
pub fn check(files: &[File], owned_dirs: &[PathBuf]) -> Result<CheckReport> {
    let mut report = CheckReport::default();
    for f in files {
        match fs::read(&f.path) {
            Ok(old) if old == f.contents.as_bytes() => {}
            Ok(old) => {
                let old = String::from_utf8_lossy(&old);
                report
                    .stale
                    .push((f.path.clone(), unified_diff(&old, &f.contents, &f.path)));
            }
            Err(_) => report.missing.push(f.path.clone()),
        }
    }
    report.orphans = orphans(files, owned_dirs)?;
    Ok(report)
}

pub fn unified_diff(old: &str, new: &str, path: &Path) -> String {
    let name = path.display().to_string();
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{name}"), &format!("b/{name}"))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_reports_and_skips_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/f.yaml");
        assert_eq!(write_atomic(&p, b"a\n").unwrap(), Written::Created);
        assert_eq!(write_atomic(&p, b"a\n").unwrap(), Written::Unchanged);
        assert_eq!(write_atomic(&p, b"b\n").unwrap(), Written::Updated);
        assert_eq!(fs::read(&p).unwrap(), b"b\n");
        assert_eq!(
            fs::read_dir(p.parent().unwrap()).unwrap().count(),
            1,
            "no temp files left"
        );
    }

    #[test]
    fn check_finds_stale_missing_and_orphans() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_path_buf();
        fs::write(d.join("a.yaml"), "old\n").unwrap();
        fs::write(d.join("zombie.yaml"), "x\n").unwrap();
        let files = vec![
            File {
                path: d.join("a.yaml"),
                contents: "new\n".into(),
            },
            File {
                path: d.join("b.yaml"),
                contents: "b\n".into(),
            },
        ];
        let r = check(&files, std::slice::from_ref(&d)).unwrap();
        assert_eq!(r.stale.len(), 1);
        assert!(r.stale[0].1.contains("-old\n+new"));
        assert_eq!(r.missing, vec![d.join("b.yaml")]);
        assert_eq!(r.orphans, vec![d.join("zombie.yaml")]);
    }
}
