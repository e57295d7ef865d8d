package app

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/echo"
)

func TestMetricsFromEnv(t *testing.T) {
	for _, tc := range []struct {
		name     string
		env      map[string]string
		want     string
		interval time.Duration
		wantErr  bool
	}{
		{name: "local default off", want: "off", interval: time.Minute},
		{name: "aws default stdout", env: map[string]string{"PORTICO_MODE": "aws", "PORTICO_SECRETS_PREFIX": "portico/dev/tenants/"}, want: "stdout", interval: time.Minute},
		{name: "aws off", env: map[string]string{"PORTICO_MODE": "aws", "PORTICO_SECRETS_PREFIX": "portico/dev/tenants/", "PORTICO_METRICS": "off"}, want: "off", interval: time.Minute},
		{name: "local to a file", env: map[string]string{"PORTICO_METRICS": "file:/tmp/emf.log", "PORTICO_METRICS_INTERVAL": "10s"}, want: "file:/tmp/emf.log", interval: 10 * time.Second},
		{name: "file without path", env: map[string]string{"PORTICO_METRICS": "file:"}, wantErr: true},
		{name: "unknown", env: map[string]string{"PORTICO_METRICS": "statsd"}, wantErr: true},
		{name: "interval too short", env: map[string]string{"PORTICO_METRICS_INTERVAL": "500ms"}, wantErr: true},
		{name: "interval too long", env: map[string]string{"PORTICO_METRICS_INTERVAL": "2h"}, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := LoadEnv(func(k string) string { return tc.env[k] })
			if tc.wantErr {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if e.Metrics != tc.want || e.MetricsInterval != tc.interval {
				t.Fatalf("metrics %q every %v, want %q every %v", e.Metrics, e.MetricsInterval, tc.want, tc.interval)
			}
		})
	}
}

// TestGatewayMetricsToFile: the gateway wired from an Env with
// PORTICO_METRICS=file:... writes EMF lines of its counters, here on stop
// (the shutdown flush), one per (tenant, endpoint) that moved.
func TestGatewayMetricsToFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "emf.log")
	p := newParts(t, func(k string) string {
		return map[string]string{"PORTICO_DATA_DIR": dir, "PORTICO_METRICS": "file:" + path}[k]
	})
	ctx, e, cat, sh, log := context.Background(), p.e, p.cat, p.sh, p.log
	gw, err := NewGateway(e, cat, sh, log)
	if err != nil {
		t.Fatal(err)
	}
	up := httptest.NewServer(echo.New(echo.Config{Logger: log}))
	t.Cleanup(up.Close)
	if err := SeedDemo(ctx, cat, up.URL); err != nil {
		t.Fatal(err)
	}
	h, stop, err := GatewayMetrics(e, sh, gw, log)
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/t/"+DemoTenant+"/v1/items/42", nil))
	if w.Code != http.StatusOK {
		t.Fatalf("gateway through the metrics handler: %d %s", w.Code, w.Body)
	}
	sh.Cache.Endpoint(DemoTenant, "ep-1").Hit()
	sh.Cache.Endpoint(DemoTenant, "ep-1").Stale()
	stop()

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 1 {
		t.Fatalf("%d lines, want 1:\n%s", len(lines), data)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &doc); err != nil {
		t.Fatal(err)
	}
	if ns := doc["_aws"].(map[string]any)["CloudWatchMetrics"].([]any)[0].(map[string]any)["Namespace"]; ns != "Portico" {
		t.Fatalf("namespace %v", ns)
	}
	if doc["Tenant"] != DemoTenant || doc["Endpoint"] != "ep-1" || doc[MetricCacheHits] != 1.0 || doc[MetricCacheStale] != 1.0 || doc["_aws"] == nil {
		t.Fatalf("line %s", lines[0])
	}
}
