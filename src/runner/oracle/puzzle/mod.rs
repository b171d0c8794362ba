//! Image analysis for the `solve` oracle: recovers a slider CAPTCHA's X offset from its two
//! images, as a user's eye does, without asking the gateway. Two cues, as a user uses them:
//!
//! 1. The outline. The piece's outline (from its alpha channel) is slid along the background's
//!    row; a place scores by how much of the outline lies on an edge there (edges of the
//!    log-luminance, so a hole in a dark area counts as much as one in a light area, and each
//!    outline pixel counts at most once, so a darker decoy's stronger edges do not outweigh
//!    a shape that matches all the way round). The best places are kept.
//! 2. The texture. At each kept place, the piece's inside is compared with the background
//!    (normalised cross-correlation): the hole is the piece shaded, so it correlates fully
//!    whatever the shading (darker, lighter, JPEG-blurred, noisy); a decoy, a similar shape
//!    cut from elsewhere, does not.
//!
//! Never the darkest spot: decoy holes are darker than the real one. `describe` reports the
//! images' formats, sizes and the piece's opaque box (for `gatecheck discover`).

mod describe;
mod image;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod vendor;

pub use describe::{describe, image_info, piece_mask, Bounds, Description, ImageInfo, Mask};
pub use image::Format;
use image::{decode, Gray};

use crate::profile::XFrom;

/// Places kept from the outline scan for the texture comparison.
const CANDIDATES: usize = 16;
/// A log-luminance step this large counts as a full edge (a hole shaded to 45% is 0.8).
const FULL_EDGE: f32 = 0.5;
/// The texture cue's say against the outline's (1): where a piece has detail, its texture
/// is the surer cue (a strongly shaded decoy of the same shape can have the better outline).
const TEXTURE: f32 = 2.0;
/// Rows searched above and below the `pointY` the gateway gave.
const Y_SLACK: i64 = 2;

/// The piece as the solver sees it.
struct Piece {
    width: usize,
    height: usize,
    /// Opaque pixels with a transparent neighbour (or the image's border).
    outline: Vec<(usize, usize)>,
    /// Opaque pixels at least 3 px inside the outline (clear of outline colours and blur),
    /// with the piece's detail there: its luminance less the best-fitting plane (a smooth
    /// gradient says nothing about where the piece was cut from), and that detail's norm.
    inside: Vec<(usize, usize, f32)>,
    norm: f32,
    /// An orthonormal basis of the planes over those pixels (constant, x, y).
    planes: [Vec<f32>; 3],
    /// The first opaque column.
    left: usize,
}

impl Piece {
    fn new(image: &Gray) -> Result<Self, String> {
        let (w, h) = (image.width, image.height);
        let opaque: Vec<bool> = image.alpha.iter().map(|a| *a > 127).collect();
        let once = erode(&opaque, w, h);
        let twice = erode(&once, w, h);
        let pixels = || (0..h).flat_map(|y| (0..w).map(move |x| (x, y)));
        let outline: Vec<(usize, usize)> = pixels()
            .filter(|&(x, y)| opaque[y * w + x] && !once[y * w + x])
            .collect();
        if outline.is_empty() {
            return Err("the piece has no shape (it is fully transparent)".into());
        }
        let core_of = |grid: &[bool]| -> Vec<(usize, usize)> {
            pixels().filter(|&(x, y)| grid[y * w + x]).collect()
        };
        let mut core = core_of(&erode(&twice, w, h));
        if core.len() < 16 {
            core = core_of(&once);
        }
        let planes = planes(&core);
        let luma: Vec<f32> = core.iter().map(|&(x, y)| image.luma[y * w + x]).collect();
        let detail = without_planes(&luma, &planes);
        let inside: Vec<(usize, usize, f32)> = (core.iter().zip(detail))
            .map(|(&(x, y), d)| (x, y, d))
            .collect();
        let norm = inside.iter().map(|p| p.2 * p.2).sum::<f32>().sqrt();
        let left = outline.iter().map(|p| p.0).min().unwrap_or(0);
        Ok(Self {
            width: w,
            height: h,
            outline,
            inside,
            norm,
            planes,
            left,
        })
    }

    /// How far to trust the texture: not at all for a piece without detail, fully from a
    /// spread of 3 levels.
    fn texture_weight(&self) -> f32 {
        let spread = self.norm / (self.inside.len().max(1) as f32).sqrt();
        (spread / 3.0).clamp(0.0, 1.0)
    }

    /// Normalised cross-correlation of the piece's detail with the background's at `base`
    /// (the index of the place's top left pixel), `offsets` the inside's indices from there.
    /// The piece's detail is orthogonal to the planes, so its dot product with the raw
    /// background is the one with the background's detail; the latter's norm is the raw norm
    /// less the planes' part.
    fn correlation(&self, luma: &[f32], offsets: &[usize], base: usize) -> f32 {
        if offsets.is_empty() || self.norm <= f32::EPSILON {
            return 0.0;
        }
        // f64: the detail's norm is a difference of near-equal sums on a smooth background.
        let (mut dot, mut sq, mut along) = (0.0f64, 0.0f64, [0.0f64; 3]);
        for (i, (&o, inside)) in offsets.iter().zip(&self.inside).enumerate() {
            let b = f64::from(luma[base + o]);
            dot += f64::from(inside.2) * b;
            sq += b * b;
            for (a, plane) in along.iter_mut().zip(&self.planes) {
                *a += f64::from(plane[i]) * b;
            }
        }
        let detail = (sq - along.iter().map(|a| a * a).sum::<f64>())
            .max(0.0)
            .sqrt();
        // A background with under a quarter level of detail there has nothing to match.
        if detail < 0.25 * (offsets.len() as f64).sqrt() {
            return 0.0;
        }
        ((dot / (detail * f64::from(self.norm))) as f32).clamp(-1.0, 1.0)
    }

    /// Indices of `pixels` in an image `width` wide, from the piece's top left pixel.
    fn offsets(pixels: impl Iterator<Item = (usize, usize)>, width: usize) -> Vec<usize> {
        pixels.map(|(x, y)| y * width + x).collect()
    }
}

/// Gram-Schmidt on (1, x, y) over `pixels`: three orthonormal vectors (zero where degenerate).
fn planes(pixels: &[(usize, usize)]) -> [Vec<f32>; 3] {
    let mut basis: [Vec<f32>; 3] = [
        vec![1.0; pixels.len()],
        pixels.iter().map(|p| p.0 as f32).collect(),
        pixels.iter().map(|p| p.1 as f32).collect(),
    ];
    for i in 0..3 {
        for j in 0..i {
            let along: f32 = basis[i].iter().zip(&basis[j]).map(|(a, b)| a * b).sum();
            let earlier = basis[j].clone();
            for (a, b) in basis[i].iter_mut().zip(&earlier) {
                *a -= along * b;
            }
        }
        let norm = basis[i].iter().map(|a| a * a).sum::<f32>().sqrt();
        let scale = if norm > 1e-3 { 1.0 / norm } else { 0.0 };
        basis[i].iter_mut().for_each(|a| *a *= scale);
    }
    basis
}

/// `values` less their projection on the planes.
fn without_planes(values: &[f32], planes: &[Vec<f32>; 3]) -> Vec<f32> {
    let mut rest = values.to_vec();
    for plane in planes {
        let along: f32 = rest.iter().zip(plane).map(|(a, b)| a * b).sum();
        for (r, p) in rest.iter_mut().zip(plane) {
            *r -= along * p;
        }
    }
    rest
}

/// Opaque pixels whose 8 neighbours are opaque too (outside the image counts as transparent).
fn erode(opaque: &[bool], w: usize, h: usize) -> Vec<bool> {
    let mut out = vec![false; w * h];
    for y in 1..h.saturating_sub(1) {
        for x in 1..w.saturating_sub(1) {
            out[y * w + x] = (y - 1..=y + 1)
                .all(|ny| opaque[ny * w + x - 1] && opaque[ny * w + x] && opaque[ny * w + x + 1]);
        }
    }
    out
}

/// The X offset of the piece in the background, measured as `x_from` says. `point_y` is the
/// top of `cutImage` as the gateway reported it; a few rows around it are searched too.
pub fn solve(
    shadow_image: &str,
    cut_image: &str,
    point_y: i64,
    x_from: XFrom,
) -> Result<i64, String> {
    let background = decode(shadow_image)?;
    let cut = decode(cut_image)?;
    if cut.width > background.width || cut.height > background.height {
        return Err("the piece is larger than the background".into());
    }
    let piece = Piece::new(&cut)?;
    let max_y = (background.height - piece.height) as i64;
    let top = point_y.saturating_sub(Y_SLACK).clamp(0, max_y) as usize;
    let bottom = point_y.saturating_add(Y_SLACK).clamp(0, max_y) as usize;
    let columns = background.width - piece.width + 1;
    let outline = outline_scores(&background, &piece, top..=bottom, columns);
    if outline.iter().all(|s| *s <= 0.0) {
        return Err("no edges in the background: nothing to match the piece against".into());
    }
    let weight = piece.texture_weight();
    let inside = Piece::offsets(piece.inside.iter().map(|p| (p.0, p.1)), background.width);
    let score = |x: usize, y: usize| {
        let correlation = piece.correlation(&background.luma, &inside, y * background.width + x);
        outline[(y - top) * columns + x] + TEXTURE * weight * correlation.max(0.0)
    };
    let mut best = (f32::MIN, 0usize);
    for (x0, _) in candidates(&outline, columns) {
        for y in top..=bottom {
            for x in x0.saturating_sub(2)..=(x0 + 2).min(columns - 1) {
                let s = score(x, y);
                if s > best.0 {
                    best = (s, x);
                }
            }
        }
    }
    let left = match x_from {
        XFrom::Image => 0,
        XFrom::Piece => piece.left,
    };
    Ok((best.1 + left) as i64)
}

/// For each row in `rows` and each of `columns` places, the share of the outline on an edge.
fn outline_scores(
    background: &Gray,
    piece: &Piece,
    rows: std::ops::RangeInclusive<usize>,
    columns: usize,
) -> Vec<f32> {
    let edges = edges(background);
    let mut scores = Vec::with_capacity(rows.clone().count() * columns);
    let share = 1.0 / piece.outline.len() as f32;
    let offsets = Piece::offsets(piece.outline.iter().copied(), background.width);
    for y in rows {
        for x in 0..columns {
            let base = y * background.width + x;
            let mut on_edge = 0.0;
            for &o in &offsets {
                on_edge += edges[base + o];
            }
            scores.push(on_edge * share);
        }
    }
    scores
}

/// The best places by outline score, at least 4 columns apart: (column, score).
fn candidates(scores: &[f32], columns: usize) -> Vec<(usize, f32)> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_unstable_by(|a, b| scores[*b].total_cmp(&scores[*a]));
    let mut kept: Vec<(usize, f32)> = Vec::with_capacity(CANDIDATES);
    for i in order {
        let x = i % columns;
        if kept.iter().all(|(k, _)| k.abs_diff(x) > 3) {
            kept.push((x, scores[i]));
            if kept.len() == CANDIDATES {
                break;
            }
        }
    }
    kept
}

/// Edge strength per pixel: the log-luminance's central differences, capped at a full edge
/// and scaled to 0..=1.
fn edges(image: &Gray) -> Vec<f32> {
    let (w, h) = (image.width, image.height);
    let log: Vec<f32> = image.luma.iter().map(|l| (l.max(0.0) + 8.0).ln()).collect();
    let at = |x: usize, y: usize| log[y * w + x];
    let mut edges = vec![0.0; w * h];
    for y in 0..h {
        for x in 0..w {
            let dx = at((x + 1).min(w - 1), y) - at(x.saturating_sub(1), y);
            let dy = at(x, (y + 1).min(h - 1)) - at(x, y.saturating_sub(1));
            edges[y * w + x] = (dx.abs() + dy.abs()).min(FULL_EDGE) / FULL_EDGE;
        }
    }
    edges
}
