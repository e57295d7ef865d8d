package stack

import (
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

// TestAppHasNoCycle synthesizes each environment's whole app with every
// function and option on (built console, gateway and console domains,
// custom hosted UI domain) and checks the stack dependency graph: acyclic
// (CDK refuses a cycle while synthesizing; this proves synthesis succeeds),
// and the order State < Console < Api < Monitoring the sign-in design
// needs: the Console stack must not depend on the Api stack, or its app
// client's callback URL (the distribution) and the Api stack's audience
// (the client) would cycle.
func TestAppHasNoCycle(t *testing.T) {
	root := fakeRoot(t, true, allFunctions...)
	for _, env := range Environments {
		t.Run(env, func(t *testing.T) {
			cfg := config(t, env, root)
			cfg.Settings.Domain = "example.com"
			cfg.Settings.CertificateArn = "arn:aws:acm:eu-west-1:123456789012:certificate/gw"
			cfg.Settings.ConsoleDomain = "console.example.com"
			cfg.Settings.ConsoleCertificateArn = "arn:aws:acm:us-east-1:123456789012:certificate/console"
			cfg.Settings.AuthDomain = "auth.example.com"
			cfg.Settings.AuthCertificateArn = "arn:aws:acm:us-east-1:123456789012:certificate/auth"
			cfg.Settings.AlarmEmails = []string{"ops@example.com"}
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
			if _, err := New(app, cfg); err != nil {
				t.Fatal(err)
			}
			deps := map[string][]string{}
			stacks := *app.Synth(nil).Stacks()
			for _, st := range stacks {
				deps[*st.Id()] = nil
			}
			for _, st := range stacks {
				var on []string
				for _, d := range *st.Dependencies() {
					if _, isStack := deps[*d.Id()]; isStack { // not the asset manifests
						on = append(on, *d.Id())
					}
				}
				sort.Strings(on)
				deps[*st.Id()] = on
			}
			name := func(part string) string { return StackName(env, part) }
			if len(deps) != 4 {
				t.Errorf("stacks %v, want State, Console, Api, Monitoring", deps)
			}
			dependsOn := func(a, b string) bool {
				for _, d := range deps[name(a)] {
					if d == name(b) {
						return true
					}
				}
				return false
			}
			for _, e := range []struct {
				from, to string
				want     bool
			}{
				{"Console", "State", true}, // the user pool and hosted UI
				{"Api", "Console", true},   // the client id, the management API and authorizer
				{"Api", "State", true},
				{"Console", "Api", false}, // the cycle the design avoids
				{"Console", "Monitoring", false},
				{"State", "Console", false},
				{"State", "Api", false},
			} {
				if got := dependsOn(e.from, e.to); got != e.want {
					t.Errorf("%s depends on %s: %v, want %v (dependencies %v)", e.from, e.to, got, e.want, deps)
				}
			}
			if order, err := topoOrder(deps); err != nil {
				t.Error(err)
			} else {
				t.Logf("deploy order: %v", order)
			}
		})
	}
}

// topoOrder returns the stacks in dependency order, or an error naming the
// stacks left on a cycle.
func topoOrder(deps map[string][]string) ([]string, error) {
	done := map[string]bool{}
	var order []string
	for len(done) < len(deps) {
		progress := false
		names := make([]string, 0, len(deps))
		for n := range deps {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			if done[n] {
				continue
			}
			ready := true
			for _, d := range deps[n] {
				ready = ready && done[d]
			}
			if ready {
				done[n], progress = true, true
				order = append(order, n)
			}
		}
		if !progress {
			var left []string
			for n := range deps {
				if !done[n] {
					left = append(left, n)
				}
			}
			sort.Strings(left)
			return order, &cycleError{left}
		}
	}
	return order, nil
}

type cycleError struct{ stacks []string }

func (e *cycleError) Error() string {
	return "stack dependency cycle among " + strings.Join(e.stacks, ", ")
}

func TestTopoOrder(t *testing.T) {
	if _, err := topoOrder(map[string][]string{"a": {"b"}, "b": {"a"}, "c": nil}); err == nil || !strings.Contains(err.Error(), "a, b") {
		t.Errorf("cycle a<->b: err %v", err)
	}
	if got, err := topoOrder(map[string][]string{"api": {"console", "state"}, "console": {"state"}, "state": nil}); err != nil || strings.Join(got, ",") != "state,console,api" {
		t.Errorf("order %v, %v", got, err)
	}
}
