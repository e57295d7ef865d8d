package app

import (
	"context"
	"testing"

	"github.com/portico/portico/internal/ratelimit"
	rlredis "github.com/portico/portico/internal/ratelimit/redis"
)

func TestRateLimitStoreFromEnv(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     map[string]string
		want    string
		wantErr bool
	}{
		{name: "default", want: "memory"},
		{name: "REDIS_URL picks redis", env: map[string]string{"REDIS_URL": "redis://127.0.0.1:1/0"}, want: "redis"},
		{name: "explicit memory beats REDIS_URL", env: map[string]string{"REDIS_URL": "redis://127.0.0.1:1", "PORTICO_RATELIMIT_STORE": "memory"}, want: "memory"},
		{name: "redis without URL", env: map[string]string{"PORTICO_RATELIMIT_STORE": "redis"}, wantErr: true},
		{name: "unknown", env: map[string]string{"PORTICO_RATELIMIT_STORE": "etcd"}, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := LoadEnv(func(k string) string { return tc.env[k] })
			if tc.wantErr {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if e.RateLimitStore != tc.want {
				t.Fatalf("store %q, want %q", e.RateLimitStore, tc.want)
			}
			s, err := RateLimitStore(context.Background(), e)
			if err != nil {
				t.Fatal(err)
			}
			switch s.(type) {
			case *ratelimit.Memory:
				if tc.want != "memory" {
					t.Fatalf("got %T", s)
				}
			case *rlredis.Store:
				if tc.want != "redis" {
					t.Fatalf("got %T", s)
				}
			}
		})
	}
}
