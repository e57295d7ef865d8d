// Command management is the console API Lambda (/admin/v1) behind API
// Gateway HTTP API. It only wires; see internal/management.
package main

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/portico/portico/internal/app"
	"github.com/portico/portico/internal/catalog"
)

func main() {
	app.Lambda("management", func(e app.Env, cat *catalog.Catalog, sh *app.Shared, log *slog.Logger) (http.Handler, error) {
		con, err := app.NewConsole(e, nil)
		if err != nil {
			return nil, err
		}
		return app.NewManagement(context.Background(), e, cat, con, sh, log)
	})
}
