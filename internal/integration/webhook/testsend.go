package webhook

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
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
		body, truncated := excerptOf(excerpt, MaxExcerpt, secretForms(sub, keys))
		res.Response = &TestResponse{Status: a.Status, DurationMs: a.DurationMs, Body: body, Truncated: truncated}
	}
	if d.cfg.Log != nil {
		if err := d.cfg.Log.RecordDelivery(context.WithoutCancel(ctx), tenant, res.Delivery); err != nil {
			return res, fmt.Errorf("webhook: record test delivery: %w", err)
		}
	}
	return res, nil
}

// secretForms returns the texts a secret of sub may appear as: the
// secrets with and without their prefix, and their keys in every base64
// alphabet. The longest is shorter than excerptSlack.
func secretForms(sub Subscription, keys [][]byte) [][]byte {
	var out [][]byte
	for _, v := range []string{sub.Secret, sub.Previous} {
		if v != "" {
			out = append(out, []byte(v), []byte(strings.TrimPrefix(v, SecretPrefix)))
		}
	}
	for _, k := range keys {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			out = append(out, []byte(enc.EncodeToString(k)))
		}
	}
	return slices.DeleteFunc(out, func(f []byte) bool { return len(f) < 16 })
}

// excerptOf returns the first limit bytes of b (cut at a character
// boundary) as valid UTF-8, each occurrence of a secret form that starts
// before the cut replaced whole by [redacted], and whether b went on after
// the cut. b holds more than limit bytes when the answer did, by more than
// the longest form, so a secret across the cut is found whole.
func excerptOf(b []byte, limit int, forms [][]byte) (string, bool) {
	type span struct{ from, to int }
	var spans []span
	for _, f := range forms {
		for i := 0; ; {
			j := bytes.Index(b[i:], f)
			if j < 0 {
				break
			}
			spans = append(spans, span{i + j, i + j + len(f)})
			i += j + len(f)
		}
	}
	slices.SortFunc(spans, func(x, y span) int { return cmp.Compare(x.from, y.from) })
	cut, truncated := len(b), false
	if len(b) > limit {
		cut, truncated = limit, true
		for cut > 0 && !utf8.RuneStart(b[cut]) {
			cut--
		}
	}
	var out strings.Builder
	pos := 0
	for _, sp := range spans {
		switch {
		case sp.from >= cut:
		case sp.from >= pos:
			out.Write(b[pos:sp.from])
			out.WriteString("[redacted]")
			pos = sp.to
		case sp.to > pos: // overlaps the one redacted last: extend it
			pos = sp.to
		}
	}
	if pos < cut {
		out.Write(b[pos:cut])
	}
	return strings.ToValidUTF8(out.String(), "\uFFFD"), truncated
}

// Test sends a test event to sub through the dispatcher's deliverer
// (Deliverer.Test): the same client, guard, signing and delivery log as
// every attempt. Test sends are not counted in Stats.
func (d *Dispatcher) Test(ctx context.Context, tenant string, sub Subscription) (TestResult, error) {
	return d.cfg.Deliverer.Test(ctx, tenant, sub)
}
