// Command webhook-dispatcher delivers tenants' webhooks from the outbox
// the catalog writes with every configuration change a subscription
// wants. DynamoDB Streams invokes it for new outbox items (prompt first
// delivery) and an EventBridge schedule every minute (retries). It only
// wires; see internal/integration/webhook and its webhooklambda package.
package main

import (
	"log/slog"

	"github.com/portico/portico/internal/app"
	"github.com/portico/portico/internal/catalog"
)

func main() {
	app.LambdaEvents("webhook-dispatcher", func(e app.Env, cat *catalog.Catalog, sh *app.Shared, log *slog.Logger) (any, error) {
		return app.NewWebhookHandler(e, cat, sh, log)
	})
}
