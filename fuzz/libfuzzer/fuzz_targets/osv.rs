#![no_main]
// From the repository root: `cargo +nightly fuzz run --fuzz-dir fuzz/libfuzzer osv fuzz/corpus/osv`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| klts_fuzz::fuzz_osv(data));
