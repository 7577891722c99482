//! `posedeck completions`: the bash script completes in a real bash (subcommands, nested
//! subcommands, flags, a flag's fixed values, a positional's fixed values, files); zsh and
//! fish scripts parse in their shells where installed.

use std::process::Command;

/// What bash's completion function offers for the words typed (the last one partial).
fn complete(words: &str) -> Vec<String> {
    let bin = env!("CARGO_BIN_EXE_posedeck");
    let script = format!(
        r#"source <("{bin}" completions bash); read -ra W <<< "$1"; [[ "$1" == *" " ]] && W+=(""); COMP_WORDS=("${{W[@]}}"); COMP_CWORD=$((${{#W[@]}}-1)); _posedeck; printf '%s\n' "${{COMPREPLY[@]}}""#
    );
    let o = Command::new("bash")
        .args(["-c", &script, "_", words])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("bash");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn bash_completes_subcommands_flags_values_and_files() {
    assert_eq!(complete("posedeck la"), ["labels"]);
    assert_eq!(
        complete("posedeck labels "),
        ["info", "convert", "extract", "merge"]
    );
    assert_eq!(complete("posedeck labels info --"), ["--json", "--help"]);
    assert_eq!(complete("posedeck status --j"), ["--json"]);
    assert_eq!(complete("posedeck completions "), ["bash", "zsh", "fish"]);
    assert_eq!(
        complete("posedeck labels merge x y --prefer "),
        ["base", "new", "both"]
    );
    // The workstation's project argument and status's: files and folders.
    assert!(complete("posedeck Carg").contains(&"Cargo.toml".to_owned()));
    assert!(complete("posedeck status sr").contains(&"src".to_owned()));
    // Flags after a subcommand's positional still complete.
    assert!(complete("posedeck labels convert a.slp out --").contains(&"--force".to_owned()));
}

#[test]
fn zsh_and_fish_scripts_parse() {
    let bin = env!("CARGO_BIN_EXE_posedeck");
    for (shell, check) in [("zsh", "-n"), ("fish", "--no-execute")] {
        if Command::new(shell).arg("--version").output().is_err() {
            eprintln!("SKIP: {shell} not installed; its script is not parsed here");
            continue;
        }
        let o = Command::new("sh")
            .arg("-c")
            .arg(format!("\"{bin}\" completions {shell} > /tmp/posedeck-compl.{shell} && {shell} {check} /tmp/posedeck-compl.{shell}"))
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{shell}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    // fish: every subcommand is offered with its help.
    let o = Command::new(bin)
        .args(["completions", "fish"])
        .output()
        .unwrap();
    let s = String::from_utf8_lossy(&o.stdout);
    for sub in ["status", "scalars", "labels", "frames", "demo"] {
        assert!(
            s.contains(&format!("-a '{sub}' -d '")),
            "{sub} missing:\n{s}"
        );
    }
    assert!(s.contains(
        "__fish_seen_subcommand_from labels; and not __fish_seen_subcommand_from info convert extract merge"
    ));
}
