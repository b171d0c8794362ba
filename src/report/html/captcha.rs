//! A failing CAPTCHA step's picture (`runner::picture`), drawn below its scenario's sequence
//! diagram: the background, the piece placed where the sent `pointX` put it (at `pointY`), a
//! dashed outline where the oracle's answer puts it when that differs, an arrow at the edge
//! when the sent X is off the image, and a legend with the figures. The images are the
//! record's data URLs (PNG or JPEG, checked by the runner), so the page stays self-contained.
//!
//! A page draws at most `PICTURES` of them, and at most `IMAGE_BUDGET` bytes of images: the
//! first failing CAPTCHA steps in page order (failing scenarios first, steps in flow order);
//! the others are counted in a line.

use std::fmt::Write;

use crate::output::escape::{html_attribute, html_text};
use crate::runner::picture::{AnswerOracle, CaptchaPicture, Image, MeasuredFrom, Shown};
use crate::runner::record::StepRecord;

/// Pictures drawn in one page.
pub const PICTURES: usize = 3;
/// Bytes of image data drawn in one page: `report.html` stays under 200 KB with the coverage
/// matrix beside it (the reference gateway's two images are about 25 KB).
pub const IMAGE_BUDGET: usize = 96 * 1024;
// A picture whose two images were both kept must fit a page that has drawn none yet.
const _: () = assert!(2 * crate::runner::picture::IMAGE_SHOWN <= IMAGE_BUDGET);

/// How much a page may still draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pictures: usize,
    bytes: usize,
}

impl Default for Budget {
    fn default() -> Self {
        Self {
            pictures: PICTURES,
            bytes: IMAGE_BUDGET,
        }
    }
}

impl Budget {
    /// Takes `picture` out of the budget if it fits.
    fn take(&mut self, picture: &CaptchaPicture) -> bool {
        let bytes = data_len(&picture.background) + data_len(&picture.piece);
        if self.pictures == 0 || bytes > self.bytes {
            return false;
        }
        self.pictures -= 1;
        self.bytes -= bytes;
        true
    }
}

fn data_len(image: &Image) -> usize {
    match &image.shown {
        Shown::Data { url, .. } => url.len(),
        Shown::Omitted(_) => 0,
    }
}

/// The pictures of `steps`' failing CAPTCHA steps, as far as `budget` goes, then a line
/// counting those left out.
pub fn pictures(steps: &[StepRecord], budget: &mut Budget) -> String {
    let mut out = String::new();
    let mut left_out = 0;
    for step in steps.iter().filter(|s| !s.failures.is_empty()) {
        let Some(picture) = &step.captcha else {
            continue;
        };
        if budget.take(picture) {
            out.push_str(&figure(&step.name, picture));
        } else {
            left_out += 1;
        }
    }
    if left_out > 0 {
        let _ = write!(
            out,
            "<p class=\"muted\">{}</p>",
            html_text(&format!(
                "{left_out} more CAPTCHA picture(s) not drawn: a page draws the first {PICTURES} failing CAPTCHA steps, {} KiB of images at most",
                IMAGE_BUDGET / 1024
            ))
        );
    }
    out
}

/// Margin around the background, for the arrow of an X off the image.
const MARGIN: i64 = 14;
/// The widest a picture is drawn, in CSS pixels.
const MAX_WIDTH: f64 = 720.0;

/// One picture: a `<figure>` with the SVG and its legend.
pub fn figure(step: &str, picture: &CaptchaPicture) -> String {
    let (w, h) = (
        i64::from(picture.background.width),
        i64::from(picture.background.height),
    );
    let (vw, vh) = (w + 2 * MARGIN, h + 2 * MARGIN);
    let scale = (MAX_WIDTH / vw as f64).min(2.0);
    let font = 12.0 / scale;
    let mut svg = format!(
        "<svg class=\"captcha\" style=\"display:block;max-width:100%;height:auto\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"{} {} {vw} {vh}\" width=\"{:.0}\" height=\"{:.0}\" role=\"img\" font-size=\"{font:.1}\">\
         <title>{}</title>",
        -MARGIN,
        -MARGIN,
        vw as f64 * scale,
        vh as f64 * scale,
        html_text(&format!("the CAPTCHA of `{step}`: pointX {} sent", picture.x_sent)),
    );
    image(&mut svg, &picture.background, 0, 0, "background");
    let sent = picture.measured_from.image_left(picture.x_sent);
    let (pw, ph) = (
        i64::from(picture.piece.width),
        i64::from(picture.piece.height),
    );
    let y = picture.point_y.clamp(-ph, h);
    if let Some(answer) = picture.answer.filter(|a| a.x != picture.x_sent) {
        let left = picture.measured_from.image_left(answer.x);
        if on_image(answer.x, picture) {
            let _ = write!(
                svg,
                "<rect x=\"{left}\" y=\"{y}\" width=\"{pw}\" height=\"{ph}\" fill=\"none\" stroke=\"#1a7f37\" stroke-width=\"2\" stroke-dasharray=\"4 2\"><title>{} answer</title></rect>",
                answer.oracle.name()
            );
        }
    }
    if on_image(picture.x_sent, picture) {
        image(&mut svg, &picture.piece, sent, y, "piece");
        let _ = write!(
            svg,
            "<rect x=\"{sent}\" y=\"{y}\" width=\"{pw}\" height=\"{ph}\" fill=\"none\" stroke=\"#0969da\" stroke-width=\"1.5\"><title>where the sent pointX puts the piece</title></rect>"
        );
    } else {
        off_image(&mut svg, sent < 0, w, y + ph / 2, font);
    }
    svg.push_str("</svg>");
    format!(
        "<figure class=\"captcha\" style=\"margin:12px 0\">{svg}<figcaption><b>CAPTCHA of <code>{}</code></b>{}</figcaption></figure>",
        html_text(step),
        legend(picture)
    )
}

/// Whether a `pointX` of `x` puts some of the piece on the background.
fn on_image(x: i64, picture: &CaptchaPicture) -> bool {
    let left = picture.measured_from.image_left(x);
    (-i64::from(picture.piece.width)..=i64::from(picture.background.width)).contains(&left)
}

/// An image at (x, y) of the background's coordinates, or a grey box saying it is left out.
fn image(svg: &mut String, image: &Image, x: i64, y: i64, what: &str) {
    let (w, h) = (image.width, image.height);
    match &image.shown {
        Shown::Data { url, .. } => {
            let _ = write!(
                svg,
                "<image x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\" preserveAspectRatio=\"none\" href=\"{}\"/>",
                html_attribute(url)
            );
        }
        Shown::Omitted(_) => {
            let _ = write!(
                svg,
                "<rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\" fill=\"#eaeef2\" stroke=\"#8c959f\" stroke-dasharray=\"3 3\"/>\
                 <text x=\"{}\" y=\"{}\" fill=\"#57606a\">{what} left out</text>",
                x + 4,
                y + 14,
            );
        }
    }
}

/// A red arrow at the left or right edge: the sent X puts the piece off the image.
fn off_image(svg: &mut String, left: bool, width: i64, y: i64, font: f64) {
    let (tip, base, anchor, text_x) = if left {
        (-MARGIN + 2, 4, "start", 6)
    } else {
        (width + MARGIN - 2, width - 4, "end", width - 6)
    };
    let _ = write!(
        svg,
        "<path d=\"M{base},{}L{tip},{y}L{base},{}z\" fill=\"#cf222e\"/>\
         <text x=\"{text_x}\" y=\"{}\" text-anchor=\"{anchor}\" fill=\"#cf222e\" font-weight=\"700\">the sent pointX is off the image</text>",
        y - 8,
        y + 8,
        y as f64 - font,
    );
}

/// The figures: what was sent, from where it is measured, what the oracle answered, the images.
fn legend(picture: &CaptchaPicture) -> String {
    let mut rows: Vec<(&str, String)> = Vec::new();
    let from = match picture.measured_from {
        MeasuredFrom::CutImage => "cutImage's left edge (x_from: image)".to_owned(),
        MeasuredFrom::Piece { offset } => {
            format!("the piece's first opaque column, {offset} px into cutImage (x_from: piece)")
        }
    };
    let drawn = if on_image(picture.x_sent, picture) {
        "blue box"
    } else {
        "off the image: red arrow"
    };
    rows.push((
        "pointX sent",
        format!("{} ({drawn}), measured from {from}", picture.x_sent),
    ));
    rows.push((
        "pointY",
        format!("{} (the top of cutImage)", picture.point_y),
    ));
    let answer = match picture.answer {
        None => "not asked: the step's X was not read from an oracle for this CAPTCHA".to_owned(),
        Some(answer) => {
            let found = match answer.oracle {
                AnswerOracle::Solve => "the solver found",
                AnswerOracle::TestApi => "the gateway's answer is",
            };
            let off = picture.x_sent.saturating_sub(answer.x);
            let drawn = if off == 0 {
                "the same place"
            } else {
                "green dashed box"
            };
            format!(
                "{}: {found} pointX {} ({drawn}); sent − answer: {off:+} px, the profile's tolerance ±{} px",
                answer.oracle.name(),
                answer.x,
                picture.tolerance
            )
        }
    };
    rows.push(("oracle", answer));
    for (name, image) in [
        ("shadowImage", &picture.background),
        ("cutImage", &picture.piece),
    ] {
        let text = match &image.shown {
            Shown::Data { format, .. } => format!("{format} {}×{}", image.width, image.height),
            Shown::Omitted(note) => format!("{note} (drawn {}×{})", image.width, image.height),
        };
        rows.push((name, text));
    }
    let mut out = String::from("<table class=\"legend\" style=\"width:auto\">");
    for (name, value) in rows {
        let _ = write!(
            out,
            "<tr><th style=\"white-space:nowrap\">{name}</th><td>{}</td></tr>",
            html_text(&value)
        );
    }
    out.push_str("</table>");
    out
}
