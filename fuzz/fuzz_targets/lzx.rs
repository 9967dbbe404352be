//! Deep target: the LZX decoder alone, on raw frames (byte 0 picks the
//! window; then per frame a u16 input length, a u16 output length and the
//! input; see `installsift_formats::fuzzing::exercise_lzx`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    installsift_formats::fuzzing::exercise_lzx(data);
});
