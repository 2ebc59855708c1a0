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

/// The text of section `name` of a page: its lines that are not requests.
fn section(page: &str, name: &str) -> Option<String> {
    let start = page.find(&format!(".SH {name}\n"))?;
    let body = page[start..].split_once('\n')?.1;
    let body = body.split("\n.SH ").next()?;
    Some(
        body.lines()
            .filter(|l| !l.starts_with('.'))
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// Every page says what its verb does and when to use it, ends with SEE
/// ALSO, and names no page that does not exist (a new verb gets its SEE
/// ALSO from the pages made; its DESCRIPTION is its clap long help).
#[test]
fn every_page_describes_its_verb_and_names_only_pages_that_exist() {
    let pages = cosect::man::pages();
    let names: Vec<String> = pages.iter().map(|(n, _)| n.trim_end_matches(".1").to_owned()).collect();
    for (name, body) in &pages {
        let text = String::from_utf8_lossy(body);
        let desc = section(&text, "DESCRIPTION").unwrap_or_else(|| panic!("{name} has no DESCRIPTION"));
        assert!(
            desc.len() >= 300
                && desc.trim_end().matches(". ").count() + usize::from(desc.trim_end().ends_with('.')) >= 2,
            "{name}: the DESCRIPTION is too short to say what the verb does and when to use it \
             (write a long help in src/cli: a paragraph after the summary line): {desc:?}"
        );
        assert!(text.contains(".SH \"SEE ALSO\"\n"), "{name} has no SEE ALSO");
        // Every `x(1)`, `.BR x (1)` and `\fBx\fR(1)` names a page made here or a known outside one.
        for (at, _) in text.match_indices("(1)") {
            let before = text[..at].trim_end().trim_end_matches("\\fR");
            let word = before.rsplit([' ', '\n']).next().unwrap().trim_start_matches("\\fB");
            let named = word.replace("\\-", "-");
            assert!(
                names.contains(&named) || cosect::man::OUTSIDE_PAGES.contains(&named.as_str()),
                "{name} names {named}(1), a page that does not exist"
            );
        }
    }
    let main = String::from_utf8_lossy(&pages[0].1).into_owned();
    let security = section(&main, "SECURITY").expect("cosect(1) has a SECURITY section");
    for needed in [
        "semi-honest",
        "fingerprint",
        "carrier",
        "--max-peer-items",
        "state directory",
    ] {
        assert!(
            security.replace("\\-", "-").contains(needed),
            "cosect(1) SECURITY says nothing of {needed}"
        );
    }
}
