//! Test cases drawn from a seed: input data and encoder options.

use super::data;
use super::encoder::{Options, FRAME};
use super::rng::Rng;

/// One stream to encode.
pub struct Case {
    pub input: Vec<u8>,
    pub opts: Options,
    /// What kind of data, for the results table.
    pub data: &'static str,
}

/// Case `index` of the family `seed`, at most `max_len` bytes of input.
pub fn case(seed: u64, index: u64, max_len: usize) -> Case {
    let mut rng = Rng::new(seed.wrapping_mul(0x1_0000_0001).wrapping_add(index));
    let len = match rng.weighted(&[4, 22, 34, 25, 10, 5]) {
        0 => rng.range(0, 16) as usize,
        1 => rng.range(17, 4096) as usize,
        2 => rng.range(4097, 70_000) as usize,
        3 => rng.range(70_001, 300_000) as usize,
        4 => rng.range(300_001, 1_500_000) as usize,
        _ => rng.range(1_500_001, 4_500_000) as usize,
    }
    .min(max_len);
    let (data, mut input) = match rng.weighted(&[40, 10, 5, 5, 40]) {
        0 => ("x86", data::x86(&mut rng, len, 0)),
        1 => ("text", data::text(&mut rng, len)),
        2 => ("zeros", vec![0; len]),
        3 => ("random", data::random(&mut rng, len)),
        _ => ("mix", data::mix(&mut rng, len)),
    };
    let window_bits = rng.range(15, 21) as u8;
    let e8 = match rng.weighted(&[20, 8, 17, 25, 10, 10, 10]) {
        0 => None,
        1 => Some(0),
        2 => Some(rng.range(1, 100_000) as u32),
        3 => Some(12_000_000),
        4 => Some(len.max(1) as u32),
        5 => Some(rng.range(1 << 30, (1 << 31) - 1) as u32),
        _ => Some(rng.range(1, (1 << 31) - 1) as u32),
    };
    if rng.chance(600) {
        data::plant_e8(&mut rng, &mut input, e8.unwrap_or(0));
    }
    let kinds = match rng.below(6) {
        0 => [1, 0, 0],
        1 => [0, 1, 0],
        2 => [0, 0, 1],
        3 => [3, 3, 1],
        4 => [1, 1, 1],
        _ => [rng.range(0, 5), rng.range(0, 5), rng.range(1, 3)],
    };
    let block_size = match rng.below(5) {
        0 => (1, 300),
        1 => (100, 6000),
        2 => (FRAME as u64 - 5000, FRAME as u64 + 9000),
        3 => (20_000, 200_000),
        _ => (100_000, 3_000_000),
    };
    let opts = Options {
        window_bits,
        e8,
        kinds,
        block_size,
        chain: rng.range(2, 48) as usize,
        quirks: rng.chance(750),
        seed: rng.next(),
        ..Options::default()
    };
    Case { input, opts, data }
}
