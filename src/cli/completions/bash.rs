//! The bash script: one function that finds the subcommand path among the words typed so far
//! and offers that level's subcommands and flags, an enum flag's values after it, else files.

use super::{Node, quote};
use std::fmt::Write;

pub fn script(nodes: &[Node]) -> String {
    let mut s = String::from(
        "# posedeck completions for bash: source <(posedeck completions bash)\n\
         _posedeck() {\n\
         \x20   local cur prev path i w\n\
         \x20   cur=\"${COMP_WORDS[COMP_CWORD]}\"\n\
         \x20   prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n\
         \x20   path=\"\"\n\
         \x20   for ((i = 1; i < COMP_CWORD; i++)); do\n\
         \x20       w=\"${COMP_WORDS[i]}\"\n\
         \x20       case \"$w\" in -*) continue ;; esac\n\
         \x20       case \"$path $w\" in\n",
    );
    // Words that extend the path: "<path> <sub>" for every known subcommand.
    for n in nodes {
        for (sub, _) in &n.subcommands {
            let here = n.path.join(" ");
            let next = if here.is_empty() {
                sub.clone()
            } else {
                format!("{here} {sub}")
            };
            // "$path $w" is " status" at the top, "bench events" below.
            let pattern = if here.is_empty() {
                format!(" {sub}")
            } else {
                next.clone()
            };
            let _ = writeln!(s, "            \"{pattern}\") path={} ;;", quote(&next));
        }
    }
    s.push_str("        esac\n    done\n    case \"$path\" in\n");
    for n in nodes {
        let key = n.path.join(" ");
        let mut words: Vec<String> = Vec::new();
        let mut value_cases = String::new();
        for f in &n.flags {
            if let Some(l) = &f.long {
                words.push(format!("--{l}"));
            }
            if let Some(c) = f.short {
                words.push(format!("-{c}"));
            }
            if f.takes_value && !f.values.is_empty() {
                let mut pats = Vec::new();
                if let Some(l) = &f.long {
                    pats.push(format!("--{l}"));
                }
                if let Some(c) = f.short {
                    pats.push(format!("-{c}"));
                }
                let _ = writeln!(
                    value_cases,
                    "                {}) COMPREPLY=($(compgen -W {} -- \"$cur\")); return ;;",
                    pats.join("|"),
                    quote(&f.values.join(" "))
                );
            }
        }
        let _ = writeln!(s, "        {})", quote(&key));
        if !value_cases.is_empty() {
            let _ = write!(
                s,
                "            case \"$prev\" in\n{value_cases}            esac\n"
            );
        }
        let mut subs: Vec<&str> = n.subcommands.iter().map(|(n, _)| n.as_str()).collect();
        subs.extend(n.positional_values.iter().map(String::as_str));
        let _ = writeln!(
            s,
            "            if [[ \"$cur\" == -* ]]; then\n\
             \x20               COMPREPLY=($(compgen -W {} -- \"$cur\"))\n\
             \x20           else\n\
             \x20               COMPREPLY=($(compgen -W {} -- \"$cur\"){})\n\
             \x20           fi ;;",
            quote(&words.join(" ")),
            quote(&subs.join(" ")),
            if n.positionals {
                " $(compgen -f -- \"$cur\")"
            } else {
                ""
            }
        );
    }
    s.push_str("    esac\n}\ncomplete -o filenames -o bashdefault -F _posedeck posedeck\n");
    s
}
