//! The commands in README.md and docs/*.md still exist: every `stance ...`
//! line in a shell block names a real subcommand, and every `--flag` on it
//! is one that subcommand's `--help` lists. (What they print is pinned by
//! tests/it/expected.rs for the tour's commands on the seeds.)

use crate::repo;
use std::process::Command;

/// The subcommands.
const COMMANDS: [&str; 6] = ["classify", "rank", "speakers", "eval", "train", "model"];
/// Subcommands that take a subcommand of their own.
const NESTED: [(&str, &[&str]); 2] = [("eval", &["agreement", "loao", "speakers"]), ("model", &["fetch", "info"])];

/// Every `stance` command line in the shell blocks of the project's docs,
/// with the file it came from.
fn documented_commands() -> Vec<(String, Vec<String>)> {
    let mut files = vec![repo().join("README.md")];
    let mut docs: Vec<_> = std::fs::read_dir(repo().join("docs")).unwrap().map(|e| e.unwrap().path()).collect();
    docs.sort();
    files.extend(docs.into_iter().filter(|p| p.extension().is_some_and(|e| e == "md")));
    let mut found = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let mut in_shell = false;
        for raw in text.lines() {
            if raw.starts_with("```") {
                in_shell = !in_shell && (raw == "```sh" || raw == "```console");
                continue;
            }
            if !in_shell {
                continue;
            }
            let mut line = raw.trim().trim_start_matches("$ ").to_owned();
            if let Some(rest) = line.strip_prefix("cargo run --release -- ") {
                line = format!("stance {rest}");
            }
            if let Some(rest) = line.strip_prefix("./target/release/stance ") {
                line = format!("stance {rest}");
            }
            if !line.starts_with("stance ") {
                continue;
            }
            let words: Vec<String> = line
                .split_whitespace()
                .skip(1)
                .take_while(|w| !matches!(*w, "|" | ">" | "<" | "&&" | "&" | ";" | "#") && !w.starts_with('>'))
                .map(str::to_owned)
                .collect();
            found.push((file.file_name().unwrap().to_string_lossy().into_owned(), words));
        }
    }
    found
}

#[test]
fn documented_commands_and_flags_exist() {
    let commands = documented_commands();
    assert!(commands.len() >= 10, "found only {} documented commands", commands.len());
    for (file, words) in commands {
        // Global options may come before the subcommand.
        let mut path: Vec<&str> = Vec::new();
        if let Some(at) = words.iter().position(|w| COMMANDS.contains(&w.as_str())) {
            let first = words[at].as_str();
            path.push(first);
            if let Some((_, subs)) = NESTED.iter().find(|(c, _)| *c == first) {
                if let Some(second) = words.get(at + 1).filter(|w| subs.contains(&w.as_str())) {
                    path.push(second);
                }
            }
        }
        let out = Command::new(env!("CARGO_BIN_EXE_stance")).args(&path).arg("--help").output().unwrap();
        assert!(out.status.success(), "{file}: `stance {}`: no such command", words.join(" "));
        let help = String::from_utf8_lossy(&out.stdout);
        for flag in words.iter().filter(|w| w.starts_with("--")) {
            let flag = flag.split('=').next().unwrap().trim_end_matches(['.', ',', ')']);
            assert!(
                help.contains(flag),
                "{file}: `stance {}`: {flag} is not an option of `stance {}`",
                words.join(" "),
                path.join(" ")
            );
        }
    }
}
