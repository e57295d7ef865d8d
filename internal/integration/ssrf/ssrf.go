package ssrf

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	dny "code.dny.dev/ssrf"
)

// ErrDenied is wrapped by every refusal: a prohibited address, port, scheme
// or host.
var ErrDenied = errors.New("ssrf: destination not allowed")

// DefaultPorts are the ports a non-allowlisted destination may use.
var DefaultPorts = []uint16{80, 443, 8080, 8443}

// Allowed is one allowlist entry: every address of Prefix, on Port (zero:
// any port).
type Allowed struct {
	Prefix netip.Prefix
	Port   uint16
}

func (a Allowed) String() string {
	if a.Port == 0 {
		return a.Prefix.String()
	}
	if a.Prefix.IsSingleIP() {
		return netip.AddrPortFrom(a.Prefix.Addr(), a.Port).String()
	}
	return a.Prefix.String() + " port " + strconv.Itoa(int(a.Port))
}

func (a Allowed) permits(ap netip.AddrPort) bool {
	return a.Prefix.Contains(ap.Addr().Unmap()) && (a.Port == 0 || a.Port == ap.Port())
}

// ParseAllowList parses a comma-separated allowlist of CIDR prefixes
// ("10.1.0.0/16"), addresses ("127.0.0.1", "::1") and address:port pairs
// ("127.0.0.1:8081", "[::1]:8081"). Empty means nothing is allowed.
func ParseAllowList(s string) ([]Allowed, error) {
	var out []Allowed
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if ap, err := netip.ParseAddrPort(f); err == nil {
			if ap.Port() == 0 {
				return nil, fmt.Errorf("allowlist entry %q: port 0", f)
			}
			a := ap.Addr().Unmap()
			out = append(out, Allowed{Prefix: netip.PrefixFrom(a, a.BitLen()), Port: ap.Port()})
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			if p.Addr().Zone() != "" {
				return nil, fmt.Errorf("allowlist entry %q: zones are not allowed", f)
			}
			out = append(out, Allowed{Prefix: p.Masked()})
			continue
		}
		if a, err := netip.ParseAddr(f); err == nil && a.Zone() == "" {
			a = a.Unmap()
			out = append(out, Allowed{Prefix: netip.PrefixFrom(a, a.BitLen())})
			continue
		}
		return nil, fmt.Errorf("allowlist entry %q: want a CIDR prefix, an IP address or IP:port", f)
	}
	return out, nil
}

// ParsePorts parses a comma-separated port list; "*" means any port (nil,
// true).
func ParsePorts(s string) (ports []uint16, any bool, err error) {
	if strings.TrimSpace(s) == "*" {
		return nil, true, nil
	}
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.ParseUint(f, 10, 16)
		if err != nil || n == 0 {
			return nil, false, fmt.Errorf("port %q: want 1-65535 or *", f)
		}
		ports = append(ports, uint16(n))
	}
	return ports, false, nil
}

// Policy configures a Guard.
type Policy struct {
	// Allow lists destinations permitted despite the deny lists, on the
	// entry's port (or any port). Operator configuration, never tenant's.
	Allow []Allowed
	// Ports are the ports other destinations may use; nil means
	// DefaultPorts. AnyPort lifts the port check for them.
	Ports   []uint16
	AnyPort bool
	// Lookup resolves host names at save time (CheckURL); nil skips the
	// DNS check (the dial-time check still applies). A lookup error is
	// not a refusal: the host may not exist yet.
	Lookup func(ctx context.Context, host string) ([]netip.Addr, error)
}

// Guard enforces a Policy. It is safe for concurrent use.
type Guard struct {
	allow   []Allowed
	ports   []uint16
	anyPort bool
	lookup  func(ctx context.Context, host string) ([]netip.Addr, error)
	deny    *dny.Guardian
}

// New returns a Guard for p.
func New(p Policy) *Guard {
	g := &Guard{allow: slices.Clone(p.Allow), ports: slices.Clone(p.Ports), anyPort: p.AnyPort, lookup: p.Lookup}
	if g.ports == nil {
		g.ports = DefaultPorts
	}
	// Ports are checked here, against the allowlist first; the Guardian
	// only judges addresses.
	g.deny = dny.New(dny.WithAnyPort(), dny.WithAnyNetwork())
	return g
}

// CheckAddrPort reports whether ap may be dialled: nil, or an error
// wrapping ErrDenied.
func (g *Guard) CheckAddrPort(ap netip.AddrPort) error {
	for _, a := range g.allow {
		if a.permits(ap) {
			return nil
		}
	}
	if !g.anyPort && !slices.Contains(g.ports, ap.Port()) {
		return fmt.Errorf("%w: port %d is not allowed", ErrDenied, ap.Port())
	}
	if ap.Addr().Zone() != "" {
		return fmt.Errorf("%w: %s has a zone", ErrDenied, ap.Addr())
	}
	if err := g.deny.SafeAddr(ap.Addr()); err != nil {
		return fmt.Errorf("%w: %s is a private, loopback, link-local or reserved address", ErrDenied, ap.Addr())
	}
	return nil
}

// Control is a net.Dialer Control hook: it sees the address actually
// dialled, after DNS resolution.
func (g *Guard) Control(network, address string, _ syscall.RawConn) error {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return fmt.Errorf("%w: network %s", ErrDenied, network)
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: cannot parse dialled address %q", ErrDenied, address)
	}
	return g.CheckAddrPort(ap)
}

// Dialer returns a dialer guarded by g with the given connect timeout.
func (g *Guard) Dialer(connectTimeout time.Duration) *net.Dialer {
	return &net.Dialer{Timeout: connectTimeout, KeepAlive: 30 * time.Second, Control: g.Control}
}

// CheckURL checks an upstream URL without dialling it: http or https, no
// credentials, an allowed port, and a host that is not (and, when a
// resolver is configured, does not resolve to) a denied address. It
// returns an error wrapping ErrDenied, with a message fit for a tenant.
func (g *Guard) CheckURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%w: not an absolute URL", ErrDenied)
	}
	return g.CheckParsedURL(ctx, u)
}

// CheckParsedURL is CheckURL for a parsed URL (redirect targets).
func (g *Guard) CheckParsedURL(ctx context.Context, u *url.URL) error {
	var defPort uint16
	switch u.Scheme {
	case "http":
		defPort = 80
	case "https":
		defPort = 443
	default:
		return fmt.Errorf("%w: scheme must be http or https", ErrDenied)
	}
	if u.User != nil {
		return fmt.Errorf("%w: URL must not carry credentials", ErrDenied)
	}
	host := u.Hostname()
	port := defPort
	if p := u.Port(); p != "" {
		n, err := strconv.ParseUint(p, 10, 16)
		if err != nil || n == 0 {
			return fmt.Errorf("%w: invalid port %q", ErrDenied, p)
		}
		port = uint16(n)
	}
	addrs, literal, err := hostAddrs(host)
	if err != nil {
		return err
	}
	if !literal && g.lookup != nil {
		lctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		res, lerr := g.lookup(lctx, host)
		cancel()
		if lerr == nil {
			addrs = res
		}
	}
	for _, a := range addrs {
		if err := g.CheckAddrPort(netip.AddrPortFrom(a, port)); err != nil {
			if literal {
				return err
			}
			return fmt.Errorf("%w (host %s resolves to it)", err, host)
		}
	}
	if len(addrs) == 0 && !g.anyPort && !g.allowsPort(port) {
		return fmt.Errorf("%w: port %d is not allowed", ErrDenied, port)
	}
	return nil
}

func (g *Guard) allowsPort(port uint16) bool {
	if slices.Contains(g.ports, port) {
		return true
	}
	for _, a := range g.allow {
		if a.Port == 0 || a.Port == port {
			return true
		}
	}
	return false
}

// hostAddrs returns the addresses a host name stands for without DNS: a
// literal IP in any notation a resolver might accept, or loopback for
// "localhost" names. literal is false for an ordinary DNS name.
func hostAddrs(host string) (addrs []netip.Addr, literal bool, err error) {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	if h == "" {
		return nil, false, fmt.Errorf("%w: empty host", ErrDenied)
	}
	if a, err := netip.ParseAddr(h); err == nil {
		if a.Zone() != "" {
			return nil, false, fmt.Errorf("%w: zoned address", ErrDenied)
		}
		return []netip.Addr{a}, true, nil
	}
	if looksNumeric(h) {
		a, ok := ParseIPv4Loose(h)
		if !ok {
			return nil, false, fmt.Errorf("%w: host %q is neither a DNS name nor an IPv4 address", ErrDenied, host)
		}
		return []netip.Addr{a}, true, nil
	}
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return []netip.Addr{netip.AddrFrom4([4]byte{127, 0, 0, 1}), netip.IPv6Loopback()}, true, nil
	}
	return nil, false, nil
}

// looksNumeric reports whether the last label of h is a number (decimal,
// or 0x hex), which the WHATWG URL standard and inet_aton both read as an
// IPv4 address ("2130706433", "0x7f.1", "127.1", "0177.0.0.1").
func looksNumeric(h string) bool {
	last := h
	if i := strings.LastIndexByte(h, '.'); i >= 0 {
		last = h[i+1:]
	}
	if last == "" {
		return false
	}
	if strings.HasPrefix(last, "0x") {
		last = last[2:]
		for i := 0; i < len(last); i++ {
			if !isHex(last[i]) {
				return false
			}
		}
		return true
	}
	for i := 0; i < len(last); i++ {
		if last[i] < '0' || last[i] > '9' {
			return false
		}
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// ParseIPv4Loose parses the IPv4 notations of inet_aton: one to four parts,
// each decimal, octal (leading 0) or hex (0x), the last filling the
// remaining bytes ("127.1" is 127.0.0.1, "2130706433" and "0x7f000001" too).
func ParseIPv4Loose(s string) (netip.Addr, bool) {
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	var vals [4]uint64
	for i, p := range parts {
		if p == "" {
			return netip.Addr{}, false
		}
		base := 10
		switch {
		case len(p) > 1 && (p[:2] == "0x" || p[:2] == "0X"):
			base, p = 16, p[2:]
			if p == "" {
				p = "0"
			}
		case len(p) > 1 && p[0] == '0':
			base, p = 8, p[1:]
		}
		v, err := strconv.ParseUint(p, base, 32)
		if err != nil {
			return netip.Addr{}, false
		}
		vals[i] = v
	}
	n := len(parts)
	for i := 0; i < n-1; i++ {
		if vals[i] > 0xff {
			return netip.Addr{}, false
		}
	}
	if vals[n-1] > (uint64(1)<<(8*(5-n)))-1 {
		return netip.Addr{}, false
	}
	var ip uint32
	for i := 0; i < n-1; i++ {
		ip |= uint32(vals[i]) << (24 - 8*i)
	}
	ip |= uint32(vals[n-1])
	return netip.AddrFrom4([4]byte{byte(ip >> 24), byte(ip >> 16), byte(ip >> 8), byte(ip)}), true
}
