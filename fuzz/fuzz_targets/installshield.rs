//! Deep target: the InstallShield parser on any bytes (an `ISc(` cabinet, or
//! else a Setup Launcher overlay: plain, UTF-16, `InstallShield`,
//! `ISSetupStream` record lists), then the usual recursion into what it finds.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    installsift_formats::fuzzing::exercise_as("installshield", data);
});
