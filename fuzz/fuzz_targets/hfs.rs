//! Deep target: the HFS+/HFSX parser (volume header, catalog, extents and attributes B-trees) on any bytes (past its magic checks), then what it
//! finds, listed the same way a few levels down (no engine).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    installsift_formats::fuzzing::exercise_as("hfs", data);
});
