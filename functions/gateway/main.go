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
		return app.NewGateway(e, cat, sh, log)
	})
}
