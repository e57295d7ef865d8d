// Command management is the console API Lambda (/admin/v1) behind API
// Gateway HTTP API. It only wires; see internal/management.
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
		fmt.Fprintln(os.Stderr, "management: configuration:", err)
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
	con, err := app.NewConsole(env, nil)
	if err != nil {
		log.Error("console identity", "error", err.Error())
		os.Exit(1)
	}
	h, err := app.NewManagement(env, cat, con, log)
	if err != nil {
		log.Error("management", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(lambdahttp.Handler(h))
}
