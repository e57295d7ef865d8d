package gateway

import (
	"net/http"
	"slices"
	"strings"
)

// Purge tags come from the endpoint's cache policy (tags) and from the
// upstream's response: Cache-Tag (comma-separated, as Cloudflare reads it)
// and Surrogate-Key (space-separated, as Fastly reads it). A purge by tag (POST /admin/v1/cache/purge {"tag": ...})
// removes every entry of the tenant holding it (docs/cache.md).
const (
	maxCacheTags   = 32
	maxCacheTagLen = 128
)

// responseTags returns the purge tags of a response: the policy's (config),
// then the headers', without duplicates; tags past maxCacheTags, longer
// than maxCacheTagLen or holding control characters are dropped.
func responseTags(config []string, h http.Header) []string {
	var tags []string
	add := func(t string) {
		if t == "" || len(t) > maxCacheTagLen || len(tags) >= maxCacheTags || slices.Contains(tags, t) {
			return
		}
		for i := 0; i < len(t); i++ {
			if t[i] < 0x21 || t[i] == 0x7f {
				return
			}
		}
		tags = append(tags, t)
	}
	for _, t := range config {
		add(t)
	}
	for _, v := range h["Cache-Tag"] {
		for t := range strings.SplitSeq(v, ",") {
			add(strings.TrimSpace(t))
		}
	}
	for _, v := range h["Surrogate-Key"] {
		for _, t := range strings.Fields(v) {
			add(t)
		}
	}
	return tags
}
