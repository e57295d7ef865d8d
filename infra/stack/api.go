package stack

import (
	"fmt"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53targets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// API is the compute stack: one Lambda per function, the gateway's public
// HTTP API, the management function's route on the console's HTTP API
// behind the Cognito JWT authorizer, and
// (when their functions exist) the tenant state machine role and the
// secret rotation schedule. It holds no data: it can be destroyed and
// redeployed freely.
type API struct {
	Stack     awscdk.Stack
	Functions map[string]awslambda.Function
	Gateway   awsapigatewayv2.HttpApi
	// Management is the console's HTTP API (Console.ManagementAPI, in the
	// Console stack); this stack adds its route to the management function.
	Management awsapigatewayv2.HttpApi
	// WorkflowRole is the role tenant state machines run with; nil until
	// functions/workflow-task exists.
	WorkflowRole awsiam.Role
}

// WorkflowPrefix is the name prefix of tenant state machines
// (portico-<env>-wf-<tenant>-<workflow>); the management function may only
// create and update state machines under it.
func (s Settings) WorkflowPrefix() string { return s.prefix() + "-wf-" }

func newAPI(scope constructs.Construct, id string, props *awscdk.StackProps, cfg Config, fns []Function, st *State, c *Console) *API {
	s := cfg.Settings
	a := &API{Stack: awscdk.NewStack(scope, jsii.String(id), props), Functions: map[string]awslambda.Function{}}
	region, account := *a.Stack.Region(), *a.Stack.Account()
	stateMachines := fmt.Sprintf("arn:%s:states:%s:%s:stateMachine:%s*", *a.Stack.Partition(), region, account, s.WorkflowPrefix())
	executions := fmt.Sprintf("arn:%s:states:%s:%s:execution:%s*", *a.Stack.Partition(), region, account, s.WorkflowPrefix())
	expressExecutions := fmt.Sprintf("arn:%s:states:%s:%s:express:%s*", *a.Stack.Partition(), region, account, s.WorkflowPrefix())

	for _, fn := range fns {
		env := map[string]*string{
			"PORTICO_MODE":      jsii.String("aws"),
			"PORTICO_LOG_LEVEL": jsii.String(s.LogLevel),
		}
		if fn.Table {
			env["PORTICO_STORE"] = jsii.String("dynamodb")
			env["PORTICO_TABLE"] = st.Table.TableName()
		}
		switch fn.Name {
		case FnGateway:
			if d := s.GatewayDomain(); d != "" {
				env["PORTICO_GATEWAY_DOMAIN"] = jsii.String(d)
			}
			// The OAuth2 signing key is derived from this secret, read at
			// cold start and every 5 minutes, never placed in the environment.
			env["PORTICO_OAUTH2_SEED_SECRET_ARN"] = st.OAuth2Seed.SecretArn()
			// EMF metric lines on stdout (the default in aws mode), in the
			// environment's namespace (gatewaymetrics.go).
			env["PORTICO_METRICS_NAMESPACE"] = jsii.String(GatewayMetricsNamespace(s))
		case FnWebhookDispatcher:
			// Delivery counters as EMF on stdout, beside the gateway's
			// (webhook.go, WebhookFailedMetric).
			env["PORTICO_METRICS_NAMESPACE"] = jsii.String(GatewayMetricsNamespace(s))
		case FnManagement:
			issuer := st.Users.UserPoolProviderUrl()
			env["PORTICO_CONSOLE_ISSUER"] = issuer
			env["PORTICO_CONSOLE_JWKS_URL"] = awscdk.Fn_Join(jsii.String(""), &[]*string{issuer, jsii.String("/.well-known/jwks.json")})
			env["PORTICO_CONSOLE_AUDIENCE"] = c.Client.UserPoolClientId()
			env["PORTICO_CONSOLE_CLAIM_PREFIX"] = jsii.String("custom:")
			// The cursor key is read from Secrets Manager at cold start,
			// never placed in the environment.
			env["PORTICO_CURSOR_KEY_SECRET_ARN"] = st.CursorKey.SecretArn()
		}
		a.Functions[fn.Name] = a.function(cfg, fn, env, st)
	}
	if m, ok := a.Functions[FnManagement]; ok {
		a.grantSecret(m.Role(), "CursorKey", st.CursorKey, st)
	}
	if g, ok := a.Functions[FnGateway]; ok {
		a.grantSecret(g.Role(), "OAuth2Seed", st.OAuth2Seed, st)
	}

	a.grantTable(fns, st)
	a.tenantSecrets(s, fns, st) // secrets.go
	a.gatewayAPI(s)
	a.managementAPI(c)

	if wt, ok := a.Functions[FnWorkflowTask]; ok {
		a.workflows(s, wt, stateMachines, executions, expressExecutions)
	}
	if kr, ok := a.Functions[FnKeyRotation]; ok {
		a.rotation(s, kr, st)
	}
	if wd, ok := a.Functions[FnWebhookDispatcher]; ok {
		a.webhooks(s, wd, st)
	}
	return a
}

// SecurityMetric counts the gateway's security events (metric filter on its
// log group); SecurityNamespace is its CloudWatch namespace.
const SecurityMetric = "SecurityEvents"

// SecurityNamespace is the namespace of Portico's log-derived metrics.
func SecurityNamespace(s Settings) string { return "Portico/" + s.Name }

// function builds one Lambda with its own role (logs to its own log group
// only) and log group with the environment's retention.
func (a *API) function(cfg Config, fn Function, env map[string]*string, st *State) awslambda.Function {
	s := cfg.Settings
	name := s.prefix() + "-" + fn.Name
	id := jsii.String(camel(fn.Name))
	logs := awslogs.NewLogGroup(a.Stack, jsii.String(camel(fn.Name)+"Logs"), &awslogs.LogGroupProps{
		LogGroupName:  jsii.String("/aws/lambda/" + name),
		Retention:     s.LogRetention,
		RemovalPolicy: s.removal(),
	})
	if fn.Name == FnGateway {
		// Detection events (failed-auth thresholds, tenant enumeration) are
		// logged as {"msg":"security event",...}; this filter turns them into
		// a metric the monitoring stack alarms on.
		awslogs.NewMetricFilter(a.Stack, jsii.String("SecurityEvents"), &awslogs.MetricFilterProps{
			LogGroup:        logs,
			FilterPattern:   awslogs.FilterPattern_StringValue(jsii.String("$.msg"), jsii.String("="), jsii.String("security event")),
			MetricNamespace: jsii.String(SecurityNamespace(s)),
			MetricName:      jsii.String(SecurityMetric),
			MetricValue:     jsii.String("1"),
		})
	}
	role := awsiam.NewRole(a.Stack, jsii.String(camel(fn.Name)+"Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("Portico " + s.Name + " " + fn.Name + " function"),
	})
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("OwnLogGroup"),
		Actions:   jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents"),
		Resources: &[]*string{logs.LogGroupArn()},
	}))
	tracing := awslambda.Tracing_DISABLED
	if s.Tracing {
		tracing = awslambda.Tracing_ACTIVE
	}
	props := &awslambda.FunctionProps{
		FunctionName:          jsii.String(name),
		Description:           jsii.String("Portico " + fn.Name + " (" + s.Name + ")"),
		Runtime:               awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:          awslambda.Architecture_ARM_64(),
		Handler:               jsii.String("bootstrap"),
		Code:                  awslambda.Code_FromAsset(jsii.String(filepath.Dir(cfg.bootstrap(fn.Name))), nil),
		MemorySize:            jsii.Number(s.MemoryMB),
		Timeout:               awscdk.Duration_Seconds(jsii.Number(s.TimeoutSec)),
		Environment:           &env,
		EnvironmentEncryption: st.Key,
		Role:                  role,
		LogGroup:              logs,
		Tracing:               tracing,
	}
	if n := s.ReservedConcurrency[fn.Name]; n > 0 {
		props.ReservedConcurrentExecutions = jsii.Number(n)
	}
	return awslambda.NewFunction(a.Stack, id, props)
}

// grantSecret lets role read secret (any version: the gateway reads
// AWSPREVIOUS too), and decrypt it with the environment key only through
// Secrets Manager. sid names the statements: <sid>Secret, <sid>Decrypt.
func (a *API) grantSecret(role awsiam.IRole, sid string, secret awssecretsmanager.Secret, st *State) {
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String(sid + "Secret"),
		Actions:   jsii.Strings("secretsmanager:GetSecretValue"),
		Resources: &[]*string{secret.SecretArn()},
	}))
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String(sid + "Decrypt"),
		Actions:   jsii.Strings("kms:Decrypt"),
		Resources: &[]*string{st.Key.KeyArn()},
		Conditions: &map[string]any{"StringEquals": map[string]any{
			"kms:ViaService": "secretsmanager." + *a.Stack.Region() + ".amazonaws.com",
		}},
	}))
}

// grantTable gives each table user GetItem and Query on the table and its
// index, writers PutItem/DeleteItem/ConditionCheckItem, and the KMS actions
// DynamoDB performs with the table key on their behalf (only via DynamoDB).
func (a *API) grantTable(fns []Function, st *State) {
	viaDynamo := &map[string]any{"StringEquals": map[string]any{
		"kms:ViaService": "dynamodb." + *a.Stack.Region() + ".amazonaws.com",
	}}
	for _, fn := range fns {
		if !fn.Table {
			continue
		}
		role := a.Functions[fn.Name].Role()
		actions := []string{"dynamodb:GetItem", "dynamodb:Query"}
		kms := []string{"kms:Decrypt", "kms:DescribeKey"}
		if fn.TableWrite {
			actions = append(actions, "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem")
			kms = append(kms, "kms:Encrypt", "kms:GenerateDataKey")
		}
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("Table"),
			Actions:   jsii.Strings(actions...),
			Resources: &[]*string{st.Table.TableArn(), awscdk.Fn_Join(jsii.String(""), &[]*string{st.Table.TableArn(), jsii.String("/index/" + indexGSI1)})},
		}))
		if fn.Name == FnGateway {
			// Runtime state the gateway writes: idempotency records, rate-limit
			// counters, cache entries (when those stores are DynamoDB) and
			// workflow execution records, each in partitions of its own. The
			// leading-keys condition keeps configuration (TENANT#) read-only.
			role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("RuntimePartitions"),
				Actions:   jsii.Strings("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem"),
				Resources: &[]*string{st.Table.TableArn()},
				Conditions: &map[string]any{"ForAllValues:StringLike": map[string]any{
					"dynamodb:LeadingKeys": []string{"IDEM#*", "RL#*", "CACHE#*", "WFXREC#*"},
				}},
			}))
			kms = append(kms, "kms:Encrypt", "kms:GenerateDataKey")
		}
		if fn.Name == FnManagement {
			// Cache purges delete L2 entries 25 at a time.
			role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("CachePurge"),
				Actions:   jsii.Strings("dynamodb:BatchWriteItem"),
				Resources: &[]*string{st.Table.TableArn()},
				Conditions: &map[string]any{"ForAllValues:StringLike": map[string]any{
					"dynamodb:LeadingKeys": []string{"CACHE#*"},
				}},
			}))
		}
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("TableKey"),
			Actions:    jsii.Strings(kms...),
			Resources:  &[]*string{st.Key.KeyArn()},
			Conditions: viaDynamo,
		}))
	}
}

// gatewayAPI is the public data plane: every method and path of every host
// goes to the gateway function on the $default stage (a named stage would
// prefix the path the gateway routes on).
func (a *API) gatewayAPI(s Settings) {
	fn := a.Functions[FnGateway]
	if fn == nil {
		return
	}
	props := &awsapigatewayv2.HttpApiProps{
		ApiName:            jsii.String(s.prefix() + "-gateway"),
		Description:        jsii.String("Portico " + s.Name + " public gateway ({tenant}.api.<domain> or /t/{tenant})"),
		CreateDefaultStage: jsii.Bool(false),
		DefaultIntegration: awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String("Gateway"), fn, &awsapigatewayv2integrations.HttpLambdaIntegrationProps{
			PayloadFormatVersion: awsapigatewayv2.PayloadFormatVersion_VERSION_2_0(),
		}),
	}
	a.Gateway = awsapigatewayv2.NewHttpApi(a.Stack, jsii.String("GatewayApi"), props)
	stage := &awsapigatewayv2.HttpStageProps{
		HttpApi:    a.Gateway,
		StageName:  jsii.String("$default"),
		AutoDeploy: jsii.Bool(true),
		Throttle:   &awsapigatewayv2.ThrottleSettings{RateLimit: jsii.Number(s.ThrottleRate), BurstLimit: jsii.Number(s.ThrottleBurst)},
	}
	if s.Domain != "" {
		wildcard := "*." + s.GatewayDomain()
		var cert awscertificatemanager.ICertificate
		var zone awsroute53.IHostedZone
		if s.HostedZoneID != "" {
			zone = awsroute53.HostedZone_FromHostedZoneAttributes(a.Stack, jsii.String("Zone"), &awsroute53.HostedZoneAttributes{
				HostedZoneId: jsii.String(s.HostedZoneID), ZoneName: jsii.String(s.HostedZoneName),
			})
		}
		if s.CertificateArn != "" {
			cert = awscertificatemanager.Certificate_FromCertificateArn(a.Stack, jsii.String("GatewayCertificate"), jsii.String(s.CertificateArn))
		} else {
			cert = awscertificatemanager.NewCertificate(a.Stack, jsii.String("GatewayCertificate"), &awscertificatemanager.CertificateProps{
				DomainName: jsii.String(wildcard),
				Validation: awscertificatemanager.CertificateValidation_FromDns(zone),
			})
		}
		dn := awsapigatewayv2.NewDomainName(a.Stack, jsii.String("GatewayDomain"), &awsapigatewayv2.DomainNameProps{
			DomainName:     jsii.String(wildcard),
			Certificate:    cert,
			SecurityPolicy: awsapigatewayv2.SecurityPolicy_TLS_1_2,
		})
		stage.DomainMapping = &awsapigatewayv2.DomainMappingOptions{DomainName: dn}
		if zone != nil {
			awsroute53.NewARecord(a.Stack, jsii.String("GatewayAlias"), &awsroute53.ARecordProps{
				Zone:       zone,
				RecordName: jsii.String(wildcard),
				Target: awsroute53.RecordTarget_FromAlias(awsroute53targets.NewApiGatewayv2DomainProperties(
					dn.RegionalDomainName(), dn.RegionalHostedZoneId())),
			})
		}
		awscdk.NewCfnOutput(a.Stack, jsii.String("GatewayDomainTarget"), &awscdk.CfnOutputProps{
			Value:       dn.RegionalDomainName(),
			Description: jsii.String("CNAME/alias target for " + wildcard),
		})
	}
	awsapigatewayv2.NewHttpStage(a.Stack, jsii.String("GatewayStage"), stage)
	awscdk.NewCfnOutput(a.Stack, jsii.String("GatewayUrl"), &awscdk.CfnOutputProps{Value: a.Gateway.ApiEndpoint()})
}

// managementAPI attaches the management function to the console's HTTP API
// (created in the Console stack, see Console) on the $default route, behind
// the JWT authorizer that accepts ID tokens of the console's app client only
// (the function verifies the token again, with its tenant and role claims).
// The route, integration and invoke permission are in this stack.
func (a *API) managementAPI(c *Console) {
	fn := a.Functions[FnManagement]
	if fn == nil || c.ManagementAPI == nil {
		return
	}
	a.Management = c.ManagementAPI
	awsapigatewayv2.NewHttpRoute(a.Stack, jsii.String("ManagementRoute"), &awsapigatewayv2.HttpRouteProps{
		HttpApi:  c.ManagementAPI,
		RouteKey: awsapigatewayv2.HttpRouteKey_DEFAULT(),
		Integration: awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String("Management"), fn, &awsapigatewayv2integrations.HttpLambdaIntegrationProps{
			PayloadFormatVersion: awsapigatewayv2.PayloadFormatVersion_VERSION_2_0(),
		}),
		Authorizer: c.Authorizer,
	})
}

// workflows creates the role tenant state machines run with (it may invoke
// workflow-task and nothing else) and lets management create and update
// state machines under the environment's name prefix with that role, and
// the gateway start their executions.
func (a *API) workflows(s Settings, wt awslambda.Function, stateMachines, executions, expressExecutions string) {
	a.WorkflowRole = awsiam.NewRole(a.Stack, jsii.String("TenantWorkflowRole"), &awsiam.RoleProps{
		RoleName: jsii.String(s.prefix() + "-tenant-workflows"),
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("states.amazonaws.com"), nil).WithConditions(&map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": *a.Stack.Account()},
			"ArnLike":      map[string]any{"aws:SourceArn": stateMachines},
		}),
		Description: jsii.String("Portico " + s.Name + " tenant state machines: invoke workflow-task only"),
	})
	a.WorkflowRole.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("InvokeWorkflowTask"),
		Actions:   jsii.Strings("lambda:InvokeFunction"),
		Resources: &[]*string{wt.FunctionArn(), awscdk.Fn_Join(jsii.String(""), &[]*string{wt.FunctionArn(), jsii.String(":*")})},
	}))
	for _, fn := range []string{FnManagement, FnGateway} {
		if f := a.Functions[fn]; f != nil {
			// Proposed names; the workflow code must adopt them (see docs/deploy.md).
			f.AddEnvironment(jsii.String("PORTICO_WORKFLOW_PREFIX"), jsii.String(s.WorkflowPrefix()), nil)
			// The gateway needs the role ARN only as a string (the Step
			// Functions adapter is built with it); only management may pass it.
			f.AddEnvironment(jsii.String("PORTICO_WORKFLOW_ROLE_ARN"), a.WorkflowRole.RoleArn(), nil)
			if fn == FnManagement {
				f.AddEnvironment(jsii.String("PORTICO_WORKFLOW_TASK_ARN"), wt.FunctionArn(), nil)
			}
		}
	}
	if m := a.Functions[FnManagement]; m != nil {
		m.Role().AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid: jsii.String("TenantStateMachines"),
			Actions: jsii.Strings("states:CreateStateMachine", "states:UpdateStateMachine", "states:DeleteStateMachine",
				"states:DescribeStateMachine", "states:TagResource"),
			Resources: jsii.Strings(stateMachines),
		}))
		// Console test runs of a published workflow.
		m.Role().AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("TestRunTenantWorkflows"),
			Actions:   jsii.Strings("states:StartExecution", "states:StartSyncExecution"),
			Resources: jsii.Strings(stateMachines),
		}))
		m.Role().AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("PassTenantWorkflowRole"),
			Actions:    jsii.Strings("iam:PassRole"),
			Resources:  &[]*string{a.WorkflowRole.RoleArn()},
			Conditions: &map[string]any{"StringEquals": map[string]any{"iam:PassedToService": "states.amazonaws.com"}},
		}))
		// The console's execution view: a standard execution's end and history.
		m.Role().AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("ReadTenantWorkflowHistory"),
			Actions:   jsii.Strings("states:DescribeExecution", "states:GetExecutionHistory"),
			Resources: jsii.Strings(executions),
		}))
		// The console's redrive of a failed standard execution (same ARN).
		m.Role().AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("RedriveTenantWorkflows"),
			Actions:   jsii.Strings("states:RedriveExecution"),
			Resources: jsii.Strings(executions),
		}))
	}
	if g := a.Functions[FnGateway]; g != nil {
		g.Role().AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("StartTenantWorkflows"),
			Actions:   jsii.Strings("states:StartExecution", "states:StartSyncExecution"),
			Resources: jsii.Strings(stateMachines),
		}))
		g.Role().AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("ReadTenantWorkflowExecutions"),
			Actions:   jsii.Strings("states:DescribeExecution"),
			Resources: jsii.Strings(executions, expressExecutions),
		}))
	}
	awscdk.NewCfnOutput(a.Stack, jsii.String("TenantWorkflowRoleArn"), &awscdk.CfnOutputProps{Value: a.WorkflowRole.RoleArn()})
}

// rotation lets Secrets Manager invoke key-rotation, gives it the four-step
// contract's actions on the environment's platform secrets, and schedules
// rotation of the platform-managed cursor key and OAuth2 seed.
func (a *API) rotation(s Settings, kr awslambda.Function, st *State) {
	kr.AddPermission(jsii.String("SecretsManagerInvoke"), &awslambda.Permission{
		Principal:     awsiam.NewServicePrincipal(jsii.String("secretsmanager.amazonaws.com"), nil),
		Action:        jsii.String("lambda:InvokeFunction"),
		SourceAccount: a.Stack.Account(),
	})
	role := kr.Role()
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("RotatePlatformSecrets"),
		Actions: jsii.Strings("secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue",
			"secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage"),
		// The two platform secrets only: a prefix (portico/<env>/*) would
		// also cover tenant secrets (portico/<env>/tenants/*, secrets.go).
		Resources: &[]*string{st.CursorKey.SecretArn(), st.OAuth2Seed.SecretArn()},
	}))
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("RandomPassword"),
		Actions:   jsii.Strings("secretsmanager:GetRandomPassword"),
		Resources: jsii.Strings("*"), // GetRandomPassword has no resource: AWS requires "*"
	}))
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("SecretKey"),
		Actions:   jsii.Strings("kms:Decrypt", "kms:GenerateDataKey"),
		Resources: &[]*string{st.Key.KeyArn()},
		Conditions: &map[string]any{"StringEquals": map[string]any{
			"kms:ViaService": "secretsmanager." + *a.Stack.Region() + ".amazonaws.com",
		}},
	}))
	for _, r := range []struct {
		id     string
		secret awssecretsmanager.Secret
	}{{"CursorKeyRotation", st.CursorKey}, {"OAuth2SeedRotation", st.OAuth2Seed}} {
		awssecretsmanager.NewCfnRotationSchedule(a.Stack, jsii.String(r.id), &awssecretsmanager.CfnRotationScheduleProps{
			SecretId:          r.secret.SecretArn(),
			RotationLambdaArn: kr.FunctionArn(),
			RotationRules: &awssecretsmanager.CfnRotationSchedule_RotationRulesProperty{
				ScheduleExpression: jsii.String(fmt.Sprintf("rate(%d days)", int(s.SecretRotationDays))),
			},
		})
	}
}

// camel turns a function name into a construct id: key-rotation -> KeyRotation.
func camel(name string) string {
	out := make([]byte, 0, len(name))
	up := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c == '-' || c == '_' {
			up = true
			continue
		}
		if up && c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		up = false
		out = append(out, c)
	}
	return string(out)
}
