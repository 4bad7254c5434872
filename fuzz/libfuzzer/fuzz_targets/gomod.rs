#![no_main]
// From the repository root: `cargo +nightly fuzz run --fuzz-dir fuzz/libfuzzer gomod fuzz/corpus/gomod`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| klts_fuzz::fuzz_gomod(data));
