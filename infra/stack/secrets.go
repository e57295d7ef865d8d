package stack

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"
)

// TenantSecretsPrefix is the Secrets Manager name prefix of an
// environment's tenant secrets (internal/secrets/awssm):
// portico/<env>/tenants/<tenant>/<name>.
func (s Settings) TenantSecretsPrefix() string { return "portico/" + s.Name + "/tenants/" }

// WebhookPreviousSecretPrefix starts the internal secret name of a
// webhook subscription's previous signing secret
// (secrets.Internal("webhook-previous", id) in internal/catalog).
const WebhookPreviousSecretPrefix = ".webhook-previous."

// tenantSecretReaders read tenant secrets at call time: upstream
// credentials (gateway, workflow steps) and webhook signing secrets (the
// dispatcher). The management function writes them, and reads them for
// the test-connection action and to tell whether an introspection secret
// is stored.
var tenantSecretReaders = []string{FnGateway, FnWorkflowTask, FnWebhookDispatcher}

// tenantSecrets points every function that opens the catalog at the
// Secrets Manager adapter (PORTICO_SECRETS_PREFIX, new secrets encrypted
// with the environment key) and grants, on the prefix only: readers
// GetSecretValue, management Create/Put/Describe/Delete/Tag and
// GetSecretValue; the key only through Secrets Manager (docs/secrets.md).
func (a *API) tenantSecrets(s Settings, fns []Function, st *State) {
	arn := fmt.Sprintf("arn:%s:secretsmanager:%s:%s:secret:%s*", *a.Stack.Partition(), *a.Stack.Region(), *a.Stack.Account(), s.TenantSecretsPrefix())
	viaSM := &map[string]any{"StringEquals": map[string]any{
		"kms:ViaService": "secretsmanager." + *a.Stack.Region() + ".amazonaws.com",
	}}
	for _, fn := range fns {
		if f, ok := a.Functions[fn.Name]; ok && fn.Table {
			f.AddEnvironment(jsii.String("PORTICO_SECRETS_PREFIX"), jsii.String(s.TenantSecretsPrefix()), nil)
			f.AddEnvironment(jsii.String("PORTICO_SECRETS_KMS_KEY"), st.Key.KeyArn(), nil)
		}
	}
	read := func(f awslambda.Function) {
		f.Role().AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("TenantSecretsRead"),
			Actions:   jsii.Strings("secretsmanager:GetSecretValue"),
			Resources: &[]*string{jsii.String(arn)},
		}))
		f.Role().AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("TenantSecretsDecrypt"),
			Actions:    jsii.Strings("kms:Decrypt"),
			Resources:  &[]*string{st.Key.KeyArn()},
			Conditions: viaSM,
		}))
	}
	for _, name := range tenantSecretReaders {
		if f, ok := a.Functions[name]; ok {
			read(f)
		}
	}
	// The dispatcher deletes a rotated webhook secret's previous value once
	// its grace period is over (internal name .webhook-previous.<id>), and
	// nothing else.
	if wd, ok := a.Functions[FnWebhookDispatcher]; ok {
		wd.Role().AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("TenantSecretsSweep"),
			Actions:   jsii.Strings("secretsmanager:DeleteSecret"),
			Resources: &[]*string{jsii.String(strings.TrimSuffix(arn, "*") + "*/" + WebhookPreviousSecretPrefix + "*")},
		}))
	}
	m, ok := a.Functions[FnManagement]
	if !ok {
		return
	}
	read(m)
	m.Role().AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("TenantSecretsWrite"),
		Actions: jsii.Strings("secretsmanager:CreateSecret", "secretsmanager:PutSecretValue", "secretsmanager:DescribeSecret",
			"secretsmanager:DeleteSecret", "secretsmanager:TagResource"),
		Resources: &[]*string{jsii.String(arn)},
	}))
	m.Role().AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("TenantSecretsEncrypt"),
		Actions:    jsii.Strings("kms:GenerateDataKey"),
		Resources:  &[]*string{st.Key.KeyArn()},
		Conditions: viaSM,
	}))
}
