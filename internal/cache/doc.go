// Package cache is the gateway's response cache: a byte-bounded in-process
// L1 (otter, W-TinyLFU), an optional shared L2 (a Store such as
// cache/redis), and a read-through Do that coalesces concurrent misses of
// one key into a single fill. Keys are tenant-scoped hashes built by Key;
// entries carry the response (status, headers, body) with when it was
// stored and for how long it is fresh. Which responses may be stored is the
// gateway's decision (internal/gateway/cache.go); docs/cache.md explains
// both.
package cache
