package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"net/netip"
	"net/url"
	"testing"
	"time"

	"github.com/portico/portico/internal/auth"
	"github.com/portico/portico/internal/auth/jwtauth"
	"github.com/portico/portico/internal/auth/jwtauth/jwttest"
	"github.com/portico/portico/internal/integration/ssrf"
	"github.com/portico/portico/internal/model"
)

// trusting makes c's transport trust the test IdP's certificate.
func trusting(c *http.Client, p *jwttest.IdP) *http.Client {
	pool := x509.NewCertPool()
	pool.AddCert(p.Server.Certificate())
	t := c.Transport.(*http.Transport)
	t.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return c
}

// TestJWKSClientGuarded: the gateway's JWKS client refuses loopback and
// metadata addresses at dial time (a URL that passed the save-time check
// may resolve elsewhere later), and reaches an explicitly allowlisted one.
func TestJWKSClientGuarded(t *testing.T) {
	p := jwttest.New(t, "https://idp.acme.test", "orders-api")
	u, err := url.Parse(p.Server.URL)
	if err != nil {
		t.Fatal(err)
	}
	ap := netip.MustParseAddrPort(u.Host)

	verify := func(t *testing.T, e Env) error {
		t.Helper()
		v, err := jwtauth.New(jwtauth.Config{
			Issuers: func(context.Context, string) ([]model.JWTIssuer, error) {
				return []model.JWTIssuer{p.Config("main")}, nil
			},
			Client: trusting(jwksClient(e), p),
		})
		if err != nil {
			t.Fatal(err)
		}
		_, err = v.Verify(t.Context(), "acme", p.SignES256(p.Std(time.Now().Unix()), nil))
		return err
	}

	t.Run("loopback refused", func(t *testing.T) {
		before := p.Fetches.Load()
		err := verify(t, Env{Upstream: ssrf.Policy{AnyPort: true}})
		if err == nil || errors.Is(err, auth.ErrInvalidCredential) || !errors.Is(err, ssrf.ErrDenied) {
			t.Fatalf("err = %v, want a fetch error wrapping ssrf.ErrDenied (503, not 401)", err)
		}
		if n := p.Fetches.Load() - before; n != 0 {
			t.Errorf("JWKS server called %d times", n)
		}
	})
	t.Run("metadata refused", func(t *testing.T) {
		c := jwksClient(Env{Upstream: ssrf.Policy{AnyPort: true}})
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://169.254.169.254/latest/meta-data/", nil)
		resp, err := c.Do(req)
		if err == nil {
			_ = resp.Body.Close()
		}
		if !errors.Is(err, ssrf.ErrDenied) {
			t.Fatalf("err = %v, want ssrf.ErrDenied", err)
		}
	})
	t.Run("allowlisted test server", func(t *testing.T) {
		before := p.Fetches.Load()
		e := Env{Upstream: ssrf.Policy{Allow: []ssrf.Allowed{{Prefix: netip.PrefixFrom(ap.Addr(), ap.Addr().BitLen()), Port: ap.Port()}}}}
		if err := verify(t, e); err != nil {
			t.Fatalf("verify through allowlisted JWKS: %v", err)
		}
		if n := p.Fetches.Load() - before; n != 1 {
			t.Errorf("JWKS fetches = %d, want 1", n)
		}
	})
}
