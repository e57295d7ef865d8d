package webhook

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/portico/portico/internal/integration/retry"
)

// Event is something that happened in a tenant, sent to the subscriptions
// of its Type. The payload is {"type", "timestamp", "data"} (the
// structure Standard Webhooks recommends).
type Event struct {
	Type      string          `json:"type"` // "config.changed"
	Timestamp time.Time       `json:"timestamp"`
	Data      json.RawMessage `json:"data"`
}

// Subscription is where a tenant receives events.
type Subscription struct {
	ID     string
	URL    string
	Secret string // "whsec_..."
	// Previous is the secret before the last rotation while its grace
	// period lasts, "" otherwise: deliveries are signed with both.
	Previous string
}

// keys returns the signing keys of sub: its secret's, then its previous
// secret's when it has a usable one.
func (sub Subscription) keys() ([][]byte, error) {
	k, err := DecodeSecret(sub.Secret)
	if err != nil {
		return nil, err
	}
	keys := [][]byte{k}
	if sub.Previous != "" {
		if p, err := DecodeSecret(sub.Previous); err == nil {
			keys = append(keys, p)
		}
	}
	return keys, nil
}

// Delivery states.
const (
	StateDelivered = "delivered"
	StateFailed    = "failed"
)

// Attempt is one try of a delivery.
type Attempt struct {
	At         time.Time `json:"at"`
	Status     int       `json:"status,omitempty"` // 0: no answer
	Error      string    `json:"error,omitempty"`
	DurationMs int64     `json:"durationMs"`
}

// Delivery is the log record of one event sent to one subscription.
type Delivery struct {
	ID           string    `json:"id"` // the webhook-id, the same across attempts
	Subscription string    `json:"subscription"`
	EventType    string    `json:"eventType"`
	State        string    `json:"state"`
	CreatedAt    time.Time `json:"createdAt"`
	Attempts     []Attempt `json:"attempts"`
}

// Log records deliveries; the catalog implements it.
type Log interface {
	RecordDelivery(ctx context.Context, tenant string, d Delivery) error
}

// Defaults of DelivererConfig.
const (
	DefaultMaxAttempts    = 5
	DefaultBaseDelay      = time.Second
	DefaultMaxDelay       = 5 * time.Minute
	DefaultAttemptTimeout = 10 * time.Second
)

// DelivererConfig configures a Deliverer.
type DelivererConfig struct {
	// Client sends the requests; build it on the SSRF-guarded transport
	// so each dialled address is checked. Redirects are never followed.
	// Required.
	Client *http.Client
	// CheckURL re-checks a subscription URL before each delivery (the
	// SSRF guard's save-time check); nil skips it.
	CheckURL func(ctx context.Context, rawURL string) error
	// Log records every delivery; nil keeps none.
	Log Log
	// MaxAttempts includes the first; zero means DefaultMaxAttempts.
	MaxAttempts int
	// BaseDelay and MaxDelay shape the backoff (full jitter).
	BaseDelay, MaxDelay time.Duration
	// AttemptTimeout bounds one attempt.
	AttemptTimeout time.Duration
	// Rand returns a float in [0, 1); nil means math/rand/v2.
	Rand func() float64
	// Sleep waits d or until ctx is done; nil means a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock of timestamps; nil means time.Now.
	Now func() time.Time
	// NewID returns message ids; nil means "msg_" and 16 random hex digits.
	NewID func() string
}

// Deliverer sends events to subscriptions. It is safe for concurrent use.
type Deliverer struct {
	cfg    DelivererConfig
	policy retry.Policy
	wg     sync.WaitGroup
}

// ErrUndelivered is returned when every attempt failed.
var ErrUndelivered = errors.New("webhook: not delivered")

// NewDeliverer returns a Deliverer.
func NewDeliverer(cfg DelivererConfig) (*Deliverer, error) {
	if cfg.Client == nil {
		return nil, errors.New("webhook: DelivererConfig.Client is required")
	}
	c := *cfg.Client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	cfg.Client = &c
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.BaseDelay <= 0 {
		cfg.BaseDelay = DefaultBaseDelay
	}
	if cfg.MaxDelay <= 0 {
		cfg.MaxDelay = max(DefaultMaxDelay, cfg.BaseDelay)
	}
	if cfg.AttemptTimeout <= 0 {
		cfg.AttemptTimeout = DefaultAttemptTimeout
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Float64
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleep
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.NewID == nil {
		cfg.NewID = newID
	}
	return &Deliverer{cfg: cfg, policy: retry.Policy{MaxAttempts: cfg.MaxAttempts, BaseDelay: cfg.BaseDelay, MaxDelay: cfg.MaxDelay}}, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func newID() string {
	var b [8]byte
	_, _ = crand.Read(b[:])
	return "msg_" + hex.EncodeToString(b[:])
}

// Deliver sends ev to sub until a 2xx answer or MaxAttempts, waiting the
// backoff (or a longer Retry-After, up to retry.MaxRetryAfter) between
// attempts, and records the delivery in the log. Each attempt carries the
// same webhook-id and a fresh timestamp and signature. The error is
// ErrUndelivered (wrapped with the last failure), a bad secret, or ctx's.
func (d *Deliverer) Deliver(ctx context.Context, tenant string, sub Subscription, ev Event) (Delivery, error) {
	dl := Delivery{ID: d.cfg.NewID(), Subscription: sub.ID, EventType: ev.Type, CreatedAt: d.cfg.Now().UTC(), State: StateFailed}
	keys, err := sub.keys()
	if err != nil {
		return dl, err
	}
	if ev.Timestamp.IsZero() {
		ev.Timestamp = dl.CreatedAt
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return dl, fmt.Errorf("webhook: encode event: %w", err)
	}
	var last error
	for n := 1; n <= d.cfg.MaxAttempts; n++ {
		a, retryAfter, _ := d.attempt(ctx, keys, sub, dl.ID, body, 0)
		dl.Attempts = append(dl.Attempts, a)
		if a.Status >= 200 && a.Status < 300 {
			dl.State, last = StateDelivered, nil
			break
		}
		last = fmt.Errorf("attempt %d: status %d %s", n, a.Status, a.Error)
		if n == d.cfg.MaxAttempts || ctx.Err() != nil {
			break
		}
		wait := d.policy.Backoff(n, d.cfg.Rand)
		if retryAfter > wait && retryAfter <= retry.MaxRetryAfter {
			wait = retryAfter
		}
		if err := d.cfg.Sleep(ctx, wait); err != nil {
			last = err
			break
		}
	}
	if d.cfg.Log != nil {
		if err := d.cfg.Log.RecordDelivery(context.WithoutCancel(ctx), tenant, dl); err != nil && last == nil {
			return dl, fmt.Errorf("webhook: record delivery: %w", err)
		}
	}
	if last != nil {
		return dl, fmt.Errorf("%w to subscription %s: %w", ErrUndelivered, sub.ID, last)
	}
	return dl, nil
}

// attempt sends one request, signed with every key, and returns up to
// keep bytes of the answer's body.
func (d *Deliverer) attempt(ctx context.Context, keys [][]byte, sub Subscription, id string, body []byte, keep int) (a Attempt, retryAfter time.Duration, excerpt []byte) {
	now := d.cfg.Now()
	a.At = now.UTC()
	start := time.Now()
	defer func() { a.DurationMs = time.Since(start).Milliseconds() }()
	if d.cfg.CheckURL != nil {
		if err := d.cfg.CheckURL(ctx, sub.URL); err != nil {
			a.Error = "the URL is not an allowed destination: " + err.Error()
			return a, 0, nil
		}
	}
	ctx, cancel := context.WithTimeout(ctx, d.cfg.AttemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sub.URL, bytes.NewReader(body))
	if err != nil {
		a.Error = "bad URL"
		return a, 0, nil
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Portico-Webhooks/1")
	req.Header.Set(HeaderID, id)
	req.Header.Set(HeaderTimestamp, fmt.Sprint(now.Unix()))
	req.Header.Set(HeaderSignature, SignAll(keys, id, now, body))
	resp, err := d.cfg.Client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL, which the log has already
		}
		a.Error = "no answer: " + err.Error()
		return a, 0, nil
	}
	if keep > 0 {
		excerpt, _ = io.ReadAll(io.LimitReader(resp.Body, int64(keep)))
	}
	_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
	_ = resp.Body.Close()
	a.Status = resp.StatusCode
	ra, _ := retry.RetryAfter(resp.Header.Get("Retry-After"), now)
	return a, ra, excerpt
}

// Go runs Deliver in the background (an event must not hold up the
// request that caused it); Wait waits for those in flight.
func (d *Deliverer) Go(ctx context.Context, tenant string, sub Subscription, ev Event) {
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		_, _ = d.Deliver(context.WithoutCancel(ctx), tenant, sub, ev)
	}()
}

// Wait blocks until every delivery started by Go has finished.
func (d *Deliverer) Wait() { d.wg.Wait() }
