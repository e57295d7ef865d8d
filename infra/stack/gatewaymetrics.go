package stack

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/jsii-runtime-go"
)

// GatewayMetricsNamespace is the CloudWatch namespace of the gateway's
// EMF metrics (PORTICO_METRICS_NAMESPACE; docs/cache.md, "Metrics"): the
// environment's, shared with the security-event metric.
func GatewayMetricsNamespace(s Settings) string { return SecurityNamespace(s) }

// tenantSearch is a SEARCH over the gateway's per-tenant EMF metric
// (dimension set [Tenant]): one series per tenant, summed over period.
func tenantSearch(s Settings, metric, label string, period awscdk.Duration) awscloudwatch.MathExpression {
	return awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression: jsii.String(fmt.Sprintf(`SEARCH('{"%s",Tenant} MetricName="%s"', 'Sum', %d)`,
			GatewayMetricsNamespace(s), metric, int(*period.ToSeconds(nil)))),
		Label:  jsii.String(label),
		Period: period,
	})
}

// gatewayMetricWidgets graphs the gateway's EMF metrics: the cache hit
// ratio of every tenant together (hits over hits, misses and stale
// answers), and per tenant the cache's hits, misses and stale answers, the
// rate-limited requests, and the circuit breakers opened.
func gatewayMetricWidgets(s Settings, period awscdk.Duration) []awscloudwatch.IWidget {
	ratio := awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression: jsii.String("IF(SUM(hits) + SUM(misses) + SUM(stale) > 0, 100 * SUM(hits) / (SUM(hits) + SUM(misses) + SUM(stale)), 0)"),
		UsingMetrics: &map[string]awscloudwatch.IMetric{
			"hits":   tenantSearch(s, "CacheHits", "hits", period),
			"misses": tenantSearch(s, "CacheMisses", "misses", period),
			"stale":  tenantSearch(s, "CacheStale", "stale", period),
		},
		Label:  jsii.String("cache hit ratio (%), all tenants"),
		Period: period,
	})
	byTenant := func(label string) string { return "${PROP('Dim.Tenant')} " + label }
	return []awscloudwatch.IWidget{
		awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String("Cache hit ratio (%)"), Width: jsii.Number(8),
			Left:      &[]awscloudwatch.IMetric{ratio},
			LeftYAxis: &awscloudwatch.YAxisProps{Min: jsii.Number(0), Max: jsii.Number(100)},
		}),
		awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String("Cache by tenant: hits, misses, stale served"), Width: jsii.Number(8),
			Left: &[]awscloudwatch.IMetric{
				tenantSearch(s, "CacheHits", byTenant("hits"), period),
				tenantSearch(s, "CacheMisses", byTenant("misses"), period),
				tenantSearch(s, "CacheStale", byTenant("stale"), period),
			},
		}),
		awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String("Rate-limited (429) and breakers opened by tenant"), Width: jsii.Number(8),
			Left:  &[]awscloudwatch.IMetric{tenantSearch(s, "RateLimited", byTenant("429"), period)},
			Right: &[]awscloudwatch.IMetric{tenantSearch(s, "BreakerOpened", byTenant("breakers opened"), period)},
		}),
	}
}
