//! Using stance from Rust: build once with the command line's defaults,
//! then classify text, rank articles and tally speakers.
//!
//!     cargo run --release --example embed_in_rust
//!
//! (CI runs it.) The first build finds the encoder the way `stance model
//! fetch` does; notices go where `on_notice` sends them.

use stance::text::input::{Document, Origin};
use stance::Stance;

fn main() -> Result<(), stance::Error> {
    let stance = Stance::builder().threads(2).on_notice(|n| eprintln!("note: {n:?}")).build()?;

    let records = stance.classify_text(
        "briefing",
        "Both governments said on Monday that negotiators would meet in Geneva next week.\n\
         \"We will not sit down with people who shell our cities,\" the defence minister told reporters.",
    )?;
    for r in &records {
        println!("{} ¶{} {:<8} {:<8} {}", r.article, r.paragraph, r.stance, r.sentiment, r.speaker);
    }

    let doc = |id: &str, text: &str| Document { id: id.into(), text: text.into(), origin: Origin::memory() };
    let articles = [
        doc("warm", "The two leaders agreed to resume talks and exchanged warm letters."),
        doc("cold", "Pyongyang rejected any dialogue and called the offer a provocation."),
    ];
    for a in stance.rank(articles.clone())? {
        println!("rank {} {} {:+.3}", a.rank, a.article, a.score);
    }
    for s in stance.speakers(articles, false)? {
        println!("speaker {} ({} paragraphs)", s.speaker, s.paragraphs);
    }
    Ok(())
}
