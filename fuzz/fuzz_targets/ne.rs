//! Deep target: the 16-bit NE reader (header, segment and resource tables,
//! names, VERSION strings, overlay search) on any bytes, then the usual
//! recursion into what it finds.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    installsift_formats::fuzzing::exercise_as("ne", data);
});
