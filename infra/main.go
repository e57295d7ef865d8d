// Command infra is Portico's CDK app: `cdk synth -c env=dev|staging|prod`
// from the repository root (cdk.json runs it). See docs/deploy.md.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/portico/portico/infra/stack"
)

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	cfg, err := stack.ConfigFromContext(func(k string) any { return app.Node().TryGetContext(jsii.String(k)) })
	if err == nil {
		_, err = stack.New(app, cfg)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "portico infra:", err)
		jsii.Close()
		os.Exit(1)
	}
	app.Synth(nil)
}
