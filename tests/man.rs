//! The man pages in `man/` are generated from the clap definition; this test
//! fails when they are stale. Regenerate with:
//!     COSECT_UPDATE_MAN=1 cargo test --test man

use std::path::Path;

#[test]
fn man_pages_are_current() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("man");
    let pages = cosect::man::pages();
    if std::env::var_os("COSECT_UPDATE_MAN").is_some() {
        std::fs::create_dir_all(&dir).unwrap();
        for (name, body) in &pages {
            std::fs::write(dir.join(name), body).unwrap();
        }
    }
    let mut names: Vec<String> = pages.iter().map(|(n, _)| n.clone()).collect();
    for (name, body) in &pages {
        let on_disk = std::fs::read(dir.join(name)).unwrap_or_default();
        assert!(
            on_disk == *body,
            "man/{name} is stale or missing; run `COSECT_UPDATE_MAN=1 cargo test --test man`"
        );
        let text = String::from_utf8_lossy(body);
        assert!(text.contains(".SH \"EXIT STATUS\""), "{name} lacks EXIT STATUS");
        assert!(text.contains(".SH EXAMPLES"), "{name} lacks EXAMPLES");
        assert!(text.contains(".SH FILES"), "{name} lacks FILES");
        assert!(
            text.contains(".SH ENVIRONMENT") && text.contains("RAYON_NUM_THREADS"),
            "{name} lacks ENVIRONMENT"
        );
        assert!(
            !text.contains("cosect\\-help"),
            "{name} points at a cosect-help(1) that does not exist"
        );
        if name == "cosect-respond.1" || name == "cosect-init.1" {
            assert!(
                text.contains("\\fB\\-\\-peer\\fR \\fI<NAME|FILE>\\fR"),
                "{name}: the synopsis hides values"
            );
        }
        if name == "cosect-respond.1" || name == "cosect-finish.1" {
            let desc = text
                .split(".SH DESCRIPTION")
                .nth(1)
                .unwrap()
                .split(".SH OPTIONS")
                .next()
                .unwrap();
            assert!(desc.contains(".PP"), "{name} has no real description");
        }
    }
    let mut extra: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !names.contains(n))
        .collect();
    extra.sort();
    assert!(extra.is_empty(), "man/ holds pages no command has: {extra:?}");
    names.sort();
    for verb in [
        "keygen", "pubkey", "init", "respond", "publish", "finish", "inspect", "demo",
    ] {
        assert!(names.contains(&format!("cosect-{verb}.1")), "no page for {verb}");
    }
}
