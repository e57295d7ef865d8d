// pii-mask as an AssemblyScript guest of Portico's transform ABI
// (docs/wasm-abi.md): the same single-pass, byte-level state machine as
// wasm-transforms/examples/piimask (Masker.run), ported line for line so
// that the output is the same byte for byte. Masks e-mail addresses and
// Luhn-valid card numbers inside any string, and the whole scalar value of
// the keys password, secret, token, ssn and iban (case-insensitive).
//
// Memory is managed by hand (runtime stub, no GC): alloc(n) returns one
// input buffer at the heap base, the output buffer and a scratch area for
// unescaped strings follow it, and memory grows when a call needs more.
// Invalid JSON or nesting deeper than 64 returns an error (bit 31 of the
// length set) with a short message.

const MAX_DEPTH: i32 = 64;

// Byte classes (as in piimask.go).
const C_DIGIT: u32 = 1;
const C_LOCAL: u32 = 2;
const C_DOMAIN: u32 = 4;
const C_STOP: u32 = 8;
const C_NEEDESC: u32 = 16;
const C_AT: u32 = 32;
const C_WS: u32 = 64;
const C_HIGH: u32 = 128;
const C_CARD_SHIFT: u32 = 8;

const LO: u64 = 0x0101010101010101;
const HI: u64 = 0x8080808080808080;

// Static areas: the class table (256 x u16), the container stack and the
// hex digits.
const classTab: usize = memory.data(512, 2);
const stack: usize = memory.data(MAX_DEPTH + 2);
const hexDigits: usize = memory.data<u8>([48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 97, 98, 99, 100, 101, 102]);

for (let c: u32 = 0; c < 256; c++) {
  const letter = (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
  const digit = c >= 48 && c <= 57;
  let k: u32 = 0;
  if (digit) k |= C_DIGIT;
  if (letter || digit || c == 46 || c == 95 || c == 37 || c == 43 || c == 45) k |= C_LOCAL;
  if (letter || digit || c == 46 || c == 45) k |= C_DOMAIN;
  if (c == 34 || c == 92 || c < 0x20) k |= C_STOP | C_NEEDESC;
  if (c == 60 || c == 62 || c == 38) k |= C_NEEDESC;
  if (c == 64) k |= C_AT;
  if (c == 32 || c == 9 || c == 10 || c == 13) k |= C_WS;
  if (c >= 0x80) k |= C_HIGH;
  if (digit || c == 32 || c == 45) k |= 1 << C_CARD_SHIFT;
  store<u16>(classTab + (c << 1), <u16>k);
}

// @ts-ignore: decorator
@inline function cls(c: u32): u32 {
  return <u32>load<u16>(classTab + (<usize>c << 1));
}

// @ts-ignore: decorator
@inline function byteAt(p: usize): u32 {
  return <u32>load<u8>(p);
}

// @ts-ignore: decorator
@inline function haszero(w: u64): u64 {
  return (w - LO) & ~w & HI;
}

// Buffers: [input | output | scratch], from the heap base.
let inPtr: usize = (__heap_base + 15) & ~15;
let outPtr: usize = 0;
let strPtr: usize = 0;

function ensure(end: usize): void {
  const have = <usize>memory.size() << 16;
  if (end > have) {
    const pages = <i32>((end - have + 0xffff) >> 16);
    if (memory.grow(pages) < 0) unreachable();
  }
}

// alloc returns the input buffer, sized for len bytes, and reserves the
// output (at most 6 bytes per input byte: "\u00XX", or "****" quoted for a
// one-digit number) and scratch areas behind it.
export function alloc(len: i32): usize {
  const n = <usize>len;
  outPtr = (inPtr + n + 16) & ~15;
  strPtr = (outPtr + 6 * n + 64) & ~15;
  ensure(strPtr + n + 16);
  return inPtr;
}

const msgInvalid: usize = memory.data<u8>([112, 105, 105, 45, 109, 97, 115, 107, 58, 32, 105, 110, 118, 97, 108, 105, 100, 32, 74, 83, 79, 78]); // "pii-mask: invalid JSON"
const msgInvalidLen: u64 = 22;

export function transform(ptr: usize, len: i32): i64 {
  if (ptr != inPtr || outPtr == 0) { // the host always calls alloc first
    return <i64>((<u64>msgInvalid << 32) | msgInvalidLen | 0x80000000);
  }
  const end = run(ptr, <usize>len, outPtr);
  if (end == 0) return <i64>((<u64>msgInvalid << 32) | msgInvalidLen | 0x80000000);
  return <i64>((<u64>outPtr << 32) | <u64>(end - outPtr));
}

// put4 stores "****".
// @ts-ignore: decorator
@inline function put4(d: usize): usize {
  store<u32>(d, 0x2a2a2a2a);
  return d + 4;
}

// putQ4 stores "\"****\"".
// @ts-ignore: decorator
@inline function putQ4(d: usize): usize {
  store<u8>(d, 34);
  store<u32>(d + 1, 0x2a2a2a2a);
  store<u8>(d + 5, 34);
  return d + 6;
}

// foldEq is bytes.EqualFold(s, target) for a key with non-ASCII bytes:
// each rune must be the target's ASCII letter in either case, or a
// Unicode letter that folds to it (U+017F long s, U+212A Kelvin sign).
function foldEq(s: usize, n: usize, t: string): bool {
  let i: usize = 0;
  let k: i32 = 0;
  const tl = t.length;
  while (i < n) {
    if (k >= tl) return false;
    const want = <u32>t.charCodeAt(k);
    const c = byteAt(s + i);
    if (c < 0x80) {
      if ((c | 0x20) != want) return false;
      i++;
    } else if (c == 0xc5 && i + 1 < n && byteAt(s + i + 1) == 0xbf) { // U+017F
      if (want != 115) return false;
      i += 2;
    } else if (c == 0xe2 && i + 2 < n && byteAt(s + i + 1) == 0x84 && byteAt(s + i + 2) == 0xaa) { // U+212A
      if (want != 107) return false;
      i += 3;
    } else {
      return false;
    }
    k++;
  }
  return k == tl;
}

function isSensitiveFold(s: usize, n: usize): bool {
  return foldEq(s, n, "password") || foldEq(s, n, "secret") || foldEq(s, n, "token") ||
    foldEq(s, n, "ssn") || foldEq(s, n, "iban");
}

// @ts-ignore: decorator
@inline function lc(s: usize, i: usize): u32 {
  return byteAt(s + i) | 0x20;
}

function isSensitiveASCII(s: usize, n: usize): bool {
  switch (<i32>n) {
    case 3: return lc(s, 0) == 115 && lc(s, 1) == 115 && lc(s, 2) == 110;
    case 4: return lc(s, 0) == 105 && lc(s, 1) == 98 && lc(s, 2) == 97 && lc(s, 3) == 110;
    case 5: return lc(s, 0) == 116 && lc(s, 1) == 111 && lc(s, 2) == 107 && lc(s, 3) == 101 && lc(s, 4) == 110;
    case 6: return lc(s, 0) == 115 && lc(s, 1) == 101 && lc(s, 2) == 99 && lc(s, 3) == 114 && lc(s, 4) == 101 && lc(s, 5) == 116;
    case 8: return lc(s, 0) == 112 && lc(s, 1) == 97 && lc(s, 2) == 115 && lc(s, 3) == 115 &&
      lc(s, 4) == 119 && lc(s, 5) == 111 && lc(s, 6) == 114 && lc(s, 7) == 100;
    default: return false;
  }
}

function hexVal(c: u32): i32 {
  if (c >= 48 && c <= 57) return <i32>(c - 48);
  if (c >= 97 && c <= 102) return <i32>(c - 87);
  if (c >= 65 && c <= 70) return <i32>(c - 55);
  return -1;
}

function hex4(src: usize, i: usize, n: usize): i32 {
  if (i + 4 > n) return -1;
  let v: i32 = 0;
  for (let k: usize = 0; k < 4; k++) {
    const h = hexVal(byteAt(src + i + k));
    if (h < 0) return -1;
    v = (v << 4) | h;
  }
  return v;
}

// unescape writes the string starting after its opening quote at src[i]
// to strPtr, unescaped; returns the index after the closing quote and
// sets strEnd, or -1 for an invalid string.
let strEnd: usize = 0;
function unescape(src: usize, n: usize, i: usize): isize {
  let d = strPtr;
  let start = i;
  while (i < n) {
    const c = byteAt(src + i);
    if (c == 34) {
      memory.copy(d, src + start, i - start);
      strEnd = d + (i - start);
      return <isize>(i + 1);
    }
    if (c < 0x20) return -1;
    if (c != 92) { i++; continue; }
    memory.copy(d, src + start, i - start);
    d += i - start;
    if (i + 1 >= n) return -1;
    const e = byteAt(src + i + 1);
    i += 2;
    if (e == 34 || e == 92 || e == 47) store<u8>(d++, e);
    else if (e == 98) store<u8>(d++, 8);
    else if (e == 102) store<u8>(d++, 12);
    else if (e == 110) store<u8>(d++, 10);
    else if (e == 114) store<u8>(d++, 13);
    else if (e == 116) store<u8>(d++, 9);
    else if (e == 117) {
      let cp = hex4(src, i, n);
      if (cp < 0) return -1;
      i += 4;
      if (cp >= 0xd800 && cp < 0xdc00 && i + 1 < n && byteAt(src + i) == 92 && byteAt(src + i + 1) == 117) {
        const lo = hex4(src, i + 2, n);
        if (lo >= 0xdc00 && lo < 0xe000) {
          cp = ((cp - 0xd800) << 10) + (lo - 0xdc00) + 0x10000;
          i += 6;
        }
      }
      if (cp >= 0xd800 && cp < 0xe000) cp = 0xfffd; // utf8.AppendRune
      if (cp < 0x80) {
        store<u8>(d++, cp);
      } else if (cp < 0x800) {
        store<u8>(d++, 0xc0 | (cp >> 6));
        store<u8>(d++, 0x80 | (cp & 0x3f));
      } else if (cp < 0x10000) {
        store<u8>(d++, 0xe0 | (cp >> 12));
        store<u8>(d++, 0x80 | ((cp >> 6) & 0x3f));
        store<u8>(d++, 0x80 | (cp & 0x3f));
      } else {
        store<u8>(d++, 0xf0 | (cp >> 18));
        store<u8>(d++, 0x80 | ((cp >> 12) & 0x3f));
        store<u8>(d++, 0x80 | ((cp >> 6) & 0x3f));
        store<u8>(d++, 0x80 | (cp & 0x3f));
      }
    } else return -1;
    start = i;
  }
  return -1;
}

// domainEnd: a mail domain after the '@' at s[q]: domain characters,
// trailing dots dropped, a dot after its first character and >= 2
// characters after the last. Returns its end, or 0.
// @ts-ignore: decorator
@inline function domainEnd(s: usize, ns: usize, q: usize): usize {
  let k = q + 1;
  while (k < ns && (cls(byteAt(s + k)) & C_DOMAIN) != 0) k++;
  while (k > q + 1 && byteAt(s + k - 1) == 46) k--;
  let d = k - 1;
  while (d > q && byteAt(s + d) != 46) d--;
  if (d > q + 1 && k - d >= 3) return k;
  return 0;
}

// skipWS returns the index of the first non-whitespace byte at or after
// i. The loop is entered only when there is whitespace: under the host's
// Interrupt enforcement every entry to a loop header costs a check.
// @ts-ignore: decorator
@inline function skipWS(src: usize, i: usize, n: usize): usize {
  if (i < n && (cls(byteAt(src + i)) & C_WS) != 0) {
    do i++; while (i < n && (cls(byteAt(src + i)) & C_WS) != 0);
  }
  return i;
}

const ST_VALUE = 0;
const ST_AFTER = 1;
const ST_KEY = 2;
const ST_STR = 3;
const ST_COLON = 4;
const ST_BAD = 5;

// run is Masker.run: src[0:n] to dst; returns the end of the output, or
// 0 for input the reference rejects.
// str is the ST_STR state, a function so that the state loop can fall
// through to the next state: a string starts at src[i]. It returns the
// next state and leaves i, dst and sens in gI, gDst, gSens.
let gI: usize = 0;
let gDst: usize = 0;
let gSens = false;
// @ts-ignore: decorator
@inline function strDone(state: i32, i: usize, dst: usize, sens: bool): i32 {
  gI = i;
  gDst = dst;
  gSens = sens;
  return state;
}

function str(src: usize, n: usize, i: usize, dst: usize, isKey: bool, sens: bool): i32 {
  // ST_STR: a string starts at src[i].
  const a = i + 1;
  let j = a;
  let fl: u32 = 0;
  let nd: i32 = 0;
  let at: u64 = 0, esc: u64 = 0, high: u64 = 0;
  // The first word is peeled off the loop: most keys and short values
  // end in it, and under Interrupt enforcement every entry to a loop
  // header costs a check.
  let found = false;
  if (j + 8 <= n) {
    const w = load<u64>(src + j);
    const stop = haszero(w ^ (LO * 34)) | haszero(w ^ (LO * 92)) | ((w - LO * 0x20) & ~w & HI);
    const v = w | HI;
    const dig = (v - LO * 48) & ~(v - LO * 58) & HI & ~w;
    const atm = haszero(w ^ (LO * 64));
    const escm = haszero(w ^ (LO * 60)) | haszero(w ^ (LO * 62)) | haszero(w ^ (LO * 38));
    if (stop != 0) {
      const pos = <usize>(ctz<u64>(stop) >> 3);
      const keep = (<u64>1 << (<u64>pos * 8)) - 1;
      at |= atm & keep;
      esc |= escm & keep;
      high |= w & HI & keep;
      nd += <i32>popcnt<u64>(dig & keep);
      j += pos;
      found = true;
    } else {
      at |= atm;
      esc |= escm;
      high |= w & HI;
      nd += <i32>popcnt<u64>(dig);
      j += 8;
    }
    if (!found && j + 8 <= n) while (true) {
      const w = load<u64>(src + j);
      const stop = haszero(w ^ (LO * 34)) | haszero(w ^ (LO * 92)) | ((w - LO * 0x20) & ~w & HI);
      const v = w | HI;
      const dig = (v - LO * 48) & ~(v - LO * 58) & HI & ~w;
      const atm = haszero(w ^ (LO * 64));
      const escm = haszero(w ^ (LO * 60)) | haszero(w ^ (LO * 62)) | haszero(w ^ (LO * 38));
      if (stop != 0) {
        const pos = <usize>(ctz<u64>(stop) >> 3);
        const keep = (<u64>1 << (<u64>pos * 8)) - 1;
        at |= atm & keep;
        esc |= escm & keep;
        high |= w & HI & keep;
        nd += <i32>popcnt<u64>(dig & keep);
        j += pos;
        found = true;
        break;
      }
      at |= atm;
      esc |= escm;
      high |= w & HI;
      nd += <i32>popcnt<u64>(dig);
      j += 8;
      if (j + 8 > n) break;
    }
  }
  if (at != 0) fl |= C_AT;
  if (esc != 0) fl |= C_NEEDESC;
  if (high != 0) fl |= C_HIGH;
  if (!found) while (j < n) {
    const t = cls(byteAt(src + j));
    if ((t & C_STOP) != 0) break;
    fl |= t;
    nd += <i32>(t & C_DIGIT);
    j++;
  }
  if (j >= n || byteAt(src + j) < 0x20) return ST_BAD;
  let s: usize, ns: usize;
  if (byteAt(src + j) == 34) {
    s = src + a;
    ns = j - a;
    i = j + 1;
  } else { // escapes: unescape (rare; validates too)
    const r = unescape(src, n, a);
    if (r < 0) return ST_BAD;
    i = <usize>r;
    s = strPtr;
    ns = strEnd - strPtr;
    fl = C_NEEDESC;
    nd = 0;
    for (let k: usize = 0; k < ns; k++) {
      const t = cls(byteAt(s + k));
      fl |= t;
      nd += <i32>(t & C_DIGIT);
    }
  }
  let doAt = false, doCard = false;
  if (isKey) {
    sens = (fl & C_HIGH) != 0 ? isSensitiveFold(s, ns) : isSensitiveASCII(s, ns);
    if ((fl & C_NEEDESC) == 0) {
      memory.copy(dst, src + a - 1, i - a + 1);
      dst += i - a + 1;
      return strDone(ST_COLON, i, dst, sens);
    }
  } else {
    if (sens) {
      dst = putQ4(dst);
      return strDone(ST_AFTER, i, dst, sens);
    }
    doAt = (fl & C_AT) != 0;
    if (nd >= 13) {
      // A card needs 13 digits in one stretch of digits, spaces and
      // dashes.
      let runLen: i32 = 0, found: i32 = 0;
      for (let k: usize = 0; k < ns; k++) {
        const t = cls(byteAt(s + k));
        runLen = (runLen + <i32>(t & C_DIGIT)) * <i32>((t >> C_CARD_SHIFT) & 1);
        found |= (12 - runLen) >> 31;
      }
      doCard = found != 0;
    }
    if (!doCard && (fl & C_NEEDESC) == 0) {
      if (!doAt) {
        memory.copy(dst, src + a - 1, i - a + 1); // nothing to mask or escape
        dst += i - a + 1;
        return strDone(ST_AFTER, i, dst, sens);
      }
      // Only e-mail addresses: from '@' to '@', bulk copies between.
      store<u8>(dst++, 34);
      let p: usize = 0;
      while (true) {
        let x = p;
        while (x < ns && byteAt(s + x) != 64) x++;
        if (x >= ns) break;
        let r = x;
        while (r > p && (cls(byteAt(s + r - 1)) & C_LOCAL) != 0) r--;
        if (r < x) {
          const k = domainEnd(s, ns, x);
          if (k != 0) {
            memory.copy(dst, s + p, r - p);
            dst = put4(dst + (r - p));
            p = k;
            continue;
          }
        }
        memory.copy(dst, s + p, x + 1 - p);
        dst += x + 1 - p;
        p = x + 1;
      }
      memory.copy(dst, s + p, ns - p);
      dst += ns - p;
      store<u8>(dst++, 34);
      return strDone(ST_AFTER, i, dst, sens);
    }
  }

  // Copy s escaped, masking e-mail addresses (doAt) and card numbers
  // (doCard), one loop over runs of local-part characters.
  store<u8>(dst++, 34);
  let p: usize = 0;
  while (p < ns) {
    const c = byteAt(s + p);
    const t = cls(c);
    if ((t & C_LOCAL) == 0) {
      p++;
      if ((t & C_NEEDESC) == 0) { store<u8>(dst++, c); continue; }
      if (c == 34 || c == 92) { store<u8>(dst, 92); store<u8>(dst + 1, c); dst += 2; }
      else if (c == 10) { store<u16>(dst, 0x6e5c); dst += 2; }
      else if (c == 13) { store<u16>(dst, 0x725c); dst += 2; }
      else if (c == 9) { store<u16>(dst, 0x745c); dst += 2; }
      else {
        store<u32>(dst, 0x3030755c); // \u00
        store<u8>(dst + 4, load<u8>(hexDigits + (c >> 4)));
        store<u8>(dst + 5, load<u8>(hexDigits + (c & 15)));
        dst += 6;
      }
      continue;
    }
    let q = p + 1;
    while (q < ns && (cls(byteAt(s + q)) & C_LOCAL) != 0) q++;
    if (doAt && q < ns && byteAt(s + q) == 64) {
      const k = domainEnd(s, ns, q);
      if (k != 0) {
        dst = put4(dst);
        p = k;
        continue;
      }
    }
    if (doCard && (t & C_DIGIT) != 0) {
      // 13-19 digits, single spaces or dashes between, then no digit,
      // passing Luhn.
      let cn: i32 = 0, sa: i32 = 0, sb: i32 = 0;
      let x = p, end = p;
      while (x < ns && cn < 19) {
        const e = byteAt(s + x);
        if (e - 48 <= 9) {
          const v = <i32>(e - 48);
          let w = 2 * v;
          if (w > 9) w -= 9;
          if ((cn & 1) == 0) { sa += w; sb += v; } else { sa += v; sb += w; }
          cn++;
          x++;
          end = x;
          continue;
        }
        if ((e == 32 || e == 45) && x + 1 < ns && byteAt(s + x + 1) - 48 <= 9) { x++; continue; }
        break;
      }
      if (cn >= 13 && (end >= ns || byteAt(s + end) - 48 > 9)) {
        const sum = (cn & 1) == 0 ? sa : sb;
        if (sum % 10 == 0) {
          dst = put4(dst);
          p = end;
          continue;
        }
      }
    }
    memory.copy(dst, s + p, q - p); // local characters need no escaping
    dst += q - p;
    p = q;
  }
  store<u8>(dst++, 34);
  return strDone(isKey ? ST_COLON : ST_AFTER, i, dst, sens);
}

function run(src: usize, n: usize, dst: usize): usize {
  let i: usize = 0;
  let depth: i32 = 0;
  let sens = false;
  let isKey = false;
  let state = ST_VALUE;
  while (true) {
    if (state == ST_AFTER) {
      i = skipWS(src, i, n);
      if (depth == 0) return i == n ? dst : 0;
      if (i >= n) return 0;
      const c = byteAt(src + i);
      const top = <u32>load<u8>(stack + depth - 1);
      i++;
      if (c == 44) { // falls through to ST_KEY or ST_VALUE
        store<u8>(dst++, 44);
        if (top == 123) {
          state = ST_KEY;
        } else {
          sens = false;
          state = ST_VALUE;
        }
      } else {
        if (c != top + 2) return 0; // '}' closes '{', ']' closes '['
        store<u8>(dst++, c);
        depth--;
        continue; // ST_AFTER
      }
    }

    if (state == ST_KEY) {
      i = skipWS(src, i, n);
      if (i >= n || byteAt(src + i) != 34) return 0;
      isKey = true;
      state = ST_STR;
    }

    if (state == ST_STR) {
      state = str(src, n, i, dst, isKey, sens);
      if (state == ST_BAD) return 0;
      i = gI;
      dst = gDst;
      sens = gSens;
    }
    if (state == ST_COLON) {
      i = skipWS(src, i, n);
      if (i >= n || byteAt(src + i) != 58) return 0;
      store<u8>(dst++, 58);
      i++;
      state = ST_VALUE;
    }

    if (state == ST_VALUE) {
      i = skipWS(src, i, n);
      if (depth > MAX_DEPTH || i >= n) return 0;
      const c = byteAt(src + i);
      if (c == 34) { isKey = false; state = ST_STR; continue; }
      if (c == 123 || c == 91) {
        store<u8>(stack + depth, c);
        depth++;
        store<u8>(dst++, c);
        i++;
        i = skipWS(src, i, n);
        if (i < n && byteAt(src + i) == c + 2) {
          store<u8>(dst++, c + 2);
          i++;
          depth--;
          state = ST_AFTER;
          continue;
        }
        if (c == 123) { state = ST_KEY; continue; }
        sens = false;
        continue; // ST_VALUE
      }
      if (c == 45 || c - 48 <= 9) {
        const a = i;
        if (c == 45) i++;
        if (i < n && byteAt(src + i) == 48) {
          i++;
        } else {
          const j = i;
          while (i < n && byteAt(src + i) - 48 <= 9) i++;
          if (i == j) return 0;
        }
        if (i < n && byteAt(src + i) == 46) {
          i++;
          const j = i;
          while (i < n && byteAt(src + i) - 48 <= 9) i++;
          if (i == j) return 0;
        }
        if (i < n && (byteAt(src + i) | 0x20) == 101) {
          i++;
          if (i < n && (byteAt(src + i) == 43 || byteAt(src + i) == 45)) i++;
          const j = i;
          while (i < n && byteAt(src + i) - 48 <= 9) i++;
          if (i == j) return 0;
        }
        if (sens) {
          dst = putQ4(dst);
        } else {
          memory.copy(dst, src + a, i - a);
          dst += i - a;
        }
        state = ST_AFTER;
        continue;
      }
      if (c == 116 && n - i >= 4 && load<u32>(src + i) == 0x65757274) { // true
        i += 4; store<u32>(dst, 0x65757274); dst += 4;
      } else if (c == 102 && n - i >= 5 && load<u32>(src + i + 1) == 0x65736c61) { // false
        i += 5; store<u8>(dst, 102); store<u32>(dst + 1, 0x65736c61); dst += 5;
      } else if (c == 110 && n - i >= 4 && load<u32>(src + i) == 0x6c6c756e) { // null
        i += 4; store<u32>(dst, 0x6c6c756e); dst += 4;
      } else {
        return 0;
      }
      state = ST_AFTER;
      continue;
    }
  }
  return 0;
}
