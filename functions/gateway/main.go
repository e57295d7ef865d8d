// Command gateway is the data-plane Lambda: API Gateway HTTP API (payload
// 2.0) events in, the tenant's APIs out. It only wires; see internal/gateway.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/portico/portico/internal/app"
	"github.com/portico/portico/internal/lambdahttp"
)

func main() {
	env, err := app.LoadEnv(os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gateway: configuration:", err)
		os.Exit(2)
	}
	log := env.Logger()
	ctx := context.Background()
	st, _, err := app.OpenStore(ctx, env)
	if err != nil {
		log.Error("open store", "error", err.Error())
		os.Exit(1)
	}
	cat, err := app.NewCatalog(st)
	if err != nil {
		log.Error("catalog", "error", err.Error())
		os.Exit(1)
	}
	gw, err := app.NewGateway(env, cat, log)
	if err != nil {
		log.Error("gateway", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(lambdahttp.Handler(gw))
}
