package stack

import (
	"sort"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Monitoring holds the dashboard and the alarms, which notify one SNS topic.
type Monitoring struct {
	Stack     awscdk.Stack
	Topic     awssns.Topic
	Dashboard awscloudwatch.Dashboard
}

func newMonitoring(scope constructs.Construct, id string, props *awscdk.StackProps, s Settings, st *State, api *API) *Monitoring {
	m := &Monitoring{Stack: awscdk.NewStack(scope, jsii.String(id), props)}
	m.Topic = awssns.NewTopic(m.Stack, jsii.String("Alarms"), &awssns.TopicProps{
		TopicName:   jsii.String(s.prefix() + "-alarms"),
		DisplayName: jsii.String("Portico " + s.Name + " alarms"),
		EnforceSSL:  jsii.Bool(true),
	})
	for _, e := range s.AlarmEmails {
		m.Topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(e), nil))
	}
	notify := awscloudwatchactions.NewSnsAction(m.Topic)
	five := awscdk.Duration_Minutes(jsii.Number(5))
	alarm := func(id string, a awscloudwatch.Alarm) {
		a.AddAlarmAction(notify)
		a.AddOkAction(notify)
	}

	m.Dashboard = awscloudwatch.NewDashboard(m.Stack, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{
		DashboardName: jsii.String(s.prefix()),
	})

	if api.Gateway != nil {
		p99 := api.Gateway.MetricLatency(&awscloudwatch.MetricOptions{Statistic: jsii.String("p99"), Period: five})
		alarm("GatewayLatency", awscloudwatch.NewAlarm(m.Stack, jsii.String("GatewayLatencyP99"), &awscloudwatch.AlarmProps{
			AlarmDescription:   jsii.String("Gateway HTTP API p99 latency above threshold"),
			Metric:             p99,
			Threshold:          jsii.Number(s.P99LatencyMs),
			EvaluationPeriods:  jsii.Number(3),
			DatapointsToAlarm:  jsii.Number(2),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		}))
		m.Dashboard.AddWidgets(
			awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
				Title: jsii.String("Gateway requests"), Width: jsii.Number(8),
				Left: &[]awscloudwatch.IMetric{
					api.Gateway.MetricCount(&awscloudwatch.MetricOptions{Period: five}),
					api.Gateway.MetricClientError(&awscloudwatch.MetricOptions{Period: five}),
					api.Gateway.MetricServerError(&awscloudwatch.MetricOptions{Period: five}),
				},
			}),
			awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
				Title: jsii.String("Gateway latency p99 (ms)"), Width: jsii.Number(8),
				Left: &[]awscloudwatch.IMetric{p99, api.Gateway.MetricIntegrationLatency(&awscloudwatch.MetricOptions{Statistic: jsii.String("p99"), Period: five})},
			}),
		)
	}

	names := make([]string, 0, len(api.Functions))
	for n := range api.Functions {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fn := api.Functions[n]
		opts := &awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Sum")}
		errRate := awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
			Expression: jsii.String("IF(invocations > 0, 100 * errors / invocations, 0)"),
			UsingMetrics: &map[string]awscloudwatch.IMetric{
				"errors":      fn.MetricErrors(opts),
				"invocations": fn.MetricInvocations(opts),
			},
			Label:  jsii.String(n + " error rate (%)"),
			Period: five,
		})
		alarm(n, awscloudwatch.NewAlarm(m.Stack, jsii.String(camel(n)+"ErrorRate"), &awscloudwatch.AlarmProps{
			AlarmDescription:   jsii.String("Portico " + s.Name + " " + n + ": function error rate above threshold"),
			Metric:             errRate,
			Threshold:          jsii.Number(s.ErrorRatePercent),
			EvaluationPeriods:  jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		}))
		m.Dashboard.AddWidgets(awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String(n), Width: jsii.Number(8),
			Left: &[]awscloudwatch.IMetric{
				fn.MetricInvocations(opts), fn.MetricErrors(opts), fn.MetricThrottles(opts),
			},
			Right: &[]awscloudwatch.IMetric{
				fn.MetricDuration(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("p99")}),
			},
		}))
	}

	sum := &awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Sum")}
	if api.Functions[FnGateway] != nil {
		security := awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String(SecurityNamespace(s)), MetricName: jsii.String(SecurityMetric),
			Period: five, Statistic: jsii.String("Sum"),
		})
		m.Dashboard.AddWidgets(gatewayMetricWidgets(s, five)...) // gatewaymetrics.go
		alarm("SecurityEvents", awscloudwatch.NewAlarm(m.Stack, jsii.String("SecurityEvents"), &awscloudwatch.AlarmProps{
			AlarmDescription:   jsii.String("Portico " + s.Name + ": gateway security events (failed-auth thresholds, tenant enumeration)"),
			Metric:             security,
			Threshold:          jsii.Number(1),
			EvaluationPeriods:  jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		}))
	}

	if api.Functions[FnWebhookDispatcher] != nil {
		webhookMonitoring(m, s, alarm) // webhook.go
	}

	gsi := &map[string]any{"TableName": st.Table.TableName(), "GlobalSecondaryIndexName": indexGSI1}
	throttles := awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression: jsii.String("FILL(r, 0) + FILL(w, 0) + FILL(gr, 0) + FILL(gw, 0)"),
		UsingMetrics: &map[string]awscloudwatch.IMetric{
			"r":  st.Table.Metric(jsii.String("ReadThrottleEvents"), sum),
			"w":  st.Table.Metric(jsii.String("WriteThrottleEvents"), sum),
			"gr": awscloudwatch.NewMetric(&awscloudwatch.MetricProps{Namespace: jsii.String("AWS/DynamoDB"), MetricName: jsii.String("ReadThrottleEvents"), DimensionsMap: dims(gsi), Period: five, Statistic: jsii.String("Sum")}),
			"gw": awscloudwatch.NewMetric(&awscloudwatch.MetricProps{Namespace: jsii.String("AWS/DynamoDB"), MetricName: jsii.String("WriteThrottleEvents"), DimensionsMap: dims(gsi), Period: five, Statistic: jsii.String("Sum")}),
		},
		Label:  jsii.String("DynamoDB throttle events"),
		Period: five,
	})
	alarm("Throttles", awscloudwatch.NewAlarm(m.Stack, jsii.String("TableThrottles"), &awscloudwatch.AlarmProps{
		AlarmDescription:   jsii.String("Portico " + s.Name + ": DynamoDB throttled requests (table or GSI1)"),
		Metric:             throttles,
		Threshold:          jsii.Number(0),
		EvaluationPeriods:  jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	}))
	m.Dashboard.AddWidgets(awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
		Title: jsii.String("DynamoDB"), Width: jsii.Number(8),
		Left: &[]awscloudwatch.IMetric{
			st.Table.MetricConsumedReadCapacityUnits(sum),
			st.Table.MetricConsumedWriteCapacityUnits(sum),
		},
		Right: &[]awscloudwatch.IMetric{throttles},
	}))
	return m
}

func dims(m *map[string]any) *map[string]*string {
	out := map[string]*string{}
	for k, v := range *m {
		switch v := v.(type) {
		case string:
			out[k] = jsii.String(v)
		case *string:
			out[k] = v
		}
	}
	return &out
}
