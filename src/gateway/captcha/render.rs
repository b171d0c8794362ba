//! Draws one slider CAPTCHA: a textured 300x150 background with a shaded, outlined hole in the
//! shape of a puzzle piece, and the 50x50 piece itself (transparent outside its shape), both as
//! indexed-colour PNGs of a few KB. The hole is really in the picture, so the answer can be
//! recovered by image analysis as a user's eye would.

use base64::Engine;
use rand::Rng;

pub const WIDTH: u32 = 300;
pub const HEIGHT: u32 = 150;
pub const PIECE: u32 = 50;

/// Texture levels; the shaded copies of them follow, then the outline colour.
const LEVELS: u8 = 7;
const OUTLINE: u8 = 2 * LEVELS;

/// One rendered CAPTCHA with its answer.
#[derive(Debug, Clone)]
pub struct Captcha {
    pub shadow_image: String,
    pub cut_image: String,
    pub point_x: u32,
    pub point_y: u32,
}

#[derive(Debug, thiserror::Error)]
#[error("PNG encoding failed: {0}")]
pub struct RenderError(#[from] png::EncodingError);

/// Whether (x, y) of the 50x50 piece square is inside the piece: a square body with a round knob
/// on top and on the right and a round notch on the left, like a jigsaw piece.
pub fn piece_mask(x: i32, y: i32) -> bool {
    let in_circle = |cx: i32, cy: i32, r: i32| (x - cx).pow(2) + (y - cy).pow(2) <= r * r;
    let body = (8..42).contains(&x) && (8..42).contains(&y);
    let knobs = in_circle(25, 8, 6) || in_circle(42, 25, 6);
    (body || knobs) && !in_circle(8, 25, 5)
}

fn on_piece_border(x: i32, y: i32) -> bool {
    piece_mask(x, y)
        && [(1, 0), (-1, 0), (0, 1), (0, -1)]
            .iter()
            .any(|(dx, dy)| !piece_mask(x + dx, y + dy))
}

/// Renders a fresh CAPTCHA with the piece at a uniformly drawn position fully inside the image.
pub fn render(rng: &mut impl Rng) -> Result<Captcha, RenderError> {
    let point_x = rng.random_range(0..=WIDTH - PIECE);
    let point_y = rng.random_range(0..=HEIGHT - PIECE);
    let texture = Texture::random(rng);
    let palette = Palette::random(rng);

    let background = texture.levels();

    let mut shadow = background.clone();
    let mut piece = vec![0u8; (PIECE * PIECE) as usize];
    for py in 0..PIECE as i32 {
        for px in 0..PIECE as i32 {
            if !piece_mask(px, py) {
                continue;
            }
            let at = ((point_y as i32 + py) as u32 * WIDTH + point_x + px as u32) as usize;
            let piece_at = (py as u32 * PIECE + px as u32) as usize;
            if on_piece_border(px, py) {
                shadow[at] = OUTLINE;
                piece[piece_at] = 1 + OUTLINE;
            } else {
                shadow[at] = background[at] + LEVELS;
                piece[piece_at] = 1 + background[at];
            }
        }
    }

    Ok(Captcha {
        shadow_image: data_url(&encode(WIDTH, HEIGHT, &shadow, &palette.colours, None)?),
        cut_image: data_url(&encode(
            PIECE,
            PIECE,
            &piece,
            &palette.with_transparent_first(),
            Some(&[0]),
        )?),
        point_x,
        point_y,
    })
}

/// Low-frequency waves quantised to a few levels: a texture that is not a flat colour yet
/// compresses to a few KB.
struct Texture {
    waves: [(f32, f32, f32, f32); 3],
}

impl Texture {
    fn random(rng: &mut impl Rng) -> Self {
        let mut wave = || {
            (
                rng.random_range(-0.12..0.12f32),
                rng.random_range(-0.12..0.12f32),
                rng.random_range(0.0..std::f32::consts::TAU),
                rng.random_range(0.5..1.0f32),
            )
        };
        Self {
            waves: [wave(), wave(), wave()],
        }
    }

    /// All pixel levels, row by row. Each wave is `amp * sin(fx*x + fy*y + phase)`, expanded as
    /// `sin(a)cos(b) + cos(a)sin(b)` so the sines are taken per column and per row, not per pixel.
    fn levels(&self) -> Vec<u8> {
        let weight: f32 = self.waves.iter().map(|w| w.3).sum();
        let columns: Vec<[(f32, f32); 3]> = (0..WIDTH)
            .map(|x| {
                self.waves.map(|(fx, _, _, amp)| {
                    ((fx * x as f32).sin() * amp, (fx * x as f32).cos() * amp)
                })
            })
            .collect();
        let mut levels = Vec::with_capacity((WIDTH * HEIGHT) as usize);
        for y in 0..HEIGHT {
            let rows = self.waves.map(|(_, fy, phase, _)| {
                ((fy * y as f32 + phase).sin(), (fy * y as f32 + phase).cos())
            });
            for column in &columns {
                let sum: f32 = (0..3)
                    .map(|w| column[w].0 * rows[w].1 + column[w].1 * rows[w].0)
                    .sum();
                let unit = (sum / weight + 1.0) / 2.0; // 0..=1
                levels.push(((unit * LEVELS as f32) as u8).min(LEVELS - 1));
            }
        }
        levels
    }
}

struct Palette {
    colours: Vec<u8>,
}

impl Palette {
    /// `LEVELS` shades between two random colours, their shaded copies, and a light outline.
    fn random(rng: &mut impl Rng) -> Self {
        // A dark and a light end of random hue, so the texture has contrast.
        let from: [u8; 3] = std::array::from_fn(|_| rng.random_range(30..110));
        let to: [u8; 3] = std::array::from_fn(|_| rng.random_range(150..250));
        let mut colours = Vec::with_capacity(3 * (2 * LEVELS as usize + 1));
        let shade = |level: u8, factor: f32| -> [u8; 3] {
            let t = level as f32 / (LEVELS - 1) as f32;
            std::array::from_fn(|c| {
                ((from[c] as f32 + (to[c] as f32 - from[c] as f32) * t) * factor) as u8
            })
        };
        for level in 0..LEVELS {
            colours.extend(shade(level, 1.0));
        }
        for level in 0..LEVELS {
            colours.extend(shade(level, 0.45));
        }
        colours.extend([235, 235, 235]);
        Self { colours }
    }

    fn with_transparent_first(&self) -> Vec<u8> {
        let mut colours = vec![0, 0, 0];
        colours.extend(&self.colours);
        colours
    }
}

fn encode(
    width: u32,
    height: u32,
    pixels: &[u8],
    palette: &[u8],
    transparent: Option<&[u8]>,
) -> Result<Vec<u8>, RenderError> {
    let mut out = Vec::with_capacity(4096);
    {
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Indexed);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_palette(palette.to_vec());
        if let Some(alpha) = transparent {
            encoder.set_trns(alpha.to_vec());
        }
        // Measured on 300x150 indexed images: no filter + default deflate draws in ~0.9 ms at
        // ~3 KB; the fast deflater is 5x quicker but 8x larger; 4-bit depth is slower.
        encoder.set_compression(png::Compression::Default);
        encoder.set_filter(png::FilterType::NoFilter);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(pixels)?;
        writer.finish()?;
    }
    Ok(out)
}

fn data_url(png: &[u8]) -> String {
    let mut url = String::with_capacity(22 + png.len() * 4 / 3 + 4);
    url.push_str("data:image/png;base64,");
    base64::engine::general_purpose::STANDARD.encode_string(png, &mut url);
    url
}

#[cfg(test)]
mod tests {
    use super::*;
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
}
