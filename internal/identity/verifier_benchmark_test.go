package identity

import (
	"context"
	"testing"
)

func BenchmarkVerify(b *testing.B) {
	for _, alg := range []string{"ES256", "RS256"} {
		b.Run(alg, func(b *testing.B) {
			f := newFixture(b)
			tok := mint(b, f.ecHeader(), f.claims(), f.ec)
			if alg == "RS256" {
				tok = mint(b, map[string]any{"alg": "RS256", "kid": f.rsaKID}, f.claims(), f.rsa)
			}
			ctx := context.Background()
			if _, err := f.verifier.Verify(ctx, tok); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := f.verifier.Verify(ctx, tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
