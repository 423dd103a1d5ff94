//! The documented install route (`docs/install.md`): `cargo install --locked --git <repository>`
//! from a clean clone, then the installed binary runs a scenario. It compiles scalesim from
//! scratch in release mode (minutes), so it is ignored by a plain `cargo test`; run it with
//! `cargo test --test all install:: -- --ignored`. It installs the committed HEAD (uncommitted
//! changes are not in a clone).

use std::path::Path;
use std::process::Command;

fn ok(cmd: &mut Command) -> String {
    let o = cmd.output().unwrap();
    assert!(
        o.status.success(),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
#[ignore = "a full release build from a clone: cargo test --test all install:: -- --ignored"]
fn cargo_install_locked_from_git_clone_runs() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let t = tempfile::tempdir().unwrap();
    let clone = t.path().join("clone");
    ok(Command::new("git")
        .args(["clone", "--quiet"])
        .arg(repo)
        .arg(&clone));
    let root = t.path().join("root");
    ok(Command::new(env!("CARGO"))
        .args(["install", "--locked", "--quiet", "--git"])
        .arg(format!("file://{}", clone.display()))
        .arg("--root")
        .arg(&root)
        .arg("scalesim")
        .env("CARGO_TARGET_DIR", t.path().join("target"))
        .env("CARGO_PROFILE_RELEASE_DEBUG", "0"));
    let bin = root.join("bin/scalesim");
    let version = ok(Command::new(&bin).arg("--version"));
    assert!(version.starts_with("scalesim "), "{version}");
    let scenario = clone.join("examples/kubernetes/scenario/web.yaml");
    let out = t.path().join("run");
    ok(Command::new(&bin)
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(&out)
        .args(["--no-charts", "-q"]));
    assert!(out.join("summary.json").is_file());
}
