//! `captcha.image`: what a gateway's slider CAPTCHAs look like (`docs/choices.md` S5-S7): the
//! background's format and size, the piece's size and shape, the transparent margin around it
//! in `cutImage`, where `pointX` is measured, decoy holes and pixel noise. Every key has the
//! reference gateway's value as its default, so a profile without the section keeps working.

use marked_yaml::Node;
use serde_json::{json, Value};

use super::decode::bounded;
use crate::yaml::Errors;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    Png,
    Jpeg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PieceShape {
    Puzzle,
    Square,
    Round,
}

/// What `pointX` measures: the left edge of `cutImage` (its margin included), or of the
/// opaque piece in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XFrom {
    Image,
    Piece,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptchaImage {
    /// The background's format (`cutImage` is a PNG: it needs transparency).
    pub format: ImageFormat,
    pub width: u32,
    pub height: u32,
    /// The square the piece's shape is drawn in.
    pub piece_width: u32,
    pub piece_height: u32,
    pub shape: PieceShape,
    /// Transparent pixels on every side of that square in `cutImage`.
    pub margin: u32,
    pub x_from: XFrom,
    /// Darker holes of a similar shape in the piece's row.
    pub decoys: u32,
    /// Grey pixel noise on the background, +- this many 8-bit levels.
    pub noise: u32,
}

impl Default for CaptchaImage {
    fn default() -> Self {
        Self {
            format: ImageFormat::Png,
            width: 300,
            height: 150,
            piece_width: 50,
            piece_height: 50,
            shape: PieceShape::Puzzle,
            margin: 0,
            x_from: XFrom::Image,
            decoys: 0,
            noise: 0,
        }
    }
}

const KEYS: &[&str] = &[
    "format",
    "width",
    "height",
    "piece_width",
    "piece_height",
    "shape",
    "margin",
    "x_from",
    "decoys",
    "noise",
];

/// Reads `captcha.image`; a key left out keeps its default.
pub(super) fn decode(node: &Node, errors: &mut Errors) -> CaptchaImage {
    let mut image = CaptchaImage::default();
    let Some(map) = errors.mapping(node, "`captcha.image`") else {
        return image;
    };
    errors.known_keys(map, KEYS, "`captcha.image`");
    let mut int = |key: &str, range, default: u32| {
        map.get_node(key)
            .and_then(|n| bounded(errors, n, &format!("`captcha.image.{key}`"), range))
            .map_or(default, |v| v as u32)
    };
    image.width = int("width", 60..=1000, image.width);
    image.height = int("height", 30..=1000, image.height);
    image.piece_width = int("piece_width", 10..=500, image.piece_width);
    image.piece_height = int("piece_height", 10..=500, image.piece_height);
    image.margin = int("margin", 0..=50, image.margin);
    image.decoys = int("decoys", 0..=3, image.decoys);
    image.noise = int("noise", 0..=64, image.noise);
    let mut word = |key: &str, names: &[&str]| {
        let node = map.get_node(key)?;
        let name = errors.string(node, &format!("`captcha.image.{key}`"))?;
        let found = names.iter().position(|n| *n == name);
        if found.is_none() {
            let names = names.join(", ");
            errors.at(
                node,
                format!("`captcha.image.{key}` must be one of {names}, not `{name}`"),
            );
        }
        found
    };
    if let Some(i) = word("format", &["png", "jpeg"]) {
        image.format = [ImageFormat::Png, ImageFormat::Jpeg][i];
    }
    if let Some(i) = word("shape", &["puzzle", "square", "round"]) {
        image.shape = [PieceShape::Puzzle, PieceShape::Square, PieceShape::Round][i];
    }
    if let Some(i) = word("x_from", &["image", "piece"]) {
        image.x_from = [XFrom::Image, XFrom::Piece][i];
    }
    fits(node, errors, &image);
    image
}

/// The piece with its margin fits in the background, beside its decoys in one row.
fn fits(node: &Node, errors: &mut Errors, image: &CaptchaImage) {
    let across = (image.decoys + 1) * image.piece_width + 2 * image.margin;
    if across > image.width {
        errors.at(
            node,
            format!(
                "`captcha.image`: {} of width {} (the piece and its decoys) and a margin of {} on each side need {across} px, but `width` is {}",
                if image.decoys == 0 { "1 piece".to_owned() } else { format!("{} pieces", image.decoys + 1) },
                image.piece_width, image.margin, image.width
            ),
        );
    }
    let down = image.piece_height + 2 * image.margin;
    if down > image.height {
        errors.at(
            node,
            format!(
                "`captcha.image`: a piece of height {} and a margin of {} on each side need {down} px, but `height` is {}",
                image.piece_height, image.margin, image.height
            ),
        );
    }
}

impl CaptchaImage {
    /// As templates see it (`profile.captcha.image.x_from`).
    pub fn to_value(&self) -> Value {
        json!({
            "format": match self.format { ImageFormat::Png => "png", ImageFormat::Jpeg => "jpeg" },
            "width": self.width,
            "height": self.height,
            "piece_width": self.piece_width,
            "piece_height": self.piece_height,
            "shape": match self.shape {
                PieceShape::Puzzle => "puzzle",
                PieceShape::Square => "square",
                PieceShape::Round => "round",
            },
            "margin": self.margin,
            "x_from": match self.x_from { XFrom::Image => "image", XFrom::Piece => "piece" },
            "decoys": self.decoys,
            "noise": self.noise,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{Profile, REFERENCE_YAML};

    const DEFAULTS: &str = "image: {format: png, width: 300, height: 150, piece_width: 50, piece_height: 50, shape: puzzle, margin: 0, x_from: image, decoys: 0, noise: 0}";

    fn with_image(image: &str) -> Result<Profile, String> {
        assert!(REFERENCE_YAML.contains(DEFAULTS));
        Profile::parse("p.yaml", &REFERENCE_YAML.replace(DEFAULTS, image))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn the_reference_profile_states_the_defaults_and_a_profile_may_leave_them_out() {
        assert_eq!(Profile::reference().captcha_image, CaptchaImage::default());
        let without = with_image("").expect("no image section");
        assert_eq!(without.captcha_image, CaptchaImage::default());
        let some = with_image(
            "image: {format: jpeg, shape: round, margin: 4, x_from: piece, decoys: 2, noise: 9}",
        )
        .expect("valid");
        assert_eq!(
            some.captcha_image,
            CaptchaImage {
                format: ImageFormat::Jpeg,
                shape: PieceShape::Round,
                margin: 4,
                x_from: XFrom::Piece,
                decoys: 2,
                noise: 9,
                ..CaptchaImage::default()
            }
        );
        assert_eq!(some.to_value()["captcha"]["image"]["x_from"], "piece");
    }

    #[test]
    fn wrong_images_are_refused_at_their_place() {
        let cases = [
            (
                "image: {format: gif}",
                "`captcha.image.format` must be one of png, jpeg, not `gif`",
            ),
            (
                "image: {shape: star}",
                "must be one of puzzle, square, round, not `star`",
            ),
            (
                "image: {decoys: 4}",
                "`captcha.image.decoys` must be from 0 to 3, not 4",
            ),
            (
                "image: {width: 10}",
                "`captcha.image.width` must be from 60 to 1000, not 10",
            ),
            (
                "image: {piece_width: 80, decoys: 3}",
                "need 320 px, but `width` is 300",
            ),
            (
                "image: {margin: 50, piece_height: 60}",
                "need 160 px, but `height` is 150",
            ),
            ("image: {colour: red}", "unknown key `colour`"),
        ];
        for (image, message) in cases {
            let errors = with_image(image).expect_err(image);
            assert!(errors.contains(message), "{image}: {errors}");
            // file:line:column of the section or the key.
            assert!(errors.contains("p.yaml:"), "{errors}");
        }
    }
}
