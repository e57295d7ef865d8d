package stack

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestTenantSecretsGrants: tenant secrets are reachable on their prefix
// only; readers may only read them, management may manage them, and the
// environment key is usable for them only through Secrets Manager.
func TestTenantSecretsGrants(t *testing.T) {
	s := build(t, config(t, "staging", fakeRoot(t, false, allFunctions...)))
	const prefix = ":secret:portico/staging/tenants/*"
	want := map[string][]string{ // role -> actions on the prefix
		"GatewayRole":           {"secretsmanager:GetSecretValue"},
		"WorkflowTaskRole":      {"secretsmanager:GetSecretValue"},
		"WebhookDispatcherRole": {"secretsmanager:GetSecretValue"},
		"ManagementRole": {"secretsmanager:CreateSecret", "secretsmanager:DeleteSecret", "secretsmanager:DescribeSecret",
			"secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue", "secretsmanager:TagResource"},
	}
	got := map[string][]string{}
	for _, st := range policyStatements(s.api) {
		sid, _ := st.stmt["Sid"].(string)
		if !strings.HasPrefix(sid, "TenantSecrets") {
			continue
		}
		role := ""
		for r := range want {
			if strings.Contains(st.where, r) {
				role = r
			}
		}
		if role == "" {
			t.Errorf("%s: %s on a role that should not touch tenant secrets", st.where, sid)
			continue
		}
		res := fmt.Sprint(st.stmt["Resource"])
		switch sid {
		case "TenantSecretsRead", "TenantSecretsWrite":
			if !strings.HasSuffix(res, prefix+"]]]") || strings.Count(res, ":secret:") != 1 {
				t.Errorf("%s: %s resource %s, want the tenants prefix only", st.where, sid, res)
			}
			got[role] = append(got[role], strs(st.stmt["Action"])...)
		case "TenantSecretsSweep":
			// Only the dispatcher, only deletions, only previous webhook
			// secrets.
			if role != "WebhookDispatcherRole" || !slices.Equal(strs(st.stmt["Action"]), []string{"secretsmanager:DeleteSecret"}) ||
				!strings.HasSuffix(res, prefix+"/.webhook-previous.*]]]") || strings.Count(res, ":secret:") != 1 {
				t.Errorf("%s: %s %v on %s, want the dispatcher deleting previous webhook secrets only", st.where, sid, st.stmt["Action"], res)
			}
		case "TenantSecretsDecrypt", "TenantSecretsEncrypt":
			if c := fmt.Sprint(st.stmt["Condition"]); !strings.Contains(c, "kms:ViaService:secretsmanager.eu-west-1.amazonaws.com") {
				t.Errorf("%s: %s without the via-Secrets-Manager condition: %s", st.where, sid, c)
			}
			if sid == "TenantSecretsEncrypt" && role != "ManagementRole" {
				t.Errorf("%s may encrypt tenant secrets", st.where)
			}
		default:
			t.Errorf("%s: unexpected statement %s", st.where, sid)
		}
	}
	for role, actions := range want {
		g := got[role]
		slices.Sort(g)
		if !slices.Equal(g, actions) {
			t.Errorf("%s actions on tenant secrets = %v, want %v", role, g, actions)
		}
	}

	// No other statement reaches the tenants prefix (the rotation
	// function's grant names its two platform secrets, not portico/<env>/*).
	for _, st := range policyStatements(s.api) {
		sid, _ := st.stmt["Sid"].(string)
		res := fmt.Sprint(st.stmt["Resource"])
		if !strings.HasPrefix(sid, "TenantSecrets") && (strings.Contains(res, ":secret:portico/staging/*") || strings.Contains(res, "tenants/")) {
			t.Errorf("%s: %s reaches tenant secrets: %s", st.where, sid, res)
		}
	}

	// Every function that opens the catalog is told the prefix.
	n := 0
	for id, r := range resources(s.api, "AWS::Lambda::Function") {
		vars, _ := props(r)["Environment"].(map[string]any)["Variables"].(map[string]any)
		if _, table := vars["PORTICO_TABLE"]; !table {
			continue
		}
		n++
		if vars["PORTICO_SECRETS_PREFIX"] != "portico/staging/tenants/" || vars["PORTICO_SECRETS_KMS_KEY"] == nil {
			t.Errorf("%s: secrets environment %v / %v", id, vars["PORTICO_SECRETS_PREFIX"], vars["PORTICO_SECRETS_KMS_KEY"])
		}
	}
	if n == 0 {
		t.Fatal("no function with a table found")
	}
}
