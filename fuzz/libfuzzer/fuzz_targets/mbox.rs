#![no_main]
// From the repository root: `cargo +nightly fuzz run --fuzz-dir fuzz/libfuzzer mbox fuzz/corpus/mbox`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| klts_fuzz::fuzz_mbox(data));
