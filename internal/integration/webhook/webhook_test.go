package webhook

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The published test vector of the Standard Webhooks reference libraries
// (github.com/standard-webhooks/standard-webhooks, libraries/go/
// webhook_test.go, TestWebhookSign; the same vector is in svix's).
const (
	vecSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vecID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vecTS     = 1614265330
	vecBody   = `{"test": 2432232314}`
	vecSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSignTestVector(t *testing.T) {
	for _, s := range []string{vecSecret, strings.TrimPrefix(vecSecret, SecretPrefix)} {
		key, err := DecodeSecret(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := Sign(key, vecID, time.Unix(vecTS, 0), []byte(vecBody)); got != vecSig {
			t.Fatalf("Sign() = %s, want %s", got, vecSig)
		}
	}
}

func TestNewSecret(t *testing.T) {
	s, err := NewSecret(bytes.NewReader(bytes.Repeat([]byte{7}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s, SecretPrefix) {
		t.Fatalf("secret %q has no prefix", s)
	}
	if k, err := DecodeSecret(s); err != nil || len(k) != 32 {
		t.Fatalf("DecodeSecret(%q) = %d bytes, %v", s, len(k), err)
	}
	for _, bad := range []string{"whsec_", "whsec_!!!", "whsec_" + strings.Repeat("A", 20), "whsec_" + strings.Repeat("A", 100)} {
		if _, err := DecodeSecret(bad); !errors.Is(err, ErrSecret) {
			t.Errorf("DecodeSecret(%q) = %v, want ErrSecret", bad, err)
		}
	}
	if _, err := NewSecret(strings.NewReader("short")); err == nil {
		t.Error("NewSecret with too little randomness succeeded")
	}
}

func vecHeader(sig string, ts int64) http.Header {
	h := http.Header{}
	h.Set(HeaderID, vecID)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	h.Set(HeaderSignature, sig)
	return h
}

func TestVerify(t *testing.T) {
	other, _ := NewSecret(bytes.NewReader(bytes.Repeat([]byte{1}, 32)))
	otherKey, _ := DecodeSecret(other)
	at := time.Unix(vecTS, 0)
	wrong := "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="
	tests := []struct {
		name    string
		secrets []string
		header  http.Header
		body    string
		now     time.Time
		err     error
	}{
		{"test vector", []string{vecSecret}, vecHeader(vecSig, vecTS), vecBody, at, nil},
		{"several signatures, one good", []string{vecSecret}, vecHeader(wrong+" v1a,abc v2,"+wrong[3:]+" "+vecSig, vecTS), vecBody, at, nil},
		{"rotation: old secret still accepted", []string{other, vecSecret}, vecHeader(vecSig, vecTS), vecBody, at, nil},
		{"rotation: sender signs with both", []string{other}, vecHeader(vecSig+" "+Sign(otherKey, vecID, at, []byte(vecBody)), vecTS), vecBody, at, nil},
		{"edge of the window", []string{vecSecret}, vecHeader(vecSig, vecTS), vecBody, at.Add(DefaultTolerance), nil},
		{"replayed after the window", []string{vecSecret}, vecHeader(vecSig, vecTS), vecBody, at.Add(DefaultTolerance + time.Second), ErrTooOld},
		{"from the future", []string{vecSecret}, vecHeader(vecSig, vecTS), vecBody, at.Add(-DefaultTolerance - time.Second), ErrTooNew},
		{"body changed", []string{vecSecret}, vecHeader(vecSig, vecTS), `{"test": 2432232315}`, at, ErrSignature},
		{"wrong secret", []string{other}, vecHeader(vecSig, vecTS), vecBody, at, ErrSignature},
		{"wrong signature", []string{vecSecret}, vecHeader(wrong, vecTS), vecBody, at, ErrSignature},
		{"only other versions", []string{vecSecret}, vecHeader("v1a,"+vecSig[3:]+" v2,"+vecSig[3:], vecTS), vecBody, at, ErrSignature},
		{"timestamp moved", []string{vecSecret}, vecHeader(vecSig, vecTS+1), vecBody, at, ErrSignature},
		{"malformed timestamp", []string{vecSecret}, func() http.Header { h := vecHeader(vecSig, vecTS); h.Set(HeaderTimestamp, "1e9"); return h }(), vecBody, at, ErrTimestamp},
		{"missing id", []string{vecSecret}, func() http.Header { h := vecHeader(vecSig, vecTS); h.Del(HeaderID); return h }(), vecBody, at, ErrMissingHeader},
		{"missing signature", []string{vecSecret}, func() http.Header { h := vecHeader(vecSig, vecTS); h.Del(HeaderSignature); return h }(), vecBody, at, ErrMissingHeader},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := NewVerifier(VerifierConfig{Secrets: tt.secrets, Now: func() time.Time { return tt.now }})
			if err != nil {
				t.Fatal(err)
			}
			id, err := v.Verify(tt.header, []byte(tt.body))
			if !errors.Is(err, tt.err) || (err == nil && id != vecID) {
				t.Fatalf("Verify() = %q, %v; want %v", id, err, tt.err)
			}
		})
	}
	if _, err := NewVerifier(VerifierConfig{}); err == nil {
		t.Error("NewVerifier without secrets succeeded")
	}
	if _, err := NewVerifier(VerifierConfig{Secrets: []string{"nope"}}); !errors.Is(err, ErrSecret) {
		t.Errorf("NewVerifier with a bad secret: %v", err)
	}
}

func TestMiddleware(t *testing.T) {
	v, _ := NewVerifier(VerifierConfig{Secrets: []string{vecSecret}, Now: func() time.Time { return time.Unix(vecTS, 0) }})
	var got string
	h := v.Middleware(64, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = string(b)
	}))
	tests := []struct {
		name, body, sig string
		status          int
	}{
		{"verified", vecBody, vecSig, 200},
		{"forged", `{"test": 1}`, vecSig, 401},
		{"too large", strings.Repeat("x", 65), vecSig, 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got = ""
			r := httptest.NewRequest("POST", "/hook", strings.NewReader(tt.body))
			r.Header = vecHeader(tt.sig, vecTS)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d", w.Code, tt.status)
			}
			if tt.status == 200 && got != tt.body {
				t.Fatalf("handler saw body %q", got)
			}
			if tt.status != 200 && (got != "" || w.Header().Get("Content-Type") != "application/problem+json") {
				t.Fatalf("handler ran or no problem: %q %q", got, w.Header().Get("Content-Type"))
			}
		})
	}
}

// FuzzParseSignatures: webhook-signature headers are untrusted.
func FuzzParseSignatures(f *testing.F) {
	for _, s := range []string{vecSig, "v1,a v1,b", "v1a,xyz " + vecSig, ",,, v1,", strings.Repeat(vecSig+" ", 20)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		sigs := ParseSignatures(h)
		if len(sigs) > maxSignatures {
			t.Fatalf("%d signatures", len(sigs))
		}
		for _, s := range sigs {
			if len(s) != 32 {
				t.Fatalf("signature of %d bytes", len(s))
			}
		}
		v, _ := NewVerifier(VerifierConfig{Secrets: []string{vecSecret}, Now: func() time.Time { return time.Unix(vecTS, 0) }})
		hdr := vecHeader(h, vecTS)
		if _, err := v.Verify(hdr, []byte(vecBody)); err == nil && !strings.Contains(h, vecSig[3:]) {
			t.Fatalf("verified %q without the signature", h)
		}
	})
}

// --- delivery ---

type memLog struct {
	mu sync.Mutex
	ds []Delivery
}

func (l *memLog) RecordDelivery(_ context.Context, tenant string, d Delivery) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ds = append(l.ds, d)
	return nil
}

func TestDeliver(t *testing.T) {
	type hit struct {
		id, ts, sig string
		body        []byte
	}
	tests := []struct {
		name     string
		statuses []int // answers in turn; the last repeats
		retryAt  string
		state    string
		attempts int
		delays   []time.Duration
	}{
		{"first try", []int{204}, "", StateDelivered, 1, nil},
		{"503 then 200", []int{503, 200}, "", StateDelivered, 2, []time.Duration{500 * time.Millisecond}},
		{"backoff doubles", []int{500, 500, 500, 200}, "", StateDelivered, 4, []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second}},
		{"Retry-After wins when longer", []int{429, 200}, "7", StateDelivered, 2, []time.Duration{7 * time.Second}},
		{"redirect is a failure", []int{302}, "", StateFailed, 3, []time.Duration{500 * time.Millisecond, time.Second}},
		{"gives up", []int{500}, "", StateFailed, 3, []time.Duration{500 * time.Millisecond, time.Second}},
	}
	secret, _ := NewSecret(bytes.NewReader(bytes.Repeat([]byte{9}, 32)))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			var hits []hit
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				mu.Lock()
				hits = append(hits, hit{r.Header.Get(HeaderID), r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderSignature), b})
				st := tt.statuses[min(len(hits), len(tt.statuses))-1]
				mu.Unlock()
				if tt.retryAt != "" {
					w.Header().Set("Retry-After", tt.retryAt)
				}
				if st == 302 {
					w.Header().Set("Location", "http://169.254.169.254/")
				}
				w.WriteHeader(st)
			}))
			defer srv.Close()
			clock := time.Unix(vecTS, 0)
			var delays []time.Duration
			log := &memLog{}
			d, err := NewDeliverer(DelivererConfig{
				Client: srv.Client(), Log: log, MaxAttempts: map[bool]int{true: 3, false: 5}[tt.state == StateFailed],
				Rand: func() float64 { return 0.5 },
				Sleep: func(_ context.Context, d time.Duration) error {
					delays = append(delays, d)
					clock = clock.Add(d)
					return nil
				},
				Now:   func() time.Time { return clock },
				NewID: func() string { return "msg_1" },
			})
			if err != nil {
				t.Fatal(err)
			}
			dl, err := d.Deliver(context.Background(), "acme", Subscription{ID: "sub1", URL: srv.URL, Secret: secret},
				Event{Type: "config.changed", Data: []byte(`{"resource":"api/orders"}`)})
			if (err == nil) != (tt.state == StateDelivered) || (err != nil && !errors.Is(err, ErrUndelivered)) {
				t.Fatalf("Deliver() error = %v", err)
			}
			if dl.State != tt.state || len(dl.Attempts) != tt.attempts || len(hits) != tt.attempts {
				t.Fatalf("state %s after %d attempts (%d hits), want %s after %d", dl.State, len(dl.Attempts), len(hits), tt.state, tt.attempts)
			}
			if len(delays) != len(tt.delays) {
				t.Fatalf("delays %v, want %v", delays, tt.delays)
			}
			for i := range delays {
				if delays[i] != tt.delays[i] {
					t.Fatalf("delays %v, want %v", delays, tt.delays)
				}
			}
			if len(log.ds) != 1 || log.ds[0].ID != "msg_1" {
				t.Fatalf("log %+v", log.ds)
			}
			for i, h := range hits {
				if h.id != "msg_1" {
					t.Errorf("attempt %d id %q: the id must stay the same", i, h.id)
				}
				if i > 0 && h.ts == hits[i-1].ts && len(tt.delays) > 0 && tt.delays[i-1] >= time.Second {
					t.Errorf("attempt %d reused timestamp %s", i, h.ts)
				}
				hdr := http.Header{}
				hdr.Set(HeaderID, h.id)
				hdr.Set(HeaderTimestamp, h.ts)
				hdr.Set(HeaderSignature, h.sig)
				v, _ := NewVerifier(VerifierConfig{Secrets: []string{secret}, Tolerance: time.Hour, Now: func() time.Time { return clock }})
				if _, err := v.Verify(hdr, h.body); err != nil {
					t.Errorf("attempt %d does not verify: %v", i, err)
				}
			}
			if !bytes.Contains(hits[0].body, []byte(`"type":"config.changed"`)) || !bytes.Contains(hits[0].body, []byte(`"data":{"resource":"api/orders"}`)) {
				t.Errorf("payload %s", hits[0].body)
			}
		})
	}
}

func TestDeliverChecksURL(t *testing.T) {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { calls++ }))
	defer srv.Close()
	secret, _ := NewSecret(bytes.NewReader(bytes.Repeat([]byte{9}, 32)))
	d, _ := NewDeliverer(DelivererConfig{Client: srv.Client(), MaxAttempts: 2,
		CheckURL: func(context.Context, string) error { return errors.New("169.254.169.254 is link-local") },
		Sleep:    func(context.Context, time.Duration) error { return nil }})
	dl, err := d.Deliver(context.Background(), "acme", Subscription{ID: "s", URL: srv.URL, Secret: secret}, Event{Type: "x"})
	if !errors.Is(err, ErrUndelivered) || calls != 0 || !strings.Contains(dl.Attempts[0].Error, "not an allowed destination") {
		t.Fatalf("err %v, calls %d, attempts %+v", err, calls, dl.Attempts)
	}
}
