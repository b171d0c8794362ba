//! What a CAPTCHA's images are, for a harness meeting a gateway it does not know (`gatecheck
//! discover`): each image's format and size, and where the opaque piece sits in `cutImage`,
//! hence its transparent margins.

use super::image::{decode, Format};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageInfo {
    pub format: Format,
    pub width: usize,
    pub height: usize,
}

/// A box of pixels: its first column and row and its size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    pub left: usize,
    pub top: usize,
    pub width: usize,
    pub height: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Description {
    pub background: ImageInfo,
    pub cut: ImageInfo,
    /// The opaque pixels' bounding box inside `cutImage`.
    pub piece: Bounds,
}

impl Description {
    /// Transparent columns and rows around the piece: left, top, right, bottom.
    pub fn margins(&self) -> [usize; 4] {
        let p = self.piece;
        [
            p.left,
            p.top,
            self.cut.width - p.left - p.width,
            self.cut.height - p.top - p.height,
        ]
    }
}

/// Which pixels of `cutImage` are the piece (alpha above half), row by row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mask {
    pub width: usize,
    pub height: usize,
    pub opaque: Vec<bool>,
}

impl Mask {
    pub fn at(&self, x: usize, y: usize) -> bool {
        self.opaque[y * self.width + x]
    }
}

/// The piece's mask, read from `cutImage` (for telling its shape and margin).
pub fn piece_mask(cut_image: &str) -> Result<Mask, String> {
    let cut = decode(cut_image)?;
    Ok(Mask {
        width: cut.width,
        height: cut.height,
        opaque: cut.alpha.iter().map(|a| *a > 127).collect(),
    })
}

/// Describes the two images of a send_captcha answer; an error (never a panic) for anything
/// that is not a plausible PNG or JPEG, or a piece with no opaque pixel.
pub fn describe(shadow_image: &str, cut_image: &str) -> Result<Description, String> {
    let background = decode(shadow_image)?;
    let cut = decode(cut_image)?;
    let opaque = (0..cut.height)
        .flat_map(|y| (0..cut.width).map(move |x| (x, y)))
        .filter(|&(x, y)| cut.alpha[y * cut.width + x] > 127);
    let (mut left, mut top, mut right, mut bottom) = (usize::MAX, usize::MAX, 0, 0);
    for (x, y) in opaque {
        (left, top) = (left.min(x), top.min(y));
        (right, bottom) = (right.max(x), bottom.max(y));
    }
    if left == usize::MAX {
        return Err("the piece has no opaque pixel".into());
    }
    let info = |image: &super::Gray| ImageInfo {
        format: image.format,
        width: image.width,
        height: image.height,
    };
    Ok(Description {
        background: info(&background),
        cut: info(&cut),
        piece: Bounds {
            left,
            top,
            width: right - left + 1,
            height: bottom - top + 1,
        },
    })
}

/// One image's format and size, read by decoding it whole (so an image the solver would refuse
/// is refused here too, bounded the same way).
pub fn image_info(data_url: &str) -> Result<ImageInfo, String> {
    let image = decode(data_url)?;
    Ok(ImageInfo {
        format: image.format,
        width: image.width,
        height: image.height,
    })
}
