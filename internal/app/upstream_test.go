package app

import "testing"

func TestUpstreamAllowDefaults(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"local: the demo upstream only", map[string]string{}, "127.0.0.1:8081"},
		{"local: demo on another port", map[string]string{"PORTICO_DEMO_UPSTREAM_LISTEN": ":9001"}, "127.0.0.1:9001"},
		{"aws: nothing", map[string]string{"PORTICO_MODE": "aws", "PORTICO_DEV_LOGIN": "false", "PORTICO_CURSOR_KEY": "0123456789abcdef0123456789abcdef", "PORTICO_SECRETS_PREFIX": "portico/dev/tenants/"}, ""},
		{"explicit", map[string]string{"PORTICO_UPSTREAM_ALLOW": "10.0.0.0/8"}, "10.0.0.0/8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := LoadEnv(func(k string) string { return tc.env[k] })
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			for i, a := range e.Upstream.Allow {
				if i > 0 {
					got += ","
				}
				got += a.String()
			}
			if got != tc.want {
				t.Errorf("allowlist %q, want %q", got, tc.want)
			}
		})
	}
	if _, err := LoadEnv(func(k string) string {
		return map[string]string{"PORTICO_UPSTREAM_ALLOW": "localhost"}[k]
	}); err == nil {
		t.Error("a host name in the allowlist was accepted")
	}
}
