package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Table layout shared with internal/store/dynamo (CreateTable there builds
// the same schema for LocalStack and DynamoDB Local).
const (
	attrPK     = "PK"
	attrSK     = "SK"
	attrGSI1PK = "GSI1PK"
	attrGSI1SK = "GSI1SK"
	attrTTL    = "TTL"
	indexGSI1  = "GSI1"
)

// State is the stateful stack: everything that holds data and must outlive
// a redeploy of the functions. In staging and prod its resources are
// retained on deletion and the table and user pool are deletion-protected.
type State struct {
	Stack     awscdk.Stack
	Key       awskms.Key
	Table     awsdynamodb.Table
	CursorKey awssecretsmanager.Secret
	// OAuth2Seed is the seed every gateway instance derives the OAuth2
	// access-token signing key from.
	OAuth2Seed awssecretsmanager.Secret
	Users      awscognito.UserPool
	// HostedUI is the user pool's domain: Cognito's hosted UI, where the
	// console signs in (its app client is in the Console stack, which knows
	// the console's URL).
	HostedUI awscognito.UserPoolDomain
}

func newState(scope constructs.Construct, id string, props *awscdk.StackProps, cfg Config) *State {
	s := cfg.Settings
	st := &State{Stack: awscdk.NewStack(scope, jsii.String(id), props)}
	removal := s.removal()

	st.Key = awskms.NewKey(st.Stack, jsii.String("Key"), &awskms.KeyProps{
		Alias:             jsii.String("alias/" + s.prefix()),
		Description:       jsii.String("Portico " + s.Name + ": table, secrets and function environment encryption"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     removal,
		PendingWindow:     awscdk.Duration_Days(jsii.Number(7)),
	})

	str := awsdynamodb.AttributeType_STRING
	st.Table = awsdynamodb.NewTable(st.Stack, jsii.String("Table"), &awsdynamodb.TableProps{
		PartitionKey:        &awsdynamodb.Attribute{Name: jsii.String(attrPK), Type: str},
		SortKey:             &awsdynamodb.Attribute{Name: jsii.String(attrSK), Type: str},
		BillingMode:         awsdynamodb.BillingMode_PAY_PER_REQUEST,
		TimeToLiveAttribute: jsii.String(attrTTL),
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		// Keys only: the webhook dispatcher, the stream's one consumer,
		// reads the outbox item itself, and no configuration (or secret)
		// is copied into stream records.
		Stream:             awsdynamodb.StreamViewType_KEYS_ONLY,
		Encryption:         awsdynamodb.TableEncryption_CUSTOMER_MANAGED,
		EncryptionKey:      st.Key,
		DeletionProtection: jsii.Bool(s.DeletionProtection),
		RemovalPolicy:      removal,
	})
	st.Table.AddGlobalSecondaryIndex(&awsdynamodb.GlobalSecondaryIndexProps{
		IndexName:      jsii.String(indexGSI1),
		PartitionKey:   &awsdynamodb.Attribute{Name: jsii.String(attrGSI1PK), Type: str},
		SortKey:        &awsdynamodb.Attribute{Name: jsii.String(attrGSI1SK), Type: str},
		ProjectionType: awsdynamodb.ProjectionType_ALL,
	})

	st.CursorKey = awssecretsmanager.NewSecret(st.Stack, jsii.String("CursorKey"), &awssecretsmanager.SecretProps{
		SecretName:    jsii.String("portico/" + s.Name + "/cursor-key"),
		Description:   jsii.String("PORTICO_CURSOR_KEY: signs management API pagination cursors"),
		EncryptionKey: st.Key,
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			PasswordLength:     jsii.Number(64),
			ExcludePunctuation: jsii.Bool(true),
			IncludeSpace:       jsii.Bool(false),
		},
		RemovalPolicy: removal,
	})
	st.OAuth2Seed = awssecretsmanager.NewSecret(st.Stack, jsii.String("OAuth2Seed"), &awssecretsmanager.SecretProps{
		SecretName:    jsii.String("portico/" + s.Name + "/oauth2-seed"),
		Description:   jsii.String("PORTICO_OAUTH2_SEED_SECRET_ARN: the gateway derives the OAuth2 access-token ES256 key from it"),
		EncryptionKey: st.Key,
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			PasswordLength:     jsii.Number(64),
			ExcludePunctuation: jsii.Bool(true),
			IncludeSpace:       jsii.Bool(false),
		},
		RemovalPolicy: removal,
	})

	st.Users = awscognito.NewUserPool(st.Stack, jsii.String("Users"), &awscognito.UserPoolProps{
		UserPoolName:      jsii.String(s.prefix() + "-console"),
		SelfSignUpEnabled: jsii.Bool(false), // members are invited by tenant owners / operators
		SignInAliases:     &awscognito.SignInAliases{Email: jsii.Bool(true)},
		AutoVerify:        &awscognito.AutoVerifiedAttrs{Email: jsii.Bool(true)},
		StandardAttributes: &awscognito.StandardAttributes{
			Email: &awscognito.StandardAttribute{Required: jsii.Bool(true), Mutable: jsii.Bool(true)},
		},
		CustomAttributes: &map[string]awscognito.ICustomAttribute{
			// A user never changes tenant; the role is changed by admins only
			// (the app client cannot write either attribute).
			"tenant": awscognito.NewStringAttribute(&awscognito.StringAttributeProps{MinLen: jsii.Number(1), MaxLen: jsii.Number(64), Mutable: jsii.Bool(false)}),
			"role":   awscognito.NewStringAttribute(&awscognito.StringAttributeProps{MinLen: jsii.Number(1), MaxLen: jsii.Number(32), Mutable: jsii.Bool(true)}),
		},
		PasswordPolicy: &awscognito.PasswordPolicy{
			MinLength: jsii.Number(12), RequireDigits: jsii.Bool(true), RequireLowercase: jsii.Bool(true),
			RequireUppercase: jsii.Bool(true), RequireSymbols: jsii.Bool(false),
		},
		Mfa:                awscognito.Mfa_OPTIONAL,
		MfaSecondFactor:    &awscognito.MfaSecondFactor{Otp: jsii.Bool(true), Sms: jsii.Bool(false)},
		AccountRecovery:    awscognito.AccountRecovery_EMAIL_ONLY,
		DeletionProtection: jsii.Bool(s.DeletionProtection),
		RemovalPolicy:      removal,
	})
	st.HostedUI = newHostedUI(st, cfg)

	awscdk.NewCfnOutput(st.Stack, jsii.String("TableName"), &awscdk.CfnOutputProps{Value: st.Table.TableName()})
	awscdk.NewCfnOutput(st.Stack, jsii.String("UserPoolId"), &awscdk.CfnOutputProps{Value: st.Users.UserPoolId()})
	awscdk.NewCfnOutput(st.Stack, jsii.String("HostedUiUrl"), &awscdk.CfnOutputProps{Value: st.HostedUI.BaseUrl(nil)})
	if cfg.Settings.AuthDomain != "" {
		awscdk.NewCfnOutput(st.Stack, jsii.String("HostedUiDomainTarget"), &awscdk.CfnOutputProps{
			Value:       st.HostedUI.CloudFrontEndpoint(),
			Description: jsii.String("CNAME/alias target for " + cfg.Settings.AuthDomain),
		})
	}
	return st
}

// newHostedUI gives the user pool its hosted UI domain: a custom domain
// (with its us-east-1 certificate) when configured, else a prefix domain
// (Config.AuthDomainPrefix; without account and region, portico-<env>- and
// the first group of the stack id's UUID, resolved at deploy time). Classic
// hosted UI: the newer managed login shows nothing until a branding style
// exists.
func newHostedUI(st *State, cfg Config) awscognito.UserPoolDomain {
	s := cfg.Settings
	props := &awscognito.UserPoolDomainProps{
		UserPool:            st.Users,
		ManagedLoginVersion: awscognito.ManagedLoginVersion_CLASSIC_HOSTED_UI,
	}
	if s.AuthDomain != "" {
		props.CustomDomain = &awscognito.CustomDomainOptions{
			DomainName:  jsii.String(s.AuthDomain),
			Certificate: awscertificatemanager.Certificate_FromCertificateArn(st.Stack, jsii.String("HostedUiCertificate"), jsii.String(s.AuthCertificateArn)),
		}
	} else {
		prefix := jsii.String(cfg.AuthDomainPrefix())
		if *prefix == "" {
			uuid := awscdk.Fn_Select(jsii.Number(2), awscdk.Fn_Split(jsii.String("/"), awscdk.Aws_STACK_ID(), nil))
			prefix = awscdk.Fn_Join(jsii.String(""), &[]*string{
				jsii.String(s.prefix() + "-"), awscdk.Fn_Select(jsii.Number(0), awscdk.Fn_Split(jsii.String("-"), uuid, nil)),
			})
		}
		props.CognitoDomain = &awscognito.CognitoDomainOptions{DomainPrefix: prefix}
	}
	return awscognito.NewUserPoolDomain(st.Stack, jsii.String("HostedUi"), props)
}
