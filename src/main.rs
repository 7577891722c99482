fn main() {
    std::process::exit(posedeck::cli::main());
}
