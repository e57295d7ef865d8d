package webhook

import (
	"bytes"
	"crypto/hmac"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/portico/portico/internal/problem"
)

// DefaultTolerance is how far a webhook-timestamp may be from now.
const DefaultTolerance = 5 * time.Minute

// Verification errors.
var (
	// ErrMissingHeader means webhook-id, -timestamp or -signature is absent.
	ErrMissingHeader = errors.New("webhook: missing webhook-id, webhook-timestamp or webhook-signature")
	// ErrTimestamp means the timestamp is not a Unix time in seconds.
	ErrTimestamp = errors.New("webhook: malformed webhook-timestamp")
	// ErrTooOld means the message is older than the tolerance: a replay,
	// or a clock too far off.
	ErrTooOld = errors.New("webhook: message timestamp too old")
	// ErrTooNew means the timestamp is further in the future than the
	// tolerance.
	ErrTooNew = errors.New("webhook: message timestamp too new")
	// ErrSignature means no signature matches any secret.
	ErrSignature = errors.New("webhook: no matching signature")
)

// VerifierConfig configures a Verifier.
type VerifierConfig struct {
	// Secrets are accepted in turn ("whsec_..."): during a rotation, the
	// new one and the old one. At least one is required.
	Secrets []string
	// Tolerance bounds |now - webhook-timestamp|; zero means
	// DefaultTolerance.
	Tolerance time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Verifier checks inbound webhooks. It is safe for concurrent use.
type Verifier struct {
	keys      [][]byte
	tolerance time.Duration
	now       func() time.Time
}

// NewVerifier returns a Verifier.
func NewVerifier(cfg VerifierConfig) (*Verifier, error) {
	if len(cfg.Secrets) == 0 {
		return nil, errors.New("webhook: VerifierConfig.Secrets is required")
	}
	v := &Verifier{tolerance: cfg.Tolerance, now: cfg.Now}
	for i, s := range cfg.Secrets {
		k, err := DecodeSecret(s)
		if err != nil {
			return nil, fmt.Errorf("secret %d: %w", i, err)
		}
		v.keys = append(v.keys, k)
	}
	if v.tolerance <= 0 {
		v.tolerance = DefaultTolerance
	}
	if v.now == nil {
		v.now = time.Now
	}
	return v, nil
}

// Verify checks the headers of a message against its raw body: the
// timestamp within the tolerance, then any v1 signature matching any
// secret (compared in constant time). It returns the message id.
func (v *Verifier) Verify(h http.Header, body []byte) (string, error) {
	id, ts, sigs := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if id == "" || ts == "" || sigs == "" {
		return "", ErrMissingHeader
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sec < 0 || len(ts) > 12 {
		return "", ErrTimestamp
	}
	now := v.now().Unix()
	tol := int64(v.tolerance / time.Second)
	switch {
	case sec < now-tol:
		return "", ErrTooOld
	case sec > now+tol:
		return "", ErrTooNew
	}
	parsed := ParseSignatures(sigs)
	ok := false
	for _, k := range v.keys {
		want := mac(k, id, sec, body)
		for _, got := range parsed {
			// No early exit: every comparison runs whatever matched.
			if hmac.Equal(got, want) {
				ok = true
			}
		}
	}
	if !ok {
		return "", ErrSignature
	}
	return id, nil
}

// DefaultMaxBody bounds the body Middleware reads.
const DefaultMaxBody = 1 << 20

// Middleware verifies each request before next sees it (with the body
// restored): 401 problem when it does not verify, 413 when the body is
// larger than maxBody (zero means DefaultMaxBody).
func (v *Verifier) Middleware(maxBody int64, next http.Handler) http.Handler {
	if maxBody <= 0 {
		maxBody = DefaultMaxBody
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if err != nil {
			problem.Write(w, problem.BadRequest("", "the request body could not be read"))
			return
		}
		if int64(len(b)) > maxBody {
			problem.Write(w, problem.New(http.StatusRequestEntityTooLarge, "payload-too-large", "Content Too Large", "the webhook body is too large"))
			return
		}
		if _, err := v.Verify(r.Header, b); err != nil {
			problem.Write(w, problem.New(http.StatusUnauthorized, "webhook-signature", "Unauthorized", "the webhook signature or timestamp does not verify"))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(b))
		r.ContentLength = int64(len(b))
		next.ServeHTTP(w, r)
	})
}
