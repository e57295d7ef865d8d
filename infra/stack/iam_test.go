package stack

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
)

// statement is one Allow or Deny statement of any policy in a template.
type statement struct {
	where string         // resource type and logical id
	kind  string         // "identity", "key", "resource"
	ours  bool           // attached to a Portico function or workflow role
	stmt  map[string]any // the statement
}

// policyStatements collects every policy statement: identity policies
// (AWS::IAM::Policy, inline role policies, managed policies) and resource
// policies (KMS key, bucket, topic, secret).
func policyStatements(tpl assertions.Template) []statement {
	var out []statement
	add := func(where, kind string, ours bool, doc any) {
		d, _ := doc.(map[string]any)
		list, _ := d["Statement"].([]any)
		for _, s := range list {
			out = append(out, statement{where: where, kind: kind, ours: ours, stmt: s.(map[string]any)})
		}
	}
	ourRole := func(ref any) bool {
		m, _ := ref.(map[string]any)
		id, _ := m["Ref"].(string)
		for name := range registry {
			if strings.HasPrefix(id, camel(name)+"Role") {
				return true
			}
		}
		return strings.HasPrefix(id, "TenantWorkflowRole")
	}
	for id, r := range (*tpl.ToJSON())["Resources"].(map[string]any) {
		r := r.(map[string]any)
		typ, _ := r["Type"].(string)
		p := props(r)
		where := typ + " " + id
		switch typ {
		case "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy":
			ours := false
			roles, _ := p["Roles"].([]any)
			for _, ref := range roles {
				ours = ours || ourRole(ref)
			}
			add(where, "identity", ours, p["PolicyDocument"])
		case "AWS::IAM::Role":
			pols, _ := p["Policies"].([]any)
			for _, pol := range pols {
				add(where, "identity", strings.HasPrefix(id, "TenantWorkflowRole"), pol.(map[string]any)["PolicyDocument"])
			}
		case "AWS::KMS::Key":
			add(where, "key", false, p["KeyPolicy"])
		case "AWS::S3::BucketPolicy", "AWS::SNS::TopicPolicy", "AWS::SecretsManager::ResourcePolicy":
			add(where, "resource", false, p["PolicyDocument"])
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].where < out[j].where })
	return out
}

func strs(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			out = append(out, strs(x)...)
		}
		return out
	case nil:
		return nil
	}
	return []string{fmt.Sprint(v)} // an intrinsic (Ref, GetAtt, Join): a named resource
}

// resourceStarAllowed lists where "Resource": "*" is required, with the reason.
var resourceStarAllowed = []struct {
	actions []string // every action of the statement must be in this set
	kind    string   // or: any statement of this policy kind
	why     string
}{
	{kind: "key", why: `in a KMS key policy "*" means the key itself`},
	{actions: []string{"secretsmanager:GetRandomPassword"}, why: "GetRandomPassword has no resource type"},
	{actions: []string{"xray:PutTraceSegments", "xray:PutTelemetryRecords"}, why: "X-Ray write actions have no resource type (active tracing, staging/prod)"},
	{actions: []string{"cloudfront:CreateInvalidation", "cloudfront:GetInvalidation"}, why: "aws-cdk-lib BucketDeployment hard-codes * for its invalidation (CDK construct, not our role)"},
}

func starAllowed(s statement) (string, bool) {
	actions := strs(s.stmt["Action"])
	for _, ex := range resourceStarAllowed {
		if ex.kind != "" {
			if ex.kind == s.kind {
				return ex.why, true
			}
			continue
		}
		all := len(actions) > 0
		for _, a := range actions {
			found := false
			for _, ok := range ex.actions {
				found = found || a == ok
			}
			all = all && found
		}
		if all {
			return ex.why, true
		}
	}
	return "", false
}

// TestLeastPrivilege walks every policy statement of every stack, in every
// environment with every function and feature on, and refuses "*" actions,
// service-wide "svc:*" actions, and "*" resources outside the documented
// exceptions above. Statements on Portico's own roles may not use
// wildcards in action names at all.
func TestLeastPrivilege(t *testing.T) {
	root := fakeRoot(t, true, allFunctions...)
	for _, env := range Environments {
		t.Run(env, func(t *testing.T) {
			cfg := config(t, env, root)
			cfg.Settings.Domain = "example.com"
			cfg.Settings.CertificateArn = "arn:aws:acm:eu-west-1:123456789012:certificate/abc"
			cfg.Settings.AlarmEmails = []string{"ops@example.com"}
			s := build(t, cfg)
			ours := 0
			for name, tpl := range s.all() {
				for _, st := range policyStatements(tpl) {
					where := name + ": " + st.where
					if st.ours {
						ours++
					}
					if st.stmt["Effect"] == "Deny" {
						continue // a broad deny (e.g. TLS only) only narrows access
					}
					if st.stmt["NotAction"] != nil || st.stmt["NotResource"] != nil {
						t.Errorf("%s: NotAction/NotResource in %v", where, st.stmt)
					}
					for _, a := range strs(st.stmt["Action"]) {
						switch {
						case a == "*" || strings.HasSuffix(a, ":*"):
							if st.kind == "key" && a == "kms:*" {
								continue // the key policy's account-root statement; see docs/deploy.md
							}
							t.Errorf("%s: action %q in %v", where, a, st.stmt)
						case st.ours && strings.Contains(a, "*"):
							t.Errorf("%s: wildcard action %q on a Portico role", where, a)
						}
					}
					for _, r := range strs(st.stmt["Resource"]) {
						if r != "*" {
							continue
						}
						if why, ok := starAllowed(st); ok {
							t.Logf("%s: Resource * allowed (%s): %v", where, why, st.stmt["Action"])
							continue
						}
						t.Errorf("%s: Resource * in %v", where, st.stmt)
					}
				}
			}
			if ours == 0 {
				t.Fatal("no statement on Portico's own roles found: the walk is broken")
			}
			// Table writes: only TableWrite functions may write any
			// partition; every other role's writes carry a leading-keys
			// condition (runtime, outbox and delivery-log partitions).
			for name, tpl := range s.all() {
				for _, st := range policyStatements(tpl) {
					if st.ours && st.stmt["Effect"] != "Deny" && writesTable(st) && !tableWriter(st.where) &&
						!strings.Contains(fmt.Sprint(st.stmt["Condition"]), "dynamodb:LeadingKeys") {
						t.Errorf("%s: %s: table write without a leading-keys condition: %v", name, st.where, st.stmt)
					}
				}
			}
			// Portico's roles carry no managed policies (AWSLambdaBasicExecutionRole
			// has Resource "*"); only CDK's own custom-resource providers do.
			for name, tpl := range s.all() {
				for id, r := range resources(tpl, "AWS::IAM::Role") {
					if _, ok := props(r)["ManagedPolicyArns"]; ok && !strings.HasPrefix(id, "Custom") {
						t.Errorf("%s: role %s has managed policies %v", name, id, props(r)["ManagedPolicyArns"])
					}
				}
			}
		})
	}
}

func TestStarAllowed(t *testing.T) {
	cases := []struct {
		name string
		s    statement
		want bool
	}{
		{"key policy", statement{kind: "key", stmt: map[string]any{"Action": "kms:Decrypt"}}, true},
		{"x-ray", statement{kind: "identity", stmt: map[string]any{"Action": []any{"xray:PutTraceSegments", "xray:PutTelemetryRecords"}}}, true},
		{"table read", statement{kind: "identity", stmt: map[string]any{"Action": "dynamodb:GetItem"}}, false},
		{"x-ray plus more", statement{kind: "identity", stmt: map[string]any{"Action": []any{"xray:PutTraceSegments", "s3:GetObject"}}}, false},
		{"no action", statement{kind: "identity", stmt: map[string]any{}}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, got := starAllowed(tc.s); got != tc.want {
				t.Errorf("starAllowed = %v, want %v", got, tc.want)
			}
		})
	}
}

// writesTable reports whether a statement grants a DynamoDB item write.
func writesTable(s statement) bool {
	for _, a := range strs(s.stmt["Action"]) {
		switch a {
		case "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem":
			return true
		}
	}
	return false
}

// tableWriter reports whether a policy belongs to a function registered
// with TableWrite (the management API writes configuration partitions).
func tableWriter(where string) bool {
	for name, fn := range registry {
		if fn.TableWrite && strings.Contains(where, " "+camel(name)+"Role") {
			return true
		}
	}
	return false
}
