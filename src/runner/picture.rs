//! The picture of a failing CAPTCHA step, for `report.html` to draw: the two images of the
//! send_captcha answer the step answered (re-written as data URLs whose type is told from their
//! bytes, each bounded), its `pointY`, the `pointX` the step sent, where the profile's
//! `captcha.image.x_from` says that X is measured from, and the oracle's X for the same CAPTCHA.
//!
//! Made only for a failing check_captcha step of a conformance run: a run holds every record
//! until it ends, and two images are tens of KB. Not in results.json (`#[serde(skip)]`).
//!
//! Not masked: `pointX` is no secret field (`redact::SECRET_FIELDS`), and every report already
//! shows it in the step's request body; an answer is only worth anything with its T1, which
//! stays masked, is bound to one user and is used up or expired by the time a report is read.
//! The images are what any user of the gateway is shown.

use serde_json::Value;

use super::context::Context;
use super::oracle::puzzle::{self, Format};
use super::target::Prepared;
use crate::api::Operation;
use crate::profile::{CaptchaOracle, Profile, XFrom};

/// The most base64 of one image a picture keeps; past it the image is left out with a note.
/// Half a page's budget of images (`report::html::captcha::IMAGE_BUDGET`), so a picture whose
/// two images were kept always fits a page that has drawn none yet.
pub const IMAGE_SHOWN: usize = 48 * 1024;

#[derive(Debug, Clone, PartialEq)]
pub struct CaptchaPicture {
    /// `shadowImage`, the background with the hole.
    pub background: Image,
    /// `cutImage`, the piece (with its transparent margin, if any).
    pub piece: Image,
    /// The top of `cutImage` in the background, as the gateway said.
    pub point_y: i64,
    /// The `pointX` the step sent.
    pub x_sent: i64,
    pub measured_from: MeasuredFrom,
    /// What the oracle answered for this CAPTCHA, if the flow asked it.
    pub answer: Option<OracleAnswer>,
    /// The profile's `captcha.tolerance`: how far from the answer an X is still accepted.
    pub tolerance: i64,
}

/// What `pointX` measures (the profile's `captcha.image.x_from`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeasuredFrom {
    /// The left edge of `cutImage`.
    CutImage,
    /// The piece's first opaque column, `offset` px right of `cutImage`'s left edge.
    Piece { offset: i64 },
}

impl MeasuredFrom {
    /// Where `cutImage`'s left edge is, in the background, for a `pointX` of `x`.
    pub fn image_left(self, x: i64) -> i64 {
        match self {
            MeasuredFrom::CutImage => x,
            MeasuredFrom::Piece { offset } => x.saturating_sub(offset),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OracleAnswer {
    pub oracle: AnswerOracle,
    pub x: i64,
}

/// Which oracle gave the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerOracle {
    /// The target's test-support endpoint: the gateway's own answer.
    TestApi,
    /// The solver's reading of the images.
    Solve,
}

impl AnswerOracle {
    pub fn name(self) -> &'static str {
        match self {
            AnswerOracle::TestApi => "test-api",
            AnswerOracle::Solve => "solve",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    pub width: u32,
    pub height: u32,
    pub shown: Shown,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Shown {
    /// `data:image/png;base64,...` or `data:image/jpeg;...`, the type told from the bytes.
    Data { url: String, format: &'static str },
    /// Why the image is left out (its size is then the profile's).
    Omitted(String),
}

/// The picture of a check_captcha step, when it answered the flow's newest CAPTCHA (its sent
/// token is the flow's T1) with an integer `pointX`; `None` for any other step.
pub fn of_step(
    prepared: &Prepared,
    context: &Context,
    profile: &Profile,
    oracle: CaptchaOracle,
) -> Option<CaptchaPicture> {
    if prepared.path != Operation::CheckCaptcha.path() {
        return None;
    }
    let sent: Value = serde_json::from_slice(prepared.body.as_deref()?).ok()?;
    let t1 = context.text("t1")?;
    if sent.get("token").and_then(Value::as_str) != Some(t1.as_str()) {
        return None;
    }
    let x_sent = sent.get("pointX")?.as_i64()?;
    let captcha = context.captcha_value()?;
    let point_y = captcha.get("pointY")?.as_i64()?;
    let style = &profile.captcha_image;
    let field = |name: &str| captcha.get(name).and_then(Value::as_str).unwrap_or("");
    let background = image(field("shadowImage"), (style.width, style.height));
    let side = |piece: u32| piece + 2 * style.margin;
    let cut = field("cutImage");
    let piece = image(cut, (side(style.piece_width), side(style.piece_height)));
    let measured_from = match style.x_from {
        XFrom::Image => MeasuredFrom::CutImage,
        XFrom::Piece => MeasuredFrom::Piece {
            offset: first_opaque_column(cut, &piece).unwrap_or(i64::from(style.margin)),
        },
    };
    let answer = (context.answer_for.as_deref() == Some(t1.as_str()))
        .then(|| context.flow.get("answer")?.get("pointX")?.as_i64())
        .flatten()
        .map(|x| OracleAnswer {
            oracle: match oracle {
                CaptchaOracle::TestApi => AnswerOracle::TestApi,
                CaptchaOracle::Solve | CaptchaOracle::Auto => AnswerOracle::Solve,
            },
            x,
        });
    Some(CaptchaPicture {
        background,
        piece,
        point_y,
        x_sent,
        measured_from,
        answer,
        tolerance: profile.captcha_tolerance,
    })
}

/// One image as the picture shows it: decoded first, so what a browser is handed is a PNG or
/// a JPEG of plausible size whatever the gateway's URL claimed; `fallback` is the size drawn
/// when it is left out.
fn image(data_url: &str, fallback: (u32, u32)) -> Image {
    let omitted = |note: String| Image {
        width: fallback.0,
        height: fallback.1,
        shown: Shown::Omitted(note),
    };
    if data_url.len() > IMAGE_SHOWN {
        return omitted(format!(
            "left out: {} KiB, over the {} KiB a picture keeps",
            data_url.len() / 1024,
            IMAGE_SHOWN / 1024
        ));
    }
    let info = match puzzle::image_info(data_url) {
        Ok(info) => info,
        // The decoder's messages are fixed text, never the gateway's bytes.
        Err(e) => return omitted(format!("left out: {e}")),
    };
    let (mime, format) = match info.format {
        Format::Png => ("png", "PNG"),
        Format::Jpeg => ("jpeg", "JPEG"),
    };
    // Decoded whole above, so the payload is plain base64: safe in an attribute.
    let payload = data_url
        .split_once(";base64,")
        .map_or("", |(_, payload)| payload.trim());
    Image {
        width: info.width as u32,
        height: info.height as u32,
        shown: Shown::Data {
            url: format!("data:image/{mime};base64,{payload}"),
            format,
        },
    }
}

/// The piece's first opaque column in `cutImage`, if it was shown (so it decodes).
fn first_opaque_column(cut: &str, piece: &Image) -> Option<i64> {
    if !matches!(piece.shown, Shown::Data { .. }) {
        return None;
    }
    let mask = puzzle::piece_mask(cut).ok()?;
    (0..mask.width)
        .find(|&x| (0..mask.height).any(|y| mask.at(x, y)))
        .map(|x| x as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_image_that_is_not_a_png_or_jpeg_is_left_out_with_a_note() {
        let svg = "data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=";
        let shown = image(svg, (300, 150));
        assert_eq!((shown.width, shown.height), (300, 150));
        assert!(
            matches!(&shown.shown, Shown::Omitted(note) if note.contains("neither a PNG nor a JPEG")),
            "{shown:?}"
        );
        let huge = format!("data:image/png;base64,{}", "A".repeat(IMAGE_SHOWN));
        assert!(matches!(image(&huge, (1, 1)).shown, Shown::Omitted(n) if n.contains("48 KiB")));
        assert!(matches!(image("<b>x</b>", (1, 1)).shown, Shown::Omitted(_)));
    }

    #[test]
    fn a_mislabelled_png_is_shown_as_a_png() {
        let mut rng = rand::rng();
        let captcha = crate::gateway::captcha::render::render(&mut rng).expect("render");
        let jpeg_label = captcha.cut_image.replacen("image/png", "image/jpeg", 1);
        let shown = image(&jpeg_label, (1, 1));
        match shown.shown {
            Shown::Data { url, format } => {
                assert_eq!(format, "PNG");
                assert!(url.starts_with("data:image/png;base64,iVBOR"), "{url:.40}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!((shown.width, shown.height), (50, 50));
    }

    #[test]
    fn x_from_the_piece_puts_the_image_left_of_the_sent_x() {
        assert_eq!(MeasuredFrom::CutImage.image_left(40), 40);
        assert_eq!(MeasuredFrom::Piece { offset: 6 }.image_left(40), 34);
        assert_eq!(
            MeasuredFrom::Piece { offset: 6 }.image_left(i64::MIN),
            i64::MIN
        );
    }
}
