//! Deep target: the SZDD header and its decoders (LZSS) on any
//! bytes (past its magic check).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    installsift_formats::fuzzing::exercise_as("szdd", data);
});
