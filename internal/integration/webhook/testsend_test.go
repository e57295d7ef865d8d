package webhook

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func mustSecret(t *testing.T, b byte) string {
	t.Helper()
	s, err := NewSecret(bytes.NewReader(bytes.Repeat([]byte{b}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSignAllRotation: a message signed with the new and the previous
// secret verifies with either one, and with neither when the receiver
// knows another.
func TestSignAllRotation(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC)
	cur, prev, other := mustSecret(t, 1), mustSecret(t, 2), mustSecret(t, 3)
	kc, _ := DecodeSecret(cur)
	kp, _ := DecodeSecret(prev)
	body := []byte(`{"type":"config.changed"}`)
	sig := SignAll([][]byte{kc, kp}, "msg_1", t0, body)
	if n := len(strings.Fields(sig)); n != 2 || !strings.HasPrefix(sig, Sign(kc, "msg_1", t0, body)+" ") {
		t.Fatalf("signature header %q", sig)
	}
	h := http.Header{HeaderID: {"msg_1"}, HeaderTimestamp: {strconv.FormatInt(t0.Unix(), 10)}, HeaderSignature: {sig}}
	tests := []struct {
		name   string
		secret string
		ok     bool
	}{{"new secret", cur, true}, {"previous secret", prev, true}, {"another secret", other, false}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := NewVerifier(VerifierConfig{Secrets: []string{tt.secret}, Now: func() time.Time { return t0 }})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := v.Verify(h, body); (err == nil) != tt.ok {
				t.Fatalf("Verify = %v, want ok %v", err, tt.ok)
			}
		})
	}
}

// TestDeliverTest: a test send makes one attempt signed like any delivery,
// logs it, and returns the answer bounded and without secrets.
func TestDeliverTest(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC)
	cur, prev := mustSecret(t, 4), mustSecret(t, 5)
	tests := []struct {
		name      string
		status    int
		answer    func(got http.Header) string
		state     string
		truncated bool
	}{
		{"delivered", 200, func(http.Header) string { return `{"ok":true}` }, StateDelivered, false},
		{"refused, the answer shown", 400, func(http.Header) string { return "bad signature" }, StateFailed, false},
		{"echoed secrets redacted", 500, func(http.Header) string {
			return "cur=" + cur + " prev=" + strings.TrimPrefix(prev, SecretPrefix)
		}, StateFailed, false},
		{"long answers cut", 200, func(http.Header) string { return strings.Repeat("é", 2000) }, StateDelivered, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var gotBody []byte
			var gotHeader http.Header
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				gotBody, _ = io.ReadAll(r.Body)
				gotHeader = r.Header.Clone()
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.answer(r.Header))
			}))
			defer srv.Close()
			lg := &memLog{}
			del, err := NewDeliverer(DelivererConfig{Client: srv.Client(), Log: lg, Now: func() time.Time { return t0 }})
			if err != nil {
				t.Fatal(err)
			}
			res, err := del.Test(t.Context(), "acme", Subscription{ID: "wh_1", URL: srv.URL, Secret: cur, Previous: prev})
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range []string{cur, prev} {
				v, _ := NewVerifier(VerifierConfig{Secrets: []string{s}, Now: func() time.Time { return t0 }})
				if _, err := v.Verify(gotHeader, gotBody); err != nil {
					t.Fatalf("receiver with one secret: %v", err)
				}
			}
			if !strings.Contains(string(gotBody), `"type":"webhook.test"`) || res.EventType != TestEventType {
				t.Fatalf("body %s, result %+v", gotBody, res)
			}
			if res.State != tt.state || len(res.Attempts) != 1 || res.Response == nil || res.Response.Status != tt.status || res.Response.Truncated != tt.truncated {
				t.Fatalf("result %+v %+v", res, res.Response)
			}
			if len(res.Response.Body) > MaxExcerpt || strings.Contains(res.Response.Body, strings.TrimPrefix(cur, SecretPrefix)) ||
				strings.Contains(res.Response.Body, strings.TrimPrefix(prev, SecretPrefix)) {
				t.Fatalf("answer body %q", res.Response.Body)
			}
			if tt.name == "echoed secrets redacted" && res.Response.Body != "cur=[redacted] prev=[redacted]" {
				t.Fatalf("answer body %q", res.Response.Body)
			}
			if len(lg.ds) != 1 || lg.ds[0].ID != res.ID || lg.ds[0].State != tt.state {
				t.Fatalf("log %+v", lg.ds)
			}
		})
	}
}

// TestDeliverTestNoAnswer: an address the guard refuses is no answer at
// all, recorded as a failed test.
func TestDeliverTestNoAnswer(t *testing.T) {
	lg := &memLog{}
	del, err := NewDeliverer(DelivererConfig{Client: http.DefaultClient, Log: lg,
		CheckURL: func(context.Context, string) error { return errBlocked }})
	if err != nil {
		t.Fatal(err)
	}
	res, err := del.Test(t.Context(), "acme", Subscription{ID: "wh_1", URL: "http://169.254.169.254/", Secret: mustSecret(t, 6)})
	if err != nil || res.State != StateFailed || res.Response != nil || !strings.Contains(res.Attempts[0].Error, "not an allowed destination") {
		t.Fatalf("%+v %v", res, err)
	}
	if _, err := del.Test(t.Context(), "acme", Subscription{ID: "wh_1", URL: "http://x", Secret: "whsec_short"}); err == nil {
		t.Fatal("an unusable secret was used")
	}
}

type blockedError struct{}

func (blockedError) Error() string { return "link-local address" }

var errBlocked error = blockedError{}

// TestDispatcherStats: attempts, deliveries and terminal failures are
// counted per tenant and subscription.
func TestDispatcherStats(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC)
	status := map[string]int{"/ok": 204, "/down": 503}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(status[r.URL.Path]) }))
	defer srv.Close()
	del, err := NewDeliverer(DelivererConfig{Client: srv.Client(), Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	ob := &memOutbox{}
	secret := mustSecret(t, 7)
	d, err := NewDispatcher(DispatcherConfig{Outbox: ob, Deliverer: del, Rand: func() float64 { return 0 },
		// A horizon shorter than the first retry: one failure is terminal.
		Schedule: Schedule{First: time.Minute, Factor: 2, Max: time.Hour, Horizon: time.Second},
		Targets: func(context.Context, string, string) ([]Subscription, error) {
			return []Subscription{{ID: "wh_ok", URL: srv.URL + "/ok", Secret: secret}, {ID: "wh_down", URL: srv.URL + "/down", Secret: secret}}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"msg_1", "msg_2"} {
		ob.add(Message{Tenant: "acme", ID: id, Event: Event{Type: "config.changed", Timestamp: t0, Data: []byte(`{}`)}, CreatedAt: t0, NextAt: t0})
		if ok, err := d.Dispatch(t.Context(), MessageRef{Tenant: "acme", Key: id}); !ok || err != nil {
			t.Fatalf("Dispatch = %v, %v", ok, err)
		}
	}
	want := []Stats{
		{Tenant: "acme", Subscription: "wh_down", Attempts: 2, Failed: 2},
		{Tenant: "acme", Subscription: "wh_ok", Attempts: 2, Delivered: 2},
	}
	got := d.Stats()
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("Stats() = %+v, want %+v", got, want)
	}
}

func TestExcerptOf(t *testing.T) {
	sec := mustSecret(t, 9)
	key, _ := DecodeSecret(sec)
	forms := secretForms(Subscription{Secret: sec}, [][]byte{key})
	long := strings.Repeat("a", MaxExcerpt-10)
	tests := []struct {
		name      string
		in        string
		want      string
		truncated bool
	}{
		{"plain", "ok", "ok", false},
		{"secret", "x" + sec + "y", "x[redacted]y", false},
		{"secret without prefix, padded and raw", strings.TrimPrefix(sec, SecretPrefix) + " " + base64.RawURLEncoding.EncodeToString(key),
			"[redacted] [redacted]", false},
		{"secret across the cut", long + sec + "tail", long + "[redacted]", true},
		{"cut inside a character", strings.Repeat("a", MaxExcerpt-1) + "é", strings.Repeat("a", MaxExcerpt-1), true},
		{"invalid UTF-8", "a\xffb", "a\uFFFDb", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := []byte(tt.in)
			if len(in) > MaxExcerpt+excerptSlack {
				in = in[:MaxExcerpt+excerptSlack]
			}
			got, truncated := excerptOf(in, MaxExcerpt, forms)
			if got != tt.want || truncated != tt.truncated {
				t.Fatalf("excerptOf = %q, %v; want %q, %v", got, truncated, tt.want, tt.truncated)
			}
		})
	}
	// Many secrets before the cut never pull a cut-off one's start in.
	many := strings.Repeat(sec, (MaxExcerpt+excerptSlack)/len(sec)+1)
	got, _ := excerptOf([]byte(many)[:MaxExcerpt+excerptSlack], MaxExcerpt, forms)
	if strings.Contains(got, sec[len(SecretPrefix):len(SecretPrefix)+8]) {
		t.Fatalf("a piece of a secret got through: %q", got)
	}
}

// FuzzExcerptOf: whatever a receiver answers, the excerpt is valid UTF-8,
// bounded, and holds no secret.
func FuzzExcerptOf(f *testing.F) {
	sec := "whsec_CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk="
	key, _ := DecodeSecret(sec)
	forms := secretForms(Subscription{Secret: sec}, [][]byte{key})
	f.Add([]byte("ok"))
	f.Add([]byte(strings.Repeat("x", MaxExcerpt-3) + sec))
	f.Add([]byte("\xff" + sec[:20] + sec))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > MaxExcerpt+excerptSlack {
			b = b[:MaxExcerpt+excerptSlack]
		}
		got, _ := excerptOf(b, MaxExcerpt, forms)
		if !utf8.ValidString(got) || len(got) > 3*MaxExcerpt {
			t.Fatalf("excerpt %q", got)
		}
		for _, fm := range forms {
			if strings.Contains(got, string(fm)) {
				t.Fatalf("excerpt %q holds a secret", got)
			}
		}
	})
}
