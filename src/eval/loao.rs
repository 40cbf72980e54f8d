//! Leave-one-article-out cross-validation of the stance head: what
//! in-domain labels add to the written corpus.

use super::*;

/// One held-out article of [`loao_stance`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoaoFold {
    /// The held-out article.
    pub article: String,
    /// Stance macro-F1 of the corpus-only head on this article.
    pub corpus_only_macro_f1: f64,
    /// Stance macro-F1 of the head that also saw the other articles' labels.
    pub with_seeds_macro_f1: f64,
}

/// Leave-one-article-out cross-validation of the stance head: for each
/// labelled article, a head trained on the corpus plus the other articles'
/// labels predicts that article's paragraphs; the pooled predictions are
/// scored beside a head trained on the corpus alone (the shipped recipe),
/// on the same paragraphs. Shows what in-domain labels add.
pub fn loao_stance(
    encoder: &Encoder,
    batch_size: usize,
    corpus: &[std::path::PathBuf],
    label_files: &[std::path::PathBuf],
    articles_dir: &std::path::Path,
    config: &crate::classify::heads::train::SoftmaxConfig,
    log: &mut dyn FnMut(&str),
) -> Result<(EvalReport, Vec<LoaoFold>)> {
    use crate::classify::heads::train::{
        best_penalty, cross_validate_softmax, fit_softmax, read_stance_data, softmax_probabilities,
    };
    let (corpus_texts, corpus_y, _) = read_stance_data(corpus)?;
    let records = crate::data::labels::read_label_files(label_files)?;
    let articles = load_articles(articles_dir)?;
    let items: Vec<EvalItem> =
        items(records, &articles)?.into_iter().filter(|i| i.article.is_some() && i.gold.stance.is_some()).collect();
    let corpus_refs: Vec<&str> = corpus_texts.iter().map(String::as_str).collect();
    let corpus_x = encoder.embed(&corpus_refs, batch_size)?;
    let item_refs: Vec<&str> = items.iter().map(|i| i.text.as_str()).collect();
    let item_x = encoder.embed(&item_refs, batch_size)?;
    let item_y: Vec<usize> = items.iter().map(|i| i.gold.label_index(Task::Stance).expect("filtered")).collect();

    let pick_l2 =
        |x: &[Vec<f32>], y: &[usize]| -> Result<f64> { Ok(best_penalty(&cross_validate_softmax(x, y, config)?).0) };
    let predict = softmax_probabilities;

    let l2 = pick_l2(&corpus_x, &corpus_y)?;
    let (w, b) = fit_softmax(&corpus_x, &corpus_y, l2, config)?;
    let corpus_only: Vec<Probabilities> = item_x
        .iter()
        .zip(&items)
        .map(|(x, i)| if i.boilerplate { BOILERPLATE_SCORES.stance } else { predict(&w, &b, x) })
        .collect();

    let mut ids: Vec<&str> = items.iter().filter_map(|i| i.article.as_deref()).collect();
    ids.sort();
    ids.dedup();
    let mut pooled = corpus_only.clone();
    let mut per_fold = Vec::new();
    for held in &ids {
        let mut x = corpus_x.clone();
        let mut y = corpus_y.clone();
        for (k, item) in items.iter().enumerate() {
            if item.article.as_deref() != Some(held) {
                x.push(item_x[k].clone());
                y.push(item_y[k]);
            }
        }
        let l2 = pick_l2(&x, &y)?;
        let (w, b) = fit_softmax(&x, &y, l2, config)?;
        let fold: Vec<usize> = (0..items.len()).filter(|&k| items[k].article.as_deref() == Some(held)).collect();
        for &k in &fold {
            if !items[k].boilerplate {
                pooled[k] = predict(&w, &b, &item_x[k]);
            }
        }
        let gold: Vec<usize> = fold.iter().map(|&k| item_y[k]).collect();
        let with: Vec<usize> = fold.iter().map(|&k| argmax(&pooled[k])).collect();
        let without: Vec<usize> = fold.iter().map(|&k| argmax(&corpus_only[k])).collect();
        let (a, c) = (Confusion::new(3, &gold, &without).macro_f1(), Confusion::new(3, &gold, &with).macro_f1());
        log(&format!("held out {held}: l2 {l2}, macro-F1 corpus-only {a:.3}, corpus+seeds {c:.3}"));
        per_fold.push(LoaoFold { article: held.to_string(), corpus_only_macro_f1: a, with_seeds_macro_f1: c });
    }
    let methods = loao_methods(corpus_only, pooled, &items);
    let mut sources: Vec<String> = corpus.iter().chain(label_files).map(|p| p.display().to_string()).collect();
    sources.push("leave-one-article-out".into());
    let report = evaluate("seeds-loao", sources, &encoder.files().id, &items, &[], &methods);
    Ok((report, per_fold))
}

/// The two LOAO predictions as evaluation methods over `items`.
fn loao_methods(corpus_only: Vec<Probabilities>, pooled: Vec<Probabilities>, items: &[EvalItem]) -> Vec<MethodOutput> {
    let boilerplate = || Some(items.iter().map(|i| i.boilerplate).collect());
    vec![
        MethodOutput {
            method: "head (corpus only)".into(),
            stance: Some(corpus_only),
            boilerplate: boilerplate(),
            ..Default::default()
        },
        MethodOutput {
            method: "head (corpus + other seed articles, LOAO)".into(),
            stance: Some(pooled),
            boilerplate: boilerplate(),
            ..Default::default()
        },
    ]
}
