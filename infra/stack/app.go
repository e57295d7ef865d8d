package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Portico is one environment's stack set.
type Portico struct {
	State      *State
	API        *API
	Console    *Console
	Monitoring *Monitoring
}

// StackName names an environment's stack: Portico-<env>-<part>.
func StackName(env, part string) string { return "Portico-" + env + "-" + part }

// New adds an environment's stacks to scope. cfg must have passed Validate
// (ConfigFromContext does it).
func New(scope constructs.Construct, cfg Config) (*Portico, error) {
	fns, err := cfg.Functions()
	if err != nil {
		return nil, err
	}
	s := cfg.Settings
	props := func(part, desc string) *awscdk.StackProps {
		p := &awscdk.StackProps{
			StackName:   jsii.String(StackName(s.Name, part)),
			Description: jsii.String("Portico " + s.Name + ": " + desc),
			Tags:        &map[string]*string{"project": jsii.String("portico"), "environment": jsii.String(s.Name)},
		}
		if cfg.Account != "" || cfg.Region != "" {
			p.Env = &awscdk.Environment{}
			if cfg.Account != "" {
				p.Env.Account = jsii.String(cfg.Account)
			}
			if cfg.Region != "" {
				p.Env.Region = jsii.String(cfg.Region)
			}
		}
		return p
	}
	p := &Portico{}
	// State < Console < Api < Monitoring: the Console stack holds the
	// management API's endpoint, the distribution and the sign-in client,
	// which the Api stack's function and authorizer route need (Console).
	p.State = newState(scope, StackName(s.Name, "State"), props("State", "table, KMS key, secrets, console user pool and hosted UI"), cfg)
	p.Console = newConsole(scope, StackName(s.Name, "Console"), props("Console", "console hosting (S3 + CloudFront), management API endpoint, sign-in client"), cfg, fns, p.State)
	p.API = newAPI(scope, StackName(s.Name, "Api"), props("Api", "functions, HTTP APIs, workflow role"), cfg, fns, p.State, p.Console)
	p.Monitoring = newMonitoring(scope, StackName(s.Name, "Monitoring"), props("Monitoring", "dashboard and alarms"), s, p.State, p.API)
	return p, nil
}
