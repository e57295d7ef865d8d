package model

// IdempotencyPolicy makes an endpoint honour the Idempotency-Key request
// header (IETF draft-ietf-httpapi-idempotency-key-header): the first
// response for a (tenant, caller, key) is kept for TTLSeconds and replayed
// to repeats; the same key with another request is refused (422), and a
// duplicate sent while the first is in flight gets 409 (docs/gateway-headers.md).
type IdempotencyPolicy struct {
	TTLSeconds int `json:"ttlSeconds"`
	// Required refuses requests without an Idempotency-Key (400).
	Required bool `json:"required,omitempty"`
}

// MaxIdempotencyTTLSeconds bounds IdempotencyPolicy.TTLSeconds (7 days).
const MaxIdempotencyTTLSeconds = 7 * 86400

// validateIdempotency checks an idempotency policy found at ptr for an
// endpoint answering method; nil is valid (off).
func validateIdempotency(e *Errors, ptr string, p *IdempotencyPolicy, method string) {
	if p == nil {
		return
	}
	if p.TTLSeconds < 1 || p.TTLSeconds > MaxIdempotencyTTLSeconds {
		e.Add(ptr+"/ttlSeconds", "must be between 1 and %d", MaxIdempotencyTTLSeconds)
	}
	switch method {
	case "GET", "HEAD", "OPTIONS":
		e.Add(ptr, "applies to non-idempotent methods (POST, PATCH...), not %s", method)
	}
}
