// Package webhook signs, delivers and verifies webhooks per the Standard
// Webhooks specification (https://www.standardwebhooks.com): headers
// webhook-id, webhook-timestamp and webhook-signature ("v1," and the
// base64 HMAC-SHA256 of "id.timestamp.body" under a per-subscription
// secret shown to the tenant once as "whsec_" + base64).
//
// Outbound, a Deliverer sends one event to one subscription URL with
// retries (exponential backoff, full jitter, injected sleep), a fresh
// timestamp and signature per attempt and the same webhook-id, and
// records every delivery in a log. Inbound, a Verifier checks the same
// scheme against one or more secrets (rotation) within a replay tolerance
// window, comparing in constant time.
package webhook
