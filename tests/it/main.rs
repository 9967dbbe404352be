//! The one integration-test binary (modules per area).

mod acceptance;
mod classify;
mod cli;
mod golden;
mod reference;
mod replay;
mod util;
