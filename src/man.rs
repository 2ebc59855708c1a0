//! Man pages generated from the clap definition: `cosect.1` and one
//! `cosect-<verb>.1` per subcommand, each with EXAMPLES and EXIT STATUS.
//! A test compares them with `man/`; regenerate with
//! `COSECT_UPDATE_MAN=1 cargo test --test man`.

use clap_mangen::Man;

const EXIT_STATUS: &str = ".SH \"EXIT STATUS\"\n.TP\n\\fB0\\fR\nSuccess.\n.TP\n\\fB1\\fR\nAn error: a file, bundle, identity or \
list was refused or could not be read or written. One line starting with \\fBerror:\\fR names the file and what failed; \
a line starting with \\fBhint:\\fR says what to do. No output file is left behind.\n.TP\n\\fB2\\fR\nA usage error: \
unknown or missing options or values.\n.TP\n\\fB130\\fR\nInterrupted (Ctrl\\-C or SIGTERM): \
the files it was writing were removed.\n";

fn examples(verb: &str) -> &'static [(&'static str, &'static str)] {
    match verb {
        "" => &[
            ("Each side, once:", "cosect keygen -o alice.id --name \"ACME CERT\" > alice.pub"),
            ("Alice starts:", "cosect init -i alice.id --peer bob.pub --input iocs.txt --kind domain --encrypt -o r1.age"),
            ("Bob answers:", "cosect respond r1.age -i bob.id --peer alice.pub --input customers.txt --encrypt -o r2.age"),
            ("Alice learns the shared entries and writes round 3:", "cosect finish r2.age -i alice.id --reply r3.age --encrypt -o shared.txt"),
            ("Bob learns them too:", "cosect finish r3.age -i bob.id -o shared.txt"),
            ("A CERT publishes its list once, with labels, as a catalog for many members:", "cosect publish -i cert.id --input iocs.tsv --kind domain --labels -o catalog.cbor"),
            ("A member looks its own entries up in it:", "cosect init -i carol.id --catalog catalog.cbor --peer cert.pub --input mine.txt -o query.cbor"),
            ("The CERT answers (no list needed; it learns only the query size):", "cosect respond query.cbor -i cert.id --peer carol.pub -o answer.cbor"),
            ("The member learns which of its entries are in the catalog, with their labels:", "cosect finish answer.cbor -i carol.id -o matches.txt"),
        ],
        "keygen" => &[
            ("Create an identity and save the public line for your peer:", "cosect keygen -o alice.id --name \"ACME CERT\" > alice.pub"),
        ],
        "pubkey" => &[
            ("Print the public identity line again:", "cosect pubkey -i alice.id"),
            ("Print it as JSON:", "cosect pubkey -i alice.id --json"),
        ],
        "init" => &[
            ("Start a mutual exchange of domains, encrypted to the peer:", "cosect init -i alice.id --peer bob.pub --input iocs.txt --kind domain --encrypt -o r1.age"),
            ("Learn only the number of shared IPs, hiding the list size below 100000:", "cosect init -i alice.id --peer bob.pub --input ips.txt --kind ip --mode cardinality --pad-to 100000 -o r1.cbor"),
            ("A MISP event export; format and each entry's kind are detected (--kind auto):", "cosect init -i alice.id --peer bob.pub --input misp-event.json -o r1.cbor"),
            ("One column of a CSV asset list, as domains:", "cosect init -i alice.id --peer bob.pub --input assets.csv --column hostname --kind domain -o r1.cbor"),
            ("A mixed indicator list, listing every skipped line:", "cosect init -i alice.id --peer bob.pub --input iocs.txt --kind auto --skip-invalid --verbose -o r1.cbor"),
            ("A list copied from a threat report (hxxp://evil[.]example is refanged), listing near-misses:", "cosect init -i alice.id --peer bob.pub --input report-iocs.txt --verbose -o r1.cbor"),
            ("Query a published catalog (its kind is used), hiding your list size below 10000:", "cosect init -i carol.id --catalog catalog.cbor --peer cert.pub --input mine.txt --pad-to 10000 -o query.cbor"),
        ],
        "respond" => &[
            ("Answer round 1 with your own list:", "cosect respond r1.age -i bob.id --peer alice.pub --input customers.txt --encrypt -o r2.age"),
            ("ASCII-armored, to paste into a mail body:", "cosect respond r1.age -i bob.id --peer alice.pub --input customers.txt --armor -o r2.txt"),
            ("Answer with a STIX 2.1 bundle (the kind setting of round 1 is used):", "cosect respond r1.cbor -i bob.id --peer alice.pub --input feed.stix.json --input-format stix -o r2.cbor"),
            ("Answer a query against your published catalog (no --input), at most 50000 elements:", "cosect respond query.cbor -i cert.id --peer carol.pub --max-query-items 50000 --encrypt -o answer.age"),
        ],
        "finish" => &[
            ("Initiator, with round 2; writes round 3 for the peer:", "cosect finish r2.age -i alice.id --reply r3.age --encrypt -o shared.txt"),
            ("Responder, with round 3, as JSON (kind, value and source id of each entry):", "cosect finish r3.age -i bob.id --format json"),
            ("As CSV: kind,value and, for STIX or MISP input, source:", "cosect finish r3.age -i bob.id --format csv -o shared.csv"),
            ("Catalog client: the matches and their labels as CSV:", "cosect finish answer.cbor -i carol.id --format csv -o matches.csv"),
        ],
        "publish" => &[
            ("Publish a list of domains as a catalog (a new key; the previous catalog is retired):", "cosect publish -i cert.id --input iocs.txt --kind domain -o catalog.cbor"),
            ("With labels: each line is entry<TAB>label (e.g. first seen, confidence, campaign):", "cosect publish -i cert.id --input iocs.tsv --kind domain --labels --expires 30d -o catalog.cbor"),
            ("Check what the catalog holds before sending it out:", "cosect inspect catalog.cbor --peer cert.pub"),
        ],
        "inspect" => &[
            ("Check who sent a bundle and how many entries it holds:", "cosect inspect r1.age -i bob.id --peer alice.pub"),
            ("The same as JSON:", "cosect inspect r1.age -i bob.id --json"),
        ],
        "demo" => &[("A complete exchange on sample data, narrated on stderr:", "cosect demo")],
        "serve" => &[
            ("Answer catalog queries of the peers in peers/ (their .pub files), 100000 entries per peer per day, with an audit log:", "cosect serve --listen 0.0.0.0:8443 --peers peers/ --catalog catalog.cbor -i cert.id --budget 100000 --audit audit.jsonl"),
            ("Also answer mutual exchanges with a list; results go to one file per session:", "cosect serve --listen 127.0.0.1:8443 --peers peers/ --input iocs.txt -i cert.id --results results/"),
        ],
        "send" => &[
            ("A catalog query, then finish offline:", "cosect send https://cert.example:8443 query.cbor --peer cert.pub -i carol.id -o answer.cbor"),
            ("A mutual exchange: round 1, then round 3 (the server returns nothing for it):", "cosect send https://127.0.0.1:8443 r1.cbor --peer srv.pub -i alice.id -o r2.cbor"),
        ],
        "completions" => &[
            ("Bash completions for your user:", "cosect completions bash > ~/.local/share/bash-completion/completions/cosect"),
            ("Zsh completions:", "cosect completions zsh > ~/.zfunc/_cosect"),
        ],
        _ => &[],
    }
}

fn render(cmd: clap::Command, verb: &str) -> Vec<u8> {
    let mut out = Vec::new();
    Man::new(cmd).render(&mut out).expect("rendering to memory cannot fail");
    let ex = examples(verb);
    if !ex.is_empty() {
        out.extend_from_slice(b".SH EXAMPLES\n");
        for (what, cmdline) in ex {
            out.extend_from_slice(
                format!(".PP\n{what}\n.PP\n.nf\n.RS 4\n{}\n.RE\n.fi\n", roff_escape(cmdline)).as_bytes(),
            );
        }
    }
    out.extend_from_slice(EXIT_STATUS.as_bytes());
    out
}

fn roff_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('-', "\\-")
}

/// All pages: (file name, contents).
pub fn pages() -> Vec<(String, Vec<u8>)> {
    // The long version names this machine's CPU backend: not for a man page.
    let mut cmd = crate::cli::command().long_version(None::<&str>);
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
