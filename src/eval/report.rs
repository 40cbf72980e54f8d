//! Rendering an [`EvalReport`]: markdown for people, a self-contained HTML
//! file with SVG charts (drawn with `plotters`) for sharing.
//!
//! The HTML is well-formed XML (XHTML syntax), so tests can parse it and
//! check that every chart is present.

use crate::eval::{ArticleMetrics, EvalReport, TaskMetrics};
use crate::metrics::ReliabilityBin;
use plotters::prelude::*;
use std::fmt::Write;

/// The report as a markdown document.
pub fn markdown(report: &EvalReport) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Evaluation: {} ({} paragraphs)\n\nEncoder: `{}`. Sources: {}.\n",
        report.dataset,
        report.paragraphs,
        report.encoder,
        report.sources.join(", ")
    );
    for (title, rows) in [("Stance", &report.stance), ("Sentiment", &report.sentiment)] {
        if !rows.is_empty() {
            task_section(&mut s, title, rows);
        }
    }
    if !report.speakers.is_empty() {
        let _ = writeln!(s, "## Speakers\n\n| method | n | accuracy |\n|---|---:|---:|");
        for r in &report.speakers {
            let _ = writeln!(s, "| {} | {} | {:.3} |", r.method, r.n, r.accuracy);
        }
        s.push('\n');
    }
    if !report.articles.is_empty() {
        articles_section(&mut s, &report.articles);
    }
    if let Some(b) = &report.boilerplate {
        let _ = writeln!(
            s,
            "## Boilerplate detection\n\nn = {}: precision {:.3}, recall {:.3}, F1 {:.3}.\n",
            b.n, b.precision, b.recall, b.f1
        );
    }
    s
}

/// One task's table, per-class scores and confusion matrices.
fn task_section(s: &mut String, title: &str, rows: &[TaskMetrics]) {
    let ratings = rows.iter().any(|r| r.pearson.is_some());
    let _ = writeln!(s, "## {title}\n");
    let _ = write!(s, "| method | n | accuracy | macro-F1 [95% CI] | weighted-F1 | kappa | ECE |");
    if ratings {
        let _ = write!(s, " Pearson | Spearman |");
    }
    let _ = write!(s, "\n|---|---:|---:|---:|---:|---:|---:|");
    if ratings {
        let _ = write!(s, "---:|---:|");
    }
    s.push('\n');
    for r in rows.iter() {
        let _ = write!(
            s,
            "| {} | {} | {:.3} | {:.3} [{:.3}, {:.3}] | {:.3} | {:.3} | {:.3} |",
            r.method, r.n, r.accuracy, r.macro_f1, r.macro_f1_ci[0], r.macro_f1_ci[1], r.weighted_f1, r.kappa, r.ece
        );
        if ratings {
            let f = |v: Option<f64>| v.map(|v| format!("{v:.3}")).unwrap_or_else(|| "–".into());
            let _ = write!(s, " {} | {} |", f(r.pearson), f(r.spearman));
        }
        s.push('\n');
    }
    let _ = writeln!(s, "\nPer class (precision / recall / F1, support):\n");
    let labels = &rows[0].labels;
    let _ = write!(s, "| method |");
    for l in labels {
        let _ = write!(s, " {l} |");
    }
    let _ = write!(s, "\n|---|");
    for _ in labels {
        s.push_str("---|");
    }
    s.push('\n');
    for r in rows.iter() {
        let _ = write!(s, "| {} |", r.method);
        for c in &r.per_class {
            let _ = write!(s, " {:.2} / {:.2} / {:.2} ({}) |", c.precision, c.recall, c.f1, c.support);
        }
        s.push('\n');
    }
    let _ = writeln!(s, "\nConfusion matrices (rows: gold {}; columns: predicted, same order):\n", labels.join(", "));
    for r in rows.iter() {
        let cells: Vec<String> =
            r.confusion.iter().map(|row| row.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(" ")).collect();
        let _ = writeln!(s, "- {}: [{}]", r.method, cells.join(" | "));
    }
    s.push('\n');
}

/// The ranking agreement per method, then every article's score per method.
fn articles_section(s: &mut String, articles: &[ArticleMetrics]) {
    let _ = writeln!(s, "## Articles (score vs outlook)\n\n| method | n | Spearman | Kendall |\n|---|---:|---:|---:|");
    for r in articles {
        let _ = writeln!(s, "| {} | {} | {:.3} | {:.3} |", r.method, r.n, r.spearman, r.kendall);
    }
    let _ = writeln!(
        s,
        "\n| article | outlook |{}",
        articles.iter().map(|a| format!(" {} |", a.method)).collect::<String>()
    );
    let _ = writeln!(s, "|---|---:|{}", "---:|".repeat(articles.len()));
    for (i, a) in articles[0].articles.iter().enumerate() {
        let _ = write!(s, "| {} | {:+} |", a.article, a.outlook);
        for m in articles {
            let _ = write!(s, " {:+.3} |", m.articles[i].score);
        }
        s.push('\n');
    }
    s.push('\n');
}

/// The report as one self-contained HTML file with inline SVG charts:
/// a confusion heat map per task and method, a reliability diagram per task
/// and method, and the article ranking as a bar chart.
pub fn html(report: &EvalReport) -> String {
    let mut body = String::new();
    for (task, rows) in [("stance", &report.stance), ("sentiment", &report.sentiment)] {
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(body, "<h2>{}</h2>\n<div class=\"row\">", capitalise(task));
        for r in rows.iter() {
            let id = format!("confusion-{task}-{}", r.method);
            let _ = writeln!(
                body,
                "<figure>{}<figcaption>{} confusion: {}</figcaption></figure>",
                confusion_svg(&id, r),
                task,
                escape(&r.method)
            );
        }
        let _ = writeln!(body, "</div>\n<div class=\"row\">");
        for r in rows.iter() {
            let id = format!("reliability-{task}-{}", r.method);
            let _ = writeln!(
                body,
                "<figure>{}<figcaption>{} reliability: {} (ECE {:.3})</figcaption></figure>",
                reliability_svg(&id, &r.reliability),
                task,
                escape(&r.method),
                r.ece
            );
        }
        let _ = writeln!(body, "</div>");
    }
    for a in &report.articles {
        let id = format!("ranking-{}", a.method);
        let _ = writeln!(
            body,
            "<h2>Article ranking: {}</h2>\n<figure>{}<figcaption>score (bars) and outlook label (right); Spearman {:.3}, Kendall {:.3}</figcaption></figure>",
            escape(&a.method),
            ranking_svg(&id, a),
            a.spearman,
            a.kendall
        );
    }
    let tables = markdown_tables_as_html(report);
    format!(
        "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>stance evaluation: {}</title>\n<style>\nbody {{ font-family: sans-serif; margin: 2em; max-width: 1200px; }}\ntable {{ border-collapse: collapse; margin: 1em 0; }}\ntd, th {{ border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: right; }}\ntd:first-child, th:first-child {{ text-align: left; }}\n.row {{ display: flex; flex-wrap: wrap; gap: 1em; }}\nfigure {{ margin: 0; }}\nfigcaption {{ font-size: 0.85em; color: #444; }}\n</style>\n</head>\n<body>\n<h1>stance evaluation: {} ({} paragraphs)</h1>\n<p>Encoder: <code>{}</code>. Sources: {}.</p>\n{}\n{}</body>\n</html>\n",
        escape(&report.dataset),
        escape(&report.dataset),
        report.paragraphs,
        escape(&report.encoder),
        escape(&report.sources.join(", ")),
        tables,
        body
    )
}

fn markdown_tables_as_html(report: &EvalReport) -> String {
    let mut s = String::new();
    for (title, rows) in [("Stance", &report.stance), ("Sentiment", &report.sentiment)] {
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(
            s,
            "<h2>{title}: methods</h2>\n<table>\n<tr><th>method</th><th>n</th><th>accuracy</th><th>macro-F1</th><th>95% CI</th><th>weighted-F1</th><th>kappa</th><th>ECE</th><th>Pearson</th><th>Spearman</th></tr>"
        );
        for r in rows.iter() {
            let f = |v: Option<f64>| v.map(|v| format!("{v:.3}")).unwrap_or_else(|| "–".into());
            let _ = writeln!(
                s,
                "<tr><td>{}</td><td>{}</td><td>{:.3}</td><td>{:.3}</td><td>[{:.3}, {:.3}]</td><td>{:.3}</td><td>{:.3}</td><td>{:.3}</td><td>{}</td><td>{}</td></tr>",
                escape(&r.method), r.n, r.accuracy, r.macro_f1, r.macro_f1_ci[0], r.macro_f1_ci[1], r.weighted_f1, r.kappa, r.ece, f(r.pearson), f(r.spearman)
            );
        }
        s.push_str("</table>\n");
    }
    if !report.speakers.is_empty() {
        s.push_str("<h2>Speakers</h2>\n<table>\n<tr><th>method</th><th>n</th><th>accuracy</th></tr>\n");
        for r in &report.speakers {
            let _ = writeln!(s, "<tr><td>{}</td><td>{}</td><td>{:.3}</td></tr>", escape(&r.method), r.n, r.accuracy);
        }
        s.push_str("</table>\n");
    }
    s
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

/// Escapes text for XML.
pub(crate) fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Gives the SVG an id, so tests and readers can find each chart.
fn with_id(svg: String, id: &str) -> String {
    svg.replacen("<svg ", &format!("<svg id=\"{}\" ", escape(id)), 1)
}

/// A row-normalised heat map of a confusion matrix with counts in the cells.
fn confusion_svg(id: &str, r: &TaskMetrics) -> String {
    let k = r.labels.len();
    let (cell, left, top) = (56i32, 80i32, 40i32);
    let size = (left as u32 + cell as u32 * k as u32 + 10, top as u32 + cell as u32 * k as u32 + 10);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        let _ = root.fill(&WHITE);
        let font = ("sans-serif", 13).into_font();
        let _ = root.draw(&Text::new("predicted →", (left, 4), font.clone()));
        let _ = root.draw(&Text::new("gold ↓", (4, top - 18), font.clone()));
        for (j, label) in r.labels.iter().enumerate() {
            let _ = root.draw(&Text::new(label.clone(), (left + j as i32 * cell + 4, top - 18), font.clone()));
        }
        for (i, row) in r.confusion.iter().enumerate() {
            let total: usize = row.iter().sum();
            let y = top + i as i32 * cell;
            let _ = root.draw(&Text::new(r.labels[i].clone(), (4, y + cell / 2 - 6), font.clone()));
            for (j, &count) in row.iter().enumerate() {
                let share = if total > 0 { count as f64 / total as f64 } else { 0.0 };
                let shade = (255.0 - 200.0 * share) as u8;
                let x = left + j as i32 * cell;
                let _ = root.draw(&Rectangle::new(
                    [(x, y), (x + cell - 2, y + cell - 2)],
                    RGBColor(shade, shade, 255).filled(),
                ));
                let colour = if share > 0.6 { WHITE } else { BLACK };
                let _ = root.draw(&Text::new(
                    count.to_string(),
                    (x + cell / 2 - 8, y + cell / 2 - 6),
                    font.clone().color(&colour),
                ));
            }
        }
        let _ = root.present();
    }
    with_id(svg, id)
}

/// Accuracy per confidence bin against the diagonal of perfect calibration.
fn reliability_svg(id: &str, bins: &[ReliabilityBin]) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (300, 260)).into_drawing_area();
        let _ = root.fill(&WHITE);
        if let Ok(mut chart) = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(40)
            .build_cartesian_2d(0f64..1f64, 0f64..1f64)
        {
            let _ = chart.configure_mesh().x_desc("confidence").y_desc("accuracy").x_labels(6).y_labels(6).draw();
            let _ = chart.draw_series(bins.iter().filter(|b| b.count > 0).map(|b| {
                Rectangle::new([(b.lower, 0.0), (b.upper, b.accuracy)], RGBColor(90, 120, 220).mix(0.7).filled())
            }));
            let _ = chart.draw_series(LineSeries::new(vec![(0.0, 0.0), (1.0, 1.0)], &RED));
        }
        let _ = root.present();
    }
    with_id(svg, id)
}

/// Article scores as horizontal bars, with each article's outlook label.
fn ranking_svg(id: &str, a: &ArticleMetrics) -> String {
    let mut rows = a.articles.clone();
    rows.sort_by(|x, y| y.score.total_cmp(&x.score));
    let (row_h, left, width) = (28i32, 200i32, 300i32);
    let height = 20 + row_h * rows.len() as i32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, ((left + width + 150) as u32, height as u32)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let font = ("sans-serif", 13).into_font();
        let zero = left + width / 2;
        let _ = root.draw(&PathElement::new(vec![(zero, 5), (zero, height - 5)], BLACK));
        for (i, r) in rows.iter().enumerate() {
            let y = 10 + i as i32 * row_h;
            let end = zero + (r.score.clamp(-1.0, 1.0) * (width / 2) as f64) as i32;
            let colour = if r.score >= 0.0 { RGBColor(60, 160, 90) } else { RGBColor(200, 70, 60) };
            let _ = root.draw(&Rectangle::new([(zero.min(end), y), (zero.max(end), y + row_h - 8)], colour.filled()));
            let _ = root.draw(&Text::new(r.article.clone(), (4, y + 4), font.clone()));
            let _ = root.draw(&Text::new(
                format!("{:+.3}  outlook {:+}", r.score, r.outlook),
                (left + width + 4, y + 4),
                font.clone(),
            ));
        }
        let _ = root.present();
    }
    with_id(svg, id)
}
