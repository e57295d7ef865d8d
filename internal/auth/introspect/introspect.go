// Package introspect validates opaque access tokens with a tenant's own
// authorization server through OAuth 2.0 token introspection (RFC 7662).
//
// Results are cached by a hash of the endpoint, client credentials and token (the token itself
// is never kept) for the configured TTL, and never past the token's own
// exp: a cache hit makes no call. Inactive answers are cached for the same
// bounded time, so a flood of garbage tokens costs one call each at most
// once per TTL. The HTTP client is the caller's: the gateway passes one
// behind the SSRF guard.
package introspect

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// ErrUnavailable wraps every failure to get an answer (transport errors,
// non-200 statuses, malformed bodies): the token was not judged.
var ErrUnavailable = errors.New("introspect: endpoint unavailable")

// maxBody bounds an introspection response.
const maxBody = 64 << 10

// Endpoint is one introspection endpoint and the client credentials the
// gateway authenticates to it with (HTTP Basic, RFC 6749 section 2.3.1).
type Endpoint struct {
	URL          string
	ClientID     string
	ClientSecret string
	// TTL bounds how long a result is cached; zero means Config.TTL.
	TTL time.Duration
}

// Result is the part of an introspection response the gateway uses.
type Result struct {
	Active    bool            `json:"active"`
	Scope     string          `json:"scope,omitempty"`
	ClientID  string          `json:"client_id,omitempty"`
	Username  string          `json:"username,omitempty"`
	Subject   string          `json:"sub,omitempty"`
	Issuer    string          `json:"iss,omitempty"`
	Audience  json.RawMessage `json:"aud,omitempty"`
	ExpiresAt int64           `json:"exp,omitempty"`
	NotBefore int64           `json:"nbf,omitempty"`
}

// Audiences reads aud, a string or an array of strings.
func (r *Result) Audiences() []string {
	if len(r.Audience) == 0 {
		return nil
	}
	var s string
	if json.Unmarshal(r.Audience, &s) == nil {
		return []string{s}
	}
	var list []string
	_ = json.Unmarshal(r.Audience, &list)
	return list
}

// Config configures an Introspector; zero values take defaults.
type Config struct {
	// Client calls the endpoints; default a plain client with a 5s timeout.
	Client *http.Client
	// TTL is the default cache lifetime of a result; default 60s.
	TTL time.Duration
	// MaxEntries bounds the cache; past it expired entries are dropped,
	// then everything. Default 100000.
	MaxEntries int
	// Now is the clock; default time.Now.
	Now func() time.Time
}

type entry struct {
	res   *Result
	until time.Time
}

// Introspector is safe for concurrent use.
type Introspector struct {
	cfg Config

	mu    sync.Mutex
	cache map[[sha256.Size]byte]entry
}

// New fills defaults.
func New(cfg Config) *Introspector {
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 5 * time.Second}
	}
	if cfg.TTL <= 0 {
		cfg.TTL = time.Minute
	}
	if cfg.MaxEntries <= 0 {
		cfg.MaxEntries = 100_000
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Introspector{cfg: cfg, cache: map[[sha256.Size]byte]entry{}}
}

func cacheKey(ep *Endpoint, token string) [sha256.Size]byte {
	h := sha256.New()
	_, _ = io.WriteString(h, ep.URL)
	_, _ = io.WriteString(h, "\x00")
	_, _ = io.WriteString(h, ep.ClientID)
	_, _ = io.WriteString(h, "\x00")
	// The secret too: an answer fetched with one tenant's credentials is
	// never served to another that merely names the same endpoint and id.
	_, _ = io.WriteString(h, ep.ClientSecret)
	_, _ = io.WriteString(h, "\x00")
	_, _ = io.WriteString(h, token)
	var k [sha256.Size]byte
	h.Sum(k[:0])
	return k
}

// Introspect returns the endpoint's answer about token, from the cache
// when it holds a live one. An inactive token is a Result with Active
// false, not an error; errors wrap ErrUnavailable (or the context's).
func (in *Introspector) Introspect(ctx context.Context, ep Endpoint, token string) (*Result, error) {
	k := cacheKey(&ep, token)
	now := in.cfg.Now()
	in.mu.Lock()
	e, ok := in.cache[k]
	in.mu.Unlock()
	if ok && now.Before(e.until) {
		return e.res, nil
	}
	res, err := in.call(ctx, &ep, token)
	if err != nil {
		return nil, err
	}
	ttl := ep.TTL
	if ttl <= 0 {
		ttl = in.cfg.TTL
	}
	until := now.Add(ttl)
	if res.Active && res.ExpiresAt > 0 {
		if exp := time.Unix(res.ExpiresAt, 0); exp.Before(until) {
			until = exp
		}
	}
	if until.After(now) {
		in.mu.Lock()
		if len(in.cache) >= in.cfg.MaxEntries {
			in.prune(now)
		}
		in.cache[k] = entry{res: res, until: until}
		in.mu.Unlock()
	}
	return res, nil
}

// prune drops expired entries, and everything if that is not enough.
// Called with mu held.
func (in *Introspector) prune(now time.Time) {
	for k, e := range in.cache {
		if !now.Before(e.until) {
			delete(in.cache, k)
		}
	}
	if len(in.cache) >= in.cfg.MaxEntries {
		clear(in.cache)
	}
}

func (in *Introspector) call(ctx context.Context, ep *Endpoint, token string) (*Result, error) {
	form := url.Values{"token": {token}, "token_type_hint": {"access_token"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.URL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(url.QueryEscape(ep.ClientID), url.QueryEscape(ep.ClientSecret))
	resp, err := in.cfg.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
		return nil, fmt.Errorf("%w: status %d", ErrUnavailable, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("%w: read response: %w", ErrUnavailable, err)
	}
	if len(body) > maxBody {
		return nil, fmt.Errorf("%w: response larger than %d bytes", ErrUnavailable, maxBody)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("%w: decode response: %v", ErrUnavailable, err)
	}
	if _, ok := raw["active"]; !ok {
		return nil, fmt.Errorf("%w: response has no \"active\" member", ErrUnavailable)
	}
	var res Result
	if err := json.Unmarshal(body, &res); err != nil {
		return nil, fmt.Errorf("%w: decode response: %v", ErrUnavailable, err)
	}
	if !res.Active {
		return &Result{}, nil // nothing else of an inactive answer matters
	}
	return &res, nil
}
