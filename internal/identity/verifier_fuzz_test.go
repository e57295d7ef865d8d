package identity

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// FuzzVerify checks that arbitrary token strings never panic and never
// verify. The seeds include a well-formed token that has expired for the
// fuzzing clock, so mutations exercise the signature and claims paths.
func FuzzVerify(f *testing.F) {
	fx := newFixture(f)
	valid := mint(f, fx.ecHeader(), fx.claims(), fx.ec)
	rsaTok := mint(f, map[string]any{"alg": "RS256", "kid": fx.rsaKID}, fx.claims(), fx.rsa)
	fx.now = fx.now.Add(24 * time.Hour) // every seed is now expired
	parts := strings.Split(valid, ".")
	for _, s := range []string{
		valid, rsaTok, "", ".", "..", "...", "a.b.c",
		parts[0] + "." + parts[1] + ".",
		parts[0] + ".." + parts[2],
		`{"payload":"` + parts[1] + `","protected":"` + parts[0] + `","signature":"` + parts[2] + `"}`,
		"eyJhbGciOiJub25lIn0." + parts[1] + ".",
		b64([]byte(`{"alg":"ES256","kid":"ec-1","crit":["b64"],"b64":false}`)) + "." + parts[1] + "." + parts[2],
		b64([]byte(`{"alg":"ES256","kid":{"x":1}}`)) + "." + parts[1] + "." + parts[2],
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, token string) {
		p, err := fx.verifier.Verify(t.Context(), token)
		if err == nil {
			t.Fatalf("Verify(%q) = %+v, want error", token, p)
		}
		if !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("Verify(%q) error = %v, want ErrInvalidToken", token, err)
		}
	})
}
