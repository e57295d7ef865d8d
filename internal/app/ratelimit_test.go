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
		lease   int64
		wantErr bool
	}{
		{name: "default", want: "memory"},
		{name: "REDIS_URL picks redis", env: map[string]string{"REDIS_URL": "redis://127.0.0.1:1/0"}, want: "redis"},
		{name: "explicit memory beats REDIS_URL", env: map[string]string{"REDIS_URL": "redis://127.0.0.1:1", "PORTICO_RATELIMIT_STORE": "memory"}, want: "memory"},
		{name: "redis without URL", env: map[string]string{"PORTICO_RATELIMIT_STORE": "redis"}, wantErr: true},
		{name: "unknown", env: map[string]string{"PORTICO_RATELIMIT_STORE": "etcd"}, wantErr: true},
		{name: "dynamodb with leasing", env: map[string]string{"PORTICO_RATELIMIT_STORE": "dynamodb", "PORTICO_RATELIMIT_LEASE": "20"}, want: "dynamodb", lease: 20},
		{name: "lease of 1", env: map[string]string{"PORTICO_RATELIMIT_STORE": "dynamodb", "PORTICO_RATELIMIT_LEASE": "1"}, wantErr: true},
		{name: "lease not a number", env: map[string]string{"PORTICO_RATELIMIT_STORE": "dynamodb", "PORTICO_RATELIMIT_LEASE": "lots"}, wantErr: true},
		{name: "lease without dynamodb", env: map[string]string{"PORTICO_RATELIMIT_LEASE": "20"}, wantErr: true},
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
			if e.RateLimitStore != tc.want || e.RateLimitLease != tc.lease {
				t.Fatalf("store %q lease %d, want %q lease %d", e.RateLimitStore, e.RateLimitLease, tc.want, tc.lease)
			}
			if tc.want == "dynamodb" {
				return // building it needs AWS configuration
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
