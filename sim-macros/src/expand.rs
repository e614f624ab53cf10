//! Writing the test: a plain `#[test] fn` that hands the async body to `sim::check::Check`.
//! On any error the original function is emitted beside the errors, so editors keep working.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote, quote_spanned};
use syn::ItemFn;

use crate::args::{Args, PanicArg};
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
    let krate = match (&args.krate, crate::krate::renamed_dependency()) {
        (Some(path), _) => path.value.to_token_stream(),
        (None, Some(name)) => {
            let name = syn::Ident::new(&name, proc_macro2::Span::call_site());
            quote!(::#name)
        }
        (None, None) => quote!(::sim),
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
    // A test that fails on purpose keeps no failure for the next run.
    let keep_failures = if attrs.iter().any(|a| a.path().is_ident("should_panic")) {
        quote!(.regressions(false))
    } else {
        TokenStream::new()
    };

    let mut settings = TokenStream::new();
    if let Some(seeds) = &args.seeds {
        let n = seeds.value;
        settings.extend(quote!(.seeds(#n)));
    }
    if let Some(seed) = &args.seed {
        let n = seed.value;
        settings.extend(quote!(.seed(#n)));
    }
    // sim's registry names the strategy (and its default number). The same call is evaluated
    // once as a constant beside the test, so an unknown name, or a number for a strategy that
    // takes none, is a compile error at the argument, in every build (not only `--test`).
    let mut registry_check = TokenStream::new();
    if let Some(strategy) = &args.strategy {
        let name = &strategy.value;
        let number = match &args.depth {
            Some(depth) => {
                let n = depth.value;
                quote!(::core::option::Option::Some(#n))
            }
            None => quote!(::core::option::Option::None),
        };
        let span = name.span();
        // Every token at the argument, so the compiler's error points there.
        let at_argument = respan(quote!(#krate::Strategy::__from_attribute), span);
        let strategy = quote_spanned!(span=> #at_argument(#name, #number));
        registry_check = quote_spanned! {span=>
            const _: () = ::core::mem::forget(#strategy);
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
        let max = duration(max.value);
        settings.extend(quote!(.max_time(#max)));
    }
    let runtime = runtime_settings(args, &krate);
    if !runtime.is_empty() {
        settings.extend(quote!(.runtime(|builder| builder #runtime)));
    }

    quote! {
        #registry_check
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
            #keep_failures
            #settings
            .from_env()
            .run(#name);
        }
    }
}

/// The `Builder` calls for the arguments that only `Check::runtime` reaches. The slow-poll
/// threshold comes before `debug`, so that `debug = true` keeps it.
fn runtime_settings(args: &Args, krate: &TokenStream) -> TokenStream {
    let mut calls = TokenStream::new();
    if let Some(n) = &args.blocking_threads {
        let n = n.value;
        calls.extend(quote!(.blocking_threads(#n)));
    }
    if let Some(policy) = &args.unobserved_panic {
        let policy = match policy.value {
            PanicArg::Fail => quote!(#krate::UnobservedPanic::FailRun),
            PanicArg::Ignore => quote!(#krate::UnobservedPanic::Ignore),
        };
        calls.extend(quote!(.unobserved_panic(#policy)));
    }
    if let Some(threshold) = &args.slow_poll {
        let threshold = duration(threshold.value);
        calls.extend(quote!(.slow_poll_threshold(#threshold)));
    }
    if let Some(on) = &args.debug {
        let on = on.value;
        calls.extend(quote!(.debug(#on)));
    }
    if let Some(on) = &args.record_events {
        let on = on.value;
        calls.extend(quote!(.record_events(#on)));
    }
    if let Some(budget) = &args.watchdog {
        let budget = match budget.value {
            Some(d) => {
                let d = duration(d);
                quote!(::core::option::Option::Some(#d))
            }
            None => quote!(::core::option::Option::None::<::core::time::Duration>),
        };
        calls.extend(quote!(.watchdog(#budget)));
    }
    calls
}

/// `d` as an expression.
fn duration(d: std::time::Duration) -> TokenStream {
    let (secs, nanos) = (d.as_secs(), d.subsec_nanos());
    quote!(::core::time::Duration::new(#secs, #nanos))
}

/// `tokens` with every span set to `span`.
fn respan(tokens: TokenStream, span: proc_macro2::Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut token| {
            if let proc_macro2::TokenTree::Group(group) = &token {
                let mut inner =
                    proc_macro2::Group::new(group.delimiter(), respan(group.stream(), span));
                inner.set_span(span);
                token = proc_macro2::TokenTree::Group(inner);
            } else {
                token.set_span(span);
            }
            token
        })
        .collect()
}
