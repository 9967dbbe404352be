//! Deep target: the UDIF parser (koly trailer, blkx tables, chunk decoders) on any bytes (past its magic checks), then what it
//! finds, listed the same way a few levels down (no engine).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    installsift_formats::fuzzing::exercise_as("dmg", data);
});
