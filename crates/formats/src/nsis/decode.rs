//! The four NSIS data methods as `Read`ers over in-memory compressed bytes.

use super::bzip2::NsisBzip2;
use installsift_model::error::Error;
use std::io::Read;

/// Compression of an NSIS data block (the whole archive uses one method).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    /// Stored (header and data uncompressed; non-solid only).
    Copy,
    /// zlib in makensis's terms: raw deflate.
    Deflate,
    /// NSIS's bzip2 variant.
    Bzip2,
    /// LZMA with a 5-byte properties header.
    Lzma,
}

impl Method {
    /// Name used in reports (the `SetCompressor` keyword).
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Method::Copy => "stored",
            Method::Deflate => "zlib",
            Method::Bzip2 => "bzip2",
            Method::Lzma => "lzma",
        }
    }
}

/// A decoder for one compressed stream `data` (for LZMA: starting with the
/// optional filter flag when `filter_flag`, then the properties).
/// `dict_cap` bounds the LZMA dictionary allocated: no stream can refer
/// further back than the bytes we are willing to decode.
pub(crate) fn reader<'a>(
    method: Method,
    data: &'a [u8],
    filter_flag: bool,
    dict_cap: u64,
) -> Result<Box<dyn Read + 'a>, Error> {
    match method {
        Method::Copy => Ok(Box::new(data)),
        Method::Deflate => Ok(Box::new(flate2::read::DeflateDecoder::new(data))),
        Method::Bzip2 => Ok(Box::new(NsisBzip2::new(data))),
        Method::Lzma => {
            let mut data = data;
            if filter_flag {
                match data.split_first() {
                    Some((0, rest)) => data = rest,
                    Some((f, _)) => {
                        return Err(Error::unsupported(format!(
                            "LZMA stream with BCJ filter flag {f} (7-Zip installer variant)"
                        )))
                    }
                    None => return Err(Error::truncated("LZMA stream is empty")),
                }
            }
            let (Some(&props), Some(dict)) = (data.first(), super::le_u32(data, 1)) else {
                return Err(Error::truncated("LZMA properties cut short"));
            };
            let rest = data.get(5..).unwrap_or(&[]);
            let cap = u32::try_from(dict_cap.max(4096)).unwrap_or(u32::MAX);
            let dict = dict.clamp(4096, cap);
            // A raw LZMA1 stream of unknown size (NSIS writes no end marker;
            // callers read exactly the sizes the blocks declare).
            crate::lzma::LzmaReader::lzma(props, dict, rest)
                .map(|r| Box::new(r) as Box<dyn Read + 'a>)
                .map_err(|e| Error::malformed(format!("LZMA decoder: {e}")))
        }
    }
}
