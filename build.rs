//! With the `embedded-site` feature, puts the built site into the binary: every file of the folder
//! that `cargo leptos build` wrote (`KEYHUB_SITE_DIR`, default `target/site`), text files also
//! precompressed with brotli and gzip, and a version named by a digest of their content, so
//! browsers may keep them for good under a path that changes when they do.

fn main() {
    // Without this, Cargo would run the script again (and rebuild the crate) after any change to
    // any file of the package, a README edit included.
    println!("cargo:rerun-if-changed=build.rs");
    #[cfg(feature = "embedded-site")]
    embed::site();
}

#[cfg(feature = "embedded-site")]
mod embed {
    use std::fmt::Write as _;
    use std::io::Write as _;
    use std::path::{Path, PathBuf};

    use sha2::{Digest, Sha256};

    /// Compressed copies are kept only when they save at least a tenth.
    const WORTH_IT: f64 = 0.9;

    pub fn site() {
        let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
        let site = std::env::var_os("KEYHUB_SITE_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| manifest.join("target/site"));
        println!("cargo:rerun-if-env-changed=KEYHUB_SITE_DIR");
        println!("cargo:rerun-if-changed={}", site.display());
        assert!(
            site.join("pkg/keyhub.wasm").is_file(),
            "the embedded-site feature embeds the built site, but {} holds no pkg/keyhub.wasm: \
             run `cargo leptos build --release` first (or set KEYHUB_SITE_DIR)",
            site.display()
        );

        let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
        let mut files = Vec::new();
        walk(&site, &mut files);
        files.sort();
        let mut version = Sha256::new();
        let mut table = String::new();
        for (index, file) in files.iter().enumerate() {
            let name = file
                .strip_prefix(&site)
                .unwrap()
                .to_str()
                .expect("site file names are UTF-8")
                .replace('\\', "/");
            let body = std::fs::read(file).unwrap();
            version.update(name.as_bytes());
            version.update((body.len() as u64).to_le_bytes());
            version.update(&body);
            let (gzip, brotli) = if is_text(&name) {
                (
                    kept(&out, index, "gz", &body, gzip(&body)),
                    kept(&out, index, "br", &body, brotli(&body)),
                )
            } else {
                (None, None)
            };
            writeln!(
                table,
                "    SiteFile {{ name: {name:?}, body: include_bytes!({:?}), gzip: {}, brotli: {} }},",
                file.display().to_string(),
                included(gzip),
                included(brotli),
            )
            .unwrap();
        }
        let digest = version.finalize();
        let version: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        let code = format!(
            "/// A digest of every embedded file: the path under which browsers keep them for good.\n\
             pub static VERSION: &str = {version:?};\n\
             pub static FILES: &[SiteFile] = &[\n{table}];\n"
        );
        std::fs::write(out.join("embedded_site.rs"), code).unwrap();
    }

    fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, files);
            } else if !is_left_out(&path) {
                files.push(path);
            }
        }
    }

    /// Copies `cargo leptos build --precompress` wrote (made here anew) and wasm-bindgen's
    /// TypeScript declarations (no browser asks for them).
    fn is_left_out(path: &Path) -> bool {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        name.ends_with(".gz") || name.ends_with(".br") || name.ends_with(".d.ts")
    }

    fn is_text(name: &str) -> bool {
        let extension = name.rsplit('.').next().unwrap_or_default();
        matches!(
            extension,
            "wasm" | "js" | "css" | "svg" | "html" | "json" | "txt" | "map" | "webmanifest"
        )
    }

    fn kept(
        out: &Path,
        index: usize,
        suffix: &str,
        body: &[u8],
        packed: Vec<u8>,
    ) -> Option<PathBuf> {
        if packed.len() as f64 > body.len() as f64 * WORTH_IT {
            return None;
        }
        let path = out.join(format!("site-{index}.{suffix}"));
        std::fs::write(&path, packed).unwrap();
        Some(path)
    }

    fn included(path: Option<PathBuf>) -> String {
        match path {
            Some(path) => format!("Some(include_bytes!({:?}))", path.display().to_string()),
            None => "None".to_owned(),
        }
    }

    fn gzip(body: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(body).unwrap();
        encoder.finish().unwrap()
    }

    fn brotli(body: &[u8]) -> Vec<u8> {
        let mut packed = Vec::new();
        // Brotli's best takes a minute on a debug bundle; a debug build only needs it to work.
        let optimized = std::env::var("OPT_LEVEL").is_ok_and(|level| level != "0");
        let params = brotli::enc::BrotliEncoderParams {
            quality: if optimized { 11 } else { 5 },
            lgwin: 22,
            ..Default::default()
        };
        brotli::BrotliCompress(&mut &body[..], &mut packed, &params).unwrap();
        packed
    }
}
