package model_test

import (
	"slices"
	"testing"

	"github.com/portico/portico/internal/model"
)

func TestValidateIntegrationAuth(t *testing.T) {
	base := func() *model.Integration {
		return &model.Integration{Slug: "billing", Name: "Billing", Type: model.IntegrationHTTP, URL: "https://billing.example.com"}
	}
	tests := []struct {
		name   string
		mutate func(in *model.Integration)
		want   []string
	}{
		{"bearer", func(in *model.Integration) { in.Auth = &model.IntegrationAuth{Type: "bearer", Secret: "stripe_key"} }, nil},
		{"basic", func(in *model.Integration) {
			in.Auth = &model.IntegrationAuth{Type: "basic", Secret: "pw", Username: "svc"}
		}, nil},
		{"header", func(in *model.Integration) {
			in.Auth = &model.IntegrationAuth{Type: "header", Secret: "k", Header: "X-Api-Key"}
		}, nil},
		{"missing type", func(in *model.Integration) { in.Auth = &model.IntegrationAuth{Secret: "k"} }, []string{"/auth/type"}},
		{"query type is not offered", func(in *model.Integration) { in.Auth = &model.IntegrationAuth{Type: "query", Secret: "k"} }, []string{"/auth/type"}},
		{"missing secret", func(in *model.Integration) { in.Auth = &model.IntegrationAuth{Type: "bearer"} }, []string{"/auth/secret"}},
		{"secret name with slash", func(in *model.Integration) { in.Auth = &model.IntegrationAuth{Type: "bearer", Secret: "a/b"} }, []string{"/auth/secret"}},
		{"internal secret name", func(in *model.Integration) {
			in.Auth = &model.IntegrationAuth{Type: "bearer", Secret: ".webhook.wh_1"}
		}, []string{"/auth/secret"}},
		{"header type without header", func(in *model.Integration) { in.Auth = &model.IntegrationAuth{Type: "header", Secret: "k"} }, []string{"/auth/header"}},
		{"bad header name", func(in *model.Integration) {
			in.Auth = &model.IntegrationAuth{Type: "header", Secret: "k", Header: "X Key"}
		}, []string{"/auth/header"}},
		{"hop-by-hop header", func(in *model.Integration) {
			in.Auth = &model.IntegrationAuth{Type: "header", Secret: "k", Header: "Host"}
		}, []string{"/auth/header"}},
		{"header on bearer", func(in *model.Integration) {
			in.Auth = &model.IntegrationAuth{Type: "bearer", Secret: "k", Header: "X-Key"}
		}, []string{"/auth/header"}},
		{"basic without username", func(in *model.Integration) { in.Auth = &model.IntegrationAuth{Type: "basic", Secret: "k"} }, []string{"/auth/username"}},
		{"username with colon", func(in *model.Integration) {
			in.Auth = &model.IntegrationAuth{Type: "basic", Secret: "k", Username: "a:b"}
		}, []string{"/auth/username"}},
		{"username on header", func(in *model.Integration) {
			in.Auth = &model.IntegrationAuth{Type: "header", Secret: "k", Header: "X-Key", Username: "u"}
		}, []string{"/auth/username"}},
		{"auth header also in headers", func(in *model.Integration) {
			in.Auth = &model.IntegrationAuth{Type: "header", Secret: "k", Header: "X-Key"}
			in.Headers = map[string]string{"x-key": "{header.X-Key}"}
		}, []string{"/headers/x-key"}},
		{"bearer and Authorization in headers", func(in *model.Integration) {
			in.Auth = &model.IntegrationAuth{Type: "bearer", Secret: "k"}
			in.Headers = map[string]string{"Authorization": "{header.Authorization}"}
		}, []string{"/headers/Authorization"}},
		{"literal Authorization header", func(in *model.Integration) {
			in.Headers = map[string]string{"authorization": "Bearer sk_live_123"}
		}, []string{"/headers/authorization"}},
		{"forwarded Authorization header", func(in *model.Integration) {
			in.Headers = map[string]string{"Authorization": "{header.Authorization}"}
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := base()
			tt.mutate(in)
			var got []string
			for _, e := range model.ValidateIntegration(in) {
				got = append(got, e.Pointer)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("pointers = %q, want %q", got, tt.want)
			}
		})
	}
}
