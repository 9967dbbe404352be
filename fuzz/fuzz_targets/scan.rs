//! Whole-scan target: any bytes as a top-level file.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    installsift::fuzzing::exercise(data);
});
