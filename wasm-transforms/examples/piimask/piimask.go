// Package piimask masks personal data in a JSON document: e-mail addresses
// and card numbers (Luhn-checked) inside any string, and the whole value of
// sensitive keys (password, secret, token, ssn, iban). Plain Go: it runs
// natively in tests and inside the pii-mask WebAssembly transform.
//
// The hot path (Masker.Apply) is one function: a byte-level state machine
// over the JSON text with a class table, no callbacks, no per-field
// allocations and no reflection, and strings scanned eight bytes at a time,
// because calls, branches and loop iterations are what makes Go compiled to
// WebAssembly slow (docs/wasm-abi.md). The callback-based
// sdk.Rewriter version (reference) is kept: it gives invalid input its
// error message, and the tests check the two agree.
package piimask

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"unicode/utf8"

	"github.com/portico/portico/wasm-transforms/sdk"
)

// Mask replaces each detected value.
const Mask = "****"

var sensitive = [][]byte{[]byte("password"), []byte("secret"), []byte("token"), []byte("ssn"), []byte("iban")}

func isSensitive(key []byte) bool {
	for _, s := range sensitive {
		if bytes.EqualFold(key, s) {
			return true
		}
	}
	return false
}

var visitor = &sdk.Visitor{
	String: func(dst, key, s []byte) []byte {
		if isSensitive(key) {
			return append(dst, Mask...)
		}
		return maskText(dst, s)
	},
	Number: func(dst, key, raw []byte) []byte {
		if isSensitive(key) {
			return append(dst, `"`+Mask+`"`...)
		}
		return append(dst, raw...)
	},
}

// Apply appends the masked copy of doc to dst.
func Apply(dst, doc []byte) ([]byte, error) {
	var m Masker
	return m.Apply(dst, doc)
}

// Masker is Apply with reused buffers, for a guest's hot path. Not safe for
// concurrent use.
type Masker struct {
	stack [sdk.MaxDepth + 1]byte // open containers: '{' or '['
	str   []byte                 // a string with escapes, unescaped
	rw    sdk.Rewriter           // the reference, for invalid input
}

// Apply appends the masked copy of doc to dst.
func (m *Masker) Apply(dst, doc []byte) ([]byte, error) {
	if out, ok := m.run(dst, doc); ok {
		return out, nil
	}
	// Invalid input (or too deep): the reference gives the error.
	return m.rw.Rewrite(dst, doc, visitor)
}

// reference is the callback-based implementation the state machine must
// match byte for byte.
func reference(dst, doc []byte) ([]byte, error) { return sdk.Rewrite(dst, doc, visitor) }

// Byte classes.
const (
	cDigit   = 1 << iota // 0-9 (bit 0: added up to count digits)
	cLocal               // e-mail local part: letters, digits, . _ % + -
	cDomain              // e-mail domain: letters, digits, . -
	cStop                // ends a raw string scan: quote, backslash, control
	cNeedEsc             // escaped on output: quote, backslash, control, < > &
	cAt                  // '@'
	cWS                  // JSON whitespace
	cHigh                // >= 0x80 (non-ASCII: keys take the Unicode fold)
)

// cCard (digits, space, dash: what a card number is made of) is bit 8 of
// the uint16 class table.
const (
	cCardShift = 8
	cCard      = 1 << cCardShift
)

var class = func() (t [256]uint16) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		letter := b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
		digit := b >= '0' && b <= '9'
		var k uint16
		if digit {
			k |= cDigit
		}
		if letter || digit || b == '.' || b == '_' || b == '%' || b == '+' || b == '-' {
			k |= cLocal
		}
		if letter || digit || b == '.' || b == '-' {
			k |= cDomain
		}
		if b == '"' || b == '\\' || b < 0x20 {
			k |= cStop | cNeedEsc
		}
		if b == '<' || b == '>' || b == '&' {
			k |= cNeedEsc
		}
		if b == '@' {
			k |= cAt
		}
		if b == ' ' || b == '\t' || b == '\n' || b == '\r' {
			k |= cWS
		}
		if b >= 0x80 {
			k |= cHigh
		}
		if digit || b == ' ' || b == '-' {
			k |= cCard
		}
		t[c] = k
	}
	return t
}()

const hexDigits = "0123456789abcdef"

// run is the single pass. It reports false on anything the reference
// would reject (the caller then asks the reference for the error). The
// states are labels: each transition is one jump, with no dispatch on a
// state variable (in Go compiled to WebAssembly every taken branch costs
// a trip through the function's jump table).
func (m *Masker) run(dst, src []byte) ([]byte, bool) {
	if cap(dst)-len(dst) < len(src)+64 {
		dst = append(make([]byte, 0, len(dst)+len(src)+len(src)/4+64), dst...)
	}
	n := len(src)
	i, depth := 0, 0
	sens := false  // the value due belongs to a sensitive key
	isKey := false // the string at src[i] is an object key
	var (
		c, top                byte
		a, j, nd              int
		fl                    uint16
		at, esc, high         uint64
		s                     []byte
		ok, raw, doAt, doCard bool
	)

value: // a value is due at src[i] (after whitespace)
	for i < n && class[src[i]]&cWS != 0 {
		i++
	}
	if depth > sdk.MaxDepth || i >= n {
		return nil, false
	}
	c = src[i]
	if c == '"' {
		isKey = false
		goto str
	}
	if c == '{' || c == '[' {
		m.stack[depth] = c
		depth++
		dst = append(dst, c)
		i++
		for i < n && class[src[i]]&cWS != 0 {
			i++
		}
		if i < n && src[i] == c+2 {
			dst = append(dst, c+2)
			i++
			depth--
			goto after
		}
		if c == '{' {
			goto key
		}
		sens = false
		goto value
	}
	if c == '-' || c-'0' <= 9 {
		a = i
		if c == '-' {
			i++
		}
		if i < n && src[i] == '0' {
			i++
		} else {
			j = i
			for i < n && src[i]-'0' <= 9 {
				i++
			}
			if i == j {
				return nil, false
			}
		}
		if i < n && src[i] == '.' {
			i++
			j = i
			for i < n && src[i]-'0' <= 9 {
				i++
			}
			if i == j {
				return nil, false
			}
		}
		if i < n && src[i]|0x20 == 'e' {
			i++
			if i < n && (src[i] == '+' || src[i] == '-') {
				i++
			}
			j = i
			for i < n && src[i]-'0' <= 9 {
				i++
			}
			if i == j {
				return nil, false
			}
		}
		if sens {
			dst = append(dst, '"', '*', '*', '*', '*', '"')
		} else {
			dst = append(dst, src[a:i]...)
		}
		goto after
	}
	switch {
	case c == 't' && n-i >= 4 && src[i+1] == 'r' && src[i+2] == 'u' && src[i+3] == 'e':
		i += 4
		dst = append(dst, 't', 'r', 'u', 'e')
	case c == 'f' && n-i >= 5 && src[i+1] == 'a' && src[i+2] == 'l' && src[i+3] == 's' && src[i+4] == 'e':
		i += 5
		dst = append(dst, 'f', 'a', 'l', 's', 'e')
	case c == 'n' && n-i >= 4 && src[i+1] == 'u' && src[i+2] == 'l' && src[i+3] == 'l':
		i += 4
		dst = append(dst, 'n', 'u', 'l', 'l')
	default:
		return nil, false
	}
	goto after

after: // a value ended: ',', a closing bracket, or the end
	for i < n && class[src[i]]&cWS != 0 {
		i++
	}
	if depth == 0 {
		return dst, i == n
	}
	if i >= n {
		return nil, false
	}
	c, top = src[i], m.stack[depth-1]
	i++
	if c == ',' {
		dst = append(dst, ',')
		if top == '{' {
			goto key
		}
		sens = false
		goto value
	}
	if c != top+2 { // '}' closes '{', ']' closes '['
		return nil, false
	}
	dst = append(dst, c)
	depth--
	goto after

key: // an object key is due
	for i < n && class[src[i]]&cWS != 0 {
		i++
	}
	if i >= n || src[i] != '"' {
		return nil, false
	}
	isKey = true

str: // a string starts at src[i]
	a = i + 1
	j = a
	fl, nd = 0, 0
	// Eight bytes at a time: one branch per word, not several per byte.
	// The lowest flagged lane of a haszero mask is exact (borrows only
	// flag lanes above a real match), so the word holding the closing
	// quote is handled too, up to that lane.
	at, esc, high = 0, 0, 0
	for j+8 <= n {
		w := binary.LittleEndian.Uint64(src[j:])
		stop := haszero(w^(lo*'"')) | haszero(w^(lo*'\\')) | (w-lo*0x20)&^w&hi
		v := w | hi
		dig := (v - lo*'0') &^ (v - lo*':') & hi &^ w // ASCII digit lanes
		atm := haszero(w ^ (lo * '@'))
		escm := haszero(w^(lo*'<')) | haszero(w^(lo*'>')) | haszero(w^(lo*'&'))
		if stop != 0 {
			pos := bits.TrailingZeros64(stop) >> 3
			keep := uint64(1)<<(pos*8) - 1
			at |= atm & keep
			esc |= escm & keep
			high |= w & hi & keep
			nd += bits.OnesCount64(dig & keep)
			j += pos
			break
		}
		at |= atm
		esc |= escm
		high |= w & hi
		nd += bits.OnesCount64(dig)
		j += 8
	}
	if at != 0 {
		fl |= cAt
	}
	if esc != 0 {
		fl |= cNeedEsc
	}
	if high != 0 {
		fl |= cHigh
	}
	for j < n {
		t := class[src[j]]
		if t&cStop != 0 {
			break
		}
		fl |= t
		nd += int(t & cDigit)
		j++
	}
	if j >= n || src[j] < 0x20 {
		return nil, false
	}
	raw = src[j] == '"'
	if raw {
		s = src[a:j]
		i = j + 1
	} else { // escapes: unescape (rare; validates too)
		if m.str, i, ok = unescape(m.str[:0], src, a); !ok {
			return nil, false
		}
		s = m.str
		fl, nd = cNeedEsc, 0
		for _, c := range s {
			t := class[c]
			fl |= t
			nd += int(t & cDigit)
		}
	}
	doAt, doCard = false, false
	if isKey {
		if fl&cHigh != 0 {
			sens = isSensitive(s) // Unicode case folding: rare
		} else {
			switch len(s) {
			case 3:
				sens = s[0]|0x20 == 's' && s[1]|0x20 == 's' && s[2]|0x20 == 'n'
			case 4:
				sens = s[0]|0x20 == 'i' && s[1]|0x20 == 'b' && s[2]|0x20 == 'a' && s[3]|0x20 == 'n'
			case 5:
				sens = s[0]|0x20 == 't' && s[1]|0x20 == 'o' && s[2]|0x20 == 'k' && s[3]|0x20 == 'e' && s[4]|0x20 == 'n'
			case 6:
				sens = s[0]|0x20 == 's' && s[1]|0x20 == 'e' && s[2]|0x20 == 'c' && s[3]|0x20 == 'r' && s[4]|0x20 == 'e' && s[5]|0x20 == 't'
			case 8:
				sens = s[0]|0x20 == 'p' && s[1]|0x20 == 'a' && s[2]|0x20 == 's' && s[3]|0x20 == 's' &&
					s[4]|0x20 == 'w' && s[5]|0x20 == 'o' && s[6]|0x20 == 'r' && s[7]|0x20 == 'd'
			default:
				sens = false
			}
		}
		if fl&cNeedEsc == 0 {
			dst = append(dst, src[a-1:i]...)
			goto colon
		}
	} else {
		if sens {
			dst = append(dst, '"', '*', '*', '*', '*', '"')
			goto after
		}
		doAt, doCard = fl&cAt != 0, false
		if nd >= 13 {
			// A card needs 13 digits in one stretch of digits, spaces
			// and dashes: find the longest such count (no branches).
			run, found := 0, 0
			for _, c := range s {
				t := class[c]
				run = (run + int(t&cDigit)) * int(t>>cCardShift&1)
				found |= (12 - run) >> 63
			}
			doCard = found != 0
		}
		if !doCard && fl&cNeedEsc == 0 {
			if !doAt {
				dst = append(dst, src[a-1:i]...) // nothing to mask or escape
				goto after
			}
			// Only e-mail addresses: jump from '@' to '@', copying the
			// text between in bulk. The local part is the run of
			// local-part characters before the '@' (not before p).
			dst = append(dst, '"')
			p := 0
			for {
				x := bytes.IndexByte(s[p:], '@')
				if x < 0 {
					break
				}
				x += p
				r := x
				for r > p && class[s[r-1]]&cLocal != 0 {
					r--
				}
				if r < x {
					k := x + 1
					for k < len(s) && class[s[k]]&cDomain != 0 {
						k++
					}
					for k > x+1 && s[k-1] == '.' {
						k--
					}
					d := k - 1
					for d > x && s[d] != '.' {
						d--
					}
					if d > x+1 && k-d >= 3 {
						dst = append(dst, s[p:r]...)
						dst = append(dst, '*', '*', '*', '*')
						p = k
						continue
					}
				}
				dst = append(dst, s[p:x+1]...)
				p = x + 1
			}
			dst = append(dst, s[p:]...)
			dst = append(dst, '"')
			goto after
		}
	}

	// Copy s escaped, masking e-mail addresses (doAt) and card numbers
	// (doCard): the reference's maskText and then appendString, in one
	// loop over runs of local-part characters.
	dst = append(dst, '"')
	for p := 0; p < len(s); {
		c := s[p]
		t := class[c]
		if t&cLocal == 0 {
			p++
			if t&cNeedEsc == 0 {
				dst = append(dst, c)
				continue
			}
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			continue
		}
		q := p + 1
		for q < len(s) && class[s[q]]&cLocal != 0 {
			q++
		}
		if doAt && q < len(s) && s[q] == '@' {
			// A domain: domain characters, trailing dots dropped, a dot
			// after its first character and >= 2 characters after the
			// last.
			k := q + 1
			for k < len(s) && class[s[k]]&cDomain != 0 {
				k++
			}
			for k > q+1 && s[k-1] == '.' {
				k--
			}
			d := k - 1
			for d > q && s[d] != '.' {
				d--
			}
			if d > q+1 && k-d >= 3 {
				dst = append(dst, '*', '*', '*', '*')
				p = k
				continue
			}
		}
		if doCard && t&cDigit != 0 {
			// 13-19 digits, single spaces or dashes between, then no
			// digit, passing Luhn. sa doubles the digits at even
			// indexes, sb at odd ones; the last digit is never doubled.
			cn, x, end, sa, sb := 0, p, p, 0, 0
			for x < len(s) && cn < 19 {
				e := s[x]
				if e-'0' <= 9 {
					v := int(e - '0')
					w := 2 * v
					if w > 9 {
						w -= 9
					}
					if cn&1 == 0 {
						sa, sb = sa+w, sb+v
					} else {
						sa, sb = sa+v, sb+w
					}
					cn++
					x++
					end = x
					continue
				}
				if (e == ' ' || e == '-') && x+1 < len(s) && s[x+1]-'0' <= 9 {
					x++
					continue
				}
				break
			}
			if cn >= 13 && (end >= len(s) || s[end]-'0' > 9) {
				sum := sb
				if cn&1 == 0 {
					sum = sa
				}
				if sum%10 == 0 {
					dst = append(dst, '*', '*', '*', '*')
					p = end
					continue
				}
			}
		}
		dst = append(dst, s[p:q]...) // local characters need no escaping
		p = q
	}
	dst = append(dst, '"')
	if !isKey {
		goto after
	}

colon: // the ':' after a key
	for i < n && class[src[i]]&cWS != 0 {
		i++
	}
	if i >= n || src[i] != ':' {
		return nil, false
	}
	dst = append(dst, ':')
	i++
	goto value
}

// SWAR constants: lane tests on eight bytes in a uint64, read little-endian
// (one i64.load in WebAssembly).
const (
	lo = 0x0101010101010101
	hi = 0x8080808080808080
)

// haszero is nonzero when a byte of w is zero.
func haszero(w uint64) uint64 { return (w - lo) &^ w & hi }

// unescape appends the JSON string starting after its opening quote at
// src[i] to buf, unescaped as the SDK does, and returns the index after
// the closing quote; false for an invalid string.
func unescape(buf, src []byte, i int) ([]byte, int, bool) {
	start := i
	for i < len(src) {
		c := src[i]
		switch {
		case c == '"':
			return append(buf, src[start:i]...), i + 1, true
		case c < 0x20:
			return nil, i, false
		case c != '\\':
			i++
			continue
		}
		buf = append(buf, src[start:i]...)
		if i+1 >= len(src) {
			return nil, i, false
		}
		e := src[i+1]
		i += 2
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			cp, ok := hex4(src, i)
			if !ok {
				return nil, i, false
			}
			i += 4
			if cp >= 0xd800 && cp < 0xdc00 && i+1 < len(src) && src[i] == '\\' && src[i+1] == 'u' {
				if lo, ok := hex4(src, i+2); ok && lo >= 0xdc00 && lo < 0xe000 {
					cp = (cp-0xd800)<<10 + (lo - 0xdc00) + 0x10000
					i += 6
				}
			}
			buf = utf8.AppendRune(buf, cp)
		default:
			return nil, i, false
		}
		start = i
	}
	return nil, i, false
}

func hex4(src []byte, i int) (rune, bool) {
	if i+4 > len(src) {
		return 0, false
	}
	var v rune
	for _, c := range src[i : i+4] {
		v <<= 4
		switch {
		case c >= '0' && c <= '9':
			v |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			v |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			v |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	return v, true
}

// maskText appends s with e-mail addresses and card numbers masked.
func maskText(dst, s []byte) []byte {
	if bytes.IndexByte(s, '@') < 0 && digitCount(s) < 13 {
		return append(dst, s...) // fast path: nothing to find
	}
	// Walk word by word (runs of address characters): one check per word,
	// not per byte, which matters most in WebAssembly where calls are dear.
	i := 0
	for i < len(s) {
		c := s[i]
		if !isLocal(c) {
			dst = append(dst, c)
			i++
			continue
		}
		j := i
		for j < len(s) && isLocal(s[j]) {
			j++
		}
		if j < len(s) && s[j] == '@' {
			if k, ok := domain(s, j); ok {
				dst = append(dst, Mask...)
				i = k
				continue
			}
		}
		if isDigit(c) {
			if k, ok := card(s, i); ok {
				dst = append(dst, Mask...)
				i = k
				continue
			}
		}
		dst = append(dst, s[i:j]...)
		i = j
	}
	return dst
}

func digitCount(s []byte) int {
	n := 0
	for _, c := range s {
		if isDigit(c) {
			n++
		}
	}
	return n
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isLocal(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-'
}

func isDomain(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c) || c == '.' || c == '-'
}

// domain reports whether a mail domain follows the '@' at j, and where
// it ends.
func domain(s []byte, j int) (int, bool) {
	k := j + 1
	for k < len(s) && isDomain(s[k]) {
		k++
	}
	for k > j+1 && s[k-1] == '.' { // a trailing dot ends the sentence
		k--
	}
	lastDot := bytes.LastIndexByte(s[j+1:k], '.')
	if lastDot <= 0 || k-(j+1+lastDot) < 3 {
		return 0, false
	}
	return k, true
}

// card reports whether 13-19 digits (spaces or dashes between) passing the
// Luhn check start at i.
func card(s []byte, i int) (int, bool) {
	var digits [19]byte
	n, j, end := 0, i, i
	for j < len(s) && n < 19 {
		c := s[j]
		if isDigit(c) {
			digits[n] = c - '0'
			n++
			j++
			end = j
			continue
		}
		if (c == ' ' || c == '-') && j+1 < len(s) && isDigit(s[j+1]) {
			j++
			continue
		}
		break
	}
	if n < 13 || (end < len(s) && isDigit(s[end])) {
		return 0, false
	}
	sum := 0
	for k := 0; k < n; k++ {
		d := int(digits[n-1-k])
		if k%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return end, sum%10 == 0
}
