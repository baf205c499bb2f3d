//! An independent DEFLATE block decoder (RFC 1951 §3.2), written from the
//! RFC, slow and plain (bit by bit canonical Huffman decoding, as zlib's
//! `puff.c` teaches), for the permessage-deflate tests: it checks what our
//! compressor emits without zlib, and reports the longest match distance,
//! which RFC 7692 §7.2.1 bounds by the negotiated window.

/// What decoding a sync-flushed stream gave.
#[derive(Debug, Default)]
pub struct Decoded {
    /// Every byte of output, history included.
    pub out: Vec<u8>,
    /// The longest back-reference distance seen.
    pub max_distance: usize,
    /// A block had BFINAL set.
    pub saw_final: bool,
}

struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
    buf: u32,
    cnt: u32,
}

impl Bits<'_> {
    fn bits(&mut self, n: u32) -> Result<u32, String> {
        let mut val = self.buf;
        while self.cnt < n {
            let Some(&b) = self.data.get(self.pos) else {
                return Err("input ends inside a block".into());
            };
            self.pos += 1;
            val |= u32::from(b) << self.cnt;
            self.cnt += 8;
        }
        self.buf = val >> n;
        self.cnt -= n;
        Ok(val & ((1u32 << n) - 1))
    }
}

struct Huffman {
    count: [u16; 16],
    symbol: Vec<u16>,
}

fn huffman(lengths: &[u8]) -> Huffman {
    let mut count = [0u16; 16];
    for &l in lengths {
        count[usize::from(l)] += 1;
    }
    count[0] = 0;
    let mut offs = [0u16; 16];
    for len in 1..15 {
        offs[len + 1] = offs[len] + count[len];
    }
    let mut symbol = vec![0u16; lengths.len()];
    for (sym, &l) in lengths.iter().enumerate() {
        if l != 0 {
            symbol[usize::from(offs[usize::from(l)])] = sym as u16;
            offs[usize::from(l)] += 1;
        }
    }
    Huffman { count, symbol }
}

fn decode(b: &mut Bits<'_>, h: &Huffman) -> Result<u16, String> {
    let (mut code, mut first, mut index) = (0i32, 0i32, 0i32);
    for len in 1..16 {
        code |= b.bits(1)? as i32;
        let count = i32::from(h.count[len]);
        if code - count < first {
            return Ok(h.symbol[(index + (code - first)) as usize]);
        }
        index += count;
        first += count;
        first <<= 1;
        code <<= 1;
    }
    Err("invalid Huffman code".into())
}

const LBASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
const LEXT: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
const DBASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DEXT: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];

fn codes(b: &mut Bits<'_>, d: &mut Decoded, lit: &Huffman, dist: &Huffman) -> Result<(), String> {
    loop {
        let sym = decode(b, lit)?;
        match sym {
            0..=255 => d.out.push(sym as u8),
            256 => return Ok(()),
            257..=285 => {
                let i = usize::from(sym - 257);
                let len = usize::from(LBASE[i]) + b.bits(u32::from(LEXT[i]))? as usize;
                let ds = usize::from(decode(b, dist)?);
                if ds >= 30 {
                    return Err("invalid distance symbol".into());
                }
                let distance = usize::from(DBASE[ds]) + b.bits(u32::from(DEXT[ds]))? as usize;
                if distance > d.out.len() {
                    return Err(format!(
                        "distance {distance} before the start of the output"
                    ));
                }
                d.max_distance = d.max_distance.max(distance);
                for _ in 0..len {
                    let byte = d.out[d.out.len() - distance];
                    d.out.push(byte);
                }
            }
            _ => return Err("invalid length symbol".into()),
        }
    }
}

/// Decodes blocks until the input is used up at a byte boundary (the end of
/// a sync-flushed message once `00 00 ff ff` is appended), appending to
/// `d.out` (which may hold the previous messages: context takeover).
pub fn inflate(data: &[u8], d: &mut Decoded) -> Result<(), String> {
    let mut b = Bits {
        data,
        pos: 0,
        buf: 0,
        cnt: 0,
    };
    while b.pos < data.len() || b.cnt >= 3 {
        if b.saw_rest_is_padding() {
            break;
        }
        let last = b.bits(1)? == 1;
        d.saw_final |= last;
        match b.bits(2)? {
            0 => {
                b.buf = 0;
                b.cnt = 0;
                let at = b.pos;
                if at + 4 > data.len() {
                    return Err("stored block header cut".into());
                }
                let len = usize::from(u16::from_le_bytes([data[at], data[at + 1]]));
                let nlen = u16::from_le_bytes([data[at + 2], data[at + 3]]);
                if nlen != !(len as u16) {
                    return Err("stored block LEN/NLEN mismatch".into());
                }
                let body = data
                    .get(at + 4..at + 4 + len)
                    .ok_or("stored block body cut")?;
                d.out.extend_from_slice(body);
                b.pos = at + 4 + len;
            }
            1 => {
                let mut l = [8u8; 288];
                l[144..256].fill(9);
                l[256..280].fill(7);
                codes(&mut b, d, &huffman(&l), &huffman(&[5u8; 30]))?;
            }
            2 => {
                let nlen = b.bits(5)? as usize + 257;
                let ndist = b.bits(5)? as usize + 1;
                let ncode = b.bits(4)? as usize + 4;
                const ORDER: [usize; 19] = [
                    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
                ];
                let mut cl = [0u8; 19];
                for &o in &ORDER[..ncode] {
                    cl[o] = b.bits(3)? as u8;
                }
                let lencode = huffman(&cl);
                let mut lengths = vec![0u8; nlen + ndist];
                let mut i = 0;
                while i < nlen + ndist {
                    let sym = decode(&mut b, &lencode)?;
                    let (val, rep) = match sym {
                        0..=15 => (sym as u8, 1),
                        16 if i > 0 => (lengths[i - 1], 3 + b.bits(2)? as usize),
                        17 => (0, 3 + b.bits(3)? as usize),
                        18 => (0, 11 + b.bits(7)? as usize),
                        _ => return Err("invalid code length repeat".into()),
                    };
                    if i + rep > nlen + ndist {
                        return Err("too many code lengths".into());
                    }
                    lengths[i..i + rep].fill(val);
                    i += rep;
                }
                codes(
                    &mut b,
                    d,
                    &huffman(&lengths[..nlen]),
                    &huffman(&lengths[nlen..]),
                )?;
            }
            _ => return Err("reserved block type 3".into()),
        }
        if last {
            // RFC 7692 §7.2.1: a BFINAL block is padded to a byte boundary
            // and more blocks may follow.
            b.buf = 0;
            b.cnt = 0;
        }
    }
    Ok(())
}

impl Bits<'_> {
    /// All input read and only zero padding bits left in the bit buffer.
    fn saw_rest_is_padding(&self) -> bool {
        self.pos == self.data.len() && self.buf == 0 && self.cnt < 8
    }
}
