//! The solver against the reference gateway's every style and another vendor's, the figures
//! (ignored), the teeth (a darkest-spot solver loses to the decoys), hostile images, `describe`.

use base64::Engine;
use rand::SeedableRng;

use super::vendor::{as_jpeg, other_style, vendor_style};
use super::*;
use crate::gateway::captcha::render::{render, render_style, Captcha};
use crate::gateway::captcha::style::{self, Shape, Style};

/// The styles the tests draw, by name; each with what its `pointX` measures.
pub(super) fn styles() -> Vec<(&'static str, Style)> {
    vec![
        ("reference", Style::default()),
        (
            "JPEG square, noise",
            Style {
                format: style::Format::Jpeg,
                shape: Shape::Square,
                piece_width: 44,
                piece_height: 44,
                width: 320,
                height: 160,
                noise: 12,
                ..Style::default()
            },
        ),
        (
            "round, margin, x from the piece",
            Style {
                shape: Shape::Round,
                piece_width: 56,
                piece_height: 56,
                margin: 6,
                x_from: style::XFrom::Piece,
                width: 360,
                height: 180,
                ..Style::default()
            },
        ),
        (
            "puzzle, 3 decoys, margin",
            Style {
                decoys: 3,
                margin: 4,
                ..Style::default()
            },
        ),
        (
            "JPEG puzzle 60x48, 2 decoys, noise, margin, x from the piece",
            Style {
                format: style::Format::Jpeg,
                piece_width: 60,
                piece_height: 48,
                decoys: 2,
                noise: 16,
                margin: 3,
                x_from: style::XFrom::Piece,
                width: 400,
                height: 200,
                ..Style::default()
            },
        ),
        (
            "square 40x40, 3 decoys, noise",
            Style {
                shape: Shape::Square,
                piece_width: 40,
                piece_height: 40,
                decoys: 3,
                noise: 8,
                width: 260,
                height: 120,
                ..Style::default()
            },
        ),
    ]
}

fn x_from(style: &Style) -> XFrom {
    match style.x_from {
        style::XFrom::Image => XFrom::Image,
        style::XFrom::Piece => XFrom::Piece,
    }
}

fn solved(captcha: &Captcha, style: &Style) -> i64 {
    solve(
        &captcha.shadow_image,
        &captcha.cut_image,
        i64::from(captcha.point_y),
        x_from(style),
    )
    .expect("solved")
}

/// 30 CAPTCHAs of `styles()[index]`, all solved within 1 px (the reference tolerance is 4);
/// one test per style so they run in parallel (the figures test below does 200 each).
fn solves_style(index: usize) {
    let (name, style) = styles().swap_remove(index);
    let mut rng = rand::rngs::StdRng::seed_from_u64(5 + index as u64);
    for round in 0..30 {
        let captcha = render_style(&mut rng, &style).expect("render");
        let x = solved(&captcha, &style);
        assert!(
            (x - i64::from(captcha.point_x)).abs() <= 1,
            "{name}, round {round}: solved {x}, answer {}",
            captcha.point_x
        );
    }
}

#[test]
fn solves_the_reference_style() {
    solves_style(0);
}

#[test]
fn solves_jpeg_square_pieces_with_noise() {
    solves_style(1);
}

#[test]
fn solves_round_pieces_with_a_margin_measured_from_the_piece() {
    solves_style(2);
}

#[test]
fn solves_puzzle_pieces_among_decoys() {
    solves_style(3);
}

#[test]
fn solves_jpeg_with_decoys_noise_and_a_margin() {
    solves_style(4);
}

#[test]
fn solves_small_square_pieces_among_decoys_with_noise() {
    solves_style(5);
}

/// Teeth for the decoys: the darkest spot of the piece's shape in its row (what a naive solver
/// finds) is a decoy most of the time, and the solver's own outline cue alone is not enough
/// either; both cues together never miss (the test above).
#[test]
fn a_darkest_spot_solver_falls_for_the_decoys() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(17);
    let style = Style {
        decoys: 3,
        ..Style::default()
    };
    let mut fooled = 0;
    for _ in 0..40 {
        let captcha = render_style(&mut rng, &style).expect("render");
        let x = darkest_spot(&captcha);
        fooled += usize::from((x - i64::from(captcha.point_x)).abs() > 4);
    }
    assert!(
        fooled >= 25,
        "the darkest spot was the hole {} times in 40",
        40 - fooled
    );
}

fn darkest_spot(captcha: &Captcha) -> i64 {
    let background = image::decode(&captcha.shadow_image).expect("background");
    let cut = image::decode(&captcha.cut_image).expect("piece");
    let y = captcha.point_y as usize;
    let mask: Vec<(usize, usize)> = (0..cut.height)
        .flat_map(|py| (0..cut.width).map(move |px| (px, py)))
        .filter(|&(px, py)| cut.alpha[py * cut.width + px] > 127)
        .collect();
    let mean = |x: usize| -> f32 {
        mask.iter()
            .map(|&(px, py)| background.luma[(y + py) * background.width + x + px])
            .sum()
    };
    (0..=background.width - cut.width)
        .min_by(|a, b| mean(*a).total_cmp(&mean(*b)))
        .expect("places") as i64
}

/// Teeth for the texture cue: a decoy of the very same shape, more strongly shaded, often
/// wins on the outline alone; comparing the piece's texture never lets it.
#[test]
fn the_texture_tells_the_hole_from_a_decoy_of_the_same_shape() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(23);
    let mut outline_fooled = 0;
    for round in 0..40 {
        let (shadow, cut, x, y) = vendor_style(&mut rng, true);
        let solved = solve(&shadow, &cut, y, XFrom::Image).expect("solved");
        assert!(
            (solved - x).abs() <= 1,
            "round {round}: solved {solved}, answer {x}"
        );
        let background = decode(&shadow).expect("background");
        let piece = Piece::new(&decode(&cut).expect("piece")).expect("shape");
        let columns = background.width - piece.width + 1;
        let row = y as usize;
        let scores = outline_scores(&background, &piece, row..=row, columns);
        let (by_outline, _) = candidates(&scores, columns)[0];
        outline_fooled += usize::from((by_outline as i64 - x).abs() > 4);
    }
    assert!(
        outline_fooled >= 8,
        "the outline alone was fooled only {outline_fooled} times in 40"
    );
}

#[test]
fn solves_another_vendors_images_png_and_jpeg() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(9);
    for round in 0..40 {
        let (shadow, cut, x, y) = other_style(&mut rng);
        let shadow = match round % 2 {
            0 => shadow,
            _ => as_jpeg(&shadow, round % 4 == 1),
        };
        let solved = solve(&shadow, &cut, y, XFrom::Image).expect("solved");
        assert!(
            (solved - x).abs() <= 1,
            "round {round}: solved {solved}, answer {x}"
        );
    }
}

/// Accuracy and time per solve over 1,200 CAPTCHAs of the six styles above, and 400 of
/// another vendor's (half with a same-shape decoy), half of those as JPEG: `cargo test --release --lib solver_figures -- --ignored --nocapture`.
#[test]
#[ignore]
fn solver_figures() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(21);
    for (name, style) in styles() {
        let (mut within, mut exact, mut time) = (0u32, 0u32, std::time::Duration::ZERO);
        let total = 200;
        for _ in 0..total {
            let captcha = render_style(&mut rng, &style).expect("render");
            let started = std::time::Instant::now();
            let x = solved(&captcha, &style);
            time += started.elapsed();
            let off = (x - i64::from(captcha.point_x)).abs();
            within += u32::from(off <= 4);
            exact += u32::from(off == 0);
        }
        println!(
            "{name}: {within}/{total} within 4 px ({exact} exact), {:.2} ms per solve",
            time.as_secs_f64() * 1000.0 / f64::from(total)
        );
    }
    for (name, twin) in [
        ("another vendor (PNG and JPEG)", false),
        ("another vendor, a same-shape decoy", true),
    ] {
        let (mut within, mut time) = (0u32, std::time::Duration::ZERO);
        for round in 0..200 {
            let (shadow, cut, x, y) = vendor_style(&mut rng, twin);
            let shadow = if round % 2 == 0 {
                shadow
            } else {
                as_jpeg(&shadow, true)
            };
            let started = std::time::Instant::now();
            let solved = solve(&shadow, &cut, y, XFrom::Image).expect("solved");
            time += started.elapsed();
            within += u32::from((solved - x).abs() <= 4);
        }
        println!(
            "{name}: {within}/200 within 4 px, {:.2} ms per solve",
            time.as_secs_f64() * 1000.0 / 200.0
        );
    }
}

#[test]
fn describe_reports_formats_sizes_and_the_margin() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(2);
    let captcha = render(&mut rng).expect("render");
    let reference = describe(&captcha.shadow_image, &captcha.cut_image).expect("described");
    assert_eq!(
        (reference.background, reference.cut),
        (
            ImageInfo {
                format: Format::Png,
                width: 300,
                height: 150
            },
            ImageInfo {
                format: Format::Png,
                width: 50,
                height: 50
            }
        )
    );
    // The jigsaw piece: body from 8 to 41, knobs up to row 2 and column 48.
    assert_eq!(
        reference.piece,
        Bounds {
            left: 8,
            top: 2,
            width: 41,
            height: 40
        }
    );
    let (_, jpeg) = styles().swap_remove(4);
    let captcha = render_style(&mut rng, &jpeg).expect("render");
    let described = describe(&captcha.shadow_image, &captcha.cut_image).expect("described");
    assert_eq!(described.background.format, Format::Jpeg);
    assert_eq!(
        (described.background.width, described.background.height),
        (400, 200)
    );
    assert_eq!((described.cut.width, described.cut.height), (66, 54));
    let [left, top, right, bottom] = described.margins();
    assert!(
        left >= 3 && top >= 3 && right >= 3 && bottom >= 3,
        "{:?}",
        described.margins()
    );
    let square = Style {
        shape: Shape::Square,
        margin: 7,
        ..Style::default()
    };
    let captcha = render_style(&mut rng, &square).expect("render");
    let described = describe(&captcha.shadow_image, &captcha.cut_image).expect("described");
    assert_eq!(described.margins(), [7; 4]);
}

#[test]
fn garbage_is_an_error_not_a_panic() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    let captcha = render(&mut rng).expect("render");
    let url = |bytes: &[u8]| {
        format!(
            "data:image/png;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(bytes)
        )
    };
    let png = base64::engine::general_purpose::STANDARD
        .decode(
            captcha
                .shadow_image
                .trim_start_matches("data:image/png;base64,"),
        )
        .expect("base64");
    let mut huge = png.clone();
    huge[16..24].copy_from_slice(&[0, 1, 0, 0, 0, 1, 0, 0]); // 65536x65536 in the header
    let transparent = url(&transparent_png());
    let bad: Vec<(String, String)> = vec![
        ("nope".into(), "nope".into()),
        (
            "data:image/png;base64,!!!".into(),
            "data:image/png;base64,".into(),
        ),
        (url(b"hello"), url(b"hello")),
        (url(&png[..png.len() / 2]), captcha.cut_image.clone()),
        (url(&huge), captcha.cut_image.clone()),
        (
            url(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J']),
            captcha.cut_image.clone(),
        ),
        (captcha.cut_image.clone(), captcha.shadow_image.clone()),
        (captcha.shadow_image.clone(), transparent),
    ];
    for (shadow, cut) in &bad {
        assert!(
            solve(shadow, cut, 0, XFrom::Image).is_err(),
            "{:.60} {:.60}",
            shadow,
            cut
        );
        assert!(solve(shadow, cut, i64::MAX, XFrom::Piece).is_err());
    }
    // A far-off pointY is clamped, not an index out of bounds.
    for y in [i64::MIN, -5, 1_000_000, i64::MAX] {
        let _ = solve(&captcha.shadow_image, &captcha.cut_image, y, XFrom::Image);
    }
}

/// A 20x20 RGBA PNG with no opaque pixel.
fn transparent_png() -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, 20, 20);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().expect("header");
    writer.write_image_data(&[0; 20 * 20 * 4]).expect("data");
    writer.finish().expect("finish");
    out
}
