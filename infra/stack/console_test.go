package stack

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

func TestConsoleStack(t *testing.T) {
	t.Run("without a built console", func(t *testing.T) {
		s := build(t, config(t, "dev", fakeRoot(t, false, todayFunctions...)))
		tpl := s.console
		must(t, "private bucket", func() {
			tpl.HasResourceProperties(jsii.String("AWS::S3::Bucket"), obj{
				"PublicAccessBlockConfiguration": obj{
					"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true,
				},
			})
		})
		must(t, "origin access control", func() {
			tpl.ResourceCountIs(jsii.String("AWS::CloudFront::OriginAccessControl"), jsii.Number(1))
			tpl.HasResourceProperties(jsii.String("AWS::S3::BucketPolicy"), obj{"PolicyDocument": obj{"Statement": assertions.Match_ArrayWith(&[]any{
				obj{
					"Action": "s3:GetObject", "Effect": "Allow",
					"Principal": obj{"Service": "cloudfront.amazonaws.com"},
					"Condition": obj{"StringEquals": obj{"AWS:SourceArn": assertions.Match_AnyValue()}},
					"Resource":  assertions.Match_AnyValue(),
				},
			})}})
		})
		must(t, "SPA routing and /admin/* to the management API", func() {
			tpl.HasResourceProperties(jsii.String("AWS::CloudFront::Function"), obj{"FunctionCode": spaRewrite})
			tpl.HasResourceProperties(jsii.String("AWS::CloudFront::Distribution"), obj{"DistributionConfig": assertions.Match_ObjectLike(&map[string]any{
				"DefaultRootObject": "console/index.html",
				"DefaultCacheBehavior": assertions.Match_ObjectLike(&map[string]any{
					"ViewerProtocolPolicy": "redirect-to-https",
					"FunctionAssociations": []any{obj{"EventType": "viewer-request", "FunctionARN": assertions.Match_AnyValue()}},
				}),
				"CacheBehaviors": []any{assertions.Match_ObjectLike(&map[string]any{
					"PathPattern":          "/admin/*",
					"ViewerProtocolPolicy": "https-only",
					"AllowedMethods":       assertions.Match_ArrayWith(&[]any{"POST", "DELETE"}),
				})},
				"CustomErrorResponses": assertions.Match_Absent(),
			})})
		})
		must(t, "no deployment without frontend/dist", func() {
			tpl.ResourceCountIs(jsii.String("Custom::CDKBucketDeployment"), jsii.Number(0))
		})
	})
	t.Run("with a built console", func(t *testing.T) {
		s := build(t, config(t, "dev", fakeRoot(t, true, todayFunctions...)))
		must(t, "bucket deployment with invalidation", func() {
			s.console.HasResourceProperties(jsii.String("Custom::CDKBucketDeployment"), obj{
				"DistributionId":    assertions.Match_AnyValue(),
				"DistributionPaths": []any{"/console/*"}, "DestinationBucketKeyPrefix": "console/",
				"Prune": true,
			})
		})
		// config.json's tokens are the deployment's source markers.
		markers, _ := json.Marshal(s.console.FindResources(jsii.String("Custom::CDKBucketDeployment"), nil))
		if !strings.Contains(string(markers), `https://cognito-idp.eu-west-1.amazonaws.com/`) {
			t.Errorf("config.json has no Cognito issuer: %s", markers)
		}
	})
}

func TestMonitoringStack(t *testing.T) {
	cfg := config(t, "prod", fakeRoot(t, false, todayFunctions...))
	cfg.Settings.AlarmEmails = []string{"ops@example.com"}
	s := build(t, cfg)
	tpl := s.monitoring
	must(t, "security events metric filter on the gateway log group", func() {
		s.api.HasResourceProperties(jsii.String("AWS::Logs::MetricFilter"), obj{
			"FilterPattern":         `{ $.msg = "security event" }`,
			"MetricTransformations": []any{obj{"MetricName": "SecurityEvents", "MetricNamespace": "Portico/prod", "MetricValue": "1"}},
		})
	})
	must(t, "topic and subscription", func() {
		tpl.HasResourceProperties(jsii.String("AWS::SNS::Topic"), obj{"TopicName": "portico-prod-alarms"})
		tpl.HasResourceProperties(jsii.String("AWS::SNS::Subscription"), obj{"Protocol": "email", "Endpoint": "ops@example.com"})
	})
	must(t, "dashboard", func() {
		tpl.HasResourceProperties(jsii.String("AWS::CloudWatch::Dashboard"), obj{"DashboardName": "portico-prod"})
	})
	// One error-rate alarm per function, gateway p99 latency, table
	// throttles, gateway security events.
	must(t, "alarms", func() {
		tpl.ResourceCountIs(jsii.String("AWS::CloudWatch::Alarm"), jsii.Number(len(todayFunctions)+3))
		tpl.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), obj{
			"MetricName": "SecurityEvents", "Namespace": "Portico/prod", "Threshold": 1,
			"ComparisonOperator": "GreaterThanOrEqualToThreshold", "AlarmActions": []any{assertions.Match_AnyValue()},
		})
		tpl.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), obj{
			"ExtendedStatistic": "p99", "MetricName": "Latency", "Namespace": "AWS/ApiGateway", "Threshold": 1000,
			"AlarmActions": []any{assertions.Match_AnyValue()},
		})
		tpl.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), obj{
			"Threshold": 1,
			"Metrics":   assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{"Expression": "IF(invocations > 0, 100 * errors / invocations, 0)"})}),
		})
		tpl.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), obj{
			"Threshold": 0,
			"Metrics":   assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{"Expression": "FILL(r, 0) + FILL(w, 0) + FILL(gr, 0) + FILL(gw, 0)"})}),
		})
	})
}
