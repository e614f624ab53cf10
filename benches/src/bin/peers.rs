//! sim against its peers, interleaved in one process: the figures of docs/performance.md.
//!
//! ```text
//! cargo run --release -p sim-bench --bin peers                  # print the tables
//! cargo run --release -p sim-bench --bin peers -- --docs docs/performance.md --svg docs/images/scaling.svg
//! cargo run --release -p sim-bench --bin peers -- --only per_seed --quick
//! cargo run --release -p sim-bench --bin peers -- profile per_seed sim 10000   # for callgrind/perf
//! ```
//!
//! Built with `RUSTFLAGS="--cfg madsim"` (and its own target dir), madsim joins the tables;
//! `scripts/bench.sh` does both builds.

use std::fmt::Write as _;
use std::time::Duration;

use sim::Strategy;
use sim_bench::harness::{Figure, Peer, Settings, fmt_ns, measure};
use sim_bench::plot::{Panel, Series, svg};
use sim_bench::workloads::{create, idle, per_seed, ping_pong, spawn_join, timers, yields};

/// The columns of the main table, in order.
const COLUMNS: [&str; 8] = [
    "sim Random",
    "sim Fifo",
    "sim Check",
    "tokio",
    "LocalPool",
    "shuttle",
    "madsim",
    "floor",
];

/// Sizes of the main table's workloads.
const SPAWN_JOIN: usize = 1_000;
const MESSAGES: u64 = 100_000;
const TIMERS: usize = 1_000;
const SHUTTLE_ITERATIONS: usize = 100;

/// Sizes of the scaling curves.
const SIZES: [usize; 6] = [10, 100, 1_000, 10_000, 100_000, 1_000_000];
const YIELDS: usize = 10;

struct Args {
    quick: bool,
    only: Option<String>,
    docs: Option<String>,
    svg: Option<String>,
}

fn usage(problem: &str) -> ! {
    eprintln!(
        "error: {problem}\nusage: peers [--quick] [--only WORKLOAD|scaling] [--docs FILE] [--svg FILE]\n       peers profile WORKLOAD PEER REPS\n         WORKLOAD: a table's workload, scaling_yields (10k tasks) or scaling_NAME:N\n           (NAME: spawn_join, yields, idle or timers; N tasks)\n         PEER: a column name (\"sim Random\", tokio, ...) or sim, sim_fifo, local_pool"
    );
    std::process::exit(2);
}

fn parse_args() -> Args {
    let mut args = Args {
        quick: false,
        only: None,
        docs: None,
        svg: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |flag: &str| {
            it.next()
                .unwrap_or_else(|| usage(&format!("{flag} needs a value")))
        };
        match arg.as_str() {
            "--quick" => args.quick = true,
            "--only" => args.only = Some(value("--only")),
            "--docs" => args.docs = Some(value("--docs")),
            "--svg" => args.svg = Some(value("--svg")),
            other => usage(&format!("unknown argument `{other}`")),
        }
    }
    if let Some(only) = &args.only {
        let known: Vec<&str> = workloads().iter().map(|w| w.name).collect();
        if only != "scaling" && !known.contains(&only.as_str()) {
            usage(&format!(
                "unknown workload `{only}` (known: {}, scaling)",
                known.join(", ")
            ));
        }
    }
    args
}

/// One workload of the main table.
struct Workload {
    name: &'static str,
    what: &'static str,
    peers: fn() -> Vec<Peer>,
}

fn workloads() -> Vec<Workload> {
    vec![
        Workload {
            name: "spawn_join",
            what: "spawn + join, per task (1000 tasks spawned, then joined)",
            peers: || {
                #[cfg_attr(not(madsim), allow(unused_mut))] // madsim is pushed under its cfg
                let mut peers = vec![
                    Peer::new("sim Random", || {
                        spawn_join::sim(Strategy::Random, SPAWN_JOIN)
                    }),
                    Peer::new("sim Fifo", || spawn_join::sim(Strategy::Fifo, SPAWN_JOIN)),
                    Peer::new("tokio", || spawn_join::tokio(SPAWN_JOIN)),
                    Peer::new("LocalPool", || spawn_join::local_pool(SPAWN_JOIN)),
                    Peer::new("shuttle", || spawn_join::shuttle(SPAWN_JOIN)),
                    Peer::new("floor", || spawn_join::floor(SPAWN_JOIN)),
                ];
                #[cfg(madsim)]
                peers.push(Peer::new("madsim", || spawn_join::madsim(SPAWN_JOIN)));
                peers
            },
        },
        Workload {
            name: "ping_pong",
            what: "ping-pong, per message (100k messages, two tasks)",
            peers: || {
                #[cfg_attr(not(madsim), allow(unused_mut))] // madsim is pushed under its cfg
                let mut peers = vec![
                    Peer::new("sim Random", || ping_pong::sim(MESSAGES)),
                    Peer::new("tokio", || ping_pong::tokio(MESSAGES)),
                    Peer::new("LocalPool", || ping_pong::local_pool(MESSAGES)),
                    Peer::new("shuttle", || ping_pong::shuttle(MESSAGES)),
                ];
                #[cfg(madsim)]
                peers.push(Peer::new("madsim", || ping_pong::madsim(MESSAGES)));
                peers
            },
        },
        Workload {
            name: "timers",
            what: "timers, per timer with its task (1000 random deadlines up to 10 s)",
            peers: || {
                let d = timers::deadlines(TIMERS);
                #[cfg(madsim)]
                let d3 = d.clone();
                let (d1, d2) = (d.clone(), d.clone());
                #[cfg_attr(not(madsim), allow(unused_mut))] // madsim is pushed under its cfg
                let mut peers = vec![
                    Peer::new("sim Random", move || timers::sim(Strategy::Random, &d)),
                    Peer::new("sim Fifo", move || timers::sim(Strategy::Fifo, &d1)),
                    Peer::new("tokio", move || timers::tokio(&d2)),
                ];
                #[cfg(madsim)]
                peers.push(Peer::new("madsim", move || timers::madsim(&d3)));
                peers
            },
        },
        Workload {
            name: "per_seed",
            what: "one seed of a small test (10 tasks x 10 yields, runtime included)",
            peers: || {
                #[cfg_attr(not(madsim), allow(unused_mut))] // madsim is pushed under its cfg
                let mut peers = vec![
                    Peer::new("sim Random", per_seed::sim_random),
                    Peer::new("sim Check", || per_seed::sim_check(100)),
                    Peer::new("sim Fifo", per_seed::sim_fifo),
                    Peer::new("tokio", per_seed::tokio),
                    Peer::new("shuttle", || per_seed::shuttle(SHUTTLE_ITERATIONS)),
                    Peer::new("floor", per_seed::floor),
                ];
                #[cfg(madsim)]
                peers.push(Peer::new("madsim", per_seed::madsim));
                peers
            },
        },
        Workload {
            name: "create",
            what: "runtime creation + empty `block_on`",
            peers: || {
                #[cfg_attr(not(madsim), allow(unused_mut))] // madsim is pushed under its cfg
                let mut peers = vec![
                    Peer::new("sim Random", create::sim),
                    Peer::new("tokio", create::tokio),
                ];
                #[cfg(madsim)]
                peers.push(Peer::new("madsim", create::madsim));
                peers
            },
        },
    ]
}

fn get<'a>(figures: &'a [Figure], name: &str) -> Option<&'a Figure> {
    figures.iter().find(|f| f.name == name)
}

fn ratio(figures: &[Figure], a: &str, b: &str) -> Option<f64> {
    Some(get(figures, a)?.median_ns / get(figures, b)?.median_ns)
}

/// The issue's targets, checked against one run's figures.
fn targets(results: &[(&Workload, Vec<Figure>)]) -> String {
    let of = |name: &str| {
        results
            .iter()
            .find(|(w, _)| w.name == name)
            .map(|r| &r.1[..])
    };
    let mut rows = Vec::new();
    let mut check = |target: &str, measured: Option<f64>, goal: f64, unit: &str| {
        if let Some(m) = measured {
            let met = if m <= goal { "yes" } else { "no" };
            rows.push(format!(
                "| {target} | {m:.2}{unit} | {goal}{unit} | {met} |"
            ));
        }
    };
    let r = |w: &str, a: &str, b: &str| of(w).and_then(|f| ratio(f, a, b));
    check(
        "spawn + join, sim Random / tokio",
        r("spawn_join", "sim Random", "tokio"),
        0.6,
        "x",
    );
    check(
        "spawn + join, sim Random / LocalPool",
        r("spawn_join", "sim Random", "LocalPool"),
        1.0,
        "x",
    );
    check(
        "ping-pong, sim / tokio",
        r("ping_pong", "sim Random", "tokio"),
        0.8,
        "x",
    );
    check(
        "timers, sim Random / tokio",
        r("timers", "sim Random", "tokio"),
        0.5,
        "x",
    );
    check(
        "per seed, sim Random / tokio",
        r("per_seed", "sim Random", "tokio"),
        0.5,
        "x",
    );
    check(
        "per seed, sim Random / shuttle",
        r("per_seed", "sim Random", "shuttle"),
        0.1,
        "x",
    );
    check(
        "per seed under `Check`, sim / tokio",
        r("per_seed", "sim Check", "tokio"),
        0.5,
        "x",
    );
    let create = of("create")
        .and_then(|f| get(f, "sim Random"))
        .map(|f| f.median_ns / 1000.0);
    check("runtime creation, sim", create, 0.5, " µs");
    let mut out = String::from("| target | measured | goal | met |\n|---|---|---|---|\n");
    for row in rows {
        out.push_str(&row);
        out.push('\n');
    }
    out
}

fn main_table(args: &Args) -> String {
    let settings = Settings {
        rounds: if args.quick { 5 } else { 21 },
        sample: Duration::from_millis(if args.quick { 5 } else { 20 }),
    };
    let all = workloads();
    let chosen: Vec<&Workload> = all
        .iter()
        .filter(|w| args.only.as_deref().is_none_or(|o| o == w.name))
        .collect();
    let mut results = Vec::new();
    for w in chosen {
        eprintln!("measuring {} ...", w.name);
        results.push((w, measure((w.peers)(), settings)));
    }
    if results.is_empty() {
        return String::new();
    }
    let mut out = String::new();
    out.push_str("| workload |");
    for c in COLUMNS {
        let _ = write!(out, " {c} |");
    }
    out.push_str(" sim / tokio |\n|---|");
    out.push_str(&"---|".repeat(COLUMNS.len() + 1));
    out.push('\n');
    for (w, figures) in &results {
        let _ = write!(out, "| {} |", w.what);
        for c in COLUMNS {
            match get(figures, c) {
                Some(f) => {
                    let _ = write!(out, " {} |", fmt_ns(f.median_ns));
                }
                None => out.push_str(" — |"),
            }
        }
        let random = ratio(figures, "sim Random", "tokio");
        let fifo = ratio(figures, "sim Fifo", "tokio");
        let _ = match (random, fifo) {
            (Some(r), Some(f)) => writeln!(out, " {r:.2}x Random, {f:.2}x Fifo |"),
            (Some(r), None) => writeln!(out, " {r:.2}x |"),
            _ => writeln!(out, " — |"),
        };
    }
    out.push('\n');
    out.push_str(&targets(&results));
    out
}

/// The scaling panels: (title, name, the peers at `n` tasks).
type Make = fn(usize) -> Vec<Peer>;
const PANELS: [(&str, &str, Make); 4] = [
    ("spawn + join, ns per task", "spawn_join", |n| {
        vec![
            Peer::new("sim Random", move || spawn_join::sim(Strategy::Random, n)),
            Peer::new("sim Fifo", move || spawn_join::sim(Strategy::Fifo, n)),
            Peer::new("tokio", move || spawn_join::tokio(n)),
            Peer::new("LocalPool", move || spawn_join::local_pool(n)),
        ]
    }),
    ("yield storm, ns per poll", "yields", |n| {
        vec![
            Peer::new("sim Random", move || {
                yields::sim(Strategy::Random, n, YIELDS)
            }),
            Peer::new("sim Fifo", move || yields::sim(Strategy::Fifo, n, YIELDS)),
            Peer::new("tokio", move || yields::tokio(n, YIELDS)),
            Peer::new("LocalPool", move || yields::local_pool(n, YIELDS)),
        ]
    }),
    (
        "messages beside N idle tasks, ns per message",
        "idle",
        |n| {
            vec![
                Peer::self_timed("sim Random", move || idle::sim(Strategy::Random, n)),
                Peer::self_timed("sim Fifo", move || idle::sim(Strategy::Fifo, n)),
                Peer::self_timed("tokio", move || idle::tokio(n)),
                Peer::self_timed("LocalPool", move || idle::local_pool(n)),
            ]
        },
    ),
    ("timers, ns per timer", "timers", |n| {
        let d = timers::deadlines(n);
        let (d1, d2) = (d.clone(), d.clone());
        vec![
            Peer::new("sim Random", move || timers::sim(Strategy::Random, &d)),
            Peer::new("sim Fifo", move || timers::sim(Strategy::Fifo, &d1)),
            Peer::new("tokio", move || timers::tokio(&d2)),
        ]
    }),
];

/// The peers of scaling panel `name` at `n` tasks (`profile scaling_NAME:N`).
fn scaling_peers(name: &str, n: usize) -> Option<Vec<Peer>> {
    PANELS.iter().find(|p| p.1 == name).map(|p| (p.2)(n))
}

/// The scaling curves: per-item cost of three workloads as the number of tasks grows.
fn scaling(args: &Args) -> (String, Vec<Panel>) {
    let settings = Settings {
        rounds: if args.quick { 3 } else { 7 },
        sample: Duration::from_millis(if args.quick { 5 } else { 30 }),
    };
    let sizes: &[usize] = if args.quick { &SIZES[..4] } else { &SIZES };
    let mut table = String::from("| workload | peer |");
    for n in sizes {
        let _ = write!(table, " {n} |");
    }
    table.push_str("\n|---|---|");
    table.push_str(&"---|".repeat(sizes.len()));
    table.push('\n');
    let mut out_panels = Vec::new();
    for (title, name, make) in PANELS {
        // One series per peer, in the order the panel lists them.
        let mut series: Vec<Series> = Vec::new();
        for &n in sizes {
            eprintln!("scaling {name} at {n} tasks ...");
            for f in measure(make(n), settings) {
                let index = match series.iter().position(|s| s.name == f.name) {
                    Some(index) => index,
                    None => {
                        series.push(Series {
                            name: f.name,
                            points: Vec::new(),
                        });
                        series.len() - 1
                    }
                };
                series[index].points.push((n, f.median_ns));
            }
        }
        for s in &series {
            let _ = write!(table, "| {name} | {} |", s.name);
            for &(_, ns) in &s.points {
                let _ = write!(table, " {} |", fmt_ns(ns));
            }
            table.push('\n');
        }
        out_panels.push(Panel {
            title: title.to_string(),
            series,
        });
    }
    (table, out_panels)
}

/// The machine and versions the figures came from.
fn provenance() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|v| v.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let rustc = std::process::Command::new("rustc")
        .arg("-V")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map_or_else(|| "rustc (unknown)".into(), |s| s.trim().to_string());
    let lock = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.lock"))
        .unwrap_or_default();
    let version = |name: &str| {
        let needle = format!("name = \"{name}\"\nversion = \"");
        lock.find(&needle)
            .map(|at| {
                let rest = &lock[at + needle.len()..];
                rest[..rest.find('"').unwrap_or(0)].to_string()
            })
            .unwrap_or_else(|| "?".into())
    };
    let madsim = if cfg!(madsim) {
        format!(", madsim {}", version("madsim"))
    } else {
        " (madsim left out: it needs a `--cfg madsim` build)".into()
    };
    format!(
        "{cpu}, {cores} cores; {rustc}; tokio {}, futures {}, shuttle {}{madsim}; release profile",
        version("tokio"),
        version("futures-executor"),
        version("shuttle"),
    )
}

/// Replaces the text between `<!-- NAME:begin -->` and `<!-- NAME:end -->` in `doc`.
fn splice(doc: &str, name: &str, body: &str) -> String {
    let (begin, end) = (
        format!("<!-- {name}:begin -->"),
        format!("<!-- {name}:end -->"),
    );
    let (Some(b), Some(e)) = (doc.find(&begin), doc.find(&end)) else {
        eprintln!("error: the docs file has no `{begin}` ... `{end}` markers");
        std::process::exit(1);
    };
    format!("{}{begin}\n{body}{}", &doc[..b], &doc[e..])
}

/// `profile WORKLOAD PEER REPS`: runs one peer's workload REPS times, untimed, for a profiler.
fn profile(rest: &[String]) {
    let [workload, peer, reps] = rest else {
        usage("profile takes WORKLOAD PEER REPS")
    };
    let reps: u64 = reps
        .parse()
        .unwrap_or_else(|_| usage(&format!("REPS must be a number, not `{reps}`")));
    let peers: Vec<Peer> = match workload.as_str() {
        "scaling_yields" => scaling_peers("yields", 10_000).expect("a yields panel"),
        scaled if scaled.starts_with("scaling_") => {
            let (name, n) = scaled["scaling_".len()..]
                .split_once(':')
                .unwrap_or_else(|| usage("a scaling workload is scaling_NAME:N"));
            let n = n
                .parse()
                .unwrap_or_else(|_| usage(&format!("N must be a number, not `{n}`")));
            scaling_peers(name, n).unwrap_or_else(|| usage(&format!("no scaling panel `{name}`")))
        }
        name => {
            let all = workloads();
            let w = all
                .iter()
                .find(|w| w.name == name)
                .unwrap_or_else(|| usage(&format!("unknown workload `{name}`")));
            (w.peers)()
        }
    };
    let wanted = match peer.as_str() {
        "sim" => "sim Random",
        "sim_fifo" => "sim Fifo",
        "local_pool" => "LocalPool",
        other => other,
    };
    let mut peer = peers
        .into_iter()
        .find(|p| p.name == wanted)
        .unwrap_or_else(|| usage(&format!("no peer `{peer}` in `{workload}`")));
    let mut items = 0;
    for _ in 0..reps {
        items += peer.run_once();
    }
    eprintln!("{items} items");
}

fn main() {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    if raw.first().map(String::as_str) == Some("profile") {
        profile(&raw[1..]);
        return;
    }
    let args = parse_args();
    let provenance = provenance();
    let main = if args.only.as_deref() == Some("scaling") {
        String::new()
    } else {
        main_table(&args)
    };
    let (curves, panels) = if args.only.is_none() || args.only.as_deref() == Some("scaling") {
        scaling(&args)
    } else {
        (String::new(), Vec::new())
    };
    let date = std::process::Command::new("date")
        .arg("+%Y-%m-%d")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .unwrap_or_default();
    let header = format!(
        "Measured {} on {provenance}, by `scripts/bench.sh`. Medians of interleaved rounds.\n\n",
        date.trim()
    );
    println!("{header}{main}\n{curves}");
    if let Some(path) = &args.svg
        && !panels.is_empty()
    {
        std::fs::write(path, svg(&panels)).unwrap_or_else(|e| panic!("writing {path}: {e}"));
    }
    if let Some(path) = &args.docs {
        let mut doc =
            std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
        if !main.is_empty() {
            doc = splice(&doc, "peers", &format!("{header}{main}"));
        }
        if !curves.is_empty() {
            doc = splice(&doc, "scaling", &format!("{header}{curves}"));
        }
        std::fs::write(path, doc).unwrap_or_else(|e| panic!("writing {path}: {e}"));
    }
}
