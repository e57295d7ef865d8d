package identity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// KeySource returns the verification keys with a given key id. An unknown
// kid yields no keys and a nil error; an error means the keys could not be
// obtained at all (the caller should answer 503, not 401).
type KeySource interface {
	Keys(ctx context.Context, kid string) ([]jose.JSONWebKey, error)
}

// StaticKeys is a KeySource over a fixed set. Private keys in set are
// reduced to their public halves; symmetric keys and keys without a kid
// are dropped.
func StaticKeys(set jose.JSONWebKeySet) KeySource {
	s := staticKeys{}
	for _, k := range set.Keys {
		// Public drops symmetric keys to an empty key; skip those.
		if pub := k.Public(); pub.Valid() && pub.KeyID != "" {
			s.keys = append(s.keys, pub)
		}
	}
	return s
}

type staticKeys struct{ keys []jose.JSONWebKey }

func (s staticKeys) Keys(_ context.Context, kid string) ([]jose.JSONWebKey, error) {
	var out []jose.JSONWebKey
	for _, k := range s.keys {
		if k.KeyID == kid {
			out = append(out, k)
		}
	}
	return out, nil
}

var _ KeySource = staticKeys{}

// ErrJWKSFetch is wrapped by RemoteJWKS errors when the JWKS could not be
// fetched or parsed.
var ErrJWKSFetch = errors.New("identity: fetch jwks")

// RemoteJWKSConfig configures a RemoteJWKS. Only URL is required.
type RemoteJWKSConfig struct {
	// URL of the JWKS document, https only (for Cognito:
	// https://cognito-idp.<region>.amazonaws.com/<pool id>/.well-known/jwks.json).
	URL string
	// Client performs the fetches; default a client with a 10s timeout.
	// Inject one with SSRF protection or a test transport as needed.
	Client *http.Client
	// MinRefresh is the minimum interval between fetches, whatever their
	// cause (unknown kid, expiry, failure); default 1 minute.
	MinRefresh time.Duration
	// MaxAge is how long a fetched set is used before it is refetched;
	// default 1 hour. A stale set is still used if the refetch fails.
	MaxAge time.Duration
	// MaxBytes bounds the response body; default 1 MiB.
	MaxBytes int64
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// RemoteJWKS is a KeySource that fetches a JWKS URL, caches it, and refetches
// when asked for an unknown kid, but at most once per MinRefresh so that
// tokens with made-up kids cannot turn the verifier into a request
// amplifier. Concurrent callers share one fetch. Safe for concurrent use.
type RemoteJWKS struct {
	cfg RemoteJWKSConfig
	sem chan struct{} // holds one token while a fetch is in flight

	mu          sync.Mutex
	set         *jose.JSONWebKeySet
	fetchedAt   time.Time
	lastAttempt time.Time
	lastErr     error
}

var _ KeySource = (*RemoteJWKS)(nil)

// NewRemoteJWKS validates cfg and fills defaults. It does not fetch.
func NewRemoteJWKS(cfg RemoteJWKSConfig) (*RemoteJWKS, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("new remote jwks: parse url: %w", err)
	}
	if u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("new remote jwks: url %q must be an absolute https URL", cfg.URL)
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.MinRefresh <= 0 {
		cfg.MinRefresh = time.Minute
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = time.Hour
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = 1 << 20
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &RemoteJWKS{cfg: cfg, sem: make(chan struct{}, 1)}, nil
}

// Keys implements KeySource.
func (r *RemoteJWKS) Keys(ctx context.Context, kid string) ([]jose.JSONWebKey, error) {
	if keys, done, err := r.cached(kid); done {
		return keys, err
	}
	select {
	case r.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: wait for fetch: %w", ErrJWKSFetch, ctx.Err())
	}
	defer func() { <-r.sem }()
	// Another caller may have fetched while we waited.
	if keys, done, err := r.cached(kid); done {
		return keys, err
	}

	set, err := r.fetch(ctx)
	if err != nil && ctx.Err() != nil {
		// This caller gave up; that says nothing about the provider, so
		// neither throttle nor poison the cache for everyone else.
		return nil, err
	}
	now := r.cfg.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lastAttempt = now
	r.lastErr = err
	if err == nil {
		r.set, r.fetchedAt = set, now
	}
	if r.set == nil {
		return nil, err
	}
	// On failure fall back to the (stale) set we have: an identity
	// provider blip should not log everyone out.
	return r.set.Key(kid), nil
}

// cached answers from the cache when that is allowed: done is false when
// the caller should fetch.
func (r *RemoteJWKS) cached(kid string) (keys []jose.JSONWebKey, done bool, err error) {
	now := r.cfg.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	throttled := !r.lastAttempt.IsZero() && now.Sub(r.lastAttempt) < r.cfg.MinRefresh
	if r.set == nil {
		if throttled {
			return nil, true, r.lastErr
		}
		return nil, false, nil
	}
	keys = r.set.Key(kid)
	fresh := now.Sub(r.fetchedAt) < r.cfg.MaxAge
	if (len(keys) > 0 && fresh) || throttled {
		return keys, true, nil
	}
	return nil, false, nil
}

func (r *RemoteJWKS) fetch(ctx context.Context) (*jose.JSONWebKeySet, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.cfg.URL, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: build request: %w", ErrJWKSFetch, err)
	}
	req.Header.Set("Accept", "application/json, application/jwk-set+json")
	resp, err := r.cfg.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrJWKSFetch, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: %s: status %d", ErrJWKSFetch, r.cfg.URL, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, r.cfg.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%w: read body: %w", ErrJWKSFetch, err)
	}
	if int64(len(body)) > r.cfg.MaxBytes {
		return nil, fmt.Errorf("%w: %s: body larger than %d bytes", ErrJWKSFetch, r.cfg.URL, r.cfg.MaxBytes)
	}
	set, err := parseJWKS(body)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrJWKSFetch, r.cfg.URL, err)
	}
	return set, nil
}

// parseJWKS keeps the usable signature keys of a JWKS document and skips
// the rest (unsupported key types, encryption keys), so one odd key does
// not take the whole set down. Private keys are reduced to public ones.
func parseJWKS(body []byte) (*jose.JSONWebKeySet, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("decode jwks: %w", err)
	}
	set := &jose.JSONWebKeySet{}
	for _, raw := range doc.Keys {
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(raw); err != nil {
			continue
		}
		if k.KeyID == "" || (k.Use != "" && k.Use != "sig") {
			continue
		}
		if pub := k.Public(); pub.Valid() {
			set.Keys = append(set.Keys, pub)
		}
	}
	if len(set.Keys) == 0 {
		return nil, errors.New("jwks has no usable signature keys")
	}
	return set, nil
}
