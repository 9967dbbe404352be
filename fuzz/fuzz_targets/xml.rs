//! Deep target: the XML document reader (Burn manifest, AppxManifest,
//! App Installer, ClickOnce) on any bytes, past its sniff.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    installsift_formats::fuzzing::exercise_as("xml", data);
});
