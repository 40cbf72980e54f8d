//! The end-to-end pipeline: documents → paragraphs → embeddings →
//! classifier probabilities → records, in bounded chunks.

use crate::article::Article;
use crate::classify::{argmax, Classifier, Task};
use crate::encoder::Encoder;
use crate::error::{Error, Result};
use crate::input::Document;
use crate::record::{round_score, ParagraphRecord, SentimentScores, StanceScores};
use crate::speaker;

/// Paragraphs embedded per forward pass unless told otherwise.
pub const DEFAULT_BATCH_SIZE: usize = 32;
/// Paragraphs gathered before a chunk is embedded and written; bounds memory
/// on long streams while keeping batches full.
pub const DEFAULT_CHUNK_PARAGRAPHS: usize = 512;

/// An encoder with a stance and a sentiment classifier.
pub struct Pipeline {
    encoder: Encoder,
    stance: Box<dyn Classifier>,
    sentiment: Box<dyn Classifier>,
    batch_size: usize,
}

impl Pipeline {
    /// Builds a pipeline; the classifiers must answer the stance and the
    /// sentiment task respectively.
    pub fn new(encoder: Encoder, stance: Box<dyn Classifier>, sentiment: Box<dyn Classifier>) -> Result<Pipeline> {
        if stance.task() != Task::Stance || sentiment.task() != Task::Sentiment {
            return Err(Error::Usage("classifiers given for the wrong tasks".into()));
        }
        Ok(Pipeline {
            encoder,
            stance,
            sentiment,
            batch_size: DEFAULT_BATCH_SIZE,
        })
    }

    /// The zero-shot pipeline: `encoder` with prototype classifiers for
    /// both tasks.
    pub fn zero_shot(encoder: Encoder, prototypes: &crate::classify::zero_shot::PrototypeFile) -> Result<Pipeline> {
        use crate::classify::zero_shot::ZeroShot;
        let stance = ZeroShot::new(Task::Stance, prototypes.task(Task::Stance), &encoder)?;
        let sentiment = ZeroShot::new(Task::Sentiment, prototypes.task(Task::Sentiment), &encoder)?;
        Pipeline::new(encoder, Box::new(stance), Box::new(sentiment))
    }

    /// Sets how many windows go through the encoder at once.
    pub fn with_batch_size(mut self, batch_size: usize) -> Pipeline {
        self.batch_size = batch_size.max(1);
        self
    }

    pub fn encoder(&self) -> &Encoder {
        &self.encoder
    }

    /// Names of the stance and sentiment classifiers.
    pub fn classifier_names(&self) -> (&str, &str) {
        (self.stance.name(), self.sentiment.name())
    }

    /// Classifies every paragraph of `articles`, in order.
    ///
    /// Boilerplate is neither embedded nor classified: the labelling guide
    /// makes it `neutral` in both tasks, spoken by the `narrator`.
    pub fn classify(&self, articles: &[Article]) -> Result<Vec<ParagraphRecord>> {
        let texts: Vec<&str> = articles
            .iter()
            .flat_map(|a| a.paragraphs.iter())
            .filter(|p| !p.boilerplate)
            .map(|p| p.text.as_str())
            .collect();
        let embeddings = self.encoder.embed(&texts, self.batch_size)?;
        let stance = self.stance.predict(&embeddings)?;
        let sentiment = self.sentiment.predict(&embeddings)?;

        // Attribution reads whole articles (and the batch, for full names);
        // boilerplate is left out so a byline never becomes a source.
        let content: Vec<Vec<&str>> = articles
            .iter()
            .map(|a| a.paragraphs.iter().filter(|p| !p.boilerplate).map(|p| p.text.as_str()).collect())
            .collect();
        let mut attributions = speaker::attribute_articles(&content).into_iter().flatten();

        let mut scored = stance.into_iter().zip(sentiment);
        let mut records = Vec::new();
        for article in articles {
            for p in &article.paragraphs {
                let (stance_p, sentiment_p, attribution) = if p.boilerplate {
                    ([0.0, 0.0, 1.0], [0.0, 0.0, 1.0], speaker::Attribution::narrator())
                } else {
                    let (s, m) = scored.next().ok_or_else(|| Error::Model("fewer predictions than paragraphs".into()))?;
                    let a = attributions.next().unwrap_or_else(speaker::Attribution::narrator);
                    (s, m, a)
                };
                records.push(ParagraphRecord {
                    article: article.id.clone(),
                    paragraph: p.index,
                    text: p.text.clone(),
                    boilerplate: p.boilerplate,
                    stance: Task::Stance.labels()[argmax(&stance_p)].to_owned(),
                    stance_scores: StanceScores::from_probabilities(&stance_p),
                    sentiment: Task::Sentiment.labels()[argmax(&sentiment_p)].to_owned(),
                    sentiment_scores: SentimentScores::from_probabilities(&sentiment_p),
                    sentiment_score: round_score(sentiment_p[0] as f64 - sentiment_p[1] as f64),
                    quotes: attribution.quote_texts(&p.text),
                    speaker: attribution.speaker,
                    speaker_role: attribution.role,
                });
            }
        }
        Ok(records)
    }

    /// Streams documents through the pipeline in chunks of about
    /// `chunk_paragraphs` paragraphs, handing each chunk's records to
    /// `on_records` in input order. A document that fails to read goes to
    /// `on_error`, which returns `Err` to stop or `Ok` to go on.
    pub fn classify_documents(
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
