package gateway

import (
	"errors"
	"net/http"
	"slices"

	"github.com/portico/portico/internal/cache"
	"github.com/portico/portico/internal/problem"
)

// errUpstreamFailed is a fill's error when its upstream answered a failure
// that was held back for a stale entry: waiters with a stale entry of
// their own serve it, the others fetch on their own.
var errUpstreamFailed = errors.New("gateway: upstream failed")

// upstreamFailed reports whether a response status is one that
// stale-if-error replaces (RFC 5861 section 4: 500, 502, 503, 504). The
// gateway's own problems for an unreachable, slow or broken upstream
// (connection error 502, timeout 504, open breaker 503) are among them.
func upstreamFailed(status int) bool {
	switch status {
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// upstreamOrStale dispatches r without filling the cache (a HEAD, or a
// request that fetches alone) and counts a miss; when stale is set and the
// upstream fails, stale answers instead.
func (g *Gateway) upstreamOrStale(w http.ResponseWriter, r *http.Request, res *resolution, stale *cache.Entry) (*problem.Problem, error) {
	if stale == nil {
		g.cacheCounters(res).Miss()
		return g.upstream(w, r, res)
	}
	pre := make([]string, 0, len(w.Header()))
	for k := range w.Header() {
		pre = append(pre, k)
	}
	hw := &holdWriter{ResponseWriter: w, hold: true}
	prob, err := g.upstream(hw, r, res)
	if (hw.held || prob != nil && upstreamFailed(prob.Status)) && r.Context().Err() == nil {
		g.serveStale(w, r, res, stale, pre)
		return nil, nil
	}
	g.cacheCounters(res).Miss()
	return prob, err
}

// serveStale answers r with the stale entry e after its upstream failed:
// the failed response's headers go (only those set before dispatch, pre,
// stay), then e is written like a hit with X-Cache: STALE and its Age
// (past its TTL). The endpoint's stale counter counts it.
func (g *Gateway) serveStale(w http.ResponseWriter, r *http.Request, res *resolution, e *cache.Entry, pre []string) {
	if pre != nil {
		h := w.Header()
		for k := range h {
			if !slices.Contains(pre, k) {
				delete(h, k)
			}
		}
	}
	g.cacheCounters(res).Stale()
	writeHit(w, r, e, g.cfg.Now(), xCacheStale)
}

// holdWriter passes a response through unless hold is set and its status
// is a failure (upstreamFailed): then neither the status nor the body
// reach the client, so a stale entry can answer instead.
type holdWriter struct {
	http.ResponseWriter
	hold  bool
	held  bool
	wrote bool
}

func (hw *holdWriter) WriteHeader(code int) {
	if !hw.wrote && code >= 200 {
		hw.wrote = true
		hw.held = hw.hold && upstreamFailed(code)
	}
	if !hw.held {
		hw.ResponseWriter.WriteHeader(code)
	}
}

func (hw *holdWriter) Write(b []byte) (int, error) {
	if !hw.wrote {
		hw.WriteHeader(http.StatusOK)
	}
	if hw.held {
		return len(b), nil
	}
	return hw.ResponseWriter.Write(b)
}

// FlushError flushes the underlying writer, except a held response's
// (flushing would send the headers).
func (hw *holdWriter) FlushError() error {
	if hw.held {
		return nil
	}
	return http.NewResponseController(hw.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (hw *holdWriter) Unwrap() http.ResponseWriter { return hw.ResponseWriter }
