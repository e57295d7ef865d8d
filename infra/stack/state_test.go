package stack

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

func TestStateStack(t *testing.T) {
	s := build(t, config(t, "dev", fakeRoot(t, false, todayFunctions...)))
	tpl := s.state
	must(t, "table schema", func() {
		tpl.HasResourceProperties(jsii.String("AWS::DynamoDB::Table"), obj{
			"KeySchema": []any{
				obj{"AttributeName": "PK", "KeyType": "HASH"},
				obj{"AttributeName": "SK", "KeyType": "RANGE"},
			},
			"AttributeDefinitions": assertions.Match_ArrayWith(&[]any{
				obj{"AttributeName": "GSI1PK", "AttributeType": "S"},
				obj{"AttributeName": "GSI1SK", "AttributeType": "S"},
			}),
			"GlobalSecondaryIndexes": []any{obj{
				"IndexName": "GSI1",
				"KeySchema": []any{
					obj{"AttributeName": "GSI1PK", "KeyType": "HASH"},
					obj{"AttributeName": "GSI1SK", "KeyType": "RANGE"},
				},
				"Projection": obj{"ProjectionType": "ALL"},
			}},
			"BillingMode":                      "PAY_PER_REQUEST",
			"TimeToLiveSpecification":          obj{"AttributeName": "TTL", "Enabled": true},
			"PointInTimeRecoverySpecification": obj{"PointInTimeRecoveryEnabled": true},
			"StreamSpecification":              obj{"StreamViewType": "KEYS_ONLY"},
			"SSESpecification":                 obj{"SSEEnabled": true, "SSEType": "KMS"},
			"DeletionProtectionEnabled":        false,
		})
	})
	must(t, "KMS key with rotation", func() {
		tpl.HasResourceProperties(jsii.String("AWS::KMS::Key"), obj{"EnableKeyRotation": true})
		tpl.HasResourceProperties(jsii.String("AWS::KMS::Alias"), obj{"AliasName": "alias/portico-dev"})
	})
	must(t, "generated cursor key secret", func() {
		tpl.HasResourceProperties(jsii.String("AWS::SecretsManager::Secret"), obj{
			"Name":                 "portico/dev/cursor-key",
			"KmsKeyId":             assertions.Match_AnyValue(),
			"GenerateSecretString": obj{"PasswordLength": 64, "ExcludePunctuation": true},
		})
	})
	must(t, "generated oauth2 seed secret", func() {
		tpl.HasResourceProperties(jsii.String("AWS::SecretsManager::Secret"), obj{
			"Name":                 "portico/dev/oauth2-seed",
			"KmsKeyId":             assertions.Match_AnyValue(),
			"GenerateSecretString": obj{"PasswordLength": 64, "ExcludePunctuation": true},
		})
	})
	must(t, "user pool with tenant and role", func() {
		tpl.HasResourceProperties(jsii.String("AWS::Cognito::UserPool"), obj{
			"AdminCreateUserConfig": obj{"AllowAdminCreateUserOnly": true},
			"Schema": assertions.Match_ArrayWith(&[]any{
				obj{"Name": "role", "AttributeDataType": "String", "Mutable": true, "StringAttributeConstraints": obj{"MinLength": "1", "MaxLength": "32"}},
				obj{"Name": "tenant", "AttributeDataType": "String", "Mutable": false, "StringAttributeConstraints": obj{"MinLength": "1", "MaxLength": "64"}},
			}),
		})
	})
	must(t, "hosted UI prefix domain per account and region, classic hosted UI", func() {
		tpl.ResourceCountIs(jsii.String("AWS::Cognito::UserPoolDomain"), jsii.Number(1))
		tpl.HasResourceProperties(jsii.String("AWS::Cognito::UserPoolDomain"), obj{
			"Domain":              assertions.Match_StringLikeRegexp(jsii.String(`^portico-dev-[0-9a-f]{8}$`)),
			"ManagedLoginVersion": 1,
			"UserPoolId":          obj{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^Users"))},
			"CustomDomainConfig":  assertions.Match_Absent(),
		})
	})
	must(t, "the sign-in client is not here (the Console stack knows the callback URL)", func() {
		tpl.ResourceCountIs(jsii.String("AWS::Cognito::UserPoolClient"), jsii.Number(0))
	})
}

func TestHostedUIDomain(t *testing.T) {
	root := fakeRoot(t, false, todayFunctions...)
	domainOf := func(t *testing.T, s synth) map[string]any {
		t.Helper()
		ds := resources(s.state, "AWS::Cognito::UserPoolDomain")
		if len(ds) != 1 {
			t.Fatalf("%d user pool domains, want 1", len(ds))
		}
		for _, d := range ds {
			return props(d)
		}
		return nil
	}
	domain := func(t *testing.T, cfg Config) map[string]any { t.Helper(); return domainOf(t, build(t, cfg)) }
	t.Run("prefix differs by account and region", func(t *testing.T) {
		a := config(t, "prod", root)
		b := a
		b.Region = "us-east-1"
		pa, pb := a.AuthDomainPrefix(), b.AuthDomainPrefix()
		if pa == pb || checkDomainPrefix(pa) != nil || checkDomainPrefix(pb) != nil {
			t.Errorf("prefixes %q, %q: want distinct valid prefixes", pa, pb)
		}
		if got := domain(t, a)["Domain"]; got != pa {
			t.Errorf("Domain %v, want %q", got, pa)
		}
	})
	t.Run("configured prefix", func(t *testing.T) {
		cfg := config(t, "staging", root)
		cfg.Settings.AuthDomainPrefix = "acme-portico-staging"
		if got := domain(t, cfg)["Domain"]; got != "acme-portico-staging" {
			t.Errorf("Domain %v", got)
		}
	})
	t.Run("environment-agnostic: from the stack id at deploy time", func(t *testing.T) {
		cfg := config(t, "dev", root)
		cfg.Account, cfg.Region = "", ""
		got, _ := json.Marshal(domain(t, cfg)["Domain"])
		if !strings.Contains(string(got), `"portico-dev-"`) || !strings.Contains(string(got), `"AWS::StackId"`) {
			t.Errorf("Domain %s: want portico-dev- joined with part of the stack id", got)
		}
	})
	t.Run("custom domain with its certificate", func(t *testing.T) {
		cfg := config(t, "prod", root)
		cfg.Settings.AuthDomain = "auth.example.com"
		cfg.Settings.AuthCertificateArn = "arn:aws:acm:us-east-1:123456789012:certificate/auth"
		s := build(t, cfg)
		d := domainOf(t, s)
		want := `{"CertificateArn":"arn:aws:acm:us-east-1:123456789012:certificate/auth"}`
		if got, _ := json.Marshal(d["CustomDomainConfig"]); d["Domain"] != "auth.example.com" || string(got) != want {
			t.Errorf("domain %v, want auth.example.com with %s", d, want)
		}
		must(t, "alias target output", func() {
			s.state.HasOutput(jsii.String("HostedUiDomainTarget"), obj{
				"Value": obj{"Fn::GetAtt": []any{assertions.Match_StringLikeRegexp(jsii.String("^HostedUi")), "CloudFrontDistribution"}},
			})
		})
	})
}

// TestEnvironmentsDiffer checks the settings that must differ: prod and
// staging keep and protect their data, dev can be torn down.
func TestEnvironmentsDiffer(t *testing.T) {
	root := fakeRoot(t, false, todayFunctions...)
	cases := []struct {
		env       string
		protected bool
		policy    string
		memory    float64
		retention float64
	}{
		{"dev", false, "Delete", 256, 7},
		{"staging", true, "Retain", 512, 30},
		{"prod", true, "Retain", 1024, 365},
	}
	for _, tc := range cases {
		t.Run(tc.env, func(t *testing.T) {
			s := build(t, config(t, tc.env, root))
			for _, typ := range []string{"AWS::DynamoDB::Table", "AWS::Cognito::UserPool", "AWS::KMS::Key", "AWS::SecretsManager::Secret"} {
				for id, r := range resources(s.state, typ) {
					if r["DeletionPolicy"] != tc.policy {
						t.Errorf("%s %s: DeletionPolicy %v, want %s", typ, id, r["DeletionPolicy"], tc.policy)
					}
				}
			}
			for _, r := range resources(s.state, "AWS::DynamoDB::Table") {
				if got := props(r)["DeletionProtectionEnabled"]; got != tc.protected {
					t.Errorf("table DeletionProtectionEnabled %v, want %v", got, tc.protected)
				}
			}
			want := "INACTIVE"
			if tc.protected {
				want = "ACTIVE"
			}
			for _, r := range resources(s.state, "AWS::Cognito::UserPool") {
				if got := props(r)["DeletionProtection"]; got != want {
					t.Errorf("user pool DeletionProtection %v, want %s", got, want)
				}
			}
			for id, r := range resources(s.api, "AWS::Lambda::Function") {
				if got := props(r)["MemorySize"]; got != tc.memory {
					t.Errorf("%s MemorySize %v, want %v", id, got, tc.memory)
				}
			}
			groups := resources(s.api, "AWS::Logs::LogGroup")
			if len(groups) != len(todayFunctions) {
				t.Errorf("%d log groups, want %d", len(groups), len(todayFunctions))
			}
			for id, r := range groups {
				if got := props(r)["RetentionInDays"]; got != tc.retention {
					t.Errorf("%s RetentionInDays %v, want %v", id, got, tc.retention)
				}
				if r["DeletionPolicy"] != tc.policy {
					t.Errorf("%s DeletionPolicy %v, want %s", id, r["DeletionPolicy"], tc.policy)
				}
			}
			for _, r := range resources(s.console, "AWS::S3::Bucket") {
				if r["DeletionPolicy"] != tc.policy {
					t.Errorf("console bucket DeletionPolicy %v, want %s", r["DeletionPolicy"], tc.policy)
				}
			}
			tracing := len(resources(s.api, "AWS::Lambda::Function")) > 0
			for _, r := range resources(s.api, "AWS::Lambda::Function") {
				_, on := props(r)["TracingConfig"]
				tracing = tracing && on
			}
			if tracing != (tc.env != "dev") {
				t.Errorf("tracing %v in %s", tracing, tc.env)
			}
		})
	}
}
