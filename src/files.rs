//! Reading user folders (fonts, backgrounds): the one place that walks directories.

use std::path::{Path, PathBuf};

/// Every file under `dir`, recursively, sorted. Unreadable subfolders are recorded in `skipped`
/// with the reason (they cost their files, not the run); an unreadable `dir` is an error.
pub fn files_under(
    dir: &Path,
    skipped: &mut Vec<(String, String)>,
) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = match std::fs::read_dir(&d) {
            Ok(e) => e,
            Err(e) if d == dir => return Err(e),
            Err(e) => {
                skipped.push((d.display().to_string(), format!("unreadable folder: {e}")));
                continue;
            }
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    skipped.sort();
    Ok(out)
}

/// Whether `path` ends in one of `extensions` (lower case, compared case-insensitively).
pub fn has_extension(path: &Path, extensions: &[&str]) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| extensions.contains(&e.to_ascii_lowercase().as_str()))
}
