package webhook

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"time"
)

// Delivery and target states besides StateDelivered and StateFailed.
const (
	// StatePending: not delivered yet, another attempt is scheduled.
	StatePending = "pending"
	// StateSkipped: the subscription was deleted, disabled or no longer
	// wants the event type before the message reached it.
	StateSkipped = "skipped"
)

// Outbox errors.
var (
	// ErrConflict is returned by Outbox.Save when the stored message is no
	// longer the version that was loaded: another dispatcher claimed or
	// updated it first.
	ErrConflict = errors.New("webhook: outbox message changed concurrently")
	// ErrNoMessage is returned by Outbox.Load for a message that does not
	// exist (never written, or expired after it was done), and by Retry
	// for a message that was never sent to the subscription.
	ErrNoMessage = errors.New("webhook: no such outbox message")
	// ErrBusy is returned by Retry while a dispatcher holds the message.
	ErrBusy = errors.New("webhook: message is being dispatched")
)

// MessageRef addresses one outbox message: its tenant and its key in the
// tenant's outbox (opaque to the dispatcher).
type MessageRef struct {
	Tenant string
	Key    string
}

// Message is one event queued for the subscriptions of a tenant: an outbox
// item, written in the same store transaction as the change it reports, and
// then updated by the dispatcher that holds its lease.
type Message struct {
	Tenant string `json:"tenant"`
	// ID is the webhook-id: the same for every subscription and attempt,
	// so receivers can drop duplicates.
	ID        string    `json:"id"`
	Event     Event     `json:"event"`
	CreatedAt time.Time `json:"createdAt"`
	// FannedOut is set when Targets were resolved (at the first dispatch).
	FannedOut bool     `json:"fannedOut,omitempty"`
	Targets   []Target `json:"targets,omitempty"`
	// NextAt is when the message is next due; Done when no target is
	// pending any more.
	NextAt time.Time `json:"nextAt,omitzero"`
	Done   bool      `json:"done,omitempty"`
	// Lease is held by the dispatcher working on the message; a lease whose
	// Until has passed is free (its holder crashed or lost the store).
	Lease Lease `json:"lease,omitzero"`

	// Ref and Version are the stored item's address and revision, set by
	// Outbox.Load and compared by Outbox.Save.
	Ref     MessageRef `json:"-"`
	Version int64      `json:"-"`
}

// Lease is a dispatcher's claim on a message.
type Lease struct {
	Owner string    `json:"owner"`
	Until time.Time `json:"until"`
}

// Due reports whether m should be dispatched at now: not done, due, and
// not leased.
func (m *Message) Due(now time.Time) bool {
	return !m.Done && !m.NextAt.After(now) && !m.Lease.Until.After(now)
}

// Target is the state of a message for one subscription.
type Target struct {
	Subscription string    `json:"subscription"`
	State        string    `json:"state"`
	NextAt       time.Time `json:"nextAt,omitzero"`
	// Tries counts attempts; Attempts keeps the most recent
	// maxKeptAttempts of them (the delivery log shows the same).
	Tries    int       `json:"tries"`
	Attempts []Attempt `json:"attempts,omitempty"`
}

// saveMargin is the time kept after an attempt, before ctx's deadline, to
// record it and save the message.
const saveMargin = 2 * time.Second

// maxKeptAttempts bounds the attempts a target (and its delivery log
// record) keeps, so a message item stays small whatever the schedule.
const maxKeptAttempts = 16

// maxErrorLen bounds an attempt's error text.
const maxErrorLen = 300

// maxMessageBytes bounds an encoded message, well under what stores keep
// in one item (store.MaxDataBytes, DynamoDB's 400 KB): fit drops older
// attempts of every target until the message fits.
const maxMessageBytes = 256 << 10

// fit trims the attempts m keeps per target (halving, down to the last
// one) until m encodes in maxMessageBytes.
func (m *Message) fit() {
	for keep := maxKeptAttempts / 2; keep >= 1; keep /= 2 {
		if b, err := json.Marshal(m); err != nil || len(b) <= maxMessageBytes {
			return
		}
		for i := range m.Targets {
			if a := m.Targets[i].Attempts; len(a) > keep {
				m.Targets[i].Attempts = append(a[:0:0], a[len(a)-keep:]...)
			}
		}
	}
}

// Outbox stores messages; the catalog implements it over the store.
type Outbox interface {
	// Due returns up to limit messages that are due at now (or whose
	// lease has expired), the longest-waiting first.
	Due(ctx context.Context, now time.Time, limit int) ([]MessageRef, error)
	// Load reads a message (ErrNoMessage when there is none).
	Load(ctx context.Context, ref MessageRef) (Message, error)
	// Save writes m if the stored revision is still m.Version (else
	// ErrConflict) and advances m.Version.
	Save(ctx context.Context, m *Message) error
}

// TargetSource lists the subscriptions of a tenant that want an event type,
// with their secrets (catalog.WebhookTargets). Disabled subscriptions are
// not listed.
type TargetSource func(ctx context.Context, tenant, typ string) ([]Subscription, error)

// Schedule is the retry schedule of outbox deliveries: after the n-th
// failed attempt the next one waits First * Factor^(n-1), capped at Max,
// less up to Jitter of it at random; a target whose next attempt would
// fall after CreatedAt + Horizon is failed instead.
type Schedule struct {
	First   time.Duration
	Factor  float64
	Max     time.Duration
	Horizon time.Duration
	Jitter  float64
}

// DefaultSchedule: 5 s, 15 s, 45 s, 2m15s, ... up to 4 h between attempts,
// about 13 attempts over 24 h (the Standard Webhooks recommendation of
// retrying for about a day).
var DefaultSchedule = Schedule{First: 5 * time.Second, Factor: 3, Max: 4 * time.Hour, Horizon: 24 * time.Hour, Jitter: 0.2}

// Delay is the wait after the n-th failed attempt (n >= 1); rnd returns a
// float in [0, 1).
func (s Schedule) Delay(n int, rnd func() float64) time.Duration {
	d := float64(s.First) * math.Pow(s.Factor, float64(max(n, 1)-1))
	if d > float64(s.Max) || math.IsInf(d, 0) || math.IsNaN(d) {
		d = float64(s.Max)
	}
	return time.Duration(d * (1 - s.Jitter*rnd()))
}

// Defaults of DispatcherConfig.
const (
	DefaultLease    = 2 * time.Minute
	DefaultParallel = 8
	DefaultBatch    = 100
	maxBatches      = 50
)

// DispatcherConfig configures a Dispatcher.
type DispatcherConfig struct {
	Outbox  Outbox       // required
	Targets TargetSource // required
	// Deliverer sends single attempts (its Client, CheckURL, AttemptTimeout
	// and Now) and records deliveries in its Log. Required.
	Deliverer *Deliverer
	// Schedule is the retry schedule; zero means DefaultSchedule.
	Schedule Schedule
	// Lease is how long a claim holds; zero means DefaultLease. Attempts
	// that could not finish within it are left for the next dispatch.
	Lease time.Duration
	// Parallel bounds the messages a Drain works on at once, and the
	// concurrent attempts of one message.
	Parallel int
	// Batch is how many due messages one query returns.
	Batch int
	// Owner names this dispatcher in leases; empty means a random name.
	Owner string
	// Now is the clock; nil means the Deliverer's.
	Now func() time.Time
	// Rand returns a float in [0, 1) for jitter; nil means math/rand/v2.
	Rand   func() float64
	Logger *slog.Logger
}

// Dispatcher drains the outbox: it claims due messages with a lease
// (a conditional write, so one dispatcher at a time works on a message),
// sends one attempt to each subscription whose turn it is, records the
// attempts in the delivery log and schedules the next ones. Delivery is
// at least once: a dispatcher that loses its lease mid-attempt may see its
// attempt repeated, with the same webhook-id. It is safe for concurrent use.
type Dispatcher struct {
	cfg   DispatcherConfig
	wake  chan struct{}
	stats dispatchStats // stats.go
}

// NewDispatcher returns a Dispatcher.
func NewDispatcher(cfg DispatcherConfig) (*Dispatcher, error) {
	switch {
	case cfg.Outbox == nil:
		return nil, errors.New("webhook: DispatcherConfig.Outbox is required")
	case cfg.Targets == nil:
		return nil, errors.New("webhook: DispatcherConfig.Targets is required")
	case cfg.Deliverer == nil:
		return nil, errors.New("webhook: DispatcherConfig.Deliverer is required")
	}
	if cfg.Schedule == (Schedule{}) {
		cfg.Schedule = DefaultSchedule
	}
	if cfg.Schedule.First <= 0 || cfg.Schedule.Factor < 1 || cfg.Schedule.Max < cfg.Schedule.First || cfg.Schedule.Horizon <= 0 || cfg.Schedule.Jitter < 0 || cfg.Schedule.Jitter >= 1 {
		return nil, fmt.Errorf("webhook: invalid schedule %+v", cfg.Schedule)
	}
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultLease
	}
	if cfg.Lease <= cfg.Deliverer.cfg.AttemptTimeout {
		return nil, errors.New("webhook: the lease must be longer than an attempt")
	}
	if cfg.Parallel <= 0 {
		cfg.Parallel = DefaultParallel
	}
	if cfg.Batch <= 0 {
		cfg.Batch = DefaultBatch
	}
	if cfg.Owner == "" {
		var b [6]byte
		_, _ = crand.Read(b[:])
		cfg.Owner = "dispatcher-" + hex.EncodeToString(b[:])
	}
	if cfg.Now == nil {
		cfg.Now = cfg.Deliverer.cfg.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Float64
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Dispatcher{cfg: cfg, wake: make(chan struct{}, 1)}, nil
}

// Wake asks a running Run loop to drain now (a message was queued). It
// never blocks.
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run drains the outbox at once, then whenever Wake is called or tick
// fires (retries come due), until ctx is done. It returns once the
// attempts in flight have ended (each is bounded by AttemptTimeout) and
// their outcome is saved; no attempt starts after ctx is done.
func (d *Dispatcher) Run(ctx context.Context, tick <-chan time.Time) {
	for {
		if _, err := d.Drain(ctx); err != nil && ctx.Err() == nil {
			d.cfg.Logger.Error("webhook outbox drain", "error", err.Error())
		}
		select {
		case <-ctx.Done():
			return
		case <-d.wake:
		case <-tick:
		}
	}
}

// Drain dispatches the messages due now, up to Parallel at a time, batch
// after batch while batches come back full, and returns how many it
// dispatched. Errors of single messages are joined; the others are still
// dispatched. It stops early when ctx is done.
func (d *Dispatcher) Drain(ctx context.Context) (int, error) {
	var (
		mu   sync.Mutex
		n    int
		errs []error
	)
	for range maxBatches {
		refs, err := d.cfg.Outbox.Due(ctx, d.cfg.Now(), d.cfg.Batch)
		if err != nil {
			return n, fmt.Errorf("list due webhook messages: %w", err)
		}
		before := n
		var wg sync.WaitGroup
		sem := make(chan struct{}, d.cfg.Parallel)
		for _, ref := range refs {
			if ctx.Err() != nil {
				break
			}
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				ok, err := d.Dispatch(ctx, ref)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
				}
				if ok {
					n++
				}
			})
		}
		wg.Wait()
		if ctx.Err() != nil {
			return n, errors.Join(append(errs, ctx.Err())...)
		}
		if len(refs) < d.cfg.Batch || n == before {
			break
		}
	}
	return n, errors.Join(errs...)
}

// Dispatch works on one message if it is due and this dispatcher wins the
// claim, and reports whether it did. A message that is not due, done,
// gone or claimed by another dispatcher is not an error.
func (d *Dispatcher) Dispatch(ctx context.Context, ref MessageRef) (bool, error) {
	m, err := d.cfg.Outbox.Load(ctx, ref)
	if errors.Is(err, ErrNoMessage) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("load webhook message %s/%s: %w", ref.Tenant, ref.Key, err)
	}
	now := d.cfg.Now()
	if !m.Due(now) {
		return false, nil
	}
	m.Lease = Lease{Owner: d.cfg.Owner, Until: now.Add(d.cfg.Lease)}
	switch err := d.cfg.Outbox.Save(ctx, &m); {
	case errors.Is(err, ErrConflict):
		return false, nil // another dispatcher claimed it first
	case err != nil:
		return false, fmt.Errorf("claim webhook message %s: %w", m.ID, err)
	}
	if err := d.process(ctx, &m); err != nil {
		return true, err
	}
	return true, nil
}

// Retry sends a message to one of its subscriptions now, whatever the
// target's state (delivered, failed, skipped or waiting for its next
// attempt), and returns its delivery as recorded. A failed attempt is
// scheduled like any other while the message is within the schedule's
// horizon, and fails the target after it. Other targets that are due are
// sent too. The message must not be leased (ErrBusy).
func (d *Dispatcher) Retry(ctx context.Context, ref MessageRef, sub string) (Delivery, error) {
	m, err := d.cfg.Outbox.Load(ctx, ref)
	if err != nil {
		return Delivery{}, fmt.Errorf("load webhook message %s: %w", ref.Key, err)
	}
	now := d.cfg.Now()
	if m.Lease.Until.After(now) {
		return Delivery{}, ErrBusy
	}
	i := slices.IndexFunc(m.Targets, func(t Target) bool { return t.Subscription == sub })
	if i < 0 {
		return Delivery{}, fmt.Errorf("message %s to subscription %s: %w", m.ID, sub, ErrNoMessage)
	}
	m.Targets[i].State, m.Targets[i].NextAt = StatePending, now
	m.Done, m.NextAt = false, now
	m.Lease = Lease{Owner: d.cfg.Owner, Until: now.Add(d.cfg.Lease)}
	switch err := d.cfg.Outbox.Save(ctx, &m); {
	case errors.Is(err, ErrConflict):
		return Delivery{}, ErrBusy
	case err != nil:
		return Delivery{}, fmt.Errorf("claim webhook message %s: %w", m.ID, err)
	}
	if err := d.process(ctx, &m); err != nil {
		return Delivery{}, err
	}
	t := m.Targets[i]
	return Delivery{ID: m.ID, Subscription: sub, EventType: m.Event.Type, State: t.State, CreatedAt: m.CreatedAt, Attempts: t.Attempts}, nil
}

// process sends the due attempts of a claimed message and saves the
// outcome, releasing the lease.
func (d *Dispatcher) process(ctx context.Context, m *Message) error {
	subs, err := d.cfg.Targets(ctx, m.Tenant, m.Event.Type)
	if err != nil {
		// The lease expires and the message comes due again.
		return fmt.Errorf("webhook targets of %s: %w", m.Tenant, err)
	}
	now := d.cfg.Now()
	if !m.FannedOut {
		m.FannedOut = true
		for _, s := range subs {
			m.Targets = append(m.Targets, Target{Subscription: s.ID, State: StatePending, NextAt: now})
		}
	}
	byID := make(map[string]Subscription, len(subs))
	for _, s := range subs {
		byID[s.ID] = s
	}
	body, err := json.Marshal(m.Event)
	if err != nil {
		return fmt.Errorf("encode webhook event: %w", err)
	}
	// Attempts that could not end before the lease does (on the injected
	// clock) or before ctx's deadline (the Lambda's, on the real clock) are
	// left for the next dispatch: another dispatcher may own the message by
	// then.
	leaseEnd := m.Lease.Until.Add(-d.cfg.Lease / 10)
	timeout := d.cfg.Deliverer.cfg.AttemptTimeout
	noTime := func() bool {
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < timeout+saveMargin {
			return true
		}
		return ctx.Err() != nil || d.cfg.Now().Add(timeout).After(leaseEnd)
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, d.cfg.Parallel)
	for i := range m.Targets {
		t := &m.Targets[i]
		if t.State != StatePending || t.NextAt.After(now) {
			continue
		}
		sub, ok := byID[t.Subscription]
		if !ok {
			t.State, t.NextAt = StateSkipped, time.Time{}
			if t.Tries > 0 {
				d.record(ctx, m, t)
			}
			continue
		}
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			if noTime() {
				return // still due: the next dispatch sends it
			}
			// An attempt once started is finished (AttemptTimeout bounds
			// it) and recorded, even when ctx ends meanwhile (shutdown).
			d.try(context.WithoutCancel(ctx), m, t, sub, body)
		})
	}
	wg.Wait()

	m.Done, m.NextAt, m.Lease = true, time.Time{}, Lease{}
	for _, t := range m.Targets {
		if t.State != StatePending {
			continue
		}
		if m.Done || t.NextAt.Before(m.NextAt) {
			m.NextAt = t.NextAt
		}
		m.Done = false
	}
	m.fit()
	// Saved even when ctx was cancelled (shutdown), so the outcome of the
	// attempts made is kept and the lease released.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	switch err := d.cfg.Outbox.Save(sctx, m); {
	case errors.Is(err, ErrConflict):
		// The lease ran out and another dispatcher took over: it will send
		// again what this one did (at least once, same webhook-id).
		d.cfg.Logger.Warn("webhook message lease lost", "tenant", m.Tenant, "message", m.ID)
		return nil
	case err != nil:
		return fmt.Errorf("save webhook message %s: %w", m.ID, err)
	}
	return nil
}

// try sends one attempt to one target and schedules the next one.
func (d *Dispatcher) try(ctx context.Context, m *Message, t *Target, sub Subscription, body []byte) {
	keys, err := sub.keys()
	if err != nil {
		t.Tries++
		a := Attempt{At: d.cfg.Now().UTC(), Error: "the subscription's signing secret is unusable"}
		t.keep(a)
		t.State, t.NextAt = StateFailed, time.Time{}
		d.stats.count(m.Tenant, t.Subscription, t.State)
		d.record(ctx, m, t)
		d.logAttempt(m, t, a)
		return
	}
	a, retryAfter, _ := d.cfg.Deliverer.attempt(ctx, keys, sub, m.ID, body, 0)
	if len(a.Error) > maxErrorLen {
		a.Error = a.Error[:maxErrorLen]
	}
	t.Tries++
	t.keep(a)
	if a.Status >= 200 && a.Status < 300 {
		t.State, t.NextAt = StateDelivered, time.Time{}
	} else {
		s := d.cfg.Schedule
		wait := s.Delay(t.Tries, d.cfg.Rand)
		if retryAfter > wait {
			wait = min(retryAfter, s.Max)
		}
		next := d.cfg.Now().Add(wait)
		if next.After(m.CreatedAt.Add(s.Horizon)) {
			t.State, t.NextAt = StateFailed, time.Time{}
		} else {
			t.NextAt = next
		}
	}
	d.stats.count(m.Tenant, t.Subscription, t.State)
	d.record(ctx, m, t)
	d.logAttempt(m, t, a)
}

// logAttempt writes one line per attempt: no URL (tenants put tokens in
// them) and no body.
func (d *Dispatcher) logAttempt(m *Message, t *Target, a Attempt) {
	attrs := []any{"tenant", m.Tenant, "message", m.ID, "subscription", t.Subscription, "eventType", m.Event.Type,
		"tries", t.Tries, "status", a.Status, "durationMs", a.DurationMs}
	switch t.State {
	case StateDelivered:
		d.cfg.Logger.Info("webhook delivered", attrs...)
	case StateFailed:
		d.cfg.Logger.Warn("webhook delivery failed", append(attrs, "error", a.Error)...)
	default:
		d.cfg.Logger.Info("webhook attempt failed", append(attrs, "error", a.Error, "nextAt", t.NextAt)...)
	}
}

func (t *Target) keep(a Attempt) {
	t.Attempts = append(t.Attempts, a)
	if n := len(t.Attempts); n > maxKeptAttempts {
		t.Attempts = append(t.Attempts[:0:0], t.Attempts[n-maxKeptAttempts:]...)
	}
}

// record writes the target's delivery (one record per message and
// subscription, rewritten after each attempt) to the delivery log.
func (d *Dispatcher) record(ctx context.Context, m *Message, t *Target) {
	lg := d.cfg.Deliverer.cfg.Log
	if lg == nil {
		return
	}
	dl := Delivery{ID: m.ID, Subscription: t.Subscription, EventType: m.Event.Type, State: t.State, CreatedAt: m.CreatedAt,
		Attempts: append([]Attempt(nil), t.Attempts...)}
	if err := lg.RecordDelivery(context.WithoutCancel(ctx), m.Tenant, dl); err != nil {
		d.cfg.Logger.Error("record webhook delivery", "tenant", m.Tenant, "message", m.ID, "subscription", t.Subscription, "error", err.Error())
	}
}
