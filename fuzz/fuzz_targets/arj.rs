//! Deep target: the ARJ header walk and our method 1-4 decoders on any
//! bytes (past the sniff), then the usual recursion into what it finds.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    installsift_formats::fuzzing::exercise_as("arj", data);
});
