//! Deep target: the CHM (ITSF) header, directory chunks, ControlData,
//! reset table and LZX section on any bytes (past its magic checks), then
//! the usual recursion into what it finds.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    installsift_formats::fuzzing::exercise_as("chm", data);
});
