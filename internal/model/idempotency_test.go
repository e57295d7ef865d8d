package model_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/portico/portico/internal/model"
)

func TestValidateIdempotency(t *testing.T) {
	tests := []struct {
		name   string
		method string
		p      *model.IdempotencyPolicy
		want   []string
	}{
		{"off", "POST", nil, nil},
		{"ok", "POST", &model.IdempotencyPolicy{TTLSeconds: 86400, Required: true}, nil},
		{"zero ttl", "PATCH", &model.IdempotencyPolicy{}, []string{"/policies/idempotency/ttlSeconds"}},
		{"ttl too long", "POST", &model.IdempotencyPolicy{TTLSeconds: model.MaxIdempotencyTTLSeconds + 1}, []string{"/policies/idempotency/ttlSeconds"}},
		{"safe method", "GET", &model.IdempotencyPolicy{TTLSeconds: 60}, []string{"/policies/idempotency"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep := model.Endpoint{ID: "e", API: "shop", Version: "v1", Method: tt.method, Path: "/items",
				Target: model.Target{Type: model.TargetIntegration, Integration: "main"}}
			ep.Policies.Idempotency = tt.p
			var got []string
			for _, fe := range model.ValidateEndpoint(&ep) {
				if strings.HasPrefix(fe.Pointer, "/policies/idempotency") {
					got = append(got, fe.Pointer)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("pointers = %v, want %v", got, tt.want)
			}
		})
	}
}
