package sdk

import (
	"errors"
	"strconv"
	"unicode/utf8"
)

// MaxDepth bounds nesting in Rewrite.
const MaxDepth = 64

// ErrSyntax is input that is not JSON.
var ErrSyntax = errors.New("sdk: invalid JSON")

// Visitor changes a document while Rewrite copies it. Each callback
// appends its replacement to dst and returns it; a nil callback copies the
// value unchanged. key is the enclosing object key ("" in arrays and at the
// top level), already unescaped.
type Visitor struct {
	// Key renames object keys.
	Key func(dst, key []byte) []byte
	// String replaces string values (s is unescaped; the result is escaped
	// by Rewrite).
	String func(dst, key, s []byte) []byte
	// Number replaces numbers; raw is the number's JSON text and the
	// result is written as is (it must be valid JSON).
	Number func(dst, key, raw []byte) []byte
}

// Rewrite appends to dst a copy of the JSON document src, compacted, with
// the visitor's changes, without reflection and with few allocations.
func Rewrite(dst, src []byte, v *Visitor) ([]byte, error) {
	var r Rewriter
	return r.Rewrite(dst, src, v)
}

// Rewriter is Rewrite with buffers kept between calls: a transform that
// keeps one allocates nothing per call in steady state. Not safe for
// concurrent use (a guest instance is single-threaded).
type Rewriter struct{ r rewriter }

// Rewrite is the package-level Rewrite reusing r's buffers.
func (rw *Rewriter) Rewrite(dst, src []byte, v *Visitor) ([]byte, error) {
	r := &rw.r
	r.src, r.i, r.v = src, 0, v
	defer func() { r.src = nil }()
	r.ws()
	dst, err := r.value(dst, nil, 0)
	if err != nil {
		return nil, err
	}
	r.ws()
	if r.i != len(src) {
		return nil, r.fail()
	}
	return dst, nil
}

type rewriter struct {
	src     []byte
	i       int
	v       *Visitor
	scratch []scratch // per-depth buffers, reused across values
}

type scratch struct{ key, str, out []byte }

func (r *rewriter) fail() error {
	return errors.New(ErrSyntax.Error() + " at byte " + strconv.Itoa(r.i))
}

func (r *rewriter) ws() {
	for r.i < len(r.src) {
		switch r.src[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

func (r *rewriter) at(depth int) *scratch {
	for len(r.scratch) <= depth {
		r.scratch = append(r.scratch, scratch{})
	}
	return &r.scratch[depth]
}

func (r *rewriter) value(dst, key []byte, depth int) ([]byte, error) {
	if depth > MaxDepth {
		return nil, errors.New("sdk: JSON nested too deeply")
	}
	if r.i >= len(r.src) {
		return nil, r.fail()
	}
	switch c := r.src[r.i]; {
	case c == '{':
		return r.object(dst, depth)
	case c == '[':
		return r.array(dst, depth)
	case c == '"':
		sc := r.at(depth)
		s, err := r.str(sc.str[:0])
		if err != nil {
			return nil, err
		}
		sc.str = s
		if r.v != nil && r.v.String != nil {
			// The callback's output goes to its own buffer, then is
			// escaped into dst.
			sc.out = r.v.String(sc.out[:0], key, s)
			return appendString(dst, sc.out), nil
		}
		return appendString(dst, s), nil
	case c == '-' || (c >= '0' && c <= '9'):
		start := r.i
		if !r.number() {
			return nil, r.fail()
		}
		raw := r.src[start:r.i]
		if r.v != nil && r.v.Number != nil {
			return r.v.Number(dst, key, raw), nil
		}
		return append(dst, raw...), nil
	default:
		for _, lit := range [...]string{"true", "false", "null"} {
			if len(r.src)-r.i >= len(lit) && string(r.src[r.i:r.i+len(lit)]) == lit {
				r.i += len(lit)
				return append(dst, lit...), nil
			}
		}
		return nil, r.fail()
	}
}

// number consumes a JSON number (RFC 8259 grammar).
func (r *rewriter) number() bool {
	digits := func() int {
		n := 0
		for r.i < len(r.src) && r.src[r.i] >= '0' && r.src[r.i] <= '9' {
			r.i++
			n++
		}
		return n
	}
	if r.src[r.i] == '-' {
		r.i++
	}
	if r.i < len(r.src) && r.src[r.i] == '0' {
		r.i++
	} else if digits() == 0 {
		return false
	}
	if r.i < len(r.src) && r.src[r.i] == '.' {
		r.i++
		if digits() == 0 {
			return false
		}
	}
	if r.i < len(r.src) && (r.src[r.i] == 'e' || r.src[r.i] == 'E') {
		r.i++
		if r.i < len(r.src) && (r.src[r.i] == '+' || r.src[r.i] == '-') {
			r.i++
		}
		if digits() == 0 {
			return false
		}
	}
	return true
}

func (r *rewriter) object(dst []byte, depth int) ([]byte, error) {
	r.i++ // {
	dst = append(dst, '{')
	r.ws()
	if r.i < len(r.src) && r.src[r.i] == '}' {
		r.i++
		return append(dst, '}'), nil
	}
	for n := 0; ; n++ {
		if n > 0 {
			dst = append(dst, ',')
		}
		r.ws()
		if r.i >= len(r.src) || r.src[r.i] != '"' {
			return nil, r.fail()
		}
		sc := r.at(depth)
		key, err := r.str(sc.key[:0])
		if err != nil {
			return nil, err
		}
		sc.key = key
		if r.v != nil && r.v.Key != nil {
			sc.out = r.v.Key(sc.out[:0], key)
			dst = appendString(dst, sc.out)
		} else {
			dst = appendString(dst, key)
		}
		r.ws()
		if r.i >= len(r.src) || r.src[r.i] != ':' {
			return nil, r.fail()
		}
		r.i++
		dst = append(dst, ':')
		r.ws()
		// The key buffer is reused by deeper levels only at their own
		// depth, so key stays valid while its value is copied.
		if dst, err = r.value(dst, key, depth+1); err != nil {
			return nil, err
		}
		r.ws()
		if r.i >= len(r.src) {
			return nil, r.fail()
		}
		switch r.src[r.i] {
		case ',':
			r.i++
		case '}':
			r.i++
			return append(dst, '}'), nil
		default:
			return nil, r.fail()
		}
	}
}

func (r *rewriter) array(dst []byte, depth int) ([]byte, error) {
	r.i++ // [
	dst = append(dst, '[')
	r.ws()
	if r.i < len(r.src) && r.src[r.i] == ']' {
		r.i++
		return append(dst, ']'), nil
	}
	for n := 0; ; n++ {
		if n > 0 {
			dst = append(dst, ',')
		}
		r.ws()
		var err error
		if dst, err = r.value(dst, nil, depth+1); err != nil {
			return nil, err
		}
		r.ws()
		if r.i >= len(r.src) {
			return nil, r.fail()
		}
		switch r.src[r.i] {
		case ',':
			r.i++
		case ']':
			r.i++
			return append(dst, ']'), nil
		default:
			return nil, r.fail()
		}
	}
}

// str reads a JSON string at r.i into buf, unescaped.
func (r *rewriter) str(buf []byte) ([]byte, error) {
	r.i++ // opening quote
	start := r.i
	for r.i < len(r.src) {
		c := r.src[r.i]
		switch {
		case c == '"':
			buf = append(buf, r.src[start:r.i]...)
			r.i++
			return buf, nil
		case c == '\\':
			buf = append(buf, r.src[start:r.i]...)
			var err error
			if buf, err = r.escape(buf); err != nil {
				return nil, err
			}
			start = r.i
		case c < 0x20:
			return nil, r.fail()
		default:
			r.i++
		}
	}
	return nil, r.fail()
}

func (r *rewriter) escape(buf []byte) ([]byte, error) {
	if r.i+1 >= len(r.src) {
		return nil, r.fail()
	}
	c := r.src[r.i+1]
	r.i += 2
	switch c {
	case '"', '\\', '/':
		return append(buf, c), nil
	case 'b':
		return append(buf, '\b'), nil
	case 'f':
		return append(buf, '\f'), nil
	case 'n':
		return append(buf, '\n'), nil
	case 'r':
		return append(buf, '\r'), nil
	case 't':
		return append(buf, '\t'), nil
	case 'u':
		cp, ok := r.hex4()
		if !ok {
			return nil, r.fail()
		}
		if cp >= 0xd800 && cp < 0xdc00 && r.i+1 < len(r.src) && r.src[r.i] == '\\' && r.src[r.i+1] == 'u' {
			save := r.i
			r.i += 2
			lo, ok := r.hex4()
			if ok && lo >= 0xdc00 && lo < 0xe000 {
				return utf8.AppendRune(buf, (cp-0xd800)<<10+(lo-0xdc00)+0x10000), nil
			}
			r.i = save
		}
		return utf8.AppendRune(buf, cp), nil
	}
	return nil, r.fail()
}

func (r *rewriter) hex4() (rune, bool) {
	if r.i+4 > len(r.src) {
		return 0, false
	}
	var v rune
	for _, c := range r.src[r.i : r.i+4] {
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
	r.i += 4
	return v, true
}

const hexDigits = "0123456789abcdef"

// AppendString appends s as a JSON string literal.
func AppendString(dst, s []byte) []byte { return appendString(dst, s) }

func appendString(dst, s []byte) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
			continue
		}
		dst = append(dst, s[start:i]...)
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
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
