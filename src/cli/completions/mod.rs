//! `posedeck completions bash|zsh|fish`: shell completion scripts written from the command
//! line's own definition (clap's introspection: every subcommand, flag and the values a flag
//! takes), so they never drift from the commands. bash completes subcommands, flags, the
//! values of enum flags and files; zsh loads the bash one through `bashcompinit`; fish gets
//! `complete` lines with each item's help.

mod bash;
mod fish;

use clap::CommandFactory;

#[derive(clap::Args, Debug)]
pub struct CompletionsArgs {
    /// The shell: bash (`source <(posedeck completions bash)` in ~/.bashrc), zsh (the same
    /// in ~/.zshrc) or fish (`posedeck completions fish > ~/.config/fish/completions/posedeck.fish`).
    #[arg(value_enum)]
    pub shell: Shell,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

/// One level of the command tree, flattened for the writers.
pub struct Node {
    /// Subcommand names from the top (`["labels", "info"]`); empty for `posedeck` itself.
    pub path: Vec<String>,
    pub about: String,
    pub subcommands: Vec<(String, String)>,
    pub flags: Vec<Flag>,
    /// Whether it takes positional arguments that are files or folders.
    pub positionals: bool,
    /// The fixed values its positional arguments take (`completions bash|zsh|fish`).
    pub positional_values: Vec<String>,
}

pub struct Flag {
    pub long: Option<String>,
    pub short: Option<char>,
    pub help: String,
    /// Whether the flag takes a value, and its possible values when they are a fixed set.
    pub takes_value: bool,
    pub values: Vec<String>,
}

/// Every level of posedeck's command tree (hidden commands left out).
pub fn tree() -> Vec<Node> {
    let mut out = Vec::new();
    walk(&crate::cli::Cli::command(), &mut Vec::new(), &mut out);
    out
}

fn walk(cmd: &clap::Command, path: &mut Vec<String>, out: &mut Vec<Node>) {
    let one_line = |s: Option<&clap::builder::StyledStr>| {
        s.map(|s| s.to_string().lines().next().unwrap_or("").to_owned())
            .unwrap_or_default()
    };
    let subs: Vec<&clap::Command> = cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
        .collect();
    let mut flags: Vec<Flag> = cmd
        .get_arguments()
        .filter(|a| !a.is_hide_set() && !a.is_positional())
        .map(|a| Flag {
            long: a.get_long().map(str::to_owned),
            short: a.get_short(),
            help: one_line(a.get_help()),
            takes_value: a.get_action().takes_values(),
            values: a
                .get_possible_values()
                .iter()
                .filter(|v| !v.is_hide_set())
                .map(|v| v.get_name().to_owned())
                .collect(),
        })
        .collect();
    flags.push(Flag {
        long: Some("help".into()),
        short: Some('h'),
        help: "print help".into(),
        takes_value: false,
        values: Vec::new(),
    });
    out.push(Node {
        path: path.clone(),
        about: one_line(cmd.get_about()),
        subcommands: subs
            .iter()
            .map(|s| (s.get_name().to_owned(), one_line(s.get_about())))
            .collect(),
        flags,
        positionals: cmd
            .get_arguments()
            .any(|a| a.is_positional() && !a.is_hide_set() && a.get_possible_values().is_empty()),
        positional_values: cmd
            .get_arguments()
            .filter(|a| a.is_positional())
            .flat_map(|a| a.get_possible_values())
            .map(|v| v.get_name().to_owned())
            .collect(),
    });
    for s in subs {
        path.push(s.get_name().to_owned());
        walk(s, path, out);
        path.pop();
    }
}

pub fn run(a: &CompletionsArgs) -> anyhow::Result<()> {
    let nodes = tree();
    let script = match a.shell {
        Shell::Bash => bash::script(&nodes),
        Shell::Zsh => format!(
            "# posedeck completions for zsh (the bash ones through bashcompinit)\n\
             autoload -U +X bashcompinit && bashcompinit\n{}",
            bash::script(&nodes)
        ),
        Shell::Fish => fish::script(&nodes),
    };
    crate::cli::out::print(&script)
}

/// A string as a single-quoted shell word.
pub fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}
