package model_test

import (
	"slices"
	"testing"

	"github.com/portico/portico/internal/model"
)

func pointers(errs model.Errors) []string {
	var ps []string
	for _, fe := range errs {
		ps = append(ps, fe.Pointer)
	}
	return ps
}

func TestValidateRequestTemplates(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*model.Integration)
		want   []string
	}{
		{"URL path and query", func(in *model.Integration) {
			in.URL = "https://backend.example.com/items/{path.id}?q={query.q}&t={header.X-Tenant}"
		}, nil},
		{"header value", func(in *model.Integration) { in.Headers = map[string]string{"X-Tenant": "t-{header.X-Org}"} }, nil},
		{"literal braces", func(in *model.Integration) { in.Headers = map[string]string{"X-Json": "{{}}"} }, nil},
		{"host placeholder", func(in *model.Integration) { in.URL = "https://{header.X}.example.com/" }, []string{"/url"}},
		{"route-style placeholder", func(in *model.Integration) { in.URL = "https://backend.example.com/{id}" }, []string{"/url"}},
		{"unknown source", func(in *model.Integration) { in.Headers = map[string]string{"X-A/b": "{body.x}"} }, []string{"/headers/X-A~1b"}},
		{"unclosed", func(in *model.Integration) { in.Headers = map[string]string{"X-A": "{query.x"} }, []string{"/headers/X-A"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := validIntegration()
			tt.mutate(&in)
			got := pointers(model.ValidateIntegration(&in))
			// "X-A/b" is also not a valid header name; look for ours only.
			for _, w := range tt.want {
				if !slices.Contains(got, w) {
					t.Errorf("errors %v, want %s", got, w)
				}
			}
			if tt.want == nil && got != nil {
				t.Errorf("errors %v, want none", got)
			}
		})
	}
}

func TestValidateTargetTemplate(t *testing.T) {
	tests := []struct {
		path string
		ok   bool
	}{
		{"/items/{path.id}?", true},
		{"/items/{path.id}/{query.sub}", true},
		{"/items/{header.X-Item}", true},
		{"/items/{path.nope}", false},
		{"items/{query.q}", false},
		{"/items/{query.q", false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			ep := validEndpoint()
			ep.Path = "/items/{id}"
			ep.Target.Path = tt.path
			got := pointers(model.ValidateEndpoint(&ep))
			if has := slices.Contains(got, "/target/path"); has == tt.ok {
				t.Errorf("errors %v, want /target/path: %v", got, !tt.ok)
			}
		})
	}
}
