// Package stack defines Portico's AWS deployment as CDK stacks: one stack set
// per environment (dev, staging, prod), built from a Config. The app in the
// parent directory reads the Config from CDK context; tests build it directly.
// docs/deploy.md describes what each stack holds and why.
package stack
