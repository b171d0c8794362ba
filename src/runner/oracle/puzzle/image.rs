//! Decoding the images a gateway sends: `data:` URLs holding a PNG or a JPEG, told apart by
//! their bytes, bounded in size, as luminance and alpha.

use base64::Engine;

/// How an image was encoded (told by its bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Png,
    Jpeg,
}

/// A decoded image as luminance and alpha, row by row.
pub struct Gray {
    pub format: Format,
    pub width: usize,
    pub height: usize,
    pub luma: Vec<f32>,
    pub alpha: Vec<u8>,
}

/// Largest image accepted, per side and in pixels, checked on the header before any pixel is
/// decoded: vendor CAPTCHAs are a few hundred pixels wide, a profile's `captcha.image` at most
/// 1000x1000, and a hostile target must not make the solver allocate without bound (a
/// 4000x4000 PNG took 201 MB).
pub const MAX_SIDE: usize = 2048;
pub const MAX_PIXELS: usize = 1 << 20;

/// Decodes a `data:image/...;base64,...` URL holding a PNG or a JPEG (told apart by their
/// first bytes, whatever the URL's type says: gateways mislabel them).
pub fn decode(data_url: &str) -> Result<Gray, String> {
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
        format: Format::Png,
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
        format: Format::Jpeg,
        width,
        height,
        luma,
        alpha: vec![255; width * height],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A grey PNG of `width` x `height`, written a row at a time (no whole image in memory).
    fn png(width: u32, height: u32) -> String {
        let mut out = Vec::new();
        {
            let mut encoder = png::Encoder::new(&mut out, width, height);
            encoder.set_color(png::ColorType::Grayscale);
            let mut writer = encoder.write_header().expect("header");
            let mut stream = writer.stream_writer().expect("stream");
            let row = vec![128u8; width as usize];
            for _ in 0..height {
                std::io::Write::write_all(&mut stream, &row).expect("row");
            }
            stream.finish().expect("finish");
        }
        let encoded = base64::engine::general_purpose::STANDARD.encode(&out);
        format!("data:image/png;base64,{encoded}")
    }

    fn jpeg(width: u16, height: u16) -> String {
        let mut out = Vec::new();
        let pixels = vec![128u8; usize::from(width) * usize::from(height)];
        jpeg_encoder::Encoder::new(&mut out, 80)
            .encode(&pixels, width, height, jpeg_encoder::ColorType::Luma)
            .expect("jpeg");
        let encoded = base64::engine::general_purpose::STANDARD.encode(&out);
        format!("data:image/jpeg;base64,{encoded}")
    }

    #[test]
    fn images_past_the_bounds_are_refused_by_their_header() {
        assert!(decode(&png(1000, 1000)).is_ok());
        assert!(decode(&jpeg(1000, 1000)).is_ok());
        for url in [
            png(1025, 1024),
            png(2049, 10),
            jpeg(1025, 1024),
            jpeg(2049, 10),
        ] {
            let error = decode(&url).map(|_| ()).unwrap_err();
            // zune-jpeg refuses a side past the limit in its header itself.
            let refused = error.contains("not plausible") || error.contains("width limit 2048");
            assert!(refused, "{error}");
        }
        // A header claiming 4000x4000 with no pixel data after it: refused as too large,
        // not as undecodable, so the pixels are never reached.
        let full = png(4000, 4000);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(full.split_once(',').expect("url").1)
            .expect("base64");
        let idat = bytes.windows(4).position(|w| w == b"IDAT").expect("IDAT");
        let header_only = base64::engine::general_purpose::STANDARD.encode(&bytes[..idat + 4]);
        let error = decode(&format!("data:image/png;base64,{header_only}"))
            .map(|_| ())
            .unwrap_err();
        assert_eq!(error, "image of 4000x4000 pixels is not plausible");
    }

    /// Peak memory, measured from outside: `/usr/bin/time -v` on this test alone, once with
    /// each image (`cargo test --release --lib puzzle::image::tests::peak_ -- --ignored
    /// --exact ...`), against a run that decodes nothing.
    #[test]
    #[ignore = "a measurement: run alone under /usr/bin/time -v"]
    fn peak_refused_4000x4000_png() {
        let url = png(4000, 4000);
        assert!(decode(&url).is_err());
    }

    #[test]
    #[ignore = "a measurement: run alone under /usr/bin/time -v"]
    fn peak_accepted_1000x1000_png() {
        let url = png(1000, 1000);
        assert!(decode(&url).is_ok());
    }
}
