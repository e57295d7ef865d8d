package ssrf

import (
	"context"
	"net/netip"
	"net/url"
	"strings"
	"testing"
)

// FuzzCheckURL: whatever the URL, if CheckURL accepts it, its host must not
// stand for a denied address in any notation.
func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{"http://127.0.0.1", "http://2130706433", "http://0x7f.1", "http://[::ffff:127.0.0.1]",
		"https://example.com:8443/x", "http://127.1", "http://0177.1", "http://localhost.", "http://[fd00:ec2::254]"} {
		f.Add(s)
	}
	g := New(Policy{})
	f.Fuzz(func(t *testing.T, raw string) {
		if g.CheckURL(context.Background(), raw) != nil {
			return
		}
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("accepted an unparsable URL %q", raw)
		}
		h := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
		if a, err := netip.ParseAddr(h); err == nil && g.deny.SafeAddr(a) != nil {
			t.Fatalf("accepted denied literal %q", raw)
		}
		if a, ok := ParseIPv4Loose(h); ok && g.deny.SafeAddr(a) != nil {
			t.Fatalf("accepted denied loose IPv4 %q", raw)
		}
		if h == "localhost" {
			t.Fatalf("accepted localhost %q", raw)
		}
	})
}

// FuzzParseIPv4Loose: a successful parse of a canonical dotted quad agrees
// with netip.
func FuzzParseIPv4Loose(f *testing.F) {
	for _, s := range []string{"1.2.3.4", "0x7f.1", "2130706433", "0177.0.0.01", "1.2.3.4.5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, ok := ParseIPv4Loose(s)
		if b, err := netip.ParseAddr(s); err == nil && b.Is4() {
			if !ok || a != b {
				t.Fatalf("ParseIPv4Loose(%q) = %v, %v; netip says %v", s, a, ok, b)
			}
		}
	})
}
