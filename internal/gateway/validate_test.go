package gateway

import (
	"strings"
	"testing"

	"github.com/portico/portico/internal/model"
)

var validatorSeeds = []string{
	"", "a", "0", "-", "a-", "-a", "a-b", "acme", "ACME", "a_b", "a.b", "a b", "é",
	strings.Repeat("a", 40), strings.Repeat("a", 41), "a" + strings.Repeat("-", 38) + "a",
	"v", "v0", "v1", "v01", "v10", "V1", "v1a", "v123456", "v1234567", "v999999", "vv1", "v-1", "1",
	"acme\n", "v1\n",
}

func TestValidatorsMatchModel(t *testing.T) {
	for _, s := range validatorSeeds {
		if got, want := validSlug(s), model.ValidSlug(s); got != want {
			t.Errorf("validSlug(%q) = %v, model.ValidSlug = %v", s, got, want)
		}
		if got, want := validVersionName(s), model.ValidVersionName(s); got != want {
			t.Errorf("validVersionName(%q) = %v, model.ValidVersionName = %v", s, got, want)
		}
	}
}

func FuzzValidators(f *testing.F) {
	for _, s := range validatorSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := validSlug(s), model.ValidSlug(s); got != want {
			t.Errorf("validSlug(%q) = %v, model.ValidSlug = %v", s, got, want)
		}
		if got, want := validVersionName(s), model.ValidVersionName(s); got != want {
			t.Errorf("validVersionName(%q) = %v, model.ValidVersionName = %v", s, got, want)
		}
	})
}
