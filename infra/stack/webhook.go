package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"
)

// Partitions of the webhook outbox and delivery log (internal/catalog
// OutboxPK and DeliveryPK): the only ones the dispatcher writes.
const (
	outboxPartitionPrefix   = "WHOUT#"
	deliveryPartitionPrefix = "WHD#"
)

// WebhookSchedule is how often the dispatcher drains the outbox for retries.
const WebhookSchedule = "rate(1 minute)"

// webhooks wires the webhook dispatcher (docs/integrations.md, Webhooks):
// the table's stream invokes it for new outbox items only (an event
// source mapping filtered on INSERTs whose PK starts with WHOUT#), an
// EventBridge rule every minute for retries. It may write the outbox and
// delivery-log partitions only (a leading-keys condition), and read the
// table like every table user (subscriptions and their secrets).
func (a *API) webhooks(s Settings, fn awslambda.Function, st *State) {
	role := fn.Role()
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("WebhookPartitions"),
		Actions:   jsii.Strings("dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem"),
		Resources: &[]*string{st.Table.TableArn()},
		Conditions: &map[string]any{"ForAllValues:StringLike": map[string]any{
			"dynamodb:LeadingKeys": []string{outboxPartitionPrefix + "*", deliveryPartitionPrefix + "*"},
		}},
	}))
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("WebhookTableKeyWrite"),
		Actions:   jsii.Strings("kms:Encrypt", "kms:GenerateDataKey"),
		Resources: &[]*string{st.Key.KeyArn()},
		Conditions: &map[string]any{"StringEquals": map[string]any{
			"kms:ViaService": "dynamodb." + *a.Stack.Region() + ".amazonaws.com",
		}},
	}))
	// The four actions the Lambda event source mapping needs on the
	// table's streams (AWS's own least-privilege example scopes them to
	// table/<name>/stream/*).
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("TableStream"),
		Actions:   jsii.Strings("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"),
		Resources: &[]*string{awscdk.Fn_Join(jsii.String(""), &[]*string{st.Table.TableArn(), jsii.String("/stream/*")})},
	}))

	esm := awslambda.NewEventSourceMapping(a.Stack, jsii.String("WebhookOutboxStream"), &awslambda.EventSourceMappingProps{
		Target:           fn,
		EventSourceArn:   st.Table.TableStreamArn(),
		StartingPosition: awslambda.StartingPosition_LATEST,
		BatchSize:        jsii.Number(25),
		// A failed record is left to the schedule (the outbox is the truth):
		// the handler does not fail batches, so retries only cover crashes.
		RetryAttempts: jsii.Number(2),
		MaxRecordAge:  awscdk.Duration_Hours(jsii.Number(1)),
		Filters: &[]*map[string]any{awslambda.FilterCriteria_Filter(&map[string]any{
			"eventName": awslambda.FilterRule_IsEqual(jsii.String("INSERT")),
			"dynamodb": map[string]any{"Keys": map[string]any{"PK": map[string]any{
				"S": awslambda.FilterRule_BeginsWith(jsii.String(outboxPartitionPrefix)),
			}}},
		})},
	})
	// The role's stream policy must exist before the mapping is created.
	esm.Node().AddDependency(role)

	awsevents.NewRule(a.Stack, jsii.String("WebhookRetries"), &awsevents.RuleProps{
		RuleName:    jsii.String(s.prefix() + "-webhook-retries"),
		Description: jsii.String("Portico " + s.Name + ": drain the webhook outbox (retries, missed stream records)"),
		Schedule:    awsevents.Schedule_Expression(jsii.String(WebhookSchedule)),
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(fn, &awseventstargets.LambdaFunctionProps{
			// The next tick comes in a minute: no async retries, no stale ticks.
			RetryAttempts: jsii.Number(0),
			MaxEventAge:   awscdk.Duration_Minutes(jsii.Number(1)),
		})},
	})
}

// The webhook dispatcher's EMF metrics (internal/app WebhookMetrics), in
// the gateway's namespace: per tenant and subscription, and summed over
// tenants with the dimension Component=webhooks, which the alarm watches
// (alarms cannot SEARCH).
const (
	WebhookFailedMetric    = "WebhookFailed"
	WebhookDeliveredMetric = "WebhookDelivered"
	WebhookAttemptsMetric  = "WebhookAttempts"
	webhookComponent       = "webhooks"
)

// WebhookFailurePeriod is the window of the failed-deliveries alarm.
const WebhookFailurePeriod = 15

// webhookMonitoring adds the failed-deliveries alarm (any delivery that
// ended failed, its retries exhausted, in 15 minutes) and a dashboard
// widget of deliveries and failures by tenant.
func webhookMonitoring(m *Monitoring, s Settings, alarm func(string, awscloudwatch.Alarm)) {
	period := awscdk.Duration_Minutes(jsii.Number(WebhookFailurePeriod))
	total := func(metric string) awscloudwatch.Metric {
		return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String(GatewayMetricsNamespace(s)), MetricName: jsii.String(metric),
			DimensionsMap: &map[string]*string{"Component": jsii.String(webhookComponent)},
			Period:        period, Statistic: jsii.String("Sum"),
		})
	}
	alarm("WebhookFailures", awscloudwatch.NewAlarm(m.Stack, jsii.String("WebhookFailures"), &awscloudwatch.AlarmProps{
		AlarmDescription: jsii.String("Portico " + s.Name + ": webhook deliveries failed for good (every retry over about 24 h exhausted) in the last 15 minutes; " +
			"the Webhook dimension of WebhookFailed names the tenants and subscriptions"),
		Metric:             total(WebhookFailedMetric),
		Threshold:          jsii.Number(0),
		EvaluationPeriods:  jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	}))
	five := awscdk.Duration_Minutes(jsii.Number(5))
	byTenant := func(label string) string { return "${PROP('Dim.Tenant')} " + label }
	m.Dashboard.AddWidgets(awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
		Title: jsii.String("Webhooks by tenant: delivered, failed for good"), Width: jsii.Number(8),
		Left:  &[]awscloudwatch.IMetric{tenantSearch(s, WebhookDeliveredMetric, byTenant("delivered"), five)},
		Right: &[]awscloudwatch.IMetric{tenantSearch(s, WebhookFailedMetric, byTenant("failed"), five)},
	}))
}
