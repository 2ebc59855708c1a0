use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match cosect::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help and version on stdout (exit 0), usage errors on stderr (exit 2).
            let _ = e.print();
            return ExitCode::from(e.exit_code() as u8);
        }
    };
    cosect::fsio::no_core_dumps();
    // Ctrl-C or SIGTERM: remove the temporary files being written, so an
    // interrupted command leaves either the old file or none, never a part.
    // `serve` handles SIGTERM itself: it stops gracefully and exits 0.
    // The handler must never panic (stderr may be a closed pipe): it writes
    // with a write whose error is ignored and always reaches exit(130).
    #[cfg(feature = "serve")]
    let serving = matches!(cli.command, cosect::cli::Command::Serve(_));
    #[cfg(not(feature = "serve"))]
    let serving = false;
    let _ = (!serving).then(|| {
        ctrlc::set_handler(|| {
            cosect::fsio::remove_in_flight();
            use std::io::Write as _;
            let _ = std::io::stderr().write_all(b"cosect: interrupted; files it was writing were removed\n");
            std::process::exit(130);
        })
    });
    match cosect::commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            cosect::commands::err_line(&format!("error: {e}"));
            if let Some(hint) = e.hint() {
                cosect::commands::err_line(&format!("hint: {hint}"));
            }
            ExitCode::from(1)
        }
    }
}
