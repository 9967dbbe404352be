//! Deep target: the KWAJ header and its decoders (LZSS, XOR, MS-ZIP) on any
//! bytes (past its magic check).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    installsift_formats::fuzzing::exercise_as("kwaj", data);
});
