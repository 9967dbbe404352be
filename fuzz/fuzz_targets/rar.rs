//! Deep target: the RAR 4 / RAR 5 header walk on any bytes (past its magic
//! checks), then the usual recursion into what it finds.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    installsift_formats::fuzzing::exercise_as("rar", data);
});
