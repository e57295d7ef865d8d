package reqtmpl

import (
	"fmt"
	"net/url"
	"strings"
)

// Uses reports whether s holds a request placeholder ({path.x},
// {query.y} or {header.Z}), as opposed to a route-style "{id}".
func Uses(s string) bool {
	return strings.Contains(s, "{path.") || strings.Contains(s, "{query.") || strings.Contains(s, "{header.")
}

// URL is an upstream URL template: a fixed origin (scheme://host[:port],
// never templated, so the SSRF guard's save-time verdict holds) with a
// templated path and raw query.
type URL struct {
	Origin *url.URL  // scheme and host only
	Path   *Template // escaped path, Path component
	Query  *Template // raw query (without '?'), Query component; nil when none
}

// ParseURL parses an absolute URL whose path and query may hold
// placeholders. Placeholders in the scheme, host or fragment are refused.
func ParseURL(raw string) (*URL, error) {
	i := strings.Index(raw, "://")
	if i < 0 {
		return nil, fmt.Errorf("%w: not an absolute URL", ErrSyntax)
	}
	rest := raw[i+3:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	_, frag, _ := strings.Cut(rest[end:], "#")
	if strings.ContainsAny(raw[:i+3+end], "{}") || strings.ContainsAny(frag, "{}") {
		return nil, fmt.Errorf("%w: placeholders are allowed in the path and query only", ErrSyntax)
	}
	origin, err := url.Parse(raw[:i+3+end])
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSyntax, err)
	}
	pathAndQuery := rest[end:]
	if j := strings.IndexByte(pathAndQuery, '#'); j >= 0 {
		pathAndQuery = pathAndQuery[:j]
	}
	p, q, hasQuery := strings.Cut(pathAndQuery, "?")
	u := &URL{Origin: origin}
	if u.Path, err = Parse(p, Path); err != nil {
		return nil, err
	}
	if lit := u.Path.Literal("x"); lit != "" {
		if _, err := url.PathUnescape(lit); err != nil {
			return nil, fmt.Errorf("%w: path: %w", ErrSyntax, err)
		}
	}
	if hasQuery {
		if u.Query, err = Parse(q, Query); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// Expand renders u for one request: a fresh *url.URL with the origin and
// the expanded path (decoded in Path, as rendered in RawPath) and query.
func (u *URL) Expand(v Values) (*url.URL, error) {
	raw, err := u.Path.Expand(v)
	if err != nil {
		return nil, err
	}
	out := &url.URL{Scheme: u.Origin.Scheme, Host: u.Origin.Host, Path: raw}
	if strings.IndexByte(raw, '%') >= 0 {
		dec, err := url.PathUnescape(raw)
		if err != nil {
			return nil, err
		}
		out.Path, out.RawPath = dec, raw
	}
	if u.Query != nil {
		if out.RawQuery, err = u.Query.Expand(v); err != nil {
			return nil, err
		}
	}
	return out, nil
}
