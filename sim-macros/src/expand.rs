//! Writing the test: a plain `#[test] fn` that hands the async body to `sim::check::Check`.
//! On any error the original function is emitted beside the errors, so editors keep working.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::ItemFn;

use crate::args::{Args, StrategyArg};
use crate::validate::validate;

pub(crate) fn test(attr: TokenStream, item: TokenStream) -> TokenStream {
    let function: ItemFn = match syn::parse2(item.clone()) {
        Ok(function) => function,
        Err(e) => {
            let mut out = e.to_compile_error();
            out.extend(item);
            return out;
        }
    };
    let args: Args = match syn::parse2(attr) {
        Ok(args) => args,
        Err(e) => return fallback(e, &function),
    };
    if let Err(e) = validate(&args, &function) {
        return fallback(e, &function);
    }
    generate(&args, function)
}

/// The errors, plus the function as written (without this attribute).
fn fallback(error: syn::Error, function: &ItemFn) -> TokenStream {
    let mut out = error.to_compile_error();
    function.to_tokens(&mut out);
    out
}

fn generate(args: &Args, function: ItemFn) -> TokenStream {
    let krate = match &args.krate {
        Some(path) => path.value.to_token_stream(),
        None => quote!(::sim),
    };
    let ItemFn {
        attrs,
        vis,
        sig,
        block,
    } = function;
    let name = &sig.ident;
    let output = &sig.output;
    let ignored = attrs.iter().any(|a| a.path().is_ident("ignore"));

    let mut settings = TokenStream::new();
    if let Some(seeds) = &args.seeds {
        let n = seeds.value;
        settings.extend(quote!(.seeds(#n)));
    }
    if let Some(seed) = &args.seed {
        let n = seed.value;
        settings.extend(quote!(.seed(#n)));
    }
    if let Some(strategy) = &args.strategy {
        let strategy = match strategy.value {
            StrategyArg::Random => quote!(#krate::Strategy::Random),
            StrategyArg::Fifo => quote!(#krate::Strategy::Fifo),
            StrategyArg::Pct => {
                let depth = args.depth.as_ref().map_or(3, |d| d.value);
                quote!(#krate::Strategy::Pct { depth: #depth })
            }
            StrategyArg::Exhaustive => {
                let bound = args.depth.as_ref().map_or(2, |d| d.value);
                quote!(#krate::Strategy::Exhaustive { max_preemptions: #bound })
            }
        };
        settings.extend(quote!(.strategy(#strategy)));
    }
    if let Some(max) = &args.max_steps {
        let n = max.value;
        settings.extend(quote!(.max_steps(#n)));
    }
    if let Some(on) = &args.chaos {
        let on = on.value;
        settings.extend(quote!(.chaos(#on)));
    }
    if let Some(on) = &args.buggify {
        let on = on.value;
        settings.extend(quote!(.buggify(#on)));
    }
    if let Some(max) = &args.max_time {
        let secs = max.value.as_secs();
        let nanos = max.value.subsec_nanos();
        settings.extend(quote!(.max_time(::core::time::Duration::new(#secs, #nanos))));
    }

    quote! {
        #(#attrs)*
        #[::core::prelude::v1::test]
        #vis fn #name() {
            async fn #name() #output #block
            let _ = #krate::check::Check::for_test(
                ::core::module_path!(),
                ::core::stringify!(#name),
                ::core::env!("CARGO_PKG_NAME"),
            )
            .ignored(#ignored)
            #settings
            .from_env()
            .run(#name);
        }
    }
}
