//! The fish script: `complete` lines, conditioned on the subcommands seen so far.

use super::{Node, quote};
use std::fmt::Write;

pub fn script(nodes: &[Node]) -> String {
    let mut s = String::from("# posedeck completions for fish\ncomplete -c posedeck -f\n");
    for n in nodes {
        // The condition: exactly this path seen (and, at the top, no subcommand yet).
        let cond = if n.path.is_empty() {
            "__fish_use_subcommand".to_owned()
        } else {
            let mut c: Vec<String> = n
                .path
                .iter()
                .map(|p| format!("__fish_seen_subcommand_from {p}"))
                .collect();
            if !n.subcommands.is_empty() {
                let subs: Vec<&str> = n.subcommands.iter().map(|(n, _)| n.as_str()).collect();
                c.push(format!(
                    "not __fish_seen_subcommand_from {}",
                    subs.join(" ")
                ));
            }
            c.join("; and ")
        };
        for (sub, about) in &n.subcommands {
            let _ = writeln!(
                s,
                "complete -c posedeck -n {} -a {} -d {}",
                quote(&cond),
                quote(sub),
                quote(about)
            );
        }
        for f in &n.flags {
            let mut line = format!("complete -c posedeck -n {}", quote(&cond));
            if let Some(l) = &f.long {
                let _ = write!(line, " -l {l}");
            }
            if let Some(c) = f.short {
                let _ = write!(line, " -s {c}");
            }
            if f.takes_value {
                if f.values.is_empty() {
                    line.push_str(" -r -F");
                } else {
                    let _ = write!(line, " -x -a {}", quote(&f.values.join(" ")));
                }
            }
            let _ = writeln!(line, " -d {}", quote(&f.help));
            s.push_str(&line);
        }
        if !n.positional_values.is_empty() {
            let _ = writeln!(
                s,
                "complete -c posedeck -n {} -a {}",
                quote(&cond),
                quote(&n.positional_values.join(" "))
            );
        }
        if n.positionals {
            // Positional arguments: files.
            let _ = writeln!(s, "complete -c posedeck -n {} -F", quote(&cond));
        }
    }
    s
}
