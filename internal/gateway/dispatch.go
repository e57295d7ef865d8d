package gateway

import (
	"net/http"

	"github.com/portico/portico/internal/proxy"
)

// dispatch calls the endpoint's integration: through the integration
// engine (timeouts, retries, breaker, redirects) when the gateway has one,
// else a plain Forward. Both return Forward's errors.
func (g *Gateway) dispatch(w http.ResponseWriter, r *http.Request, ce *endpoint, t proxy.Target) error {
	if g.cfg.Integrations == nil || ce.plan == nil {
		return g.cfg.Forwarder.Forward(w, r, t)
	}
	_, err := g.cfg.Integrations.Do(w, r, ce.plan, t)
	return err
}
