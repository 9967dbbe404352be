//! The one integration-test binary (modules per area).

mod acceptance;
mod cli;
mod extract;
mod golden;
mod reference;
mod replay;
mod util;
