//! Man pages generated from the clap definition: `cosect.1` and one
//! `cosect-<verb>.1` per subcommand, each with a synopsis that shows
//! option values, a DESCRIPTION (the verb's long help), EXAMPLES, FILES,
//! ENVIRONMENT, EXIT STATUS and SEE ALSO; `cosect.1` adds SECURITY, the
//! threat model in short. A page names only pages that exist (or
//! [`OUTSIDE_PAGES`]): nested subcommands, which have no page of their
//! own, are named as commands, and SEE ALSO is built from the pages made.
//! A test compares them with `man/`; regenerate with
//! `COSECT_UPDATE_MAN=1 cargo test --test man`.

use clap_mangen::Man;

const EXIT_STATUS: &str = ".SH \"EXIT STATUS\"\n.TP\n\\fB0\\fR\nSuccess.\n.TP\n\\fB1\\fR\nAn error: a file, bundle, identity or \
list was refused or could not be read or written. One line starting with \\fBerror:\\fR names the file and what failed; \
a line starting with \\fBhint:\\fR says what to do. No output file is left behind.\n.TP\n\\fB2\\fR\nA usage error: \
unknown or missing options or values.\n.TP\n\\fB130\\fR\nInterrupted (Ctrl\\-C or SIGTERM): \
the files it was writing were removed.\n";

const FILES: &str = ".SH FILES\n.TP\n\\fI$XDG_CONFIG_HOME/cosect/identity.txt\\fR\nYour identity (default of \\fB\\-i\\fR), \
0600; \\fI~/.config/cosect/identity.txt\\fR when XDG_CONFIG_HOME is unset.\n.TP\n\\fI$XDG_CONFIG_HOME/cosect/peers/NAME.pub\\fR\n\
The peers book (\\fBcosect peers\\fR): one public identity per peer, named by \\fB\\-\\-peer NAME\\fR; \
the default of \\fBserve \\-\\-peers\\fR.\n.TP\n\\fI$XDG_STATE_HOME/cosect/\\fR\n\
The state directory (default of \\fB\\-\\-state\\-dir\\fR; \\fI~/.local/state/cosect/\\fR when XDG_STATE_HOME is unset), \
0700, every file in it 0600 and age\\-encrypted to your own identity.\n.TP\n\\fIsessions/<id>.age\\fR\n\
One open mutual exchange: your list and the round's secret, until the exchange finishes or expires.\n.TP\n\
\\fIcatalog/key.age\\fR\nThe keys of the publisher's live catalogs, their counts of answered queries, and the public facts \
of retired ones.\n.TP\n\\fIanswered/\\fR\nEvery round 1 and catalog query you answered, with the answer sent, \
kept until each request expires: the same bundle again gets the same answer, another bundle for it is refused.\n.TP\n\
\\fIlock\\fR\nThe lock every commit takes, so that several cosect processes can share the directory.\n.TP\n\\fIcatalog/queries/<id>.age\\fR\n\
One open catalog query of a client.\n.TP\n\\fIFILE.part\\-I\\-of\\-N\\fR\nThe parts of a bundle written with \\fB\\-\\-split\\fR; \
pass all of them, in any order, to the verb that reads the bundle.\n";

const ENVIRONMENT: &str = ".SH ENVIRONMENT\n.TP\n\\fBXDG_CONFIG_HOME\\fR, \\fBHOME\\fR\nWhere the default identity is \
(see FILES).\n.TP\n\\fBXDG_STATE_HOME\\fR\nWhere the default state directory is (see FILES).\n.TP\n\\fBNO_COLOR\\fR\n\
cosect prints no colour; progress bars appear only when standard error is a terminal.\n.TP\n\
\\fBRAYON_NUM_THREADS\\fR\nHow many threads the group operations use (default: one per core).\n.TP\n\
\\fBTMPDIR\\fR\nWhere \\fBcosect demo\\fR makes its directory without \\fB\\-\\-dir\\fR. Other outputs are written \
through a temporary file beside them, then renamed.\n";

/// The threat model in short, for `cosect(1)` (doc/bundle-format.md §12 in
/// full): its paragraphs, plain text.
const SECURITY: &[&str] = &[
    "Each side learns the entries both lists hold (in cardinality mode only their number; in one-sided mode only \
     the initiator learns), the other side's element count (its list size, or an upper bound with --pad-to), the \
     kind setting, the peer's public identity and the bundle times: nothing else about the other list. A catalog's \
     publisher learns only the size of each query; a client learns which of its entries the catalog holds, and \
     their labels.",
    "This holds against a semi-honest peer, who runs cosect as shipped but studies what it receives (decisional \
     Diffie-Hellman in ristretto255, entries hashed to the group as a random oracle). A peer may still list entries \
     it does not hold, even every IPv4 address, to test for them: --max-peer-items, --max-query-items and --budget \
     bound how many, and cosect inspect shows the count before you answer. A peer running modified code can learn \
     which entries are shared in cardinality mode, withhold round 3, or make your result wrong; it cannot learn \
     entries of yours that it did not list itself.",
    "Every bundle is signed, and age-encrypted to its recipient unless --no-encrypt: a carrier (mail, drive, \
     network) sees only its size, which tells the element count. Someone who sees round 2 and round 3 unencrypted \
     learns how many entries are shared. A peer is who its fingerprint says: compare fingerprints by phone once; the \
     name in a public identity is a label the fingerprint does not cover.",
    "The state directory keeps your list and each session's secret until the exchange finishes or expires, \
     age-encrypted to your identity: whoever holds the identity file can read them, and deleting does not scrub \
     disks or backups. Only serve and send use the network. The full analysis: doc/bundle-format.md, section 12.",
];

fn security() -> String {
    let mut out = String::from(".SH SECURITY\n");
    for p in SECURITY {
        out.push_str(&format!(".PP\n{}\n", roff_escape(p)));
    }
    out
}

/// Pages named in SEE ALSO that are not cosect's own.
pub const OUTSIDE_PAGES: &[&str] = &["age", "age-keygen"];

/// The pages a verb's SEE ALSO names after cosect(1), nearest first; a verb
/// not listed (a new one) names every other verb's page.
const RELATED: &[(&str, &[&str])] = &[
    ("keygen", &["pubkey", "init", "demo"]),
    ("pubkey", &["keygen", "init"]),
    ("init", &["respond", "finish", "inspect", "sessions", "publish"]),
    ("respond", &["init", "finish", "inspect", "sessions", "serve"]),
    ("finish", &["init", "respond", "inspect", "sessions"]),
    ("publish", &["catalogs", "init", "respond", "finish", "serve"]),
    ("sessions", &["init", "respond", "finish", "catalogs"]),
    ("catalogs", &["publish", "respond", "sessions"]),
    ("inspect", &["init", "respond", "finish"]),
    ("demo", &["keygen", "init", "respond", "finish", "inspect"]),
    ("completions", &[]),
    ("serve", &["send", "respond", "finish", "publish"]),
    ("send", &["serve", "init", "finish", "respond"]),
];

/// `.SH "SEE ALSO"` for `verb` ("" for the main page), naming only pages in
/// `verbs` (those made) and [`OUTSIDE_PAGES`].
fn see_also(verb: &str, verbs: &[String]) -> String {
    let mut names: Vec<String> = Vec::new();
    if verb.is_empty() {
        names.extend(verbs.iter().map(|v| format!("cosect-{v}")));
        names.extend(OUTSIDE_PAGES.iter().map(|p| p.to_string()));
    } else {
        names.push("cosect".into());
        let listed = RELATED.iter().find(|(v, _)| *v == verb).map(|(_, r)| *r);
        let related: Vec<&str> = match listed {
            Some(r) => r.iter().copied().filter(|r| verbs.iter().any(|v| v == r)).collect(),
            None => verbs.iter().map(|v| v.as_str()).filter(|v| *v != verb).collect(),
        };
        names.extend(related.iter().map(|r| format!("cosect-{r}")));
    }
    let mut out = String::from(".SH \"SEE ALSO\"\n");
    for (i, n) in names.iter().enumerate() {
        let comma = if i + 1 < names.len() { "," } else { "" };
        out.push_str(&format!(".BR {} (1){comma}\n", roff_escape(n)));
    }
    out.push_str(
        ".PP\nThe formats and the protocol: doc/bundle\\-format.md, doc/catalog\\-format.md, doc/inputs.md \
and doc/serve.md in the source or the release tarball.\n",
    );
    out
}

/// clap_mangen names a nested subcommand as a page of its own
/// (`cosect\-sessions\-cancel(1)`), which does not exist: name it as the
/// command it is (`cosect sessions cancel`).
fn name_subcommands(page: String, pages: &[String]) -> String {
    page.split_inclusive('\n')
        .map(|l| {
            let line = l.trim_end_matches('\n');
            match line.strip_suffix("(1)") {
                Some(n)
                    if n.starts_with("cosect\\-") && !n.contains(' ') && !pages.contains(&n.replace("\\-", "-")) =>
                {
                    format!("\\fB{}\\fR\n", n.replace("\\-", " "))
                }
                _ => l.to_owned(),
            }
        })
        .collect()
}

/// Each verb's examples ("": the main page's): what it does, the command.
type Examples = &'static [(&'static str, &'static str)];

const EXAMPLES: &[(&str, Examples)] = &[
    ("", &[
        ("Each side, once:", "cosect keygen -o alice.id --name \"ACME CERT\" > alice.pub"),
        ("Alice starts:", "cosect init -i alice.id --peer bob.pub --input iocs.txt --kind domain -o r1.age"),
        ("Bob answers:", "cosect respond r1.age -i bob.id --peer alice.pub --input customers.txt -o r2.age"),
        ("Alice learns the shared entries and writes round 3:", "cosect finish r2.age -i alice.id --reply r3.age -o shared.txt"),
        ("Bob learns them too:", "cosect finish r3.age -i bob.id -o shared.txt"),
        ("A CERT publishes its list once, with labels, as a catalog for many members:", "cosect publish -i cert.id --input iocs.tsv --kind domain --labels -o catalog.cbor"),
        ("A member looks its own entries up in it:", "cosect init -i carol.id --catalog catalog.cbor --peer cert.pub --input mine.txt -o query.cbor"),
        ("The CERT answers (no list needed; it learns only the query size):", "cosect respond query.cbor -i cert.id --peer carol.pub -o answer.cbor"),
        ("The member learns which of its entries are in the catalog, with their labels:", "cosect finish answer.cbor -i carol.id -o matches.txt"),
    ]),
    ("keygen", &[
        ("Create an identity and save the public line for your peer:", "cosect keygen -o alice.id --name \"ACME CERT\" > alice.pub"),
    ]),
    ("pubkey", &[
        ("Print the public identity line again:", "cosect pubkey -i alice.id"),
        ("Print it as JSON:", "cosect pubkey -i alice.id --json"),
    ]),
    ("init", &[
        ("Start a mutual exchange of domains, encrypted to the peer:", "cosect init -i alice.id --peer bob.pub --input iocs.txt --kind domain -o r1.age"),
        ("Learn only the number of shared IPs, hiding the list size below 100000:", "cosect init -i alice.id --peer bob.pub --input ips.txt --kind ip --mode cardinality --pad-to 100000 -o r1.cbor"),
        ("A MISP event export; format and each entry's kind are detected (--kind auto):", "cosect init -i alice.id --peer bob.pub --input misp-event.json -o r1.cbor"),
        ("One column of a CSV asset list, as domains:", "cosect init -i alice.id --peer bob.pub --input assets.csv --column hostname --kind domain -o r1.cbor"),
        ("A mixed indicator list, listing every skipped line:", "cosect init -i alice.id --peer bob.pub --input iocs.txt --kind auto --skip-invalid --verbose -o r1.cbor"),
        ("A list copied from a threat report (hxxp://evil[.]example is refanged), listing near-misses:", "cosect init -i alice.id --peer bob.pub --input report-iocs.txt --verbose -o r1.cbor"),
        ("Several files as one list (each file's format detected; duplicates merged):", "cosect init -i alice.id --peer bob.pub --input iocs.txt --input assets.csv --input misp-event.json --column hostname -o r1.cbor"),
        ("Also compare each URL's host as a domain, and the addresses of ranges up to a /24:", "cosect init -i alice.id --peer bob.pub --input proxy-iocs.txt --url-hosts --expand-cidr 256 -o r1.cbor"),
        ("Query a published catalog (its kind is used), hiding your list size below 10000:", "cosect init -i carol.id --catalog catalog.cbor --peer cert.pub --input mine.txt --pad-to 10000 -o query.cbor"),
    ]),
    ("respond", &[
        ("Answer round 1 with your own list:", "cosect respond r1.age -i bob.id --peer alice.pub --input customers.txt -o r2.age"),
        ("ASCII-armored, to paste into a mail body:", "cosect respond r1.age -i bob.id --peer alice.pub --input customers.txt --armor -o r2.txt"),
        ("Round 1 as it arrived: a saved mail, or parts written with --split (any order):", "cosect respond round1.eml -i bob.id --peer alice.pub --input customers.txt -o r2.age"),
        ("Parts that came one per mail, as the saved mails (any order):", "cosect respond part1.eml part2.eml part3.eml -i bob.id --peer alice.pub --input customers.txt -o r2.age"),
        ("In parts of at most 7 MiB each, to fit a 10 MB mail limit once base64-encoded (r2.age.part-1-of-N, ...):", "cosect respond r1.age.part-* -i bob.id --peer alice.pub --input customers.txt --split 7M -o r2.age"),
        ("Answer with a STIX 2.1 bundle (the kind setting of round 1 is used):", "cosect respond r1.cbor -i bob.id --peer alice.pub --input feed.stix.json --input-format stix -o r2.cbor"),
        ("Answer a query against your published catalog (no --input), at most 50000 elements:", "cosect respond query.cbor -i cert.id --peer carol.pub --max-query-items 50000 -o answer.age"),
    ]),
    ("finish", &[
        ("Initiator, with round 2; writes round 3 for the peer:", "cosect finish r2.age -i alice.id --reply r3.age -o shared.txt"),
        ("Responder, with round 3, as JSON (kind, value and source id of each entry):", "cosect finish r3.age -i bob.id --format json"),
        ("As CSV: kind, value, source (STIX or MISP), file, line and a CSV input's other columns (one row per place):", "cosect finish r3.age -i bob.id --format csv -o shared.csv"),
        ("Catalog client: the matches and their labels as CSV:", "cosect finish answer.cbor -i carol.id --format csv -o matches.csv"),
        ("For OpenCTI: a STIX 2.1 bundle of indicators and sightings (import it as a file):", "cosect finish r3.age -i bob.id --format stix -o shared.stix.json"),
        ("For MISP: one event, an attribute per entry (in MISP: Import from, MISP JSON):", "cosect finish r3.age -i bob.id --format misp -o shared.misp.json"),
    ]),
    ("publish", &[
        ("Publish a list of domains as a catalog (a new key; earlier catalogs stay live):", "cosect publish -i cert.id --input iocs.txt --kind domain -o catalog.cbor"),
        ("Publish a new catalog and retire the one `cosect catalogs` lists as 1a2b3c4d5e6f7a8b:", "cosect publish -i cert.id --input iocs.txt --replace 1a2b3c4d5e6f7a8b -o catalog.cbor"),
        ("With labels: each line is entry<TAB>label (e.g. first seen, confidence, campaign):", "cosect publish -i cert.id --input iocs.tsv --kind domain --labels --expires 30d -o catalog.cbor"),
        ("Check what the catalog holds before sending it out:", "cosect inspect catalog.cbor --peer cert.pub"),
        ("For a closed group: encrypted to each member, who reads it with their own identity:", "cosect publish -i cert.id --input iocs.txt --encrypt-to carol.pub --encrypt-to dave.pub -o catalog.age"),
    ]),
    ("peers", &[
        ("Keep Bob's public identity as bob (shows his name and fingerprint: compare them by phone):", "cosect peers add bob bob.pub"),
        ("Then name him instead of the file:", "cosect init --peer bob --input iocs.txt -o r1.age"),
        ("List the book (names, fingerprints, when added):", "cosect peers"),
        ("Forget a peer, e.g. before adding their new key:", "cosect peers remove bob"),
        ("Serve the peers of the book (its default --peers):", "cosect serve --listen 127.0.0.1:8443 --catalog catalog.cbor"),
    ]),
    ("sessions", &[
        ("List your open sessions and catalog queries:", "cosect sessions -i alice.id"),
        ("The same as JSON:", "cosect sessions -i alice.id --json"),
        ("Cancel one (the first 8 hex digits of its id will do):", "cosect sessions cancel 1a2b3c4d -i alice.id"),
    ]),
    ("catalogs", &[
        ("List your live catalogs and how many queries each answered:", "cosect catalogs -i cert.id"),
        ("Retire one: queries against it are refused from now on:", "cosect catalogs retire 1a2b3c4d5e6f7a8b -i cert.id"),
    ]),
    ("inspect", &[
        ("Check who sent a bundle and how many entries it holds:", "cosect inspect r1.age -i bob.id --peer alice.pub"),
        ("The same as JSON:", "cosect inspect r1.age -i bob.id --json"),
        ("What one part of a split bundle is part of:", "cosect inspect r1.age.part-2-of-4"),
    ]),
    ("preview", &[
        ("How a list copied from a report will be read (kinds, refanged entries, near-misses):", "cosect preview --input report-iocs.txt"),
        ("Three files as one list, as JSON:", "cosect preview --input iocs.txt --input customers.csv --input misp-event.json --column domain --json"),
    ]),
    ("demo", &[("A complete exchange on sample data, narrated on stderr:", "cosect demo")]),
    ("serve", &[
        ("Answer catalog queries of the peers in peers/ (their .pub files), 100000 entries per peer per day, with an audit log:", "cosect serve --listen 0.0.0.0:8443 --peers peers/ --catalog catalog.cbor -i cert.id --budget 100000 --audit audit.jsonl"),
        ("Also answer mutual exchanges with a list; results go to one file per session:", "cosect serve --listen 127.0.0.1:8443 --peers peers/ --input iocs.txt -i cert.id --results results/"),
        ("The same, each session's results as a MISP event to import:", "cosect serve --listen 127.0.0.1:8443 --peers peers/ --input iocs.txt -i cert.id --results-format misp"),
    ]),
    ("send", &[
        ("A catalog query, then finish offline:", "cosect send https://cert.example:8443 query.cbor --peer cert.pub -i carol.id -o answer.cbor"),
        ("A mutual exchange: round 1, then round 3 (the server returns nothing for it):", "cosect send https://127.0.0.1:8443 r1.cbor --peer srv.pub -i alice.id -o r2.cbor"),
    ]),
    ("completions", &[
        ("Bash completions for your user:", "cosect completions bash > ~/.local/share/bash-completion/completions/cosect"),
        ("Zsh completions:", "cosect completions zsh > ~/.zfunc/_cosect"),
    ]),
];

fn examples(verb: &str) -> Examples {
    EXAMPLES.iter().find(|(v, _)| *v == verb).map_or(&[], |(_, e)| e)
}

/// `--peer <FILE>`: an option as the synopsis shows it.
fn synopsis_arg(a: &clap::Arg) -> Option<String> {
    let names = match (a.get_short(), a.get_long()) {
        (Some(s), Some(l)) => format!("\\fB\\-{s}\\fR|\\fB\\-\\-{}\\fR", roff_escape(l)),
        (None, Some(l)) => format!("\\fB\\-\\-{}\\fR", roff_escape(l)),
        (Some(s), None) => format!("\\fB\\-{s}\\fR"),
        (None, None) => return None,
    };
    let takes = a.get_num_args().is_some_and(|n| n.takes_values());
    let value = match a.get_value_names() {
        Some(v) if takes => format!(" \\fI<{}>\\fR", roff_escape(&v.join(" "))),
        None if takes => format!(" \\fI<{}>\\fR", a.get_id().as_str().to_uppercase()),
        _ => String::new(),
    };
    let more = if a.get_num_args().is_some_and(|n| n.max_values() > 1) {
        "..."
    } else {
        ""
    };
    Some(if a.is_required_set() {
        format!("{names}{value}{more}")
    } else {
        format!("[{names}{value}{more}]")
    })
}

/// The SYNOPSIS line: every option with its value, then the operands.
fn synopsis(cmd: &clap::Command) -> String {
    let name = cmd.get_bin_name().unwrap_or_else(|| cmd.get_name());
    let mut line = vec![format!("\\fB{}\\fR", roff_escape(name))];
    line.extend(
        cmd.get_arguments()
            .filter(|a| !a.is_hide_set() && !a.is_positional())
            .filter_map(synopsis_arg),
    );
    for p in cmd.get_positionals() {
        let v = p
            .get_value_names()
            .map_or_else(|| p.get_id().to_string(), |v| v.join(" "));
        let more = if p.get_num_args().is_some_and(|n| n.max_values() > 1) {
            "..."
        } else {
            ""
        };
        line.push(format!("\\fI<{v}>\\fR{more}"));
    }
    if cmd.has_subcommands() {
        line.push("\\fI<command>\\fR".into());
    }
    line.join(" ")
}

fn render(cmd: clap::Command, verb: &str, verbs: &[String]) -> Vec<u8> {
    let mut page = Vec::new();
    let syn = synopsis(&cmd);
    Man::new(cmd)
        .render(&mut page)
        .expect("rendering to memory cannot fail");
    // clap_mangen's synopsis names options without their values: put ours
    // in its place (the line after `.SH SYNOPSIS`).
    let text = String::from_utf8(page).expect("roff is UTF-8");
    let mut lines: Vec<&str> = text.split_inclusive('\n').collect();
    if let Some(i) = lines.iter().position(|l| l.starts_with(".SH SYNOPSIS")) {
        lines[i + 1] = "";
    }
    let mut out = Vec::new();
    for l in lines.iter().filter(|l| !l.is_empty()) {
        out.extend_from_slice(l.as_bytes());
        if l.starts_with(".SH SYNOPSIS") {
            out.extend_from_slice(format!("{syn}\n").as_bytes());
        }
    }
    let ex = examples(verb);
    if !ex.is_empty() {
        out.extend_from_slice(b".SH EXAMPLES\n");
        for (what, cmdline) in ex {
            out.extend_from_slice(
                format!(".PP\n{what}\n.PP\n.nf\n.RS 4\n{}\n.RE\n.fi\n", roff_escape(cmdline)).as_bytes(),
            );
        }
    }
    out.extend_from_slice(FILES.as_bytes());
    out.extend_from_slice(ENVIRONMENT.as_bytes());
    out.extend_from_slice(EXIT_STATUS.as_bytes());
    if verb.is_empty() {
        out.extend_from_slice(security().as_bytes());
    }
    out.extend_from_slice(see_also(verb, verbs).as_bytes());
    let pages: Vec<String> = std::iter::once("cosect".to_owned())
        .chain(verbs.iter().map(|v| format!("cosect-{v}")))
        .collect();
    name_subcommands(String::from_utf8(out).expect("roff is UTF-8"), &pages).into_bytes()
}

fn roff_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('-', "\\-")
}

/// All pages: (file name, contents).
pub fn pages() -> Vec<(String, Vec<u8>)> {
    // The long version names this machine's CPU backend: not for a man page.
    // No `help` subcommand in the pages: there is no cosect-help(1).
    let mut cmd = crate::cli::command()
        .long_version(None::<&str>)
        .disable_help_subcommand(true);
    cmd.build();
    let verbs: Vec<String> = (cmd.get_subcommands())
        .map(|s| s.get_name().to_owned())
        .filter(|v| v != "help")
        .collect();
    let mut pages = vec![("cosect.1".to_owned(), render(cmd.clone(), "", &verbs))];
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let verb = sub.get_name().to_owned();
        let name = format!("cosect-{verb}");
        let page = sub
            .clone()
            .name(name.clone())
            .display_name(name.clone())
            .bin_name(format!("cosect {verb}"));
        pages.push((format!("{name}.1"), render(page, &verb, &verbs)));
    }
    pages
}
