//! `cosect preview`: read the list as `init` would, print how it was read.
//! No identity, no state, nothing written.

use super::*;
use crate::cli::{ListIn, PreviewArgs};
use crate::input::preview::Preview;

pub fn preview(args: &PreviewArgs, _ctx: &Ctx) -> Result<()> {
    let kind = args.kind.unwrap_or(KindSetting::Auto);
    let list = ListIn {
        input: args.input.clone(),
        input_format: args.input_format,
        column: args.column.clone(),
        skip_invalid: args.skip_invalid,
        verbose: false,
        no_refang: args.no_refang,
        widen: args.widen.clone(),
        pad_to: None,
    };
    let paths = need_input(&list)?;
    let opts = read_options(&list, kind)?;
    let entries = crate::exchange::list::read_all(&paths, &opts)?;
    let p = Preview::of(&entries, kind);
    let text = if args.json {
        let mut v = serde_json::to_string_pretty(&p).expect("serializing to memory cannot fail");
        v.push('\n');
        v
    } else {
        p.text()
    };
    print_stdout(&text)
}
