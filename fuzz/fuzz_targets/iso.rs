//! Deep target: the ISO 9660 descriptor and directory walk (Joliet, Rock
//! Ridge, El Torito, multi-extent files) on any bytes (past its magic check).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    installsift_formats::fuzzing::exercise_as("iso", data);
});
