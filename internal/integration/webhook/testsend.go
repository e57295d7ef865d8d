package webhook

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxExcerpt bounds the answer body a test send returns.
const MaxExcerpt = 1 << 10

// excerptSlack is read beyond MaxExcerpt: more than the longest secret
// ("whsec_" and the base64 of 64 bytes).
const excerptSlack = 128

// TestResult is the outcome of a test send: the delivery as recorded in
// the log (one attempt) and what the receiver answered.
type TestResult struct {
	Delivery
	// Response is the receiver's answer; nil when there was none (the
	// attempt's error says why).
	Response *TestResponse `json:"response,omitempty"`
}

// TestResponse is a receiver's answer to a test send.
type TestResponse struct {
	Status     int   `json:"status"`
	DurationMs int64 `json:"durationMs"`
	// Body is at most MaxExcerpt bytes of the answer, as text, with any
	// secret or signature of the subscription replaced by [redacted].
	Body      string `json:"body"`
	Truncated bool   `json:"truncated,omitempty"`
}

// TestEventType is the type of a test send's event (model.EventWebhookTest).
const TestEventType = "webhook.test"

// Test sends one webhook.test event to sub now, through the same attempt
// as every delivery (SSRF checks, signatures, redirects refused, the
// attempt timeout), records it in the delivery log as a delivery of its
// own and returns it with the receiver's answer. There is no retry. The
// error is only for a subscription whose secret is unusable or a log that
// could not be written; a receiver's failure is in the result.
func (d *Deliverer) Test(ctx context.Context, tenant string, sub Subscription) (TestResult, error) {
	now := d.cfg.Now().UTC()
	res := TestResult{Delivery: Delivery{ID: d.cfg.NewID(), Subscription: sub.ID, EventType: TestEventType, CreatedAt: now, State: StateFailed}}
	keys, err := sub.keys()
	if err != nil {
		return res, err
	}
	data, _ := json.Marshal(map[string]string{"subscription": sub.ID, "message": "This is a test event sent from the Portico console."})
	body, err := json.Marshal(Event{Type: TestEventType, Timestamp: now, Data: data})
	if err != nil {
		return res, fmt.Errorf("webhook: encode test event: %w", err)
	}
	// Read past the cut by more than any secret's length, so that a
	// secret across it is redacted whole before the cut.
	a, _, excerpt := d.attempt(ctx, keys, sub, res.ID, body, MaxExcerpt+excerptSlack)
	if len(a.Error) > maxErrorLen {
		a.Error = a.Error[:maxErrorLen]
	}
	res.Attempts = []Attempt{a}
	if a.Status >= 200 && a.Status < 300 {
		res.State = StateDelivered
	}
	if a.Status != 0 {
		r := &TestResponse{Status: a.Status, DurationMs: a.DurationMs, Body: redact(excerpt, sub, keys)}
		if len(r.Body) > MaxExcerpt {
			cut := MaxExcerpt
			for cut > 0 && !utf8.RuneStart(r.Body[cut]) {
				cut--
			}
			r.Body, r.Truncated = r.Body[:cut], true
		}
		res.Response = r
	}
	if d.cfg.Log != nil {
		if err := d.cfg.Log.RecordDelivery(context.WithoutCancel(ctx), tenant, res.Delivery); err != nil {
			return res, fmt.Errorf("webhook: record test delivery: %w", err)
		}
	}
	return res, nil
}

// redact returns b as valid UTF-8 text with the subscription's secrets
// (with and without their prefix) and any base64 of their keys replaced:
// a receiver that echoes what it got, or a URL that points back at
// something holding the secret, must not put it in an answer.
func redact(b []byte, sub Subscription, keys [][]byte) string {
	s := string(b)
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	var secrets []string
	for _, v := range []string{sub.Secret, sub.Previous} {
		if v != "" {
			secrets = append(secrets, v, strings.TrimPrefix(v, SecretPrefix))
		}
	}
	for _, k := range keys {
		secrets = append(secrets, base64.StdEncoding.EncodeToString(k), base64.RawStdEncoding.EncodeToString(k),
			base64.URLEncoding.EncodeToString(k), base64.RawURLEncoding.EncodeToString(k))
	}
	for _, v := range secrets {
		if len(v) >= 16 {
			s = strings.ReplaceAll(s, v, "[redacted]")
		}
	}
	return s
}

// Test sends a test event to sub through the dispatcher's deliverer
// (Deliverer.Test): the same client, guard, signing and delivery log as
// every attempt. Test sends are not counted in Stats.
func (d *Dispatcher) Test(ctx context.Context, tenant string, sub Subscription) (TestResult, error) {
	return d.cfg.Deliverer.Test(ctx, tenant, sub)
}
