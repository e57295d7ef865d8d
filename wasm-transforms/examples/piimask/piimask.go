// Package piimask masks personal data in a JSON document: e-mail addresses
// and card numbers (Luhn-checked) inside any string, and the whole value of
// sensitive keys (password, secret, token, ssn, iban). Plain Go: it runs
// natively in tests and inside the pii-mask WebAssembly transform.
package piimask

import (
	"bytes"

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
func Apply(dst, doc []byte) ([]byte, error) { return sdk.Rewrite(dst, doc, visitor) }

// Masker is Apply with reused buffers, for a guest's hot path.
type Masker struct{ rw sdk.Rewriter }

// Apply appends the masked copy of doc to dst.
func (m *Masker) Apply(dst, doc []byte) ([]byte, error) { return m.rw.Rewrite(dst, doc, visitor) }

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
