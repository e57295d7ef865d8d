// Package secretstest is the conformance suite of the secrets port: every
// adapter runs Run against a fresh instance per subtest, so the embedded
// (sealed) and the Secrets Manager adapters are held to the same
// behaviour.
package secretstest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/portico/portico/internal/secrets"
)

// Factory returns a new, empty secrets store and registers its cleanup on t.
type Factory func(t *testing.T) secrets.Store

// Run runs the suite against stores made by newStore.
func Run(t *testing.T, newStore Factory) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s secrets.Store)
	}{
		{"PutGetDelete", testPutGetDelete},
		{"Versions", testVersions},
		{"List", testList},
		{"TenantIsolation", testTenantIsolation},
		{"InvalidInput", testInvalid},
		{"InternalNames", testInternalNames},
		{"ValueShapes", testValueShapes},
		{"ConcurrentPuts", testConcurrentPuts},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, newStore(t))
		})
	}
}

func mustPut(t *testing.T, s secrets.Store, tenant, name, value string) secrets.Metadata {
	t.Helper()
	m, err := s.Put(t.Context(), tenant, name, value)
	if err != nil {
		t.Fatalf("Put(%s, %s): %v", tenant, name, err)
	}
	return m
}

func wantValue(t *testing.T, s secrets.Store, tenant, name, want string) {
	t.Helper()
	got, err := s.Get(t.Context(), tenant, name)
	if err != nil {
		t.Fatalf("Get(%s, %s): %v", tenant, name, err)
	}
	if got != want {
		t.Fatalf("Get(%s, %s) = %q, want %q", tenant, name, got, want)
	}
}

func wantNotFound(t *testing.T, s secrets.Store, tenant, name string) {
	t.Helper()
	if _, err := s.Get(t.Context(), tenant, name); !errors.Is(err, secrets.ErrNotFound) {
		t.Fatalf("Get(%s, %s) error = %v, want ErrNotFound", tenant, name, err)
	}
}

func testPutGetDelete(t *testing.T, s secrets.Store) {
	wantNotFound(t, s, "acme", "stripe")
	m := mustPut(t, s, "acme", "stripe", "sk_live_1")
	if m.Name != "stripe" || m.Version == "" || m.UpdatedAt.IsZero() {
		t.Errorf("Put metadata = %+v, want name, version and time", m)
	}
	wantValue(t, s, "acme", "stripe", "sk_live_1")
	mustPut(t, s, "acme", "stripe", "sk_live_2")
	wantValue(t, s, "acme", "stripe", "sk_live_2")
	if err := s.Delete(t.Context(), "acme", "stripe"); err != nil {
		t.Fatal(err)
	}
	wantNotFound(t, s, "acme", "stripe")
	if err := s.Delete(t.Context(), "acme", "stripe"); !errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("second Delete error = %v, want ErrNotFound", err)
	}
	// A deleted name can be used again.
	mustPut(t, s, "acme", "stripe", "sk_live_3")
	wantValue(t, s, "acme", "stripe", "sk_live_3")
}

func testVersions(t *testing.T, s secrets.Store) {
	seen := map[string]bool{}
	for i, v := range []string{"a", "b", "c"} {
		m := mustPut(t, s, "acme", "k", v)
		if seen[m.Version] {
			t.Fatalf("Put %d reused version %q", i, m.Version)
		}
		seen[m.Version] = true
		list, err := s.List(t.Context(), "acme")
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].Version != m.Version {
			t.Fatalf("List after Put %d = %+v, want version %q", i, list, m.Version)
		}
	}
}

func testList(t *testing.T, s secrets.Store) {
	if l, err := s.List(t.Context(), "acme"); err != nil || len(l) != 0 {
		t.Fatalf("List of an empty tenant = %v, %v", l, err)
	}
	for _, n := range []string{"zeta", "alpha", "Mid_1"} {
		mustPut(t, s, "acme", n, "value of "+n)
	}
	mustPut(t, s, "acme-2", "other", "x") // a tenant whose id extends acme's
	l, err := s.List(t.Context(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range l {
		names = append(names, m.Name)
		if m.Version == "" || m.UpdatedAt.IsZero() {
			t.Errorf("List entry %+v lacks version or time", m)
		}
	}
	if want := []string{"Mid_1", "alpha", "zeta"}; !slices.Equal(names, want) {
		t.Errorf("List names = %v, want %v", names, want)
	}
}

func testTenantIsolation(t *testing.T, s secrets.Store) {
	mustPut(t, s, "acme", "db", "acme-password")
	mustPut(t, s, "globex", "db", "globex-password")
	wantValue(t, s, "acme", "db", "acme-password")
	wantValue(t, s, "globex", "db", "globex-password")
	wantNotFound(t, s, "initech", "db")
	if err := s.Delete(t.Context(), "initech", "db"); !errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("Delete of another tenant's name error = %v, want ErrNotFound", err)
	}
	if err := s.Delete(t.Context(), "acme", "db"); err != nil {
		t.Fatal(err)
	}
	wantValue(t, s, "globex", "db", "globex-password")
}

func testInvalid(t *testing.T, s secrets.Store) {
	ctx := t.Context()
	tests := []struct {
		name         string
		tenant, key  string
		value        string
		wantPutError bool
	}{
		{"empty name", "acme", "", "v", true},
		{"slash in name", "acme", "a/b", "v", true},
		{"name with NUL", "acme", "a\x00b", "v", true},
		{"long name", "acme", strings.Repeat("a", secrets.MaxNameLen+1), "v", true},
		{"empty tenant", "", "n", "v", true},
		{"tenant with #", "ac#me", "n", "v", true},
		{"empty value", "acme", "n", "", true},
		{"value over the limit", "acme", "n", strings.Repeat("x", secrets.MaxValueLen+1), true},
		{"value not UTF-8", "acme", "n", "\xff\xfe", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Put(ctx, tt.tenant, tt.key, tt.value)
			if !errors.Is(err, secrets.ErrInvalid) {
				t.Fatalf("Put error = %v, want ErrInvalid", err)
			}
			if tt.value != "" && strings.Contains(err.Error(), tt.value) && len(tt.value) > 1 {
				t.Errorf("error %q contains the value", err)
			}
		})
	}
	if _, err := s.Get(ctx, "acme", "a/b"); !errors.Is(err, secrets.ErrInvalid) {
		t.Errorf("Get with a bad name error = %v, want ErrInvalid", err)
	}
	if err := s.Delete(ctx, "", "n"); !errors.Is(err, secrets.ErrInvalid) {
		t.Errorf("Delete with a bad tenant error = %v, want ErrInvalid", err)
	}
	mustPut(t, s, "acme", "max", strings.Repeat("x", secrets.MaxValueLen))
}

func testInternalNames(t *testing.T, s secrets.Store) {
	n := secrets.Internal("webhook", "wh_0123abcd")
	mustPut(t, s, "acme", n, "whsec_x")
	wantValue(t, s, "acme", n, "whsec_x")
	wantNotFound(t, s, "acme", "webhook.wh_0123abcd")
}

func testValueShapes(t *testing.T, s secrets.Store) {
	for name, v := range map[string]string{
		"json":    `{"user":"a","password":"p\"q"}`,
		"pem":     "-----BEGIN KEY-----\nAAAA\n-----END KEY-----\n",
		"unicode": "pässwörd-密码",
		"spaces":  "  padded  ",
	} {
		mustPut(t, s, "acme", name, v)
		wantValue(t, s, "acme", name, v)
	}
}

func testConcurrentPuts(t *testing.T, s secrets.Store) {
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Go(func() {
			if _, err := s.Put(context.WithoutCancel(t.Context()), "acme", "hot", "v"+string(rune('0'+i))); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	got, err := s.Get(t.Context(), "acme", "hot")
	if err != nil || len(got) != 2 || got[0] != 'v' {
		t.Errorf("after concurrent puts Get = %q, %v", got, err)
	}
}
