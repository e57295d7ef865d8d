package stack

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// TestMain keeps jsii's package cache inside the module (ignored by git)
// and CDK output in a temporary directory. jsii.Close is not called: it
// races inside jsii-runtime-go under -race, and the process exit stops node.
func TestMain(m *testing.M) {
	if os.Getenv("JSII_RUNTIME_PACKAGE_CACHE_ROOT") == "" {
		if abs, err := filepath.Abs("../.jsii-cache"); err == nil {
			os.Setenv("JSII_RUNTIME_PACKAGE_CACHE_ROOT", abs)
		}
	}
	out, err := os.MkdirTemp("", "portico-cdk-test-")
	if err != nil {
		panic(err)
	}
	os.Setenv("CDK_OUTDIR", out)
	code := m.Run()
	os.RemoveAll(out)
	os.Exit(code)
}

// fakeRoot builds a repository root with functions/<fn>/main.go and a
// dist/<fn>/bootstrap for each name, and frontend/dist when console is set.
func fakeRoot(t *testing.T, console bool, fns ...string) string {
	t.Helper()
	root := t.TempDir()
	write := func(path, body string) {
		t.Helper()
		p := filepath.Join(root, filepath.FromSlash(path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, fn := range fns {
		write("functions/"+fn+"/main.go", "package main\n")
		write("dist/"+fn+"/bootstrap", "#!/bin/sh\n# "+fn+"\n")
	}
	if console {
		write("frontend/dist/index.html", "<!doctype html><title>Portico</title>")
	}
	return root
}

// todayFunctions are the function directories that exist in the repository.
var todayFunctions = []string{FnGateway, FnManagement}

// allFunctions adds the ones later issues bring.
var allFunctions = []string{FnGateway, FnManagement, FnWorkflowTask, FnKeyRotation, FnWebhookDispatcher}

type synth struct {
	p          *Portico
	state      assertions.Template
	api        assertions.Template
	console    assertions.Template
	monitoring assertions.Template
}

func (s synth) all() map[string]assertions.Template {
	return map[string]assertions.Template{"State": s.state, "Api": s.api, "Console": s.console, "Monitoring": s.monitoring}
}

func build(t *testing.T, cfg Config) synth {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	p, err := New(app, cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return synth{
		p:          p,
		state:      assertions.Template_FromStack(p.State.Stack, nil),
		api:        assertions.Template_FromStack(p.API.Stack, nil),
		console:    assertions.Template_FromStack(p.Console.Stack, nil),
		monitoring: assertions.Template_FromStack(p.Monitoring.Stack, nil),
	}
}

func config(t *testing.T, env string, root string) Config {
	t.Helper()
	s, err := Defaults(env)
	if err != nil {
		t.Fatal(err)
	}
	return Config{Settings: s, Root: root, Account: "123456789012", Region: "eu-west-1"}
}

// resources returns the template's resources of type typ by logical id.
func resources(tpl assertions.Template, typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range (*tpl.ToJSON())["Resources"].(map[string]any) {
		r := r.(map[string]any)
		if r["Type"] == typ {
			out[id] = r
		}
	}
	return out
}

func props(r map[string]any) map[string]any {
	p, _ := r["Properties"].(map[string]any)
	return p
}

// obj is a shorthand for the assertion helpers' property maps.
type obj = map[string]any

func must(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s: %v", what, r)
		}
	}()
	f()
}
