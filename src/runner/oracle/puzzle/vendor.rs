//! Test images in another vendor's style (blocks on a gradient, a round piece whose hole is
//! lightened and not outlined, a greyscale piece; a same-shape decoy if asked) and JPEG copies.

use base64::Engine;
use rand::Rng;

use super::image::decode;

/// Another vendor's style: 320x160 RGB with blocks and a gradient, a round piece of 60 px
/// whose hole is lightened (not darkened) and has no outline, greyscale-alpha piece image.
pub fn other_style(rng: &mut impl Rng) -> (String, String, i64, i64) {
    vendor_style(rng, false)
}

/// `other_style`, with a `twin` decoy if asked: a hole of the very same shape elsewhere in
/// the row, lightened more than the real one (so its edges are stronger).
pub fn vendor_style(rng: &mut impl Rng, twin: bool) -> (String, String, i64, i64) {
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
    if twin {
        // Something inside the piece to tell it by, as a photo would have.
        let colour: [u8; 3] = std::array::from_fn(|_| rng.random_range(0..255));
        let (bx, by) = (hx + rng.random_range(5..25), hy + rng.random_range(5..25));
        for y in by..by + 25 {
            rgb[y * w + bx..y * w + bx + 25].fill(colour);
        }
    }
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
    if twin {
        add_twin(rng, &mut rgb, (w, p), (hx, hy), round);
    }
    let shadow: Vec<u8> = rgb.concat();
    (
        png_url(w, h, png::ColorType::Rgb, &shadow),
        png_url(p, p, png::ColorType::GrayscaleAlpha, &piece),
        hx as i64,
        hy as i64,
    )
}

/// The background as a vendor might send it: a JPEG (quality 75), greyscale or colour,
/// labelled `image/jpeg`.
pub fn as_jpeg(shadow: &str, colour: bool) -> String {
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

/// A hole of the piece's shape at another place in its row, lightened by three quarters.
fn add_twin(
    rng: &mut impl Rng,
    rgb: &mut [[u8; 3]],
    (w, p): (usize, usize),
    (hx, hy): (usize, usize),
    round: impl Fn(usize, usize) -> bool,
) {
    let dx = match hx >= 130 {
        true => rng.random_range(0..=hx - p),
        false => rng.random_range(hx + p..=w - p),
    };
    let lighten = |c: u8| (c as u16 + (255 - c as u16) * 3 / 4) as u8;
    for y in 0..p {
        for x in (0..p).filter(|&x| round(x, y)) {
            let at = (hy + y) * w + dx + x;
            rgb[at] = rgb[at].map(lighten);
        }
    }
}

fn png_url(width: usize, height: usize, colour: png::ColorType, data: &[u8]) -> String {
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
}
