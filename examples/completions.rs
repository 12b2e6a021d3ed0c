//! Writes the shell completions generated from the option table into a
//! folder (default `packaging/completions`): `cargo run --example completions`.
//! The files are committed; `tests/completions.rs` fails when they are stale.

use ipvsadm_rs::tool::{completion_file_name as file_name, completion_script as script, Shell};

fn main() -> std::io::Result<()> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "packaging/completions".into());
    std::fs::create_dir_all(&dir)?;
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
        let path = format!("{dir}/{}", file_name(shell, "ipvsadm-rs"));
        std::fs::write(&path, script(shell, "ipvsadm-rs"))?;
        println!("{path}");
    }
    Ok(())
}
