//! The one integration-test binary (modules per area).

mod acceptance;
mod cli;
mod golden;
mod nsis;
mod reference;
mod replay;
mod util;
