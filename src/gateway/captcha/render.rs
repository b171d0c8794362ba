//! Draws one slider CAPTCHA in a `Style`: a textured background with a shaded, outlined hole in
//! the shape of the piece (and darker decoy holes of a similar shape in its row, if the style
//! has them), and the piece itself, transparent outside its shape and in its margin. The
//! default style is 300x150 with a 50x50 jigsaw piece, both indexed-colour PNGs of a few KB.
//! The hole is really in the picture, so the answer can be recovered by image analysis as a
//! user's eye would.

use rand::Rng;

use super::encode::{data_url, jpeg_rgb, png_indexed, png_rgb};
use super::style::{Format, Style, XFrom};
use super::texture::{Palette, Texture, DECOY_SHADE, HOLE_SHADE, LEVELS, OUTLINE_RGB};

/// The default style's sizes.
pub const WIDTH: u32 = 300;
pub const HEIGHT: u32 = 150;
pub const PIECE: u32 = 50;

/// One rendered CAPTCHA with its answer, `point_x` measured as the style's `x_from` says and
/// `point_y` the top of `cutImage`.
#[derive(Debug, Clone)]
pub struct Captcha {
    pub shadow_image: String,
    pub cut_image: String,
    pub point_x: u32,
    pub point_y: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("PNG encoding failed: {0}")]
    Png(#[from] png::EncodingError),
    #[error("JPEG encoding failed: {0}")]
    Jpeg(#[from] jpeg_encoder::EncodingError),
    #[error("the CAPTCHA style cannot be drawn: {0}")]
    Style(String),
}

/// Whether (x, y) of the default 50x50 piece square is inside the piece.
pub fn piece_mask(x: i32, y: i32) -> bool {
    super::style::Shape::Puzzle.contains(PIECE as i32, PIECE as i32, x, y)
}

#[cfg(test)]
fn on_piece_border(x: i32, y: i32) -> bool {
    piece_mask(x, y)
        && [(1, 0), (-1, 0), (0, 1), (0, -1)]
            .iter()
            .any(|(dx, dy)| !piece_mask(x + dx, y + dy))
}

/// What a pixel shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Plain,
    Hole,
    Decoy,
    Outline,
}

impl Kind {
    /// Its index in `Palette::indexed`.
    fn index(self, level: u8) -> u8 {
        match self {
            Kind::Plain => level,
            Kind::Hole => level + LEVELS,
            Kind::Outline => 2 * LEVELS,
            Kind::Decoy => level + 2 * LEVELS + 1,
        }
    }

    fn rgb(self, palette: &Palette, level: u8, noise: i32) -> [u8; 3] {
        match self {
            Kind::Plain => palette.rgb(level, noise, 1.0),
            Kind::Hole => palette.rgb(level, noise, HOLE_SHADE),
            Kind::Decoy => palette.rgb(level, noise, DECOY_SHADE),
            Kind::Outline => OUTLINE_RGB,
        }
    }
}

/// The default style.
pub fn render(rng: &mut impl Rng) -> Result<Captcha, RenderError> {
    render_style(rng, &Style::default())
}

/// A fresh CAPTCHA with the piece at a uniformly drawn position, its `cutImage` fully inside
/// the background.
pub fn render_style(rng: &mut impl Rng, style: &Style) -> Result<Captcha, RenderError> {
    style.check().map_err(RenderError::Style)?;
    let lefts = piece_lefts(rng, style);
    let top = rng.random_range(style.margin..=style.height - style.piece_height - style.margin);
    let texture = Texture::random(rng);
    let palette = Palette::random(rng);
    let picture = Picture {
        levels: texture.levels(style.width, style.height),
        noise: match style.noise as i32 {
            0 => Vec::new(),
            n => (0..style.width * style.height)
                .map(|_| rng.random_range(-n..=n) as i16)
                .collect(),
        },
        palette,
    };
    let shadow = holes(style, &lefts, top);
    let piece = cut(style, lefts[0], top);
    let opaque_left = (0..style.piece_width as i32)
        .find(|&x| (0..style.piece_height as i32).any(|y| inside(style, false, x, y)))
        .unwrap_or(0) as u32;
    Ok(Captcha {
        shadow_image: picture.shadow(style, &shadow)?,
        cut_image: picture.piece(style, &piece)?,
        point_x: match style.x_from {
            XFrom::Image => lefts[0] - style.margin,
            XFrom::Piece => lefts[0] + opaque_left,
        },
        point_y: top - style.margin,
    })
}

/// The left edges of the piece's square (first) and of the decoys': in the piece's row, not
/// overlapping, each drawn uniformly among the placements that leave room for the others.
fn piece_lefts(rng: &mut impl Rng, style: &Style) -> Vec<u32> {
    let n = style.decoys + 1;
    let free = style.width - 2 * style.margin - n * style.piece_width;
    let mut offsets: Vec<u32> = (0..n).map(|_| rng.random_range(0..=free)).collect();
    offsets.sort_unstable();
    let mut lefts: Vec<u32> = offsets
        .iter()
        .zip(0..)
        .map(|(offset, i)| style.margin + offset + i * style.piece_width)
        .collect();
    let real = rng.random_range(0..lefts.len());
    lefts.swap(0, real);
    lefts
}

fn inside(style: &Style, decoy: bool, x: i32, y: i32) -> bool {
    let (w, h) = (style.piece_width as i32, style.piece_height as i32);
    match decoy {
        false => style.shape.contains(w, h, x, y),
        true => style.shape.decoy_contains(w, h, x, y),
    }
}

fn on_border(style: &Style, decoy: bool, x: i32, y: i32) -> bool {
    [(1, 0), (-1, 0), (0, 1), (0, -1)]
        .iter()
        .any(|(dx, dy)| !inside(style, decoy, x + dx, y + dy))
}

/// What each background pixel shows: the hole at `lefts[0]`, the decoys at the others.
fn holes(style: &Style, lefts: &[u32], top: u32) -> Vec<Kind> {
    let mut kinds = vec![Kind::Plain; (style.width * style.height) as usize];
    for (i, &left) in lefts.iter().enumerate() {
        let decoy = i > 0;
        for py in 0..style.piece_height as i32 {
            for px in 0..style.piece_width as i32 {
                if !inside(style, decoy, px, py) {
                    continue;
                }
                let at = (top + py as u32) * style.width + left + px as u32;
                kinds[at as usize] = match (on_border(style, decoy, px, py), decoy) {
                    (true, _) => Kind::Outline,
                    (false, true) => Kind::Decoy,
                    (false, false) => Kind::Hole,
                };
            }
        }
    }
    kinds
}

/// Each `cutImage` pixel: transparent, or what it shows and where in the background it is.
fn cut(style: &Style, left: u32, top: u32) -> Vec<Option<(Kind, usize)>> {
    let m = style.margin as i32;
    let (cw, ch) = (style.cut_width() as i32, style.cut_height() as i32);
    (0..ch)
        .flat_map(|cy| (0..cw).map(move |cx| (cx - m, cy - m)))
        .map(|(px, py)| {
            inside(style, false, px, py).then(|| {
                let at = (top as i32 + py) * style.width as i32 + left as i32 + px;
                match on_border(style, false, px, py) {
                    true => (Kind::Outline, at as usize),
                    false => (Kind::Plain, at as usize),
                }
            })
        })
        .collect()
}

/// The background's levels, noise and colours.
struct Picture {
    levels: Vec<u8>,
    noise: Vec<i16>,
    palette: Palette,
}

impl Picture {
    /// Indexed PNGs when no noise asks for more colours than the palette has.
    fn indexed(&self, style: &Style) -> bool {
        self.noise.is_empty() && style.format == Format::Png
    }

    fn rgb(&self, kind: Kind, at: usize) -> [u8; 3] {
        let noise = self.noise.get(at).map_or(0, |n| i32::from(*n));
        kind.rgb(&self.palette, self.levels[at], noise)
    }

    fn shadow(&self, style: &Style, kinds: &[Kind]) -> Result<String, RenderError> {
        let (w, h) = (style.width, style.height);
        if self.indexed(style) {
            let pixels: Vec<u8> = (kinds.iter().zip(&self.levels))
                .map(|(kind, level)| kind.index(*level))
                .collect();
            let png = png_indexed(w, h, &pixels, &self.palette.indexed(), None)?;
            return Ok(data_url("image/png", &png));
        }
        let rgb: Vec<u8> = (kinds.iter().enumerate())
            .flat_map(|(at, kind)| self.rgb(*kind, at))
            .collect();
        Ok(match style.format {
            Format::Png => data_url("image/png", &png_rgb(w, h, &rgb, false)?),
            Format::Jpeg => data_url("image/jpeg", &jpeg_rgb(w, h, &rgb)?),
        })
    }

    fn piece(
        &self,
        style: &Style,
        pixels: &[Option<(Kind, usize)>],
    ) -> Result<String, RenderError> {
        let (w, h) = (style.cut_width(), style.cut_height());
        if self.indexed(style) {
            let indices: Vec<u8> = pixels
                .iter()
                .map(|p| p.map_or(0, |(kind, at)| 1 + kind.index(self.levels[at])))
                .collect();
            let mut palette = vec![0, 0, 0];
            palette.extend(self.palette.indexed());
            let png = png_indexed(w, h, &indices, &palette, Some(&[0]))?;
            return Ok(data_url("image/png", &png));
        }
        let rgba: Vec<u8> = pixels
            .iter()
            .flat_map(|p| match p {
                Some((kind, at)) => {
                    let [r, g, b] = self.rgb(*kind, *at);
                    [r, g, b, 255]
                }
                None => [0; 4],
            })
            .collect();
        Ok(data_url("image/png", &png_rgb(w, h, &rgba, true)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use rand::SeedableRng;

    fn decode(url: &str) -> (png::OutputInfo, Vec<u8>, Vec<u8>) {
        let b64 = url
            .strip_prefix("data:image/png;base64,")
            .expect("data URL");
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .expect("base64");
        let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes.clone()));
        decoder.set_transformations(png::Transformations::EXPAND);
        let mut reader = decoder.read_info().expect("png header");
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).expect("png frame");
        buf.truncate(info.buffer_size());
        (info, buf, bytes)
    }

    #[test]
    fn images_have_the_vendor_sizes_and_stay_small() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for _ in 0..20 {
            let captcha = render(&mut rng).expect("render");
            let (shadow, _, shadow_png) = decode(&captcha.shadow_image);
            let (cut, cut_pixels, cut_png) = decode(&captcha.cut_image);
            assert_eq!((shadow.width, shadow.height), (WIDTH, HEIGHT));
            assert_eq!((cut.width, cut.height), (PIECE, PIECE));
            assert!(captcha.point_x <= WIDTH - PIECE && captcha.point_y <= HEIGHT - PIECE);
            assert!(
                shadow_png.len() < 8 * 1024,
                "shadow is {} bytes",
                shadow_png.len()
            );
            assert!(cut_png.len() < 3 * 1024, "piece is {} bytes", cut_png.len());
            // The piece is opaque exactly inside its puzzle shape.
            assert_eq!(cut.color_type, png::ColorType::Rgba);
            for y in 0..PIECE as i32 {
                for x in 0..PIECE as i32 {
                    let alpha = cut_pixels[((y * PIECE as i32 + x) * 4 + 3) as usize];
                    assert_eq!(alpha == 255, piece_mask(x, y), "alpha at {x},{y}");
                }
            }
        }
    }

    /// The answer is in the pixels: matching the piece against the shaded hole (the hole is the
    /// piece darkened to 45%) finds `point_x` without the oracle.
    #[test]
    fn the_answer_can_be_recovered_from_the_pixels() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        for _ in 0..30 {
            let captcha = render(&mut rng).expect("render");
            let (_, shadow, _) = decode(&captcha.shadow_image);
            let (_, piece, _) = decode(&captcha.cut_image);
            let y = captcha.point_y as usize;
            let score = |x: usize| {
                let mut matches = 0;
                for py in 0..PIECE as usize {
                    for px in 0..PIECE as usize {
                        let p = (py * PIECE as usize + px) * 4;
                        if piece[p + 3] == 0 || on_piece_border(px as i32, py as i32) {
                            continue;
                        }
                        let s = ((y + py) * WIDTH as usize + x + px) * 3;
                        let darkened = (0..3).all(|c| {
                            (shadow[s + c] as i32 - (piece[p + c] as f32 * 0.45) as i32).abs() <= 2
                        });
                        matches += usize::from(darkened);
                    }
                }
                matches
            };
            let best = (0..=(WIDTH - PIECE) as usize)
                .max_by_key(|x| score(*x))
                .expect("candidates");
            assert_eq!(best as u32, captcha.point_x);
        }
    }

    #[test]
    fn the_background_is_textured_not_flat() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let captcha = render(&mut rng).expect("render");
        let (_, pixels, _) = decode(&captcha.shadow_image);
        let mut colours: Vec<&[u8]> = pixels.chunks(3).collect();
        colours.sort();
        colours.dedup();
        assert!(colours.len() >= 5, "only {} colours", colours.len());
    }

    /// The same draw measured both ways: from the piece, `pointX` is the margin and the
    /// jigsaw's left notch further right; `pointY` is `cutImage`'s top either way.
    #[test]
    fn point_x_is_measured_where_the_style_says() {
        use super::super::style::{Format, XFrom};
        let image = Style {
            margin: 5,
            decoys: 2,
            noise: 10,
            format: Format::Jpeg,
            ..Style::default()
        };
        let piece = Style {
            x_from: XFrom::Piece,
            ..image.clone()
        };
        for seed in 0..20 {
            let a = render_style(&mut rand::rngs::StdRng::seed_from_u64(seed), &image).expect("a");
            let b = render_style(&mut rand::rngs::StdRng::seed_from_u64(seed), &piece).expect("b");
            assert_eq!(b.point_x, a.point_x + 5 + 8);
            assert_eq!(a.point_y, b.point_y);
            assert!(a.shadow_image.starts_with("data:image/jpeg;base64,/9j/"));
            assert!(a.cut_image.starts_with("data:image/png;base64,iVBOR"));
            assert!(a.point_x + 60 <= WIDTH && a.point_y + 60 <= HEIGHT);
        }
    }

    #[test]
    fn a_style_that_does_not_fit_is_an_error() {
        let style = Style {
            piece_width: 400,
            ..Style::default()
        };
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        assert!(matches!(
            render_style(&mut rng, &style),
            Err(RenderError::Style(_))
        ));
    }
}
