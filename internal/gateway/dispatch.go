package gateway

import (
	"net/http"

	"github.com/portico/portico/internal/proxy"
)

// dispatch calls the endpoint's integration: through the integration
// engine (timeouts, retries, breaker, redirects) when the gateway has one,
// else a plain Forward. Both return Forward's errors. What the engine did
// (attempts, breaker state) goes into res.call for the access log.
func (g *Gateway) dispatch(w http.ResponseWriter, r *http.Request, res *resolution, t proxy.Target) error {
	ce := res.ep
	if g.cfg.Integrations == nil || ce.plan == nil {
		return g.cfg.Forwarder.Forward(w, r, t)
	}
	var err error
	res.call, err = g.cfg.Integrations.Do(w, r, ce.plan, t)
	return err
}
