package route

import (
	"errors"
	"fmt"
	"strings"
)

// MaxPathLen is the longest escaped path, in bytes, that Canonical accepts or
// returns.
const MaxPathLen = 8 << 10

// ErrBadPath is wrapped by every error Canonical returns: the request path is
// malformed and the request should be rejected with 400.
var ErrBadPath = errors.New("route: bad request path")

// Canonical returns the one canonical form of a request path given as its
// escaped form (r.URL.EscapedPath()).
//
// It rejects paths that do not start with "/", that are longer than
// MaxPathLen, or that contain control characters, NUL (raw or as %00) or
// invalid percent-escapes. It then decodes escapes of unreserved characters
// (ALPHA DIGIT - . _ ~), upper-cases the hex digits of every other escape
// (an encoded "/" stays %2F and is not a separator), percent-encodes bytes
// that may not appear raw in a path, collapses repeated slashes, resolves
// "." and ".." segments (RFC 3986 section 5.2.4) without going above the
// root, and drops a trailing slash except for "/". Letter case is preserved.
//
// A path that is already canonical is returned unchanged, without
// allocating. Canonical is idempotent.
func Canonical(escaped string) (string, error) {
	if len(escaped) > MaxPathLen {
		return "", fmt.Errorf("%w: longer than %d bytes", ErrBadPath, MaxPathLen)
	}
	if escaped == "" || escaped[0] != '/' {
		return "", fmt.Errorf("%w: must start with \"/\"", ErrBadPath)
	}
	clean, err := checkPath(escaped)
	if err != nil {
		return "", err
	}
	if clean {
		return escaped, nil
	}
	return rebuildPath(escaped)
}

// checkPath validates s (which starts with "/") and reports whether it is
// already canonical.
func checkPath(s string) (clean bool, err error) {
	clean = true
	segStart := 1
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '/':
			if isEmptyOrDot(s[segStart:i]) {
				clean = false
			}
			segStart = i + 1
		case c == '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return false, fmt.Errorf("%w: invalid percent-escape at byte %d", ErrBadPath, i)
			}
			b := unhex(s[i+1])<<4 | unhex(s[i+2])
			if b == 0 {
				return false, fmt.Errorf("%w: NUL (%%00) at byte %d", ErrBadPath, i)
			}
			if isUnreserved(b) || isLowerHex(s[i+1]) || isLowerHex(s[i+2]) {
				clean = false
			}
			i += 2
		case c < 0x20 || c == 0x7f:
			return false, fmt.Errorf("%w: control character 0x%02X at byte %d", ErrBadPath, c, i)
		case !isPchar(c):
			clean = false
		}
	}
	if len(s) > 1 && isEmptyOrDot(s[segStart:]) {
		clean = false
	}
	return clean, nil
}

// rebuildPath builds the canonical form of s, which checkPath has validated.
func rebuildPath(s string) (string, error) {
	buf := make([]byte, 0, len(s)+8)
	rest := s[1:]
	for {
		seg, next, more := strings.Cut(rest, "/")
		start := len(buf)
		buf = append(buf, '/')
		buf = appendSegment(buf, seg)
		switch string(buf[start+1:]) {
		case "", ".":
			buf = buf[:start]
		case "..":
			buf = buf[:start]
			// Every segment in buf starts with its own '/', and segments
			// never hold a raw '/', so this pops exactly one segment; at the
			// root there is nothing to pop.
			if j := lastSlash(buf); j >= 0 {
				buf = buf[:j]
			}
		}
		if !more {
			break
		}
		rest = next
	}
	if len(buf) == 0 {
		return "/", nil
	}
	if len(buf) > MaxPathLen {
		return "", fmt.Errorf("%w: longer than %d bytes once escaped", ErrBadPath, MaxPathLen)
	}
	return string(buf), nil
}

// appendSegment appends the canonical form of one raw (validated) segment.
func appendSegment(buf []byte, seg string) []byte {
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		switch {
		case c == '%':
			b := unhex(seg[i+1])<<4 | unhex(seg[i+2])
			i += 2
			if isUnreserved(b) {
				buf = append(buf, b)
			} else {
				buf = appendEscape(buf, b)
			}
		case isPchar(c):
			buf = append(buf, c)
		default:
			buf = appendEscape(buf, c)
		}
	}
	return buf
}

func appendEscape(buf []byte, b byte) []byte {
	const upperHex = "0123456789ABCDEF"
	return append(buf, '%', upperHex[b>>4], upperHex[b&0x0f])
}

func lastSlash(b []byte) int {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == '/' {
			return i
		}
	}
	return -1
}

func isEmptyOrDot(seg string) bool {
	return seg == "" || seg == "." || seg == ".."
}

// isUnreserved reports whether c is an RFC 3986 unreserved character.
func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// isSubDelim reports whether c is an RFC 3986 sub-delim.
func isSubDelim(c byte) bool {
	switch c {
	case '!', '$', '&', '\'', '(', ')', '*', '+', ',', ';', '=':
		return true
	}
	return false
}

// isPchar reports whether c may appear unescaped in a path segment
// (RFC 3986 pchar, minus pct-encoded).
func isPchar(c byte) bool {
	return isUnreserved(c) || isSubDelim(c) || c == ':' || c == '@'
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func isLowerHex(c byte) bool { return 'a' <= c && c <= 'f' }

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}
