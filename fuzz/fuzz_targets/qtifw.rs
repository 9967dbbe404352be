//! Deep target: Qt IFW binary content (the trailer read from the end, the
//! collection index, each collection's resource table, the `.sha1` checks)
//! and Qt resource files (header, tree walk, zlib entries) on any bytes
//! (past their magic checks), then the usual recursion into what they find.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    installsift_formats::fuzzing::exercise_as("qtifw", data);
    installsift_formats::fuzzing::exercise_as("qt-rcc", data);
});
