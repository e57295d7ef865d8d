package catalog

import (
	"context"

	"github.com/portico/portico/internal/model"
)

// checkUpstream validates in and, when its URL is well formed, runs the
// configured upstream URL check (the SSRF guard). All problems are
// reported at once, as a validation problem.
func (c *Catalog) checkUpstream(ctx context.Context, in *model.Integration) error {
	errs := model.ValidateIntegration(in)
	if c.checkURL != nil && !hasPointer(errs, "/url") {
		if err := c.checkURL(ctx, in.URL); err != nil {
			errs.Add("/url", "%s", userText(err))
		}
	}
	if p := errs.Problem(); p != nil {
		return p
	}
	return nil
}

func hasPointer(errs model.Errors, ptr string) bool {
	for _, e := range errs {
		if e.Pointer == ptr {
			return true
		}
	}
	return false
}

// userText is the check's message: it names the refused address or port,
// never anything internal.
func userText(err error) string {
	return "is not an allowed upstream: " + err.Error()
}
