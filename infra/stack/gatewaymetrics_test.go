package stack

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// dashboardBody returns the dashboard's body with its tokens (Fn::Join
// parts that are not strings) left out.
func dashboardBody(t *testing.T, s synth) string {
	t.Helper()
	dbs := resources(s.monitoring, "AWS::CloudWatch::Dashboard")
	if len(dbs) != 1 {
		t.Fatalf("%d dashboards, want 1", len(dbs))
	}
	var body strings.Builder
	for _, d := range dbs {
		switch b := props(d)["DashboardBody"].(type) {
		case string:
			body.WriteString(b)
		case map[string]any:
			for _, part := range b["Fn::Join"].([]any)[1].([]any) {
				if str, ok := part.(string); ok {
					body.WriteString(str)
				}
			}
		}
	}
	return body.String()
}

// TestGatewayMetricsDashboard: the dashboard graphs the gateway's EMF
// metrics per tenant with SEARCH expressions in the environment's
// namespace (cache hit ratio, hits/misses/stale, rate-limited, breakers),
// and the gateway function writes them there.
func TestGatewayMetricsDashboard(t *testing.T) {
	s := build(t, config(t, "prod", fakeRoot(t, false, todayFunctions...)))
	body := dashboardBody(t, s)
	var widgets struct {
		Widgets []struct {
			Properties struct {
				Title   string  `json:"title"`
				Metrics [][]any `json:"metrics"`
			} `json:"properties"`
		} `json:"widgets"`
	}
	if err := json.Unmarshal([]byte(body), &widgets); err != nil {
		t.Fatalf("dashboard body: %v\n%s", err, body)
	}
	exprs := map[string][]string{} // widget title -> expressions
	for _, w := range widgets.Widgets {
		for _, m := range w.Properties.Metrics {
			for _, part := range m {
				if o, ok := part.(map[string]any); ok {
					if e, ok := o["expression"].(string); ok {
						exprs[w.Properties.Title] = append(exprs[w.Properties.Title], e)
					}
				}
			}
		}
	}
	search := func(metric string) string {
		return `SEARCH('{"Portico/prod",Tenant} MetricName="` + metric + `"', 'Sum', 300)`
	}
	for title, want := range map[string][]string{
		"Cache hit ratio (%)": {
			"IF(SUM(hits) + SUM(misses) + SUM(stale) > 0, 100 * SUM(hits) / (SUM(hits) + SUM(misses) + SUM(stale)), 0)",
			search("CacheHits"), search("CacheMisses"), search("CacheStale"),
		},
		"Cache by tenant: hits, misses, stale served":      {search("CacheHits"), search("CacheMisses"), search("CacheStale")},
		"Rate-limited (429) and breakers opened by tenant": {search("RateLimited"), search("BreakerOpened")},
	} {
		got := strings.Join(exprs[title], "\n")
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("widget %q: no expression %s; has:\n%s", title, w, got)
			}
		}
	}
	must(t, "gateway metrics namespace", func() {
		s.api.HasResourceProperties(jsii.String("AWS::Lambda::Function"), obj{
			"FunctionName": "portico-prod-gateway",
			"Environment":  obj{"Variables": assertions.Match_ObjectLike(&map[string]any{"PORTICO_METRICS_NAMESPACE": "Portico/prod"})},
		})
	})
}
