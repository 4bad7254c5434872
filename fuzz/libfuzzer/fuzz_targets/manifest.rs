#![no_main]
// From the repository root: `cargo +nightly fuzz run --fuzz-dir fuzz/libfuzzer manifest fuzz/corpus/manifest`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| klts_fuzz::fuzz_manifest(data));
