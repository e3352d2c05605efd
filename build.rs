// The built-in theme (theme/layouts, theme/assets) is embedded in the binary; rebuild when it changes.
fn main() {
    println!("cargo:rerun-if-changed=theme");
}
