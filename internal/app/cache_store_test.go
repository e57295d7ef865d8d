package app

import (
	"log/slog"
	"testing"
)

func TestResponseCacheStoreFromEnv(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     map[string]string
		want    string
		wantErr bool
	}{
		{name: "default", want: "memory"},
		{name: "REDIS_URL picks redis", env: map[string]string{"REDIS_URL": "redis://127.0.0.1:1/0"}, want: "redis"},
		{name: "dynamodb", env: map[string]string{"PORTICO_CACHE_STORE": "dynamodb", "AWS_REGION": "eu-west-1"}, want: "dynamodb"},
		{name: "unknown", env: map[string]string{"PORTICO_CACHE_STORE": "memcached"}, wantErr: true},
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
			if e.CacheStore != tc.want {
				t.Fatalf("store %q, want %q", e.CacheStore, tc.want)
			}
			if _, err := NewResponseCache(e, slog.New(slog.DiscardHandler)); err != nil {
				t.Fatal(err)
			}
		})
	}
}
