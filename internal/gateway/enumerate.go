package gateway

import (
	"net/http"
	"time"

	"github.com/portico/portico/internal/problem"
)

// EnumerationTracker is implemented by a FailureTracker that also counts
// answers about unknown tenants per source address and blocks addresses
// probing tenant ids (*detect.Detector). The gateway uses it when
// Config.Failures implements it.
type EnumerationTracker interface {
	UnknownTenant(ip string, now time.Time)
	EnumerationBlocked(ip string, now time.Time) (time.Duration, bool)
}

// enumerationBlocked answers 429 with Retry-After to an address blocked for
// probing tenant ids, before the tenant is looked up: answering existing
// tenants normally would tell it which ids exist.
func (g *Gateway) enumerationBlocked(r *http.Request, now time.Time) *problem.Problem {
	et, ok := g.cfg.Failures.(EnumerationTracker)
	if !ok {
		return nil
	}
	wait, blocked := et.EnumerationBlocked(stripPort(r.RemoteAddr), now)
	if !blocked {
		return nil
	}
	p := problem.New(http.StatusTooManyRequests, "too-many-unknown", "Too Many Requests", "too many requests for unknown APIs from this address; retry later")
	p.Headers = http.Header{"Retry-After": {itoa(int64((wait + time.Second - 1) / time.Second))}}
	return p
}

// unknownTenant counts an answer about a tenant that does not exist.
func (g *Gateway) unknownTenant(r *http.Request, now time.Time) {
	if et, ok := g.cfg.Failures.(EnumerationTracker); ok {
		et.UnknownTenant(stripPort(r.RemoteAddr), now)
	}
}
