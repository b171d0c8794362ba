//! What a CAPTCHA looks like (`docs/choices.md` S5-S7): the background's format and size, the
//! piece's size and shape, the transparent margin around it in `cutImage`, where `pointX` is
//! measured, decoy holes and pixel noise. The default is the reference gateway's own style.

/// The background's encoding; `cutImage` stays a PNG (it needs transparency).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Png,
    Jpeg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A square body with round knobs on top and right and a notch on the left.
    Puzzle,
    Square,
    Round,
}

/// What `pointX` (and the answer the gateway checks) measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XFrom {
    /// The left edge of `cutImage`, its transparent margin included.
    Image,
    /// The leftmost opaque column of the piece.
    Piece,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Style {
    pub format: Format,
    pub width: u32,
    pub height: u32,
    /// The square the piece's shape is drawn in.
    pub piece_width: u32,
    pub piece_height: u32,
    pub shape: Shape,
    /// Transparent pixels around that square in `cutImage`, on every side.
    pub margin: u32,
    pub x_from: XFrom,
    /// Extra shaded holes in the piece's row, darker than the real one, of a similar shape.
    pub decoys: u32,
    /// Amplitude of grey pixel noise on the background (0: none), in 8-bit levels.
    pub noise: u32,
}

impl Default for Style {
    fn default() -> Self {
        Self {
            format: Format::Png,
            width: 300,
            height: 150,
            piece_width: 50,
            piece_height: 50,
            shape: Shape::Puzzle,
            margin: 0,
            x_from: XFrom::Image,
            decoys: 0,
            noise: 0,
        }
    }
}

/// Bounds the profile checks too (`profile::captcha_image`).
pub const MAX_SIDE: u32 = 1000;
pub const MIN_PIECE: u32 = 10;

impl Style {
    pub fn cut_width(&self) -> u32 {
        self.piece_width + 2 * self.margin
    }

    pub fn cut_height(&self) -> u32 {
        self.piece_height + 2 * self.margin
    }

    /// Why this style cannot be drawn, if it cannot: the piece (with its margin, and beside
    /// its decoys) must fit in the background.
    pub fn check(&self) -> Result<(), String> {
        let side = MIN_PIECE..=MAX_SIDE;
        if !side.contains(&self.width) || !side.contains(&self.height) {
            return Err(format!("background of {}x{}", self.width, self.height));
        }
        if self.piece_width < MIN_PIECE || self.piece_height < MIN_PIECE {
            return Err(format!(
                "piece of {}x{}",
                self.piece_width, self.piece_height
            ));
        }
        let across = (self.decoys + 1) * self.piece_width + 2 * self.margin;
        if across > self.width || self.cut_height() > self.height {
            return Err(format!(
                "a {}x{} piece with margin {} and {} decoys does not fit in {}x{}",
                self.piece_width,
                self.piece_height,
                self.margin,
                self.decoys,
                self.width,
                self.height
            ));
        }
        Ok(())
    }
}

impl Shape {
    /// Whether (x, y) of a `w`x`h` square is inside the piece. The puzzle shape at 50x50 is
    /// the reference gateway's original piece, pixel for pixel.
    pub fn contains(self, w: i32, h: i32, x: i32, y: i32) -> bool {
        if x < 0 || y < 0 || x >= w || y >= h {
            return false;
        }
        let in_ellipse = |cx: f32, cy: f32, rx: f32, ry: f32| {
            let (dx, dy) = ((x as f32 - cx) / rx, (y as f32 - cy) / ry);
            dx * dx + dy * dy <= 1.0
        };
        match self {
            Shape::Puzzle => {
                let m = w.min(h);
                let in_circle =
                    |cx: i32, cy: i32, r: i32| (x - cx).pow(2) + (y - cy).pow(2) <= r * r;
                let (left, right) = (w * 8 / 50, w * 42 / 50);
                let (top, bottom) = (h * 8 / 50, h * 42 / 50);
                let body = (left..right).contains(&x) && (top..bottom).contains(&y);
                let knobs =
                    in_circle(w / 2, top, m * 6 / 50) || in_circle(right, h / 2, m * 6 / 50);
                (body || knobs) && !in_circle(left, h / 2, m * 5 / 50)
            }
            Shape::Square => true,
            Shape::Round => in_ellipse(
                (w - 1) as f32 / 2.0,
                (h - 1) as f32 / 2.0,
                w as f32 / 2.0 - 0.5,
                h as f32 / 2.0 - 0.5,
            ),
        }
    }

    /// A decoy's shape: like the piece but not it, as a user tells them apart. The puzzle
    /// turned half round (knobs below and left, notch right); a square or disc a fifth smaller.
    pub fn decoy_contains(self, w: i32, h: i32, x: i32, y: i32) -> bool {
        match self {
            Shape::Puzzle => self.contains(w, h, w - 1 - x, h - 1 - y),
            Shape::Square | Shape::Round => {
                let (iw, ih) = (w * 4 / 5, h * 4 / 5);
                self.contains(iw, ih, x - (w - iw) / 2, y - (h - ih) / 2)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_style_fits_and_wrong_ones_do_not() {
        assert_eq!(Style::default().check(), Ok(()));
        let too_wide = Style {
            decoys: 3,
            piece_width: 80,
            ..Style::default()
        };
        assert!(too_wide.check().is_err(), "four 80 px pieces fit in 300 px");
        let with_margin = Style {
            margin: 60,
            ..Style::default()
        };
        assert!(with_margin.check().is_err());
        let fits = Style {
            decoys: 3,
            width: 320,
            margin: 5,
            piece_width: 60,
            ..Style::default()
        };
        assert_eq!(fits.check(), Ok(()));
    }

    #[test]
    fn decoys_differ_from_the_piece_and_every_shape_has_an_inside() {
        for shape in [Shape::Puzzle, Shape::Square, Shape::Round] {
            let (w, h) = (44, 56);
            let count = |f: &dyn Fn(i32, i32) -> bool| {
                (0..h)
                    .flat_map(|y| (0..w).map(move |x| (x, y)))
                    .filter(|&(x, y)| f(x, y))
                    .count()
            };
            let inside = count(&|x, y| shape.contains(w, h, x, y));
            let differ =
                count(&|x, y| shape.contains(w, h, x, y) != shape.decoy_contains(w, h, x, y));
            assert!(inside > (w * h) as usize / 3, "{shape:?}: {inside}");
            assert!(differ > (w * h) as usize / 10, "{shape:?}: {differ}");
        }
    }
}
