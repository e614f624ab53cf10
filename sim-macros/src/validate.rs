//! Checking the function and the arguments together, before anything is generated.

use syn::ItemFn;
use syn::spanned::Spanned as _;

use crate::args::Args;

/// Every problem found, combined into one error (each at its own span).
pub(crate) fn validate(args: &Args, function: &ItemFn) -> syn::Result<()> {
    let mut problems: Vec<syn::Error> = Vec::new();
    let sig = &function.sig;
    if sig.asyncness.is_none() {
        problems.push(syn::Error::new(
            sig.fn_token.span,
            "#[sim::test] needs an `async fn`: write `async fn name() { .. }`",
        ));
    }
    if !sig.inputs.is_empty() {
        problems.push(syn::Error::new_spanned(
            &sig.inputs,
            "#[sim::test] functions take no parameters; build inputs inside the test, or use \
             `sim::check::Check` from `proptest!` for generated inputs",
        ));
    }
    if !sig.generics.params.is_empty() {
        problems.push(syn::Error::new(
            sig.generics.span(),
            "#[sim::test] functions cannot be generic",
        ));
    }
    for attr in &function.attrs {
        if attr.path().is_ident("test")
            || attr
                .path()
                .segments
                .last()
                .is_some_and(|s| s.ident == "test")
        {
            problems.push(syn::Error::new_spanned(
                attr,
                "#[sim::test] already makes this a test: remove this second test attribute",
            ));
        }
    }
    if let (Some(seed), Some(_)) = (&args.seed, &args.seeds) {
        problems.push(syn::Error::new(
            seed.span,
            "`seed` runs exactly one seed and `seeds` sets how many to run: give one of them",
        ));
    }
    // Whether the strategy named takes a number is checked at compile time by sim's registry
    // (see `expand`); here only a `depth` with no strategy at all.
    if let (Some(depth), None) = (&args.depth, &args.strategy) {
        problems.push(syn::Error::new(
            depth.span,
            "`depth` is the number of a strategy that takes one: give it with that strategy, \
             e.g. `strategy = \"pct\", depth = 5`",
        ));
    }
    if let (Some(slow_poll), Some(debug)) = (&args.slow_poll, &args.debug)
        && !debug.value
    {
        problems.push(syn::Error::new(
            slow_poll.span,
            "`slow_poll` sets debug mode's threshold, and `debug = false` turns debug mode off: \
             give one of them",
        ));
    }
    let mut problems = problems.into_iter();
    match problems.next() {
        None => Ok(()),
        Some(mut first) => {
            first.extend(problems);
            Err(first)
        }
    }
}
