//! Source rules a reviewer would otherwise check by hand.

use crate::repo;
use std::path::{Path, PathBuf};

/// The longest function body `src/` may hold, in lines (signature and
/// closing brace included): past it a function does several things.
const MAX_FUNCTION_LINES: usize = 80;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `(name, first line, length)` of every function in `source`, found by
/// its `fn` line and the closing brace at the same indentation (rustfmt
/// guarantees that layout; CI checks it).
fn functions(source: &str) -> Vec<(String, usize, usize)> {
    let lines: Vec<&str> = source.lines().collect();
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        let rest = ["pub(crate) ", "pub(super) ", "pub ", "const ", "unsafe ", "extern \"C\" "]
            .iter()
            .fold(trimmed, |t, prefix| t.strip_prefix(prefix).unwrap_or(t));
        let Some(signature) = rest.strip_prefix("fn ") else { continue };
        if line.trim_end().ends_with(';') {
            continue;
        }
        let name: String = signature.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        let close = format!("{indent}}}");
        if let Some(end) = lines[i + 1..].iter().position(|l| l.trim_end() == close) {
            found.push((name, i + 1, end + 2));
        }
    }
    found
}

#[test]
fn the_function_scanner_measures_what_it_should() {
    let source = "fn a() {\n    one();\n}\n\n    pub(crate) fn b(x: u8) -> u8 {\n        x\n    }\n";
    assert_eq!(functions(source), vec![("a".to_owned(), 1, 3), ("b".to_owned(), 5, 3)]);
}

#[test]
fn no_function_under_src_is_over_80_lines() {
    let mut files = Vec::new();
    rust_files(&repo().join("src"), &mut files);
    files.sort();
    assert!(files.len() > 20, "src/ not found");
    let mut long = Vec::new();
    for file in &files {
        let source = std::fs::read_to_string(file).unwrap();
        for (name, line, length) in functions(&source) {
            if length > MAX_FUNCTION_LINES {
                long.push(format!("{}:{line}: fn {name} is {length} lines", file.display()));
            }
        }
    }
    assert!(long.is_empty(), "functions over {MAX_FUNCTION_LINES} lines:\n{}", long.join("\n"));
}
