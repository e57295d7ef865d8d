package stack

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// TestEveryFunctionDeployed mirrors the repository's functions/ directories
// (those with a main.go) and checks each becomes a Lambda function.
func TestEveryFunctionDeployed(t *testing.T) {
	entries, err := os.ReadDir("../../functions")
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join("../../functions", e.Name(), "main.go")); e.IsDir() && err == nil {
			dirs = append(dirs, e.Name())
		}
	}
	if len(dirs) == 0 {
		t.Fatal("no function directories found under ../../functions")
	}
	s := build(t, config(t, "dev", fakeRoot(t, false, dirs...)))
	var deployed []string
	for _, r := range resources(s.api, "AWS::Lambda::Function") {
		deployed = append(deployed, strings.TrimPrefix(props(r)["FunctionName"].(string), "portico-dev-"))
	}
	sort.Strings(deployed)
	if strings.Join(deployed, ",") != strings.Join(dirs, ",") {
		t.Errorf("deployed functions %v, want one per functions/ directory %v", deployed, dirs)
	}
}

func TestApiStack(t *testing.T) {
	s := build(t, config(t, "dev", fakeRoot(t, false, todayFunctions...)))
	tpl := s.api
	for _, fn := range todayFunctions {
		must(t, fn+" function", func() {
			tpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), obj{
				"FunctionName":  "portico-dev-" + fn,
				"Runtime":       "provided.al2023",
				"Architectures": []any{"arm64"},
				"Handler":       "bootstrap",
				"KmsKeyArn":     assertions.Match_AnyValue(),
				"LoggingConfig": obj{"LogGroup": assertions.Match_AnyValue()},
				"Environment": obj{"Variables": assertions.Match_ObjectLike(&map[string]any{
					"PORTICO_MODE":       "aws",
					"PORTICO_STORE":      "dynamodb",
					"PORTICO_TABLE":      assertions.Match_AnyValue(),
					"PORTICO_CURSOR_KEY": assertions.Match_Absent(),
				})},
			})
		})
		must(t, fn+" log group", func() {
			tpl.HasResourceProperties(jsii.String("AWS::Logs::LogGroup"), obj{"LogGroupName": "/aws/lambda/portico-dev-" + fn, "RetentionInDays": 7})
		})
	}
	must(t, "management reads the cursor key from Secrets Manager at cold start", func() {
		tpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), obj{
			"FunctionName": "portico-dev-management",
			"Environment":  obj{"Variables": assertions.Match_ObjectLike(&map[string]any{"PORTICO_CURSOR_KEY_SECRET_ARN": assertions.Match_AnyValue()})},
		})
		tpl.HasResourceProperties(jsii.String("AWS::IAM::Policy"), obj{
			"PolicyDocument": obj{"Statement": assertions.Match_ArrayWith(&[]any{
				assertions.Match_ObjectLike(&map[string]any{"Sid": "CursorKeySecret", "Action": "secretsmanager:GetSecretValue"}),
			})},
		})
	})
	must(t, "only the gateway reads the oauth2 seed, from Secrets Manager", func() {
		tpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), obj{
			"FunctionName": "portico-dev-gateway",
			"Environment":  obj{"Variables": assertions.Match_ObjectLike(&map[string]any{"PORTICO_OAUTH2_SEED_SECRET_ARN": assertions.Match_AnyValue()})},
		})
		for _, fn := range todayFunctions {
			if fn != "gateway" {
				tpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), obj{
					"FunctionName": "portico-dev-" + fn,
					"Environment":  obj{"Variables": obj{"PORTICO_OAUTH2_SEED_SECRET_ARN": assertions.Match_Absent()}},
				})
			}
		}
		var grants []string
		for id, r := range resources(tpl, "AWS::IAM::Policy") {
			doc, _ := props(r)["PolicyDocument"].(map[string]any)
			stmts, _ := doc["Statement"].([]any)
			for _, x := range stmts {
				st, _ := x.(map[string]any)
				switch st["Sid"] {
				case "OAuth2SeedSecret":
					if st["Action"] != "secretsmanager:GetSecretValue" || strings.Contains(fmt.Sprint(st["Resource"]), "*") {
						t.Errorf("%s: %v", id, st)
					}
					grants = append(grants, id)
				case "OAuth2SeedDecrypt":
					cond := fmt.Sprint(st["Condition"])
					if st["Action"] != "kms:Decrypt" || !strings.Contains(cond, "kms:ViaService") || !strings.Contains(cond, "secretsmanager.") {
						t.Errorf("%s: %v", id, st)
					}
				}
			}
		}
		if len(grants) != 1 || !strings.HasPrefix(grants[0], "GatewayRole") {
			t.Errorf("OAuth2SeedSecret granted in %v, want the gateway role's policy only", grants)
		}
	})
	must(t, "gateway has no custom domain by default", func() {
		tpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), obj{
			"FunctionName": "portico-dev-gateway",
			"Environment":  obj{"Variables": obj{"PORTICO_GATEWAY_DOMAIN": assertions.Match_Absent()}},
		})
	})
	must(t, "management points at Cognito", func() {
		tpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), obj{
			"FunctionName": "portico-dev-management",
			"Environment": obj{"Variables": assertions.Match_ObjectLike(&map[string]any{
				"PORTICO_CONSOLE_ISSUER":       assertions.Match_AnyValue(),
				"PORTICO_CONSOLE_JWKS_URL":     obj{"Fn::Join": []any{"", assertions.Match_ArrayWith(&[]any{"/.well-known/jwks.json"})}},
				"PORTICO_CONSOLE_AUDIENCE":     assertions.Match_AnyValue(),
				"PORTICO_CONSOLE_CLAIM_PREFIX": "custom:",
			})},
		})
	})
	must(t, "the gateway's HTTP API here, the management API's in the Console stack", func() {
		tpl.ResourceCountIs(jsii.String("AWS::ApiGatewayV2::Api"), jsii.Number(1))
		tpl.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Api"), obj{"Name": "portico-dev-gateway", "ProtocolType": "HTTP"})
		s.console.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Api"), obj{"Name": "portico-dev-management", "ProtocolType": "HTTP"})
	})
	must(t, "catch-all routes; management's on the Console stack's API behind its authorizer", func() {
		tpl.ResourceCountIs(jsii.String("AWS::ApiGatewayV2::Route"), jsii.Number(2))
		tpl.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Route"), obj{"RouteKey": "$default", "AuthorizationType": "NONE"})
		tpl.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Route"), obj{
			"RouteKey": "$default", "AuthorizationType": "JWT",
			"ApiId":        obj{"Fn::ImportValue": assertions.Match_StringLikeRegexp(jsii.String(`^Portico-dev-Console:.*ManagementApi`))},
			"AuthorizerId": obj{"Fn::ImportValue": assertions.Match_StringLikeRegexp(jsii.String(`^Portico-dev-Console:.*ManagementApiConsole`))},
		})
	})
	must(t, "management's audience is the Console stack's sign-in client", func() {
		tpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), obj{
			"FunctionName": "portico-dev-management",
			"Environment": obj{"Variables": assertions.Match_ObjectLike(&map[string]any{
				"PORTICO_CONSOLE_AUDIENCE": obj{"Fn::ImportValue": assertions.Match_StringLikeRegexp(jsii.String(`^Portico-dev-Console:ExportsOutputRefSignInClient`))},
			})},
		})
	})
	must(t, "payload 2.0 Lambda proxy integrations", func() {
		tpl.ResourceCountIs(jsii.String("AWS::ApiGatewayV2::Integration"), jsii.Number(2))
		tpl.AllResourcesProperties(jsii.String("AWS::ApiGatewayV2::Integration"), obj{"IntegrationType": "AWS_PROXY", "PayloadFormatVersion": "2.0"})
	})
	must(t, "$default stages with throttling", func() {
		for _, tpl := range []assertions.Template{tpl, s.console} {
			tpl.AllResourcesProperties(jsii.String("AWS::ApiGatewayV2::Stage"), obj{"StageName": "$default", "AutoDeploy": true})
		}
		tpl.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Stage"), obj{
			"DefaultRouteSettings": obj{"ThrottlingRateLimit": 100, "ThrottlingBurstLimit": 200},
		})
		s.console.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Stage"), obj{
			"ApiId":                obj{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^ManagementApi"))},
			"DefaultRouteSettings": obj{"ThrottlingRateLimit": 50, "ThrottlingBurstLimit": 100},
		})
	})
	must(t, "no workflow or rotation resources before their functions exist", func() {
		tpl.ResourceCountIs(jsii.String("AWS::SecretsManager::RotationSchedule"), jsii.Number(0))
		tpl.ResourcePropertiesCountIs(jsii.String("AWS::IAM::Role"), obj{"RoleName": "portico-dev-tenant-workflows"}, jsii.Number(0))
	})
}

func TestGatewayCustomDomain(t *testing.T) {
	cfg := config(t, "prod", fakeRoot(t, false, todayFunctions...))
	cfg.Settings.Domain = "example.com"
	cfg.Settings.HostedZoneID = "Z123456ABCDEFG"
	cfg.Settings.HostedZoneName = "example.com"
	cfg.Settings.ReservedConcurrency = map[string]float64{FnManagement: 10}
	s := build(t, cfg)
	tpl := s.api
	must(t, "wildcard domain", func() {
		tpl.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::DomainName"), obj{
			"DomainName": "*.api.example.com",
			"DomainNameConfigurations": []any{obj{
				"CertificateArn": assertions.Match_AnyValue(), "EndpointType": "REGIONAL", "SecurityPolicy": "TLS_1_2",
			}},
		})
		tpl.HasResourceProperties(jsii.String("AWS::CertificateManager::Certificate"), obj{"DomainName": "*.api.example.com", "ValidationMethod": "DNS"})
		tpl.ResourceCountIs(jsii.String("AWS::ApiGatewayV2::ApiMapping"), jsii.Number(1))
		tpl.HasResourceProperties(jsii.String("AWS::Route53::RecordSet"), obj{"Name": "*.api.example.com.", "Type": "A", "HostedZoneId": "Z123456ABCDEFG"})
	})
	must(t, "gateway host routing", func() {
		tpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), obj{
			"FunctionName": "portico-prod-gateway",
			"Environment":  obj{"Variables": assertions.Match_ObjectLike(&map[string]any{"PORTICO_GATEWAY_DOMAIN": "api.example.com"})},
		})
	})
	must(t, "reserved concurrency", func() {
		tpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), obj{"FunctionName": "portico-prod-management", "ReservedConcurrentExecutions": 10})
		tpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), obj{"FunctionName": "portico-prod-gateway", "ReservedConcurrentExecutions": assertions.Match_Absent()})
	})
	must(t, "prod throttling", func() {
		tpl.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Stage"), obj{
			"DefaultRouteSettings": obj{"ThrottlingRateLimit": 5000, "ThrottlingBurstLimit": 10000},
		})
	})
}

// TestLaterFunctions deploys the functions later issues add, as they will
// be once their main packages exist.
func TestLaterFunctions(t *testing.T) {
	s := build(t, config(t, "staging", fakeRoot(t, false, allFunctions...)))
	tpl := s.api
	must(t, "tenant workflow role", func() {
		tpl.HasResourceProperties(jsii.String("AWS::IAM::Role"), obj{
			"RoleName": "portico-staging-tenant-workflows",
			"AssumeRolePolicyDocument": obj{"Statement": []any{obj{
				"Action":    "sts:AssumeRole",
				"Effect":    "Allow",
				"Principal": obj{"Service": "states.amazonaws.com"},
				"Condition": obj{
					"StringEquals": obj{"aws:SourceAccount": "123456789012"},
					"ArnLike":      obj{"aws:SourceArn": arnEndingWith(":stateMachine:portico-staging-wf-*")},
				},
			}}},
		})
	})
	statements := func(sid string) []map[string]any {
		var out []map[string]any
		for _, st := range policyStatements(tpl) {
			if st.stmt["Sid"] == sid {
				out = append(out, st.stmt)
			}
		}
		return out
	}
	if got := statements("InvokeWorkflowTask"); len(got) != 1 || got[0]["Action"] != "lambda:InvokeFunction" {
		t.Errorf("InvokeWorkflowTask statements: %v", got)
	}
	if got := statements("TenantStateMachines"); len(got) != 1 || !strings.HasSuffix(fmt.Sprint(got[0]["Resource"]), ":states:eu-west-1:123456789012:stateMachine:portico-staging-wf-*]]]") {
		t.Errorf("TenantStateMachines statements: %v", got)
	}
	if got := statements("PassTenantWorkflowRole"); len(got) != 1 || got[0]["Condition"] == nil {
		t.Errorf("PassTenantWorkflowRole statements: %v", got)
	}
	if got := statements("StartTenantWorkflows"); len(got) != 1 {
		t.Errorf("StartTenantWorkflows statements: %v", got)
	}
	if got := statements("TestRunTenantWorkflows"); len(got) != 1 {
		t.Errorf("TestRunTenantWorkflows statements: %v", got)
	}
	if got := statements("RuntimePartitions"); len(got) != 1 || !strings.Contains(fmt.Sprint(got[0]["Condition"]), "WFXREC#*") || strings.Contains(fmt.Sprint(got[0]["Condition"]), "TENANT#") {
		t.Errorf("RuntimePartitions statements: %v", got)
	}
	if got := statements("ReadTenantWorkflowHistory"); len(got) != 1 || !strings.HasSuffix(fmt.Sprint(got[0]["Resource"]), ":execution:portico-staging-wf-*]]]") {
		t.Errorf("ReadTenantWorkflowHistory statements: %v", got)
	}
	if got := statements("RedriveTenantWorkflows"); len(got) != 1 || got[0]["Action"] != "states:RedriveExecution" ||
		!strings.HasSuffix(fmt.Sprint(got[0]["Resource"]), ":execution:portico-staging-wf-*]]]") {
		t.Errorf("RedriveTenantWorkflows statements: %v", got)
	}
	must(t, "workflow-task reads the table; gateway knows the workflow role", func() {
		tpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), obj{
			"FunctionName": "portico-staging-workflow-task",
			"Environment":  obj{"Variables": assertions.Match_ObjectLike(&map[string]any{"PORTICO_MODE": "aws", "PORTICO_STORE": "dynamodb", "PORTICO_TABLE": assertions.Match_AnyValue()})},
		})
		tpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), obj{
			"FunctionName": "portico-staging-gateway",
			"Environment":  obj{"Variables": assertions.Match_ObjectLike(&map[string]any{"PORTICO_WORKFLOW_ROLE_ARN": assertions.Match_AnyValue()})},
		})
	})
	must(t, "rotation", func() {
		tpl.ResourceCountIs(jsii.String("AWS::SecretsManager::RotationSchedule"), jsii.Number(2)) // cursor key, oauth2 seed
		tpl.AllResourcesProperties(jsii.String("AWS::SecretsManager::RotationSchedule"), obj{
			"RotationLambdaARN": assertions.Match_AnyValue(),
			"RotationRules":     obj{"ScheduleExpression": "rate(30 days)"},
		})
		tpl.HasResourceProperties(jsii.String("AWS::Lambda::Permission"), obj{
			"Action": "lambda:InvokeFunction", "Principal": "secretsmanager.amazonaws.com", "SourceAccount": "123456789012",
		})
	})
	must(t, "workflow names handed to management", func() {
		tpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), obj{
			"FunctionName": "portico-staging-management",
			"Environment": obj{"Variables": assertions.Match_ObjectLike(&map[string]any{
				"PORTICO_WORKFLOW_PREFIX":   "portico-staging-wf-",
				"PORTICO_WORKFLOW_ROLE_ARN": assertions.Match_AnyValue(),
				"PORTICO_WORKFLOW_TASK_ARN": assertions.Match_AnyValue(),
			})},
		})
	})
	must(t, "key-rotation does not touch the table", func() {
		tpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), obj{
			"FunctionName": "portico-staging-key-rotation",
			"Environment":  obj{"Variables": obj{"PORTICO_TABLE": assertions.Match_Absent()}},
		})
	})
}

// arnEndingWith matches an ARN built with Fn::Join (the partition is a
// pseudo parameter) whose last literal part ends with suffix.
func arnEndingWith(suffix string) any {
	return obj{"Fn::Join": []any{"", assertions.Match_ArrayWith(&[]any{
		assertions.Match_StringLikeRegexp(jsii.String(regexp.QuoteMeta(suffix) + "$")),
	})}}
}
