// Command portico runs the whole product locally in one process: the
// gateway, the management API and a demo upstream on 127.0.0.1, with a demo
// tenant seeded. It is what `make run` starts.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/portico/portico/internal/app"
)

func main() {
	env, err := app.LoadEnv(os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "portico: configuration:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := app.RunLocal(ctx, env, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "portico:", err)
		os.Exit(1)
	}
}
