//! The background's picture: low-frequency waves quantised to a few levels (a texture that is
//! not a flat colour yet compresses to a few KB), and the palette that colours the levels,
//! their shaded copies (the hole, the darker decoys) and the outline.

use rand::Rng;

/// Texture levels.
pub const LEVELS: u8 = 7;
/// How much of its colour a hole keeps, and a decoy (darker, so "the darkest spot" is wrong).
pub const HOLE_SHADE: f32 = 0.45;
pub const DECOY_SHADE: f32 = 0.30;
pub const OUTLINE_RGB: [u8; 3] = [235, 235, 235];

pub struct Texture {
    waves: [(f32, f32, f32, f32); 3],
}

impl Texture {
    pub fn random(rng: &mut impl Rng) -> Self {
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
    pub fn levels(&self, width: u32, height: u32) -> Vec<u8> {
        let weight: f32 = self.waves.iter().map(|w| w.3).sum();
        let columns: Vec<[(f32, f32); 3]> = (0..width)
            .map(|x| {
                self.waves.map(|(fx, _, _, amp)| {
                    ((fx * x as f32).sin() * amp, (fx * x as f32).cos() * amp)
                })
            })
            .collect();
        let mut levels = Vec::with_capacity((width * height) as usize);
        for y in 0..height {
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

/// `LEVELS` shades between a dark and a light colour of random hue.
pub struct Palette {
    from: [u8; 3],
    to: [u8; 3],
}

impl Palette {
    pub fn random(rng: &mut impl Rng) -> Self {
        Self {
            from: std::array::from_fn(|_| rng.random_range(30..110)),
            to: std::array::from_fn(|_| rng.random_range(150..250)),
        }
    }

    /// A level's colour, `noise` added, then shaded by `factor`.
    pub fn rgb(&self, level: u8, noise: i32, factor: f32) -> [u8; 3] {
        let t = level as f32 / (LEVELS - 1) as f32;
        std::array::from_fn(|c| {
            let base = self.from[c] as f32 + (self.to[c] as f32 - self.from[c] as f32) * t;
            ((base + noise as f32).clamp(0.0, 255.0) * factor) as u8
        })
    }

    /// The indexed-PNG palette: the levels, their hole shades, the outline, their decoy shades
    /// (the indices `render::Kind::index` gives).
    pub fn indexed(&self) -> Vec<u8> {
        let mut colours = Vec::with_capacity(3 * (3 * LEVELS as usize + 1));
        for factor in [1.0, HOLE_SHADE] {
            for level in 0..LEVELS {
                colours.extend(self.rgb(level, 0, factor));
            }
        }
        colours.extend(OUTLINE_RGB);
        for level in 0..LEVELS {
            colours.extend(self.rgb(level, 0, DECOY_SHADE));
        }
        colours
    }
}
