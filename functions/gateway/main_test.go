package main

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/app"
	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/echo"
	"github.com/portico/portico/internal/lambdahttp/lambdatest"
	"github.com/portico/portico/internal/store/bolt"
)

// TestBootstrapServesSeededAPI builds this function's real binary, runs it
// against a fake of the Lambda Runtime API, and sends it API Gateway HTTP
// API events for the demo tenant's API: the whole Lambda path, from the
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
	base, err := os.ReadFile("../../internal/lambdahttp/testdata/apigw-v2-request-no-authorizer.json")
	if err != nil {
		t.Fatal(err)
	}

	// The SSRF guard refuses loopback upstreams unless allowlisted; allow
	// exactly the test upstream's address.
	fn := lambdatest.StartFunction(t, ".", "PORTICO_DATA_DIR="+dataDir, "PORTICO_UPSTREAM_ALLOW="+strings.TrimPrefix(upstream.URL, "http://"))
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()

	resp, err := fn.HTTP(ctx, base, "GET", "/t/demo/v1/items/42", nil, "")
	if err != nil {
		t.Fatalf("invoke: %v", err)
	}
	t.Logf("cold start to first response: %v", fn.ColdStart)
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
	resp, err = fn.HTTP(ctx, base, "GET", "/t/demo/v1/nope", nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 404 || !strings.HasPrefix(resp.Headers["Content-Type"], "application/problem+json") {
		t.Fatalf("unknown route: status %d headers %v", resp.StatusCode, resp.Headers)
	}
}
