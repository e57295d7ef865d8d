package detect

import "testing"

// BenchmarkUnknownTenant is the cost the 404 path of an unknown tenant pays
// for detection: one lock and one map probe, no allocation once the
// address has a counter.
func BenchmarkUnknownTenant(b *testing.B) {
	d := New(Config{EnumerationThreshold: 1 << 30})
	now := t0
	b.ReportAllocs()
	for b.Loop() {
		d.UnknownTenant("203.0.113.7", now)
	}
}

func BenchmarkEnumerationBlockedNone(b *testing.B) {
	d := New(Config{})
	b.ReportAllocs()
	for b.Loop() {
		d.EnumerationBlocked("203.0.113.7", t0)
	}
}
