package stack

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// TestWebhookDispatcher: the dispatcher is invoked by the table stream,
// filtered to new outbox items, and by a one-minute schedule; it writes
// the outbox and delivery-log partitions only.
func TestWebhookDispatcher(t *testing.T) {
	s := build(t, config(t, "staging", fakeRoot(t, false, allFunctions...)))
	tpl := s.api
	must(t, "function reads the table", func() {
		tpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), obj{
			"FunctionName": "portico-staging-webhook-dispatcher",
			"Environment":  obj{"Variables": assertions.Match_ObjectLike(&map[string]any{"PORTICO_MODE": "aws", "PORTICO_STORE": "dynamodb", "PORTICO_TABLE": assertions.Match_AnyValue()})},
		})
	})
	must(t, "delivery metrics in the environment's namespace", func() {
		tpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), obj{
			"FunctionName": "portico-staging-webhook-dispatcher",
			"Environment":  obj{"Variables": assertions.Match_ObjectLike(&map[string]any{"PORTICO_METRICS_NAMESPACE": "Portico/staging"})},
		})
	})
	must(t, "failed-deliveries alarm on the totals, 15 minutes", func() {
		s.monitoring.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), obj{
			"MetricName": "WebhookFailed", "Namespace": "Portico/staging",
			"Dimensions": []any{obj{"Name": "Component", "Value": "webhooks"}},
			"Statistic":  "Sum", "Period": 900, "Threshold": 0, "EvaluationPeriods": 1,
			"ComparisonOperator": "GreaterThanThreshold", "TreatMissingData": "notBreaching",
			"AlarmActions": []any{assertions.Match_AnyValue()}, "OKActions": []any{assertions.Match_AnyValue()},
		})
	})
	must(t, "stream mapping filtered on new outbox items", func() {
		tpl.ResourceCountIs(jsii.String("AWS::Lambda::EventSourceMapping"), jsii.Number(1))
		tpl.HasResourceProperties(jsii.String("AWS::Lambda::EventSourceMapping"), obj{
			"FunctionName":     obj{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^WebhookDispatcher"))},
			"EventSourceArn":   obj{"Fn::ImportValue": assertions.Match_StringLikeRegexp(jsii.String("Table.*StreamArn"))},
			"StartingPosition": "LATEST",
			"FilterCriteria": obj{"Filters": []any{obj{
				"Pattern": assertions.Match_SerializedJson(obj{
					"eventName": []any{"INSERT"},
					"dynamodb":  obj{"Keys": obj{"PK": obj{"S": []any{obj{"prefix": "WHOUT#"}}}}},
				}),
			}}},
		})
	})
	must(t, "retry schedule", func() {
		tpl.HasResourceProperties(jsii.String("AWS::Events::Rule"), obj{
			"Name":               "portico-staging-webhook-retries",
			"ScheduleExpression": "rate(1 minute)",
			"State":              "ENABLED",
			"Targets": []any{assertions.Match_ObjectLike(&map[string]any{
				"Arn":         obj{"Fn::GetAtt": []any{assertions.Match_StringLikeRegexp(jsii.String("^WebhookDispatcher")), "Arn"}},
				"RetryPolicy": obj{"MaximumRetryAttempts": 0, "MaximumEventAgeInSeconds": 60},
			})},
		})
		tpl.HasResourceProperties(jsii.String("AWS::Lambda::Permission"), obj{
			"Action": "lambda:InvokeFunction", "Principal": "events.amazonaws.com",
			"FunctionName": obj{"Fn::GetAtt": []any{assertions.Match_StringLikeRegexp(jsii.String("^WebhookDispatcher")), "Arn"}},
		})
	})
	// The dispatcher's own statements: writes confined to its partitions,
	// stream reads to the table's streams, no unconditioned write.
	var sids []string
	for _, st := range policyStatements(tpl) {
		if !strings.Contains(st.where, "WebhookDispatcherRole") {
			continue
		}
		sid, _ := st.stmt["Sid"].(string)
		sids = append(sids, sid)
		actions := strs(st.stmt["Action"])
		cond := fmt.Sprint(st.stmt["Condition"])
		switch sid {
		case "WebhookPartitions":
			if cond != "map[ForAllValues:StringLike:map[dynamodb:LeadingKeys:[WHOUT#* WHD#*]]]" {
				t.Errorf("WebhookPartitions condition %s", cond)
			}
		case "TableStream":
			if r := fmt.Sprint(st.stmt["Resource"]); !strings.Contains(r, "/stream/*") {
				t.Errorf("TableStream resource %s", r)
			}
		default:
			for _, a := range actions {
				if isTableWrite(a) {
					t.Errorf("%s: %s grants %s", st.where, sid, a)
				}
			}
		}
	}
	for _, want := range []string{"WebhookPartitions", "TableStream", "Table", "TableKey", "WebhookTableKeyWrite", "OwnLogGroup"} {
		found := false
		for _, sid := range sids {
			found = found || sid == want
		}
		if !found {
			t.Errorf("no %s statement on the dispatcher's role (has %v)", want, sids)
		}
	}
}

func isTableWrite(action string) bool {
	switch action {
	case "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem":
		return true
	}
	return false
}

func TestTableWriteChecks(t *testing.T) {
	cases := []struct {
		name          string
		where         string
		action        any
		write, writer bool
	}{
		{"management writes anywhere", "AWS::IAM::Policy ManagementRoleDefaultPolicy1", "dynamodb:PutItem", true, true},
		{"dispatcher is confined", "AWS::IAM::Policy WebhookDispatcherRoleDefaultPolicy1", []any{"dynamodb:GetItem", "dynamodb:DeleteItem"}, true, false},
		{"reads are not writes", "AWS::IAM::Policy GatewayRoleDefaultPolicy1", []any{"dynamodb:GetItem", "dynamodb:Query"}, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := statement{where: tc.where, stmt: map[string]any{"Action": tc.action}}
			if writesTable(st) != tc.write || tableWriter(tc.where) != tc.writer {
				t.Fatalf("writesTable %v, tableWriter %v", writesTable(st), tableWriter(tc.where))
			}
		})
	}
}
