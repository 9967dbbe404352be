//! Deep target: the xz parser alone on any bytes (past its sniff), then the
//! usual recursion into what it yields.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    installsift_formats::fuzzing::exercise_as("xz", data);
});
