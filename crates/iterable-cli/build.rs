//! Links the command with packed relative relocations (RELR) where the toolchain and
//! the C library take them. The command's 266,000 relative relocations take 6 MiB as
//! RELA entries, which the loader reads page by page at every start; packed, they take
//! 74 KiB, and every run holds 5 MiB less (BENCHMARKS.md, "Design choices, measured"). glibc loads them since 2.36, GNU ld writes them since
//! 2.38 and lld since 15; a binary linked with them does not start under an older
//! glibc. So, as LLVM's own build does, the choice is tested: a small position
//! independent program is linked with the flag and run, on Linux with glibc when the
//! build runs where the command will (not when cross-compiling).

use std::env;
use std::path::Path;
use std::process::{Command, Stdio};

/// A program with relative relocations (an array of pointers into its own data), so
/// that a linker that packs them must mark the program as needing a loader that reads
/// them.
const PROBE: &str = r#"
static int values[4] = {1, 2, 3, 4};
static int *pointers[4] = {&values[0], &values[1], &values[2], &values[3]};
int main(void) { return *pointers[3] - 4; }
"#;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=CC");
    let var = |name: &str| env::var(name).unwrap_or_default();
    let native = var("TARGET") == var("HOST");
    if native && var("CARGO_CFG_TARGET_OS") == "linux" && var("CARGO_CFG_TARGET_ENV") == "gnu" {
        let out = env::var("OUT_DIR").expect("cargo sets OUT_DIR");
        if packed_relocations_work(Path::new(&out)) {
            println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
        }
    }
}

/// Whether the probe links with packed relocations and then runs.
fn packed_relocations_work(out: &Path) -> bool {
    let source = out.join("relr_probe.c");
    let program = out.join("relr_probe");
    if std::fs::write(&source, PROBE).is_err() {
        return false;
    }
    let cc = env::var("CC").unwrap_or_else(|_| "cc".to_owned());
    let linked = Command::new(cc)
        .args(["-fPIE", "-pie", "-Wl,-z,pack-relative-relocs", "-o"])
        .arg(&program)
        .arg(&source)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    linked
        && Command::new(&program)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
}
