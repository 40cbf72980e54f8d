//! The evaluation harness end to end: the quality floor on the seed labels
//! (real model), and the HTML report's charts (tiny model).

use crate::repo;
use stance::testing as common;

use stance::classify::zero_shot::PrototypeFile;
use stance::classify::Task;
use stance::encoder::{Encoder, ModelFiles, Precision, Source};
use stance::pipeline::Classifiers;

fn seed_report(encoder: &Encoder, sets: Vec<&Classifiers>) -> stance::eval::EvalReport {
    let models = stance::eval::Models { encoder, batch_size: 32, sets, score_quotes: true };
    stance::eval::evaluate_label_files(&models, &[repo().join("eval/labels/seeds.jsonl")], None, &repo().join("seeds"))
        .unwrap()
}

#[derive(serde::Deserialize)]
struct Floor {
    tolerance: f64,
    seeds: SeedFloor,
    nyt: NytFloor,
    int8: Int8Floor,
    dev: HeldOutFloor,
    articles: ArticlesFloor,
    speakers: SpeakerSuiteFloor,
}

/// Speaker accuracy of the attribution rules on the speaker suite.
#[derive(serde::Deserialize)]
struct SpeakerSuiteFloor {
    dev_accuracy: f64,
    heldout_accuracy: f64,
}

/// Macro-F1 floors on a held-out label set.
#[derive(serde::Deserialize)]
struct HeldOutFloor {
    stance_macro_f1: f64,
    sentiment_macro_f1: f64,
}

#[derive(serde::Deserialize)]
struct ArticlesFloor {
    stance_macro_f1: f64,
    sentiment_macro_f1: f64,
    spearman: f64,
}

#[derive(serde::Deserialize)]
struct SeedFloor {
    stance_method: String,
    stance_macro_f1: f64,
    sentiment_method: String,
    sentiment_macro_f1: f64,
    speaker_method: String,
    speaker_accuracy: f64,
}

#[derive(serde::Deserialize)]
struct NytFloor {
    sentiment_method: String,
    sentiment_macro_f1: f64,
    sentiment_pearson: f64,
}

#[derive(serde::Deserialize)]
struct Int8Floor {
    seeds_stance_macro_f1: f64,
    seeds_sentiment_macro_f1: f64,
    nyt_sentiment_macro_f1: f64,
    nyt_sentiment_pearson: f64,
}

/// The shipped stance head with the NYT-ratings sentiment head
/// (models/heads/sentiment-nyt): the NYT floors belong to that head, shipped
/// beside the default speaker-tone head.
fn nyt_heads(encoder: &Encoder) -> Classifiers {
    let dir = repo().join("models/heads/sentiment-nyt");
    Classifiers::heads_from(encoder, &encoder.weights_sha256().unwrap(), None, Some(&dir)).unwrap()
}

fn floor() -> Floor {
    toml::from_str(&std::fs::read_to_string(repo().join("eval/floor.toml")).unwrap()).unwrap()
}

fn check(what: &str, value: f64, min: f64, tolerance: f64) {
    eprintln!("{what}: {value:.3} (floor {min:.3})");
    assert!(value >= min - tolerance, "{what} {value:.3} fell below the floor {min:.3} - {tolerance}");
}

/// The default classifiers must not fall more than the tolerance below the
/// recorded floor on the held-out seed labels.
#[test]
fn default_classifiers_stay_above_the_seed_floor() {
    let Some(files) = common::real_model() else { return };
    let floor = floor();
    let encoder = Encoder::try_new(files).unwrap();
    let heads = Classifiers::heads(&encoder, &encoder.weights_sha256().unwrap()).unwrap();
    let report = seed_report(&encoder, vec![&heads]);
    assert_eq!(report.paragraphs, 95);
    let stance = report.task(Task::Stance, &floor.seeds.stance_method).expect("stance head evaluated");
    check("seed stance macro-F1", stance.macro_f1, floor.seeds.stance_macro_f1, floor.tolerance);
    let sentiment = report.task(Task::Sentiment, &floor.seeds.sentiment_method).expect("sentiment head evaluated");
    check("seed sentiment macro-F1", sentiment.macro_f1, floor.seeds.sentiment_macro_f1, floor.tolerance);
}

/// `--precision int8`: the shipped heads on the int8 encoder's vectors hold
/// their own floor on the seed labels and, when present, the NYT test split.
#[test]
fn int8_encoder_stays_above_its_floor() {
    let Some(files) = common::real_model() else { return };
    let floor = floor();
    let encoder = Encoder::try_new(files).unwrap().with_precision(Precision::Int8).unwrap();
    let heads = Classifiers::heads(&encoder, &encoder.weights_sha256().unwrap()).unwrap();
    let report = seed_report(&encoder, vec![&heads]);
    let stance = report.task(Task::Stance, &floor.seeds.stance_method).expect("stance head evaluated");
    check("int8 seed stance macro-F1", stance.macro_f1, floor.int8.seeds_stance_macro_f1, floor.tolerance);
    let sentiment = report.task(Task::Sentiment, &floor.seeds.sentiment_method).expect("sentiment head evaluated");
    check("int8 seed sentiment macro-F1", sentiment.macro_f1, floor.int8.seeds_sentiment_macro_f1, floor.tolerance);
    let path = repo().join(stance::data::nyt::DEFAULT_PATH);
    if !path.is_file() {
        eprintln!("skipping the NYT half: {} not present", path.display());
        return;
    }
    let nyt_heads = nyt_heads(&encoder);
    let models = stance::eval::Models { encoder: &encoder, batch_size: 32, sets: vec![&nyt_heads], score_quotes: true };
    let report = stance::eval::nyt::evaluate(&path, Some(&models)).unwrap();
    let row = report.task(Task::Sentiment, &floor.nyt.sentiment_method).expect("sentiment head evaluated");
    check("int8 NYT sentiment macro-F1", row.macro_f1, floor.int8.nyt_sentiment_macro_f1, floor.tolerance);
    check("int8 NYT Pearson", row.pearson.unwrap(), floor.int8.nyt_sentiment_pearson, floor.tolerance);
}

/// The same on the NYT test split, when the shared data is beside the repo.
#[test]
fn default_sentiment_stays_above_the_nyt_floor() {
    let path = repo().join(stance::data::nyt::DEFAULT_PATH);
    if !path.is_file() {
        eprintln!("skipping: {} not present", path.display());
        return;
    }
    let Some(files) = common::real_model() else { return };
    let floor = floor();
    let encoder = Encoder::try_new(files).unwrap();
    let heads = nyt_heads(&encoder);
    let models = stance::eval::Models { encoder: &encoder, batch_size: 32, sets: vec![&heads], score_quotes: true };
    let report = stance::eval::nyt::evaluate(&path, Some(&models)).unwrap();
    let row = report.task(Task::Sentiment, &floor.nyt.sentiment_method).expect("sentiment head evaluated");
    check("NYT sentiment macro-F1", row.macro_f1, floor.nyt.sentiment_macro_f1, floor.tolerance);
    check("NYT Pearson", row.pearson.unwrap(), floor.nyt.sentiment_pearson, floor.tolerance);
}

/// The default heads on the two larger held-out sets: the development split
/// (ten whole contexts no head was trained on) and the written article set
/// (paragraph labels and the article ranking against the outlooks).
#[test]
fn default_classifiers_stay_above_the_held_out_floors() {
    let Some(files) = common::real_model() else { return };
    let floor = floor();
    let encoder = Encoder::try_new(files).unwrap();
    let heads = Classifiers::heads(&encoder, &encoder.weights_sha256().unwrap()).unwrap();
    let models = stance::eval::Models { encoder: &encoder, batch_size: 32, sets: vec![&heads], score_quotes: true };
    let report = |labels: &str, articles: &str| {
        stance::eval::evaluate_label_files(&models, &[repo().join(labels)], None, &repo().join(articles)).unwrap()
    };
    let f1 = |r: &stance::eval::EvalReport, task, method: &str| r.task(task, method).expect("head evaluated").macro_f1;
    let (stance_head, sentiment_head) = (&floor.seeds.stance_method, &floor.seeds.sentiment_method);
    let dev = report("eval/dev/stance-dev.jsonl", "seeds");
    check("dev stance macro-F1", f1(&dev, Task::Stance, stance_head), floor.dev.stance_macro_f1, floor.tolerance);
    let sentiment = f1(&dev, Task::Sentiment, sentiment_head);
    check("dev sentiment macro-F1", sentiment, floor.dev.sentiment_macro_f1, floor.tolerance);
    let articles = report("eval/labels/articles.jsonl", "eval/articles");
    let stance = f1(&articles, Task::Stance, stance_head);
    check("article-set stance macro-F1", stance, floor.articles.stance_macro_f1, floor.tolerance);
    let sentiment = f1(&articles, Task::Sentiment, sentiment_head);
    check("article-set sentiment macro-F1", sentiment, floor.articles.sentiment_macro_f1, floor.tolerance);
    let ranking = articles.articles.iter().find(|a| &a.method == stance_head).expect("articles ranked");
    assert_eq!(ranking.n, 40);
    check("article-set Spearman", ranking.spearman, floor.articles.spearman, floor.tolerance);
}

/// Speaker attribution is rules only, so the tiny model checks its floor
/// on every run.
#[test]
fn speaker_attribution_stays_above_the_floor() {
    let floor = floor();
    let tmp = tempfile::tempdir().unwrap();
    let dir = common::write_tiny_bert(&tmp.path().join("tiny"));
    let encoder = Encoder::try_new(ModelFiles::from_dir("tiny", &dir, Source::LocalDir).unwrap()).unwrap();
    let zero_shot = Classifiers::zero_shot(&encoder, &PrototypeFile::builtin().unwrap()).unwrap();
    let report = seed_report(&encoder, vec![&zero_shot]);
    let row = report.speakers.iter().find(|r| r.method == floor.seeds.speaker_method).expect("attribution evaluated");
    eprintln!("speaker accuracy {:.3} (floor {:.3})", row.accuracy, floor.seeds.speaker_accuracy);
    assert!(row.accuracy >= floor.seeds.speaker_accuracy - floor.tolerance, "speaker accuracy {:.3}", row.accuracy);
}

/// The report's tables hold every method, and its HTML parses as XML with
/// every chart present: a confusion heat map and a reliability diagram per
/// task and method, and an article ranking per method.
#[test]
fn html_report_has_every_chart() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = common::write_tiny_bert(&tmp.path().join("tiny"));
    let encoder = Encoder::try_new(ModelFiles::from_dir("tiny", &dir, Source::LocalDir).unwrap()).unwrap();
    let zero_shot = Classifiers::zero_shot(&encoder, &PrototypeFile::builtin().unwrap()).unwrap();
    let report = seed_report(&encoder, vec![&zero_shot]);

    let methods = |rows: &[stance::eval::TaskMetrics]| rows.iter().map(|r| r.method.clone()).collect::<Vec<_>>();
    assert_eq!(methods(&report.stance), ["majority", "keyword-rules", "zero-shot"]);
    assert_eq!(methods(&report.sentiment), ["majority", "lexicon", "zero-shot"]);
    assert!(!report.articles.is_empty());

    let path = tmp.path().join("report.html");
    std::fs::write(&path, stance::eval::report::html(&report)).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let doc = roxmltree::Document::parse_with_options(
        &text,
        roxmltree::ParsingOptions { allow_dtd: true, ..Default::default() },
    )
    .expect("the report is well-formed");
    let svg_ids: Vec<&str> =
        doc.descendants().filter(|n| n.tag_name().name() == "svg").filter_map(|n| n.attribute("id")).collect();
    for (task, rows) in [("stance", &report.stance), ("sentiment", &report.sentiment)] {
        for r in rows.iter() {
            for kind in ["confusion", "reliability"] {
                let id = format!("{kind}-{task}-{}", r.method);
                assert!(svg_ids.contains(&id.as_str()), "missing chart {id}");
            }
        }
    }
    for a in &report.articles {
        let id = format!("ranking-{}", a.method);
        assert!(svg_ids.contains(&id.as_str()), "missing chart {id}");
        let svg = doc.descendants().find(|n| n.attribute("id") == Some(id.as_str())).unwrap();
        let bars = svg.descendants().filter(|n| n.tag_name().name() == "rect").count();
        assert!(bars > a.articles.len(), "{id}: {bars} rects");
    }
    // Each heat map has a cell per confusion entry.
    let heat = doc.descendants().find(|n| n.attribute("id") == Some("confusion-stance-zero-shot")).unwrap();
    assert!(heat.descendants().filter(|n| n.tag_name().name() == "rect").count() >= 9);
}

#[test]
fn agreement_of_a_file_with_itself_is_perfect() {
    let labels = stance::data::labels::read_labels(&repo().join("eval/labels/seeds.jsonl")).unwrap();
    for row in stance::eval::agreement(&labels, &labels) {
        assert_eq!(row.n, 95);
        assert!((row.kappa - 1.0).abs() < 1e-12, "{row:?}");
    }
}

/// The attribution rules on the speaker suite: no model, so this runs
/// everywhere.
#[test]
fn speaker_attribution_stays_above_the_suite_floor() {
    use stance::eval::speakers::{evaluate, read_suite};
    let floor = floor();
    for (file, min) in [
        ("speakers-dev.jsonl", floor.speakers.dev_accuracy),
        ("speakers-heldout.jsonl", floor.speakers.heldout_accuracy),
    ] {
        let cases = read_suite(&[repo().join("eval/labels").join(file)]).unwrap();
        assert!(cases.len() >= 200, "{file}: {} cases", cases.len());
        let report = evaluate("rules", &cases, stance::speaker::attribute_article);
        check(&format!("{file} speaker accuracy"), report.accuracy, min, floor.tolerance);
    }
}
