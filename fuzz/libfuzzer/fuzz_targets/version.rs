#![no_main]
// From the repository root: `cargo +nightly fuzz run --fuzz-dir fuzz/libfuzzer version fuzz/corpus/version`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| klts_fuzz::fuzz_version(data));
