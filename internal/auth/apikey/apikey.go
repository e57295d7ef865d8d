// Package apikey issues, parses and verifies Portico API keys.
//
// A key is "ptk_" followed by 43 base64url characters: 256 random bits. Only
// the SHA-256 of the whole key string is stored; because the secret is 256
// uniformly random bits, a fast unsalted hash is not reversible by brute
// force and needs no pepper (a pepper would add a server secret to rotate
// without adding security against guessing). The first 12 characters are the
// public prefix shown in listings and logs.
//
// Verification is by hash: the gateway hashes the presented key and looks
// the hash up (in memory, else one store index query). Unknown keys,
// revoked or expired keys and other tenants' keys take the same path and
// give the same ErrInvalidCredential.
package apikey

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/portico/portico/internal/auth"
)

const (
	// Scheme starts every key.
	Scheme = "ptk_"
	// Len is the length of a key: the scheme and 43 base64url characters.
	Len = len(Scheme) + 43
	// PrefixLen is the length of the public prefix.
	PrefixLen = len(Scheme) + 8
	// Header is the request header carrying a key.
	Header = "X-Api-Key"
	// AuthScheme is the Authorization scheme carrying a key ("ApiKey ptk_...").
	AuthScheme = "ApiKey"
)

// Hash is the SHA-256 of a key string.
type Hash [sha256.Size]byte

// HashOf hashes key.
func HashOf(key string) Hash {
	if len(key) <= Len {
		var buf [Len]byte // keeps the conversion off the heap
		return sha256.Sum256(append(buf[:0], key...))
	}
	return sha256.Sum256([]byte(key))
}

// String is the hex form stored and indexed.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// Generate returns a new key, its public prefix and its hash.
func Generate() (key, prefix string, hash Hash) {
	var b [32]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand, Go 1.24+)
	key = Scheme + base64.RawURLEncoding.EncodeToString(b[:])
	return key, key[:PrefixLen], HashOf(key)
}

// WellFormed reports whether key has the shape of a Portico key.
func WellFormed(key string) bool {
	if len(key) != Len || !strings.HasPrefix(key, Scheme) {
		return false
	}
	for i := len(Scheme); i < len(key); i++ {
		c := key[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	// The last character carries 2 padding bits, which must be zero, so
	// that one key has one spelling.
	return strings.IndexByte("AEIMQUYcgkosw048", key[Len-1]) >= 0
}

// FromHeader extracts the key of a request: the X-Api-Key header or
// "Authorization: ApiKey <key>". Keys in the query string are never read
// (they end up in logs and browser history). It returns ErrNoCredential
// when there is none, ErrAmbiguous for more than one (repeated headers, or
// both forms), and ErrInvalidCredential for one that is not well formed.
// It does not allocate.
func FromHeader(h http.Header) (string, error) {
	key, n := "", 0
	if vs := h[Header]; len(vs) > 0 {
		key, n = vs[0], len(vs)
	}
	if vs := h["Authorization"]; len(vs) > 0 {
		if len(vs) > 1 {
			return "", auth.ErrAmbiguous
		}
		scheme, rest, ok := strings.Cut(vs[0], " ")
		if ok && strings.EqualFold(scheme, AuthScheme) {
			key = rest
			n++
		}
	}
	switch {
	case n == 0:
		return "", auth.ErrNoCredential
	case n > 1:
		return "", auth.ErrAmbiguous
	}
	key = strings.TrimSpace(key)
	if !WellFormed(key) {
		return "", auth.ErrInvalidCredential
	}
	return key, nil
}
