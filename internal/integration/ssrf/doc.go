// Package ssrf keeps upstream calls away from the platform's own network.
//
// A Guard checks a URL when an integration is saved (CheckURL: scheme, port,
// literal addresses in any notation the resolver might accept, "localhost"
// names and, when a resolver is configured, every DNS answer) and again on
// every connection (Control, a net.Dialer Control hook that sees the
// resolved address actually dialled, so DNS answers that change between the
// check and the dial cannot get through). Denied: loopback, link-local
// (169.254.169.254, fd00:ec2::254, 169.254.170.2), private, shared and every
// other IANA special-purpose range, IPv4-mapped and NAT64 IPv6, 0.0.0.0 and
// anything outside IPv6 global unicast (code.dny.dev/ssrf's lists), and
// ports outside an allowlist (80, 443, 8080, 8443 by default).
//
// The only way through is an explicit allowlist (Policy.Allow), configured
// by the operator, never by a tenant: local mode allows its demo upstream's
// address, AWS mode allows nothing by default.
package ssrf
