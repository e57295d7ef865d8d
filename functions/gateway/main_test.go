package main

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/portico/portico/internal/app"
	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/echo"
	"github.com/portico/portico/internal/lambdahttp/lambdatest"
	"github.com/portico/portico/internal/store/bolt"
)

// TestBootstrapServesSeededAPI builds this function's real binary, runs it
// against a fake of the Lambda Runtime API, and sends it an API Gateway
// HTTP API event for the demo tenant's API: the whole Lambda path, from the
// event JSON to the upstream and back.
func TestBootstrapServesSeededAPI(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the bootstrap")
	}
	upstream := httptest.NewServer(echo.New(echo.Config{}))
	t.Cleanup(upstream.Close)

	// Seed the embedded store, then close it: the function opens it alone.
	dataDir := t.TempDir()
	st, err := bolt.Open(t.Context(), bolt.Config{Path: filepath.Join(dataDir, "portico.db")})
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.New(catalog.Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	if err := app.SeedDemo(t.Context(), cat, upstream.URL); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	bin := filepath.Join(t.TempDir(), "bootstrap")
	build := exec.CommandContext(t.Context(), "go", "build", "-tags", "lambda.norpc", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	rt := lambdatest.NewFakeRuntime(t)
	cmd := exec.Command(bin)
	cmd.Env = []string{
		"AWS_LAMBDA_RUNTIME_API=" + rt.Addr(),
		"AWS_LAMBDA_FUNCTION_NAME=portico-gateway",
		"PORTICO_DATA_DIR=" + dataDir,
		"PATH=" + os.Getenv("PATH"),
	}
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("function output:\n%s", logs.String())
		}
	})

	raw, err := os.ReadFile("../../internal/lambdahttp/testdata/apigw-v2-request-no-authorizer.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	ev.RawPath = "/t/demo/v1/items/42"
	ev.RawQueryString = ""
	ev.QueryStringParameters = nil
	ev.RequestContext.HTTP.Method = "GET"
	ev.RequestContext.HTTP.Path = ev.RawPath
	ev.Body, ev.IsBase64Encoded = "", false
	payload, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	out, err := rt.Invoke(ctx, payload)
	if err != nil {
		t.Fatalf("invoke: %v", err)
	}
	t.Logf("cold start to first response: %v", time.Since(start))
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("decode response %s: %v", out, err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("status %d, body %s", resp.StatusCode, resp.Body)
	}
	var item echo.Item
	if err := json.Unmarshal([]byte(resp.Body), &item); err != nil {
		t.Fatalf("body %q: %v", resp.Body, err)
	}
	if item != echo.NewItem("42") {
		t.Fatalf("item = %+v, want %+v", item, echo.NewItem("42"))
	}

	// An unknown route is a problem+json 404, through the same wrapper.
	ev.RawPath, ev.RequestContext.HTTP.Path = "/t/demo/v1/nope", "/t/demo/v1/nope"
	payload, _ = json.Marshal(ev)
	out, err = rt.Invoke(ctx, payload)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 404 || !strings.HasPrefix(resp.Headers["content-type"]+resp.Headers["Content-Type"], "application/problem+json") {
		t.Fatalf("unknown route: status %d headers %v", resp.StatusCode, resp.Headers)
	}
}
