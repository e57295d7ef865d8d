package model_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/portico/portico/internal/model"
)

func TestRateLimitsValidate(t *testing.T) {
	perConsumer := model.RateLimitPolicy{Algorithm: model.FixedWindow, Scope: model.ScopeConsumer, Limit: 100, WindowSeconds: 60}
	perEndpoint := model.RateLimitPolicy{Algorithm: model.SlidingWindow, Scope: model.ScopeEndpoint, Limit: 10000, WindowSeconds: 60}
	tests := []struct {
		name   string
		mutate func(*model.Policies)
		want   []string
	}{
		{"list only", func(p *model.Policies) {
			p.RateLimit, p.RateLimits = nil, []model.RateLimitPolicy{perConsumer, perEndpoint}
		}, nil},
		{"single and list", func(p *model.Policies) { p.RateLimits = []model.RateLimitPolicy{perEndpoint} }, nil},
		{"bad entry", func(p *model.Policies) {
			bad := perEndpoint
			bad.Limit, bad.Scope = 0, "ip"
			p.RateLimits = []model.RateLimitPolicy{perConsumer, bad}
		}, []string{"/policies/rateLimits/1/scope", "/policies/rateLimits/1/limit"}},
		{"too many", func(p *model.Policies) {
			p.RateLimits = slices.Repeat([]model.RateLimitPolicy{perConsumer}, model.MaxRateLimits)
		}, []string{"/policies/rateLimits"}},
		{"single still checked", func(p *model.Policies) { p.RateLimit.WindowSeconds = 0 }, []string{"/policies/rateLimit/windowSeconds"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := validEndpoint()
			tt.mutate(&e.Policies)
			var got []string
			for _, fe := range model.ValidateEndpoint(&e) {
				got = append(got, fe.Pointer)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("pointers = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPoliciesLimits(t *testing.T) {
	var p model.Policies
	if err := json.Unmarshal([]byte(`{"rateLimit":{"algorithm":"fixedWindow","scope":"consumer","limit":1,"windowSeconds":1},
		"rateLimits":[{"algorithm":"tokenBucket","scope":"endpoint","limit":2,"windowSeconds":1}]}`), &p); err != nil {
		t.Fatal(err)
	}
	got := p.Limits()
	if len(got) != 2 || got[0].Limit != 1 || got[1].Limit != 2 {
		t.Errorf("Limits() = %+v, want rateLimit then rateLimits", got)
	}
	if got := (model.Policies{}).Limits(); len(got) != 0 {
		t.Errorf("no policies: Limits() = %+v", got)
	}
}
