//! Deep target: the xar parser on any bytes (past its magic checks), then
//! the usual recursion into what it finds.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    installsift::fuzzing::exercise_as("xar", data);
});
