package model_test

import (
	"slices"
	"testing"

	"github.com/portico/portico/internal/model"
)

func TestValidatePlan(t *testing.T) {
	valid := func() model.Plan {
		return model.Plan{Slug: "gold", Name: "Gold", Limits: []model.RateLimitPolicy{
			{Algorithm: model.FixedWindow, Limit: 1000, WindowSeconds: 60},
			{Algorithm: model.TokenBucket, Scope: model.ScopeConsumer, Limit: 10, WindowSeconds: 1, Burst: 20},
		}}
	}
	tests := []struct {
		name   string
		mutate func(*model.Plan)
		want   []string
	}{
		{"valid", func(*model.Plan) {}, nil},
		{"bad slug", func(p *model.Plan) { p.Slug = "Gold Plan" }, []string{"/slug"}},
		{"no limits", func(p *model.Plan) { p.Limits = nil }, []string{"/limits"}},
		{"too many limits", func(p *model.Plan) { p.Limits = slices.Repeat(p.Limits[:1], model.MaxRateLimits+1) }, []string{"/limits"}},
		{"endpoint scope", func(p *model.Plan) { p.Limits[1].Scope = model.ScopeEndpoint }, []string{"/limits/1/scope"}},
		{"bad limit", func(p *model.Plan) { p.Limits[0].Limit, p.Limits[0].WindowSeconds = 0, 0 }, []string{"/limits/0/limit", "/limits/0/windowSeconds"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := valid()
			tt.mutate(&p)
			var got []string
			for _, fe := range model.ValidatePlan(&p) {
				got = append(got, fe.Pointer)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("pointers = %q, want %q", got, tt.want)
			}
		})
	}
}
