//! Image analysis for the `solve` oracle: recovers a slider CAPTCHA's X offset from its two images, as a user's
//! eye does, without asking the gateway. The piece's outline (from its alpha channel) is slid
//! along the background; where the background has the strongest edges under that outline is
//! where the hole is. Edges, not colours, so it works whatever the hole's shading (darker,
//! lighter, outlined or not), image size or piece shape.

use base64::Engine;

/// A decoded image as luminance and alpha, row by row.
struct Gray {
    width: usize,
    height: usize,
    luma: Vec<f32>,
    alpha: Vec<u8>,
}

/// Largest image accepted, per side and in pixels: vendor CAPTCHAs are a few hundred pixels
/// wide, and a hostile target must not make the solver allocate without bound.
const MAX_SIDE: usize = 4096;
const MAX_PIXELS: usize = 4_000_000;

/// Decodes a `data:image/...;base64,...` URL holding a PNG or a JPEG (told apart by their
/// first bytes, whatever the URL's type says: gateways mislabel them).
fn decode(data_url: &str) -> Result<Gray, String> {
    let encoded = data_url
        .strip_prefix("data:image/")
        .and_then(|rest| rest.split_once(";base64,"))
        .map(|(_, encoded)| encoded)
        .ok_or("image is not a data:image/...;base64 URL")?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|e| format!("image is not valid base64: {e}"))?;
    match bytes.get(..4) {
        Some([0x89, b'P', b'N', b'G']) => decode_png(bytes),
        Some([0xFF, 0xD8, 0xFF, _]) => decode_jpeg(&bytes),
        _ => Err("image is neither a PNG nor a JPEG".into()),
    }
}

fn plausible(width: usize, height: usize) -> Result<(), String> {
    if width == 0
        || height == 0
        || width > MAX_SIDE
        || height > MAX_SIDE
        || width * height > MAX_PIXELS
    {
        return Err(format!("image of {width}x{height} pixels is not plausible"));
    }
    Ok(())
}

/// Luminance of an RGB pixel (ITU-R BT.601 weights).
fn luminance(r: u8, g: u8, b: u8) -> f32 {
    0.299 * r as f32 + 0.587 * g as f32 + 0.114 * b as f32
}

fn decode_png(bytes: Vec<u8>) -> Result<Gray, String> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder
        .read_info()
        .map_err(|e| format!("image is not a PNG: {e}"))?;
    let (width, height) = (reader.info().width as usize, reader.info().height as usize);
    plausible(width, height)?;
    let mut buffer = vec![0; reader.output_buffer_size()];
    let frame = reader
        .next_frame(&mut buffer)
        .map_err(|e| format!("cannot decode PNG: {e}"))?;
    let channels = match frame.color_type {
        png::ColorType::Grayscale => 1,
        png::ColorType::GrayscaleAlpha => 2,
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        png::ColorType::Indexed => return Err("indexed PNG was not expanded".into()),
    };
    let mut luma = Vec::with_capacity(width * height);
    let mut alpha = Vec::with_capacity(width * height);
    for pixel in buffer[..frame.buffer_size()].chunks(channels) {
        let (l, a) = match pixel {
            [g] => (*g as f32, 255),
            [g, a] => (*g as f32, *a),
            [r, g, b] => (luminance(*r, *g, *b), 255),
            [r, g, b, a] => (luminance(*r, *g, *b), *a),
            _ => (0.0, 0),
        };
        luma.push(l);
        alpha.push(a);
    }
    Ok(Gray {
        width,
        height,
        luma,
        alpha,
    })
}

/// A JPEG (zune-jpeg: maintained, pure Rust, the decoder the `image` crate uses), opaque.
fn decode_jpeg(bytes: &[u8]) -> Result<Gray, String> {
    use zune_jpeg::zune_core::colorspace::ColorSpace;
    use zune_jpeg::zune_core::options::DecoderOptions;
    let options = DecoderOptions::default()
        .jpeg_set_out_colorspace(ColorSpace::RGB)
        .set_max_width(MAX_SIDE)
        .set_max_height(MAX_SIDE);
    let mut decoder = zune_jpeg::JpegDecoder::new_with_options(bytes, options);
    decoder
        .decode_headers()
        .map_err(|e| format!("image is not a JPEG: {e:?}"))?;
    let info = decoder.info().ok_or("JPEG without a header")?;
    let (width, height) = (usize::from(info.width), usize::from(info.height));
    plausible(width, height)?;
    let pixels = decoder
        .decode()
        .map_err(|e| format!("cannot decode JPEG: {e:?}"))?;
    // A greyscale JPEG stays one channel whatever colour space is asked for.
    let channels = pixels.len() / (width * height);
    let luma: Vec<f32> = match channels {
        1 => pixels.iter().map(|&g| f32::from(g)).collect(),
        3 | 4 => pixels
            .chunks_exact(channels)
            .map(|p| luminance(p[0], p[1], p[2]))
            .collect(),
        _ => return Err(format!("JPEG decoded to {channels} channels")),
    };
    if luma.len() != width * height {
        return Err("JPEG decoded to fewer pixels than its header says".into());
    }
    Ok(Gray {
        width,
        height,
        luma,
        alpha: vec![255; width * height],
    })
}

/// The X offset of the piece in the background. `point_y` is the piece's top as the gateway
/// reported it; a few pixels around it are searched too.
pub fn solve(shadow_image: &str, cut_image: &str, point_y: i64) -> Result<i64, String> {
    let background = decode(shadow_image)?;
    let piece = decode(cut_image)?;
    if piece.width > background.width || piece.height > background.height {
        return Err("the piece is larger than the background".into());
    }
    let inside = |x: isize, y: isize| {
        x >= 0
            && y >= 0
            && (x as usize) < piece.width
            && (y as usize) < piece.height
            && piece.alpha[y as usize * piece.width + x as usize] > 127
    };
    let outline: Vec<(usize, usize)> = (0..piece.height)
        .flat_map(|y| (0..piece.width).map(move |x| (x, y)))
        .filter(|&(x, y)| {
            let (x, y) = (x as isize, y as isize);
            inside(x, y)
                && [(1, 0), (-1, 0), (0, 1), (0, -1)]
                    .iter()
                    .any(|(dx, dy)| !inside(x + dx, y + dy))
        })
        .collect();
    if outline.is_empty() {
        return Err("the piece has no shape (it is fully transparent or fully opaque)".into());
    }
    let edges = gradient(&background);
    let max_y = (background.height - piece.height) as i64;
    let ys = (point_y - 2).max(0)..=(point_y + 2).min(max_y);
    let mut best = (f32::MIN, 0i64);
    for y in ys {
        for x in 0..=(background.width - piece.width) {
            let score: f32 = outline
                .iter()
                .map(|&(px, py)| edges[(y as usize + py) * background.width + x + px])
                .sum();
            if score > best.0 {
                best = (score, x as i64);
            }
        }
    }
    if best.0 <= 0.0 {
        return Err("no edges in the background: nothing to match the piece against".into());
    }
    Ok(best.1)
}

/// Gradient magnitude (central differences) of the luminance.
fn gradient(image: &Gray) -> Vec<f32> {
    let (w, h) = (image.width, image.height);
    let at = |x: usize, y: usize| image.luma[y * w + x];
    let mut edges = vec![0.0; w * h];
    for y in 0..h {
        for x in 0..w {
            let dx = at((x + 1).min(w - 1), y) - at(x.saturating_sub(1), y);
            let dy = at(x, (y + 1).min(h - 1)) - at(x, y.saturating_sub(1));
            edges[y * w + x] = dx.abs() + dy.abs();
        }
    }
    edges
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::captcha::render::render;
    use rand::{Rng, SeedableRng};

    #[test]
    fn solves_the_reference_gateway_images() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        for _ in 0..40 {
            let captcha = render(&mut rng).expect("render");
            let x = solve(
                &captcha.shadow_image,
                &captcha.cut_image,
                captcha.point_y as i64,
            )
            .expect("solved");
            assert!(
                (x - captcha.point_x as i64).abs() <= 1,
                "solved {x}, answer {}",
                captcha.point_x
            );
        }
    }

    /// Another vendor's style: 320x160 RGB with blocks and a gradient, a round piece of 60 px
    /// whose hole is lightened (not darkened) and has no outline, greyscale-alpha piece image.
    fn other_style(rng: &mut impl Rng) -> (String, String, i64, i64) {
        let (w, h, p) = (320usize, 160usize, 60usize);
        let mut rgb: Vec<[u8; 3]> = (0..w * h)
            .map(|i| {
                let (x, y) = (i % w, i / w);
                [(x * 200 / w) as u8 + 20, (y * 150 / h) as u8 + 40, 90]
            })
            .collect();
        for _ in 0..12 {
            let (bx, by, bw, bh) = (
                rng.random_range(0..w - 40),
                rng.random_range(0..h - 30),
                rng.random_range(10..40),
                rng.random_range(10..30),
            );
            let colour = [
                rng.random_range(0..255),
                rng.random_range(0..255),
                rng.random_range(0..255),
            ];
            for y in by..by + bh {
                for x in bx..bx + bw {
                    rgb[y * w + x] = colour;
                }
            }
        }
        let (hx, hy) = (rng.random_range(p..w - p), rng.random_range(0..h - p));
        let round = |x: usize, y: usize| {
            let (dx, dy) = (x as f32 - 29.5, y as f32 - 29.5);
            dx * dx + dy * dy <= 27.0 * 27.0
        };
        let mut piece = Vec::new();
        for y in 0..p {
            for x in 0..p {
                let original = rgb[(hy + y) * w + hx + x];
                let grey = (0.299 * original[0] as f32
                    + 0.587 * original[1] as f32
                    + 0.114 * original[2] as f32) as u8;
                piece.extend([grey, if round(x, y) { 255 } else { 0 }]);
                if round(x, y) {
                    let lighten = |c: u8| (c as u16 + (255 - c as u16) / 2) as u8;
                    rgb[(hy + y) * w + hx + x] = original.map(lighten);
                }
            }
        }
        let shadow: Vec<u8> = rgb.concat();
        let encode = |width: usize, height: usize, colour: png::ColorType, data: &[u8]| {
            let mut out = Vec::new();
            let mut encoder = png::Encoder::new(&mut out, width as u32, height as u32);
            encoder.set_color(colour);
            encoder.set_depth(png::BitDepth::Eight);
            let mut writer = encoder.write_header().expect("header");
            writer.write_image_data(data).expect("data");
            writer.finish().expect("finish");
            format!(
                "data:image/png;base64,{}",
                base64::engine::general_purpose::STANDARD.encode(out)
            )
        };
        (
            encode(w, h, png::ColorType::Rgb, &shadow),
            encode(p, p, png::ColorType::GrayscaleAlpha, &piece),
            hx as i64,
            hy as i64,
        )
    }

    #[test]
    fn solves_differently_styled_images() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(9);
        for _ in 0..20 {
            let (shadow, cut, x, y) = other_style(&mut rng);
            let solved = solve(&shadow, &cut, y).expect("solved");
            assert!((solved - x).abs() <= 1, "solved {solved}, answer {x}");
        }
    }

    /// The background as a vendor might send it: a JPEG (quality 75), greyscale or colour,
    /// labelled `image/jpeg`.
    fn as_jpeg(shadow: &str, colour: bool) -> String {
        let gray = decode(shadow).expect("png");
        let levels = gray.luma.iter().map(|l| l.round().clamp(0.0, 255.0) as u8);
        let (pixels, kind): (Vec<u8>, _) = match colour {
            true => (
                levels.flat_map(|l| [l, l, l]).collect(),
                jpeg_encoder::ColorType::Rgb,
            ),
            false => (levels.collect(), jpeg_encoder::ColorType::Luma),
        };
        let mut out = Vec::new();
        jpeg_encoder::Encoder::new(&mut out, 75)
            .encode(&pixels, gray.width as u16, gray.height as u16, kind)
            .expect("jpeg");
        format!(
            "data:image/jpeg;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(out)
        )
    }

    #[test]
    fn solves_jpeg_backgrounds_of_both_styles() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(13);
        for round in 0..60 {
            let (shadow, cut, x, y) = match round % 2 {
                0 => {
                    let captcha = render(&mut rng).expect("render");
                    let (x, y) = (captcha.point_x as i64, captcha.point_y as i64);
                    (captcha.shadow_image, captcha.cut_image, x, y)
                }
                _ => other_style(&mut rng),
            };
            let solved = solve(&as_jpeg(&shadow, round % 4 >= 2), &cut, y).expect("solved");
            assert!(
                (solved - x).abs() <= 1,
                "round {round}: solved {solved}, answer {x}"
            );
        }
    }

    /// Accuracy and time per solve over 1,000 CAPTCHAs of four styles (reference or other, PNG
    /// or JPEG): `cargo test --release --lib solver_figures -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn solver_figures() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(21);
        let mut styles = [(0u32, 0u32, std::time::Duration::ZERO); 4];
        for round in 0..1000 {
            let style = round % 4;
            let (shadow, cut, x, y) = match style % 2 {
                0 => {
                    let captcha = render(&mut rng).expect("render");
                    let (x, y) = (captcha.point_x as i64, captcha.point_y as i64);
                    (captcha.shadow_image, captcha.cut_image, x, y)
                }
                _ => other_style(&mut rng),
            };
            let shadow = if style >= 2 {
                as_jpeg(&shadow, true)
            } else {
                shadow
            };
            let started = std::time::Instant::now();
            let solved = solve(&shadow, &cut, y).expect("solved");
            let (within, total, time) = &mut styles[style];
            *time += started.elapsed();
            *total += 1;
            *within += u32::from((solved - x).abs() <= 4);
        }
        for (style, (within, total, time)) in
            ["reference PNG", "other PNG", "reference JPEG", "other JPEG"]
                .iter()
                .zip(styles)
        {
            println!(
                "{style}: {within}/{total} within 4 px, {:.2} ms per solve",
                time.as_secs_f64() * 1000.0 / f64::from(total)
            );
        }
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(solve("nope", "nope", 0).is_err());
        assert!(solve("data:image/png;base64,!!!", "data:image/png;base64,", 0).is_err());
        assert!(solve(
            "data:image/png;base64,aGVsbG8=",
            "data:image/png;base64,aGVsbG8=",
            0
        )
        .is_err());
    }
}
