package cache

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"strconv"
)

// KeyParts is everything a cached response varies by. Two requests share an
// entry only when every part is equal.
type KeyParts struct {
	Tenant string
	// ConfigVersion is the tenant's configuration version: any published
	// change starts a fresh key space.
	ConfigVersion int64
	Route         string // "GET /v1/items/{id}"
	Path          string // canonical path, version first
	Query         string // canonical query: sorted by name, values in order
	// Headers holds the chosen request headers as name, value pairs, in the
	// policy's order.
	Headers []string
	// Principal is the caller's ID on per-principal routes, else "".
	Principal string
}

// Key returns the cache key of p: the tenant in clear (so tenants never
// share a key, and a tenant's keys can be found) and a SHA-256 of every
// part, length-prefixed so that no two different part lists collide by
// concatenation.
func Key(p KeyParts) string {
	h := sha256.New()
	var n [binary.MaxVarintLen64]byte
	write := func(s string) {
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(s)))])
		h.Write([]byte(s))
	}
	write(p.Tenant)
	write(strconv.FormatInt(p.ConfigVersion, 10))
	write(p.Route)
	write(p.Path)
	write(p.Query)
	h.Write(n[:binary.PutUvarint(n[:], uint64(len(p.Headers)))])
	for _, s := range p.Headers {
		write(s)
	}
	write(p.Principal)
	var sum [sha256.Size]byte
	return p.Tenant + ":" + base64.RawURLEncoding.EncodeToString(h.Sum(sum[:0])[:24])
}
