package model_test

import (
	"slices"
	"testing"

	"github.com/portico/portico/internal/model"
)

func TestValidateAPICORS(t *testing.T) {
	tests := []struct {
		name string
		cors *model.CORSPolicy
		want []string
	}{
		{"none", nil, nil},
		{"ok", &model.CORSPolicy{AllowOrigins: []string{"https://app.example.com"}, AllowCredentials: true}, nil},
		{"empty origins", &model.CORSPolicy{}, []string{"/cors/allowOrigins"}},
		{"star with credentials", &model.CORSPolicy{AllowOrigins: []string{"*"}, AllowCredentials: true}, []string{"/cors/allowOrigins/0"}},
		{"not an origin", &model.CORSPolicy{AllowOrigins: []string{"https://a.example/path"}}, []string{"/cors/allowOrigins/0"}},
		{"bad method and max age", &model.CORSPolicy{AllowOrigins: []string{"*"}, AllowMethods: []string{"ANY"}, MaxAgeSeconds: -1},
			[]string{"/cors/allowMethods/0", "/cors/maxAgeSeconds"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := model.API{Slug: "shop", Name: "Shop", CORS: tt.cors}
			var got []string
			for _, fe := range model.ValidateAPI(&a) {
				got = append(got, fe.Pointer)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("pointers = %v, want %v", got, tt.want)
			}
		})
	}
}
