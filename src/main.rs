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
    // Ctrl-C or SIGTERM: remove the temporary files being written, so an
    // interrupted command leaves either the old file or none, never a part.
    // `serve` handles SIGTERM itself: it stops gracefully and exits 0.
    #[cfg(feature = "serve")]
    let serving = matches!(cli.command, cosect::cli::Command::Serve(_));
    #[cfg(not(feature = "serve"))]
    let serving = false;
    let _ = (!serving).then(|| {
        ctrlc::set_handler(|| {
            cosect::fsio::remove_in_flight();
            eprintln!("cosect: interrupted; files it was writing were removed");
            std::process::exit(130);
        })
    });
    match cosect::commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            if let Some(hint) = e.hint() {
                eprintln!("hint: {hint}");
            }
            ExitCode::from(1)
        }
    }
}
