package gateway

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/portico/portico/internal/caller"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/problem"
	"github.com/portico/portico/internal/store"
)

// IdempotencyStore keeps Idempotency-Key records; every store.Store
// implements it. Conditional writes make the first request win on DynamoDB
// and on the embedded store alike.
type IdempotencyStore interface {
	Get(ctx context.Context, key store.Key) (store.Item, error)
	Put(ctx context.Context, item store.Item, cond store.Cond) error
	Delete(ctx context.Context, key store.Key, cond store.Cond) error
}

var _ IdempotencyStore = store.Store(nil)

const (
	// maxIdempotencyKeyLen bounds an Idempotency-Key value.
	maxIdempotencyKeyLen = 255
	// maxIdempotentBody bounds the request body read for the fingerprint.
	maxIdempotentBody = 6 << 20
	// maxStoredResponse bounds a kept response (one store item, with room
	// for the key and the record's other fields); larger ones are not kept.
	maxStoredResponse = store.MaxDataBytes * 3 / 4 // base64 in JSON
	// pendingTTL bounds how long a request that never finished (a crashed
	// instance) blocks its key.
	pendingTTL = 5 * time.Minute
)

// idempotencyStage is a model.IdempotencyPolicy compiled for serving.
type idempotencyStage struct {
	ttl      time.Duration
	required bool
}

func compileIdempotency(p *model.IdempotencyPolicy) *idempotencyStage {
	if p == nil {
		return nil
	}
	return &idempotencyStage{ttl: time.Duration(p.TTLSeconds) * time.Second, required: p.Required}
}

// idemRecord is the stored state of one key.
type idemRecord struct {
	Done        bool        `json:"done,omitempty"`
	Fingerprint string      `json:"fp"`
	Status      int         `json:"status,omitempty"`
	Header      http.Header `json:"header,omitempty"`
	Body        []byte      `json:"body,omitempty"`
}

const (
	versionPending = 1
	versionDone    = 2
)

// serveIdempotent runs next at most once per (tenant, caller, key): the
// first request writes an in-flight marker (IfAbsent), then its response
// (IfVersion of the marker) with the policy's TTL; repeats are answered from
// the store.
func (g *Gateway) serveIdempotent(w http.ResponseWriter, r *http.Request, res *resolution, next func(http.ResponseWriter, *http.Request) (*problem.Problem, error)) (*problem.Problem, error) {
	st := res.ep.idempotency
	raw := r.Header.Get("Idempotency-Key")
	if raw == "" {
		if st.required {
			return problem.BadRequest("", "this endpoint requires an Idempotency-Key header"), nil
		}
		return next(w, r)
	}
	key, ok := parseIdempotencyKey(raw)
	if !ok {
		return problem.BadRequest("", "the Idempotency-Key header must be 1-255 printable ASCII characters"), nil
	}
	db := g.cfg.Idempotency
	if db == nil {
		return problem.New(http.StatusServiceUnavailable, "policy-unavailable", "Service Unavailable",
			"this endpoint honours Idempotency-Key, which this gateway is not configured for; it fails closed"), nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxIdempotentBody+1))
	if err != nil {
		return nil, fmt.Errorf("read request body: %w", err)
	}
	if len(body) > maxIdempotentBody {
		return problem.New(http.StatusRequestEntityTooLarge, "body-too-large", "Content Too Large", "the request body is too large for an idempotent request"), nil
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	fp := fingerprint(r.Method, res.path, r.URL.RawQuery, body)

	c, _ := caller.From(r.Context())
	k := store.Key{PK: "IDEM#" + res.tenant, SK: c.ID() + "#" + hashHex(key)}
	now := g.cfg.Now()
	pend, _ := json.Marshal(idemRecord{Fingerprint: fp})
	pendTTL := min(st.ttl, pendingTTL)
	err = db.Put(r.Context(), store.Item{PK: k.PK, SK: k.SK, Version: versionPending, ExpiresAt: expiry(now, pendTTL), Data: pend}, store.IfAbsent())
	switch {
	case errors.Is(err, store.ErrConditionFailed):
		return g.idempotentRepeat(w, r, k, fp)
	case err != nil:
		return idemUnavailable(err), nil
	}

	cw := &keepWriter{ResponseWriter: w}
	p, err := next(cw, r)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 2*time.Second)
	defer cancel()
	if p != nil || err != nil || cw.code == 0 || cw.code >= 500 || cw.overflow {
		// Nothing worth replaying: free the key so that the client may retry.
		if derr := db.Delete(ctx, k, store.IfVersion(versionPending)); derr != nil && !errors.Is(derr, store.ErrConditionFailed) {
			g.log.WarnContext(ctx, "idempotency: free key", "tenant", res.tenant, "error", derr.Error())
		}
		return p, err
	}
	hdr := cw.header.Clone()
	delete(hdr, "X-Request-Id")
	done, _ := json.Marshal(idemRecord{Done: true, Fingerprint: fp, Status: cw.code, Header: hdr, Body: cw.body.Bytes()})
	if perr := db.Put(ctx, store.Item{PK: k.PK, SK: k.SK, Version: versionDone, ExpiresAt: expiry(now, st.ttl), Data: done}, store.IfVersion(versionPending)); perr != nil {
		g.log.WarnContext(ctx, "idempotency: keep response", "tenant", res.tenant, "error", perr.Error())
		_ = db.Delete(ctx, k, store.IfVersion(versionPending))
	}
	return nil, nil
}

// idempotentRepeat answers a request whose key is already taken.
func (g *Gateway) idempotentRepeat(w http.ResponseWriter, r *http.Request, k store.Key, fp string) (*problem.Problem, error) {
	it, err := g.cfg.Idempotency.Get(r.Context(), k)
	if errors.Is(err, store.ErrNotFound) {
		return inFlight(), nil // freed or expired just now: the client retries
	}
	if err != nil {
		return idemUnavailable(err), nil
	}
	var rec idemRecord
	if err := json.Unmarshal(it.Data, &rec); err != nil {
		return idemUnavailable(fmt.Errorf("decode idempotency record: %w", err)), nil
	}
	if rec.Fingerprint != fp {
		return problem.New(http.StatusUnprocessableEntity, "idempotency-key-reused", "Unprocessable Content",
			"this Idempotency-Key was used for a different request"), nil
	}
	if !rec.Done {
		return inFlight(), nil
	}
	h := w.Header()
	for name, vs := range rec.Header {
		h[name] = vs
	}
	h["Idempotent-Replayed"] = hdrTrue
	w.WriteHeader(rec.Status)
	if r.Method != http.MethodHead {
		_, err = w.Write(rec.Body)
	}
	return nil, err
}

func inFlight() *problem.Problem {
	p := problem.New(http.StatusConflict, "idempotency-key-in-flight", "Conflict",
		"a request with this Idempotency-Key is still being processed; retry later")
	p.Headers = http.Header{"Retry-After": {"1"}}
	return p
}

func idemUnavailable(err error) *problem.Problem {
	p := problem.New(http.StatusServiceUnavailable, "idempotency-unavailable", "Service Unavailable",
		"the idempotency store cannot be reached; retry").WithCause(err)
	p.Headers = http.Header{"Retry-After": {"1"}}
	return p
}

// parseIdempotencyKey accepts the draft's sf-string ("...") and, leniently,
// a bare token: 1-255 printable ASCII characters.
func parseIdempotencyKey(v string) (string, bool) {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	}
	if len(v) == 0 || len(v) > maxIdempotencyKeyLen {
		return "", false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return "", false
		}
	}
	return v, true
}

// fingerprint identifies a request for the reuse check: method, canonical
// path, query and body.
func fingerprint(method, path, query string, body []byte) string {
	h := sha256.New()
	for _, s := range []string{method, path, query} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

func hashHex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:16])
}

func expiry(now time.Time, ttl time.Duration) int64 {
	return now.Add(ttl + time.Second - 1).Unix()
}

// keepWriter passes a response through and keeps a copy to store.
type keepWriter struct {
	http.ResponseWriter
	code     int
	header   http.Header
	body     bytes.Buffer
	overflow bool
}

func (c *keepWriter) WriteHeader(code int) {
	if c.code == 0 && code >= 200 {
		c.code = code
		c.header = c.ResponseWriter.Header().Clone()
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *keepWriter) Write(b []byte) (int, error) {
	if c.code == 0 {
		c.WriteHeader(http.StatusOK)
	}
	if !c.overflow {
		if c.body.Len()+len(b) > maxStoredResponse {
			c.overflow = true
			c.body = bytes.Buffer{}
		} else {
			c.body.Write(b)
		}
	}
	return c.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (c *keepWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }
