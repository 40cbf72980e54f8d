//! The end-to-end pipeline: documents → paragraphs → embeddings →
//! classifier probabilities → records, in bounded chunks.

use crate::classify::{Classifier, Probabilities, Task};
use crate::encoder::Encoder;
use crate::error::{Error, Result};
use crate::label::{Label, SentimentLabel, StanceLabel};
use crate::results::record::{round_score, ParagraphRecord, SentimentScores, StanceScores};
use crate::speaker;
use crate::text::article::Article;
use crate::text::input::Document;

/// Paragraphs embedded per forward pass unless told otherwise.
pub const DEFAULT_BATCH_SIZE: usize = 32;
/// Paragraphs gathered before a chunk is embedded and written; bounds memory
/// on long streams while keeping batches full.
pub(crate) const DEFAULT_CHUNK_PARAGRAPHS: usize = 512;

/// The two classifiers a pipeline applies to every paragraph.
pub struct Classifiers {
    /// Answers [`Task::Stance`].
    pub stance: Box<dyn Classifier>,
    /// Answers [`Task::Sentiment`].
    pub sentiment: Box<dyn Classifier>,
}

/// One paragraph's scores.
#[derive(Debug, Clone, Copy)]
pub struct Scores {
    /// Probabilities over the stance labels.
    pub stance: Probabilities,
    /// Probabilities over the sentiment labels.
    pub sentiment: Probabilities,
    /// Valence in [-1, 1].
    pub valence: f32,
}

/// Scores of a boilerplate paragraph: `neutral` in both tasks, as the
/// labelling guide says.
pub(crate) const BOILERPLATE_SCORES: Scores =
    Scores { stance: [0.0, 0.0, 1.0], sentiment: [0.0, 0.0, 1.0], valence: 0.0 };

impl Classifiers {
    /// Checks that each classifier answers its task.
    pub fn new(stance: Box<dyn Classifier>, sentiment: Box<dyn Classifier>) -> Result<Classifiers> {
        if stance.task() != Task::Stance || sentiment.task() != Task::Sentiment {
            return Err(Error::Usage("classifiers given for the wrong tasks".into()));
        }
        Ok(Classifiers { stance, sentiment })
    }

    /// Zero-shot prototype classifiers for both tasks.
    pub fn zero_shot(encoder: &Encoder, prototypes: &crate::classify::zero_shot::PrototypeFile) -> Result<Classifiers> {
        use crate::classify::zero_shot::ZeroShot;
        let stance = ZeroShot::new(Task::Stance, prototypes.task(Task::Stance), encoder)?;
        let sentiment = ZeroShot::new(Task::Sentiment, prototypes.task(Task::Sentiment), encoder)?;
        Classifiers::new(Box::new(stance), Box::new(sentiment))
    }

    /// The shipped trained heads, refused unless they were trained on this
    /// encoder (`encoder_sha256` is its weights' hash).
    pub fn heads(encoder: &Encoder, encoder_sha256: &str) -> Result<Classifiers> {
        Classifiers::heads_from(encoder, encoder_sha256, None, None)
    }

    /// Trained heads, each from a directory when given, else the shipped one.
    pub fn heads_from(
        encoder: &Encoder,
        encoder_sha256: &str,
        stance_dir: Option<&std::path::Path>,
        sentiment_dir: Option<&std::path::Path>,
    ) -> Result<Classifiers> {
        let load = |task: Task, dir: Option<&std::path::Path>| -> Result<Box<dyn Classifier>> {
            let head = match dir {
                Some(dir) => crate::classify::heads::LoadedHead::from_dir(dir)?,
                None => crate::classify::heads::builtin(task)?,
            };
            if head.metadata.task != task {
                return Err(Error::ModelFile {
                    path: head.origin.clone(),
                    message: format!("a {} head, where a {} head was expected", head.metadata.task, task.name()),
                });
            }
            head.into_classifier(encoder_sha256, encoder.dims())
        };
        Classifiers::new(load(Task::Stance, stance_dir)?, load(Task::Sentiment, sentiment_dir)?)
    }

    /// Scores paragraphs: stance from the paragraph (`texts`,
    /// `embeddings`), sentiment from the speaker's voice (`voices`,
    /// `voice_embeddings`: the quoted words where the paragraph quotes its
    /// speaker, else the paragraph itself; see `voice`).
    pub fn score(
        &self,
        texts: &[&str],
        embeddings: &[Vec<f32>],
        voices: &[&str],
        voice_embeddings: &[Vec<f32>],
    ) -> Result<Vec<Scores>> {
        let stance = self.stance.predict(texts, embeddings)?;
        let sentiment = self.sentiment.predict(voices, voice_embeddings)?;
        let valence = match self.sentiment.valence(voices, voice_embeddings)? {
            Some(v) => v,
            None => sentiment.iter().map(|p| p[0] - p[1]).collect(),
        };
        Ok(stance
            .into_iter()
            .zip(sentiment)
            .zip(valence)
            .map(|((stance, sentiment), valence)| Scores { stance, sentiment, valence: valence.clamp(-1.0, 1.0) })
            .collect())
    }
}

/// What sentiment reads for a paragraph: the speaker's own words where the
/// paragraph quotes its (non-narrator) speaker — the guide's sentiment is
/// the speaker's tone, not the reporter's framing — else the paragraph.
pub(crate) fn voice(text: &str, attribution: &speaker::Attribution) -> String {
    let quotes = attribution.quote_texts(text);
    if attribution.is_narrator() || quotes.is_empty() {
        text.to_owned()
    } else {
        quotes.join(" ")
    }
}

/// One embedding per text.
pub(crate) type Embeddings = Vec<Vec<f32>>;

/// Embeds paragraphs and, where they differ, their voices; returns
/// (paragraph embeddings, voice embeddings).
pub(crate) fn embed_with_voices(
    encoder: &Encoder,
    batch_size: usize,
    texts: &[&str],
    voices: &[&str],
) -> Result<(Embeddings, Embeddings)> {
    let embeddings = encoder.embed(texts, batch_size)?;
    let differing: Vec<usize> = (0..texts.len()).filter(|&i| voices[i] != texts[i]).collect();
    let extra = encoder.embed(&differing.iter().map(|&i| voices[i]).collect::<Vec<_>>(), batch_size)?;
    let mut voice_embeddings = embeddings.clone();
    for (i, e) in differing.into_iter().zip(extra) {
        voice_embeddings[i] = e;
    }
    Ok((embeddings, voice_embeddings))
}

/// An encoder with a stance and a sentiment classifier.
pub struct Pipeline {
    encoder: Encoder,
    classifiers: Classifiers,
    batch_size: usize,
}

impl Pipeline {
    /// Builds a pipeline from an encoder and its classifiers.
    pub fn new(encoder: Encoder, classifiers: Classifiers) -> Pipeline {
        Pipeline { encoder, classifiers, batch_size: DEFAULT_BATCH_SIZE }
    }

    /// The zero-shot pipeline: `encoder` with prototype classifiers for
    /// both tasks.
    pub fn zero_shot(encoder: Encoder, prototypes: &crate::classify::zero_shot::PrototypeFile) -> Result<Pipeline> {
        let classifiers = Classifiers::zero_shot(&encoder, prototypes)?;
        Ok(Pipeline::new(encoder, classifiers))
    }

    /// Sets how many windows go through the encoder at once.
    pub(crate) fn with_batch_size(mut self, batch_size: usize) -> Pipeline {
        self.batch_size = batch_size.max(1);
        self
    }

    /// The encoder.
    pub fn encoder(&self) -> &Encoder {
        &self.encoder
    }

    /// The classifiers.
    pub fn classifiers(&self) -> &Classifiers {
        &self.classifiers
    }

    /// Windows per forward pass.
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// Classifies every paragraph of `articles`, in order.
    ///
    /// Boilerplate is neither embedded nor classified: the labelling guide
    /// makes it `neutral` in both tasks, spoken by the `narrator`.
    pub fn classify(&self, articles: &[Article]) -> Result<Vec<ParagraphRecord>> {
        let attributions: Vec<Vec<speaker::Attribution>> = articles.iter().map(attribute).collect();
        let mut texts = Vec::new();
        let mut voices = Vec::new();
        for (article, found) in articles.iter().zip(&attributions) {
            for (p, a) in article.paragraphs.iter().zip(found) {
                if !p.boilerplate {
                    texts.push(p.text.as_str());
                    voices.push(voice(&p.text, a));
                }
            }
        }
        let voice_refs: Vec<&str> = voices.iter().map(String::as_str).collect();
        let (embeddings, voice_embeddings) = embed_with_voices(&self.encoder, self.batch_size, &texts, &voice_refs)?;
        let mut scored = self.classifiers.score(&texts, &embeddings, &voice_refs, &voice_embeddings)?.into_iter();
        let mut records = Vec::new();
        for (article, found) in articles.iter().zip(attributions) {
            for (p, attribution) in article.paragraphs.iter().zip(found) {
                let scores = if p.boilerplate {
                    BOILERPLATE_SCORES
                } else {
                    scored.next().ok_or_else(|| Error::Model("fewer predictions than paragraphs".into()))?
                };
                records.push(record(&article.id, p.index, &p.text, p.boilerplate, &scores, attribution));
            }
        }
        Ok(records)
    }

    /// Streams documents through the pipeline in chunks of about
    /// `chunk_paragraphs` paragraphs, handing each chunk's records to
    /// `on_records` in input order. A document that fails to read goes to
    /// `on_error`, which returns `Err` to stop or `Ok` to go on.
    pub(crate) fn classify_documents(
        &self,
        documents: impl Iterator<Item = Result<Document>>,
        chunk_paragraphs: usize,
        on_error: &mut dyn FnMut(Error) -> Result<()>,
        on_records: &mut dyn FnMut(&[ParagraphRecord]) -> Result<()>,
    ) -> Result<()> {
        let mut chunk: Vec<Article> = Vec::new();
        let mut pending = 0;
        for document in documents {
            match document {
                Ok(doc) => {
                    let article = Article::from_text(doc.id, &doc.text);
                    pending += article.paragraphs.len();
                    chunk.push(article);
                    if pending >= chunk_paragraphs {
                        on_records(&self.classify(&chunk)?)?;
                        chunk.clear();
                        pending = 0;
                    }
                }
                Err(e) => on_error(e)?,
            }
        }
        if !chunk.is_empty() {
            on_records(&self.classify(&chunk)?)?;
        }
        Ok(())
    }
}

/// Who voices each paragraph of `article`, read within the article alone
/// (never across articles, so a record does not depend on the rest of the
/// run). Boilerplate is left out of the reading, so a byline never becomes
/// a source, and is the narrator's.
pub fn attribute(article: &Article) -> Vec<speaker::Attribution> {
    let content: Vec<&str> = article.paragraphs.iter().filter(|p| !p.boilerplate).map(|p| p.text.as_str()).collect();
    let mut found = speaker::attribute_article(&content).into_iter();
    article
        .paragraphs
        .iter()
        .map(|p| {
            if p.boilerplate {
                speaker::Attribution::narrator()
            } else {
                found.next().unwrap_or_else(speaker::Attribution::narrator)
            }
        })
        .collect()
}

/// Builds the output record of one scored paragraph.
pub fn record(
    article: &str,
    paragraph: usize,
    text: &str,
    boilerplate: bool,
    scores: &Scores,
    attribution: speaker::Attribution,
) -> ParagraphRecord {
    ParagraphRecord {
        article: article.to_owned(),
        paragraph,
        text: text.to_owned(),
        boilerplate,
        stance: StanceLabel::argmax(&scores.stance),
        stance_scores: StanceScores::from_probabilities(&scores.stance),
        sentiment: SentimentLabel::argmax(&scores.sentiment),
        sentiment_scores: SentimentScores::from_probabilities(&scores.sentiment),
        sentiment_score: round_score(scores.valence as f64),
        quotes: attribution.quote_texts(text),
        speaker: attribution.speaker,
        speaker_role: attribution.role,
    }
}
