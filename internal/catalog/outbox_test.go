package catalog_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/integration/webhook"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/store/bolt"
	"github.com/portico/portico/internal/store/dynamo"
	"github.com/portico/portico/internal/testenv/dynamolocal"
)

// manualClock only moves when told to.
type manualClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type storeBackend struct {
	name string
	open func(t *testing.T, now func() time.Time) store.Store
}

var outboxTableSeq atomic.Int64

// boltBackend opens a fresh embedded store.
var boltBackend = storeBackend{"bolt", func(t *testing.T, now func() time.Time) store.Store {
	st, err := bolt.Open(t.Context(), bolt.Config{Path: filepath.Join(t.TempDir(), "outbox.db"), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}}

// backends are the embedded store and, unless -short, DynamoDB Local (one
// emulator, a fresh table per call).
func backends(t *testing.T) []storeBackend {
	t.Helper()
	out := []storeBackend{boltBackend}
	if testing.Short() {
		return out
	}
	endpoint := dynamolocal.Start(t)
	return append(out, storeBackend{"dynamodb", func(t *testing.T, now func() time.Time) store.Store {
		client := dynamolocal.NewClient(endpoint)
		table := "outbox" + strconv.FormatInt(outboxTableSeq.Add(1), 10)
		if err := dynamo.CreateTable(context.Background(), client, table); err != nil {
			t.Fatal(err)
		}
		st, err := dynamo.New(client, dynamo.Config{Table: table, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}})
}

// receiver is a webhook endpoint that checks signatures and answers each
// message's n-th request with script[n] (the last entry repeating). The
// subscription needs its URL and it needs the subscription's secret:
// expect sets the secret.
type receiver struct {
	srv *httptest.Server
	// path is where it receives: a port can be reused by another test
	// process's stray deliveries, which go elsewhere and are not counted.
	path   string
	now    func() time.Time
	mu     sync.Mutex
	verify *webhook.Verifier
	got    map[string]int // webhook-id -> requests
	bodies map[string][]byte
	bad    int // requests with a bad signature
	script []int
}

func newReceiver(t *testing.T, now func() time.Time, script ...int) *receiver {
	t.Helper()
	r := &receiver{got: map[string]int{}, bodies: map[string][]byte{}, script: script, now: now, path: "/hook/" + rand.Text()}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path != r.path {
			http.NotFound(w, req)
			return
		}
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		id := ""
		err := errors.New("no secret yet")
		if r.verify != nil {
			id, err = r.verify.Verify(req.Header, body)
		}
		if err != nil {
			r.bad++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		n := r.got[id]
		r.got[id]++
		r.bodies[id] = body
		w.WriteHeader(r.script[min(n, len(r.script)-1)])
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) expect(t *testing.T, secret string) {
	t.Helper()
	v, err := webhook.NewVerifier(webhook.VerifierConfig{Secrets: []string{secret}, Now: r.now})
	if err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.verify = v
}

// subscribed returns a receiver subscribed to events.
func (e *outboxEnv) subscribed(t *testing.T, events []string, script ...int) (*receiver, *model.WebhookSubscription) {
	t.Helper()
	r := newReceiver(t, e.clk.Now, script...)
	s, secret := e.subscribe(t, r.srv.URL+r.path, false, events...)
	r.expect(t, secret)
	return r, s
}

func (r *receiver) counts() (map[string]int, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]int, len(r.got))
	for k, v := range r.got {
		out[k] = v
	}
	return out, r.bad
}

// outboxEnv is a catalog with tenant acme on a backend, a manual clock and
// a dispatcher factory.
type outboxEnv struct {
	cat *catalog.Catalog
	clk *manualClock
}

func newOutboxEnv(t *testing.T, b storeBackend) *outboxEnv {
	t.Helper()
	clk := &manualClock{t: time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC)}
	cat, err := catalog.New(catalog.Config{Store: b.open(t, clk.Now), Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	must(t)(cat.CreateTenant(t.Context(), alice, &model.Tenant{ID: "acme", Name: "Acme"}))
	return &outboxEnv{cat: cat, clk: clk}
}

func (e *outboxEnv) dispatcher(t *testing.T, owner string, sched webhook.Schedule) *webhook.Dispatcher {
	t.Helper()
	del, err := webhook.NewDeliverer(webhook.DelivererConfig{Client: &http.Client{}, Log: e.cat, Now: e.clk.Now, AttemptTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	d, err := webhook.NewDispatcher(webhook.DispatcherConfig{
		Outbox: e.cat.WebhookOutbox(), Targets: e.cat.WebhookTargets, Deliverer: del,
		Schedule: sched, Lease: time.Minute, Owner: owner, Rand: func() float64 { return 0 },
	})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func (e *outboxEnv) subscribe(t *testing.T, url string, disabled bool, events ...string) (*model.WebhookSubscription, string) {
	t.Helper()
	e.clk.Advance(time.Millisecond)
	s, secret, err := e.cat.CreateWebhook(t.Context(), "acme", alice, &model.WebhookSubscription{URL: url, Events: events, Disabled: disabled})
	if err != nil {
		t.Fatal(err)
	}
	return s, secret
}

// change commits one configuration change (a new API), a millisecond
// after the previous one.
func (e *outboxEnv) change(t *testing.T, slug string) {
	t.Helper()
	e.clk.Advance(time.Millisecond)
	must(t)(e.cat.CreateAPI(t.Context(), "acme", bob, &model.API{Slug: slug, Name: slug, BasePath: "/" + slug}))
}

// discard marks every queued message done (the ones creating the
// subscriptions queued).
func (e *outboxEnv) discard(t *testing.T) {
	t.Helper()
	ob := e.cat.WebhookOutbox()
	for _, ref := range e.due(t) {
		m, err := ob.Load(t.Context(), ref)
		if err != nil {
			t.Fatal(err)
		}
		m.Done = true
		if err := ob.Save(t.Context(), &m); err != nil {
			t.Fatal(err)
		}
	}
}

func (e *outboxEnv) due(t *testing.T) []webhook.MessageRef {
	t.Helper()
	refs, err := e.cat.WebhookOutbox().Due(t.Context(), e.clk.Now(), 100)
	if err != nil {
		t.Fatal(err)
	}
	return refs
}

// TestOutboxQueuesWithChange: a change queues a config.changed message in
// its own transaction exactly when an enabled subscription wants the type.
func TestOutboxQueuesWithChange(t *testing.T) {
	cases := []struct {
		name     string
		events   []string
		disabled bool
		want     bool
	}{
		{"no subscription", nil, false, false},
		{"other event type", []string{"webhook.test"}, false, false},
		{"disabled subscription", []string{model.EventConfigChanged}, true, false},
		{"config.changed", []string{model.EventConfigChanged}, false, true},
		{"every event", []string{model.EventAll}, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newOutboxEnv(t, boltBackend)
			var woken []string
			e.cat.OnWebhookQueued(func(tenant string) { woken = append(woken, tenant) })
			if tc.events != nil {
				e.subscribe(t, "https://hooks.example.com/in", tc.disabled, tc.events...)
			}
			woken = nil // creating the subscription saw none yet
			e.change(t, "orders")
			refs := e.due(t)
			if got := len(refs) == 1; got != tc.want || len(refs) > 1 {
				t.Fatalf("due messages %v, want one: %v", refs, tc.want)
			}
			if !tc.want {
				if len(woken) != 0 {
					t.Fatalf("woken for %v", woken)
				}
				return
			}
			if len(woken) != 1 || woken[0] != "acme" {
				t.Fatalf("woken %v", woken)
			}
			m, err := e.cat.WebhookOutbox().Load(t.Context(), refs[0])
			if err != nil {
				t.Fatal(err)
			}
			var a model.AuditEntry
			if err := json.Unmarshal(m.Event.Data, &a); err != nil {
				t.Fatal(err)
			}
			audit, _, err := e.cat.ListAudit(t.Context(), "acme", catalog.AuditFilter{Limit: 1})
			if err != nil {
				t.Fatal(err)
			}
			want := audit[0]
			want.Before, want.After = nil, nil
			if a.ID != want.ID || a.Resource != "api/orders" || a.Action != "create" || a.Actor != bob.Subject || a.After != nil || m.ID != "msg_"+want.ID {
				t.Fatalf("message %+v data %+v, want the audit entry %+v without before/after", m, a, want)
			}
			if m.Event.Type != model.EventConfigChanged || !m.Event.Timestamp.Equal(want.Time) || m.Tenant != "acme" {
				t.Fatalf("event %+v", m)
			}
			// A refused change commits nothing, so queues nothing.
			if _, err := e.cat.CreateAPI(t.Context(), "acme", bob, &model.API{Slug: "orders", Name: "again", BasePath: "/again"}); err == nil {
				t.Fatal("duplicate API created")
			}
			if got := e.due(t); len(got) != 1 {
				t.Fatalf("after a refused change: %v", got)
			}
		})
	}
}

func TestOutboxRef(t *testing.T) {
	cases := []struct {
		pk, sk string
		ok     bool
	}{
		{catalog.OutboxPK("acme"), "MSG#msg_ab", true},
		{catalog.TenantPK("acme"), "MSG#x", false},
		{"WHOUT#", "MSG#x", false},
		{catalog.OutboxPK("acme"), "OTHER", false},
	}
	for _, tc := range cases {
		t.Run(tc.pk+"/"+tc.sk, func(t *testing.T) {
			ref, ok := catalog.OutboxRef(tc.pk, tc.sk)
			if ok != tc.ok || (ok && (ref.Tenant != "acme" || ref.Key != tc.sk)) {
				t.Fatalf("OutboxRef = %+v, %v", ref, ok)
			}
		})
	}
}

// TestDispatcherRetries drives the outbox on each backend against real
// receivers: a receiver that fails twice then succeeds gets the same
// webhook-id three times on the backoff schedule; one that never succeeds
// is failed at the horizon; a subscription deleted meanwhile is skipped.
func TestDispatcherRetries(t *testing.T) {
	sched := webhook.Schedule{First: 5 * time.Second, Factor: 3, Max: time.Hour, Horizon: 30 * time.Second, Jitter: 0.2}
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			e := newOutboxEnv(t, b)
			ctx := t.Context()
			cc := []string{model.EventConfigChanged}
			flaky, s0 := e.subscribed(t, cc, 503, 500, 204)
			down, s1 := e.subscribed(t, cc, 503)
			gone, s2 := e.subscribed(t, cc, 503)
			subs := []*model.WebhookSubscription{s0, s1, s2}
			e.discard(t)
			d := e.dispatcher(t, "d1", sched)
			e.change(t, "orders")

			drain := func(want int) {
				t.Helper()
				n, err := d.Drain(ctx)
				if err != nil || n != want {
					t.Fatalf("Drain = %d, %v; want %d messages", n, err, want)
				}
			}
			drain(1) // attempt 1 everywhere, all fail
			drain(0) // nothing due before the backoff
			if err := e.cat.DeleteWebhook(ctx, "acme", alice, subs[2].ID); err != nil {
				t.Fatal(err)
			}
			e.discard(t) // the deletion's own message
			e.clk.Advance(5 * time.Second)
			drain(1) // attempt 2: flaky 500, down 503, gone skipped
			e.clk.Advance(15*time.Second - time.Millisecond)
			drain(0)
			e.clk.Advance(time.Millisecond)
			drain(1) // attempt 3 at 20 s: flaky 204; down's next (45 s later) is past the 30 s horizon
			if refs := e.due(t); len(refs) != 0 {
				t.Fatalf("still due: %v", refs)
			}
			e.clk.Advance(time.Hour)
			drain(0)

			for _, tc := range []struct {
				name  string
				r     *receiver
				sub   string
				tries int
				state string
			}{
				{"flaky", flaky, subs[0].ID, 3, webhook.StateDelivered},
				{"down", down, subs[1].ID, 3, webhook.StateFailed},
				{"gone", gone, subs[2].ID, 1, ""},
			} {
				got, bad := tc.r.counts()
				if bad != 0 || len(got) != 1 {
					t.Fatalf("%s: received %v, %d bad signatures", tc.name, got, bad)
				}
				for id, n := range got {
					if n != tc.tries {
						t.Errorf("%s: %s received %d times, want %d", tc.name, id, n, tc.tries)
					}
				}
				if tc.state == "" {
					continue
				}
				ds, _, err := e.cat.ListDeliveries(ctx, "acme", tc.sub, 10, "")
				if err != nil || len(ds) != 1 {
					t.Fatalf("%s: deliveries %+v %v", tc.name, ds, err)
				}
				if ds[0].State != tc.state || len(ds[0].Attempts) != tc.tries {
					t.Errorf("%s: delivery %+v, want %s after %d attempts", tc.name, ds[0], tc.state, tc.tries)
				}
				if _, ok := got[ds[0].ID]; !ok {
					t.Errorf("%s: delivery id %s is not the webhook-id received %v", tc.name, ds[0].ID, got)
				}
			}
			// A manual retry sends at once whatever the state, same
			// webhook-id; after the horizon a failure fails it again.
			var msgID string
			for id := range flaky.bodies {
				msgID = id
			}
			ref := catalog.OutboxMessage("acme", msgID)
			for _, tc := range []struct {
				sub   string
				r     *receiver
				state string
			}{{subs[0].ID, flaky, webhook.StateDelivered}, {subs[1].ID, down, webhook.StateFailed}} {
				dl, err := d.Retry(ctx, ref, tc.sub)
				if err != nil || dl.State != tc.state || len(dl.Attempts) != 4 || dl.ID != msgID {
					t.Fatalf("retry %s: %+v %v", tc.sub, dl, err)
				}
				if got, _ := tc.r.counts(); got[msgID] != 4 {
					t.Fatalf("retry %s: received %v", tc.sub, got)
				}
			}
			if _, err := d.Retry(ctx, ref, "wh_unknown"); !errors.Is(err, webhook.ErrNoMessage) {
				t.Fatalf("retry to an unknown subscription: %v", err)
			}
			if _, err := d.Retry(ctx, catalog.OutboxMessage("acme", "msg_unknown"), subs[0].ID); !errors.Is(err, webhook.ErrNoMessage) {
				t.Fatalf("retry of an unknown message: %v", err)
			}

			// The body is the Standard Webhooks payload of the audit entry.
			for _, body := range flaky.bodies {
				var ev struct {
					Type string           `json:"type"`
					Data model.AuditEntry `json:"data"`
				}
				if err := json.Unmarshal(body, &ev); err != nil || ev.Type != model.EventConfigChanged || ev.Data.Resource != "api/orders" {
					t.Errorf("body %s: %v", body, err)
				}
			}
		})
	}
}

// TestDispatchersCompete: two dispatchers draining the same outbox at the
// same time send each message once per attempt.
func TestDispatchersCompete(t *testing.T) {
	const messages = 12
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			e := newOutboxEnv(t, b)
			r, _ := e.subscribed(t, []string{model.EventAll}, 503, 200) // first attempt fails, the retry succeeds
			for i := range messages {
				e.change(t, "api"+strconv.Itoa(i))
			}
			ds := []*webhook.Dispatcher{e.dispatcher(t, "d1", webhook.DefaultSchedule), e.dispatcher(t, "d2", webhook.DefaultSchedule)}
			race := func() int {
				t.Helper()
				var wg sync.WaitGroup
				var total atomic.Int64
				start := make(chan struct{})
				for _, d := range ds {
					wg.Go(func() {
						<-start
						n, err := d.Drain(t.Context())
						if err != nil {
							t.Error(err)
						}
						total.Add(int64(n))
					})
				}
				close(start)
				wg.Wait()
				return int(total.Load())
			}
			for round, want := range []int{1, 2} {
				if n := race(); n != messages {
					t.Fatalf("round %d: dispatched %d messages, want %d", round, n, messages)
				}
				got, bad := r.counts()
				if len(got) != messages || bad != 0 {
					t.Fatalf("round %d: received %d ids (%d bad)", round, len(got), bad)
				}
				for id, n := range got {
					if n != want {
						t.Errorf("round %d: %s received %d times, want %d", round, id, n, want)
					}
				}
				e.clk.Advance(webhook.DefaultSchedule.First)
			}
			if refs := e.due(t); len(refs) != 0 {
				t.Fatalf("still due: %v", refs)
			}
		})
	}
}

// TestDispatchLease: a message claimed by a dispatcher that then vanished
// is left alone until its lease runs out, then taken over.
func TestDispatchLease(t *testing.T) {
	e := newOutboxEnv(t, boltBackend)
	r, _ := e.subscribed(t, []string{model.EventConfigChanged}, 200)
	e.change(t, "orders")
	ob := e.cat.WebhookOutbox()
	refs := e.due(t)
	if len(refs) != 1 {
		t.Fatalf("due %v", refs)
	}
	m, err := ob.Load(t.Context(), refs[0])
	if err != nil {
		t.Fatal(err)
	}
	m.Lease = webhook.Lease{Owner: "crashed", Until: e.clk.Now().Add(time.Minute)}
	if err := ob.Save(t.Context(), &m); err != nil {
		t.Fatal(err)
	}
	stale := m
	stale.Version--
	if err := ob.Save(t.Context(), &stale); !errors.Is(err, webhook.ErrConflict) {
		t.Fatalf("stale save: %v", err)
	}
	d := e.dispatcher(t, "d2", webhook.DefaultSchedule)
	if _, err := d.Retry(t.Context(), refs[0], "wh_x"); !errors.Is(err, webhook.ErrBusy) {
		t.Fatalf("retry of a leased message: %v", err)
	}
	for _, step := range []struct {
		advance time.Duration
		want    bool
	}{{0, false}, {time.Minute - time.Millisecond, false}, {time.Millisecond, true}, {0, false}} {
		e.clk.Advance(step.advance)
		ok, err := d.Dispatch(t.Context(), refs[0])
		if err != nil || ok != step.want {
			t.Fatalf("after %v: Dispatch = %v, %v; want %v", step.advance, ok, err, step.want)
		}
	}
	if got, _ := r.counts(); len(got) != 1 {
		t.Fatalf("received %v", got)
	}
	// A missing message is not an error.
	if ok, err := d.Dispatch(t.Context(), webhook.MessageRef{Tenant: "acme", Key: "MSG#none"}); ok || err != nil {
		t.Fatalf("missing message: %v %v", ok, err)
	}
}

// countingStore counts queries of subscription items.
type countingStore struct {
	store.Store
	mu   sync.Mutex
	subs int
}

func (s *countingStore) Query(ctx context.Context, q store.Query) (store.Page, error) {
	if q.SKPrefix == "WH#" {
		s.mu.Lock()
		s.subs++
		s.mu.Unlock()
	}
	return s.Store.Query(ctx, q)
}

func (s *countingStore) reads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.subs
	s.subs = 0
	return n
}

// TestOutboxWantsCache: whether to queue costs one query of the
// subscriptions after a change of a subscription (or a change made through
// another catalog), and nothing for changes after that.
func TestOutboxWantsCache(t *testing.T) {
	clk := &manualClock{t: time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC)}
	st := &countingStore{Store: boltBackend.open(t, clk.Now)}
	cat, err := catalog.New(catalog.Config{Store: st, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	other, err := catalog.New(catalog.Config{Store: st, Now: clk.Now}) // another instance
	if err != nil {
		t.Fatal(err)
	}
	e := &outboxEnv{cat: cat, clk: clk}
	must(t)(cat.CreateTenant(t.Context(), alice, &model.Tenant{ID: "acme", Name: "Acme"}))
	steps := []struct {
		name  string
		do    func()
		reads int
		due   int // messages due after the step
	}{
		{"first change", func() { e.change(t, "a1") }, 1, 0},
		{"second change", func() { e.change(t, "a2") }, 0, 0},
		{"subscribe (counting the subscriptions)", func() { e.subscribe(t, "https://hooks.example.com/in", false, model.EventConfigChanged) }, 1, 0},
		{"change after subscribing", func() { e.change(t, "a3") }, 1, 1},
		{"next change", func() { e.change(t, "a4") }, 0, 2},
		{"change through another instance", func() {
			must(t)(other.CreateAPI(t.Context(), "acme", bob, &model.API{Slug: "a5", Name: "a5", BasePath: "/a5"}))
		}, 1, 3},
		{"change after it", func() { e.change(t, "a6") }, 1, 4},
		{"and then", func() { e.change(t, "a7") }, 0, 5},
	}
	for _, s := range steps {
		s.do()
		if n := st.reads(); n != s.reads {
			t.Errorf("%s: %d subscription queries, want %d", s.name, n, s.reads)
		}
		if n := len(e.due(t)); n != s.due {
			t.Errorf("%s: %d messages due, want %d", s.name, n, s.due)
		}
	}
}

// TestWebhookLimit: a tenant has at most MaxWebhooks subscriptions.
func TestWebhookLimit(t *testing.T) {
	e := newOutboxEnv(t, boltBackend)
	for range catalog.MaxWebhooks {
		e.subscribe(t, "https://hooks.example.com/in", false, "webhook.test")
	}
	_, _, err := e.cat.CreateWebhook(t.Context(), "acme", alice, &model.WebhookSubscription{URL: "https://hooks.example.com/in", Events: []string{"webhook.test"}})
	var ce *catalog.ConflictError
	if !errors.As(err, &ce) || !errors.Is(err, catalog.ErrInUse) {
		t.Fatalf("subscription %d: %v", catalog.MaxWebhooks+1, err)
	}
	list, _, err := e.cat.ListWebhooks(t.Context(), "acme", 100, "")
	if err != nil || len(list) != catalog.MaxWebhooks {
		t.Fatalf("%d subscriptions, %v", len(list), err)
	}
}
