//! Reading documents from files, directories, JSONL and standard input.
//!
//! [`Documents`] is a lazy iterator: directories are walked when reached and
//! JSONL files are read a line at a time, so a large corpus or an endless
//! stdin stream is never held in memory. Every problem is yielded as an
//! [`Error`] naming the file (and line), so a caller can stop at the first
//! one or report it and go on (`--keep-going`).

use crate::error::{Error, Result};
use std::collections::{HashSet, VecDeque};
use std::fs::File;
use std::hash::{Hash, Hasher};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// File endings that a directory walk treats as articles.
pub(crate) const ARTICLE_EXTENSIONS: &[&str] = &["txt", "md", "markdown", "jsonl"];

/// How to read the inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum InputFormat {
    /// By file ending: `.jsonl` is JSONL, anything else is an article; stdin
    /// is one article.
    #[default]
    Auto,
    /// Every input is one article.
    Text,
    /// Every input is JSONL, one document per line.
    Jsonl,
}

/// Reading options.
#[derive(Debug, Clone, Copy, Default)]
pub struct InputOptions {
    /// How to read the inputs.
    pub format: InputFormat,
    /// Decode invalid UTF-8 with replacement characters instead of failing.
    pub lossy: bool,
}

/// Where a document came from, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The file (or `stdin`).
    pub path: PathBuf,
    /// 1-based line for JSONL documents.
    pub line: Option<usize>,
}

impl Origin {
    /// A document made in memory by the caller, not read from a file.
    pub fn memory() -> Origin {
        Origin { path: PathBuf::from("<memory>"), line: None }
    }
}

/// One document: an article's id and raw text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// The article's id: the file stem, or the JSONL `id`.
    pub id: String,
    /// The raw text, decoded.
    pub text: String,
    /// Where it came from.
    pub origin: Origin,
}

/// The name used for standard input in ids and messages.
pub(crate) const STDIN_NAME: &str = "stdin";

enum Pending {
    /// A path named by the caller: read whatever it is (a pipe such as
    /// `<(zcat feed.jsonl.gz)` included).
    Path(PathBuf),
    /// A file found by walking a directory: read only if it is a regular
    /// file, since a FIFO or device would block the run or never end.
    Walked(PathBuf),
    Stdin,
}

/// A lazy iterator over the documents in a list of inputs (`-` is stdin).
///
/// Article ids must be unique across all the inputs (results are grouped
/// and ranked by id, so two articles with one id would be merged): a
/// repeated id is an error at the document that repeats it.
pub struct Documents {
    pending: VecDeque<Pending>,
    jsonl: Option<JsonlReader>,
    options: InputOptions,
    /// Hashes of the ids seen so far: 8 bytes an id keeps a
    /// multi-million-document stream within a small memory budget.
    seen: HashSet<u64>,
}

impl Documents {
    /// Documents in `inputs`, in order; directories expand to their article
    /// files, recursively, in sorted path order.
    pub fn new(inputs: &[PathBuf], options: InputOptions) -> Documents {
        let pending = inputs
            .iter()
            .map(|p| if p.as_os_str() == "-" { Pending::Stdin } else { Pending::Path(p.clone()) })
            .collect();
        Documents { pending, jsonl: None, options, seen: HashSet::new() }
    }

    /// The JSONL documents of any reader (a decompressor, a socket, a
    /// buffer); `path` names the stream in default ids (`<stem>:<line>`)
    /// and in error messages.
    pub fn from_jsonl_reader(reader: Box<dyn Read>, path: &Path, options: InputOptions) -> Documents {
        let mut documents = Documents::new(&[], options);
        documents.jsonl = Some(JsonlReader::new(reader, path.to_owned(), file_stem(path), options));
        documents
    }

    fn open_path(&mut self, path: PathBuf, walked: bool) -> Option<Result<Document>> {
        let meta = match std::fs::metadata(&path) {
            Ok(meta) => meta,
            Err(e) => return Some(Err(Error::io(path, e))),
        };
        if walked && !meta.is_file() && !meta.is_dir() {
            return Some(Err(Error::input(
                &path,
                None,
                "not a regular file (a FIFO, socket or device found in a directory); name it on its own to read it",
            )));
        }
        if meta.is_dir() {
            return match article_files(&path) {
                Ok(files) if files.is_empty() => Some(Err(Error::input(
                    &path,
                    None,
                    format!(
                        "directory holds no article files ({})",
                        ARTICLE_EXTENSIONS.iter().map(|e| format!(".{e}")).collect::<Vec<_>>().join(", ")
                    ),
                ))),
                Ok(files) => {
                    for file in files.into_iter().rev() {
                        self.pending.push_front(Pending::Walked(file));
                    }
                    None
                }
                Err(e) => Some(Err(e)),
            };
        }
        let is_jsonl = match self.options.format {
            InputFormat::Jsonl => true,
            InputFormat::Text => false,
            InputFormat::Auto => path.extension().is_some_and(|e| e == "jsonl"),
        };
        if is_jsonl {
            match File::open(&path) {
                Ok(file) => {
                    let stem = file_stem(&path);
                    self.jsonl = Some(JsonlReader::new(Box::new(file), path, stem, self.options));
                    None
                }
                Err(e) => Some(Err(Error::io(path, e))),
            }
        } else {
            Some(read_article(&path, self.options))
        }
    }

    fn open_stdin(&mut self) -> Option<Result<Document>> {
        let path = PathBuf::from(STDIN_NAME);
        if self.options.format == InputFormat::Jsonl {
            let stdin: Box<dyn Read> = Box::new(std::io::stdin());
            self.jsonl = Some(JsonlReader::new(stdin, path, STDIN_NAME.into(), self.options));
            return None;
        }
        let mut bytes = Vec::new();
        if let Err(e) = std::io::stdin().read_to_end(&mut bytes) {
            return Some(Err(Error::io(path, e)));
        }
        Some(decode(&bytes, &path, None, self.options.lossy).map(|text| Document {
            id: STDIN_NAME.into(),
            text,
            origin: Origin { path, line: None },
        }))
    }
}

impl Iterator for Documents {
    type Item = Result<Document>;

    fn next(&mut self) -> Option<Self::Item> {
        let item = self.next_unchecked()?;
        Some(item.and_then(|doc| {
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            doc.id.hash(&mut hasher);
            if self.seen.insert(hasher.finish()) {
                Ok(doc)
            } else {
                Err(Error::input(
                    &doc.origin.path,
                    doc.origin.line,
                    format!("duplicate article id {:?} (ids must be unique across the inputs)", doc.id),
                ))
            }
        }))
    }
}

impl Documents {
    /// The next document, before the duplicate-id check.
    fn next_unchecked(&mut self) -> Option<Result<Document>> {
        loop {
            if let Some(reader) = &mut self.jsonl {
                match reader.next() {
                    Some(item) => return Some(item),
                    None => self.jsonl = None,
                }
            }
            let produced = match self.pending.pop_front()? {
                Pending::Path(path) => self.open_path(path, false),
                Pending::Walked(path) => self.open_path(path, true),
                Pending::Stdin => self.open_stdin(),
            };
            if produced.is_some() {
                return produced;
            }
        }
    }
}

/// The article id of a file: its name without the ending.
pub fn file_stem(path: &Path) -> String {
    path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string())
}

/// Reads one article file.
pub(crate) fn read_article(path: &Path, options: InputOptions) -> Result<Document> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let text = decode(&bytes, path, None, options.lossy)?;
    Ok(Document { id: file_stem(path), text, origin: Origin { path: path.to_owned(), line: None } })
}

/// Article files under `dir`, recursively, sorted by path. Hidden entries
/// and symbolic links to directories are not followed.
pub(crate) fn article_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(&dir, e))?;
            let path = entry.path();
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let file_type = entry.file_type().map_err(|e| Error::io(&path, e))?;
            if file_type.is_dir() {
                stack.push(path);
            } else if file_type.is_symlink() && std::fs::metadata(&path).is_ok_and(|m| m.is_dir()) {
                continue;
            } else if path.extension().is_some_and(|e| ARTICLE_EXTENSIONS.iter().any(|a| e == *a)) {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// Decodes UTF-8, naming the line of the first invalid byte on failure.
/// `first_line` offsets the reported line (for text that starts mid-file).
pub(crate) fn decode(bytes: &[u8], path: &Path, first_line: Option<usize>, lossy: bool) -> Result<String> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.to_owned()),
        Err(_) if lossy => Ok(String::from_utf8_lossy(bytes).into_owned()),
        Err(e) => {
            let valid = e.valid_up_to();
            let line = first_line.unwrap_or(1) + bytes[..valid].iter().filter(|&&b| b == b'\n').count();
            Err(Error::input(
                path,
                Some(line),
                format!("not valid UTF-8 (byte {valid}); --lossy decodes it with replacement characters"),
            ))
        }
    }
}

/// Reads JSONL documents (`{"id": ..., "text": ...}`) a line at a time.
struct JsonlReader {
    lines: JsonLines,
    stem: String,
    options: InputOptions,
}

/// The non-blank lines of a JSON-lines stream, counted from 1, each trimmed
/// of surrounding whitespace and a leading byte-order mark. Shared by the
/// document reader here and the record reader (`crate::results::record`).
pub(crate) struct JsonLines {
    reader: BufReader<Box<dyn Read>>,
    /// Names the stream in errors.
    pub(crate) path: PathBuf,
    /// Number of the line last returned.
    pub(crate) line: usize,
    done: bool,
}

impl JsonLines {
    pub(crate) fn new(reader: Box<dyn Read>, path: PathBuf) -> JsonLines {
        JsonLines { reader: BufReader::with_capacity(1 << 16, reader), path, line: 0, done: false }
    }

    /// The next non-blank line; after a read error, which ends the stream,
    /// `None`.
    pub(crate) fn next_line(&mut self) -> Option<Result<Vec<u8>>> {
        let mut buf = Vec::new();
        while !self.done {
            buf.clear();
            match self.reader.read_until(b'\n', &mut buf) {
                Ok(0) => self.done = true,
                Ok(_) => {
                    self.line += 1;
                    let trimmed = buf.trim_ascii();
                    let trimmed = trimmed.strip_prefix(b"\xef\xbb\xbf").unwrap_or(trimmed);
                    if !trimmed.is_empty() {
                        return Some(Ok(trimmed.to_vec()));
                    }
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(Error::io(&self.path, e)));
                }
            }
        }
        None
    }
}

impl JsonlReader {
    fn new(reader: Box<dyn Read>, path: PathBuf, stem: String, options: InputOptions) -> Self {
        JsonlReader { lines: JsonLines::new(reader, path), stem, options }
    }

    fn parse(&mut self, bytes: &[u8]) -> Result<Document> {
        let line = self.lines.line;
        let text = decode(bytes, &self.lines.path, Some(line), self.options.lossy)?;
        let err = |message: String| Error::input(&self.lines.path, Some(line), message);
        let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| err(json_error(&e)))?;
        let object =
            value.as_object().ok_or_else(|| err("a JSONL document must be an object with a \"text\" field".into()))?;
        let text = match object.get("text") {
            Some(serde_json::Value::String(text)) => text.clone(),
            Some(other) => return Err(err(format!("\"text\" must be a string, found {}", json_kind(other)))),
            None => return Err(err("record has no \"text\" field".into())),
        };
        let id = match object.get("id") {
            None | Some(serde_json::Value::Null) => format!("{}:{line}", self.stem),
            Some(serde_json::Value::String(id)) if !id.is_empty() => id.clone(),
            Some(serde_json::Value::Number(n)) => n.to_string(),
            Some(other) => {
                return Err(err(format!("\"id\" must be a non-empty string or a number, found {}", json_kind(other))))
            }
        };
        Ok(Document { id, text, origin: Origin { path: self.lines.path.clone(), line: Some(line) } })
    }
}

impl Iterator for JsonlReader {
    type Item = Result<Document>;

    fn next(&mut self) -> Option<Self::Item> {
        Some(self.lines.next_line()?.and_then(|bytes| self.parse(&bytes)))
    }
}

/// A JSON syntax error on one line of a file: serde's own "at line 1
/// column N" would contradict the file line the message starts with, so
/// only the column is kept.
pub(crate) fn json_error(e: &serde_json::Error) -> String {
    let message = e.to_string();
    let message = message.rsplit_once(" at line ").map_or(message.as_str(), |(m, _)| m);
    format!("not valid JSON at column {}: {message}", e.column())
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, bytes).unwrap();
        path
    }

    #[test]
    fn directory_walk_is_recursive_sorted_and_filtered() {
        let tmp = tempfile::tempdir().unwrap();
        write(tmp.path(), "b.txt", b"B");
        write(tmp.path(), "a/z.md", b"Z");
        write(tmp.path(), "a/notes.csv", b"x");
        write(tmp.path(), ".hidden.txt", b"H");
        let docs: Vec<_> =
            Documents::new(&[tmp.path().to_owned()], InputOptions::default()).map(|d| d.unwrap().id).collect();
        assert_eq!(docs, vec!["z", "b"]);
    }

    #[test]
    fn jsonl_ids_default_to_stem_and_line() {
        let tmp = tempfile::tempdir().unwrap();
        let path = write(
            tmp.path(),
            "feed.jsonl",
            b"{\"id\": \"a1\", \"text\": \"One.\"}\n\n{\"text\": \"Two.\"}\n{\"id\": 7, \"text\": \"Three.\"}\n",
        );
        let docs: Vec<_> = Documents::new(&[path], InputOptions::default()).map(|d| d.unwrap()).collect();
        let ids: Vec<_> = docs.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, vec!["a1", "feed:3", "7"]);
        assert_eq!(docs[1].origin.line, Some(3));
    }

    #[test]
    fn jsonl_errors_name_file_and_line() {
        let tmp = tempfile::tempdir().unwrap();
        let cases: &[(&[u8], &str)] = &[
            (b"{\"text\": \"ok\"}\nnot json\n", "feed.jsonl:2: not valid JSON"),
            (b"{\"id\": \"x\"}\n", "feed.jsonl:1: record has no \"text\" field"),
            (b"{\"text\": 5}\n", "feed.jsonl:1: \"text\" must be a string, found a number"),
            (b"[1, 2]\n", "feed.jsonl:1: a JSONL document must be an object"),
            (
                b"{\"id\": \"a\", \"text\": \"x\"}\n{\"id\": \"a\", \"text\": \"y\"}\n",
                "feed.jsonl:2: duplicate article id \"a\"",
            ),
            (b"{\"text\": \"ok\"}\n{\"text\": \"\xff\"}\n", "feed.jsonl:2: not valid UTF-8"),
        ];
        for (bytes, expected) in cases {
            let path = write(tmp.path(), "feed.jsonl", bytes);
            let err = Documents::new(&[path], InputOptions::default()).find_map(|d| d.err()).expect("an error");
            let message = err.to_string();
            assert!(message.contains(expected), "{message:?} lacks {expected:?}");
        }
    }

    #[test]
    fn text_errors_name_the_file() {
        let tmp = tempfile::tempdir().unwrap();
        let bad = write(tmp.path(), "bad.txt", b"fine line\nsecond \xff line\n");
        let err = read_article(&bad, InputOptions::default()).unwrap_err().to_string();
        assert!(err.contains("bad.txt:2: not valid UTF-8"), "{err}");
        let lossy = InputOptions { lossy: true, ..Default::default() };
        assert!(read_article(&bad, lossy).unwrap().text.contains('\u{fffd}'));

        let missing = tmp.path().join("missing.txt");
        let err = Documents::new(&[missing], InputOptions::default()).next().unwrap().unwrap_err().to_string();
        assert!(err.contains("missing.txt"), "{err}");

        let empty_dir = tmp.path().join("empty");
        std::fs::create_dir(&empty_dir).unwrap();
        let err = Documents::new(&[empty_dir], InputOptions::default()).next().unwrap().unwrap_err().to_string();
        assert!(err.contains("holds no article files"), "{err}");
    }
}
