// Package webhook signs, delivers and verifies webhooks per the Standard
// Webhooks specification (https://www.standardwebhooks.com): headers
// webhook-id, webhook-timestamp and webhook-signature ("v1," and the
// base64 HMAC-SHA256 of "id.timestamp.body" under a per-subscription
// secret shown to the tenant once as "whsec_" + base64).
//
// Outbound, a Deliverer sends one event to one subscription URL with
// retries (exponential backoff, full jitter, injected sleep), a fresh
// timestamp and signature per attempt and the same webhook-id, and
// records every delivery in a log. Events reach subscriptions through an
// outbox (the catalog writes a Message with the change that caused it): a
// Dispatcher claims due messages with a lease (a conditional write), sends
// one attempt per subscription whose turn it is, and schedules the next
// on Schedule (exponential, jittered, for about a day); delivery is at
// least once, with the same webhook-id. Inbound, a Verifier checks the same
// scheme against one or more secrets (rotation) within a replay tolerance
// window, comparing in constant time.
package webhook
