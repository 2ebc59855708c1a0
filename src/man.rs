//! Man pages generated from the clap definition: `cosect.1` and one
//! `cosect-<verb>.1` per subcommand, each with a synopsis that shows
//! option values, EXAMPLES, FILES, ENVIRONMENT and EXIT STATUS.
//! A test compares them with `man/`; regenerate with
//! `COSECT_UPDATE_MAN=1 cargo test --test man`.

use clap_mangen::Man;

const EXIT_STATUS: &str = ".SH \"EXIT STATUS\"\n.TP\n\\fB0\\fR\nSuccess.\n.TP\n\\fB1\\fR\nAn error: a file, bundle, identity or \
list was refused or could not be read or written. One line starting with \\fBerror:\\fR names the file and what failed; \
a line starting with \\fBhint:\\fR says what to do. No output file is left behind.\n.TP\n\\fB2\\fR\nA usage error: \
unknown or missing options or values.\n.TP\n\\fB130\\fR\nInterrupted (Ctrl\\-C or SIGTERM): \
the files it was writing were removed.\n";

const FILES: &str = ".SH FILES\n.TP\n\\fI$XDG_CONFIG_HOME/cosect/identity.txt\\fR\nYour identity (default of \\fB\\-i\\fR), \
0600; \\fI~/.config/cosect/identity.txt\\fR when XDG_CONFIG_HOME is unset.\n.TP\n\\fI$XDG_STATE_HOME/cosect/\\fR\n\
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
        ("In parts of at most 10 MB each, to fit mail (r2.age.part-1-of-N, ...):", "cosect respond r1.age.part-* -i bob.id --peer alice.pub --input customers.txt --split 10M -o r2.age"),
        ("Answer with a STIX 2.1 bundle (the kind setting of round 1 is used):", "cosect respond r1.cbor -i bob.id --peer alice.pub --input feed.stix.json --input-format stix -o r2.cbor"),
        ("Answer a query against your published catalog (no --input), at most 50000 elements:", "cosect respond query.cbor -i cert.id --peer carol.pub --max-query-items 50000 -o answer.age"),
    ]),
    ("finish", &[
        ("Initiator, with round 2; writes round 3 for the peer:", "cosect finish r2.age -i alice.id --reply r3.age -o shared.txt"),
        ("Responder, with round 3, as JSON (kind, value and source id of each entry):", "cosect finish r3.age -i bob.id --format json"),
        ("As CSV: kind, value, source (STIX or MISP), file, line and a CSV input's other columns (one row per place):", "cosect finish r3.age -i bob.id --format csv -o shared.csv"),
        ("Catalog client: the matches and their labels as CSV:", "cosect finish answer.cbor -i carol.id --format csv -o matches.csv"),
    ]),
    ("publish", &[
        ("Publish a list of domains as a catalog (a new key; earlier catalogs stay live):", "cosect publish -i cert.id --input iocs.txt --kind domain -o catalog.cbor"),
        ("Publish a new catalog and retire the one `cosect catalogs` lists as 1a2b3c4d5e6f7a8b:", "cosect publish -i cert.id --input iocs.txt --replace 1a2b3c4d5e6f7a8b -o catalog.cbor"),
        ("With labels: each line is entry<TAB>label (e.g. first seen, confidence, campaign):", "cosect publish -i cert.id --input iocs.tsv --kind domain --labels --expires 30d -o catalog.cbor"),
        ("Check what the catalog holds before sending it out:", "cosect inspect catalog.cbor --peer cert.pub"),
        ("For a closed group: encrypted to each member, who reads it with their own identity:", "cosect publish -i cert.id --input iocs.txt --encrypt-to carol.pub --encrypt-to dave.pub -o catalog.age"),
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

fn render(cmd: clap::Command, verb: &str) -> Vec<u8> {
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
    out
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
    let mut pages = vec![("cosect.1".to_owned(), render(cmd.clone(), ""))];
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let verb = sub.get_name().to_owned();
        let name = format!("cosect-{verb}");
        let page = sub
            .clone()
            .name(name.clone())
            .display_name(name.clone())
            .bin_name(format!("cosect {verb}"));
        pages.push((format!("{name}.1"), render(page, &verb)));
    }
    pages
}
