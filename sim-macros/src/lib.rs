//! The `#[sim::test]` attribute. Use it through the `sim` crate (`sim-core`), which re-exports
//! it and documents it with examples; this crate only holds the implementation, as a pipeline:
//! `args` parses the attribute, `validate` checks the function, `expand` writes the test.

#![forbid(unsafe_code)]

mod args;
mod expand;
mod krate;
mod validate;

use proc_macro::TokenStream;

/// Runs an `async fn` as a test under many seeds. See `sim::test` for the documentation.
#[proc_macro_attribute]
pub fn test(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::test(attr.into(), item.into()).into()
}
