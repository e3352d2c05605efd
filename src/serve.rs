//! `bilat serve`: `watch` plus a local HTTP server with live reload.
//!
//! Owns the HTTP side: which requests map to which files of the output dir (only files inside it,
//! under the site's base path, so previews match GitHub Pages), the Content-Type of each, the
//! site's 404 page, the live-reload script injected into served HTML (never into `build` output)
//! and the Server-Sent Events endpoint that tells open pages to reload, swap stylesheets, or show
//! the errors of a failed rebuild over the last good page.

use crate::error::{Error, Result};
use crate::site::BuildOptions;
use crate::watch::{EventLoop, Outcome, RebuildReport, Watcher};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::{broadcast, watch as tokio_watch};

/// The endpoint of the live-reload event stream, under the base path.
pub const EVENTS_PATH: &str = "__bilat/events";

/// What `bilat serve` was asked to do.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// `output: None` serves from a temporary dir removed on exit.
    pub build: BuildOptions,
    pub bind: IpAddr,
    /// 0 picks a free port.
    pub port: u16,
    pub open: bool,
    pub poll: bool,
    /// Host names answered besides this machine's own (`--allowed-host`).
    pub allowed_hosts: Vec<String>,
}

/// The `Host:` headers the server answers. A page on any web site can point its own name at
/// 127.0.0.1 (DNS rebinding) and then read the preview, live-reload stream included, as a
/// same-origin page; its requests carry its own name as the Host, so only names that mean this
/// machine are answered, as Vite and webpack-dev-server do.
#[derive(Debug, Clone)]
pub struct AllowedHosts {
    names: Vec<String>,
    /// Bound to every interface (0.0.0.0, ::): the machine is reached by any of its addresses,
    /// and an IP literal cannot be rebound.
    any_ip: bool,
}

impl AllowedHosts {
    /// localhost, 127.0.0.1, ::1, the bind address and `extra`.
    pub fn new(bind: IpAddr, extra: &[String]) -> AllowedHosts {
        let mut names: Vec<String> = ["localhost", "127.0.0.1", "::1"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        names.push(bind.to_string());
        names.extend(extra.iter().map(|h| normalize_host(h)));
        AllowedHosts {
            names,
            any_ip: bind.is_unspecified(),
        }
    }

    /// Whether a request's Host header value (with or without a port) is answered.
    pub fn allows(&self, host: &str) -> bool {
        let name = normalize_host(host);
        if self.names.contains(&name) {
            return true;
        }
        self.any_ip && name.parse::<IpAddr>().is_ok()
    }
}

/// A Host header's name: port and IPv6 brackets removed, lowercase, no trailing dot.
fn normalize_host(host: &str) -> String {
    let host = host.trim();
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or_default()
    } else {
        match host.rsplit_once(':') {
            Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
            _ => host,
        }
    };
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// One message to every open page.
#[derive(Debug, Clone)]
struct LiveEvent {
    name: &'static str,
    data: String,
}

/// What request handlers share with the rebuild thread.
struct Shared {
    /// The output dir, resolved: every file served must resolve to a path under it.
    root: PathBuf,
    base_path: RwLock<String>,
    events: broadcast::Sender<LiveEvent>,
    /// The errors of the last rebuild as the JSON of a `build-error` event, while it is failing.
    errors: RwLock<Option<String>>,
    shutdown: tokio_watch::Receiver<bool>,
    hosts: AllowedHosts,
}

fn read<T: Clone>(lock: &RwLock<T>) -> T {
    lock.read().unwrap_or_else(|e| e.into_inner()).clone()
}

fn write<T>(lock: &RwLock<T>, value: T) {
    *lock.write().unwrap_or_else(|e| e.into_inner()) = value;
}

/// The Content-Type of a served file, by extension.
pub fn content_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" | "map" => "application/json",
        "xml" => "application/xml",
        "rss" => "application/rss+xml",
        "atom" => "application/atom+xml",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        "txt" => "text/plain; charset=utf-8",
        "pdf" => "application/pdf",
        "wasm" => "application/wasm",
        _ => "application/octet-stream",
    }
}

/// Why a request target is refused before it is looked up.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// 400: a form no browser sends for a real page (encoded dots or slashes, `..`, backslashes, NUL).
    BadRequest(&'static str),
}

/// Decodes a request path, refusing every form that could step outside the output dir.
/// Encoded dots, slashes, backslashes, NUL and `%25` (double encoding) are refused outright
/// rather than decoded, because no link bilat writes contains them.
pub fn clean_path(raw: &str) -> std::result::Result<String, Refusal> {
    let lower = raw.to_ascii_lowercase();
    for bad in ["%2e", "%2f", "%5c", "%00", "%25"] {
        if lower.contains(bad) {
            return Err(Refusal::BadRequest(
                "encoded dots, slashes, backslashes and percent signs are not served",
            ));
        }
    }
    if raw.contains('\\') {
        return Err(Refusal::BadRequest("backslashes are not served"));
    }
    if !raw.starts_with('/') {
        return Err(Refusal::BadRequest(
            "only origin-form request targets are served",
        ));
    }
    let decoded = percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map_err(|_| Refusal::BadRequest("the path is not UTF-8"))?;
    if decoded.contains('\0') || decoded.contains('\\') {
        return Err(Refusal::BadRequest("NUL and backslashes are not served"));
    }
    if decoded.split('/').any(|s| s == ".." || s == ".") {
        return Err(Refusal::BadRequest("`.` and `..` segments are not served"));
    }
    Ok(decoded.into_owned())
}

/// The live-reload script, with the base path it listens under.
fn live_script(base_path: &str, missing: bool) -> String {
    // JSON is a JS literal; escaping `<` keeps a strange base path from closing the script.
    let base = serde_json::to_string(base_path)
        .unwrap_or_else(|_| "\"/\"".into())
        .replace('<', "\\u003c");
    format!(
        "<script data-bilat-live>{}</script>",
        LIVE_JS
            .replace("__BASE__", &base)
            .replace("__MISSING__", if missing { "true" } else { "false" })
    )
}

/// Listens for rebuilds. Reloads when this page changed (or was missing), swaps stylesheets in
/// place for CSS-only changes, and shows a failed rebuild's errors over the page until fixed.
/// Error text goes through textContent, never innerHTML.
const LIVE_JS: &str = r#"(function(){
var base=__BASE__,missing=__MISSING__,box=null;
function here(){return location.pathname.replace(/index\.html$/,"");}
function hide(){if(box){box.remove();box=null;}}
function show(errs){hide();box=document.createElement("div");box.id="bilat-errors";box.setAttribute("role","alert");
box.style.cssText="position:fixed;inset:0;z-index:2147483647;overflow:auto;padding:2em;background:rgba(30,0,0,.9);color:#fff;font:14px/1.5 ui-monospace,monospace;white-space:pre-wrap";
var h=document.createElement("h2");h.textContent="bilat: the last edit did not build";box.appendChild(h);
var p=document.createElement("p");p.textContent="Below is the last good build. Fix the error and save; this message then goes away.";box.appendChild(p);
errs.forEach(function(e){var d=document.createElement("div");d.className="bilat-error";d.style.margin="1em 0";
d.textContent=(e.file||"")+(e.line?":"+e.line:"")+(e.col?":"+e.col:"")+"\n"+e.message+(e.help?"\nhelp: "+e.help:"");box.appendChild(d);});
(document.body||document.documentElement).appendChild(box);}
var es=new EventSource(base+"__bilat/events");
es.addEventListener("hello",function(){window.__bilatConnected=true;});
es.addEventListener("build-error",function(m){show(JSON.parse(m.data).errors);});
es.addEventListener("reload",function(m){var d=JSON.parse(m.data);hide();
if(missing||d.all||d.pages.indexOf(here())>=0){es.close();location.reload();}});
es.addEventListener("css",function(m){hide();JSON.parse(m.data).files.forEach(function(f){
var links=document.querySelectorAll('link[rel~="stylesheet"]');
for(var i=0;i<links.length;i++){if(new URL(links[i].href,location.href).pathname===f.path){links[i].href=f.href;}}});});
})();"#;

/// Inserts the live-reload script before the last `</body>`, or at the end.
pub fn inject(html: &[u8], base_path: &str, missing: bool) -> Vec<u8> {
    let script = live_script(base_path, missing);
    let lower = html.to_ascii_lowercase();
    let at = lower
        .windows(7)
        .rposition(|w| w == b"</body>")
        .unwrap_or(html.len());
    let mut out = Vec::with_capacity(html.len() + script.len());
    out.extend_from_slice(&html[..at]);
    out.extend_from_slice(script.as_bytes());
    out.extend_from_slice(&html[at..]);
    out
}

fn response(status: StatusCode, content_type: &str, body: Vec<u8>) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    // A preview must always show the latest build.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    r
}

fn redirect(status: StatusCode, to: &str) -> Response {
    let mut r = response(
        status,
        "text/plain; charset=utf-8",
        format!("moved to {to}\n").into_bytes(),
    );
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

fn bad_request(why: &str) -> Response {
    response(
        StatusCode::BAD_REQUEST,
        "text/plain; charset=utf-8",
        format!("400 bad request: {why}\n").into_bytes(),
    )
}

/// Resolves `candidate` and checks it is a regular file inside the output dir. Symlinks are
/// followed only to check where they lead; one leading outside is a miss.
async fn inside(root: &Path, candidate: &Path) -> Option<(PathBuf, std::fs::Metadata)> {
    let canon = tokio::fs::canonicalize(candidate).await.ok()?;
    if !canon.starts_with(root) {
        return None;
    }
    let meta = tokio::fs::metadata(&canon).await.ok()?;
    Some((canon, meta))
}

async fn not_found(shared: &Shared, base: &str) -> Response {
    let page = match inside(&shared.root, &shared.root.join("404.html")).await {
        Some((p, m)) if m.is_file() => tokio::fs::read(p).await.ok(),
        _ => None,
    };
    let html = page.unwrap_or_else(|| {
        b"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Not found</title></head><body><h1>Not found</h1></body></html>".to_vec()
    });
    response(
        StatusCode::NOT_FOUND,
        "text/html; charset=utf-8",
        inject(&html, base, true),
    )
}

/// The most bytes a request's headers may hold, nginx's default (4 × 8 KB). The HTTP library
/// alone accepts a head of several hundred KB; a longer one here gets 431.
const MAX_HEADER_BYTES: usize = 32 * 1024;

async fn handle(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let header_bytes: usize = req
        .headers()
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum();
    if header_bytes > MAX_HEADER_BYTES {
        return response(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "text/plain; charset=utf-8",
            b"431 request header fields too large\n".to_vec(),
        );
    }
    // HTTP/1.0 clients may send no Host; a browser always does, so its absence is no rebinding.
    if let Some(host) = req.headers().get(header::HOST) {
        let host = String::from_utf8_lossy(host.as_bytes());
        if !shared.hosts.allows(&host) {
            let shown: String = host.chars().filter(|c| !c.is_control()).take(200).collect();
            return response(
                StatusCode::FORBIDDEN,
                "text/plain; charset=utf-8",
                format!("403 forbidden: the Host `{shown}` does not name this machine; to preview under that name, run `bilat serve --allowed-host NAME`\n").into_bytes(),
            );
        }
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut r = response(
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain; charset=utf-8",
            b"405 method not allowed\n".to_vec(),
        );
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    let uri = req.uri();
    if uri.scheme().is_some() || uri.authority().is_some() {
        return bad_request("absolute-form request targets are not served");
    }
    let raw = uri.path();
    let path = match clean_path(raw) {
        Ok(p) => p,
        Err(Refusal::BadRequest(why)) => return bad_request(why),
    };
    let base = read(&shared.base_path);
    if (path == "/" && base != "/") || format!("{path}/") == base {
        // The site lives under its GitHub Pages path; the bare host name leads there.
        return redirect(StatusCode::FOUND, &base);
    }
    let Some(rel) = path.strip_prefix(&base) else {
        return not_found(&shared, &base).await;
    };
    if rel == EVENTS_PATH {
        return events(&shared);
    }
    let segments: Vec<&str> = rel.split('/').filter(|s| !s.is_empty()).collect();
    // Dot files are never pages: editor temp files, the writer's own temp files, a deploy's .git.
    if segments.iter().any(|s| s.starts_with('.')) {
        return not_found(&shared, &base).await;
    }
    let mut candidate = shared.root.clone();
    candidate.extend(&segments);
    let dir_request = rel.is_empty() || rel.ends_with('/');
    if dir_request {
        candidate.push("index.html");
    }
    let Some((file, meta)) = inside(&shared.root, &candidate).await else {
        return not_found(&shared, &base).await;
    };
    if meta.is_dir() {
        // As GitHub Pages does: a folder without its slash redirects to it, never a listing.
        let mut to = format!("{raw}/");
        if let Some(q) = uri.query() {
            to.push('?');
            to.push_str(q);
        }
        return redirect(StatusCode::MOVED_PERMANENTLY, &to);
    }
    if !meta.is_file() {
        return not_found(&shared, &base).await;
    }
    let bytes = match tokio::fs::read(&file).await {
        Ok(b) => b,
        Err(_) => return not_found(&shared, &base).await,
    };
    let ctype = content_type(&candidate);
    let body = if ctype.starts_with("text/html") {
        inject(&bytes, &base, false)
    } else {
        bytes
    };
    response(StatusCode::OK, ctype, body)
}

/// The live-reload stream: `hello` at once, the current errors if the last rebuild failed, then
/// one event per rebuild. Ends when the server shuts down.
fn events(shared: &Shared) -> Response {
    let rx = shared.events.subscribe();
    let mut initial = vec![Event::default().event("hello").data("{}")];
    if let Some(errors) = read(&shared.errors) {
        initial.push(Event::default().event("build-error").data(errors));
    }
    let live = futures_util::stream::unfold(
        (rx, shared.shutdown.clone()),
        |(mut rx, mut stop)| async move {
            loop {
                if *stop.borrow() {
                    return None;
                }
                tokio::select! {
                    r = rx.recv() => match r {
                        Ok(ev) => return Some((Event::default().event(ev.name).data(ev.data), (rx, stop))),
                        // Missed events: the page cannot know what changed, so it reloads.
                        Err(broadcast::error::RecvError::Lagged(_)) => {
                            return Some((Event::default().event("reload").data(r#"{"pages":[],"all":true}"#), (rx, stop)));
                        }
                        Err(broadcast::error::RecvError::Closed) => return None,
                    },
                    r = stop.changed() => if r.is_err() { return None; },
                }
            }
        },
    );
    let stream = futures_util::stream::iter(initial)
        .chain(live)
        .map(Ok::<_, Infallible>);
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}

/// The URL path a written output file is seen at.
fn url_of(base: &str, output_path: &str) -> String {
    format!(
        "{base}{}",
        output_path
            .strip_suffix("index.html")
            .unwrap_or(output_path)
    )
}

/// The event that tells open pages what a successful rebuild changed.
fn rebuilt_event(report: &RebuildReport, watcher: &Watcher, base: &str) -> LiveEvent {
    if !report.css_only.is_empty() {
        #[derive(serde::Serialize)]
        struct Css {
            path: String,
            href: String,
        }
        let files: Vec<Css> = report
            .css_only
            .iter()
            .map(|rel| {
                let path = format!("{base}{rel}");
                let href = match watcher.asset_hash(rel) {
                    Some(h) => format!("{path}?h={h}"),
                    None => path.clone(),
                };
                Css { path, href }
            })
            .collect();
        return LiveEvent {
            name: "css",
            data: serde_json::json!({ "files": files }).to_string(),
        };
    }
    let touched = report.written.iter().chain(&report.deleted);
    let pages: Vec<String> = touched
        .clone()
        .filter(|p| p.ends_with(".html"))
        .map(|p| url_of(base, p))
        .collect();
    // Scripts, images and fonts can be used by any page.
    let all = touched.clone().any(|p| {
        ![".html", ".json", ".xml", ".txt"]
            .iter()
            .any(|e| p.ends_with(e))
            && p != ".nojekyll"
            && p != "CNAME"
    });
    LiveEvent {
        name: "reload",
        data: serde_json::json!({ "pages": pages, "all": all }).to_string(),
    }
}

/// The address to print: one a browser on this machine can open.
fn display_url(addr: SocketAddr, base: &str) -> String {
    let host = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => "127.0.0.1".to_string(),
        IpAddr::V6(ip) if ip.is_unspecified() => "[::1]".to_string(),
        IpAddr::V4(ip) => ip.to_string(),
        IpAddr::V6(ip) => format!("[{ip}]"),
    };
    format!("http://{host}:{}{base}", addr.port())
}

fn bind_error(addr: SocketAddr, e: std::io::Error) -> Error {
    use std::io::ErrorKind;
    let why = match e.kind() {
        ErrorKind::AddrInUse => format!(
            "port {} on {} is already in use (another `bilat serve`?). Stop it, or pick another port with --port (--port 0 picks a free one)",
            addr.port(),
            addr.ip()
        ),
        ErrorKind::PermissionDenied => format!("not allowed to listen on port {} (ports below 1024 need root); use a port above 1024", addr.port()),
        ErrorKind::AddrNotAvailable => format!("{} is not an address of this machine; the default --bind 127.0.0.1 always works", addr.ip()),
        _ => format!("cannot listen on {addr}: {e}"),
    };
    Error::Serve(why)
}

/// What the dev server tells its caller, which prints it (the library prints nothing).
pub enum ServeEvent<'a> {
    /// It listens on an address other machines can reach.
    Exposed(IpAddr),
    /// The first build succeeded.
    Built(&'a RebuildReport),
    /// The first build failed; the server runs and shows the errors in the overlay.
    BuildFailed(&'a Error),
    /// It is listening, at this URL.
    Serving(&'a str),
    /// A rebuild after a change, or a problem of the file watcher.
    Rebuild(&'a Outcome<'a>),
    /// `--open` could not start a browser.
    NoBrowser { url: &'a str, error: String },
    /// It stopped after the shutdown signal.
    Stopped,
}

/// Receives the server's events, from the thread that serves and the one that rebuilds.
pub type OnEvent = std::sync::Arc<dyn Fn(ServeEvent<'_>) + Send + Sync>;

fn open_browser(url: &str, on: &OnEvent) {
    let cmd = if cfg!(target_os = "macos") {
        std::process::Command::new("open").arg(url).spawn()
    } else if cfg!(windows) {
        std::process::Command::new("cmd")
            .args(["/C", "start", "", url])
            .spawn()
    } else {
        std::process::Command::new("xdg-open").arg(url).spawn()
    };
    if let Err(e) = cmd {
        on(ServeEvent::NoBrowser {
            url,
            error: e.to_string(),
        });
    }
}

/// A temp dir of our own for the output, removed on exit.
fn temp_output() -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("bilat-serve-{}", std::process::id()));
    if dir.exists() {
        // Left by an earlier process with the same id that was killed.
        std::fs::remove_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    }
    Ok(dir)
}

/// `bilat serve`: builds, serves the output under the base path, rebuilds on every change and
/// tells open pages to reload, until `shutdown` resolves (the binary passes Ctrl-C and SIGTERM).
/// Everything worth telling the user goes to `on`.
pub fn run(
    opts: ServeOptions,
    on: OnEvent,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let temp = opts.build.output.is_none();
    let output = match &opts.build.output {
        Some(o) => o.clone(),
        None => temp_output()?,
    };
    let build = BuildOptions {
        output: Some(output.clone()),
        ..opts.build.clone()
    };
    let result = serve(&opts, build, on, shutdown);
    if temp {
        let _ = std::fs::remove_dir_all(&output);
    }
    result
}

fn serve(
    opts: &ServeOptions,
    build: BuildOptions,
    on: OnEvent,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<()> {
    if !opts.bind.is_loopback() {
        on(ServeEvent::Exposed(opts.bind));
    }
    // Watch before the first build, so an edit made while it runs is not missed.
    let events = EventLoop::start(&build.root, opts.poll)?;
    let mut watcher = Watcher::new(build.clone())?;
    // The output as the guard resolved it: the path given may hold `..` or links.
    let output = watcher.output_dir().to_path_buf();
    std::fs::create_dir_all(&output).map_err(|e| Error::io(&output, e))?;
    let mut first_errors = None;
    match watcher.build_all() {
        Ok(report) => on(ServeEvent::Built(&report)),
        Err(e) => {
            on(ServeEvent::BuildFailed(&e));
            first_errors = Some(serde_json::json!({ "errors": e.diagnostics() }).to_string());
        }
    }
    let base = match watcher.base_path() {
        Some(b) => b.to_string(),
        None => match &build.base_path {
            Some(p) => crate::config::normalize_base_path(p),
            None => crate::config::Config::load(&build.root)
                .map(|c| c.base_path())
                .unwrap_or_else(|_| "/".into()),
        },
    };
    let root = std::fs::canonicalize(&output).map_err(|e| Error::io(&output, e))?;
    let (events_tx, _) = broadcast::channel(64);
    let (stop_tx, stop_rx) = tokio_watch::channel(false);
    let shared = Arc::new(Shared {
        root,
        base_path: RwLock::new(base.clone()),
        events: events_tx,
        errors: RwLock::new(first_errors),
        shutdown: stop_rx,
        hosts: AllowedHosts::new(opts.bind, &opts.allowed_hosts),
    });

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::Serve(format!("cannot start the runtime: {e}")))?;
    let addr = SocketAddr::new(opts.bind, opts.port);
    let listener = rt
        .block_on(tokio::net::TcpListener::bind(addr))
        .map_err(|e| bind_error(addr, e))?;
    let local = listener.local_addr().map_err(|e| bind_error(addr, e))?;
    let url = display_url(local, &base);
    on(ServeEvent::Serving(&url));
    if opts.open {
        open_browser(&url, &on);
    }

    let stopper = events.stopper();
    let thread_shared = shared.clone();
    let thread_on = on.clone();
    let rebuilds = std::thread::Builder::new()
        .name("bilat-watch".into())
        .spawn(move || {
            events.run(&mut watcher, |w, outcome| {
                thread_on(ServeEvent::Rebuild(&outcome));
                if let Some(b) = w.base_path() {
                    write(&thread_shared.base_path, b.to_string());
                }
                let base = read(&thread_shared.base_path);
                let event = match outcome {
                    Outcome::Rebuilt(report) => {
                        write(&thread_shared.errors, None);
                        rebuilt_event(report, w, &base)
                    }
                    Outcome::Failed { error, .. } => {
                        let data = serde_json::json!({ "errors": error.diagnostics() }).to_string();
                        write(&thread_shared.errors, Some(data.clone()));
                        LiveEvent {
                            name: "build-error",
                            data,
                        }
                    }
                    Outcome::WatchError(_) => return,
                };
                // No open page is not an error.
                let _ = thread_shared.events.send(event);
            })
        })
        .map_err(|e| Error::Serve(format!("cannot start the watcher: {e}")))?;

    let app = axum::Router::new().fallback(handle).with_state(shared);
    let stopping = Arc::new(tokio::sync::Notify::new());
    let stopping_tx = stopping.clone();
    let served = rt.block_on(async move {
        let server = axum::serve(listener, app).with_graceful_shutdown(async move {
            shutdown.await;
            let _ = stop_tx.send(true);
            stopper.stop();
            stopping_tx.notify_one();
        });
        tokio::select! {
            r = server => r.map_err(|e| Error::Serve(e.to_string())),
            // A browser holding a connection open must not keep the process alive.
            _ = async { stopping.notified().await; tokio::time::sleep(Duration::from_secs(3)).await } => Ok(()),
        }
    });
    let _ = rebuilds.join();
    rt.shutdown_timeout(Duration::from_secs(1));
    on(ServeEvent::Stopped);
    served
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_path_refuses_every_escape() {
        for bad in [
            "/repo/../x",
            "/repo/./x",
            "/repo/%2e%2e/x",
            "/repo/%2E./x",
            "/repo/..%2fx",
            "/repo/%252e%252e/x",
            "/repo/..%5cx",
            "/repo/..\\x",
            "/repo/%00",
            "repo/x",
            "*",
        ] {
            assert!(clean_path(bad).is_err(), "{bad}");
        }
        assert_eq!(
            clean_path("/repo/topics/caf%C3%A9/").as_deref(),
            Ok("/repo/topics/café/")
        );
        assert_eq!(clean_path("/repo/").as_deref(), Ok("/repo/"));
    }

    #[test]
    fn only_hosts_that_name_this_machine_are_answered() {
        let local = AllowedHosts::new("127.0.0.1".parse().expect("ip"), &["Preview.Test".into()]);
        for ok in [
            "localhost",
            "LOCALHOST:1111",
            "localhost.",
            "127.0.0.1",
            "127.0.0.1:8080",
            "[::1]",
            "[::1]:1111",
            "preview.test",
            "preview.test:99",
        ] {
            assert!(local.allows(ok), "{ok}");
        }
        for bad in [
            "evil.example",
            "evil.example:1111",
            "localhost.evil.example",
            "127.0.0.1.nip.io",
            "10.0.0.7",
            "[::2]",
            "",
            "localhost:1111:1111",
        ] {
            assert!(!local.allows(bad), "{bad}");
        }
        let lan = AllowedHosts::new("0.0.0.0".parse().expect("ip"), &[]);
        assert!(lan.allows("192.168.1.20:1111"));
        assert!(lan.allows("[fe80::1]:1111"));
        assert!(!lan.allows("evil.example"));
        let bound = AllowedHosts::new("192.168.1.20".parse().expect("ip"), &[]);
        assert!(bound.allows("192.168.1.20:1111"));
        assert!(!bound.allows("192.168.1.21"));
    }

    #[test]
    fn the_script_goes_before_the_last_body_end() {
        let html = b"<html><body><p>a</p></BODY></html>";
        let out = String::from_utf8(inject(html, "/repo/", false)).unwrap_or_default();
        assert!(out.ends_with("</script></BODY></html>"), "{out}");
        assert!(out.contains("var base=\"/repo/\",missing=false"));
        let bare =
            String::from_utf8(inject(b"<p>no body", "/a</script>/", true)).unwrap_or_default();
        assert!(bare.starts_with("<p>no body<script"));
        assert!(
            !bare.contains("/a</script>/"),
            "the base path cannot close the script"
        );
    }

    #[test]
    fn content_types() {
        for (name, t) in [
            ("a.HTML", "text/html; charset=utf-8"),
            ("a.woff2", "font/woff2"),
            ("a.webp", "image/webp"),
            ("CNAME", "application/octet-stream"),
        ] {
            assert_eq!(content_type(Path::new(name)), t);
        }
    }
}
