package catalog_test

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/integration/ssrf"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/problem"
	"github.com/portico/portico/internal/store/bolt"
)

// TestUpstreamURLCheckedAtSave: with the SSRF guard configured, an
// integration pointing at a denied address is a validation error on /url,
// on create and on update, reported with the document's other errors.
func TestUpstreamURLCheckedAtSave(t *testing.T) {
	c, _ := guardedCatalog(t)
	ctx := t.Context()
	pointers := func(err error) []string { t.Helper(); return validationPointers(t, err) }
	for _, u := range []string{"http://169.254.169.254/latest", "http://2130706433/", "http://[::ffff:10.0.0.1]/", "http://localhost:8080", "https://api.example.com:25"} {
		_, err := c.CreateIntegration(ctx, "acme", alice, &model.Integration{Slug: "bad", Name: "Bad", Type: model.IntegrationHTTP, URL: u})
		if got := pointers(err); len(got) != 1 || got[0] != "/url" {
			t.Errorf("%s: pointers %v, want [/url]", u, got)
		}
	}
	// Every problem at once: the name too.
	_, err := c.CreateIntegration(ctx, "acme", alice, &model.Integration{Slug: "bad", Type: model.IntegrationHTTP, URL: "http://10.0.0.1"})
	if got := pointers(err); len(got) != 2 {
		t.Errorf("pointers %v, want /name and /url", got)
	}
	good, err := c.CreateIntegration(ctx, "acme", alice, &model.Integration{Slug: "good", Name: "Good", Type: model.IntegrationHTTP, URL: "https://api.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	good.URL = "http://127.0.0.1:9000"
	if _, err := c.UpdateIntegration(ctx, "acme", alice, "good", good.Revision, good); pointers(err)[0] != "/url" {
		t.Errorf("update to loopback: %v", err)
	}
}

// guardedCatalog is a catalog on a fresh embedded store with the SSRF
// guard's save-time URL check and a tenant "acme"; the store is returned for
// tests that open a second catalog on it.
func guardedCatalog(t *testing.T) (*catalog.Catalog, *bolt.Store) {
	t.Helper()
	st, err := bolt.Open(t.Context(), bolt.Config{Path: filepath.Join(t.TempDir(), "c.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	c, err := catalog.New(catalog.Config{Store: st, CheckUpstreamURL: ssrf.New(ssrf.Policy{}).CheckURL})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateTenant(t.Context(), alice, &model.Tenant{ID: "acme", Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	return c, st
}

// validationPointers returns the JSON pointers of a validation problem.
func validationPointers(t *testing.T, err error) []string {
	t.Helper()
	var p *problem.Problem
	if !errors.As(err, &p) {
		t.Fatalf("err = %v, want a validation problem", err)
	}
	var out []string
	for _, fe := range p.Errors {
		out = append(out, fe.Pointer)
	}
	return out
}
