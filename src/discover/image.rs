//! What the CAPTCHAs look like (`captcha.image`), read from one answer's images: the
//! background's format and size, the piece's shape, size and transparent margin (its mask
//! matched against the shapes gatecheck knows), and where `pointX` is measured (the solver's
//! answer for the image's edge set beside the test-support answer). Decoys and noise are
//! drawing details nothing judges, and are flagged, not guessed.

use super::findings::Findings;
use super::flow::Flows;
use super::probe::ProbeError;
use crate::gateway::captcha::style::Shape;
use crate::profile::{ImageFormat, PieceShape, XFrom};
use crate::runner::oracle::puzzle::{self, Description, Format, Mask};

pub async fn probe(flows: &Flows<'_>, found: &mut Findings, user: &str) -> Result<(), ProbeError> {
    let captcha = flows.captcha(user).await?;
    let (Some(shadow), Some(cut)) = (&captcha.shadow, &captcha.cut) else {
        let why = "call 1 answered no shadowImage and cutImage strings";
        found.undetermined(&image_paths(), why);
        return Ok(());
    };
    let (description, mask) = match (puzzle::describe(shadow, cut), puzzle::piece_mask(cut)) {
        (Ok(description), Ok(mask)) => (description, mask),
        (Err(e), _) | (_, Err(e)) => {
            found.undetermined(
                &image_paths(),
                &format!("its images could not be read: {e}"),
            );
            return Ok(());
        }
    };
    let image = &mut found.profile.captcha_image;
    image.format = match description.background.format {
        Format::Png => ImageFormat::Png,
        Format::Jpeg => ImageFormat::Jpeg,
    };
    image.width = description.background.width as u32;
    image.height = description.background.height as u32;
    let format = format!("{:?}", description.background.format).to_lowercase();
    found.found(
        "captcha.image.format",
        format!("shadowImage's bytes are {format}"),
    );
    let size = format!(
        "shadowImage is {}x{}",
        description.background.width, description.background.height
    );
    found.found("captcha.image.width", size.clone());
    found.found("captcha.image.height", size);
    piece(found, &description, &mask, offset(&captcha, shadow, cut));
    let why = "a drawing detail nothing judges: not probed";
    found.undetermined(
        &["captcha.image.decoys".into(), "captcha.image.noise".into()],
        why,
    );
    Ok(())
}

/// A known shape and margin whose mask is the piece's, pixel for pixel.
#[derive(Debug, Clone, Copy)]
struct Fit {
    shape: PieceShape,
    word: &'static str,
    margin: usize,
    width: usize,
    height: usize,
}

/// Every shape and margin that draw exactly this mask (small puzzle pieces may fit two ways:
/// the same pixels either way).
fn fits(mask: &Mask) -> Vec<Fit> {
    let shapes = [
        (Shape::Puzzle, PieceShape::Puzzle, "puzzle"),
        (Shape::Square, PieceShape::Square, "square"),
        (Shape::Round, PieceShape::Round, "round"),
    ];
    let largest_margin = (mask.width.min(mask.height).saturating_sub(10) / 2).min(50);
    let mut fits = Vec::new();
    for margin in 0..=largest_margin {
        let (width, height) = (mask.width - 2 * margin, mask.height - 2 * margin);
        for (drawn, shape, word) in shapes {
            if same_mask(mask, drawn, margin, width, height) {
                fits.push(Fit {
                    shape,
                    word,
                    margin,
                    width,
                    height,
                });
            }
        }
    }
    fits
}

/// The piece's shape, size and margin, and where `pointX` is measured: the test-support
/// answer beside the solver's for the image's edge gives the offset, which is 0 (the image's
/// edge) or the margin (the piece's).
fn piece(found: &mut Findings, description: &Description, mask: &Mask, offset: Option<i64>) {
    let fits = fits(mask);
    // The solver may be a pixel or two off: the offset is the nearest of 0 and the margins.
    let near = |o: i64, margin: usize| {
        (margin as i64 - o).abs() <= 2 && (margin as i64 - o).abs() < o.abs()
    };
    let by_offset = offset.and_then(|o| fits.iter().find(|f| f.margin > 0 && near(o, f.margin)));
    let Some(fit) = by_offset.or(fits.first()).copied() else {
        let [left, top, right, bottom] = description.margins();
        let why = format!("cutImage's piece is none of the shapes gatecheck draws (transparent margins {left}, {top}, {right}, {bottom} px)");
        let paths = ["shape", "margin", "piece_width", "piece_height", "x_from"]
            .map(|k| format!("captcha.image.{k}"));
        found.undetermined(&paths, &why);
        return;
    };
    let image = &mut found.profile.captcha_image;
    image.shape = fit.shape;
    image.margin = fit.margin as u32;
    (image.piece_width, image.piece_height) = (fit.width as u32, fit.height as u32);
    let how = format!(
        "cutImage's opaque pixels are a {} piece of {}x{} with {} px around it",
        fit.word, fit.width, fit.height, fit.margin
    );
    for key in ["shape", "margin", "piece_width", "piece_height"] {
        found.found(&format!("captcha.image.{key}"), how.clone());
    }
    let (x_from, how) = match (offset, by_offset) {
        _ if fits.iter().all(|f| f.margin == 0) => (
            XFrom::Image,
            "no margin: the image's edge and the piece's are one".to_owned(),
        ),
        (Some(o), Some(fit)) => (
            XFrom::Piece,
            format!(
                "pointX is {o} px right of cutImage's edge: the piece's edge ({} px in)",
                fit.margin
            ),
        ),
        (Some(o), None) if o.abs() <= 2 => (
            XFrom::Image,
            format!("pointX is cutImage's left edge (the solver's place for it, {o:+} px)"),
        ),
        (Some(o), None) => {
            let why =
                format!("pointX is {o} px from cutImage's edge, which is no margin of the piece");
            found.undetermined(&["captcha.image.x_from".into()], &why);
            return;
        }
        (None, _) => {
            let why = "the solver found no piece in the image";
            found.undetermined(&["captcha.image.x_from".into()], why);
            return;
        }
    };
    found.profile.captcha_image.x_from = x_from;
    found.found("captcha.image.x_from", how);
}

fn same_mask(mask: &Mask, shape: Shape, margin: usize, w: usize, h: usize) -> bool {
    (0..mask.height).all(|y| {
        (0..mask.width).all(|x| {
            let (px, py) = (x as i32 - margin as i32, y as i32 - margin as i32);
            mask.at(x, y) == shape.contains(w as i32, h as i32, px, py)
        })
    })
}

/// The test-support `pointX` less the solver's place for cutImage's left edge.
fn offset(captcha: &super::flow::Captcha, shadow: &str, cut: &str) -> Option<i64> {
    let point_y = captcha.point_y.unwrap_or(0);
    let edge = puzzle::solve(shadow, cut, point_y, XFrom::Image).ok()?;
    Some(captcha.x - edge)
}

fn image_paths() -> Vec<String> {
    super::findings::section("captcha.image.")
}
