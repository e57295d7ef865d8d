package model

import "strconv"

// Bounds of an inbound webhook auth policy.
const (
	// MaxWebhookSecrets is how many secrets a webhook endpoint accepts at
	// once: the current one and the one being rotated out.
	MaxWebhookSecrets = 2
	// MaxWebhookToleranceSeconds bounds AuthPolicy.ToleranceSeconds.
	MaxWebhookToleranceSeconds = 3600
)

// validateWebhookAuth checks the fields only webhook policies have: the
// secrets are required there and refused elsewhere; a verified webhook
// carries no scopes or roles to require.
func validateWebhookAuth(e *Errors, a *AuthPolicy) {
	if a.Type != AuthWebhook {
		if len(a.Secrets) > 0 {
			e.Add("/policies/auth/secrets", "only webhook authentication names secrets")
		}
		if a.ToleranceSeconds != 0 {
			e.Add("/policies/auth/toleranceSeconds", "only webhook authentication has a timestamp tolerance")
		}
		return
	}
	switch n := len(a.Secrets); {
	case n == 0:
		e.Add("/policies/auth/secrets", "name the tenant secret the sender signs with")
	case n > MaxWebhookSecrets:
		e.Add("/policies/auth/secrets", "at most %d secrets (the current one and the one being rotated out)", MaxWebhookSecrets)
	}
	seen := map[string]bool{}
	for i, s := range a.Secrets {
		ptr := "/policies/auth/secrets/" + strconv.Itoa(i)
		switch {
		case !ValidSecretName(s):
			e.Add(ptr, "must be a secret name (1-64 letters, digits, '-' or '_')")
		case seen[s]:
			e.Add(ptr, "is listed twice")
		}
		seen[s] = true
	}
	if a.ToleranceSeconds < 0 || a.ToleranceSeconds > MaxWebhookToleranceSeconds {
		e.Add("/policies/auth/toleranceSeconds", "must be between 0 (300) and %d", MaxWebhookToleranceSeconds)
	}
	if len(a.Scopes) > 0 || len(a.Roles) > 0 {
		e.Add("/policies/auth", "a webhook carries no scopes or roles to require")
	}
}
