package stack

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigFromContext(t *testing.T) {
	root := fakeRoot(t, false, todayFunctions...)
	ctx := func(kv map[string]any) Context {
		return func(k string) any { return kv[k] }
	}
	cases := []struct {
		name    string
		kv      map[string]any
		wantErr string
		check   func(t *testing.T, c Config)
	}{
		{"default is dev", map[string]any{"root": root}, "", func(t *testing.T, c Config) {
			if c.Settings.Name != "dev" || c.Settings.Retain || c.Settings.DeletionProtection {
				t.Errorf("settings %+v", c.Settings)
			}
		}},
		{"prod with domain and emails", map[string]any{
			"root": root, "env": "prod", "domain": "example.com",
			"certificateArn": "arn:aws:acm:eu-west-1:1:certificate/x", "alarmEmail": "a@x.io, b@x.io",
			"reservedConcurrency": "gateway=100,management=10",
		}, "", func(t *testing.T, c Config) {
			s := c.Settings
			if !s.Retain || !s.DeletionProtection || s.GatewayDomain() != "api.example.com" || len(s.AlarmEmails) != 2 ||
				s.ReservedConcurrency["gateway"] != 100 || s.ReservedConcurrency["management"] != 10 {
				t.Errorf("settings %+v", s)
			}
		}},
		{"unknown env", map[string]any{"root": root, "env": "qa"}, `unknown environment "qa"`, nil},
		{"domain without certificate", map[string]any{"root": root, "domain": "example.com"}, "domain needs certificateArn", nil},
		{"console domain without certificate", map[string]any{"root": root, "consoleDomain": "console.example.com"}, "consoleCertificateArn", nil},
		{"auth domain without certificate", map[string]any{"root": root, "authDomain": "auth.example.com"}, "authDomain and authCertificateArn go together", nil},
		{"auth domain and prefix", map[string]any{"root": root, "authDomain": "auth.example.com", "authCertificateArn": "arn:aws:acm:us-east-1:1:certificate/x", "authDomainPrefix": "acme"}, "exclude each other", nil},
		{"auth prefix with capitals", map[string]any{"root": root, "authDomainPrefix": "Acme"}, "lowercase letters", nil},
		{"auth prefix ending in a hyphen", map[string]any{"root": root, "authDomainPrefix": "acme-"}, "inner hyphens", nil},
		{"auth prefix with a reserved word", map[string]any{"root": root, "authDomainPrefix": "acme-cognito"}, `reserves "cognito"`, nil},
		{"auth prefix", map[string]any{"root": root, "authDomainPrefix": "acme-portico"}, "", func(t *testing.T, c Config) {
			if c.AuthDomainPrefix() != "acme-portico" {
				t.Errorf("AuthDomainPrefix %q", c.AuthDomainPrefix())
			}
		}},
		{"bad reserved concurrency", map[string]any{"root": root, "reservedConcurrency": "gateway"}, "fn=n pairs", nil},
		{"missing bootstrap", map[string]any{"root": fakeRootWithout(t, "dist/management/bootstrap")}, "run `make build` first", nil},
		{"unknown function directory", map[string]any{"root": withFunction(t, "mystery")}, "functions/mystery has no deployment entry", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ConfigFromContext(ctx(tc.kv))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}
}

func fakeRootWithout(t *testing.T, path string) string {
	root := fakeRoot(t, false, todayFunctions...)
	if err := os.Remove(filepath.Join(root, filepath.FromSlash(path))); err != nil {
		t.Fatal(err)
	}
	return root
}

func withFunction(t *testing.T, fn string) string {
	root := fakeRoot(t, false, todayFunctions...)
	dir := filepath.Join(root, "functions", fn)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

func TestCamel(t *testing.T) {
	for in, want := range map[string]string{"gateway": "Gateway", "key-rotation": "KeyRotation", "workflow-task": "WorkflowTask"} {
		if got := camel(in); got != want {
			t.Errorf("camel(%q) = %q, want %q", in, got, want)
		}
	}
}
