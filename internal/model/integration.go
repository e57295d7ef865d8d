package model

// IntegrationLimits bounds one upstream call beyond its total timeout.
type IntegrationLimits struct {
	// ConnectTimeoutMs bounds establishing a connection; 0 means 10 s.
	ConnectTimeoutMs int `json:"connectTimeoutMs,omitempty"`
	// MaxResponseBytes caps the upstream body; 0 means 6 MB (Lambda's limit).
	MaxResponseBytes int64 `json:"maxResponseBytes,omitempty"`
	// BodyIdleTimeoutMs cuts a response body that sends nothing for that
	// long; 0 means no idle limit (the total timeout still applies).
	BodyIdleTimeoutMs int `json:"bodyIdleTimeoutMs,omitempty"`
	// FollowRedirects follows up to 5 redirects, each re-checked by the
	// SSRF guard; by default redirects go back to the client.
	FollowRedirects bool `json:"followRedirects,omitempty"`
}

func validateLimits(e *Errors, l *IntegrationLimits) {
	if l == nil {
		return
	}
	if l.ConnectTimeoutMs < 0 || l.ConnectTimeoutMs > 30_000 {
		e.Add("/limits/connectTimeoutMs", "must be between 0 (default) and 30000")
	}
	if l.MaxResponseBytes < 0 || l.MaxResponseBytes > 6<<20 {
		e.Add("/limits/maxResponseBytes", "must be between 0 (default) and 6291456")
	}
	if l.BodyIdleTimeoutMs < 0 || l.BodyIdleTimeoutMs > 300_000 {
		e.Add("/limits/bodyIdleTimeoutMs", "must be between 0 (none) and 300000")
	}
}
