//! Deep target: the APFS parser (container superblock and checkpoint area, object maps,
//! volume superblocks, file-system B-trees, file extents) on any bytes (past its magic
//! checks), then what it finds, listed the same way a few levels down (no engine).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    installsift_formats::fuzzing::exercise_as("apfs", data);
});
