// Command gateway is the data-plane Lambda: API Gateway HTTP API (payload
// 2.0) events in, the tenant's APIs out. It only wires; see internal/gateway.
package main

import (
	"log/slog"
	"net/http"

	"github.com/portico/portico/internal/app"
	"github.com/portico/portico/internal/catalog"
)

func main() {
	app.Lambda("gateway", func(e app.Env, cat *catalog.Catalog, sh *app.Shared, log *slog.Logger) (http.Handler, error) {
		gw, err := app.NewGateway(e, cat, sh, log)
		if err != nil {
			return nil, err
		}
		// EMF metric lines on stdout (PORTICO_METRICS), flushed after the
		// invocation that finds a flush due, and at shutdown.
		h, stop, err := app.GatewayMetrics(e, sh, gw, log)
		if err != nil {
			return nil, err
		}
		sh.OnShutdown(stop)
		return h, nil
	})
}
