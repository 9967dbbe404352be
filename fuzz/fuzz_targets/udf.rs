//! Deep target: the UDF walk (anchor, volume descriptor sequence, partition
//! maps with metadata partitions, file set, File Entries, allocation and
//! File Identifier Descriptors) on any bytes (past its magic check).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    installsift_formats::fuzzing::exercise_as("udf", data);
});
