package jwtauth_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// BenchmarkVerifyES256 is a tenant JWT verified by the Verifier with a warm
// JWKS cache; BenchmarkRawGoJoseES256 is go-jose alone on the same token
// (parse, signature, standard claims). Target: <= 1.2x.
func BenchmarkVerifyES256(b *testing.B) {
	e := newEnv(b)
	tok := e.idp.SignES256(e.idp.Std(now.Unix()), nil)
	ctx := context.Background()
	if _, err := e.v.Verify(ctx, "acme", tok); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.v.Verify(ctx, "acme", tok); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRawGoJoseES256(b *testing.B) {
	e := newEnv(b)
	tok := e.idp.SignES256(e.idp.Std(now.Unix()), nil)
	key := &e.idp.EC.PublicKey
	exp := jwt.Expected{Issuer: e.idp.Issuer, AnyAudience: jwt.Audience{e.idp.Audience}, Time: now}
	b.ReportAllocs()
	for b.Loop() {
		t, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.ES256})
		if err != nil {
			b.Fatal(err)
		}
		var c jwt.Claims
		if err := t.Claims(key, &c); err != nil {
			b.Fatal(err)
		}
		if err := c.Validate(exp); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReject1MiBToken: an oversized bearer token is refused before
// any decoding, with no allocation.
func BenchmarkReject1MiBToken(b *testing.B) {
	e := newEnv(b)
	h := http.Header{"Authorization": {"Bearer " + strings.Repeat("a", 1<<20)}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.v.Authenticate(ctx, "acme", h); err == nil {
			b.Fatal("accepted")
		}
	}
}
