//! Parsing the attribute's arguments: `name = value` pairs, each checked for its type, with
//! an error at the offending span that lists what is allowed.

use std::time::Duration;

use proc_macro2::Span;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, Lit, MetaNameValue, Token};

/// Every argument the attribute accepts, as listed in errors.
pub(crate) const ALLOWED: &str = "seeds = N, seed = N, strategy = \"name\", depth = N, max_steps = N, max_time = \"30s\", chaos = bool, buggify = bool, \
     blocking_threads = N, unobserved_panic = \"fail\" | \"ignore\", debug = bool, \
     slow_poll = \"100ms\", record_events = bool, watchdog = \"10s\" | \"off\", crate = \"path\"";

/// What `unobserved_panic = ".."` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PanicArg {
    Fail,
    Ignore,
}

/// One parsed argument with the span it came from.
pub(crate) struct Spanned<T> {
    pub(crate) value: T,
    pub(crate) span: Span,
}

/// The attribute's arguments; each is set at most once.
#[derive(Default)]
pub(crate) struct Args {
    pub(crate) seeds: Option<Spanned<u64>>,
    pub(crate) seed: Option<Spanned<u64>>,
    /// The strategy's name, as written. Which names exist is sim's registry's to say: the
    /// expansion asks it at compile time (`Strategy::__from_attribute`), so this crate keeps no
    /// list of strategies.
    pub(crate) strategy: Option<Spanned<syn::LitStr>>,
    pub(crate) depth: Option<Spanned<u32>>,
    pub(crate) max_steps: Option<Spanned<u64>>,
    pub(crate) max_time: Option<Spanned<Duration>>,
    pub(crate) chaos: Option<Spanned<bool>>,
    pub(crate) buggify: Option<Spanned<bool>>,
    pub(crate) blocking_threads: Option<Spanned<usize>>,
    pub(crate) unobserved_panic: Option<Spanned<PanicArg>>,
    pub(crate) debug: Option<Spanned<bool>>,
    pub(crate) slow_poll: Option<Spanned<Duration>>,
    pub(crate) record_events: Option<Spanned<bool>>,
    /// The watchdog's budget; `None` inside for `"off"`.
    pub(crate) watchdog: Option<Spanned<Option<Duration>>>,
    pub(crate) krate: Option<Spanned<syn::Path>>,
}

impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Args> {
        let pairs = Punctuated::<MetaNameValue, Token![,]>::parse_terminated(input)?;
        let mut args = Args::default();
        let mut errors: Option<syn::Error> = None;
        for pair in pairs {
            if let Err(e) = args.set(&pair) {
                match &mut errors {
                    Some(all) => all.combine(e),
                    None => errors = Some(e),
                }
            }
        }
        match errors {
            Some(e) => Err(e),
            None => Ok(args),
        }
    }
}

fn set_once<T>(slot: &mut Option<Spanned<T>>, name: &str, value: T, span: Span) -> syn::Result<()> {
    if slot.is_some() {
        return Err(syn::Error::new(
            span,
            format!("duplicate argument `{name}`: give it once"),
        ));
    }
    *slot = Some(Spanned { value, span });
    Ok(())
}

fn literal(pair: &MetaNameValue) -> Option<&Lit> {
    match &pair.value {
        Expr::Lit(ExprLit { lit, .. }) => Some(lit),
        _ => None,
    }
}

fn int<T: std::str::FromStr>(pair: &MetaNameValue, name: &str, example: &str) -> syn::Result<T>
where
    T::Err: std::fmt::Display,
{
    let wrong = || {
        syn::Error::new_spanned(
            &pair.value,
            format!("`{name}` takes an integer, e.g. `{example}`"),
        )
    };
    match literal(pair) {
        Some(Lit::Int(i)) => i.base10_parse::<T>().map_err(|e| {
            syn::Error::new_spanned(&pair.value, format!("`{name}` is out of range: {e}"))
        }),
        _ => Err(wrong()),
    }
}

fn boolean(pair: &MetaNameValue, name: &str) -> syn::Result<bool> {
    match literal(pair) {
        Some(Lit::Bool(b)) => Ok(b.value),
        _ => Err(syn::Error::new_spanned(
            &pair.value,
            format!("`{name}` takes `true` or `false`, e.g. `{name} = true`"),
        )),
    }
}

/// A duration written as a string, e.g. `"30s"`.
fn duration(pair: &MetaNameValue, name: &str, example: &str) -> syn::Result<Duration> {
    let s = string(pair, name, &format!("{name} = \"{example}\""))?;
    humantime::parse_duration(&s.value()).map_err(|e| {
        syn::Error::new_spanned(
            &s,
            format!("`{name}` is not a duration ({e}); write e.g. \"30s\", \"1m 30s\", \"500ms\""),
        )
    })
}

fn string(pair: &MetaNameValue, name: &str, example: &str) -> syn::Result<syn::LitStr> {
    match literal(pair) {
        Some(Lit::Str(s)) => Ok(s.clone()),
        _ => Err(syn::Error::new_spanned(
            &pair.value,
            format!("`{name}` takes a string, e.g. `{example}`"),
        )),
    }
}

impl Args {
    fn set(&mut self, pair: &MetaNameValue) -> syn::Result<()> {
        let Some(ident) = pair.path.get_ident() else {
            return Err(syn::Error::new_spanned(
                &pair.path,
                format!("unknown argument; expected one of: {ALLOWED}"),
            ));
        };
        let name = ident.to_string();
        let span = ident.span();
        match name.as_str() {
            "seeds" => {
                let n: u64 = int(pair, "seeds", "seeds = 500")?;
                if n == 0 {
                    return Err(syn::Error::new_spanned(
                        &pair.value,
                        "`seeds` must be at least 1",
                    ));
                }
                set_once(&mut self.seeds, "seeds", n, span)
            }
            "seed" => set_once(
                &mut self.seed,
                "seed",
                int(pair, "seed", "seed = 0x2a")?,
                span,
            ),
            "depth" => {
                let d: u32 = int(pair, "depth", "depth = 3")?;
                if d == 0 {
                    return Err(syn::Error::new_spanned(
                        &pair.value,
                        "`depth` must be at least 1",
                    ));
                }
                set_once(&mut self.depth, "depth", d, span)
            }
            "max_steps" => set_once(
                &mut self.max_steps,
                "max_steps",
                int(pair, "max_steps", "max_steps = 100000")?,
                span,
            ),
            "strategy" => {
                let s = string(pair, "strategy", "strategy = \"pct\"")?;
                set_once(&mut self.strategy, "strategy", s, span)
            }
            "max_time" => set_once(
                &mut self.max_time,
                "max_time",
                duration(pair, "max_time", "30s")?,
                span,
            ),
            "slow_poll" => set_once(
                &mut self.slow_poll,
                "slow_poll",
                duration(pair, "slow_poll", "100ms")?,
                span,
            ),
            "blocking_threads" => {
                let n: usize = int(pair, "blocking_threads", "blocking_threads = 4")?;
                if n == 0 {
                    return Err(syn::Error::new_spanned(
                        &pair.value,
                        "`blocking_threads` must be at least 1",
                    ));
                }
                set_once(&mut self.blocking_threads, "blocking_threads", n, span)
            }
            "unobserved_panic" => {
                let s = string(pair, "unobserved_panic", "unobserved_panic = \"ignore\"")?;
                let value = match s.value().as_str() {
                    "fail" => PanicArg::Fail,
                    "ignore" => PanicArg::Ignore,
                    other => {
                        return Err(syn::Error::new_spanned(
                            &s,
                            format!(
                                "unknown `unobserved_panic` policy `{other}`; expected \"fail\" \
                                 or \"ignore\""
                            ),
                        ));
                    }
                };
                set_once(&mut self.unobserved_panic, "unobserved_panic", value, span)
            }
            "debug" => set_once(&mut self.debug, "debug", boolean(pair, "debug")?, span),
            "watchdog" => {
                let s = string(pair, "watchdog", "watchdog = \"30s\"")?;
                let budget = match s.value().trim() {
                    "off" | "0" => None,
                    text => {
                        let d = humantime::parse_duration(text).map_err(|e| {
                            syn::Error::new_spanned(
                                &s,
                                format!(
                                    "`watchdog` is not a duration ({e}); write e.g. \"30s\", or \
                                     \"off\" for no watchdog"
                                ),
                            )
                        })?;
                        Some(d).filter(|d| !d.is_zero())
                    }
                };
                set_once(&mut self.watchdog, "watchdog", budget, span)
            }
            "record_events" => set_once(
                &mut self.record_events,
                "record_events",
                boolean(pair, "record_events")?,
                span,
            ),
            "chaos" => set_once(&mut self.chaos, "chaos", boolean(pair, "chaos")?, span),
            "buggify" => set_once(
                &mut self.buggify,
                "buggify",
                boolean(pair, "buggify")?,
                span,
            ),
            "crate" => {
                let s = string(pair, "crate", "crate = \"my_reexport::sim\"")?;
                let path = s.parse::<syn::Path>().map_err(|_| {
                    syn::Error::new_spanned(&s, "`crate` must be a path, e.g. \"my_reexport::sim\"")
                })?;
                set_once(&mut self.krate, "crate", path, span)
            }
            _ => Err(syn::Error::new(
                span,
                format!("unknown argument `{name}`; expected one of: {ALLOWED}"),
            )),
        }
    }
}
