//! doc/inputs.md states URL normalization in full and ends it with a table
//! of entries and their canonical forms: every row is checked here against
//! the code the binary runs (`input::url::url`), and one row through the
//! binary, so the spec and the code cannot drift apart.

mod common;

/// The rows of the table after `<!-- url-table -->`: (entry, canonical
/// form, or the reason after "refused: ").
fn rows() -> Vec<(String, Result<String, String>)> {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/doc/inputs.md")).unwrap();
    let table = doc
        .split("<!-- url-table: tests/urls.rs -->")
        .nth(1)
        .expect("the URL table's marker");
    let cell = |c: &str| -> String {
        let c = c.trim().replace("\\|", "|");
        c.strip_prefix('`')
            .and_then(|c| c.strip_suffix('`'))
            .unwrap_or(&c)
            .to_owned()
    };
    let mut rows = Vec::new();
    for line in table.lines().skip_while(|l| l.trim().is_empty()).skip(2) {
        if !line.starts_with('|') {
            break;
        }
        // Split at `|` not escaped as `\|`.
        let mut cells = Vec::new();
        let mut cur = String::new();
        let mut prev = ' ';
        for ch in line.trim().trim_matches('|').chars() {
            if ch == '|' && prev != '\\' {
                cells.push(std::mem::take(&mut cur));
            } else {
                cur.push(ch);
            }
            prev = ch;
        }
        cells.push(cur);
        assert_eq!(cells.len(), 2, "a row of two cells: {line}");
        let want = match cells[1].trim().strip_prefix("refused: ") {
            Some(why) => Err(why.to_owned()),
            None => Ok(cell(&cells[1])),
        };
        rows.push((cell(&cells[0]), want));
    }
    rows
}

#[test]
fn every_row_of_the_url_table_is_what_the_code_makes() {
    let rows = rows();
    assert!(rows.len() >= 80, "the table has {} rows", rows.len());
    let mut wrong = Vec::new();
    for (entry, want) in &rows {
        let got = cosect::input::url::url(entry).map_err(|e| e.to_string());
        if &got != want {
            wrong.push(format!("{entry:?}: doc {want:?}, code {got:?}"));
        }
        // A canonical form is its own canonical form.
        if let Ok(c) = want {
            assert_eq!(
                cosect::input::url::url(c).as_deref(),
                Ok(c.as_str()),
                "{c} is not a fixed point"
            );
        }
    }
    assert!(
        wrong.is_empty(),
        "doc/inputs.md and the code disagree:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_binary_matches_urls_by_their_canonical_form() {
    let (env, a, b) = common::two_lists(
        "http://0x7f.1/a/./b?q='#x\nfoo://0x7f.1/\nhttp://a.1/\n",
        "http://127.0.0.1/a/b?q=%27\nfoo://127.0.0.1/\n",
    );
    let r = common::ok(
        common::init(&env, &a, &b, "alice.txt", &["--kind", "url", "--skip-invalid"], "r1"),
        "init",
    );
    common::has(&r.stderr, "URL host is not a valid IP address");
    common::ok(
        common::respond(&env, &b, &a, "r1", "bob.txt", &["--kind", "url"], "r2"),
        "respond",
    );
    let out = common::ok(common::finish(&env, &a, "r2", &["--reply", "r3"]), "finish");
    assert_eq!(out.stdout, "http://0x7f.1/a/./b?q='#x\n");
}
