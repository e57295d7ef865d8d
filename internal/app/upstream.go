package app

import (
	"context"
	"fmt"
	"net"
	"net/netip"

	"github.com/portico/portico/internal/integration/ssrf"
)

// upstreamPolicy reads the SSRF allowlist:
//
//   - PORTICO_UPSTREAM_ALLOW: comma-separated CIDRs, IPs or IP:port pairs
//     upstreams may reach despite the deny lists. Default in local mode:
//     exactly the demo upstream's address (PORTICO_DEMO_UPSTREAM_LISTEN,
//     127.0.0.1:8081), not all of loopback, so a tenant of a shared local
//     install cannot reach the gateway itself, DynamoDB Local or Redis on
//     the same host. Default in aws mode: nothing.
//   - PORTICO_UPSTREAM_PORTS: ports other destinations may use (default
//     80,443,8080,8443; "*" for any).
func upstreamPolicy(get func(k, def string) string, local bool, demoListen string) (ssrf.Policy, error) {
	def := ""
	if local {
		def = demoAllow(demoListen)
	}
	allow, err := ssrf.ParseAllowList(get("PORTICO_UPSTREAM_ALLOW", def))
	if err != nil {
		return ssrf.Policy{}, fmt.Errorf("PORTICO_UPSTREAM_ALLOW: %w", err)
	}
	ports, anyPort, err := ssrf.ParsePorts(get("PORTICO_UPSTREAM_PORTS", "80,443,8080,8443"))
	if err != nil {
		return ssrf.Policy{}, fmt.Errorf("PORTICO_UPSTREAM_PORTS: %w", err)
	}
	return ssrf.Policy{Allow: allow, Ports: ports, AnyPort: anyPort}, nil
}

// demoAllow is the allowlist entry of the demo upstream's listen address:
// its IP:port, loopback when the host is empty or a name.
func demoAllow(listen string) string {
	if ap, err := netip.ParseAddrPort(listen); err == nil && !ap.Addr().IsUnspecified() {
		return ap.String()
	}
	_, port, err := net.SplitHostPort(listen)
	if err != nil || port == "0" {
		return ""
	}
	return "127.0.0.1:" + port
}

// upstreamGuard is the SSRF guard of e, resolving names at save time with
// the default resolver.
func upstreamGuard(e Env) *ssrf.Guard {
	p := e.Upstream
	p.Lookup = func(ctx context.Context, host string) ([]netip.Addr, error) {
		return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	}
	return ssrf.New(p)
}
