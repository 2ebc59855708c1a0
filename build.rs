//! Build facts for `cosect --version` (src/cli/mod.rs):
//!
//! - `COSECT_BUILD_COMMIT`: the git commit built, `git rev-parse --short=12 HEAD`,
//!   only when the package directory is the top of a git checkout (a vendored
//!   copy or an unpacked source tarball without `.git/` names none);
//! - `COSECT_BUILD_GLIBC`: the oldest glibc the binary needs, from
//!   `COSECT_GLIBC_FLOOR` (scripts/dist sets it to the version its
//!   cargo-zigbuild target names); without it a Linux glibc build says it
//!   needs the build machine's glibc.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=COSECT_GLIBC_FLOOR");

    let dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    if let Some(commit) = commit(&dir) {
        println!("cargo:rustc-env=COSECT_BUILD_COMMIT={commit}");
    }

    let glibc_target = env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux")
        && env::var("CARGO_CFG_TARGET_ENV").as_deref() == Ok("gnu");
    let floor = env::var("COSECT_GLIBC_FLOOR").unwrap_or_default();
    let glibc = if !floor.is_empty() {
        let well_formed = floor.split('.').count() == 2
            && floor
                .split('.')
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
        assert!(well_formed, "COSECT_GLIBC_FLOOR must look like 2.17, not {floor:?}");
        assert!(
            glibc_target,
            "COSECT_GLIBC_FLOOR is set, but the target does not use glibc"
        );
        format!("needs glibc {floor} or newer")
    } else if glibc_target {
        "needs the glibc of the machine it was built on, or newer".to_owned()
    } else {
        String::new()
    };
    println!("cargo:rustc-env=COSECT_BUILD_GLIBC={glibc}");
}

/// The commit of the checkout `dir` is the top of, and the files whose
/// change means another commit (watched by cargo).
fn commit(dir: &Path) -> Option<String> {
    let git = |args: &[&str]| -> Option<String> {
        let out = Command::new("git").current_dir(dir).args(args).output().ok()?;
        if !out.status.success() {
            return None;
        }
        let s = String::from_utf8(out.stdout).ok()?;
        let s = s.trim();
        (!s.is_empty()).then(|| s.to_owned())
    };
    // Not a checkout, or the package sits inside someone else's (vendored).
    let top = PathBuf::from(git(&["rev-parse", "--show-toplevel"])?);
    if top.canonicalize().ok()? != dir.canonicalize().ok()? {
        return None;
    }
    let commit = git(&["rev-parse", "--short=12", "HEAD"])?;
    if !commit.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    // HEAD names the branch (or the commit, when detached); the branch's
    // ref is a loose file or a line of packed-refs. Watch only files that
    // exist: cargo reruns a build script every time for a missing one.
    // (`--git-path` finds them in a linked worktree too.)
    let mut watch = Vec::new();
    if let Some(head) = git(&["rev-parse", "--git-path", "HEAD"]) {
        watch.push(dir.join(head));
    }
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        if let Some(loose) = git(&["rev-parse", "--git-path", &branch]) {
            let loose = dir.join(loose);
            if loose.is_file() {
                watch.push(loose);
            } else if let Some(parent) = loose.parent() {
                // Packed now; a commit writes the loose file here.
                watch.push(parent.to_path_buf());
            }
        }
        if let Some(packed) = git(&["rev-parse", "--git-path", "packed-refs"]) {
            watch.push(dir.join(packed));
        }
    }
    for path in watch.iter().filter(|p| p.exists()) {
        println!("cargo:rerun-if-changed={}", path.display());
    }
    Some(commit)
}
