//! The mutations of `posedeck fuzz`: small, deterministic for a seed.

/// xorshift64*: deterministic for a seed, no dependency.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Values that make sizes and counts interesting.
const SPECIAL: [u8; 8] = [0x00, 0xff, 0x7f, 0x80, 0x01, 0xfe, b'\n', b','];

/// One mutated copy of `src`. Binary files are mutated mostly in their first 64 KiB, where
/// the structure (HDF5 object headers, record headers) lives; text files anywhere, with
/// text-shaped insertions too.
pub fn mutate(rng: &mut Rng, src: &[u8], text: bool) -> Vec<u8> {
    let mut d = src.to_vec();
    if d.is_empty() {
        d.push(0);
    }
    let pos = |rng: &mut Rng, len: usize| -> usize {
        if !text && rng.below(10) < 8 {
            rng.below(len.min(65536) as u64) as usize
        } else {
            rng.below(len as u64) as usize
        }
    };
    let n_mutations = 1 + rng.below(3);
    for _ in 0..n_mutations {
        let len = d.len().max(1);
        let at = pos(rng, len).min(d.len().saturating_sub(1));
        match rng.below(8) {
            0 => d[at] ^= 1 << rng.below(8),
            1 => d[at] = rng.below(256) as u8,
            2 => {
                let v = SPECIAL[rng.below(SPECIAL.len() as u64) as usize];
                let n = (1 + rng.below(8) as usize).min(d.len() - at);
                d[at..at + n].fill(v);
            }
            3 => d.truncate(at.max(1)),
            4 => {
                // A range repeated (grows counts, shifts offsets).
                let n = (1 + rng.below(256) as usize).min(d.len() - at);
                let chunk = d[at..at + n].to_vec();
                d.splice(at..at, chunk);
            }
            5 => {
                let n = (1 + rng.below(64) as usize).min(d.len() - at);
                d.drain(at..at + n);
            }
            6 if text => {
                const BITS: [&[u8]; 8] = [
                    b"[[[[[[[[[[[[[[[[",
                    b"{a: {a: {a: {a: ",
                    b"\"",
                    b"\x1b]0;x\x07",
                    b"\xe2\x80\xae",
                    b"\r\n",
                    b",,,,,,,,",
                    b"\x00\x00",
                ];
                let b = BITS[rng.below(BITS.len() as u64) as usize];
                d.splice(at..at, b.iter().copied());
            }
            _ => {
                // A little-endian 64-bit size written over 8 bytes.
                let v: u64 = match rng.below(4) {
                    0 => u64::MAX,
                    1 => 1 << (20 + rng.below(40)),
                    2 => rng.next(),
                    _ => src.len() as u64 + rng.below(4096),
                };
                let n = 8.min(d.len() - at);
                d[at..at + n].copy_from_slice(&v.to_le_bytes()[..n]);
            }
        }
        if d.is_empty() {
            d.push(0);
        }
    }
    d
}
