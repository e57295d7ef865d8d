package detect

import "time"

// ByUnknownTenant counts answers about tenants that do not exist, per
// source IP: someone probing tenant ids. Its events have an empty Tenant.
const ByUnknownTenant Dimension = "unknown-tenant"

// UnknownTenant records that ip asked for a tenant that does not exist.
// At EnumerationThreshold per window it raises an event and blocks ip
// (EnumerationBlocked). It takes the lock once and allocates only for an
// address not seen in this window.
func (d *Detector) UnknownTenant(ip string, now time.Time) {
	if ip == "" {
		return
	}
	k := key{"", ByUnknownTenant, ip}
	d.mu.Lock()
	if len(d.counts) >= d.cfg.MaxEntries {
		d.prune(now)
	}
	ev, ok := d.count(k, d.cfg.EnumerationThreshold, now)
	if ok {
		ev.BlockedUntil = now.Add(d.cfg.BlockFor)
		if _, had := d.blocks[k]; !had {
			d.nBlocks.Add(1)
		}
		d.blocks[k] = ev.BlockedUntil
	}
	d.mu.Unlock()
	if ok && d.cfg.OnEvent != nil {
		d.cfg.OnEvent(ev)
	}
}

// EnumerationBlocked reports whether ip is blocked for probing tenant ids,
// and for how long still. The block covers every tenant: answering known
// tenants normally would tell the prober which ids exist. Like Blocked, it
// takes no lock and does not allocate while nothing is blocked.
func (d *Detector) EnumerationBlocked(ip string, now time.Time) (time.Duration, bool) {
	if d.nBlocks.Load() == 0 {
		return 0, false
	}
	return d.blocked(key{"", ByUnknownTenant, ip}, now)
}
