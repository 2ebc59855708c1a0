//! The peers book (`cosect peers`, `--peer NAME`), through the binary:
//! each party has its own identity, state directory and config directory
//! (so its own book), and the book is the directory `serve` reads.

mod common;

use std::process::Stdio;

use common::*;

/// Run as `who`: its own config directory (`<who>-config`, so its own
/// peers book), identity and state directory where the verb takes them.
fn as_who(env: &Env, who: &str, args: &[&str]) -> Run {
    let mut c = env.command(args);
    c.env("XDG_CONFIG_HOME", env.path(&format!("{who}-config")));
    c.output().unwrap().into()
}

/// The book directory of `who`.
fn book(who: &str) -> String {
    format!("{who}-config/cosect/peers")
}

#[test]
fn a_whole_exchange_by_book_names() {
    let (env, a, b) = two_lists("a.example\nb.example\nc.example\n", "b.example\nc.example\nd.example\n");
    // Adding shows the name and the fingerprint, and asks nothing.
    let r = ok(as_who(&env, "alice", &["peers", "add", "bob", &b.public]), "peers add");
    let fp_b = b_fingerprint(&env, &b);
    has(
        &r.stderr,
        &format!("added Bob MSSP with fingerprint {fp_b} to your peers book as bob"),
    );
    has(&r.stderr, "compare the fingerprint");
    ok(
        as_who(&env, "bob", &["peers", "add", "alice-cert", &a.public]),
        "peers add",
    );
    // Listed with the name, fingerprint and when added.
    let list = ok(as_who(&env, "alice", &["peers"]), "peers").stdout;
    let mut lines = list.lines();
    has(lines.next().unwrap(), "NAME");
    let row = lines.next().unwrap();
    assert!(row.starts_with("bob "), "{row}");
    has(row, &fp_b);
    has(row, "Bob MSSP");
    has(row, "20");
    let listed = json(ok(as_who(&env, "alice", &["peers", "--json"]), "peers --json").stdout);
    assert_eq!(listed[0]["name"], "bob");
    assert_eq!(listed[0]["fingerprint"], fp_b.as_str());
    assert!(listed[0]["added"].as_str().unwrap().starts_with("20"));

    // The whole exchange with --peer NAME, encrypted.
    let st = |p: &Party| ["-i".to_owned(), p.id.clone(), "--state-dir".to_owned(), p.state.clone()];
    let sa = st(&a);
    let sb = st(&b);
    let sa: Vec<&str> = sa.iter().map(String::as_str).collect();
    let sb: Vec<&str> = sb.iter().map(String::as_str).collect();
    let r = as_who(
        &env,
        "alice",
        &[&["init", "--peer", "bob", "--input", "alice.txt", "-o", "r1"], &sa[..]].concat(),
    );
    has(&ok(r, "init --peer bob").stderr, &format!("for Bob MSSP ({fp_b})"));
    let r = as_who(&env, "bob", &["inspect", "r1", "--peer", "alice-cert", "-i", &b.id]);
    has(
        &ok(r, "inspect --peer alice-cert").stdout,
        "valid: signed by your peer ACME CERT",
    );
    let r = as_who(
        &env,
        "bob",
        &[
            &[
                "respond",
                "r1",
                "--peer",
                "alice-cert",
                "--input",
                "bob.txt",
                "-o",
                "r2",
            ],
            &sb[..],
        ]
        .concat(),
    );
    ok(r, "respond --peer alice-cert");
    let r = ok(
        as_who(&env, "alice", &[&["finish", "r2", "--reply", "r3"], &sa[..]].concat()),
        "finish",
    );
    assert_eq!(r.stdout, "b.example\nc.example\n");
    let r = ok(as_who(&env, "bob", &[&["finish", "r3"], &sb[..]].concat()), "finish r3");
    assert_eq!(r.stdout, "b.example\nc.example\n");

    // A name Alice's book lacks is said to be a book name, not a file.
    let e = err(
        as_who(
            &env,
            "alice",
            &[&["init", "--peer", "carol", "--input", "alice.txt", "-o", "x"], &sa[..]].concat(),
        ),
        "init --peer carol",
    );
    has(&e, "--peer carol: no peer carol in your peers book (");
    has(&e, "hint: add it with `cosect peers add carol FILE.pub`");
    // bob.pub is here: the hint says how to name it.
    let e = err(
        as_who(
            &env,
            "bob",
            &[&["init", "--peer", "alice", "--input", "bob.txt", "-o", "x"], &sb[..]].concat(),
        ),
        "init --peer alice",
    );
    has(&e, "write --peer alice.pub");
    // … even when a file of that name is here: said how to use it.
    env.write("carol", env.read(&b.public));
    let e = err(
        as_who(
            &env,
            "alice",
            &[&["init", "--peer", "carol", "--input", "alice.txt", "-o", "x"], &sa[..]].concat(),
        ),
        "init --peer carol",
    );
    has(&e, "write ./carol");
    // A value with / is a file.
    ok(
        as_who(
            &env,
            "alice",
            &[
                &["init", "--peer", "./carol", "--input", "alice.txt", "-o", "x"],
                &sa[..],
            ]
            .concat(),
        ),
        "init --peer ./carol",
    );
    // inspect FILE.pub: whose it is, and its name in the book.
    let r = ok(as_who(&env, "alice", &["inspect", &b.public]), "inspect bob.pub");
    has(&r.stdout, "name:        Bob MSSP");
    has(&r.stdout, &format!("fingerprint: {fp_b}"));
    has(&r.stdout, "in your peers book as bob");
    let r = ok(
        as_who(&env, "alice", &["inspect", &a.public, "--json"]),
        "inspect alice.pub",
    );
    let v = json(r.stdout);
    assert_eq!(v["name"], "ACME CERT");
    assert_eq!(v["peers_book_name"], serde_json::Value::Null);
}

fn b_fingerprint(env: &Env, b: &Party) -> String {
    let v = json(env.ok(&["pubkey", "-i", &b.id, "--json"]).stdout);
    v["fingerprint"].as_str().unwrap().to_owned()
}

#[test]
fn the_book_refuses_what_would_mislead() {
    let env = Env::new();
    let a = env.party("alice", "ACME CERT");
    let b = env.party("bob", "Bob MSSP");
    let c = env.party("carol", "Carol");
    ok(as_who(&env, "me", &["peers", "add", "bob", &b.public]), "add");
    // The same again, or another key under that name: refused, the book unchanged.
    let e = err(as_who(&env, "me", &["peers", "add", "bob", &b.public]), "add again");
    has(&e, "bob is already in your peers book, with this very key");
    let e = err(
        as_who(&env, "me", &["peers", "add", "bob", &c.public]),
        "add another key",
    );
    has(&e, "bob is already in your peers book with another key: Bob MSSP (");
    has(&e, "`cosect peers remove bob` first");
    // The same key under a second name.
    let e = err(
        as_who(&env, "me", &["peers", "add", "bobby", &b.public]),
        "add under another name",
    );
    has(&e, "is already in your peers book as bob");
    // Names that would be paths or odd files.
    for bad in ["../x", "a/b", ".hidden", "bob.pub", "x y", "-x"] {
        let r = as_who(&env, "me", &["peers", "add", bad, &c.public]);
        if bad == "-x" {
            assert_ne!(r.code, 0, "{bad}");
            continue;
        }
        has(&err(r, bad), "not usable as a peer name");
    }
    let names: Vec<String> = std::fs::read_dir(env.path(&book("me")))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["bob.pub"]);
    // Removing, then adding the new key.
    let r = ok(as_who(&env, "me", &["peers", "remove", "bob"]), "remove");
    has(&r.stderr, "removed bob: Bob MSSP (");
    has(
        &err(as_who(&env, "me", &["peers", "remove", "bob"]), "remove again"),
        "no peer bob in your peers book",
    );
    ok(
        as_who(&env, "me", &["peers", "add", "bob", &c.public]),
        "add the new key",
    );
    // One's own identity is not a peer.
    ok(
        as_who(&env, "alice", &["keygen", "--name", "ACME CERT"]),
        "keygen default",
    );
    let own = env.path("alice-config/cosect/identity.txt");
    let line = ok(
        as_who(&env, "alice", &["pubkey", "-i", own.to_str().unwrap()]),
        "pubkey",
    )
    .stdout;
    env.write("own.pub", line);
    let e = err(as_who(&env, "alice", &["peers", "add", "me", "own.pub"]), "add own");
    has(&e, "own.pub: this is your own public identity");
    let _ = a;
}

/// Several `peers add` of one name at once, each with another key: one
/// writes its entry whole, every other is refused; nothing else is left.
#[test]
fn concurrent_adds_of_one_name_leave_one_entry() {
    let env = Env::new();
    let keys: Vec<Party> = (0..6)
        .map(|i| env.party(&format!("p{i}"), &format!("Peer {i}")))
        .collect();
    let children: Vec<_> = keys
        .iter()
        .map(|p| {
            let mut c = env.command(&["peers", "add", "same", &p.public]);
            c.env("XDG_CONFIG_HOME", env.path("me-config"));
            c.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()
        })
        .collect();
    let runs: Vec<Run> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap().into())
        .collect();
    let won: Vec<usize> = (0..runs.len()).filter(|&i| runs[i].code == 0).collect();
    assert_eq!(won.len(), 1, "{runs:?}");
    for (i, r) in runs.iter().enumerate() {
        if i != won[0] {
            has(&r.stderr, "same is already in your peers book with another key");
        }
    }
    let entry = env.read(&format!("{}/same.pub", book("me")));
    has(&entry, &keys[won[0]].line);
    let dir: Vec<String> = std::fs::read_dir(env.path(&book("me")))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(dir, ["same.pub"], "temporary files left behind");
}

/// The book is the directory `serve --peers` reads (and its default), and
/// `send --peer NAME` finds the server in the client's book.
#[cfg(feature = "serve")]
#[test]
fn serve_reads_the_book() {
    use common::serve::*;
    let env = world();
    // The server's book holds carol only; carol's book holds the server.
    ok(
        as_who(&env, "srv", &["peers", "add", "carol", "carol.pub"]),
        "srv adds carol",
    );
    ok(
        as_who(&env, "carol", &["peers", "add", "srv", "srv.pub"]),
        "carol adds srv",
    );
    ok(
        as_who(&env, "dave", &["peers", "add", "srv", "srv.pub"]),
        "dave adds srv",
    );
    let r = as_who(
        &env,
        "srv",
        &[
            "publish",
            "--input",
            "iocs.txt",
            "-o",
            "catalog.cbor",
            "-i",
            "srv.id",
            "--state-dir",
            "st-srv",
        ],
    );
    ok(r, "publish");
    for explicit in [true, false] {
        let conf = env.path("srv-config");
        let s = if explicit {
            Server::start_from_book(&env, &["--peers", &book("srv"), "--catalog", "catalog.cbor"], &[])
        } else {
            Server::start_from_book(&env, &["--catalog", "catalog.cbor"], &[("XDG_CONFIG_HOME", &conf)])
        };
        let out = format!("got-{explicit}.cbor");
        let r = as_who(
            &env,
            "carol",
            &[
                "send",
                &s.url,
                "--fetch-catalog",
                "--peer",
                "srv",
                "-i",
                "carol.id",
                "-o",
                &out,
            ],
        );
        ok(r, "carol's send --peer srv");
        let q = [
            "init",
            "--catalog",
            &out,
            "--peer",
            "srv",
            "--input",
            "carol.txt",
            "-i",
            "carol.id",
        ];
        let qo = format!("q-{explicit}");
        ok(
            as_who(
                &env,
                "carol",
                &[&q[..], &["--state-dir", "st-carol", "-o", &qo]].concat(),
            ),
            "query",
        );
        let ao = format!("a-{explicit}");
        let r = as_who(
            &env,
            "carol",
            &["send", &s.url, &qo, "--peer", "srv", "-i", "carol.id", "-o", &ao],
        );
        ok(r, "send the query");
        let r = ok(
            as_who(
                &env,
                "carol",
                &["finish", &ao, "-i", "carol.id", "--state-dir", "st-carol"],
            ),
            "finish",
        );
        assert_eq!(r.stdout, "EVIL.example\nworse.example.\n");
        // Dave is in peers/ but not in the server's book: refused at the handshake.
        let r = as_who(
            &env,
            "dave",
            &[
                "send",
                &s.url,
                "--fetch-catalog",
                "--peer",
                "srv",
                "-i",
                "dave.id",
                "-o",
                "d.cbor",
            ],
        );
        assert_eq!(r.code, 1, "dave got in: {}", r.stderr);
        env.assert_absent("d.cbor");
    }
}
