// The default layouts and assets are embedded in the binary for `bilat init`; rebuild when they change.
fn main() {
    println!("cargo:rerun-if-changed=layouts");
    println!("cargo:rerun-if-changed=assets");
}
