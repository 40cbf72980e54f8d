//! The bad-input table of the robustness issue, run against the built
//! binary: every case must exit with the documented code (1 error, 2 usage,
//! 3 `--keep-going` with failures) and say what went wrong in exactly one
//! line on stderr that names the file (and line, where there is one). No
//! case may panic.

use stance::testing as common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A temporary directory holding the tiny model and every bad input.
struct Fixture {
    tmp: tempfile::TempDir,
    model: PathBuf,
}

impl Fixture {
    fn new() -> Fixture {
        let tmp = tempfile::tempdir().unwrap();
        let model = common::write_tiny_bert(&tmp.path().join("tiny"));
        Fixture { tmp, model }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.path(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// Runs `stance ARGS --model MODEL` offline, with caches inside the
    /// fixture, so no case can reach the network or a real cache.
    fn run_with_model(&self, args: &[&str], model: &Path) -> Output {
        Command::new(env!("CARGO_BIN_EXE_stance"))
            .args(args)
            .arg("--model")
            .arg(model)
            .current_dir(self.tmp.path())
            .env("STANCE_CACHE_DIR", self.path("cache"))
            .env("HF_HOME", self.path("hf"))
            .env("HF_HUB_OFFLINE", "1")
            .env_remove("STANCE_MODEL")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    fn run(&self, args: &[&str]) -> Output {
        self.run_with_model(args, &self.model)
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Checks a failed run: exit code 1, nothing on stdout, and stderr exactly
/// one `stance: error:` line containing every fragment (the file, its line
/// where there is one, and the gist of the problem).
fn assert_one_line_error(case: &str, out: &Output, fragments: &[&str]) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(1), "{case}: exit {:?}, stderr {err:?}", out.status.code());
    assert!(!err.contains("panicked"), "{case}: panic: {err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "{case}: stderr is not one line: {err:?}");
    assert!(lines[0].starts_with("stance: error: "), "{case}: {err:?}");
    for f in fragments {
        assert!(lines[0].contains(f), "{case}: {err:?} lacks {f:?}");
    }
    assert!(
        out.stdout.is_empty() || String::from_utf8_lossy(&out.stdout).trim() == "[]",
        "{case}: stdout {:?}",
        String::from_utf8_lossy(&out.stdout)
    );
    // The report shows what the run answered, for the closing note.
    eprintln!("{case}: exit 1: {}", lines[0]);
}

/// `classify` with the zero-shot classifier: the tiny model does not fit
/// the shipped heads, and `auto` would add a note about that on stderr.
fn classify_args<'a>(paths: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["classify", "--classifier", "zero-shot", "--format", "jsonl"];
    args.extend_from_slice(extra);
    args.extend_from_slice(paths);
    args
}

fn records(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8(out.stdout.clone()).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn unreadable_inputs() {
    let f = Fixture::new();
    f.write("good.txt", b"Talks will resume.\n");

    let out = f.run(&classify_args(&["missing.txt"], &[]));
    assert_one_line_error("nonexistent path", &out, &["missing.txt: ", "No such file"]);

    let dangling = f.path("dangling.txt");
    std::os::unix::fs::symlink(f.path("nowhere.txt"), &dangling).unwrap();
    let out = f.run(&classify_args(&["dangling.txt"], &[]));
    assert_one_line_error("dangling symlink", &out, &["dangling.txt: ", "No such file"]);

    std::fs::create_dir(f.path("empty")).unwrap();
    f.write("empty/notes.csv", b"not an article");
    let out = f.run(&classify_args(&["empty"], &[]));
    assert_one_line_error("directory without articles", &out, &["empty: ", "holds no article files"]);

    // A file without read permission. chmod 000 does not stop root, so when
    // the tests run as root the file is still readable and the case falls
    // back to a file that nobody can read: /proc/self/mem at offset 0.
    let locked = f.write("locked.txt", b"secret\n");
    std::fs::set_permissions(&locked, std::os::unix::fs::PermissionsExt::from_mode(0o000)).unwrap();
    if std::fs::read(&locked).is_err() {
        let out = f.run(&classify_args(&["locked.txt"], &[]));
        assert_one_line_error("file without read permission", &out, &["locked.txt: ", "Permission denied"]);
    } else if Path::new("/proc/self/mem").exists() {
        eprintln!("unreadable file: chmod 000 does not stop this user (root); reading /proc/self/mem instead");
        let out = f.run(&classify_args(&["/proc/self/mem"], &["--input", "text"]));
        assert_one_line_error("file that cannot be read", &out, &["/proc/self/mem: "]);
    } else {
        eprintln!("skipping the unreadable-file case: chmod 000 does not stop this user and /proc/self/mem is absent");
    }

    // A FIFO found by walking a directory would block the run forever.
    let fifo_dir = f.path("withfifo");
    std::fs::create_dir(&fifo_dir).unwrap();
    let made = Command::new("mkfifo").arg(fifo_dir.join("pipe.txt")).status();
    if made.is_ok_and(|s| s.success()) {
        let out = f.run(&classify_args(&["withfifo"], &[]));
        assert_one_line_error("FIFO in a directory", &out, &["pipe.txt: ", "not a regular file"]);
    } else {
        eprintln!("skipping the FIFO case: mkfifo is not available");
    }
}

#[test]
fn undecodable_text() {
    let f = Fixture::new();
    f.write("latin1.txt", b"First line.\nCaf\xe9 talks resume.\n");
    let out = f.run(&classify_args(&["latin1.txt"], &[]));
    assert_one_line_error("non-UTF-8 article", &out, &["latin1.txt:2: ", "not valid UTF-8", "--lossy"]);

    let out = f.run(&classify_args(&["latin1.txt"], &["--lossy"]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let recs = records(&out);
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[1]["text"], "Caf\u{fffd} talks resume.");

    f.write("feed.jsonl", b"{\"text\": \"ok\"}\n{\"text\": \"caf\xe9\"}\n");
    let out = f.run(&classify_args(&["feed.jsonl"], &[]));
    assert_one_line_error("non-UTF-8 JSONL line", &out, &["feed.jsonl:2: ", "not valid UTF-8"]);
}

#[test]
fn bad_jsonl() {
    let f = Fixture::new();
    let cases: &[(&str, &[u8], &[&str])] = &[
        (
            "line that is not JSON",
            b"{\"text\": \"fine\"}\n{\"text\": oops}\n",
            &["bad.jsonl:2: ", "not valid JSON at column 10"],
        ),
        ("truncated JSON", b"{\"text\": \"fine\"\n", &["bad.jsonl:1: ", "not valid JSON"]),
        ("record without text", b"{\"id\": \"a\", \"body\": \"x\"}\n", &["bad.jsonl:1: ", "no \"text\" field"]),
        (
            "text not a string",
            b"{\"id\": \"a\", \"text\": [\"x\"]}\n",
            &["bad.jsonl:1: ", "\"text\" must be a string, found an array"],
        ),
        ("null text", b"{\"text\": null}\n", &["bad.jsonl:1: ", "\"text\" must be a string, found null"]),
        ("record not an object", b"\"just text\"\n", &["bad.jsonl:1: ", "must be an object"]),
        (
            "bad id",
            b"{\"id\": true, \"text\": \"x\"}\n",
            &["bad.jsonl:1: ", "\"id\" must be a non-empty string or a number"],
        ),
        (
            "duplicate ids",
            b"{\"id\": \"a\", \"text\": \"x\"}\n\n{\"id\": \"a\", \"text\": \"y\"}\n",
            &["bad.jsonl:3: ", "duplicate article id \"a\""],
        ),
        (
            "duplicate default ids",
            b"{\"id\": \"bad:2\", \"text\": \"x\"}\n{\"text\": \"y\"}\n",
            &["bad.jsonl:2: ", "duplicate article id \"bad:2\""],
        ),
    ];
    for (case, bytes, fragments) in cases {
        f.write("bad.jsonl", bytes);
        let out = f.run(&classify_args(&["bad.jsonl"], &[]));
        assert_one_line_error(case, &out, fragments);
    }

    // Ids are unique across all the inputs, not only within one file:
    // ranking groups by id and would merge two articles otherwise.
    f.write("a/report.txt", b"One.\n");
    f.write("b/report.txt", b"Two.\n");
    let out = f.run(&classify_args(&["a", "b"], &[]));
    assert_one_line_error("one id in two directories", &out, &["b/report.txt: ", "duplicate article id \"report\""]);
}

#[test]
fn bad_label_files() {
    let f = Fixture::new();
    f.write("articles/a.txt", b"Talks resumed.\nBoth sides said little.\n");
    let ok = br#"{"article": "a", "paragraph": 1, "stance": "likely", "sentiment": "neutral"}"#;
    let cases: &[(&str, &[u8], &[&str])] = &[
        (
            "unknown label value",
            br#"{"article": "a", "paragraph": 1, "stance": "probable"}"#,
            &["labels.jsonl:1: ", "unknown stance label \"probable\""],
        ),
        (
            "unknown sentiment value",
            br#"{"article": "a", "paragraph": 1, "sentiment": "happy"}"#,
            &["labels.jsonl:1: ", "unknown sentiment label \"happy\""],
        ),
        (
            "paragraph that does not exist",
            br#"{"article": "a", "paragraph": 3, "stance": "likely"}"#,
            &["labels.jsonl:1: ", "a has 2 paragraphs, not 3"],
        ),
        (
            "paragraph zero",
            br#"{"article": "a", "paragraph": 0, "stance": "likely"}"#,
            &["labels.jsonl:1: ", "\"paragraph\" must be a positive integer"],
        ),
        (
            "article that does not exist",
            br#"{"article": "zz", "paragraph": 1, "stance": "likely"}"#,
            &["labels.jsonl:1: ", "no article \"zz\""],
        ),
        (
            "missing paragraph field",
            br#"{"article": "a", "stance": "likely"}"#,
            &["labels.jsonl:1: ", "needs \"article\" and \"paragraph\", or its own \"text\""],
        ),
        (
            "missing label fields",
            br#"{"article": "a", "paragraph": 1}"#,
            &["labels.jsonl:1: ", "needs \"stance\" or \"sentiment\""],
        ),
        ("not JSON", b"{article: a}", &["labels.jsonl:1: ", "not valid JSON"]),
        ("empty label file", b"\n\n", &["labels.jsonl: ", "holds no records"]),
        (
            "non-UTF-8 label file",
            b"{\"text\": \"caf\xe9\", \"stance\": \"likely\"}",
            &["labels.jsonl:1: ", "not valid UTF-8"],
        ),
    ];
    let eval = |labels: &[&str]| {
        let mut args = vec!["eval", "--quiet", "--articles", "articles"];
        for l in labels {
            args.extend(["--labels", l]);
        }
        f.run(&args)
    };
    for (case, bytes, fragments) in cases {
        f.write("labels.jsonl", bytes);
        assert_one_line_error(case, &eval(&["labels.jsonl"]), fragments);
    }

    let mut dup = ok.to_vec();
    dup.extend_from_slice(b"\n");
    dup.extend_from_slice(br#"{"article": "a", "paragraph": 1, "stance": "neutral"}"#);
    f.write("labels.jsonl", &dup);
    assert_one_line_error(
        "duplicate record",
        &eval(&["labels.jsonl"]),
        &["labels.jsonl:2: ", "duplicate label for a paragraph 1"],
    );

    f.write("labels.jsonl", ok);
    f.write("more.jsonl", ok);
    assert_one_line_error(
        "duplicate record across files",
        &eval(&["labels.jsonl", "more.jsonl"]),
        &["more.jsonl:1: ", "duplicate label for a paragraph 1", "labels.jsonl:1"],
    );

    // The same label file is fine on its own: the errors above are the
    // files', not the harness's.
    let out = eval(&["labels.jsonl"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// Copies the tiny model's files into `name`, minus `skip`.
fn model_copy(f: &Fixture, name: &str, skip: &str) -> PathBuf {
    let dir = f.path(name);
    std::fs::create_dir_all(&dir).unwrap();
    for file in ["config.json", "tokenizer.json", "model.safetensors", "vocab.txt"] {
        if file != skip {
            std::fs::copy(f.model.join(file), dir.join(file)).unwrap();
        }
    }
    dir
}

#[test]
fn broken_models() {
    let f = Fixture::new();
    f.write("good.txt", b"Talks will resume.\n");
    let args = classify_args(&["good.txt"], &[]);

    let out = f.run_with_model(&args, &f.path("no-such-model"));
    assert_one_line_error("absent model directory", &out, &["no-such-model: ", "no such model directory"]);

    for file in ["config.json", "tokenizer.json", "model.safetensors"] {
        let dir = model_copy(&f, &format!("without-{file}"), file);
        let out = f.run_with_model(&args, &dir);
        assert_one_line_error(
            &format!("model without {file}"),
            &out,
            &[&format!("without-{file}: "), &format!("lacks {file}")],
        );
    }

    // Weights whose shapes do not fit config.json.
    let dir = model_copy(&f, "wrong-shapes", "");
    let config = std::fs::read_to_string(dir.join("config.json")).unwrap();
    let changed = config.replace(&format!("\"hidden_size\": {}", common::TINY_HIDDEN), "\"hidden_size\": 64");
    assert_ne!(config, changed);
    std::fs::write(dir.join("config.json"), changed).unwrap();
    let out = f.run_with_model(&args, &dir);
    assert_one_line_error(
        "weights of the wrong shape",
        &out,
        &["wrong-shapes/model.safetensors: ", "do not fit config.json"],
    );

    let dir = model_copy(&f, "truncated", "");
    let weights = std::fs::read(dir.join("model.safetensors")).unwrap();
    std::fs::write(dir.join("model.safetensors"), &weights[..weights.len() / 2]).unwrap();
    let out = f.run_with_model(&args, &dir);
    assert_one_line_error("truncated weights", &out, &["truncated/model.safetensors: "]);

    let dir = model_copy(&f, "bad-config", "");
    std::fs::write(dir.join("config.json"), "{\"hidden_size\": ").unwrap();
    let out = f.run_with_model(&args, &dir);
    assert_one_line_error("config.json not JSON", &out, &["bad-config/config.json: "]);

    // Sizes the forward pass divides or chunks by: refused at load, naming
    // config.json, not left to fail (or panic) in a kernel or to blame the
    // weights.
    let config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(f.model.join("config.json")).unwrap()).unwrap();
    for (field, value, gist) in [
        ("hidden_size", 0, "hidden_size must be positive, not 0".to_owned()),
        ("num_attention_heads", 0, "num_attention_heads must be positive, not 0".to_owned()),
        (
            "num_attention_heads",
            5,
            format!("hidden_size {} is not a multiple of num_attention_heads 5", common::TINY_HIDDEN),
        ),
        ("num_hidden_layers", 0, "num_hidden_layers must be positive, not 0".to_owned()),
        ("vocab_size", 0, "vocab_size must be positive, not 0".to_owned()),
        ("intermediate_size", 0, "intermediate_size must be positive, not 0".to_owned()),
    ] {
        let name = format!("config-{field}-{value}");
        let dir = model_copy(&f, &name, "");
        let mut changed = config.clone();
        changed[field] = value.into();
        std::fs::write(dir.join("config.json"), changed.to_string()).unwrap();
        let out = f.run_with_model(&args, &dir);
        assert_one_line_error(
            &format!("config.json with {field} {value}"),
            &out,
            &[&format!("{name}/config.json: "), &gist],
        );
    }

    let shipped =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("models/prototypes.toml")).unwrap();
    let zero_temperature =
        regex::Regex::new(r"(?m)^temperature = .*$").unwrap().replace(&shipped, "temperature = 0.0").into_owned();
    assert_ne!(zero_temperature, shipped);
    for (case, bytes, fragments) in [
        ("prototypes not TOML", b"[stance]\ntemperature = \n".as_slice(), &["protos.toml:2: "][..]),
        (
            "prototypes with zero temperature",
            zero_temperature.as_bytes(),
            &["protos.toml: ", "temperature must be positive"][..],
        ),
        ("prototypes not UTF-8", b"# caf\xe9\n", &["protos.toml:1: ", "not valid UTF-8"][..]),
    ] {
        f.write("protos.toml", bytes);
        let out = f.run(&classify_args(&["good.txt"], &["--prototypes", "protos.toml"]));
        assert_one_line_error(case, &out, fragments);
    }

    let dir = model_copy(&f, "bad-tokenizer", "");
    std::fs::write(dir.join("tokenizer.json"), "{}").unwrap();
    let out = f.run_with_model(&args, &dir);
    assert_one_line_error("tokenizer.json not a tokenizer", &out, &["bad-tokenizer/tokenizer.json: "]);
}

#[test]
fn heads_for_another_encoder() {
    let f = Fixture::new();
    f.write("good.txt", b"Talks will resume.\n");
    let heads = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/heads");
    let stance_head = heads.join("stance");
    let run = |extra: &[&str]| {
        let mut args = vec!["classify", "--format", "jsonl"];
        args.extend_from_slice(extra);
        args.push("good.txt");
        f.run(&args)
    };

    // The shipped head was trained on MiniLM, not on the tiny model. Named
    // explicitly, it must not be swapped for zero-shot in silence.
    let named = stance_head.to_str().unwrap();
    for classifier in ["auto", "head"] {
        let out = run(&["--classifier", classifier, "--stance-head", named]);
        assert_one_line_error(
            &format!("head for another encoder (--classifier {classifier})"),
            &out,
            &[named, "was trained on", "not on the loaded encoder"],
        );
    }

    // A head whose head.json was doctored to claim this encoder: the
    // weights' shapes give it away.
    let sha = stance::digest::sha256_file(&f.model.join("model.safetensors")).unwrap();
    let doctored = f.path("doctored");
    std::fs::create_dir(&doctored).unwrap();
    std::fs::copy(stance_head.join("head.safetensors"), doctored.join("head.safetensors")).unwrap();
    let mut meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(stance_head.join("head.json")).unwrap()).unwrap();
    meta["encoder_weights_sha256"] = sha.clone().into();
    std::fs::write(doctored.join("head.json"), meta.to_string()).unwrap();
    let out = run(&["--stance-head", "doctored"]);
    assert_one_line_error(
        "doctored sha, wrong dims",
        &out,
        &["doctored: ", "head expects 384-d embeddings, the encoder gives 32"],
    );
    meta["dims"] = common::TINY_HIDDEN.into();
    std::fs::write(doctored.join("head.json"), meta.to_string()).unwrap();
    let out = run(&["--stance-head", "doctored"]);
    assert_one_line_error(
        "doctored sha and dims, wrong shapes",
        &out,
        &["doctored/head.safetensors: ", "tensor weight has shape [3, 384], expected [3, 32]"],
    );

    let out = run(&["--stance-head", heads.join("sentiment").to_str().unwrap()]);
    assert_one_line_error(
        "sentiment head as stance head",
        &out,
        &["a sentiment head, where a stance head was expected"],
    );

    let out = run(&["--stance-head", "no-such-head"]);
    assert_one_line_error("absent head directory", &out, &["no-such-head: ", "no such head directory"]);

    std::fs::create_dir(f.path("half-head")).unwrap();
    std::fs::copy(stance_head.join("head.json"), f.path("half-head/head.json")).unwrap();
    let out = run(&["--stance-head", "half-head"]);
    assert_one_line_error("head without weights", &out, &["half-head/head.safetensors: ", "No such file"]);

    // Without a named head, auto falls back to zero-shot with one note.
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(records(&out).len(), 1);
    assert!(stderr(&out).starts_with("stance: using the zero-shot classifier: "), "{}", stderr(&out));
}

#[test]
fn too_little_training_data() {
    let f = Fixture::new();
    let train = |task: &str, data: &str| f.run(&["train", "--task", task, "--data", data, "--out", "head"]);

    // Cross-validation needs a record per fold (5): one record used to end
    // in an index out of bounds in the softmax fit.
    f.write("one.jsonl", br#"{"text": "Talks resumed.", "stance": "likely"}"#);
    assert_one_line_error(
        "a single stance record",
        &train("stance", "one.jsonl"),
        &["one.jsonl: ", "1 labelled record(s); training needs at least 5, one per cross-validation fold"],
    );
    let four: Vec<String> =
        (0..4).map(|i| format!(r#"{{"text": "Paragraph {i}.", "sentiment": "neutral"}}"#)).collect();
    f.write("four.jsonl", four.join("\n").as_bytes());
    assert_one_line_error(
        "fewer sentiment records than folds",
        &train("sentiment", "four.jsonl"),
        &["four.jsonl: ", "4 labelled record(s); training needs at least 5"],
    );

    // The NYT ratings: a train split that is empty, or whose editorials all
    // fall in one fold, used to panic the same way in the ridge fit.
    let cases: &[(&str, &[u8], &[&str])] = &[
        (
            "only test-split editorials",
            b"5_1\t1.5\tGood.\n10_1\t-2\tBad.\n",
            &["nyt.tsv: ", "the train split is empty"],
        ),
        (
            "a single editorial",
            b"6_1\t1.5\tGood.\n6_2\t-2\tBad.\n6_3\t0\tFair.\n",
            &["nyt.tsv: ", "3 sentence(s) all fall in one cross-validation fold"],
        ),
        ("a NaN rating", b"6_1\t1.5\tGood.\n7_1\tnan\tOdd.\n", &["nyt.tsv:2: ", "rating NaN is outside"]),
        ("an infinite rating", b"6_1\tinf\tOdd.\n", &["nyt.tsv:1: ", "rating inf is outside"]),
        ("a rating off the scale", b"6_1\t-4.5\tOdd.\n", &["nyt.tsv:1: ", "rating -4.5 is outside the scale"]),
    ];
    for (case, bytes, fragments) in cases {
        f.write("nyt.tsv", bytes);
        assert_one_line_error(case, &train("sentiment", "nyt.tsv"), fragments);
    }
}

#[test]
fn keep_going_reports_bad_files_and_processes_the_rest() {
    let f = Fixture::new();
    f.write("in/1-good.txt", b"Talks will resume.\nBoth sides agreed.\n");
    f.write("in/2-latin1.txt", b"Caf\xe9.\n");
    f.write(
        "in/3-feed.jsonl",
        b"{\"id\": \"f1\", \"text\": \"One.\"}\nnot json\n{\"id\": \"f3\", \"text\": \"Three.\"}\n{\"text\": 4}\n",
    );
    f.write("in/4-empty.txt", b"");
    f.write("in/5-good.md", b"Envoys met.\n");
    let out = f.run(&classify_args(&["in", "missing.txt"], &["--keep-going"]));
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let lines: Vec<&str> = err.lines().collect();
    let expected = [
        ("in/2-latin1.txt:1: ", "not valid UTF-8"),
        ("in/3-feed.jsonl:2: ", "not valid JSON"),
        ("in/3-feed.jsonl:4: ", "\"text\" must be a string"),
        ("missing.txt: ", "No such file"),
    ];
    assert_eq!(lines.len(), expected.len() + 1, "{err}");
    for (line, (file, gist)) in lines.iter().zip(expected) {
        assert!(
            line.starts_with("stance: skipped: ") && line.contains(file) && line.contains(gist),
            "{line:?} lacks {file:?} / {gist:?}"
        );
    }
    assert_eq!(lines[4], "stance: 4 input(s) failed");
    eprintln!("keep-going: exit 3: {err}");

    let recs = records(&out);
    let ids: Vec<(&str, u64)> =
        recs.iter().map(|r| (r["article"].as_str().unwrap(), r["paragraph"].as_u64().unwrap())).collect();
    assert_eq!(ids, [("1-good", 1), ("1-good", 2), ("f1", 1), ("f3", 1), ("5-good", 1)]);

    // The same inputs without --keep-going stop at the first bad file.
    let out = f.run(&classify_args(&["in", "missing.txt"], &[]));
    assert_one_line_error("first bad file without --keep-going", &out, &["in/2-latin1.txt:1: "]);
}

#[test]
fn bad_arguments_exit_2() {
    let f = Fixture::new();
    f.write("good.txt", b"Talks will resume.\n");
    for args in [
        vec!["classify", "good.txt", "--batch-size", "0"],
        vec!["classify", "good.txt", "--format", "xml"],
        vec!["classify"],
        vec!["rank", "good.txt", "--no-such-flag"],
        vec!["eval"],
        vec!["classify", "good.txt", "--threads", "0"],
    ] {
        let out = f.run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).contains("panicked"));
    }
}
