//! The engine over each format: scans of real and damaged samples through
//! the whole walk (limits, recursion, hashes, classification). Tests of a
//! parser alone live beside it in `installsift-formats`.

mod amplification;
mod cab;
mod cab_set;
mod carve;
mod cfb;
mod chm;
mod inno;
mod installshield_launcher;
mod iso;
mod nsis;
mod pe;
mod rar;
mod rar_set;
mod sevenz;
mod streams;
mod szdd;
mod xar;
mod zip;
