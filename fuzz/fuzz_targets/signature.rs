//! Deep target: the Authenticode signature reader (certificate table and
//! PKCS#7 DER) on any bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    installsift_formats::fuzzing::exercise_signature(data);
});
