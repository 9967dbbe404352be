//! The one integration-test binary (modules per area).

mod acceptance;
mod bioc;
mod changing;
mod classify;
mod cli;
mod differential;
mod export;
mod export_ioc;
mod extract;
mod golden;
mod inno;
mod installshield;
mod lzx;
mod msi_family;
mod msi_hashes;
mod nsis;
mod pe_hashes;
mod policy_rules;
mod reference;
mod replay;
mod signatures;
mod special_files;
mod streams;
mod tools;
mod traps;
mod util;
