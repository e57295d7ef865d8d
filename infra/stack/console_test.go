package stack

import (
	"encoding/json"
	"os"
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

// TestConsoleSignIn checks the hosted UI sign-in: the app client (code grant
// only, public, callback and logout URLs on the console's hosts), the
// management API's authorizer on that client, and config.json.
func TestConsoleSignIn(t *testing.T) {
	root := fakeRoot(t, true, todayFunctions...)
	onDistribution := func(path string) any {
		return obj{"Fn::Join": []any{"", []any{"https://", obj{"Fn::GetAtt": []any{assertions.Match_StringLikeRegexp(jsii.String("^Distribution")), "DomainName"}}, path}}}
	}
	t.Run("on the distribution's domain", func(t *testing.T) {
		s := build(t, config(t, "dev", root))
		clients := resources(s.console, "AWS::Cognito::UserPoolClient")
		if len(clients) != 1 {
			t.Fatalf("%d app clients in the Console stack, want 1", len(clients))
		}
		var clientID string
		for id := range clients {
			clientID = id
		}
		must(t, "code grant only, public client, standard scopes", func() {
			s.console.HasResourceProperties(jsii.String("AWS::Cognito::UserPoolClient"), obj{
				"ClientName":                      "portico-dev-console",
				"UserPoolId":                      obj{"Fn::ImportValue": assertions.Match_StringLikeRegexp(jsii.String(`^Portico-dev-State:ExportsOutputRefUsers`))},
				"GenerateSecret":                  false,
				"AllowedOAuthFlows":               []any{"code"},
				"AllowedOAuthFlowsUserPoolClient": true,
				"AllowedOAuthScopes":              []any{"openid", "email", "profile"},
				"SupportedIdentityProviders":      []any{"COGNITO"},
				"PreventUserExistenceErrors":      "ENABLED",
				"EnableTokenRevocation":           true,
				"IdTokenValidity":                 60,
				"AccessTokenValidity":             60,
				"TokenValidityUnits":              obj{"IdToken": "minutes", "AccessToken": "minutes", "RefreshToken": "minutes"},
				"ReadAttributes":                  assertions.Match_ArrayWith(&[]any{"custom:role", "custom:tenant"}),
				"WriteAttributes":                 []any{"email"},
			})
		})
		must(t, "callback and logout URLs on the distribution", func() {
			s.console.HasResourceProperties(jsii.String("AWS::Cognito::UserPoolClient"), obj{
				"CallbackURLs": []any{onDistribution("/console/auth/callback")},
				"LogoutURLs":   []any{onDistribution("/console/signin")},
			})
		})
		must(t, "the management API's JWT authorizer accepts this client only", func() {
			s.console.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Authorizer"), obj{
				"ApiId":          obj{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^ManagementApi"))},
				"AuthorizerType": "JWT",
				"IdentitySource": []any{"$request.header.Authorization"},
				"JwtConfiguration": obj{
					"Audience": []any{obj{"Ref": clientID}},
					"Issuer":   obj{"Fn::Join": []any{"", assertions.Match_ArrayWith(&[]any{assertions.Match_StringLikeRegexp(jsii.String(`^https://cognito-idp\.eu-west-1\.`))})}},
				},
			})
		})

		// config.json: each value resolves to the right resource, and the
		// deployment carries those tokens (its source markers).
		resolved, _ := json.Marshal(s.p.Console.Stack.Resolve(s.p.Console.RuntimeConfig))
		var cfg map[string]any
		if err := json.Unmarshal(resolved, &cfg); err != nil {
			t.Fatal(err)
		}
		js := func(v any) string { b, _ := json.Marshal(v); return string(b) }
		for key, want := range map[string]string{
			"clientId":   `{"Ref":"` + clientID + `"}`,
			"userPoolId": `"Portico-dev-State:ExportsOutputRefUsers`,
			"issuer":     `"https://cognito-idp.eu-west-1.amazonaws.com/",{"Fn::ImportValue":"Portico-dev-State:ExportsOutputRefUsers`,
			"domain":     `"https://",{"Fn::ImportValue":"Portico-dev-State:ExportsOutputRefHostedUi`,
			"scopes":     `["openid","email","profile"]`,
			"apiBase":    `"/admin/v1"`,
			"region":     `"eu-west-1"`,
		} {
			if got := js(cfg[key]); !strings.Contains(got, want) {
				t.Errorf("config.json %s = %s, want %s", key, got, want)
			}
		}
		markers, _ := json.Marshal(s.console.FindResources(jsii.String("Custom::CDKBucketDeployment"), nil))
		for _, want := range []string{`{"Ref":"` + clientID + `"}`, "ExportsOutputRefHostedUi", "ExportsOutputRefUsers"} {
			if !strings.Contains(string(markers), want) {
				t.Errorf("the deployment's source markers lack %s: config.json would not name it", want)
			}
		}
	})
	t.Run("on the console domain", func(t *testing.T) {
		cfg := config(t, "prod", root)
		cfg.Settings.ConsoleDomain = "console.example.com"
		cfg.Settings.ConsoleCertificateArn = "arn:aws:acm:us-east-1:123456789012:certificate/console"
		s := build(t, cfg)
		must(t, "the console domain first, the distribution's own domain too", func() {
			s.console.HasResourceProperties(jsii.String("AWS::Cognito::UserPoolClient"), obj{
				"CallbackURLs": []any{
					"https://console.example.com/console/auth/callback",
					onDistribution("/console/auth/callback"),
				},
				"LogoutURLs": assertions.Match_ArrayWith(&[]any{"https://console.example.com/console/signin"}),
			})
		})
		must(t, "console URL output", func() {
			s.console.HasOutput(jsii.String("ConsoleUrl"), obj{"Value": "https://console.example.com/console/"})
		})
	})
}

// TestConsoleRoutesMatchFrontend keeps the client's callback and logout
// paths in step with the console: built with base /console/, routes
// /auth/callback and /signin (frontend/src/App.tsx, auth/oidc.ts).
func TestConsoleRoutesMatchFrontend(t *testing.T) {
	for file, want := range map[string][]string{
		"../../frontend/vite.config.ts":   {"base: '" + consolePath + "'"},
		"../../frontend/src/App.tsx":      {"path: '/auth/callback'", "path: '/signin'"},
		"../../frontend/src/auth/oidc.ts": {"BASE_URL}auth/callback`", "BASE_URL}signin`"},
	} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if !strings.Contains(string(b), w) {
				t.Errorf("%s no longer has %s: update the client's URLs in console.go", file, w)
			}
		}
	}
}
